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
pub use staff_adapter::{connect as connect_staff, StaffUi, VoiceHook};
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

thread_local! {
    /// Whether the mouse cursor is shown: hidden on the citizen screens (a touchscreen has
    /// nothing to point with; a mouse someone plugged in is no help to the next citizen),
    /// shown while the technician screen is open.
    static CURSOR_SHOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes `window` a kiosk's window: a close request (Alt+F4, the compositor's or a window
/// manager's close) keeps it shown, and the mouse cursor is hidden whenever the pointer
/// enters it or it gets the focus (winit creates the window when the event loop starts, so
/// the cursor is set from winit's own events). Call [`allow_close`] for a developer's window.
/// Lays the window out for how its panel stands (`[display] orientation`): the pages read
/// `Theme.portrait`, and the window takes the orientation's size.
pub fn stand(window: &AppWindow, orientation: crate::config::Orientation) {
    let portrait = orientation == crate::config::Orientation::Portrait;
    window.global::<Theme>().set_portrait(portrait);
    let (width, height) = orientation.window_size();
    window
        .window()
        .set_size(slint::LogicalSize::new(width, height));
}

/// How the window was stood by [`stand`].
pub fn orientation(window: &AppWindow) -> crate::config::Orientation {
    if window.global::<Theme>().get_portrait() {
        crate::config::Orientation::Portrait
    } else {
        crate::config::Orientation::Landscape
    }
}

pub fn guard_window(window: &AppWindow) {
    use slint::winit_030::{winit::event::WindowEvent, EventResult, WinitWindowAccessor};
    let w = window.window();
    // A new window starts on the attract screen: cursor hidden.
    CURSOR_SHOWN.with(|c| c.set(false));
    w.on_close_requested(|| {
        tracing::info!("a request to close the kiosk's window was refused");
        slint::CloseRequestResponse::KeepWindowShown
    });
    w.on_winit_window_event(|w, event| {
        if matches!(
            event,
            WindowEvent::CursorEntered { .. }
                | WindowEvent::Focused(true)
                | WindowEvent::Resized(_)
        ) {
            let shown = CURSOR_SHOWN.with(|c| c.get());
            w.with_winit_window(|ww| ww.set_cursor_visible(shown));
        }
        EventResult::Propagate
    });
}

/// Lets a close request close `window`: the demo in a window on a developer's desktop.
pub fn allow_close(window: &AppWindow) {
    window
        .window()
        .on_close_requested(|| slint::CloseRequestResponse::HideWindow);
}

/// Shows or hides the mouse cursor over the kiosk's window (the technician screen shows it).
pub fn show_cursor(window: &AppWindow, shown: bool) {
    use slint::winit_030::WinitWindowAccessor;
    if CURSOR_SHOWN.with(|c| c.replace(shown)) != shown {
        window
            .window()
            .with_winit_window(|w| w.set_cursor_visible(shown));
    }
}

/// Whether the mouse cursor is meant to be shown now (tests).
pub fn cursor_shown() -> bool {
    CURSOR_SHOWN.with(|c| c.get())
}
