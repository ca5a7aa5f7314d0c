//! The virtual printer: an ESC/POS parser, a renderer to PNG, and [`SimPrinter`], which puts
//! both behind a pseudo-terminal or a TCP socket so the real driver can be exercised end to end.

mod parser;
mod render;
#[cfg(feature = "sim")]
mod sim;

pub use parser::{parse_all, Element, EscPosParser, ParserEvent, Receipt};
pub use render::{
    encode_png, paper_length_dots, render, FontData, RgbaImage, BASE_GLYPH_HEIGHT, PAPER_WIDTH,
};
#[cfg(feature = "sim")]
pub use sim::{PrintedReceipt, SimPrinter};
