//! The window as a whole: page switching, language, clock, platform link, idle countdown, and
//! the bridge that brings background events onto the UI thread.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Rgba8Pixel, SharedPixelBuffer, Timer, TimerMode};

use super::{AppAdapter, AppWindow, OperatorAdapter, PageId, TicketAdapter};
use crate::app::{EventSink, KioskEvent, Page, SessionController, TicketService};

/// The language shown when nobody is being served.
const DEFAULT_LANGUAGE: &str = "zh_CN";

thread_local! {
    // Background events are delivered to whichever kiosk UI lives on this (the UI) thread.
    static HANDLER: RefCell<Option<Rc<dyn Fn(KioskEvent)>>> = RefCell::new(None);
}

/// Sends events to the UI thread through Slint's event loop; never blocks the sender.
#[derive(Clone)]
pub struct UiSink {
    window: slint::Weak<AppWindow>,
}

impl UiSink {
    /// A sink that delivers to the UI of `window`'s thread.
    pub fn from_window(window: &AppWindow) -> Self {
        Self {
            window: window.as_weak(),
        }
    }
}

impl EventSink for UiSink {
    fn send(&self, event: KioskEvent) {
        // Fails only when the window is gone (shutting down): nothing left to show it on.
        let _ = self.window.upgrade_in_event_loop(move |_| {
            let handler = HANDLER.with(|h| h.borrow().clone());
            if let Some(handler) = handler {
                handler(event);
            }
        });
    }
}

/// Time since start for the session rules (idle timer, done screen). Monotonic in the
/// kiosk; tests pass Slint's mock clock so no test waits for real seconds.
pub type SessionClock = Rc<dyn Fn() -> Duration>;

/// A monotonic clock starting now.
pub fn monotonic_clock() -> SessionClock {
    let start = std::time::Instant::now();
    Rc::new(move || start.elapsed())
}

/// The UI's state on the UI thread: the window, the session controller, the language.
pub struct KioskUi<S: TicketService> {
    window: slint::Weak<AppWindow>,
    controller: RefCell<SessionController<S>>,
    english: Cell<bool>,
    last_page: Cell<Page>,
    ticker: Timer,
    clock: SessionClock,
    // The follow-the-queue QR of the ticket on screen, drawn once per ticket, not on every
    // re-render (each touch re-renders).
    follow_qr: RefCell<Option<(String, slint::Image)>>,
}

impl<S: TicketService + 'static> KioskUi<S> {
    /// Runs `f` on the controller with the current time, then re-renders.
    pub fn update(&self, f: impl FnOnce(&mut SessionController<S>, Duration)) {
        let now = (self.clock)();
        f(&mut self.controller.borrow_mut(), now);
        self.render();
    }

    /// Read access to the controller (tests, diagnostics).
    pub fn with_controller<R>(&self, f: impl FnOnce(&SessionController<S>) -> R) -> R {
        f(&self.controller.borrow())
    }

    /// A sink for background threads.
    pub fn sink(&self) -> UiSink {
        UiSink {
            window: self.window.clone(),
        }
    }

    fn set_english(&self, english: bool) {
        self.english.set(english);
        let lang = if english { "" } else { DEFAULT_LANGUAGE };
        if let Err(e) = slint::select_bundled_translation(lang) {
            tracing::warn!("cannot select translation {lang:?}: {e:?}");
        }
    }

    fn render(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let c = self.controller.borrow();
        let page = c.page();
        if page == Page::Attract && self.last_page.get() != Page::Attract && self.english.get() {
            // The next citizen starts in Chinese.
            self.set_english(false);
        }
        self.last_page.set(page);
        let app = window.global::<AppAdapter>();
        app.set_english(self.english.get());
        app.set_page(match page {
            Page::Attract => PageId::Attract,
            Page::Menu => PageId::Menu,
            Page::AreaSelect => PageId::AreaSelect,
            Page::Phone => PageId::Phone,
            Page::Printing => PageId::Printing,
            Page::TicketDone => PageId::TicketDone,
            Page::Problem => PageId::Problem,
            Page::Progress => PageId::Progress,
            Page::CaseEntry => PageId::CaseEntry,
            Page::ProgressResult => PageId::ProgressResult,
            Page::CopyPurpose => PageId::CopyPurpose,
            Page::CopyScan => PageId::CopyScan,
            Page::CopyPreview => PageId::CopyPreview,
            Page::CopyDone => PageId::CopyDone,
        });
        app.set_countdown(c.countdown().map(|s| s as i32).unwrap_or(0));
        super::session_adapter::render(&window, &c, self.english.get());
        super::services_adapter::render(&window, &c, self.english.get());
        let qr = match c.ticket() {
            Some(t) => {
                let mut cached = self.follow_qr.borrow_mut();
                if cached.as_ref().is_none_or(|(url, _)| url != &t.follow_url) {
                    *cached = Some((t.follow_url.clone(), qr_image(&t.follow_url)));
                }
                cached
                    .as_ref()
                    .map(|(_, img)| img.clone())
                    .unwrap_or_default()
            }
            None => {
                self.follow_qr.borrow_mut().take();
                slint::Image::default()
            }
        };
        window.global::<TicketAdapter>().set_follow_qr(qr);
    }

    fn handle(&self, event: KioskEvent) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        // The staff screen's share (and cards held back while out of service).
        if super::staff_adapter::intercept(&event) {
            return;
        }
        match event {
            KioskEvent::CardRead(citizen) => self.update(|c, now| c.card_read(citizen, now)),
            KioskEvent::CardRefused(notice) => self.update(|c, now| c.card_refused(notice, now)),
            KioskEvent::TicketFinished(outcome) => {
                self.update(|c, now| c.ticket_finished(outcome, now))
            }
            KioskEvent::Catalog {
                hall_zh,
                hall_en,
                areas,
            } => {
                let app = window.global::<AppAdapter>();
                app.set_hall_name_zh(hall_zh.into());
                app.set_hall_name_en(hall_en.into());
                self.update(|c, _| c.set_areas(areas));
            }
            KioskEvent::CodeScanned(code) => self.update(|c, now| c.code_scanned(code, now)),
            KioskEvent::CaseAnswer(outcome) => self.update(|c, now| c.case_answer(outcome, now)),
            KioskEvent::CopyScanned(side, result) => {
                self.update(|c, now| c.copy_scanned(side, result, now))
            }
            KioskEvent::CopyPrinted(result) => self.update(|c, now| c.copy_printed(result, now)),
            KioskEvent::SyncStatus(s) => window.global::<AppAdapter>().set_online(s.online),
            KioskEvent::Staff(_) => {}
            KioskEvent::ReceiptPrinted(img) => window
                .global::<OperatorAdapter>()
                .set_last_receipt(super::slint_image(&img)),
            KioskEvent::OperatorStatus(line) => {
                window.global::<OperatorAdapter>().set_status(line.into())
            }
        }
    }

    fn tick(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let now = crate::clock::hall_now();
        let app = window.global::<AppAdapter>();
        app.set_time(now.format("%H:%M").to_string().into());
        app.set_date_zh(date_zh(now.date_naive()).into());
        app.set_date_en(now.format("%a %-d %b %Y").to_string().into());
        let changed = self.controller.borrow_mut().tick((self.clock)());
        if changed {
            self.render();
        }
    }
}

/// `2026年11月24日 星期二`.
fn date_zh(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    format!(
        "{}年{}月{}日 星期{}",
        d.year(),
        d.month(),
        d.day(),
        DAYS[d.weekday().num_days_from_monday() as usize]
    )
}

/// The follow-the-queue QR code as an image (dark modules on white, 8 px each).
fn qr_image(url: &str) -> slint::Image {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M) else {
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

/// Builds the UI state, wires the window-level callbacks and the background-event bridge,
/// and starts the clock. The returned `Rc` must live as long as the window.
pub fn connect<S: TicketService + 'static>(
    window: &AppWindow,
    controller: SessionController<S>,
    demo: bool,
    clock: SessionClock,
) -> Rc<KioskUi<S>> {
    let ui = Rc::new(KioskUi {
        window: window.as_weak(),
        controller: RefCell::new(controller),
        english: Cell::new(false),
        last_page: Cell::new(Page::Attract),
        ticker: Timer::default(),
        clock,
        follow_qr: RefCell::new(None),
    });
    ui.set_english(false);

    let app = window.global::<AppAdapter>();
    app.set_demo(demo);
    let weak = Rc::downgrade(&ui);
    app.on_toggle_language(move || {
        if let Some(ui) = weak.upgrade() {
            ui.set_english(!ui.english.get());
            ui.update(|c, now| c.touch(now));
        }
    });
    let weak = Rc::downgrade(&ui);
    app.on_touched(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| c.touch(now));
        }
    });
    let weak = Rc::downgrade(&ui);
    app.on_back(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| c.back(now));
        }
    });
    let weak = Rc::downgrade(&ui);
    app.on_finish(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, _| c.finish());
        }
    });
    let weak_window = window.as_weak();
    app.on_toggle_operator_panel(move || {
        if let Some(w) = weak_window.upgrade() {
            let op = w.global::<OperatorAdapter>();
            op.set_open(!op.get_open());
        }
    });

    super::session_adapter::connect(window, &ui);
    super::services_adapter::connect(window, &ui);

    let weak = Rc::downgrade(&ui);
    let handler: Rc<dyn Fn(KioskEvent)> = Rc::new(move |event| {
        if let Some(ui) = weak.upgrade() {
            ui.handle(event);
        }
    });
    HANDLER.with(|h| *h.borrow_mut() = Some(handler));

    let weak = Rc::downgrade(&ui);
    ui.ticker
        .start(TimerMode::Repeated, Duration::from_millis(250), move || {
            if let Some(ui) = weak.upgrade() {
                ui.tick();
            }
        });
    ui.tick();
    ui.render();
    ui
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_date() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(date_zh(d), "2026年11月24日 星期二");
    }
}
