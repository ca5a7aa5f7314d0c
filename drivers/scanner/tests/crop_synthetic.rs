//! Finding the ID card on synthetic scans: a card-coloured, textured rectangle on a white or
//! black glass with scanner noise, anywhere, turned a little, or portrait.

use proptest::prelude::*;
use scanner::crop::{crop_card, find_card, Background, CardCrop, CropError, CropOptions};
use scanner::sane::ScannedImage;

const WHITE: [u8; 3] = [246, 246, 244];
const BLACK: [u8; 3] = [18, 18, 22];

/// Something lying on the glass, in millimetres from the scan's top-left corner.
#[derive(Debug, Clone, Copy)]
struct Thing {
    cx: f64,
    cy: f64,
    /// Size along its own axes before turning (width, height).
    w: f64,
    h: f64,
    angle_deg: f64,
    /// A card (textured) or a sheet of paper (plain near-white).
    card: bool,
    /// A card whose ground is hardly darker than a white lid.
    pale: bool,
}

fn card(cx: f64, cy: f64, angle_deg: f64) -> Thing {
    Thing {
        cx,
        cy,
        w: 85.6,
        h: 54.0,
        angle_deg,
        card: true,
        pale: false,
    }
}

fn portrait_card(cx: f64, cy: f64, angle_deg: f64) -> Thing {
    Thing {
        cx,
        cy,
        w: 54.0,
        h: 85.6,
        angle_deg,
        card: true,
        pale: false,
    }
}

/// Cheap per-pixel noise in -8..=8.
fn noise(x: u32, y: u32, c: u32, seed: u32) -> i32 {
    let mut v = x
        .wrapping_mul(0x9E37_79B1)
        .wrapping_add(y.wrapping_mul(0x85EB_CA77))
        .wrapping_add(c.wrapping_mul(0xC2B2_AE3D))
        .wrapping_add(seed.wrapping_mul(0x27D4_EB2F));
    v ^= v >> 15;
    v = v.wrapping_mul(0x2C1B_3C6D);
    v ^= v >> 12;
    (v % 17) as i32 - 8
}

fn colour_at(t: &Thing, u: f64, v: f64) -> [u8; 3] {
    if !t.card {
        return [252, 251, 248];
    }
    // u, v from the card's own top-left corner, along its long and short sides.
    let (u, v) = if t.w >= t.h { (u, v) } else { (v, t.w - u) };
    if (58.0..80.0).contains(&u) && (8.0..40.0).contains(&v) {
        [120, 100, 92] // the photo
    } else if (5.0..50.0).contains(&u) && v > 6.0 && v % 6.0 < 2.2 {
        [50, 52, 70] // lines of text
    } else if t.pale {
        [226, 231, 238] // a very light ground: 20 levels from the white lid
    } else {
        [178, 202, 228] // the card's pale blue ground
    }
}

/// Renders a scan of `w_mm` × `h_mm` at `dpi`, and the true bounding boxes (x0, y0, x1, y1 in
/// pixels, end exclusive) of the things on it.
fn render(
    w_mm: f64,
    h_mm: f64,
    dpi: u32,
    bg: [u8; 3],
    things: &[Thing],
    seed: u32,
) -> (ScannedImage, Vec<(f64, f64, f64, f64)>) {
    let ppm = f64::from(dpi) / 25.4;
    let (w, h) = ((w_mm * ppm) as u32, (h_mm * ppm) as u32);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    let frames: Vec<(f64, f64)> = things
        .iter()
        .map(|t| t.angle_deg.to_radians().sin_cos())
        .collect();
    for y in 0..h {
        let ym = (f64::from(y) + 0.5) / ppm;
        for x in 0..w {
            let xm = (f64::from(x) + 0.5) / ppm;
            let mut c = bg;
            for (t, &(sin, cos)) in things.iter().zip(&frames) {
                let (dx, dy) = (xm - t.cx, ym - t.cy);
                let u = dx * cos + dy * sin + t.w / 2.0;
                let v = -dx * sin + dy * cos + t.h / 2.0;
                if (0.0..t.w).contains(&u) && (0.0..t.h).contains(&v) {
                    c = colour_at(t, u, v);
                }
            }
            for (i, ch) in c.iter().enumerate() {
                let v = i32::from(*ch) + noise(x, y, i as u32, seed);
                rgb.push(v.clamp(0, 255) as u8);
            }
        }
    }
    let truths = things
        .iter()
        .zip(&frames)
        .map(|(t, &(sin, cos))| {
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for (su, sv) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
                let (u, v) = (su * t.w / 2.0, sv * t.h / 2.0);
                let x = t.cx + u * cos - v * sin;
                let y = t.cy + u * sin + v * cos;
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
            (
                (x0 * ppm).max(0.0),
                (y0 * ppm).max(0.0),
                (x1 * ppm).min(f64::from(w)),
                (y1 * ppm).min(f64::from(h)),
            )
        })
        .collect();
    (
        ScannedImage {
            width: w,
            height: h,
            rgb,
            dpi,
        },
        truths,
    )
}

fn assert_near(crop: &CardCrop, truth: (f64, f64, f64, f64), tol: f64) {
    let got = [
        f64::from(crop.x),
        f64::from(crop.y),
        f64::from(crop.x + crop.w),
        f64::from(crop.y + crop.h),
    ];
    let want = [truth.0, truth.1, truth.2, truth.3];
    for (g, t) in got.iter().zip(&want) {
        assert!(
            (g - t).abs() <= tol,
            "crop {crop:?} (edges {got:?}) is not within {tol} px of {want:?}"
        );
    }
}

/// A5 upright: the scan area the kiosk uses for ID copies.
const A5: (f64, f64) = (148.0, 210.0);

#[test]
fn card_on_white_at_300_dpi() {
    let (img, truth) = render(A5.0, A5.1, 300, WHITE, &[card(70.0, 120.0, 0.0)], 1);
    let found = crop_card(&img, &CropOptions::default()).unwrap();
    assert_near(&found.crop, truth[0], 3.0);
    assert!(!found.crop.portrait);
    assert_eq!(
        (found.image.width, found.image.height),
        (found.crop.w, found.crop.h)
    );
    assert_eq!(found.image.dpi, 300);
    // 85.6 × 54 mm at 300 dpi is 1011 × 638 px.
    assert!(
        found.image.width.abs_diff(1011) <= 3,
        "{}",
        found.image.width
    );
    assert!(
        found.image.height.abs_diff(638) <= 3,
        "{}",
        found.image.height
    );
    // The crop holds the card, not the lid: its corner pixel is the card's ground.
    assert!(found.image.rgb[0] < 200);
}

#[test]
fn card_on_black_at_150_dpi_in_the_corner() {
    // Pushed into the glass's top-left corner, as people do: it touches two edges.
    let (img, truth) = render(A5.0, A5.1, 150, BLACK, &[card(42.8, 27.0, 0.0)], 2);
    let crop = find_card(&img, &CropOptions::default()).unwrap();
    assert_near(&crop, truth[0], 2.0);
}

#[test]
fn slightly_turned_cards() {
    for (dpi, bg, angle, seed) in [
        (300, WHITE, 3.0, 3),
        (300, BLACK, -2.0, 4),
        (150, WHITE, -3.5, 5),
        (150, BLACK, 1.0, 6),
    ] {
        let (img, truth) = render(A5.0, A5.1, dpi, bg, &[card(80.0, 140.0, angle)], seed);
        let crop = find_card(&img, &CropOptions::default())
            .unwrap_or_else(|e| panic!("{dpi} dpi, {angle}°: {e}"));
        assert_near(&crop, truth[0], 3.0);
    }
}

#[test]
fn portrait_card_is_turned_to_landscape() {
    let (img, truth) = render(A5.0, A5.1, 150, WHITE, &[portrait_card(60.0, 90.0, 0.0)], 7);
    let found = crop_card(&img, &CropOptions::default()).unwrap();
    assert_near(&found.crop, truth[0], 2.0);
    assert!(found.crop.portrait);
    assert_eq!(
        (found.image.width, found.image.height),
        (found.crop.h, found.crop.w)
    );

    let keep = CropOptions {
        rotate_portrait: false,
        ..CropOptions::default()
    };
    let found = crop_card(&img, &keep).unwrap();
    assert_eq!(
        (found.image.width, found.image.height),
        (found.crop.w, found.crop.h)
    );
}

#[test]
fn empty_glass_has_no_card() {
    for bg in [WHITE, BLACK] {
        let (img, _) = render(A5.0, A5.1, 150, bg, &[], 8);
        assert_eq!(
            find_card(&img, &CropOptions::default()),
            Err(CropError::NoCardFound)
        );
    }
}

#[test]
fn a_speck_is_not_a_card() {
    let speck = Thing {
        cx: 70.0,
        cy: 100.0,
        w: 4.0,
        h: 3.0,
        angle_deg: 0.0,
        card: true,
        pale: false,
    };
    let (img, _) = render(A5.0, A5.1, 150, WHITE, &[speck], 9);
    assert_eq!(
        find_card(&img, &CropOptions::default()),
        Err(CropError::NoCardFound)
    );
}

#[test]
fn an_a4_sheet_is_not_card_sized() {
    // A sheet of paper on the black lid of a glass a little larger than A4.
    let sheet = Thing {
        cx: 110.0,
        cy: 155.0,
        w: 210.0,
        h: 297.0,
        angle_deg: 0.0,
        card: false,
        pale: false,
    };
    let (img, _) = render(230.0, 320.0, 50, BLACK, &[sheet], 10);
    match find_card(&img, &CropOptions::default()) {
        Err(CropError::NotCardSized { w_mm, h_mm }) => {
            assert!(
                (w_mm - 210.0).abs() < 3.0 && (h_mm - 297.0).abs() < 3.0,
                "{w_mm} × {h_mm}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Covering the whole scan area: only a known background can tell.
    let (img, _) = render(
        200.0,
        280.0,
        50,
        BLACK,
        &[Thing {
            cx: 100.0,
            cy: 140.0,
            ..sheet
        }],
        11,
    );
    let black = CropOptions {
        background: Background::Black,
        ..CropOptions::default()
    };
    assert!(matches!(
        find_card(&img, &black),
        Err(CropError::NotCardSized { .. })
    ));
}

#[test]
fn the_card_is_found_beside_a_sheet_and_specks() {
    let sheet = Thing {
        cx: 55.0,
        cy: 150.0,
        w: 90.0,
        h: 148.0,
        angle_deg: 0.0,
        card: false,
        pale: false,
    };
    let speck = Thing {
        cx: 140.0,
        cy: 30.0,
        w: 2.0,
        h: 2.0,
        angle_deg: 0.0,
        card: true,
        pale: false,
    };
    let (img, truth) = render(
        200.0,
        240.0,
        150,
        BLACK,
        &[sheet, card(150.0, 110.0, 0.0), speck],
        12,
    );
    let crop = find_card(&img, &CropOptions::default()).unwrap();
    assert_near(&crop, truth[1], 2.0);
}

#[test]
fn a_card_half_off_the_scan_area_is_not_card_sized() {
    let (img, _) = render(A5.0, A5.1, 150, WHITE, &[card(140.0, 100.0, 0.0)], 13);
    assert!(matches!(
        find_card(&img, &CropOptions::default()),
        Err(CropError::NotCardSized { .. })
    ));
}

#[test]
fn the_error_tells_the_citizen_what_to_do() {
    let e = CropError::NotCardSized {
        w_mm: 210.0,
        h_mm: 297.0,
    };
    assert!(e.to_string().contains("210 × 297 mm"));
    assert!(CropError::NoCardFound
        .to_string()
        .contains("place the card"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn found_wherever_it_lies(
        fx in 0.0f64..1.0,
        fy in 0.0f64..1.0,
        angle in -3.0f64..3.0,
        portrait in any::<bool>(),
        black in any::<bool>(),
        seed in any::<u32>(),
    ) {
        let t = if portrait { portrait_card(0.0, 0.0, angle) } else { card(0.0, 0.0, angle) };
        // Anywhere with the whole card (turned) on the glass, touching the edges or not.
        let (sin, cos) = angle.to_radians().sin_cos();
        let half_w = (t.w * cos.abs() + t.h * sin.abs()) / 2.0 + 0.5;
        let half_h = (t.w * sin.abs() + t.h * cos.abs()) / 2.0 + 0.5;
        let cx = half_w + fx * (A5.0 - 2.0 * half_w);
        let cy = half_h + fy * (A5.1 - 2.0 * half_h);
        let bg = if black { BLACK } else { WHITE };
        let (img, truth) = render(A5.0, A5.1, 100, bg, &[Thing { cx, cy, ..t }], seed);
        let crop = find_card(&img, &CropOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        assert_near(&crop, truth[0], 2.0);
        prop_assert_eq!(crop.portrait, portrait);
    }
}

#[test]
fn a_card_against_a_dark_strip_along_the_edge() {
    // The glass's frame shows as a dark strip down the left edge; the card is pushed against
    // it, so the two touch.
    let frame = Thing {
        cx: 1.5,
        cy: 105.0,
        w: 3.0,
        h: 210.0,
        angle_deg: 0.0,
        card: true,
        pale: false,
    };
    // A coloured strip on the white lid, a bright one on the black lid.
    for (dpi, bg, coloured) in [(300, WHITE, true), (150, WHITE, true), (150, BLACK, false)] {
        let frame = Thing {
            card: coloured,
            ..frame
        };
        let (img, truth) = render(A5.0, A5.1, dpi, bg, &[frame, card(45.8, 100.0, 0.0)], 14);
        let crop =
            find_card(&img, &CropOptions::default()).unwrap_or_else(|e| panic!("{dpi} dpi: {e}"));
        // The strip's width may stay on the left; the other edges are the card's.
        let strip = 3.0 * f64::from(dpi) / 25.4 + 2.0;
        assert!(f64::from(crop.x) <= truth[1].0 + 2.0, "{crop:?} {truth:?}");
        assert!(
            f64::from(crop.x) >= truth[1].0 - strip,
            "{crop:?} {truth:?}"
        );
        let right = f64::from(crop.x + crop.w);
        assert!((right - truth[1].2).abs() <= 3.0, "{crop:?} {truth:?}");
        assert!(
            (f64::from(crop.y) - truth[1].1).abs() <= 3.0,
            "{crop:?} {truth:?}"
        );
        assert!(
            (f64::from(crop.y + crop.h) - truth[1].3).abs() <= 3.0,
            "{crop:?} {truth:?}"
        );
    }
}

#[test]
fn a_very_pale_card_on_white_needs_a_lower_threshold() {
    let pale = Thing {
        pale: true,
        ..card(70.0, 100.0, 0.0)
    };
    let (img, truth) = render(A5.0, A5.1, 150, WHITE, &[pale], 15);
    // With the threshold from the noise only its photo and text stand out.
    assert!(matches!(
        find_card(&img, &CropOptions::default()),
        Err(CropError::NotCardSized { .. })
    ));
    // A kiosk with a clean lid can lower it (the noise here is ±8, the card 20 levels off).
    let low = CropOptions {
        threshold: Some(14),
        ..CropOptions::default()
    };
    let crop = find_card(&img, &low).unwrap();
    assert_near(&crop, truth[0], 2.0);
}
