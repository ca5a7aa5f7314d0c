//! QR codes drawn for the screen.

use slint::{Rgba8Pixel, SharedPixelBuffer};

/// `text` as a QR code image (dark modules on white, 8 px each, a 4-module quiet zone).
pub fn qr_image(text: &str) -> slint::Image {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return slint::Image::default();
    };
    let modules = code.width() as u32;
    let quiet = 4;
    let scale = 8;
    let side = (modules + 2 * quiet) * scale;
    let mut buffer = SharedPixelBuffer::<Rgba8Pixel>::new(side, side);
    let colors = code.to_colors();
    for (i, px) in buffer.make_mut_slice().iter_mut().enumerate() {
        let x = (i as u32 % side) / scale;
        let y = (i as u32 / side) / scale;
        let dark = x >= quiet
            && y >= quiet
            && x < quiet + modules
            && y < quiet + modules
            && colors[((y - quiet) * modules + (x - quiet)) as usize] == qrcode::Color::Dark;
        let v = if dark { 0 } else { 255 };
        *px = Rgba8Pixel::new(v, v, v, 255);
    }
    slint::Image::from_rgba8(buffer)
}
