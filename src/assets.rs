//! Fonts and images built into the binary, for every room that lays out or renders text:
//! the A4 documents (`documents`), the copy service's PDF, the `doc` tool and the demo's
//! simulators. They live here, not in `demo`, so that nothing in the product depends on the
//! demo.

/// The CJK font receipts and A4 pages are laid out with (WenQuanYi Micro Hei, the one the UI
/// embeds through `ui/theme.slint`; licence in `assets/fonts/README.md`).
pub static RECEIPT_FONT: &[u8] = include_bytes!("../assets/fonts/wqy-microhei.ttc");

/// The font of A4 pages (certificates, forms, the ID-card copy): the same CJK font, named
/// for what it is used for.
pub static A4_FONT: &[u8] = RECEIPT_FONT;
