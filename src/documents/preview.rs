//! What-you-see-is-what-prints previews: the very PDF bytes that go to the A4 printer,
//! rasterised by poppler's `pdftoppm` (Debian poppler-utils, a dependency of the package), so
//! the citizen checks the page that will come out, not a second drawing of it.
//!
//! The only module of [`crate::documents`] that does I/O: it runs a process. It takes a few
//! hundred milliseconds, so call it from a service's worker thread, never from the UI thread.
//! The PDF goes in on stdin and the picture comes back on stdout: nothing touches the disk.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use super::DocumentError;
use crate::events::RgbaImage;

/// The tallest preview asked for, in pixels (a 1080-line screen shows at most this).
pub const MAX_HEIGHT: u32 = 2400;

/// The first page of `pdf` as an image `height_px` tall (the width follows the page's
/// proportions: 707 px across for an A4 page 1000 px tall).
pub fn rasterise(pdf: &[u8], height_px: u32) -> Result<RgbaImage, DocumentError> {
    let height_px = height_px.clamp(16, MAX_HEIGHT);
    let mut child = Command::new("pdftoppm")
        .args([
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-scale-to-x",
            "-1",
            "-scale-to-y",
        ])
        .arg(height_px.to_string())
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| DocumentError::Image(format!("pdftoppm (poppler-utils) not started: {e}")))?;
    // Feed stdin from a thread: pdftoppm may start writing before it has read everything.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = pdf.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let mut png = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_end(&mut png);
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child
        .wait()
        .map_err(|e| DocumentError::Image(format!("pdftoppm: {e}")))?;
    let _ = feeder.join();
    read.map_err(|e| DocumentError::Image(format!("pdftoppm output: {e}")))?;
    if !status.success() || png.is_empty() {
        // pdftoppm's message names the PDF's structure, never its text.
        let first = err.lines().next().unwrap_or("").chars().take(120);
        return Err(DocumentError::Image(format!(
            "pdftoppm failed ({status}): {}",
            first.collect::<String>()
        )));
    }
    decode_png(&png)
}

fn decode_png(png: &[u8]) -> Result<RgbaImage, DocumentError> {
    let bad = |e: png::DecodingError| DocumentError::Image(format!("preview PNG: {e}"));
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| DocumentError::Image("preview PNG too large".into()))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let (w, h) = (info.width, info.height);
    let data = &buf[..info.buffer_size()];
    let pixels = match info.color_type {
        png::ColorType::Rgb => data
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::Rgba => data.to_vec(),
        png::ColorType::Grayscale => data.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::GrayscaleAlpha => data
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        other => {
            return Err(DocumentError::Image(format!(
                "preview PNG colour type {other:?}"
            )))
        }
    };
    Ok(RgbaImage {
        width: w,
        height: h,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::certificate::{self, CertificateKind};
    use crate::documents::samples;

    #[test]
    fn the_printed_pdf_is_what_the_preview_shows() {
        let pdf = certificate::render(
            &samples::certificate(CertificateKind::NoHousingProperty),
            crate::assets::A4_FONT,
        )
        .unwrap();
        let img = rasterise(&pdf, 1000).unwrap();
        assert_eq!(img.height, 1000);
        // A4's proportions: 210 / 297 of the height.
        assert!((img.width as i32 - 707).abs() <= 2, "{}", img.width);
        assert_eq!(img.pixels.len(), (img.width * img.height * 4) as usize);
        // Mostly white paper, with ink on it (the title, the text, the QR code).
        let dark = img.pixels.chunks_exact(4).filter(|p| p[0] < 100).count();
        let all = (img.width * img.height) as usize;
        assert!(dark > all / 200 && dark < all / 3, "{dark} of {all} dark");
    }

    #[test]
    fn garbage_is_a_clear_error_not_a_panic() {
        let e = rasterise(b"not a pdf at all", 500).unwrap_err();
        assert!(e.to_string().contains("pdftoppm"), "{e}");
        assert!(rasterise(&[], 500).is_err());
    }
}
