//! The demo operator panel: stands in for a citizen's card and for a technician's hands.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{AppWindow, OperatorAdapter};

/// What the panel can do to the simulated devices.
pub trait DemoControls {
    /// Names on the sample cards, in order.
    fn card_names(&self) -> Vec<String>;
    /// Places sample card `index` on the simulated reader.
    fn place_card(&self, index: usize);
    /// Takes the card off the reader.
    fn remove_card(&self);
    /// Makes the simulated printer run out of paper, or restocks it.
    fn set_paper_out(&self, out: bool);
    /// Holds a code under the simulated QR scanner.
    fn scan_code(&self, which: DemoCode);
    /// Changes what lies on the simulated document scanner (card, nothing, lid open) and
    /// says which.
    fn cycle_glass(&self) -> String;
    /// Holds sample citizen `index`'s phone with a fresh e-ID code under the scanner (off
    /// the UI thread; the panel's button shows the first sample citizen's).
    fn show_eid_code(&self, index: usize);
    /// Reads the simulated SMS gateway's last message (off the UI thread) and hands a line
    /// for the panel (number masked) to `done`, on whatever thread.
    fn last_sms(&self, done: Box<dyn FnOnce(String) + Send>);
    /// The citizen's phone on the newest open traffic-fine order: pays (0), is refused by
    /// the payment app (1) or lets it run out of time (2). Must not block.
    fn settle_payment(&self, outcome: i32);
}

/// Codes the panel can scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoCode {
    /// A receipt of the hall, correctly signed.
    Receipt,
    /// A receipt with an altered number and a wrong signature.
    Forged,
    /// Some shop's QR code.
    Foreign,
}

/// Wires the panel to the simulators.
pub fn connect(window: &AppWindow, controls: Rc<dyn DemoControls>) {
    let op = window.global::<OperatorAdapter>();
    let names: Vec<SharedString> = controls.card_names().into_iter().map(Into::into).collect();
    op.set_cards(ModelRc::new(VecModel::from(names)));
    let c = controls.clone();
    op.on_place_card(move |i| c.place_card(i.max(0) as usize));
    let c = controls.clone();
    op.on_remove_card(move || c.remove_card());
    let c = controls.clone();
    op.on_scan_code(move |i| {
        c.scan_code(match i {
            0 => DemoCode::Receipt,
            1 => DemoCode::Forged,
            _ => DemoCode::Foreign,
        })
    });
    let c = controls.clone();
    op.on_show_eid_code(move |i| c.show_eid_code(i.max(0) as usize));
    let c = controls.clone();
    let weak = window.as_weak();
    op.on_read_last_sms(move || {
        let weak = weak.clone();
        c.last_sms(Box::new(move |line| {
            let _ = weak.upgrade_in_event_loop(move |w| {
                w.global::<OperatorAdapter>().set_last_sms(line.into())
            });
        }));
    });
    let c = controls.clone();
    let weak = window.as_weak();
    op.on_cycle_glass(move || {
        let state = c.cycle_glass();
        if let Some(w) = weak.upgrade() {
            w.global::<OperatorAdapter>().set_glass(state.into());
        }
    });
    let c = controls.clone();
    op.on_settle_payment(move |i| c.settle_payment(i));
    let weak = window.as_weak();
    op.on_toggle_paper_out(move || {
        if let Some(w) = weak.upgrade() {
            let op = w.global::<OperatorAdapter>();
            let out = !op.get_paper_out();
            op.set_paper_out(out);
            controls.set_paper_out(out);
        }
    });
}
