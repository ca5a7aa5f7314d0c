//! The ID-card copy page: front and back at true size (85.6 × 54 mm, ISO/IEC 7810 ID-1) on one
//! A4 page, each with the "仅供…使用" overlay the citizen chose, so a copy given for one matter
//! cannot be reused for another.

use super::pdf::{A4Page, RgbImage, PAGE_W};
use super::DocumentError;

/// Card width in mm.
pub const CARD_W: f32 = 85.6;
/// Card height in mm.
pub const CARD_H: f32 = 54.0;
/// Top of the front side, mm from the page's top edge.
pub const FRONT_TOP: f32 = 45.0;
/// Top of the back side.
pub const BACK_TOP: f32 = 125.0;

/// The two scanned sides and the purpose the citizen picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCopy {
    /// The side with the photo (人像面).
    pub front: RgbImage,
    /// The side with the national emblem (国徽面).
    pub back: RgbImage,
    /// What the copy is for, e.g. `办理居住证`: the overlay reads `仅供办理居住证使用`.
    pub purpose: String,
}

impl IdCopy {
    /// The overlay text.
    pub fn overlay(&self) -> String {
        format!("仅供{}使用", self.purpose.trim())
    }
}

/// Lays the copy out as a one-page A4 PDF.
pub fn render(c: &IdCopy, font: &[u8]) -> Result<Vec<u8>, DocumentError> {
    let p = A4Page::new("居民身份证复印件", font)?;
    let x = (PAGE_W - CARD_W) / 2.0;
    let overlay = c.overlay();
    p.fill(0.0, 0.0, 0.0);
    p.text_centered("居民身份证复印件", 16.0, 30.0);
    for (img, top) in [(&c.front, FRONT_TOP), (&c.back, BACK_TOP)] {
        p.image(img, x, top, CARD_W, CARD_H);
        p.frame(x, top, CARD_W, CARD_H, 0.3);
        // Grey, across the card, over the image: it must not hide the data, only tie the copy
        // to its purpose.
        p.fill(0.55, 0.55, 0.55);
        p.text_rotated(&overlay, 15.0, x + CARD_W / 2.0, top + CARD_H / 2.0, 20.0);
        p.fill(0.0, 0.0, 0.0);
    }
    p.text_centered(
        &format!("{overlay}，再复印无效"),
        12.0,
        BACK_TOP + CARD_H + 14.0,
    );
    p.finish()
}
