//! The technician screen's controller: which page is shown, what was asked of the worker
//! and what came back. No Slint, no I/O: the checks run on the technician worker
//! ([`super::worker`]), which answers with [`TechEvent`]s; tests drive it with a fake port.
//!
//! It opens only through the PIN gate's technician result ([`TechnicianConsole::open`]) and
//! forgets everything it was shown when it closes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::bundle::Destination;
use super::devices::DeviceReport;
use super::link::StepResult;
use crate::devices::health::{DeviceId, DeviceState};

/// The devices in the screen's order.
pub const DEVICES: [DeviceId; 5] = [
    DeviceId::IdCard,
    DeviceId::Printer,
    DeviceId::CodeScanner,
    DeviceId::DocScanner,
    DeviceId::A4Printer,
];

/// What the console asks the technician worker.
#[derive(Debug, Clone, PartialEq)]
pub enum TechOrder {
    /// Every device's live state, identity and protocol log.
    Refresh,
    /// One device's self-test.
    SelfTest(DeviceId),
    /// The platform link, step by step, and the store's figures.
    CheckLink,
    /// The diagnostic bundle, written to `0`, with the sync thread's last status.
    ExportBundle(Destination, Box<Option<crate::sync::SyncStatus>>),
    /// A technician signed in with this badge: the worker audits their actions under it.
    SignedIn(String),
    /// An action the console carried out itself (the code scanner's test), for the audit.
    Audit {
        /// The audit log's action code (`scan_test`).
        action: String,
        /// How it went, in words with no personal data (`ok`, `timed out`).
        result: String,
    },
    /// A card was read while the screen is open (held back from the citizens' session):
    /// the reader's self-test shows it as its test-card read, with this masked line
    /// (`张*, 440106********1234`).
    TestCard(String),
    /// The screen closed: the worker audits the sign-out and forgets the badge.
    SignedOut,
}

/// Where the console sends its orders (the worker's channel; a fake in tests).
pub trait TechnicianPort {
    /// Queues `order`; the answer comes back as a [`TechEvent`].
    fn send(&self, order: TechOrder);
}

/// One device as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    /// Which device.
    pub device: DeviceId,
    /// Its live state from the health board (`None`: not on this kiosk).
    pub state: Option<DeviceState>,
    /// Its identity as far as the kiosk knows it without asking (port, VID:PID).
    pub identity: Vec<(String, String)>,
    /// Its protocol log, one line per exchange (masked when recorded).
    pub log: Vec<String>,
}

/// The store's figures for the link page: outbox rows by state and the last upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreFigures {
    /// Rows waiting.
    pub pending: u64,
    /// Rows acknowledged, kept until purged.
    pub sent: u64,
    /// Rows refused for good.
    pub failed: u64,
    /// When the platform last acknowledged a row (RFC 3339), if one is kept.
    pub last_sent: Option<String>,
    /// Why the figures could not be read.
    pub problem: Option<String>,
}

impl StoreFigures {
    /// Reads them on a read-only connection (the kiosk may be running; nothing is created).
    pub fn read(db: &Path) -> StoreFigures {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
        let conn = match rusqlite::Connection::open_with_flags(db, flags) {
            Ok(c) => c,
            Err(e) => {
                return StoreFigures {
                    problem: Some(format!("cannot open {}: {e}", db.display())),
                    ..StoreFigures::default()
                }
            }
        };
        let mut f = StoreFigures::default();
        let mut read = || -> rusqlite::Result<StoreFigures> {
            let mut stmt = conn.prepare("SELECT state, count(*) FROM outbox GROUP BY state")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?;
            for row in rows {
                match row? {
                    (s, n) if s == "pending" => f.pending = n,
                    (s, n) if s == "sent" => f.sent = n,
                    (s, n) if s == "failed" => f.failed = n,
                    _ => {}
                }
            }
            f.last_sent = conn.query_row(
                "SELECT max(sent_at) FROM outbox WHERE state = 'sent'",
                [],
                |r| r.get(0),
            )?;
            Ok(f.clone())
        };
        read().unwrap_or_else(|e| StoreFigures {
            problem: Some(e.to_string()),
            ..StoreFigures::default()
        })
    }

    /// `outbox: 3 pending, 120 sent, 0 failed; last upload 2026-12-01T11:02:03+00:00`.
    pub fn line(&self) -> String {
        if let Some(p) = &self.problem {
            return format!("outbox: {p}");
        }
        format!(
            "outbox: {} pending, {} sent (kept), {} failed; last upload acknowledged: {}",
            self.pending,
            self.sent,
            self.failed,
            self.last_sent.as_deref().unwrap_or("none kept")
        )
    }
}

/// A test scan's picture, for the screen only (never written anywhere).
#[derive(Clone, PartialEq, Eq)]
pub struct TestScan {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// RGB8, row by row.
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for TestScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestScan({}x{})", self.width, self.height)
    }
}

/// What the technician worker answers.
#[derive(Debug, Clone, PartialEq)]
pub enum TechEvent {
    /// Every device's row.
    Devices(Vec<DeviceRow>),
    /// One device's self-test, with the test scan's picture for the document scanner.
    SelfTest(DeviceReport, Option<TestScan>),
    /// The link check and the store's figures.
    Link(Vec<StepResult>, StoreFigures),
    /// The bundle was written there, or why not.
    Bundle(Result<PathBuf, String>),
}

/// The technician screen's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TechPage {
    /// Not shown.
    Closed,
    /// The device list with the selected device's details.
    Devices,
    /// The platform link.
    Link,
    /// The diagnostic bundle.
    Bundle,
}

/// Where a check or an export stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Job<T> {
    /// Not asked for since the screen opened.
    NotRun,
    /// Asked for; the worker is on it.
    Running,
    /// The answer.
    Done(T),
}

/// A technician who walks away: the screen closes after this long without a touch, so a
/// kiosk is never left out of the citizens' hands.
pub const IDLE_CLOSE: std::time::Duration = std::time::Duration::from_secs(300);

/// The technician screen's state.
pub struct TechnicianConsole {
    port: Box<dyn TechnicianPort>,
    kiosk_id: String,
    /// The session clock's time of the last touch.
    last_touch: std::time::Duration,
    page: TechPage,
    selected: DeviceId,
    rows: Vec<DeviceRow>,
    tests: BTreeMap<DeviceId, Job<(DeviceReport, Option<TestScan>)>>,
    link: Job<(Vec<StepResult>, StoreFigures)>,
    bundle: Job<Result<PathBuf, String>>,
    /// Set while "scan a test code" waits for the next scan.
    scan_wait: Job<String>,
    sync: Option<crate::sync::SyncStatus>,
}

impl TechnicianConsole {
    /// A closed console of kiosk `kiosk_id` sending its orders to `port`.
    pub fn new(port: Box<dyn TechnicianPort>, kiosk_id: &str) -> Self {
        TechnicianConsole {
            port,
            kiosk_id: kiosk_id.to_owned(),
            last_touch: std::time::Duration::ZERO,
            page: TechPage::Closed,
            selected: DeviceId::IdCard,
            rows: Vec::new(),
            tests: BTreeMap::new(),
            link: Job::NotRun,
            bundle: Job::NotRun,
            scan_wait: Job::NotRun,
            sync: None,
        }
    }

    /// The kiosk's id (the bundle's file name).
    pub fn kiosk_id(&self) -> &str {
        &self.kiosk_id
    }

    /// Opens on the device list for the technician with `badge`; the PIN gate calls it
    /// for a technician's PIN. What they do is audited under the badge.
    pub fn open(&mut self, badge: &str) {
        if self.page == TechPage::Closed {
            self.port.send(TechOrder::SignedIn(badge.to_owned()));
        }
        self.page = TechPage::Devices;
        self.selected = DeviceId::IdCard;
        self.port.send(TechOrder::Refresh);
    }

    /// A touch at `now` (the session clock): keeps the screen open.
    pub fn touch(&mut self, now: std::time::Duration) {
        self.last_touch = now;
    }

    /// Closes the screen once nobody touched it for [`IDLE_CLOSE`]; true when it closed.
    pub fn tick(&mut self, now: std::time::Duration) -> bool {
        if self.page != TechPage::Closed && now.saturating_sub(self.last_touch) >= IDLE_CLOSE {
            self.close();
            return true;
        }
        false
    }

    /// Closes and forgets what was shown (a test card's masked line, a test scan).
    pub fn close(&mut self) {
        if self.page != TechPage::Closed {
            self.port.send(TechOrder::SignedOut);
        }
        self.page = TechPage::Closed;
        self.rows.clear();
        self.tests.clear();
        self.link = Job::NotRun;
        self.bundle = Job::NotRun;
        self.scan_wait = Job::NotRun;
    }

    /// The page shown.
    pub fn page(&self) -> TechPage {
        self.page
    }

    /// Shows `page` (the link page runs its check when first shown).
    pub fn show(&mut self, page: TechPage) {
        if self.page == TechPage::Closed || page == TechPage::Closed {
            return;
        }
        self.page = page;
        match page {
            TechPage::Devices => self.port.send(TechOrder::Refresh),
            TechPage::Link if self.link == Job::NotRun => self.check_link(),
            _ => {}
        }
    }

    /// Selects a device on the list.
    pub fn select(&mut self, device: DeviceId) {
        self.selected = device;
    }

    /// The device whose details are shown.
    pub fn selected(&self) -> DeviceId {
        self.selected
    }

    /// The rows, in [`DEVICES`] order.
    pub fn rows(&self) -> &[DeviceRow] {
        &self.rows
    }

    /// Asks for the live state again (the screen's timer calls it every few seconds).
    pub fn refresh(&mut self) {
        if self.page == TechPage::Devices {
            self.port.send(TechOrder::Refresh);
        }
    }

    /// Runs the selected device's self-test; the code scanner's waits for the next scan
    /// ([`TechnicianConsole::on_scanned`]) instead.
    pub fn self_test(&mut self) {
        if self.page == TechPage::Closed {
            return;
        }
        if self.selected == DeviceId::CodeScanner {
            self.scan_wait = Job::Running;
            return;
        }
        if self.tests.get(&self.selected) == Some(&Job::Running) {
            return;
        }
        self.tests.insert(self.selected, Job::Running);
        self.port.send(TechOrder::SelfTest(self.selected));
    }

    /// The selected device's self-test.
    pub fn test_of(&self, device: DeviceId) -> &Job<(DeviceReport, Option<TestScan>)> {
        self.tests.get(&device).unwrap_or(&Job::NotRun)
    }

    /// The code scanner's test: whether it waits, and what it read (masked).
    pub fn scan_test(&self) -> &Job<String> {
        &self.scan_wait
    }

    /// Whether a scanned code belongs to the console (it waits for the test code) rather
    /// than to a citizen's session; the app's adapter asks before routing a scan.
    pub fn wants_scan(&self) -> bool {
        self.page != TechPage::Closed && self.scan_wait == Job::Running
    }

    /// The test code, as the scanner's classifier saw it (never a code's personal part:
    /// the adapter passes what kind it was and its masked text).
    pub fn on_scanned(&mut self, shown: String) {
        if self.wants_scan() {
            self.scan_wait = Job::Done(shown);
            self.port.send(TechOrder::Audit {
                action: "scan_test".into(),
                result: "ok".into(),
            });
        }
    }

    /// A card the reader read while the screen is open, masked: the reader's test-card
    /// read (the worker adds how long it took and answers with the reader's self-test).
    pub fn on_test_card(&mut self, shown: String) {
        if self.page == TechPage::Closed {
            return;
        }
        self.selected = DeviceId::IdCard;
        self.tests.insert(DeviceId::IdCard, Job::Running);
        self.port.send(TechOrder::TestCard(shown));
    }

    /// Runs the link check.
    pub fn check_link(&mut self) {
        if self.page == TechPage::Closed || self.link == Job::Running {
            return;
        }
        self.link = Job::Running;
        self.port.send(TechOrder::CheckLink);
    }

    /// The link check.
    pub fn link(&self) -> &Job<(Vec<StepResult>, StoreFigures)> {
        &self.link
    }

    /// The sync thread's last status (the app's adapter forwards every one).
    pub fn set_sync(&mut self, status: crate::sync::SyncStatus) {
        self.sync = Some(status);
    }

    /// The sync thread's last status: clock skew, last contact.
    pub fn sync(&self) -> Option<&crate::sync::SyncStatus> {
        self.sync.as_ref()
    }

    /// Exports the bundle to `dest`.
    pub fn export(&mut self, dest: Destination) {
        if self.page == TechPage::Closed || self.bundle == Job::Running {
            return;
        }
        self.bundle = Job::Running;
        self.port
            .send(TechOrder::ExportBundle(dest, Box::new(self.sync.clone())));
    }

    /// The last export.
    pub fn bundle(&self) -> &Job<Result<PathBuf, String>> {
        &self.bundle
    }

    /// An answer of the worker; dropped when the console closed meanwhile.
    pub fn on_event(&mut self, event: TechEvent) {
        if self.page == TechPage::Closed {
            return;
        }
        match event {
            TechEvent::Devices(rows) => self.rows = rows,
            TechEvent::SelfTest(report, scan) => {
                self.tests.insert(report.device, Job::Done((report, scan)));
            }
            TechEvent::Link(steps, figures) => self.link = Job::Done((steps, figures)),
            TechEvent::Bundle(result) => self.bundle = Job::Done(result),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct FakePort(Rc<RefCell<Vec<TechOrder>>>);

    impl TechnicianPort for FakePort {
        fn send(&self, order: TechOrder) {
            self.0.borrow_mut().push(order);
        }
    }

    fn console() -> (TechnicianConsole, FakePort) {
        let port = FakePort::default();
        (TechnicianConsole::new(Box::new(port.clone()), "k1"), port)
    }

    fn report(device: DeviceId) -> DeviceReport {
        let mut r = DeviceReport {
            device,
            identity: vec![("port".into(), "/dev/ttyUSB0".into())],
            checks: vec![],
            log: vec![],
        };
        r.checks.push(super::super::devices::Check {
            name: "SAM status".into(),
            outcome: super::super::Outcome::Pass("90".into()),
        });
        r
    }

    #[test]
    fn opening_asks_for_the_devices_and_a_self_test_goes_to_the_worker_once() {
        let (mut c, port) = console();
        c.self_test();
        assert!(port.0.borrow().is_empty(), "closed: nothing is asked");
        c.open("9001");
        assert_eq!(
            *port.0.borrow(),
            [TechOrder::SignedIn("9001".into()), TechOrder::Refresh]
        );
        c.select(DeviceId::IdCard);
        c.self_test();
        c.self_test();
        assert_eq!(
            port.0.borrow().len(),
            3,
            "a second tap while it runs asks nothing"
        );
        assert_eq!(*c.test_of(DeviceId::IdCard), Job::Running);
        c.on_event(TechEvent::SelfTest(report(DeviceId::IdCard), None));
        assert!(matches!(c.test_of(DeviceId::IdCard), Job::Done((r, None)) if !r.failed()));
    }

    #[test]
    fn the_code_scanner_test_takes_the_next_scan_only_while_it_waits() {
        let (mut c, port) = console();
        c.open("9001");
        assert!(!c.wants_scan());
        c.select(DeviceId::CodeScanner);
        c.self_test();
        assert!(c.wants_scan());
        c.on_scanned("case number SB-2026…0042".into());
        assert!(!c.wants_scan(), "one code answers the test");
        assert_eq!(*c.scan_test(), Job::Done("case number SB-2026…0042".into()));
        assert_eq!(
            port.0.borrow()[2..],
            [TechOrder::Audit {
                action: "scan_test".into(),
                result: "ok".into()
            }],
            "the scanner's test needs no worker but its audit row"
        );
        c.close();
        assert_eq!(port.0.borrow().last(), Some(&TechOrder::SignedOut));
    }

    #[test]
    fn the_link_page_checks_once_and_closing_forgets_everything() {
        let (mut c, port) = console();
        c.open("9001");
        c.show(TechPage::Link);
        c.show(TechPage::Link);
        assert_eq!(
            port.0
                .borrow()
                .iter()
                .filter(|o| **o == TechOrder::CheckLink)
                .count(),
            1
        );
        c.on_event(TechEvent::Link(vec![], StoreFigures::default()));
        c.export(Destination::RemovableDrive);
        c.on_event(TechEvent::Bundle(Ok("/media/k/x.zip".into())));
        c.close();
        assert_eq!(c.page(), TechPage::Closed);
        assert_eq!(*c.link(), Job::NotRun);
        assert_eq!(*c.bundle(), Job::NotRun);
        // A late answer for the closed console is dropped.
        c.on_event(TechEvent::SelfTest(report(DeviceId::IdCard), None));
        assert_eq!(*c.test_of(DeviceId::IdCard), Job::NotRun);
        c.show(TechPage::Bundle);
        assert_eq!(c.page(), TechPage::Closed, "only the PIN gate opens it");
    }

    #[test]
    fn an_untouched_screen_closes_after_five_minutes() {
        use std::time::Duration;
        let (mut c, _port) = console();
        c.touch(Duration::from_secs(10));
        c.open("9001");
        assert!(!c.tick(Duration::from_secs(10) + IDLE_CLOSE - Duration::from_secs(1)));
        c.touch(Duration::from_secs(200));
        assert!(!c.tick(Duration::from_secs(10) + IDLE_CLOSE));
        assert!(c.tick(Duration::from_secs(200) + IDLE_CLOSE));
        assert_eq!(c.page(), TechPage::Closed);
        assert!(!c.tick(Duration::from_secs(10_000)), "closed stays closed");
    }

    #[test]
    fn store_figures_come_from_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.sqlite");
        let mut store = crate::store::Store::open(&db).unwrap();
        let now = chrono::Utc::now();
        let id = store.enqueue("queue_ticket", "{}", now).unwrap();
        store.enqueue("queue_ticket", "{}", now).unwrap();
        store.mark_sent(&[id], now).unwrap();
        let f = StoreFigures::read(&db);
        assert_eq!((f.pending, f.sent, f.failed), (1, 1, 0), "{f:?}");
        assert!(f.last_sent.is_some());
        assert!(StoreFigures::read(&dir.path().join("none.sqlite"))
            .problem
            .is_some());
    }
}
