//! Both orientations (issue 17): the panel stands landscape (1920x1080) or portrait
//! (1080x1920), chosen by `[display] orientation`, and no text is cut or runs out of its
//! place in either. Walked in Chinese and in English over the attract screen, the menu, the
//! first page of every service and every error page, laid out with the kiosk's fonts by
//! Slint's software renderer (the testing backend's headless one, as the kiosk draws).
//!
//! A text is out of its place when its box (the text's own, as laid out: Slint never
//! squeezes a text below its longest word or its lines) leaves the window, runs out of the
//! button it is in, or runs from the page under the footer. With `SCREENS_OUT` set, each
//! page walked is also drawn there as `<orientation>-<page>[-en].png` (scripts/screenshots).

use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use kiosk::config::Orientation;
use kiosk::ui::AppAdapter;
use slint::{ComponentHandle, Model};

use crate::rig::{Page, Rig};

/// A box on screen: left, top, right, bottom.
type Area = (f32, f32, f32, f32);

fn area(e: &ElementHandle) -> Area {
    let (p, s) = (e.absolute_position(), e.size());
    (p.x, p.y, p.x + s.width, p.y + s.height)
}

fn inside(inner: Area, outer: Area) -> bool {
    const SLACK: f32 = 0.5;
    inner.0 + SLACK >= outer.0
        && inner.1 + SLACK >= outer.1
        && inner.2 <= outer.2 + SLACK
        && inner.3 <= outer.3 + SLACK
}

fn is_text(e: &ElementHandle) -> bool {
    e.type_name().is_some_and(|t| t == "Text")
}

/// The top of the footer (the session's Back, Main menu and Finish), when it shows.
pub fn footer_top(rig: &Rig) -> Option<f32> {
    ElementQuery::from_root(rig.kiosk.window())
        .match_descendants()
        .match_predicate(|e| {
            e.accessible_role() == Some(AccessibleRole::Groupbox)
                && e.accessible_label()
                    .is_some_and(|l| l == "本次办理" || l == "This session")
                && e.size().height > 0.0
        })
        .find_first()
        .map(|e| e.absolute_position().y)
}

/// The texts on screen now that are out of their place: "page: text (box): why".
pub fn misplaced_texts(rig: &Rig, page: &str) -> Vec<String> {
    let root = rig.kiosk.window();
    let shown = |e: &ElementHandle| {
        let s = e.size();
        s.width > 0.0 && s.height > 0.0 && e.computed_opacity() > 0.0
    };
    let texts: Vec<ElementHandle> = ElementQuery::from_root(root)
        .match_descendants()
        .match_predicate(is_text)
        .find_all()
        .into_iter()
        .filter(|e| shown(e) && e.accessible_label().is_some_and(|l| !l.trim().is_empty()))
        .collect();
    // Each button with what it says (its label, description and value): a text in a
    // button that says it is that button's text; one that does not (an amount drawn over a
    // chart's bar) is the page's.
    let buttons: Vec<(Area, String)> = ElementQuery::from_root(root)
        .match_descendants()
        .match_predicate(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .find_all()
        .iter()
        .filter(|e| shown(e))
        .map(|e| {
            let says = [
                e.accessible_label(),
                e.accessible_description(),
                e.accessible_value(),
            ]
            .into_iter()
            .flatten()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("\n");
            (area(e), says)
        })
        .collect();
    // Lists that scroll: what runs past their edge is scrolled to, not cut.
    let lists: Vec<Area> = ElementQuery::from_root(root)
        .match_descendants()
        .match_predicate(|e| e.accessible_role() == Some(AccessibleRole::List))
        .find_all()
        .iter()
        .filter(|e| shown(e))
        .map(area)
        .collect();
    let w = root.window();
    let window = {
        let s = w.size().to_logical(w.scale_factor());
        (0.0, 0.0, s.width, s.height)
    };
    let footer_top = footer_top(rig).unwrap_or(f32::INFINITY);
    let mut out = std::collections::BTreeSet::new();
    for t in &texts {
        let a = area(t);
        let label = t.accessible_label().unwrap_or_default().to_string();
        // Where the text starts: the middle of its first line (a text that runs out of its
        // button runs out of its bottom or its sides).
        let start = ((a.0 + a.2) / 2.0, a.1 + 2.0);
        // The smallest button the text starts in, when the text is that button's.
        let button = buttons
            .iter()
            .filter(|(b, _)| (b.0..=b.2).contains(&start.0) && (b.1..=b.3).contains(&start.1))
            .min_by(|(x, _), (y, _)| {
                ((x.2 - x.0) * (x.3 - x.1)).total_cmp(&((y.2 - y.0) * (y.3 - y.1)))
            })
            .filter(|(_, says)| says.contains(label.trim()))
            .map(|(b, _)| b);
        // In a list's column, from its top down: scrolled content.
        let scrolled = lists
            .iter()
            .any(|l| a.0 + 0.5 >= l.0 && a.2 <= l.2 + 0.5 && a.1 + 0.5 >= l.1);
        let why = if scrolled && button.is_none_or(|&b| inside(a, b)) {
            continue;
        } else if !inside(a, window) {
            "leaves the window"
        } else if button.is_some_and(|&b| !inside(a, b)) {
            "runs out of its button"
        } else if a.1 < footer_top && a.3 > footer_top + 0.5 {
            "runs under the footer"
        } else {
            continue;
        };
        out.insert(format!(
            "{page}: {label:?} ({:.0} x {:.0} at {:.0},{:.0}): {why}",
            a.2 - a.0,
            a.3 - a.1,
            a.0,
            a.1
        ));
    }
    out.into_iter().collect()
}

/// The header's and the footer's buttons (the shell's, on every citizen page).
const SHELL_BUTTONS: [&str; 13] = [
    "再听一遍语音提示",
    "Hear the instructions again",
    "语音提示开关",
    "Voice guidance on or off",
    "呼叫工作人员",
    "Call staff",
    "中文 / English",
    "返回",
    "Back",
    "主菜单",
    "Main menu",
    "结束办理",
    "Finish and exit",
];

/// The page's own buttons on screen, whole in the window (a page whose choices did not lay
/// out has none).
fn page_buttons(rig: &Rig) -> usize {
    let w = rig.kiosk.window().window();
    let s = w.size().to_logical(w.scale_factor());
    ElementQuery::from_root(rig.kiosk.window())
        .match_descendants()
        .match_predicate(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .find_all()
        .iter()
        .filter(|e| {
            let a = area(e);
            a.2 > a.0
                && a.3 > a.1
                && inside(a, (0.0, 0.0, s.width, s.height))
                && !e
                    .accessible_label()
                    .is_some_and(|l| SHELL_BUTTONS.contains(&l.as_str()))
        })
        .count()
}

/// Where the walk's pictures go, when they are wanted.
fn screens_out() -> Option<std::path::PathBuf> {
    std::env::var_os("SCREENS_OUT").map(std::path::PathBuf::from)
}

fn orientation_name(o: Orientation) -> &'static str {
    match o {
        Orientation::Landscape => "landscape",
        Orientation::Portrait => "portrait",
    }
}

/// Checks the page on screen now, and draws it when pictures are wanted and `draw`.
fn look(
    rig: &Rig,
    o: Orientation,
    english: bool,
    page: &str,
    draw: bool,
    faults: &mut Vec<String>,
) {
    let name = format!(
        "{}-{page}{}",
        orientation_name(o),
        if english { "-en" } else { "" }
    );
    faults.extend(misplaced_texts(rig, &name));
    if let (Some(dir), true) = (screens_out(), draw) {
        std::fs::create_dir_all(&dir).unwrap();
        rig.snapshot(&dir.join(format!("{name}.png")));
    }
}

use crate::touch::{place_card, take_card};

/// How the session is seen: as it starts, in elderly mode, or in high contrast.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    Elderly,
    HighContrast,
}

impl Mode {
    fn suffix(self) -> &'static str {
        match self {
            Mode::Plain => "",
            Mode::Elderly => "-elderly",
            Mode::HighContrast => "-contrast",
        }
    }
}

/// The attract screen, the menu and the first page of every service, the real way.
fn walk_services(rig: &Rig, o: Orientation, english: bool, mode: Mode, faults: &mut Vec<String>) {
    let finish = if english {
        "Finish and exit"
    } else {
        "结束办理"
    };
    let toggle = |rig: &Rig| match mode {
        Mode::Plain => {}
        Mode::Elderly => rig.tap(if english {
            "Elderly mode"
        } else {
            "长辈模式"
        }),
        Mode::HighContrast => rig.tap(if english {
            "High contrast"
        } else {
            "高对比度"
        }),
    };
    let enter = |rig: &Rig| {
        place_card(rig);
        if english {
            rig.tap("中文 / English");
            rig.pump();
        }
        toggle(rig);
        rig.pump();
    };
    let m = mode.suffix();
    if english {
        rig.tap("中文 / English");
        rig.pump();
    }
    toggle(rig);
    rig.pump();
    look(rig, o, english, &format!("attract{m}"), true, faults);
    // Back to how a session starts (a card starts it in Chinese, as it is).
    toggle(rig);
    if english {
        rig.tap("中文 / English");
    }
    rig.pump();
    enter(rig);
    look(rig, o, english, &format!("menu{m}"), true, faults);
    let entries: Vec<(String, String)> = rig
        .kiosk
        .window()
        .global::<kiosk::ui::MenuAdapter>()
        .get_entries()
        .iter()
        .filter(|e| e.unavailable == kiosk::ui::Unavailable::None)
        .map(|e| (e.title.to_string(), format!("{:?}", e.id).to_lowercase()))
        .collect();
    assert!(entries.len() >= 8, "{entries:?}");
    for (title, id) in &entries {
        // Elderly mode shows the menu a few tiles a page.
        for _ in 0..5 {
            if ElementHandle::find_by_accessible_label(rig.kiosk.window(), title.as_str())
                .any(|e| e.size().width > 0.0)
            {
                break;
            }
            rig.tap(if english {
                "More services"
            } else {
                "更多服务"
            });
            rig.pump();
        }
        rig.tap(title);
        crate::sample_sessions::settle(rig);
        look(rig, o, english, &format!("service-{id}{m}"), true, faults);
        if page_buttons(rig) == 0 {
            faults.push(format!(
                "{}-service-{id}{m}: no button of the page on screen",
                orientation_name(o)
            ));
        }
        rig.tap(finish);
        rig.wait_for("the attract screen", |r| r.page() == Page::Attract);
        take_card(rig);
        enter(rig);
    }
    rig.tap(finish);
    rig.wait_for("the attract screen", |r| r.page() == Page::Attract);
    take_card(rig);
}

/// Every error page of every service (the error walk's pages, tests/e2e/errors.rs).
fn walk_errors(rig: &Rig, o: Orientation, english: bool, faults: &mut Vec<String>) {
    let window = rig.kiosk.window();
    slint::select_bundled_translation(if english { "" } else { "zh_CN" }).unwrap();
    window.global::<AppAdapter>().set_english(english);
    // One picture of an error page a service (all are checked).
    let mut drawn = std::collections::BTreeSet::new();
    for p in crate::errors::error_pages() {
        (p.show)(window, english);
        window
            .global::<AppAdapter>()
            .set_problem_reference(crate::errors::REFERENCE.into());
        i_slint_backend_testing::mock_elapsed_time(std::time::Duration::ZERO);
        let service = format!("{:?}", window.global::<AppAdapter>().get_service()).to_lowercase();
        let shows_error = ElementQuery::from_root(window)
            .match_descendants()
            .match_predicate(|e| {
                e.accessible_description()
                    .is_some_and(|d| d == "参考编号" || d == "Reference code")
            })
            .find_first()
            .is_some();
        let draw = shows_error && drawn.insert(service.clone());
        let name = if draw {
            format!("error-{service}")
        } else {
            format!("error-{}", p.name)
        };
        look(rig, o, english, &name, draw, faults);
    }
    slint::select_bundled_translation("zh_CN").unwrap();
    window.global::<AppAdapter>().set_english(false);
}

fn walk(o: Orientation) {
    crate::rig::on_ui_thread(move || {
        let rig = Rig::start_configured(|c| {
            c.display.orientation = o;
            c.devices.idcard_poll_ms = 20;
        });
        rig.wait_until_ready();
        let w = rig.kiosk.window().window();
        let size = w.size().to_logical(w.scale_factor());
        assert_eq!((size.width, size.height), o.window_size());
        let mut faults = Vec::new();
        for mode in [Mode::Plain, Mode::Elderly] {
            for english in [false, true] {
                walk_services(&rig, o, english, mode, &mut faults);
            }
        }
        // High contrast changes colours only: drawn when pictures are wanted.
        if screens_out().is_some() {
            for english in [false, true] {
                walk_services(&rig, o, english, Mode::HighContrast, &mut Vec::new());
            }
        }
        for english in [false, true] {
            walk_errors(&rig, o, english, &mut faults);
        }
        assert!(
            faults.is_empty(),
            "{} texts out of their place:\n{}",
            faults.len(),
            faults.join("\n")
        );
    });
}

#[test]
fn landscape_every_text_fits_its_place() {
    walk(Orientation::Landscape);
}

#[test]
fn portrait_every_text_fits_its_place() {
    walk(Orientation::Portrait);
}
