//! The only code that touches Slint globals. `include_modules!` keeps the generated types in
//! this module; each `*_adapter.rs` maps domain state to one page's global and wires its
//! callbacks to the session controller.

#![allow(clippy::all, missing_docs)]
slint::include_modules!();

mod app_adapter;
mod operator_adapter;
mod services_adapter;
mod session_adapter;
mod staff_adapter;

pub use app_adapter::{connect as connect_app, monotonic_clock, KioskUi, SessionClock, UiSink};
pub use operator_adapter::{connect as connect_operator, DemoCode, DemoControls};
pub use staff_adapter::{connect as connect_staff, StaffUi};

/// A domain picture (receipt, card photo) as a Slint image.
fn slint_image(img: &crate::app::RgbaImage) -> slint::Image {
    let buffer = slint::SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(
        &img.pixels,
        img.width,
        img.height,
    );
    slint::Image::from_rgba8(buffer)
}
