//! Finding the ID card (85.6 × 54 mm, ISO/IEC 7810 ID-1) on a scan of the glass and cropping
//! to it.
//!
//! How: the background (the lid or, with the lid open, the dark room: usually near-white or
//! near-black) is the most common colour of the scan's border, unless the kiosk says which it is
//! ([`Background`]). Every pixel that differs from it by more than a threshold (set from the
//! border's own noise) is foreground. The foreground is pooled into blocks of about 1 mm, the
//! blocks are grouped into connected objects (thin strips running on from one, like the
//! glass's frame beside a card pushed against it, are peeled off), and pieces of a card that only partly stands out
//! (a pale card on a white lid shows as its photo and text) are joined while together they are
//! no bigger than a card. The object's edges are then found to the pixel, and its size is
//! checked against the card's at the scan's resolution, allowing a few millimetres and a card
//! turned by a few degrees (the crop is then the turned card's bounding box; it is not
//! straightened). A card lying portrait is turned to landscape if
//! [`CropOptions::rotate_portrait`] is set; which way up it lies is not known.
//!
//! Pure code on the pixels, no I/O; about 6–10 ms for a 300 dpi A5 scan in release
//! (`cargo run --release -p scanner --example crop_timing`).

use crate::sane::ScannedImage;

/// The ID-1 card's long side in millimetres.
pub const CARD_LONG_MM: f64 = 85.6;
/// The ID-1 card's short side in millimetres.
pub const CARD_SHORT_MM: f64 = 54.0;

/// What the glass looks like where there is no card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Background {
    /// The most common colour of the scan's border (works while the card and other things cover
    /// less than half of the border).
    #[default]
    Auto,
    /// A white lid.
    White,
    /// A black lid, or the lid left open in a dim kiosk.
    Black,
    /// Any other measured colour.
    Rgb([u8; 3]),
}

/// Settings of the card finder.
#[derive(Debug, Clone, PartialEq)]
pub struct CropOptions {
    /// The background; [`Background::Auto`] unless the kiosk's lid is known.
    pub background: Background,
    /// How much smaller or larger than the card (after allowing for rotation) an object may
    /// be and still be taken for it, in millimetres. Default 3.
    pub tolerance_mm: f64,
    /// The most a card may be turned, in degrees; its bounding box grows with the angle.
    /// Default 4.
    pub max_rotation_deg: f64,
    /// Difference from the background (0–255, largest of R, G, B) above which a pixel is
    /// foreground; `None` sets it from the noise of the scan's border.
    pub threshold: Option<u8>,
    /// Turn a card that lies portrait by 90° (clockwise) so the crop is landscape. Default on.
    pub rotate_portrait: bool,
}

impl Default for CropOptions {
    fn default() -> Self {
        CropOptions {
            background: Background::Auto,
            tolerance_mm: 3.0,
            max_rotation_deg: 4.0,
            threshold: None,
            rotate_portrait: true,
        }
    }
}

/// Where the card is on the scan, in the scan's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardCrop {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
    /// The card lies portrait (taller than wide) on the glass.
    pub portrait: bool,
}

/// The card found and cut out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CroppedCard {
    /// Where it was on the scan.
    pub crop: CardCrop,
    /// The card's image (landscape if [`CropOptions::rotate_portrait`] was set), at the scan's
    /// resolution.
    pub image: ScannedImage,
}

/// Why no card could be cut out. The messages can be shown to the citizen.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum CropError {
    /// Nothing (or only specks) on the glass.
    #[error("no card was found on the scanner glass: place the card face down on the glass")]
    NoCardFound,
    /// Something lies on the glass but it is not card-sized: another document, two cards
    /// touching, a card half off the scan area, or a pale card the scan hardly shows.
    #[error(
        "the object on the glass is {w_mm:.0} × {h_mm:.0} mm, not an ID card \
         (85.6 × 54 mm): place only the card on the glass, away from the edges"
    )]
    NotCardSized {
        /// Its width as scanned, in millimetres.
        w_mm: f64,
        /// Its height as scanned, in millimetres.
        h_mm: f64,
    },
    /// The image itself is not usable (no pixels, wrong buffer length, no resolution).
    #[error("the scan cannot be searched for a card: {0}")]
    BadImage(String),
}

/// Finds the card and cuts it out (turned to landscape if it lies portrait and
/// [`CropOptions::rotate_portrait`] is set).
pub fn crop_card(img: &ScannedImage, opts: &CropOptions) -> Result<CroppedCard, CropError> {
    let crop = find_card(img, opts)?;
    let mut image = cut(img, &crop);
    if crop.portrait && opts.rotate_portrait {
        image = rotate_clockwise(&image);
    }
    Ok(CroppedCard { crop, image })
}

/// Finds the card on the scan: its bounding box in pixels.
pub fn find_card(img: &ScannedImage, opts: &CropOptions) -> Result<CardCrop, CropError> {
    check(img)?;
    let w = img.width as usize;
    let h = img.height as usize;
    let dpi = f64::from(img.dpi);
    let px_per_mm = dpi / 25.4;
    // Blocks of about 1 mm.
    let b = (px_per_mm.round() as usize).max(1);

    let (bg, noise) = background(img, opts.background, b);
    let threshold = opts
        .threshold
        .unwrap_or_else(|| (16 + 5 * u32::from(noise)).clamp(28, 96) as u8);

    // Foreground mask and per-block counts, in one pass.
    let gw = w.div_ceil(b);
    let gh = h.div_ceil(b);
    let mut mask = vec![false; w * h];
    let mut counts = vec![0u32; gw * gh];
    let block_of_col: Vec<usize> = (0..w).map(|x| x / b).collect();
    for (y, (row, mrow)) in img
        .rgb
        .chunks_exact(w * 3)
        .zip(mask.chunks_exact_mut(w))
        .enumerate()
    {
        let crow = &mut counts[(y / b) * gw..(y / b + 1) * gw];
        for ((p, m), &bx) in row.chunks_exact(3).zip(mrow.iter_mut()).zip(&block_of_col) {
            let d = p[0]
                .abs_diff(bg[0])
                .max(p[1].abs_diff(bg[1]))
                .max(p[2].abs_diff(bg[2]));
            if d > threshold {
                *m = true;
                crow[bx] += 1;
            }
        }
    }
    let grid: Vec<bool> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (bx, by) = (i % gw, i / gw);
            let bw = (w - bx * b).min(b);
            let bh = (h - by * b).min(b);
            c as usize * 3 >= bw * bh
        })
        .collect();

    let mut objects = components(&grid, gw, gh);
    if objects.is_empty() {
        return Err(CropError::NoCardFound);
    }
    objects.sort_by_key(|o| std::cmp::Reverse(o.count));

    // The size a card's bounding box may have, in mm.
    let t = opts.max_rotation_deg.clamp(0.0, 45.0).to_radians();
    let (sin, cos) = t.sin_cos();
    let tol = opts.tolerance_mm.max(0.0);
    let long = (
        CARD_LONG_MM - tol,
        CARD_LONG_MM * cos + CARD_SHORT_MM * sin + tol,
    );
    let short = (
        CARD_SHORT_MM - tol,
        CARD_SHORT_MM * cos + CARD_LONG_MM * sin + tol,
    );
    let fits = |wmm: f64, hmm: f64| {
        let (l, s) = if wmm >= hmm { (wmm, hmm) } else { (hmm, wmm) };
        l >= long.0 && l <= long.1 && s >= short.0 && s <= short.1
    };
    // Limits for joining pieces, in blocks.
    let max_long = (long.1 * px_per_mm / b as f64).ceil() as usize + 1;
    let max_short = (short.1 * px_per_mm / b as f64).ceil() as usize + 1;
    let gap = ((3.0 * px_per_mm) / b as f64).round().max(1.0) as usize;

    let mut first: Option<(f64, f64)> = None;
    // Seeds: the largest objects, specks aside.
    for seed in objects.iter().take(32).filter(|o| o.count >= 4) {
        let mut bbox = seed.bbox;
        let (sl, ss) = long_short(bbox);
        if sl <= max_long && ss <= max_short {
            join_pieces(&mut bbox, &objects, gap, max_long, max_short);
        }
        let crop = refine(&mask, w, h, b, bbox, [2; 4]);
        let wmm = f64::from(crop.w) / px_per_mm;
        let hmm = f64::from(crop.h) / px_per_mm;
        if fits(wmm, hmm) {
            return Ok(crop);
        }
        first.get_or_insert((wmm, hmm));
        // A card against a dark strip (the glass's frame, a shadow along an edge) is one
        // object with it: peel off the thin parts and look again.
        let (trimmed, expand) = trim_thin(&grid, gw, bbox);
        if trimmed != bbox {
            let crop = refine(&mask, w, h, b, trimmed, expand);
            if fits(f64::from(crop.w) / px_per_mm, f64::from(crop.h) / px_per_mm) {
                return Ok(crop);
            }
        }
    }
    match first {
        Some((w_mm, h_mm)) if w_mm.max(h_mm) >= 20.0 => Err(CropError::NotCardSized { w_mm, h_mm }),
        _ => Err(CropError::NoCardFound),
    }
}

/// Cuts `crop` out of `img` (clamped to the image).
pub fn cut(img: &ScannedImage, crop: &CardCrop) -> ScannedImage {
    let x0 = crop.x.min(img.width) as usize;
    let y0 = crop.y.min(img.height) as usize;
    let x1 = (crop.x.saturating_add(crop.w)).min(img.width) as usize;
    let y1 = (crop.y.saturating_add(crop.h)).min(img.height) as usize;
    let stride = img.width as usize * 3;
    let mut rgb = Vec::with_capacity((x1 - x0) * (y1 - y0) * 3);
    for y in y0..y1 {
        let row = y * stride;
        if let Some(src) = img.rgb.get(row + x0 * 3..row + x1 * 3) {
            rgb.extend_from_slice(src);
        }
    }
    ScannedImage {
        width: (x1 - x0) as u32,
        height: (y1 - y0) as u32,
        rgb,
        dpi: img.dpi,
    }
}

/// Turns the image by 90° clockwise.
pub fn rotate_clockwise(img: &ScannedImage) -> ScannedImage {
    let (w, h) = (img.width as usize, img.height as usize);
    let mut rgb = vec![0u8; w * h * 3];
    // New size h × w: the new pixel (nx, ny) is the old (ny, h - 1 - nx).
    for ny in 0..w {
        for nx in 0..h {
            let src = ((h - 1 - nx) * w + ny) * 3;
            let dst = (ny * h + nx) * 3;
            if let (Some(s), Some(d)) = (img.rgb.get(src..src + 3), rgb.get_mut(dst..dst + 3)) {
                d.copy_from_slice(s);
            }
        }
    }
    ScannedImage {
        width: img.height,
        height: img.width,
        rgb,
        dpi: img.dpi,
    }
}

fn check(img: &ScannedImage) -> Result<(), CropError> {
    if img.width == 0 || img.height == 0 {
        return Err(CropError::BadImage("no pixels".into()));
    }
    let want = img.width as usize * img.height as usize * 3;
    if img.rgb.len() != want {
        return Err(CropError::BadImage(format!(
            "{}×{} RGB needs {want} bytes, the buffer has {}",
            img.width,
            img.height,
            img.rgb.len()
        )));
    }
    if img.dpi < 25 {
        return Err(CropError::BadImage(format!(
            "{} dpi is too coarse to find a card",
            img.dpi
        )));
    }
    Ok(())
}

/// The background colour and the border's noise (median of the largest per-channel difference
/// from that colour).
fn background(img: &ScannedImage, which: Background, b: usize) -> ([u8; 3], u8) {
    let (w, h) = (img.width as usize, img.height as usize);
    let strip = b.max(2).min(w.min(h) / 4).max(1);
    let mut hist = [[0u32; 256]; 3];
    let mut border: Vec<[u8; 3]> = Vec::new();
    let mut take = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        if let Some(p) = img.rgb.get(i..i + 3) {
            let p = [p[0], p[1], p[2]];
            for c in 0..3 {
                hist[c][usize::from(p[c])] += 1;
            }
            border.push(p);
        }
    };
    for y in 0..h {
        let inner = y >= strip && y < h.saturating_sub(strip);
        if inner {
            for x in (0..strip).chain(w.saturating_sub(strip).max(strip)..w) {
                take(x, y);
            }
        } else {
            for x in 0..w {
                take(x, y);
            }
        }
    }
    let bg = match which {
        // The most common colour (within ±6) of each channel: unlike the median, it is not
        // pulled towards a card or strip that covers part of the border.
        Background::Auto => {
            let mut bg = [0u8; 3];
            for c in 0..3 {
                let mut best = (0u32, 0usize);
                for v in 0..256usize {
                    let sum: u32 = hist[c][v.saturating_sub(6)..(v + 7).min(256)].iter().sum();
                    if sum > best.0 {
                        best = (sum, v);
                    }
                }
                bg[c] = best.1 as u8;
            }
            bg
        }
        Background::White => [255, 255, 255],
        Background::Black => [0, 0, 0],
        Background::Rgb(c) => c,
    };
    let mut dh = [0u32; 256];
    for p in &border {
        let d = p[0]
            .abs_diff(bg[0])
            .max(p[1].abs_diff(bg[1]))
            .max(p[2].abs_diff(bg[2]));
        dh[usize::from(d)] += 1;
    }
    // The noise is the median difference of the border pixels that are background at all
    // (within 48); the others are things lying on the border.
    let near: u32 = dh[..=48].iter().sum();
    let (hist, n) = if near > 0 {
        (&dh[..=48], near)
    } else {
        (&dh[..], border.len() as u32)
    };
    let mut seen = 0;
    let mut noise = 0u8;
    for (v, &k) in hist.iter().enumerate() {
        seen += k;
        if seen * 2 >= n {
            noise = v as u8;
            break;
        }
    }
    (bg, noise)
}

/// Bounding box in blocks, inclusive: (x0, y0, x1, y1).
type BBox = (usize, usize, usize, usize);

struct Object {
    count: usize,
    bbox: BBox,
}

fn long_short(b: BBox) -> (usize, usize) {
    let (w, h) = (b.2 - b.0 + 1, b.3 - b.1 + 1);
    (w.max(h), w.min(h))
}

/// 8-connected groups of foreground blocks.
fn components(grid: &[bool], gw: usize, gh: usize) -> Vec<Object> {
    let mut seen = vec![false; grid.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..grid.len() {
        if !grid[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut count, mut bbox) = (0, (usize::MAX, usize::MAX, 0, 0));
        while let Some(i) = stack.pop() {
            let (x, y) = (i % gw, i / gw);
            count += 1;
            bbox = (bbox.0.min(x), bbox.1.min(y), bbox.2.max(x), bbox.3.max(y));
            for ny in y.saturating_sub(1)..=(y + 1).min(gh - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(gw - 1) {
                    let j = ny * gw + nx;
                    if grid[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(Object { count, bbox });
    }
    out
}

/// Joins to `bbox` the objects within `gap` blocks of it while the whole stays card-sized.
fn join_pieces(bbox: &mut BBox, objects: &[Object], gap: usize, max_long: usize, max_short: usize) {
    let mut used = vec![false; objects.len()];
    loop {
        let mut grew = false;
        for (o, u) in objects.iter().zip(used.iter_mut()) {
            // Specks (a block or two of dust) are not pieces of a card.
            if *u || o.count < 3 {
                continue;
            }
            let near = o.bbox.0 <= bbox.2 + gap
                && o.bbox.2 + gap >= bbox.0
                && o.bbox.1 <= bbox.3 + gap
                && o.bbox.3 + gap >= bbox.1;
            if !near {
                continue;
            }
            let joined = (
                bbox.0.min(o.bbox.0),
                bbox.1.min(o.bbox.1),
                bbox.2.max(o.bbox.2),
                bbox.3.max(o.bbox.3),
            );
            let (l, s) = long_short(joined);
            if l <= max_long && s <= max_short {
                *u = true;
                if joined != *bbox {
                    *bbox = joined;
                    grew = true;
                }
            }
        }
        if !grew {
            return;
        }
    }
}

/// Shrinks the box while an edge row or column of blocks is less than a third foreground (a
/// thin strip or line running on from the object), emptiest edge first. Also says by how many blocks
/// [`refine`] may look beyond each side (left, top, right, bottom): none where it was trimmed.
fn trim_thin(grid: &[bool], gw: usize, bbox: BBox) -> (BBox, [usize; 4]) {
    let (mut x0, mut y0, mut x1, mut y1) = bbox;
    // Fill of a row or column of blocks, as a fraction of its length.
    let fill_row = |y: usize, x0: usize, x1: usize| {
        (x0..=x1).filter(|&x| grid[y * gw + x]).count() as f64 / (x1 - x0 + 1) as f64
    };
    let fill_col = |x: usize, y0: usize, y1: usize| {
        (y0..=y1).filter(|&y| grid[y * gw + x]).count() as f64 / (y1 - y0 + 1) as f64
    };
    // Peel the emptiest edge first, one row or column at a time, so that a strip's rows go
    // before the card's own columns (which fill up as the strip's rows are peeled).
    while x0 < x1 && y0 < y1 {
        let edges = [
            fill_col(x0, y0, y1),
            fill_row(y0, x0, x1),
            fill_col(x1, y0, y1),
            fill_row(y1, x0, x1),
        ];
        let (side, fill) = edges
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f64::MAX),
                |best, (i, f)| if f < best.1 { (i, f) } else { best },
            );
        if fill * 3.0 >= 1.0 {
            break;
        }
        match side {
            0 => x0 += 1,
            1 => y0 += 1,
            2 => x1 -= 1,
            _ => y1 -= 1,
        }
    }
    let keep = |trimmed: bool| if trimmed { 0 } else { 2 };
    (
        (x0, y0, x1, y1),
        [
            keep(x0 != bbox.0),
            keep(y0 != bbox.1),
            keep(x1 != bbox.2),
            keep(y1 != bbox.3),
        ],
    )
}

/// The object's edges to the pixel: within its blocks' box and `expand` blocks around it
/// (left, top, right, bottom), the first and last rows and columns with a few foreground
/// pixels.
fn refine(mask: &[bool], w: usize, h: usize, b: usize, bbox: BBox, expand: [usize; 4]) -> CardCrop {
    let x0 = bbox.0.saturating_sub(expand[0]) * b;
    let y0 = bbox.1.saturating_sub(expand[1]) * b;
    let x1 = ((bbox.2 + 1 + expand[2]) * b).min(w);
    let y1 = ((bbox.3 + 1 + expand[3]) * b).min(h);
    let row_need = 3.max((x1 - x0) / 200);
    let rows: Vec<usize> = (y0..y1)
        .map(|y| mask[y * w + x0..y * w + x1].iter().filter(|&&m| m).count())
        .collect();
    let top = rows.iter().position(|&c| c >= row_need).map(|i| y0 + i);
    let bottom = rows.iter().rposition(|&c| c >= row_need).map(|i| y0 + i);
    let (top, bottom) = match (top, bottom) {
        (Some(t), Some(b)) => (t, b),
        _ => ((bbox.1 * b).min(h - 1), ((bbox.3 + 1) * b).min(h) - 1),
    };
    let col_need = 3.max((bottom + 1 - top) / 200);
    let mut cols = vec![0usize; x1 - x0];
    for y in top..=bottom {
        for (c, &m) in cols.iter_mut().zip(&mask[y * w + x0..y * w + x1]) {
            *c += usize::from(m);
        }
    }
    let left = cols.iter().position(|&c| c >= col_need).map(|i| x0 + i);
    let right = cols.iter().rposition(|&c| c >= col_need).map(|i| x0 + i);
    let (left, right) = match (left, right) {
        (Some(l), Some(r)) => (l, r),
        _ => ((bbox.0 * b).min(w - 1), ((bbox.2 + 1) * b).min(w) - 1),
    };
    let (cw, ch) = (right + 1 - left, bottom + 1 - top);
    CardCrop {
        x: left as u32,
        y: top as u32,
        w: cw as u32,
        h: ch as u32,
        portrait: ch > cw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> ScannedImage {
        let mut rgb = Vec::new();
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&f(x, y));
            }
        }
        ScannedImage {
            width: w,
            height: h,
            rgb,
            dpi: 100,
        }
    }

    #[test]
    fn rotates_and_cuts() {
        let img = image(3, 2, |x, y| [x as u8, y as u8, 0]);
        let r = rotate_clockwise(&img);
        assert_eq!((r.width, r.height), (2, 3));
        // The old bottom-left pixel (0, 1) is the new top-left.
        assert_eq!(&r.rgb[0..3], &[0, 1, 0]);
        assert_eq!(&r.rgb[3..6], &[0, 0, 0]);
        let c = cut(
            &img,
            &CardCrop {
                x: 1,
                y: 1,
                w: 5,
                h: 5,
                portrait: false,
            },
        );
        assert_eq!((c.width, c.height), (2, 1));
        assert_eq!(c.rgb, [1, 1, 0, 2, 1, 0]);
    }

    #[test]
    fn rejects_bad_buffers() {
        let mut img = image(4, 4, |_, _| [0; 3]);
        img.rgb.pop();
        assert!(matches!(
            find_card(&img, &CropOptions::default()),
            Err(CropError::BadImage(_))
        ));
        let mut img = image(4, 4, |_, _| [0; 3]);
        img.dpi = 0;
        assert!(matches!(
            find_card(&img, &CropOptions::default()),
            Err(CropError::BadImage(_))
        ));
    }
}
