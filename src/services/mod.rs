//! The citizen services, one folder each, and the registry that lists them.
//!
//! # Adding a service
//! A service is a folder `src/services/<name>/` with `mod.rs` (the long-lived `Service`: its
//! worker's orders port, what it keeps between sessions, whether it is offered and
//! available), `flow.rs` (its steps as an enum whose variants carry their data, implementing
//! [`crate::app::Flow`]), `worker.rs` (its thread, on [`crate::worker::Worker`]) and
//! `adapter.rs` (its Slint glue), plus `ui/services/<name>/`. Here it takes one variant in
//! [`ServiceId`], [`ActiveFlow`] and [`ServiceEvent`] and one field in [`Services`]; the
//! compiler then lists every `match` that lacks its arm. See docs/architecture.md.

use crate::app::citizen::IdentifiedBy;
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Registry, ScannedCode};

pub mod apply;
pub mod appointment;
pub mod case_progress;
pub mod certificate;
pub mod id_copy;
pub mod medical_insurance;
pub mod personal_documents;
pub mod queue_ticket;
pub mod sample_forms;
pub mod traffic_fine;

/// Names a citizen service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceId {
    /// Take a queue ticket.
    QueueTicket,
    /// Follow an application.
    CaseProgress,
    /// Copy the ID card.
    IdCopy,
    /// Book an appointment.
    Appointment,
    /// Print a certificate.
    Certificate,
    /// See and print one's documents kept by the platform.
    PersonalDocuments,
    /// Look up the medical-insurance account.
    MedicalInsurance,
    /// Look up and pay traffic fines.
    TrafficFine,
    /// Find, zoom, print or take home a sample form.
    SampleForms,
    /// Apply for a matter (自助申报).
    Apply,
}

impl ServiceId {
    /// Every service, in the menu's order.
    pub const ALL: [ServiceId; 10] = [
        ServiceId::QueueTicket,
        ServiceId::CaseProgress,
        ServiceId::IdCopy,
        ServiceId::Appointment,
        ServiceId::Certificate,
        ServiceId::PersonalDocuments,
        ServiceId::MedicalInsurance,
        ServiceId::TrafficFine,
        ServiceId::SampleForms,
        ServiceId::Apply,
    ];

    /// The two letters that start the reference code of an error this service shows.
    pub fn reference_prefix(self) -> &'static str {
        match self {
            ServiceId::QueueTicket => "QT",
            ServiceId::CaseProgress => "CP",
            ServiceId::IdCopy => "IC",
            ServiceId::Appointment => "AP",
            ServiceId::Certificate => "CE",
            ServiceId::PersonalDocuments => "PD",
            ServiceId::MedicalInsurance => "MI",
            ServiceId::TrafficFine => "TF",
            ServiceId::SampleForms => "SF",
            ServiceId::Apply => "AA",
        }
    }

    /// Every prompt this service's steps and errors can say ([`Flow::prompt`]); each is in
    /// `assets/voice/prompts.toml` in both languages (src/voice.rs's test).
    pub fn prompts(self) -> &'static [&'static str] {
        match self {
            ServiceId::QueueTicket => queue_ticket::PROMPTS,
            ServiceId::CaseProgress => case_progress::PROMPTS,
            ServiceId::IdCopy => id_copy::PROMPTS,
            ServiceId::Appointment => appointment::PROMPTS,
            ServiceId::Certificate => certificate::PROMPTS,
            ServiceId::PersonalDocuments => personal_documents::PROMPTS,
            ServiceId::MedicalInsurance => medical_insurance::PROMPTS,
            ServiceId::TrafficFine => traffic_fine::PROMPTS,
            ServiceId::SampleForms => sample_forms::PROMPTS,
            ServiceId::Apply => apply::PROMPTS,
        }
    }
}

/// A device a service needs: the health model's own id (`crate::devices::health`).
pub use crate::devices::health::DeviceId as Device;

/// What the menu needs to know to say which services work right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conditions {
    /// The platform answered the last sync round (or none has run yet).
    pub online: bool,
    /// Devices at fault.
    pub faulty: Vec<Device>,
}

impl Default for Conditions {
    fn default() -> Self {
        Self {
            online: true,
            faulty: Vec::new(),
        }
    }
}

impl Conditions {
    fn fault(&self, needs: &[Device]) -> Option<Device> {
        needs.iter().copied().find(|d| self.faulty.contains(d))
    }
}

/// Why a tile cannot be used now; the tile says so and does nothing when touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// A device the service needs is at fault.
    DeviceFault(Device),
    /// The service needs the platform and it cannot be reached.
    PlatformUnreachable,
    /// The data disk is full: no service takes a new transaction until space returns
    /// (`devices::storage`).
    StorageFull,
    /// The citizen identified without the card and this service takes the card only
    /// ("此业务需刷身份证").
    NeedsCard,
}

/// One tile of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Which service.
    pub id: ServiceId,
    /// `None` when it can be used.
    pub unavailable: Option<Unavailable>,
    /// A device at fault that the service works without, but for part of it (the tile says
    /// so and still opens): the A4 printer for the sample forms.
    pub missing: Option<Device>,
}

/// A running flow of one service; every call only hands over to that service's flow.
#[derive(Debug)]
pub enum ActiveFlow {
    /// Taking a queue ticket.
    QueueTicket(queue_ticket::QueueTicketFlow),
    /// Following an application.
    CaseProgress(case_progress::CaseProgressFlow),
    /// Copying the ID card.
    IdCopy(id_copy::IdCopyFlow),
    /// Booking an appointment.
    Appointment(appointment::AppointmentFlow),
    /// Printing a certificate.
    Certificate(certificate::CertificateFlow),
    /// Seeing and printing one's documents.
    PersonalDocuments(personal_documents::PersonalDocumentsFlow),
    /// Looking at the medical-insurance account.
    MedicalInsurance(medical_insurance::MedicalInsuranceFlow),
    /// Looking up and paying traffic fines.
    TrafficFine(traffic_fine::TrafficFineFlow),
    /// At the sample-form library.
    SampleForms(sample_forms::SampleFormsFlow),
    /// Applying for a matter.
    Apply(apply::ApplyFlow),
}

impl ActiveFlow {
    /// The service this flow belongs to.
    pub fn id(&self) -> ServiceId {
        match self {
            ActiveFlow::QueueTicket(_) => ServiceId::QueueTicket,
            ActiveFlow::CaseProgress(_) => ServiceId::CaseProgress,
            ActiveFlow::IdCopy(_) => ServiceId::IdCopy,
            ActiveFlow::Appointment(_) => ServiceId::Appointment,
            ActiveFlow::Certificate(_) => ServiceId::Certificate,
            ActiveFlow::PersonalDocuments(_) => ServiceId::PersonalDocuments,
            ActiveFlow::MedicalInsurance(_) => ServiceId::MedicalInsurance,
            ActiveFlow::TrafficFine(_) => ServiceId::TrafficFine,
            ActiveFlow::SampleForms(_) => ServiceId::SampleForms,
            ActiveFlow::Apply(_) => ServiceId::Apply,
        }
    }
}

/// A service worker's answer.
#[derive(Debug, Clone)]
pub enum ServiceEvent {
    /// The ticket worker.
    QueueTicket(queue_ticket::Event),
    /// The case worker.
    CaseProgress(case_progress::Event),
    /// The copy worker.
    IdCopy(id_copy::Event),
    /// The appointment worker.
    Appointment(appointment::Event),
    /// The certificate worker.
    Certificate(certificate::Event),
    /// The personal-documents worker.
    PersonalDocuments(personal_documents::Event),
    /// The medical-insurance worker.
    MedicalInsurance(medical_insurance::Event),
    /// The traffic-fine worker.
    TrafficFine(traffic_fine::Event),
    /// The sample-forms worker.
    SampleForms(sample_forms::Event),
    /// The application worker.
    Apply(apply::Event),
}

impl Flow for ActiveFlow {
    type Event = ServiceEvent;

    fn chrome(&self) -> Chrome {
        match self {
            ActiveFlow::QueueTicket(f) => f.chrome(),
            ActiveFlow::CaseProgress(f) => f.chrome(),
            ActiveFlow::IdCopy(f) => f.chrome(),
            ActiveFlow::Appointment(f) => f.chrome(),
            ActiveFlow::Certificate(f) => f.chrome(),
            ActiveFlow::PersonalDocuments(f) => f.chrome(),
            ActiveFlow::MedicalInsurance(f) => f.chrome(),
            ActiveFlow::TrafficFine(f) => f.chrome(),
            ActiveFlow::SampleForms(f) => f.chrome(),
            ActiveFlow::Apply(f) => f.chrome(),
        }
    }

    fn problem(&self) -> Option<&'static str> {
        match self {
            ActiveFlow::QueueTicket(f) => f.problem(),
            ActiveFlow::CaseProgress(f) => f.problem(),
            ActiveFlow::IdCopy(f) => f.problem(),
            ActiveFlow::Appointment(f) => f.problem(),
            ActiveFlow::Certificate(f) => f.problem(),
            ActiveFlow::PersonalDocuments(f) => f.problem(),
            ActiveFlow::MedicalInsurance(f) => f.problem(),
            ActiveFlow::TrafficFine(f) => f.problem(),
            ActiveFlow::SampleForms(f) => f.problem(),
            ActiveFlow::Apply(f) => f.problem(),
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        match self {
            ActiveFlow::QueueTicket(f) => f.prompt(),
            ActiveFlow::CaseProgress(f) => f.prompt(),
            ActiveFlow::IdCopy(f) => f.prompt(),
            ActiveFlow::Appointment(f) => f.prompt(),
            ActiveFlow::Certificate(f) => f.prompt(),
            ActiveFlow::PersonalDocuments(f) => f.prompt(),
            ActiveFlow::MedicalInsurance(f) => f.prompt(),
            ActiveFlow::TrafficFine(f) => f.prompt(),
            ActiveFlow::SampleForms(f) => f.prompt(),
            ActiveFlow::Apply(f) => f.prompt(),
        }
    }

    fn progress(&self) -> Option<Progress> {
        match self {
            ActiveFlow::QueueTicket(f) => f.progress(),
            ActiveFlow::CaseProgress(f) => f.progress(),
            ActiveFlow::IdCopy(f) => f.progress(),
            ActiveFlow::Appointment(f) => f.progress(),
            ActiveFlow::Certificate(f) => f.progress(),
            ActiveFlow::PersonalDocuments(f) => f.progress(),
            ActiveFlow::MedicalInsurance(f) => f.progress(),
            ActiveFlow::TrafficFine(f) => f.progress(),
            ActiveFlow::SampleForms(f) => f.progress(),
            ActiveFlow::Apply(f) => f.progress(),
        }
    }

    fn idle(&self) -> IdlePolicy {
        match self {
            ActiveFlow::QueueTicket(f) => f.idle(),
            ActiveFlow::CaseProgress(f) => f.idle(),
            ActiveFlow::IdCopy(f) => f.idle(),
            ActiveFlow::Appointment(f) => f.idle(),
            ActiveFlow::Certificate(f) => f.idle(),
            ActiveFlow::PersonalDocuments(f) => f.idle(),
            ActiveFlow::MedicalInsurance(f) => f.idle(),
            ActiveFlow::TrafficFine(f) => f.idle(),
            ActiveFlow::SampleForms(f) => f.idle(),
            ActiveFlow::Apply(f) => f.idle(),
        }
    }

    fn back(&mut self, cx: &mut Cx) -> Nav {
        match self {
            ActiveFlow::QueueTicket(f) => f.back(cx),
            ActiveFlow::CaseProgress(f) => f.back(cx),
            ActiveFlow::IdCopy(f) => f.back(cx),
            ActiveFlow::Appointment(f) => f.back(cx),
            ActiveFlow::Certificate(f) => f.back(cx),
            ActiveFlow::PersonalDocuments(f) => f.back(cx),
            ActiveFlow::MedicalInsurance(f) => f.back(cx),
            ActiveFlow::TrafficFine(f) => f.back(cx),
            ActiveFlow::SampleForms(f) => f.back(cx),
            ActiveFlow::Apply(f) => f.back(cx),
        }
    }

    fn on_event(&mut self, cx: &mut Cx, event: ServiceEvent) -> bool {
        // An answer for another service than the one on screen is dropped here.
        match (self, event) {
            (ActiveFlow::QueueTicket(f), ServiceEvent::QueueTicket(e)) => f.on_event(cx, e),
            (ActiveFlow::CaseProgress(f), ServiceEvent::CaseProgress(e)) => f.on_event(cx, e),
            (ActiveFlow::IdCopy(f), ServiceEvent::IdCopy(e)) => f.on_event(cx, e),
            (ActiveFlow::Appointment(f), ServiceEvent::Appointment(e)) => f.on_event(cx, e),
            (ActiveFlow::Certificate(f), ServiceEvent::Certificate(e)) => f.on_event(cx, e),
            (ActiveFlow::PersonalDocuments(f), ServiceEvent::PersonalDocuments(e)) => {
                f.on_event(cx, e)
            }
            (ActiveFlow::MedicalInsurance(f), ServiceEvent::MedicalInsurance(e)) => {
                f.on_event(cx, e)
            }
            (ActiveFlow::TrafficFine(f), ServiceEvent::TrafficFine(e)) => f.on_event(cx, e),
            (ActiveFlow::SampleForms(f), ServiceEvent::SampleForms(e)) => f.on_event(cx, e),
            (ActiveFlow::Apply(f), ServiceEvent::Apply(e)) => f.on_event(cx, e),
            _ => false,
        }
    }

    fn on_code(&mut self, cx: &mut Cx, code: &ScannedCode) -> bool {
        match self {
            ActiveFlow::QueueTicket(f) => f.on_code(cx, code),
            ActiveFlow::CaseProgress(f) => f.on_code(cx, code),
            ActiveFlow::IdCopy(f) => f.on_code(cx, code),
            ActiveFlow::Appointment(f) => f.on_code(cx, code),
            ActiveFlow::Certificate(f) => f.on_code(cx, code),
            ActiveFlow::PersonalDocuments(f) => f.on_code(cx, code),
            ActiveFlow::MedicalInsurance(f) => f.on_code(cx, code),
            ActiveFlow::TrafficFine(f) => f.on_code(cx, code),
            ActiveFlow::SampleForms(f) => f.on_code(cx, code),
            ActiveFlow::Apply(f) => f.on_code(cx, code),
        }
    }

    fn case_number(&self) -> Option<String> {
        match self {
            ActiveFlow::QueueTicket(f) => f.case_number(),
            ActiveFlow::CaseProgress(f) => f.case_number(),
            ActiveFlow::IdCopy(f) => f.case_number(),
            ActiveFlow::Appointment(f) => f.case_number(),
            ActiveFlow::Certificate(f) => f.case_number(),
            ActiveFlow::PersonalDocuments(f) => f.case_number(),
            ActiveFlow::MedicalInsurance(f) => f.case_number(),
            ActiveFlow::TrafficFine(f) => f.case_number(),
            ActiveFlow::SampleForms(f) => f.case_number(),
            ActiveFlow::Apply(f) => f.case_number(),
        }
    }

    fn card_on_glass(&self) -> bool {
        // Only the ID copy puts the card on the glass.
        matches!(self, ActiveFlow::IdCopy(f) if f.card_on_glass())
    }
}

/// Every service, as the kiosk runs them: their workers' ports and what they keep between
/// sessions. The router starts flows from it; the menu is built from [`Services::tiles`].
pub struct Services {
    /// Queue tickets.
    pub queue_ticket: queue_ticket::Service,
    /// Progress of an application.
    pub case_progress: case_progress::Service,
    /// ID-card copies.
    pub id_copy: id_copy::Service,
    /// Appointments.
    pub appointment: appointment::Service,
    /// Certificates.
    pub certificate: certificate::Service,
    /// Personal documents.
    pub personal_documents: personal_documents::Service,
    /// Medical insurance.
    pub medical_insurance: medical_insurance::Service,
    /// Traffic fines.
    pub traffic_fine: traffic_fine::Service,
    /// Sample forms.
    pub sample_forms: sample_forms::Service,
    /// Applications for a matter.
    pub apply: apply::Service,
    conditions: Conditions,
    switches: crate::config::ServicesConfig,
    bench_tiles: usize,
}

impl Services {
    /// The registry over these services.
    // One parameter per service: the registry is the one place that names them all, and
    // the compiler then asks each caller for the new one.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        queue_ticket: queue_ticket::Service,
        case_progress: case_progress::Service,
        id_copy: id_copy::Service,
        appointment: appointment::Service,
        certificate: certificate::Service,
        personal_documents: personal_documents::Service,
        medical_insurance: medical_insurance::Service,
        traffic_fine: traffic_fine::Service,
        sample_forms: sample_forms::Service,
        apply: apply::Service,
    ) -> Self {
        Self {
            apply,
            queue_ticket,
            case_progress,
            id_copy,
            appointment,
            certificate,
            personal_documents,
            medical_insurance,
            traffic_fine,
            sample_forms,
            conditions: Conditions::default(),
            switches: crate::config::ServicesConfig::default(),
            bench_tiles: 0,
        }
    }

    /// The kiosk's `[services.<name>]` sections: a service switched off is not offered.
    pub fn configured(mut self, switches: &crate::config::ServicesConfig) -> Self {
        self.switches = switches.clone();
        self
    }

    /// Whether a citizen identified `by` may use `id`: the service's `identify` setting,
    /// or its default. Services that use the card's data for a document, a payment or an
    /// application take the card only; the ID copy needs the card itself, whatever the
    /// setting says.
    pub fn accepts(&self, id: ServiceId, by: IdentifiedBy) -> bool {
        use IdentifiedBy::{Card, Eid, Typed};
        if by == Card {
            return true;
        }
        let s = &self.switches;
        let (set, default): (&Option<Vec<IdentifiedBy>>, &[IdentifiedBy]) = match id {
            ServiceId::IdCopy => return false,
            ServiceId::QueueTicket => (&s.queue_ticket.identify, &[Card, Typed, Eid]),
            ServiceId::CaseProgress => (&s.case_progress.identify, &[Card, Typed, Eid]),
            ServiceId::Appointment => (&s.appointment.identify, &[Card, Typed, Eid]),
            ServiceId::Certificate => (&s.certificate.identify, &[Card]),
            ServiceId::PersonalDocuments => (&s.personal_documents.identify, &[Card]),
            ServiceId::MedicalInsurance => (&s.medical_insurance.identify, &[Card]),
            // Payments: the card only (issue 15).
            ServiceId::TrafficFine => (&s.traffic_fine.identify, &[Card]),
            // Browsing needs no card; the pre-filled print asks for the card's text.
            ServiceId::SampleForms => (&s.sample_forms.identify, &[Card, Typed, Eid]),
            // The form is filled from the card.
            ServiceId::Apply => (&s.apply.identify, &[Card]),
        };
        set.as_deref().unwrap_or(default).contains(&by)
    }

    fn switched_on(&self, id: ServiceId) -> bool {
        let s = &self.switches;
        match id {
            ServiceId::QueueTicket => s.queue_ticket.enabled,
            ServiceId::CaseProgress => s.case_progress.enabled,
            ServiceId::IdCopy => s.id_copy.enabled,
            ServiceId::Appointment => s.appointment.enabled,
            ServiceId::Certificate => s.certificate.enabled,
            ServiceId::PersonalDocuments => s.personal_documents.enabled,
            ServiceId::MedicalInsurance => s.medical_insurance.enabled,
            ServiceId::TrafficFine => s.traffic_fine.enabled,
            ServiceId::SampleForms => s.sample_forms.enabled,
            ServiceId::Apply => s.apply.enabled,
        }
    }

    /// The platform link and device faults changed.
    pub fn set_conditions(&mut self, conditions: Conditions) {
        self.conditions = conditions;
    }

    /// What the menu uses to say which services work.
    pub fn conditions(&self) -> &Conditions {
        &self.conditions
    }

    /// Whether the kiosk offers `id` at all (it has the devices for it).
    pub fn offered(&self, id: ServiceId) -> bool {
        self.switched_on(id)
            && match id {
                ServiceId::QueueTicket => true,
                ServiceId::CaseProgress => true,
                ServiceId::IdCopy => self.id_copy.offered(),
                ServiceId::Appointment => true,
                ServiceId::Certificate => self.certificate.offered(),
                ServiceId::PersonalDocuments => self.personal_documents.offered(),
                ServiceId::MedicalInsurance => true,
                ServiceId::TrafficFine => true,
                ServiceId::SampleForms => true,
                ServiceId::Apply => self.apply.offered(),
            }
    }

    /// Why `id` cannot be used now, if it cannot.
    pub fn unavailable(&self, id: ServiceId) -> Option<Unavailable> {
        // Every service writes at least one transaction (and a rating after it): none starts
        // on a full disk, whatever it would need besides.
        if self.conditions.faulty.contains(&Device::Storage) {
            return Some(Unavailable::StorageFull);
        }
        let (needs, platform): (&[Device], bool) = match id {
            ServiceId::QueueTicket => (queue_ticket::NEEDS, false),
            ServiceId::CaseProgress => (&[], true),
            ServiceId::IdCopy => (id_copy::NEEDS, false),
            ServiceId::Appointment => (appointment::NEEDS, true),
            ServiceId::Certificate => (certificate::NEEDS, true),
            ServiceId::PersonalDocuments => (personal_documents::NEEDS, true),
            // The A4 printer is only for its statement: not a reason to grey the tile.
            ServiceId::MedicalInsurance => (medical_insurance::NEEDS, true),
            // Online only: payment orders are the platform's.
            ServiceId::TrafficFine => (traffic_fine::NEEDS, true),
            // Browsing works offline from the cached library; the A4 printer only prints.
            ServiceId::SampleForms => (sample_forms::NEEDS, false),
            // Offline the application is sealed and sent later: the tile stays.
            ServiceId::Apply => (apply::NEEDS, false),
        };
        if let Some(d) = self.conditions.fault(needs) {
            return Some(Unavailable::DeviceFault(d));
        }
        (platform && !self.conditions.online).then_some(Unavailable::PlatformUnreachable)
    }

    /// A device at fault that `id` works without, but for part of it: the tile says so.
    pub fn missing(&self, id: ServiceId) -> Option<Device> {
        let partly: &[Device] = match id {
            ServiceId::SampleForms => &[Device::A4Printer],
            _ => &[],
        };
        self.conditions.fault(partly)
    }

    /// The menu for a citizen identified `by` (`None`: no citizen): a service that takes
    /// the card only says so to one identified otherwise.
    pub fn tiles_for(&self, by: Option<IdentifiedBy>) -> Vec<Tile> {
        let mut tiles = self.tiles();
        if let Some(by) = by {
            for t in &mut tiles {
                if t.unavailable.is_none() && !self.accepts(t.id, by) {
                    t.unavailable = Some(Unavailable::NeedsCard);
                }
            }
        }
        tiles
    }

    /// The menu: every service the kiosk offers, with why it cannot be used now.
    pub fn tiles(&self) -> Vec<Tile> {
        let mut tiles: Vec<Tile> = ServiceId::ALL
            .into_iter()
            .filter(|id| self.offered(*id))
            .map(|id| Tile {
                id,
                unavailable: self.unavailable(id),
                missing: self.missing(id),
            })
            .collect();
        // Stand-ins for services still to come, greyed out (benches/ui_touch.rs only; they
        // copy the last tile, which the bench does not touch).
        let last = tiles.last().map(|t| t.id);
        tiles.extend(
            last.into_iter()
                .cycle()
                .take(self.bench_tiles)
                .map(|id| Tile {
                    id,
                    unavailable: Some(Unavailable::PlatformUnreachable),
                    missing: None,
                }),
        );
        tiles
    }

    /// Benchmarks only: `n` more tiles on the menu, as if `n` more services were registered,
    /// so the work per touch can be shown not to grow with the registry.
    #[doc(hidden)]
    pub fn set_bench_tiles(&mut self, n: usize) {
        self.bench_tiles = n;
    }
}

impl Registry for Services {
    type Id = ServiceId;
    type Flow = ActiveFlow;

    fn start(&mut self, id: ServiceId, cx: &mut Cx) -> Option<ActiveFlow> {
        if !self.offered(id) || self.unavailable(id).is_some() {
            return None;
        }
        if let Some(c) = cx.session.citizen() {
            if !self.accepts(id, c.by) {
                return None;
            }
        }
        Some(match id {
            ServiceId::QueueTicket => ActiveFlow::QueueTicket(self.queue_ticket.start(cx)),
            ServiceId::CaseProgress => ActiveFlow::CaseProgress(self.case_progress.start(cx)),
            ServiceId::IdCopy => ActiveFlow::IdCopy(self.id_copy.start(cx)),
            ServiceId::Appointment => ActiveFlow::Appointment(self.appointment.start(cx)),
            ServiceId::Certificate => ActiveFlow::Certificate(self.certificate.start(cx)),
            ServiceId::PersonalDocuments => {
                ActiveFlow::PersonalDocuments(self.personal_documents.start(cx))
            }
            ServiceId::MedicalInsurance => {
                ActiveFlow::MedicalInsurance(self.medical_insurance.start(cx))
            }
            ServiceId::TrafficFine => ActiveFlow::TrafficFine(self.traffic_fine.start(cx)),
            ServiceId::SampleForms => ActiveFlow::SampleForms(self.sample_forms.start(cx)),
            ServiceId::Apply => ActiveFlow::Apply(self.apply.start(cx)),
        })
    }

    fn id_of(flow: &ActiveFlow) -> ServiceId {
        flow.id()
    }

    fn claim(&mut self, code: &ScannedCode, cx: &mut Cx) -> Option<ActiveFlow> {
        // Following a case needs no card: a receipt on the attract screen starts it; so
        // does checking in with an appointment slip.
        if let Some(flow) = self.case_progress.claim(code, cx) {
            return Some(ActiveFlow::CaseProgress(flow));
        }
        // A slip is claimed when the kiosk believes the platform away too: the sync's view
        // is a heartbeat old, and the check-in's own try answers either way, with the
        // ordinary ticket from the leased numbers when it cannot reach the platform (a
        // "not one of the hall's codes" notice would tell the citizen something untrue).
        let appointments = ServiceId::Appointment;
        let usable = matches!(
            self.unavailable(appointments),
            None | Some(Unavailable::PlatformUnreachable)
        );
        if self.offered(appointments) && usable {
            return self
                .appointment
                .claim(code, cx)
                .map(ActiveFlow::Appointment);
        }
        None
    }

    fn on_identified(&mut self, cx: &mut Cx) {
        if self.offered(ServiceId::Appointment) && self.conditions.online {
            self.appointment.on_identified(cx);
        }
    }

    fn take_event(&mut self, cx: &mut Cx, event: ServiceEvent) -> Option<ServiceEvent> {
        match event {
            ServiceEvent::Appointment(e) => self
                .appointment
                .take_event(cx, e)
                .map(ServiceEvent::Appointment),
            other => Some(other),
        }
    }
}

#[cfg(test)]
mod contract_tests;
