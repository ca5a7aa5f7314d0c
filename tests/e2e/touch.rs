//! Touch targets (issue 17): every button and switch on the citizen screens is at least 20 mm on each
//! side on the configured panel (`[display] diagonal_inch`, default 21.5", the smallest
//! common kiosk panel: 20 mm is 81 px of a 1920x1080 window there), and none runs under the
//! footer or off the window (a clipped key is no key). Walked over the attract
//! screen, the menu and the first page of every service on the menu, on the element tree of
//! the real window (Slint's testing backend).

use i_slint_backend_testing::{AccessibleRole, ElementQuery};
use slint::{ComponentHandle, Model};

use crate::rig::{Page, Rig};

/// Buttons and switches on screen now that a citizen cannot use whole: smaller than `min` px
/// on a side, or running under the footer (its Back and Finish bar covers them) or off the
/// window's edge. "where: label (w x h at x,y): why".
fn misplaced_buttons(rig: &Rig, min: f32, page: &str) -> Vec<String> {
    let buttons = ElementQuery::from_root(rig.kiosk.window())
        .match_descendants()
        .match_predicate(|e| {
            matches!(
                e.accessible_role(),
                Some(AccessibleRole::Button | AccessibleRole::Checkbox)
            )
        })
        .find_all();
    // Lists that scroll: a row at their edge is cut on purpose; the list itself must be
    // clear of the footer.
    let lists: Vec<(f32, f32, f32, f32)> = ElementQuery::from_root(rig.kiosk.window())
        .match_descendants()
        .match_predicate(|e| e.accessible_role() == Some(AccessibleRole::List))
        .find_all()
        .iter()
        .map(|e| {
            let (p, s) = (e.absolute_position(), e.size());
            (p.x, p.y, p.x + s.width, p.y + s.height)
        })
        .collect();
    let in_list = |x: f32, y: f32| {
        lists
            .iter()
            .any(|&(l, t, r, b)| (l..=r).contains(&x) && (t..=b).contains(&y))
    };
    let w = rig.kiosk.window().window();
    let window = w.size().to_logical(w.scale_factor());
    let footer_top = crate::layout::footer_top(rig).unwrap_or(window.height);
    let cut_lists = lists
        .iter()
        .filter(|&&(_, t, _, b)| t < footer_top && b > footer_top + 0.5)
        .map(|&(l, t, r, b)| {
            format!(
                "{page}: a list ({:.0} x {:.0} px at {l:.0},{t:.0}): runs under the footer",
                r - l,
                b - t
            )
        });
    buttons
        .iter()
        .filter_map(|e| {
            let s = e.size();
            // A button not laid out (an empty repeater's template, a collapsed branch) is
            // not on screen.
            let shown = s.width > 0.0 && s.height > 0.0;
            let p = e.absolute_position();
            let why = if s.width + 0.5 < min || s.height + 0.5 < min {
                "under 20 mm"
            } else if p.y < footer_top
                && p.y + s.height > footer_top + 0.5
                && !in_list(p.x + s.width / 2.0, p.y + 1.0)
            {
                "runs under the footer"
            } else if p.x + s.width > window.width + 0.5 || p.y + s.height > window.height + 0.5 {
                "off the window"
            } else {
                return None;
            };
            // (One element is found once per component it inherits: named by where it is.)
            shown.then(|| {
                format!(
                    "{page}: {:?} ({:.0} x {:.0} px at {:.0},{:.0}): {why}",
                    e.accessible_label().unwrap_or_default().to_string(),
                    s.width,
                    s.height,
                    p.x,
                    p.y
                )
            })
        })
        .chain(cut_lists)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

pub(crate) fn place_card(rig: &Rig) {
    let card = idcard::sim::sample_cards().remove(0);
    rig.reader().place_card(card);
    rig.wait_for("the menu", |r| r.page() == Page::Menu);
}

pub(crate) fn take_card(rig: &Rig) {
    rig.reader().remove_card();
    let polled = rig.reader().commands_received();
    rig.wait_for("the reader to see the card gone", |r| {
        r.reader().commands_received() >= polled + 2
    });
}

#[test]
fn every_button_of_the_citizen_screens_is_at_least_20_mm_and_clear_of_the_footer() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start_configured(|c| c.devices.idcard_poll_ms = 20);
        rig.wait_until_ready();
        let size = rig.kiosk.window().window().size();
        let min_px = (kiosk::config::DisplayConfig::default()
            .px_per_mm(f64::from(size.width), f64::from(size.height))
            * 20.0) as f32;
        assert!(min_px > 80.0, "20 mm is {min_px} px");

        let mut small = misplaced_buttons(&rig, min_px, "attract");
        place_card(&rig);
        small.extend(misplaced_buttons(&rig, min_px, "menu"));
        let titles: Vec<String> = rig
            .kiosk
            .window()
            .global::<kiosk::ui::MenuAdapter>()
            .get_entries()
            .iter()
            .filter(|e| e.unavailable == kiosk::ui::Unavailable::None)
            .map(|e| e.title.to_string())
            .collect();
        assert!(titles.len() >= 8, "{titles:?}");
        for title in &titles {
            rig.tap(title);
            crate::sample_sessions::settle(&rig);
            small.extend(misplaced_buttons(&rig, min_px, title));
            rig.tap("结束办理");
            rig.wait_for("the attract screen", |r| r.page() == Page::Attract);
            take_card(&rig);
            place_card(&rig);
        }
        assert!(
            small.is_empty(),
            "{} buttons under 20 mm ({min_px:.0} px), under the footer or off the window:\n{}",
            small.len(),
            small.join("\n")
        );
    });
}
