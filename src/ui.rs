//! The only code that touches Slint globals, with each citizen service's own adapter in
//! `crate::services::<name>::adapter`. The generated types live in [`generated`], which alone
//! carries the lint allowance that generated code needs.

#[allow(clippy::all, missing_docs, unused_qualifications)]
mod generated {
    slint::include_modules!();
}
pub use generated::*;

mod app_adapter;
mod identify_adapter;
pub use app_adapter::{on_router, on_router_with};
mod operator_adapter;
mod qr;
mod rating_adapter;
mod staff_adapter;
mod technician_adapter;
#[cfg(test)]
mod theme_contrast;

pub use app_adapter::{
    connect as connect_app, monotonic_clock, DeviceFaults, KioskUi, SessionClock, UiSink,
};
pub use operator_adapter::{connect as connect_operator, DemoCode, DemoControls};
pub use qr::qr_image;
pub use staff_adapter::{connect as connect_staff, StaffUi};
pub use technician_adapter::{connect as connect_technician, TechnicianUi};

/// A domain picture (receipt, card photo, scanned side) as a Slint image.
pub fn slint_image(img: &crate::app::RgbaImage) -> slint::Image {
    let buffer = slint::SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(
        &img.pixels,
        img.width,
        img.height,
    );
    slint::Image::from_rgba8(buffer)
}
