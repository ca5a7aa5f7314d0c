//! Errors (issue 17): every error page of every service says what happened, what to do now,
//! where to get help and the error's reference code, in Chinese and in English, in plain
//! words (no enum name, no English left on the Chinese page). Walked over every kind of error
//! each service's page can show, on the real window (the service's adapter set to each kind
//! in turn); and one error reached the real way, whose reference code is the one the log
//! holds.

use i_slint_backend_testing::ElementQuery;
use kiosk::ui::{
    AppAdapter, ApplyAdapter, ApplyProblem, ApplyStep, AppointmentAdapter, AppointmentProblemKind,
    AppointmentStep, CaseProgressAdapter, CaseProgressStep, CaseResultKind, CertificateAdapter,
    CertificateProblemKind, CertificateStep, CheckInRefusalKind, CopyPrintStateKind,
    DocumentsAdapter, DocumentsProblemKind, DocumentsStep, FineProblem, FineStep, IdCopyAdapter,
    IdCopyStep, IdentifyAdapter, IdentifyProblem, IdentifyStep, MedicalInsuranceAdapter,
    MedicalProblemKind, MedicalStep, QueueTicketAdapter, QueueTicketStep, Screen, ServiceId,
    TicketProblemKind, TrafficFineAdapter,
};
use slint::ComponentHandle;

use crate::rig::Rig;

/// The four parts, by their accessible descriptions: (Chinese, English).
const PARTS: [(&str, &str); 4] = [
    ("发生了什么", "What happened"),
    ("现在怎么办", "What to do now"),
    ("在哪里求助", "Where to get help"),
    ("参考编号", "Reference code"),
];

/// The reference the walk shows (the real one is drawn per error).
pub const REFERENCE: &str = "QT-7K3F";

/// Puts the window on an error page, in English or not.
pub type Show = Box<dyn Fn(&kiosk::ui::AppWindow, bool)>;

/// One error page: its name, and how to put the window on it.
pub struct ErrorPage {
    pub name: String,
    pub show: Show,
}

fn page(name: String, show: impl Fn(&kiosk::ui::AppWindow, bool) + 'static) -> ErrorPage {
    ErrorPage {
        name,
        show: Box::new(show),
    }
}

/// Every error page of every service. Each list of kinds is checked complete by a `match`
/// the compiler holds to every variant: a new kind of error fails to build until it is here.
pub fn error_pages() -> Vec<ErrorPage> {
    let mut pages = Vec::new();
    let on = |w: &kiosk::ui::AppWindow, s: ServiceId| {
        let app = w.global::<AppAdapter>();
        app.set_screen(Screen::Service);
        app.set_service(s);
    };

    for k in [
        TicketProblemKind::None,
        TicketProblemKind::NoNumbers,
        TicketProblemKind::PaperOut,
        TicketProblemKind::PrinterFault,
        TicketProblemKind::Store,
    ] {
        match k {
            TicketProblemKind::None
            | TicketProblemKind::NoNumbers
            | TicketProblemKind::PaperOut
            | TicketProblemKind::PrinterFault
            | TicketProblemKind::Store => {}
        }
        for number in ["", "A017"] {
            pages.push(page(
                format!("queue ticket {k:?} number {number:?}"),
                move |w, _en| {
                    on(w, ServiceId::QueueTicket);
                    let a = w.global::<QueueTicketAdapter>();
                    a.set_step(QueueTicketStep::Problem);
                    a.set_problem(k);
                    a.set_number(number.into());
                },
            ));
        }
    }

    for k in [
        CaseResultKind::NotFound,
        CaseResultKind::NoneForHolder,
        CaseResultKind::Unreachable,
        CaseResultKind::Forged,
        CaseResultKind::Foreign,
        CaseResultKind::QueueTicket,
        CaseResultKind::Unreadable,
    ] {
        match k {
            CaseResultKind::Loading | CaseResultKind::Found => unreachable!("not errors"),
            CaseResultKind::NotFound
            | CaseResultKind::NoneForHolder
            | CaseResultKind::Unreachable
            | CaseResultKind::Forged
            | CaseResultKind::Foreign
            | CaseResultKind::QueueTicket
            | CaseResultKind::Unreadable => {}
        }
        pages.push(page(format!("case progress {k:?}"), move |w, _en| {
            on(w, ServiceId::CaseProgress);
            let a = w.global::<CaseProgressAdapter>();
            a.set_step(CaseProgressStep::Result);
            a.set_result(k);
        }));
    }

    for k in [
        CopyPrintStateKind::PaperOut,
        CopyPrintStateKind::PrinterFault,
        CopyPrintStateKind::NoPrinter,
    ] {
        match k {
            CopyPrintStateKind::Printing | CopyPrintStateKind::Printed => unreachable!(),
            CopyPrintStateKind::PaperOut
            | CopyPrintStateKind::PrinterFault
            | CopyPrintStateKind::NoPrinter => {}
        }
        pages.push(page(format!("ID copy {k:?}"), move |w, _en| {
            on(w, ServiceId::IdCopy);
            let a = w.global::<IdCopyAdapter>();
            a.set_step(IdCopyStep::Done);
            a.set_print_state(k);
        }));
    }

    for k in [
        AppointmentProblemKind::None,
        AppointmentProblemKind::NoMatters,
        AppointmentProblemKind::Unreachable,
        AppointmentProblemKind::NoDays,
        AppointmentProblemKind::SlotTaken,
        AppointmentProblemKind::AlreadyBooked,
        AppointmentProblemKind::PaperOut,
        AppointmentProblemKind::PrinterFault,
        AppointmentProblemKind::Store,
        AppointmentProblemKind::NoNumbers,
    ] {
        match k {
            AppointmentProblemKind::None
            | AppointmentProblemKind::NoMatters
            | AppointmentProblemKind::Unreachable
            | AppointmentProblemKind::NoDays
            | AppointmentProblemKind::SlotTaken
            | AppointmentProblemKind::AlreadyBooked
            | AppointmentProblemKind::PaperOut
            | AppointmentProblemKind::PrinterFault
            | AppointmentProblemKind::Store
            | AppointmentProblemKind::NoNumbers => {}
        }
        for booked in [false, true] {
            pages.push(page(
                format!("appointment {k:?} booked {booked}"),
                move |w, en| {
                    on(w, ServiceId::Appointment);
                    let a = w.global::<AppointmentAdapter>();
                    a.set_step(AppointmentStep::Problem);
                    a.set_problem(k);
                    a.set_booked(booked);
                    // The adapter writes the day in the language on screen.
                    a.set_day_label(if en { "4 Dec" } else { "12月4日" }.into());
                    a.set_slot_label("09:30".into());
                },
            ));
        }
        if k != AppointmentProblemKind::None {
            // The ordinary ticket taken instead of a refused check-in, when it fails.
            pages.push(page(format!("appointment ticket {k:?}"), move |w, _en| {
                on(w, ServiceId::Appointment);
                let a = w.global::<AppointmentAdapter>();
                a.set_step(AppointmentStep::TicketIssued);
                a.set_problem(k);
            }));
        }
    }
    for k in [
        CheckInRefusalKind::TooEarly,
        CheckInRefusalKind::TooLate,
        CheckInRefusalKind::Cancelled,
        CheckInRefusalKind::NotToday,
        CheckInRefusalKind::Unknown,
        CheckInRefusalKind::Unreachable,
    ] {
        match k {
            CheckInRefusalKind::None => unreachable!(),
            CheckInRefusalKind::TooEarly
            | CheckInRefusalKind::TooLate
            | CheckInRefusalKind::Cancelled
            | CheckInRefusalKind::NotToday
            | CheckInRefusalKind::Unknown
            | CheckInRefusalKind::Unreachable => {}
        }
        pages.push(page(
            format!("appointment check-in {k:?}"),
            move |w, _en| {
                on(w, ServiceId::Appointment);
                let a = w.global::<AppointmentAdapter>();
                a.set_step(AppointmentStep::CheckInRefused);
                a.set_refusal(k);
                a.set_refusal_time("09:00".into());
            },
        ));
    }

    for k in [
        CertificateProblemKind::None,
        CertificateProblemKind::NoKinds,
        CertificateProblemKind::NoRecord,
        CertificateProblemKind::Unreachable,
        CertificateProblemKind::PaperOut,
        CertificateProblemKind::TonerOut,
        CertificateProblemKind::A4Fault,
        CertificateProblemKind::Document,
    ] {
        match k {
            CertificateProblemKind::None
            | CertificateProblemKind::NoKinds
            | CertificateProblemKind::NoRecord
            | CertificateProblemKind::Unreachable
            | CertificateProblemKind::PaperOut
            | CertificateProblemKind::TonerOut
            | CertificateProblemKind::A4Fault
            | CertificateProblemKind::Document => {}
        }
        for case in ["", "SQ-20261203-0042"] {
            pages.push(page(
                format!("certificate {k:?} case {case:?}"),
                move |w, en| {
                    on(w, ServiceId::Certificate);
                    let a = w.global::<CertificateAdapter>();
                    a.set_step(CertificateStep::Problem);
                    a.set_problem(k);
                    a.set_case_number(case.into());
                    a.set_kind_label(
                        if en {
                            "social insurance record"
                        } else {
                            "个人参保证明"
                        }
                        .into(),
                    );
                },
            ));
        }
    }

    for k in [
        DocumentsProblemKind::None,
        DocumentsProblemKind::NoCard,
        DocumentsProblemKind::Unreachable,
        DocumentsProblemKind::NotFound,
        DocumentsProblemKind::Layout,
        DocumentsProblemKind::PaperOut,
        DocumentsProblemKind::TonerOut,
        DocumentsProblemKind::PrinterFault,
        DocumentsProblemKind::NoPrinter,
    ] {
        match k {
            DocumentsProblemKind::None
            | DocumentsProblemKind::NoCard
            | DocumentsProblemKind::Unreachable
            | DocumentsProblemKind::NotFound
            | DocumentsProblemKind::Layout
            | DocumentsProblemKind::PaperOut
            | DocumentsProblemKind::TonerOut
            | DocumentsProblemKind::PrinterFault
            | DocumentsProblemKind::NoPrinter => {}
        }
        pages.push(page(format!("personal documents {k:?}"), move |w, _en| {
            on(w, ServiceId::PersonalDocuments);
            let a = w.global::<DocumentsAdapter>();
            a.set_step(DocumentsStep::Problem);
            a.set_problem(k);
        }));
    }

    for k in [
        MedicalProblemKind::NoRecord,
        MedicalProblemKind::Unreachable,
        MedicalProblemKind::NoCard,
    ] {
        match k {
            MedicalProblemKind::NoRecord
            | MedicalProblemKind::Unreachable
            | MedicalProblemKind::NoCard => {}
        }
        pages.push(page(format!("medical insurance {k:?}"), move |w, _en| {
            on(w, ServiceId::MedicalInsurance);
            let a = w.global::<MedicalInsuranceAdapter>();
            a.set_step(MedicalStep::Problem);
            a.set_problem(k);
        }));
    }

    for k in [FineProblem::Unreachable, FineProblem::NoCard] {
        match k {
            FineProblem::Unreachable | FineProblem::NoCard => {}
        }
        pages.push(page(format!("traffic fine {k:?}"), move |w, _en| {
            on(w, ServiceId::TrafficFine);
            let a = w.global::<TrafficFineAdapter>();
            a.set_step(FineStep::Problem);
            a.set_problem(k);
        }));
    }

    for k in [
        ApplyProblem::NoMatters,
        ApplyProblem::NoCard,
        ApplyProblem::NotSaved,
        ApplyProblem::Refused,
    ] {
        match k {
            ApplyProblem::NoMatters
            | ApplyProblem::NoCard
            | ApplyProblem::NotSaved
            | ApplyProblem::Refused => {}
        }
        pages.push(page(format!("apply {k:?}"), move |w, _en| {
            on(w, ServiceId::Apply);
            let a = w.global::<ApplyAdapter>();
            a.set_step(ApplyStep::Problem);
            a.set_problem(k);
            a.set_problem_text("材料不全 / materials missing".into());
        }));
    }
    // Identifying without the card stopped (the typed route or an e-ID code).
    for k in [
        IdentifyProblem::NoPhone,
        IdentifyProblem::Locked,
        IdentifyProblem::EidExpired,
        IdentifyProblem::EidUsed,
        IdentifyProblem::EidInvalid,
        IdentifyProblem::Unreachable,
    ] {
        for start_over in [true, false] {
            pages.push(page(
                format!("identify stopped {k:?} start over {start_over}"),
                move |w, _en| {
                    w.global::<AppAdapter>().set_screen(Screen::Identify);
                    let a = w.global::<IdentifyAdapter>();
                    a.set_step(IdentifyStep::Stopped);
                    a.set_problem(k);
                    a.set_minutes_left(15);
                    a.set_can_start_over(start_over);
                },
            ));
        }
    }
    pages
}

/// The text of each part on screen now, by the part it says it is (its accessible
/// description; its label is its text).
fn parts_on_screen(rig: &Rig, english: bool) -> Vec<(&'static str, Vec<String>)> {
    let elements = ElementQuery::from_root(rig.kiosk.window())
        .match_descendants()
        .match_predicate(|e| e.accessible_description().is_some_and(|d| !d.is_empty()))
        .find_all();
    PARTS
        .iter()
        .map(|&(zh, en)| {
            let part = if english { en } else { zh };
            // The query can meet one element more than once: its distinct texts.
            let texts: std::collections::BTreeSet<String> = elements
                .iter()
                .filter(|e| e.accessible_description().is_some_and(|d| d == part))
                .filter_map(|e| e.accessible_label().map(|v| v.to_string()))
                .collect();
            (part, texts.into_iter().collect())
        })
        .collect()
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// What is wrong with the parts of one page in one language.
fn faults(name: &str, english: bool, parts: &[(&'static str, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (label, values) in parts {
        let [value] = values.as_slice() else {
            out.push(format!("{name}: {label}: {} on screen", values.len()));
            continue;
        };
        // Data the walk put in (the platform's own words), the reference, the app's name.
        let plain = value
            .replace(REFERENCE, "")
            .replace("材料不全 / materials missing", "")
            .replace("交管12123", "");
        if plain.trim().is_empty() {
            out.push(format!("{name}: {label} is empty"));
        }
        if plain.contains('_') || plain.contains("::") || plain.contains("Problem") {
            out.push(format!("{name}: {label} reads like code: {value:?}"));
        }
        if english && has_cjk(&plain) {
            out.push(format!(
                "{name}: Chinese on the English page: {label}: {value:?}"
            ));
        }
        if !english {
            if !has_cjk(&plain) {
                out.push(format!("{name}: no Chinese: {label}: {value:?}"));
            }
            // An English word left in the Chinese text (area letters and codes excepted).
            if let Some(word) = plain
                .split(|c: char| !c.is_ascii_alphabetic())
                .find(|w| w.len() >= 3)
            {
                out.push(format!(
                    "{name}: English {word:?} in Chinese: {label}: {value:?}"
                ));
            }
        }
    }
    if let Some((_, v)) = parts.get(3) {
        if !v.iter().any(|v| v.contains(REFERENCE)) {
            out.push(format!("{name}: the reference {REFERENCE} is not shown"));
        }
    }
    out
}

#[test]
fn every_error_page_says_what_happened_what_to_do_where_to_get_help_and_its_reference() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        let window = rig.kiosk.window();
        let mut problems = Vec::new();
        let pages = error_pages();
        for english in [false, true] {
            slint::select_bundled_translation(if english { "" } else { "zh_CN" }).unwrap();
            window.global::<AppAdapter>().set_english(english);
            for p in &pages {
                (p.show)(window, english);
                window
                    .global::<AppAdapter>()
                    .set_problem_reference(REFERENCE.into());
                // Lets Slint instantiate the page (no time passes: no timer of the kiosk runs).
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::ZERO);
                problems.extend(faults(&p.name, english, &parts_on_screen(&rig, english)));
            }
        }
        slint::select_bundled_translation("zh_CN").unwrap();
        assert!(pages.len() >= 60, "{} error pages walked", pages.len());
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    });
}

/// Log lines written on this thread, kept to be read back.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_error_reached_the_real_way_shows_the_reference_the_log_holds() {
    crate::rig::on_ui_thread(|| {
        let log = Log::default();
        let writer = log.clone();
        let _log = tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish(),
        );
        let rig = Rig::start();
        rig.wait_until_ready();
        rig.swipe_sample_card();
        rig.tap("办件进度查询");
        crate::case_progress::ask_for_an_unknown_case(&rig);
        rig.wait_for("not found", |r| {
            r.kiosk
                .ui()
                .with_router(|router| router.problem().is_some())
        });
        rig.pump();
        rig.find("未找到该编号的办件");
        let code = rig
            .kiosk
            .window()
            .global::<AppAdapter>()
            .get_problem_reference()
            .to_string();
        assert!(code.starts_with("CP-") && code.len() == 7, "{code:?}");
        let shown = parts_on_screen(&rig, false)[3].1.join(" ");
        assert!(shown.contains(&code), "{shown:?}");
        // Where to get help: the service desk the platform's catalog names.
        let help = &parts_on_screen(&rig, false)[2].1;
        assert_eq!(help.len(), 1);
        assert!(help[0].contains("一楼大厅入口右侧服务台"), "{help:?}");
        // A platform that does not say where the desk is: the hall's service desk.
        let app = rig.kiosk.window().global::<AppAdapter>();
        app.set_staff_desk_zh("".into());
        rig.pump();
        let help = &parts_on_screen(&rig, false)[2].1;
        assert!(help[0].contains("或前往大厅服务台"), "{help:?}");
        app.set_staff_desk_zh("一楼大厅入口右侧服务台".into());
        // Staff find it in the log: the service and the error, nothing of the citizen.
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains(&code))
            .unwrap_or_else(|| panic!("{code} not in the log:\n{text}"));
        assert!(
            line.contains("CaseProgress") && line.contains("not_found"),
            "{line}"
        );
        assert!(!line.contains("20261101999999"), "{line}");

        // The same error again later is another occurrence: a new code.
        rig.tap("返回");
        rig.wait_for("no error", |r| {
            r.kiosk
                .ui()
                .with_router(|router| router.problem().is_none())
        });
        rig.pump();
        assert_eq!(
            rig.kiosk
                .window()
                .global::<AppAdapter>()
                .get_problem_reference(),
            ""
        );
    });
}
