//! A sample form's page images as an A4 PDF, one image per page filling it: the blank form
//! or the filled-in sample, as the platform drew them (the pre-filled form is laid out by
//! [`super::form`] instead, with the card's values in real text).

use super::pdf::{A4Page, RgbImage, PAGE_H, PAGE_W};
use super::DocumentError;

/// The pages, in order, each scaled to the whole A4 page (the images are A4's proportion).
pub fn render(title: &str, pages: &[RgbImage], font: &[u8]) -> Result<Vec<u8>, DocumentError> {
    if pages.is_empty() {
        return Err(DocumentError::Image("a form has at least one page".into()));
    }
    let mut p = A4Page::new(title, font)?;
    for (i, img) in pages.iter().enumerate() {
        if i > 0 {
            p.next_page();
        }
        // Fitted inside the page at the image's own proportion, centred.
        let scale = (PAGE_W / img.width as f32).min(PAGE_H / img.height as f32);
        let (w, h) = (img.width as f32 * scale, img.height as f32 * scale);
        p.image(img, (PAGE_W - w) / 2.0, (PAGE_H - h) / 2.0, w, h);
    }
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pdf_page_per_image() {
        let white = |w: u32, h: u32| RgbImage::new(w, h, vec![255; (w * h * 3) as usize]).unwrap();
        let pdf = render(
            "样表",
            &[white(124, 175), white(124, 175)],
            crate::assets::A4_FONT,
        )
        .unwrap();
        let doc = printpdf::lopdf::Document::load_mem(&pdf).unwrap();
        assert_eq!(doc.get_pages().len(), 2);
        assert!(render("样表", &[], crate::assets::A4_FONT).is_err());
    }
}
