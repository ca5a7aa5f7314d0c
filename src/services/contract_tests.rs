//! The rules every registered service must keep, run over [`ServiceId::ALL`]: finish wipes,
//! idle expiry wipes, an answer that arrives after its session ended is dropped, back from
//! the first step returns to the menu, and an unavailable service does not start. A new
//! service gets these checks by being registered; the `match`es below ask for its arm.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::*;
use crate::app::{Citizen, Reply, Router, Screen};

#[derive(Default)]
struct Ports {
    tickets: RefCell<usize>,
    cases: RefCell<usize>,
    copies: RefCell<usize>,
    appointments: RefCell<usize>,
    certificates: RefCell<usize>,
    documents: RefCell<usize>,
    medical: RefCell<usize>,
    fines: RefCell<usize>,
    forms: RefCell<usize>,
    applications: RefCell<usize>,
}

impl queue_ticket::TicketPort for Ports {
    fn issue(&self, _: Reply<queue_ticket::TicketOrder>) {
        *self.tickets.borrow_mut() += 1;
    }
}
impl case_progress::CasePort for Ports {
    fn query(&self, _: Reply<case_progress::CaseQuery>) {
        *self.cases.borrow_mut() += 1;
    }
}
impl id_copy::CopyPort for Ports {
    fn send(&self, _: Reply<id_copy::Job>) {
        *self.copies.borrow_mut() += 1;
    }
}

impl appointment::AppointmentPort for Ports {
    fn send(&self, _: Reply<appointment::Order>) {
        *self.appointments.borrow_mut() += 1;
    }
}

impl certificate::CertificatePort for Ports {
    fn send(&self, _: Reply<certificate::Order>) {
        *self.certificates.borrow_mut() += 1;
    }
}

impl personal_documents::DocumentsPort for Ports {
    fn send(&self, _: Reply<personal_documents::Order>) {
        *self.documents.borrow_mut() += 1;
    }
}

impl medical_insurance::MedicalPort for Ports {
    fn send(&self, _: Reply<medical_insurance::Order>) {
        *self.medical.borrow_mut() += 1;
    }
}

impl apply::ApplyPort for Ports {
    fn send(&self, _: Reply<apply::Order>) {
        *self.applications.borrow_mut() += 1;
    }
}

impl traffic_fine::FinePort for Ports {
    fn send(&self, _: Reply<traffic_fine::Order>) {
        *self.fines.borrow_mut() += 1;
    }
}

impl sample_forms::SampleFormsPort for Ports {
    fn send(&self, _: Reply<sample_forms::Order>) {
        *self.forms.borrow_mut() += 1;
    }
}

const IDLE: Duration = Duration::from_secs(60);
const COUNTDOWN: Duration = Duration::from_secs(10);
const DONE: Duration = Duration::from_secs(8);

fn router() -> (Router<Services>, Rc<Ports>) {
    let ports = Rc::new(Ports::default());
    let mut qt = queue_ticket::Service::new(ports.clone());
    qt.set_areas(
        vec![queue_ticket::Area {
            code: "A".into(),
            name_zh: "综合受理".into(),
            name_en: "General".into(),
            description_zh: String::new(),
            description_en: String::new(),
            location_zh: String::new(),
            location_en: String::new(),
            waiting: None,
        }],
        None,
    );
    let services = Services::new(
        qt,
        case_progress::Service::new(ports.clone()),
        id_copy::Service::new(ports.clone(), true),
        appointment::Service::new(ports.clone()),
        certificate::Service::new(ports.clone(), true),
        personal_documents::Service::new(ports.clone(), true),
        medical_insurance::Service::new(ports.clone()),
        traffic_fine::Service::new(ports.clone()),
        sample_forms::Service::new(ports.clone(), "http://hall.example"),
        apply::Service::new(ports.clone(), true),
    );
    (Router::new(services, IDLE, COUNTDOWN, DONE), ports)
}

fn start(r: &mut Router<Services>, id: ServiceId, now: Duration) {
    r.card_read(Citizen::sample(), now);
    r.choose(id, now);
    assert!(
        matches!(r.flow(), Some(f) if f.id() == id),
        "{id:?} did not start from the menu"
    );
}

/// Takes the service's flow to a step that waits on its worker, and returns the answer that
/// step waits for.
fn drive_to_wait(r: &mut Router<Services>, id: ServiceId, now: Duration) -> ServiceEvent {
    match id {
        ServiceId::QueueTicket => {
            r.with_flow(now, |f, cx| {
                let ActiveFlow::QueueTicket(f) = f else {
                    unreachable!()
                };
                let area = queue_ticket::Area {
                    code: "A".into(),
                    name_zh: String::new(),
                    name_en: String::new(),
                    description_zh: String::new(),
                    description_en: String::new(),
                    location_zh: String::new(),
                    location_en: String::new(),
                    waiting: None,
                };
                f.choose_area(&area);
                f.skip_phone(cx);
            });
            ServiceEvent::QueueTicket(queue_ticket::Event::Finished(Err(
                queue_ticket::TicketFailure {
                    problem: queue_ticket::TicketProblem::Store,
                    issued: None,
                },
            )))
        }
        ServiceId::CaseProgress => {
            r.with_flow(now, |f, cx| {
                let ActiveFlow::CaseProgress(f) = f else {
                    unreachable!()
                };
                f.by_card(cx);
            });
            ServiceEvent::CaseProgress(case_progress::Event::Answered(Err(
                case_progress::CaseProblem::NotFound,
            )))
        }
        ServiceId::IdCopy => {
            r.with_flow(now, |f, cx| {
                let ActiveFlow::IdCopy(f) = f else {
                    unreachable!()
                };
                f.choose_purpose(0);
                f.scan(cx);
            });
            ServiceEvent::IdCopy(id_copy::Event::Scanned(
                id_copy::CardSide::Front,
                Err(id_copy::ScanProblem::NoCard),
            ))
        }
        // The flow asks for the matters as it starts: its first step already waits.
        ServiceId::Appointment => ServiceEvent::Appointment(appointment::Event::Matters(Err(
            appointment::Problem::NoMatters,
        ))),
        // The flow asks for the kinds as it starts: its first step already waits.
        ServiceId::Certificate => ServiceEvent::Certificate(certificate::Event::Kinds(Err(
            certificate::Problem::NoKinds,
        ))),
        // The flow asks for the citizen's list as it starts: its first step already waits.
        ServiceId::PersonalDocuments => ServiceEvent::PersonalDocuments(
            personal_documents::Event::Listed(Err(personal_documents::Problem::Unreachable)),
        ),
        // The flow asks for the card holder's account as it starts.
        ServiceId::MedicalInsurance => ServiceEvent::MedicalInsurance(
            medical_insurance::Event::Answered(Err(medical_insurance::Problem::NoRecord)),
        ),
        ServiceId::TrafficFine => {
            r.with_flow(now, |f, _| {
                let ActiveFlow::TrafficFine(f) = f else {
                    unreachable!()
                };
                f.choose(traffic_fine::Entry::Decision);
                for d in "1101051234567001".chars() {
                    f.key(&d.to_string());
                }
                f.search();
            });
            ServiceEvent::TrafficFine(traffic_fine::Event::Found(Err(
                traffic_fine::Problem::Unreachable,
            )))
        }
        // The flow asks for the library as it starts: its first step already waits.
        ServiceId::SampleForms => ServiceEvent::SampleForms(sample_forms::Event::Library(None)),
        // The flow asks for the matters as it starts: its first step already waits.
        ServiceId::Apply => ServiceEvent::Apply(apply::Event::Matters(
            Vec::new(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        )),
    }
}

fn wiped(r: &Router<Services>) -> bool {
    matches!(r.screen(), Screen::Attract) && r.session().citizen().is_none()
}

#[test]
fn finish_wipes_the_session() {
    for id in ServiceId::ALL {
        let (mut r, _) = router();
        start(&mut r, id, Duration::ZERO);
        let _ = drive_to_wait(&mut r, id, Duration::ZERO);
        r.finish();
        assert!(wiped(&r), "{id:?}");
    }
}

#[test]
fn idle_expiry_wipes_the_session() {
    for id in ServiceId::ALL {
        let (mut r, _) = router();
        start(&mut r, id, Duration::ZERO);
        r.tick(IDLE + Duration::from_secs(1));
        assert!(r.session().countdown().is_some(), "{id:?}: no countdown");
        r.tick(IDLE + COUNTDOWN);
        assert!(wiped(&r), "{id:?}");
    }
}

#[test]
fn an_answer_after_its_session_ended_is_dropped() {
    for id in ServiceId::ALL {
        let (mut r, _) = router();
        start(&mut r, id, Duration::ZERO);
        let old = r.session().token();
        let late = drive_to_wait(&mut r, id, Duration::ZERO);
        r.finish();
        // The next citizen walks to the same waiting step of the same service.
        start(&mut r, id, Duration::from_secs(1));
        let fresh = drive_to_wait(&mut r, id, Duration::from_secs(1));
        assert!(
            !r.reply(
                Reply {
                    token: old,
                    event: late
                },
                Duration::from_secs(2)
            ),
            "{id:?}: an old session's answer was taken"
        );
        // The current session's answer is taken: the step was really waiting.
        let token = r.session().token();
        assert!(
            r.reply(
                Reply {
                    token,
                    event: fresh
                },
                Duration::from_secs(2)
            ),
            "{id:?}: its own answer was not taken"
        );
    }
}

#[test]
fn an_answer_for_another_service_is_dropped() {
    for id in ServiceId::ALL {
        for other in ServiceId::ALL.into_iter().filter(|o| *o != id) {
            let (mut r, _) = router();
            start(&mut r, other, Duration::ZERO);
            let event = drive_to_wait(&mut r, other, Duration::ZERO);
            r.finish();
            start(&mut r, id, Duration::ZERO);
            let _ = drive_to_wait(&mut r, id, Duration::ZERO);
            let token = r.session().token();
            assert!(
                !r.reply(Reply { token, event }, Duration::ZERO),
                "{id:?} took {other:?}'s answer"
            );
        }
    }
}

#[test]
fn back_from_the_first_step_returns_to_the_menu() {
    for id in ServiceId::ALL {
        let (mut r, _) = router();
        start(&mut r, id, Duration::ZERO);
        r.back(Duration::ZERO);
        assert!(matches!(r.screen(), Screen::Menu), "{id:?}");
        assert!(
            r.session().citizen().is_some(),
            "{id:?}: back is not finish"
        );
    }
}

#[test]
fn an_unavailable_service_does_not_start_and_its_tile_says_why() {
    for id in ServiceId::ALL {
        let (mut r, _) = router();
        // Every device at fault and the platform gone: nothing that needs either starts.
        r.registry_mut().set_conditions(Conditions {
            online: false,
            faulty: vec![Device::Printer, Device::DocScanner, Device::A4Printer],
        });
        let tile = r
            .registry()
            .tiles()
            .into_iter()
            .find(|t| t.id == id)
            .expect("offered");
        if id == ServiceId::SampleForms {
            // It needs neither: the library is browsed from the store's copy with no
            // device. The tile opens and says printing is not possible.
            assert_eq!(tile.unavailable, None);
            assert_eq!(tile.missing, Some(Device::A4Printer));
            continue;
        }
        assert_eq!(tile.missing, None, "{id:?}");
        assert!(tile.unavailable.is_some(), "{id:?}: no reason");
        r.card_read(Citizen::sample(), Duration::ZERO);
        r.choose(id, Duration::ZERO);
        assert!(matches!(r.screen(), Screen::Menu), "{id:?} started");
    }
}

#[test]
fn a_service_switched_off_in_the_config_has_no_tile_and_does_not_start() {
    for id in ServiceId::ALL {
        let mut switches = crate::config::ServicesConfig::default();
        let section = match id {
            ServiceId::QueueTicket => &mut switches.queue_ticket,
            ServiceId::CaseProgress => &mut switches.case_progress,
            ServiceId::IdCopy => &mut switches.id_copy,
            ServiceId::Appointment => &mut switches.appointment,
            ServiceId::Certificate => &mut switches.certificate,
            ServiceId::PersonalDocuments => &mut switches.personal_documents,
            ServiceId::MedicalInsurance => &mut switches.medical_insurance,
            ServiceId::TrafficFine => &mut switches.traffic_fine,
            ServiceId::SampleForms => &mut switches.sample_forms,
            ServiceId::Apply => &mut switches.apply,
        };
        section.enabled = false;
        let (r, _) = router();
        let mut r = Router::new(
            r.into_registry().configured(&switches),
            IDLE,
            COUNTDOWN,
            DONE,
        );
        assert!(!r.registry().tiles().iter().any(|t| t.id == id), "{id:?}");
        assert!(
            r.registry().tiles().len() == ServiceId::ALL.len() - 1,
            "{id:?}: the others stay"
        );
        r.card_read(Citizen::sample(), Duration::ZERO);
        r.choose(id, Duration::ZERO);
        assert!(matches!(r.screen(), Screen::Menu), "{id:?} started");
    }
}

/// Keeps what the router sends for rating.
#[derive(Default)]
struct Ratings(RefCell<Vec<crate::app::Rated<ServiceId>>>);
impl crate::app::RatingPort<ServiceId> for Ratings {
    fn rate(&self, rated: crate::app::Rated<ServiceId>) {
        self.0.borrow_mut().push(rated);
    }
}

#[test]
fn every_service_is_rated_after_the_wipe_and_the_rating_keeps_no_citizen_data() {
    for id in ServiceId::ALL {
        let (r, _) = router();
        let port = Rc::new(Ratings::default());
        let mut r = r.with_ratings(port.clone());
        start(&mut r, id, Duration::ZERO);
        let answer = drive_to_wait(&mut r, id, Duration::ZERO);
        let old = r.session().token();
        assert!(
            r.reply(
                Reply {
                    token: old,
                    event: answer
                },
                Duration::ZERO
            ),
            "{id:?}"
        );
        r.finish();
        let Screen::Rating(rating) = r.screen() else {
            panic!("{id:?}: no rating step after finish");
        };
        assert_eq!(rating.service(), id);
        // The wipe happened at finish, as without rating: nobody's data, a new token.
        assert!(r.session().citizen().is_none(), "{id:?}");
        assert!(r.flow().is_none(), "{id:?}: the flow is gone");
        assert!(r.session().menu_notice().is_none(), "{id:?}");
        assert_ne!(r.session().token(), old, "{id:?}");
        let late = drive_to_wait_answer(id);
        assert!(
            !r.reply(
                Reply {
                    token: old,
                    event: late
                },
                Duration::from_secs(1)
            ),
            "{id:?}: the old session's answer reached the rating step"
        );
        r.rate(crate::app::Level::Satisfied, Duration::from_secs(1));
        assert_eq!(port.0.borrow().len(), 1, "{id:?}");
        assert_eq!(port.0.borrow()[0].service, id);
        // The next citizen is not kept waiting: a card starts their session at once.
        r.card_read(Citizen::sample(), Duration::from_secs(2));
        assert!(matches!(r.screen(), Screen::Menu), "{id:?}");
    }
}

/// The answer a service's waiting step takes (as [`drive_to_wait`] gives it), without
/// driving a router.
fn drive_to_wait_answer(id: ServiceId) -> ServiceEvent {
    let (mut r, _) = router();
    start(&mut r, id, Duration::ZERO);
    drive_to_wait(&mut r, id, Duration::ZERO)
}

#[test]
fn a_citizen_identified_without_the_card_uses_only_what_each_service_accepts() {
    use crate::app::citizen::IdentifiedBy;
    for by in [IdentifiedBy::Typed, IdentifiedBy::Eid] {
        for id in ServiceId::ALL {
            let (mut r, _) = router();
            let accepts = r.registry().accepts(id, by);
            let tile = r
                .registry()
                .tiles_for(Some(by))
                .into_iter()
                .find(|t| t.id == id)
                .expect("offered");
            assert_eq!(
                tile.unavailable == Some(Unavailable::NeedsCard),
                !accepts,
                "{id:?} {by:?}: the tile says why"
            );
            let citizen = Citizen {
                by,
                photo: None,
                ..Citizen::sample()
            };
            r.card_read(citizen, Duration::ZERO);
            r.choose(id, Duration::ZERO);
            assert_eq!(
                matches!(r.flow(), Some(f) if f.id() == id),
                accepts,
                "{id:?} {by:?}"
            );
        }
    }
    let (r, _) = router();
    assert!(r
        .registry()
        .accepts(ServiceId::QueueTicket, IdentifiedBy::Typed));
    assert!(!r
        .registry()
        .accepts(ServiceId::Certificate, IdentifiedBy::Eid));
    // The config widens a card-only service; the ID copy stays card-only whatever it says.
    let mut switches = crate::config::ServicesConfig::default();
    switches.certificate.identify = Some(vec![IdentifiedBy::Card, IdentifiedBy::Eid]);
    switches.id_copy.identify = Some(vec![IdentifiedBy::Card, IdentifiedBy::Eid]);
    let s = r.into_registry().configured(&switches);
    assert!(s.accepts(ServiceId::Certificate, IdentifiedBy::Eid));
    assert!(!s.accepts(ServiceId::Certificate, IdentifiedBy::Typed));
    assert!(!s.accepts(ServiceId::IdCopy, IdentifiedBy::Eid));
    assert!(s.accepts(ServiceId::IdCopy, IdentifiedBy::Card));
}

#[test]
fn a_slip_scanned_while_the_platform_seems_away_checks_in_and_a_printer_fault_does_not() {
    use crate::app::{Notice, ScannedCode};
    let slip = || ScannedCode::Appointment("b7".into());
    // The sync thinks the platform away: the check-in tries anyway and answers itself.
    let (mut r, _) = router();
    r.registry_mut().set_conditions(Conditions {
        online: false,
        faulty: vec![],
    });
    r.code_scanned(slip(), Duration::ZERO);
    assert!(
        matches!(r.flow(), Some(f) if f.id() == ServiceId::Appointment),
        "the slip was not taken offline"
    );
    // No printer for the priority ticket: no check-in starts.
    let (mut r, _) = router();
    r.registry_mut().set_conditions(Conditions {
        online: true,
        faulty: vec![Device::Printer],
    });
    r.code_scanned(slip(), Duration::ZERO);
    assert!(r.flow().is_none());
    assert_ne!(r.session().notice(), Notice::None);
}
