//! Starting the kiosk: the window, the controller, and the threads behind it.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use slint::ComponentHandle;

use crate::app::{EventSink, Reply, Router};
use crate::config::{Config, SerialDevice};
use crate::devices::a4_printer::{A4Output, A4Printer};
use crate::devices::doc_scanner::DocumentSource;
use crate::devices::health::{DeviceId, HealthBoard};
use crate::devices::idcard_manager::IdCardManager;
use crate::devices::printer_manager::{PrinterHandle, PrinterLink, PrinterManager, PrinterOptions};
use crate::services::appointment::worker::AppointmentWorkerDeps;
use crate::services::certificate::worker::CertificateWorkerDeps;
use crate::services::id_copy::worker::CopyWorkerDeps;
use crate::services::medical_insurance::worker::MedicalWorkerDeps;
use crate::services::personal_documents::worker::DocumentsWorkerDeps;
use crate::services::queue_ticket::worker::TicketWorkerDeps;
use crate::services::sample_forms::worker::SampleFormsWorkerDeps;
use crate::services::traffic_fine::worker::FineWorkerDeps;
use crate::services::{
    appointment, case_progress, certificate, id_copy, medical_insurance, personal_documents,
    queue_ticket, sample_forms, traffic_fine, Services,
};
use crate::store::Store;
use crate::sync::SyncWorker;
use crate::ui::{self, AppWindow, KioskUi};
use crate::worker::Worker;

/// The citizen services' worker threads (each stops and is joined when dropped).
struct ServiceWorkers {
    _queue_ticket: Worker<Reply<queue_ticket::TicketOrder>>,
    _case_progress: Worker<Reply<case_progress::CaseQuery>>,
    _id_copy: Worker<Reply<id_copy::Job>>,
    _appointment: Worker<Reply<appointment::Order>>,
    _certificate: Worker<Reply<certificate::Order>>,
    _personal_documents: Worker<Reply<personal_documents::Order>>,
    _medical_insurance: Worker<Reply<medical_insurance::Order>>,
    _rating: Worker<crate::app::Rated<crate::services::ServiceId>>,
    _identity: Worker<Reply<crate::app::identify::IdentityOrder>>,
    _traffic_fine: Worker<Reply<traffic_fine::Order>>,
    _sample_forms: Worker<Reply<sample_forms::Order>>,
    _apply: Worker<Reply<crate::services::apply::Order>>,
}

impl ServiceWorkers {
    /// Each worker's life, by thread name. The pattern names every field, so a worker
    /// added to the struct and not to the watchdog's list does not compile.
    fn lives(&self) -> Vec<(&'static str, crate::worker::Life)> {
        let ServiceWorkers {
            _queue_ticket,
            _case_progress,
            _id_copy,
            _appointment,
            _certificate,
            _personal_documents,
            _medical_insurance,
            _rating,
            _identity,
            _traffic_fine,
            _sample_forms,
            _apply,
        } = self;
        vec![
            ("queue-ticket", _queue_ticket.life()),
            ("case-progress", _case_progress.life()),
            ("id-copy", _id_copy.life()),
            ("appointment", _appointment.life()),
            ("certificate", _certificate.life()),
            ("personal-documents", _personal_documents.life()),
            ("medical-insurance", _medical_insurance.life()),
            ("rating", _rating.life()),
            ("identity", _identity.life()),
            ("traffic-fine", _traffic_fine.life()),
            ("sample-forms", _sample_forms.life()),
            ("apply", _apply.life()),
        ]
    }
}

/// The file in the runtime folder by which the package asks for a restart once idle.
pub const RESTART_FLAG: &str = "restart-when-idle";

fn is_idle(ui: &KioskUi, staff: &ui::StaffUi, technician: &ui::TechnicianUi) -> bool {
    let attract = ui.with_router(|r| matches!(r.screen(), crate::app::Screen::Attract));
    let staff_away = staff.with_controller(|c| c.mode() == crate::app::staff::StaffMode::Closed);
    attract && staff_away && !technician.is_open()
}

/// While it lives, the kiosk pings systemd's watchdog from the UI thread
/// ([`Kiosk::tell_service_manager`]).
pub struct ServiceManagerLink {
    _watchdog: Option<slint::Timer>,
}

/// A running kiosk. Dropping it stops every thread.
pub struct Kiosk {
    // Field order is drop order: the UI (and with it the service channel) goes first, then
    // the threads that feed it.
    ui: Rc<KioskUi>,
    staff: Rc<ui::StaffUi>,
    technician: Rc<ui::TechnicianUi>,
    window: AppWindow,
    _sync: SyncWorker,
    _idcard: IdCardManager,
    _services: ServiceWorkers,
    _code_scanner: Option<crate::devices::scanner_manager::ScannerManager>,
    _staff_service: Worker<crate::app::staff::StaffCommand>,
    _technician_worker: Worker<crate::diag::console::TechOrder>,
    _printer: PrinterManager,
    storage: crate::devices::storage::StorageWatch,
    start: crate::start_record::StartRecord,
    _a4_poll: crate::devices::a4_printer::A4Poller,
    printer: PrinterHandle,
    health: Arc<HealthBoard>,
}

fn serial(dev: &SerialDevice, what: &str) -> anyhow::Result<(std::path::PathBuf, u32)> {
    match dev {
        SerialDevice::Serial { path, baud } => Ok((path.clone(), *baud)),
        SerialDevice::Simulated => {
            anyhow::bail!("{what}: simulated device has no port yet (start the SimRig first)")
        }
    }
}

impl Kiosk {
    /// Database file in the data folder.
    pub fn db_path(config: &Config) -> std::path::PathBuf {
        config.data_dir.join("kiosk.sqlite")
    }

    /// Builds the window and starts the device, service and sync threads. Every device in
    /// `config` must be a real port by now (the demo rig rewrites simulated ones).
    pub fn start(config: &Config) -> anyhow::Result<Self> {
        Self::start_with_clock(config, ui::monotonic_clock())
    }

    /// [`Kiosk::start`] with the session clock given (tests pass Slint's mock clock).
    pub fn start_with_clock(config: &Config, clock: ui::SessionClock) -> anyhow::Result<Self> {
        Self::start_with(config, clock, KioskExtras::default())
    }

    /// [`Kiosk::start_with_clock`] with simulated devices that cannot be described in a
    /// config file (the demo's glass, the demo's A4 folder).
    pub fn start_with(
        config: &Config,
        clock: ui::SessionClock,
        extras: KioskExtras,
    ) -> anyhow::Result<Self> {
        let db = Self::db_path(config);
        // Counted before anything can fail; the first frame says this version came up.
        let start = crate::start_record::begin(&config.data_dir, env!("CARGO_PKG_VERSION"));
        // Migrations run once here, before any thread opens its own connection.
        // Every connection to this database seals payloads under the configured key; the
        // first open runs quick_check and moves a damaged file aside with an alarm.
        crate::store::use_key_file(&db, &config.store_key_file());
        Store::open_at_start(&db).with_context(|| format!("opening {}", db.display()))?;

        let window = AppWindow::new().context("creating the window")?;
        ui::guard_window(&window);
        ui::stand(&window, config.display.orientation);
        let sink_ui = ui::UiSink::from_window(&window);
        let sink: Arc<dyn EventSink> = Arc::new(sink_ui);
        // This kiosk's devices: written by the device threads, read by staff and the heartbeat.
        let health = HealthBoard::new();
        // The data disk first: a full one greys every tile before a citizen can start.
        let storage = crate::devices::storage::StorageWatch::spawn(
            db.parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_else(|| ".".into()),
            crate::devices::storage::StorageLimits::from_mb(
                config.store.min_free_mb,
                config.store.warn_free_mb,
            ),
            &health,
        )
        .context("starting the storage watch")?;

        let key = config.platform_key()?;
        // The CA file and the pins (`[platform] ca_file`, `pins`), checked by preflight.
        let client = kiosk_platform::client::PlatformClient::with_trust(
            &config.platform.base_url,
            &config.platform.kiosk_id,
            &key,
            Duration::from_secs(config.platform.timeout_secs),
            &config.platform.trust()?,
        );
        let client_for_cases = client.clone();
        let client_for_appointments = client.clone();
        let client_for_certificates = client.clone();
        let client_for_documents = client.clone();
        let client_for_medical = client.clone();
        let client_for_identity = client.clone();
        let client_for_fines = client.clone();
        let client_for_forms = client.clone();
        let client_for_applications = client.clone();
        let client_for_bundles = client.clone();
        // The sync thread's status also goes to the platform's remote bundle (its last
        // heartbeat), caught on its way to the UI.
        let last_sync = crate::diag::upload::LastSync::new(sink.clone());
        let sync = SyncWorker::spawn(
            &db,
            client,
            config.sync.clone(),
            last_sync.clone(),
            health.clone(),
        )?;

        let link = match &config.devices.printer_link {
            // TCP 9100, USB or a device file, when configured, instead of the serial port.
            Some(link) => PrinterLink::from_config(link).ok_or_else(|| {
                anyhow::anyhow!("devices.printer_link: a USB vid/pid must be 4 hex digits")
            })?,
            None => {
                let (path, baud) = serial(&config.devices.printer, "printer")?;
                PrinterLink::Serial { path, baud }
            }
        };
        tracing::info!(printer = %link, "receipt printer");
        let (printer_mgr, printer) =
            PrinterManager::spawn_link(link, PrinterOptions::default(), &health);
        let printer_handle = printer.clone();
        let (ticket_worker, tickets) = queue_ticket::worker::spawn(TicketWorkerDeps {
            db_path: db.clone(),
            printer,
            sink: sink.clone(),
            kick: sync.kicker(),
            follow_base: config.platform.base_url.clone(),
        })?;
        let (case_worker, cases) = case_progress::worker::spawn(client_for_cases, sink.clone())
            .context("starting the case worker")?;
        let (appointment_worker, appointments) =
            appointment::worker::spawn(AppointmentWorkerDeps {
                db_path: db.clone(),
                client: client_for_appointments,
                printer: printer_handle.clone(),
                sink: sink.clone(),
                kick: sync.kicker(),
                page_base: config.platform.base_url.clone(),
            })?;
        let source = extras.doc_source.or_else(|| doc_scanner(config));
        let output = match extras.a4_folder {
            Some(dir) => A4Output::Folder(dir),
            None => a4_output(config)?,
        };
        // One A4 printer for every service that prints A4: each worker holds a clone.
        let a4 = A4Printer::new(output, &health, Some(&db));
        // One document scanner for every service that scans: each worker holds a clone.
        let doc_scanner =
            crate::devices::doc_scanner::SharedDocScanner::new(source, &health, Some(&db));
        let copy_offered = doc_scanner.is_present() && a4.is_present();
        let certificate_offered = a4.is_present();
        let (certificate_worker, certificates) =
            certificate::worker::spawn(CertificateWorkerDeps {
                db_path: db.clone(),
                client: client_for_certificates,
                a4: a4.clone(),
                printer: printer_handle.clone(),
                font: crate::assets::A4_FONT,
                sink: sink.clone(),
            })?;
        // Read the printer's state now and then, so a tile greys before a citizen tries and
        // frees itself once staff load paper.
        let a4_poll = a4
            .start_polling(Duration::from_secs(30))
            .context("starting the A4 printer's poll")?;
        let (medical_worker, medical) = medical_insurance::worker::spawn(MedicalWorkerDeps {
            client: client_for_medical,
            a4: a4.clone(),
            font: crate::assets::A4_FONT,
            db_path: db.clone(),
            sink: sink.clone(),
        })
        .context("starting the medical-insurance worker")?;
        let (copy_worker, copies) = id_copy::worker::spawn(CopyWorkerDeps {
            scanner: doc_scanner.clone(),
            a4: a4.clone(),
            font: crate::assets::A4_FONT,
            sink: sink.clone(),
        })
        .context("starting the copy worker")?;
        let documents_offered = a4.is_present();
        let (documents_worker, documents) =
            personal_documents::worker::spawn(DocumentsWorkerDeps {
                client: client_for_documents,
                a4: a4.clone(),
                font: crate::assets::A4_FONT,
                db_path: db.clone(),
                sink: sink.clone(),
            })
            .context("starting the documents worker")?;
        // Its first order asks the platform about payments a dead kiosk left open.
        let (fine_worker, fines) = traffic_fine::worker::spawn(FineWorkerDeps {
            client: client_for_fines,
            printer: printer_handle.clone(),
            db_path: db.clone(),
            sink: sink.clone(),
            poll_every: traffic_fine::worker::POLL_EVERY,
        })
        .context("starting the traffic-fine worker")?;
        let (forms_worker, forms) = sample_forms::worker::spawn(SampleFormsWorkerDeps {
            client: client_for_forms,
            a4: a4.clone(),
            font: crate::assets::A4_FONT,
            db_path: db.clone(),
            cache_bytes: sample_forms::worker::PAGE_CACHE_BYTES,
            sink: sink.clone(),
        })
        .context("starting the sample-forms worker")?;
        // Its first order sends what a previous run left pending (offline, or killed).
        let apply_offered = doc_scanner.is_present();
        let (apply_worker, applications) = crate::services::apply::worker::spawn(
            crate::services::apply::worker::ApplyWorkerDeps {
                db_path: db.clone(),
                scanner: doc_scanner.clone(),
                printer: printer_handle.clone(),
                client: client_for_applications,
                sink: sink.clone(),
                codes: match &config.codes {
                    Some(c) => Some((c.verify_base.clone(), c.key()?)),
                    None => None,
                },
                // As often as the outbox is sent, and at most every 15 s.
                retry_every: Duration::from_secs(config.sync.interval_secs.max(1))
                    .min(crate::services::apply::worker::RETRY_EVERY),
            },
        )
        .context("starting the application worker")?;
        let services = Services::new(
            queue_ticket::Service::new(Rc::new(tickets)),
            case_progress::Service::new(Rc::new(cases)),
            id_copy::Service::new(Rc::new(copies), copy_offered),
            appointment::Service::new(Rc::new(appointments)),
            certificate::Service::new(Rc::new(certificates), certificate_offered),
            personal_documents::Service::new(Rc::new(documents), documents_offered),
            medical_insurance::Service::new(Rc::new(medical)),
            traffic_fine::Service::new(Rc::new(fines)),
            sample_forms::Service::new(Rc::new(forms), &config.platform.base_url),
            crate::services::apply::Service::new(Rc::new(applications), apply_offered),
        )
        .configured(&config.services);
        let (identity_worker, identity) =
            crate::identity_worker::spawn(client_for_identity, sink.clone())
                .context("starting the identity worker")?;
        let router = Router::new(
            services,
            config.idle(),
            Duration::from_secs(config.session.countdown_secs),
            Duration::from_secs(config.session.done_secs),
        )
        .with_identity(Box::new(identity))
        .with_elderly_timing(
            Duration::from_secs(config.session.elderly_idle_secs),
            Duration::from_secs(config.session.elderly_countdown_secs),
        )
        .with_high_contrast(config.session.high_contrast);
        let router = if config.session.take_card {
            router.with_take_card(Duration::from_secs(config.session.take_card_secs))
        } else {
            router
        };
        let (rating_worker, ratings) =
            crate::rating_worker::spawn(crate::rating_worker::RatingWorkerDeps {
                db_path: db.clone(),
                kick: sync.kicker(),
            })?;
        let router = if config.session.rating {
            router.with_ratings(Rc::new(ratings))
        } else {
            router
        };
        let code_scanner = code_scanner(config, sink.clone(), &health)?;
        // Staff: who may sign in, the lock-out the store kept, every device's reset order.
        let access = crate::service::pin::StaffAccess::from_config(&config.staff)
            .map_err(anyhow::Error::msg)?;
        if access.is_empty() {
            tracing::warn!("no [[staff.badges]]: the staff screen cannot be opened");
        }
        for warning in access.warnings() {
            tracing::warn!("{warning}");
        }
        let resets = crate::devices::reset::DeviceResets::new();
        resets.register(DeviceId::Printer, printer_handle.reset_order());
        if a4.is_present() {
            resets.register(DeviceId::A4Printer, a4.reset_order());
        }
        if doc_scanner.is_present() {
            resets.register(DeviceId::DocScanner, doc_scanner.reset_order());
        }
        let (wrong, locked_for) =
            crate::service::staff_service::lockout_at_start(&Store::open(&db)?, chrono::Utc::now());
        let gate = crate::app::staff::PinGate::new(!access.is_empty(), wrong, locked_for, clock());
        // The technician side's pieces: its screen's worker and the platform's remote bundle.
        let tech_deps = crate::diag::worker::TechWorkerDeps {
            config: config.clone(),
            config_file: config.config_file.clone(),
            health: health.clone(),
            printer: printer_handle.clone(),
            a4: a4.clone(),
            doc_scanner: doc_scanner.clone(),
            sink: sink.clone(),
        };
        let remote_bundle = crate::diag::upload::RemoteBundle::new(
            tech_deps.clone(),
            last_sync.clone(),
            client_for_bundles,
        );
        let (staff_worker, staff_service) = crate::service::staff_service::spawn(
            crate::service::staff_service::StaffServiceDeps {
                db_path: db.clone(),
                data_dir: config.data_dir.clone(),
                printer: printer_handle.clone(),
                sink: sink.clone(),
                kick: sync.kicker(),
                health: health.clone(),
                a4: a4.clone(),
                access,
                resets: resets.clone(),
                restart_flag: std::env::var_os("RUNTIME_DIRECTORY")
                    .map(|dir| std::path::Path::new(&dir).join(RESTART_FLAG)),
                bundle: Some(Arc::new(move |command_id: &str| {
                    remote_bundle.make_and_upload(command_id)
                })),
            },
        )?;
        let out_of_service = crate::service::staff_service::out_of_service(&config.data_dir);
        if out_of_service {
            tracing::warn!("the kiosk starts out of service (staff took it out)");
        }
        let staff = ui::connect_staff(
            &window,
            crate::app::staff::StaffController::new(Box::new(staff_service), gate, out_of_service),
            clock.clone(),
        );
        // The technician screen (opened by the PIN gate's technician result:
        // `Kiosk::technician().open()`), its checks on a worker of its own.
        let (technician_worker, technician_orders) =
            crate::diag::worker::spawn(tech_deps).context("starting the technician worker")?;
        let technician = ui::connect_technician(
            &window,
            crate::diag::console::TechnicianConsole::new(
                Box::new(technician_orders),
                &config.platform.kiosk_id,
            ),
            config.data_dir.join("bundles"),
            clock.clone(),
        );
        {
            let technician = Rc::downgrade(&technician);
            staff.on_technician(move |badge| {
                if let Some(t) = technician.upgrade() {
                    t.open_by(badge);
                }
            });
        }
        let ui = ui::connect_app(&window, router, device_faults(&health), config.demo, clock);
        // Issue 17: the help request staff and the heartbeat see; the spoken prompts.
        ui.use_help(health.help().clone());
        // Issue 17: the attract screen dims at night.
        ui.set_night(config.display.night());
        if let Some(voice) = crate::voice::start(&config.voice, &config.data_dir) {
            ui.set_voice(voice);
            // Staff set the volume and the quiet hours on their screen.
            let (order, status) = (Rc::downgrade(&ui), Rc::downgrade(&ui));
            let night = (config.voice.quiet_hours.as_deref())
                .and_then(crate::voice::QuietHours::parse)
                .or_else(|| crate::voice::QuietHours::parse("22:00-07:00"))
                .expect("a valid default");
            staff.use_voice(ui::VoiceHook {
                order: Box::new(move |o| {
                    if let Some(ui) = order.upgrade() {
                        ui.voice_order(o);
                    }
                }),
                status: Box::new(move || status.upgrade().and_then(|ui| ui.voice_status())),
                night,
            });
        }

        let idcard = IdCardManager::start(
            &config.devices.idcard,
            Duration::from_millis(config.devices.idcard_poll_ms),
            sink,
            &health,
        )?;
        resets.register(DeviceId::IdCard, idcard.reset_order());
        if let Some(scanner) = &code_scanner {
            resets.register(DeviceId::CodeScanner, scanner.reset_order());
        }

        Ok(Self {
            ui,
            staff,
            technician,
            window,
            _sync: sync,
            _idcard: idcard,
            _services: ServiceWorkers {
                _queue_ticket: ticket_worker,
                _case_progress: case_worker,
                _id_copy: copy_worker,
                _appointment: appointment_worker,
                _certificate: certificate_worker,
                _personal_documents: documents_worker,
                _medical_insurance: medical_worker,
                _rating: rating_worker,
                _identity: identity_worker,
                _traffic_fine: fine_worker,
                _sample_forms: forms_worker,
                _apply: apply_worker,
            },
            _code_scanner: code_scanner,
            _staff_service: staff_worker,
            _technician_worker: technician_worker,
            _printer: printer_mgr,
            storage,
            start,
            _a4_poll: a4_poll,
            printer: printer_handle,
            health,
        })
    }

    /// The receipt printer's thread: its state for staff, `restock()` after new paper.
    pub fn printer(&self) -> &PrinterHandle {
        &self.printer
    }

    /// This kiosk's device-health board (the demo panel and tests read it).
    pub fn health(&self) -> &Arc<HealthBoard> {
        &self.health
    }

    /// The data disk's watch (tests move its lines to fill and free the disk).
    pub fn storage(&self) -> &crate::devices::storage::StorageWatch {
        &self.storage
    }

    /// The staff screen's state (tests read its controller).
    pub fn staff(&self) -> &Rc<ui::StaffUi> {
        &self.staff
    }

    /// The technician screen: the PIN gate opens it for a technician's PIN (tests open it
    /// directly).
    pub fn technician(&self) -> &Rc<ui::TechnicianUi> {
        &self.technician
    }

    /// The window (tests find elements in it).
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// The UI state (tests read the controller).
    pub fn ui(&self) -> &Rc<KioskUi> {
        &self.ui
    }

    /// Every thread of the kiosk by name, with its life: what the watchdog checks.
    pub fn lives(&self) -> Vec<(&'static str, crate::worker::Life)> {
        let mut lives = vec![
            ("sync", self._sync.life()),
            ("idcard", self._idcard.life()),
            ("printer", self._printer.life()),
            ("staff", self._staff_service.life()),
            ("storage", self.storage.life()),
            ("technician", self._technician_worker.life()),
        ];
        if let Some(s) = &self._code_scanner {
            lives.push(("code-scanner", s.life()));
        }
        lives.extend(self._services.lives());
        lives
    }

    /// Tells systemd, when it started the kiosk (`Type=notify`: `notify_socket` is
    /// `$NOTIFY_SOCKET`), that the kiosk is up once the event loop turns with the window
    /// shown, and pings its watchdog every half `watchdog` from a timer on the UI thread while
    /// every thread lives ([`crate::service_manager`]). Keep the link while the kiosk runs.
    pub fn tell_service_manager(
        &self,
        notify_socket: Option<String>,
        watchdog: Option<Duration>,
    ) -> ServiceManagerLink {
        use crate::service_manager::{Notifier, Watchdog};
        let Some(path) = notify_socket else {
            return ServiceManagerLink { _watchdog: None };
        };
        match Notifier::at(&path) {
            Ok(ready) => slint::Timer::single_shot(Duration::ZERO, move || {
                if let Err(e) = ready.send("READY=1\nSTATUS=attract screen up") {
                    tracing::warn!(error = %e, "telling systemd the kiosk is ready");
                }
            }),
            Err(e) => tracing::warn!(error = %e, "NOTIFY_SOCKET is not usable"),
        }
        let timer = watchdog.and_then(|every| {
            let mut dog = Watchdog::new(Notifier::at(&path).ok()?);
            let lives = self.lives();
            let timer = slint::Timer::default();
            timer.start(slint::TimerMode::Repeated, every / 2, move || {
                let states: Vec<(&'static str, bool)> =
                    lives.iter().map(|(n, l)| (*n, l.is_alive())).collect();
                dog.tick(&states);
            });
            Some(timer)
        });
        ServiceManagerLink { _watchdog: timer }
    }

    /// Whether nobody is using the kiosk: the attract screen, no citizen, no staff member at
    /// the staff screen, no technician at theirs. The only moment a restart for an upgrade may take.
    pub fn is_idle(&self) -> bool {
        is_idle(&self.ui, &self.staff, &self.technician)
    }

    /// Each time the kiosk has gone idle (after start-up, after each citizen), hands the
    /// kernel back the file pages it mapped and no longer uses ([`crate::memory`]). Keep the
    /// timer while the kiosk runs.
    pub fn release_pages_when_idle(&self) -> slint::Timer {
        let (ui, staff, technician) =
            (self.ui.clone(), self.staff.clone(), self.technician.clone());
        let mut when = crate::memory::IdleRelease::default();
        let timer = slint::Timer::default();
        timer.start(
            slint::TimerMode::Repeated,
            crate::memory::CHECK_EVERY,
            move || {
                if when.check(is_idle(&ui, &staff, &technician)) {
                    match crate::memory::release_file_pages() {
                        Ok(r) => tracing::debug!(
                            mappings = r.mappings,
                            kib = r.kib,
                            "idle: file pages handed back"
                        ),
                        Err(e) => tracing::warn!(error = %e, "idle: reading /proc/self/smaps"),
                    }
                }
            },
        );
        timer
    }

    /// Watches for `flag` (the package's maintainer script writes it after an upgrade) and,
    /// at the first moment the kiosk is idle, removes it and calls `restart` (which ends the
    /// event loop: the process exits 0 and systemd starts the new version). A citizen's
    /// session is never cut short by an upgrade.
    pub fn restart_when_idle(
        &self,
        flag: std::path::PathBuf,
        restart: impl Fn() + 'static,
    ) -> slint::Timer {
        let (ui, staff, technician) =
            (self.ui.clone(), self.staff.clone(), self.technician.clone());
        let timer = slint::Timer::default();
        timer.start(
            slint::TimerMode::Repeated,
            Duration::from_secs(2),
            move || {
                if flag.exists() && is_idle(&ui, &staff, &technician) {
                    if let Err(e) = std::fs::remove_file(&flag) {
                        tracing::warn!(error = %e, "restart flag");
                    }
                    tracing::info!("restarting for the new version, between two citizens");
                    restart();
                }
            },
        );
        timer
    }

    /// Shows the window and runs the event loop until the window closes.
    pub fn run(&self, fullscreen: bool) -> anyhow::Result<()> {
        // The event loop turns with the window shown: this version came up.
        let start = self.start.clone();
        slint::Timer::single_shot(Duration::ZERO, move || start.came_up());
        let _systemd = self.tell_service_manager(
            std::env::var("NOTIFY_SOCKET").ok(),
            crate::service_manager::watchdog_interval(),
        );
        // systemd's RuntimeDirectory= (/run/citizen-window): where an upgrade asks for a
        // restart.
        let _upgrade = std::env::var_os("RUNTIME_DIRECTORY").map(|dir| {
            let flag = std::path::Path::new(&dir).join(RESTART_FLAG);
            self.restart_when_idle(flag, || {
                let _ = slint::quit_event_loop();
            })
        });
        let _release = self.release_pages_when_idle();
        if fullscreen {
            self.window.window().set_fullscreen(true);
        } else {
            // The demo in a window on a developer's desktop closes like any window.
            if self.window.global::<ui::AppAdapter>().get_demo() {
                ui::allow_close(&self.window);
            }
            let (width, height) = ui::orientation(&self.window).window_size();
            self.window
                .window()
                .set_size(slint::LogicalSize::new(width, height));
        }
        self.window.run().context("running the UI")
    }
}

/// The SANE document scanner, when one is configured.
fn doc_scanner(config: &Config) -> Option<Box<dyn DocumentSource>> {
    match &config.devices.doc_scanner {
        Some(dev) => match crate::devices::doc_scanner::sane_config(dev) {
            Some(c) => {
                tracing::info!(device = %c.device, "document scanner (SANE)");
                Some(Box::new(scanner::sane::DocScanner::new(c)))
            }
            None => {
                tracing::warn!("simulated document scanner without the demo rig: none");
                None
            }
        },
        None => None,
    }
}

/// Simulated devices handed to [`Kiosk::start_with`] by the demo rig and the tests.
#[derive(Default)]
pub struct KioskExtras {
    /// A document scanner instead of `devices.doc_scanner`.
    pub doc_source: Option<Box<dyn DocumentSource>>,
    /// A folder where A4 pages land as PDF, instead of `devices.a4_printer`.
    pub a4_folder: Option<std::path::PathBuf>,
}

/// Where A4 pages go: the IPP printer, or nowhere.
fn a4_output(config: &Config) -> anyhow::Result<A4Output> {
    Ok(match &config.devices.a4_printer {
        Some(a4) => A4Output::Ipp {
            printer: printer::ipp::IppPrinter::new(&a4.uri, Duration::from_secs(30))
                .map_err(|e| anyhow::anyhow!("devices.a4_printer.uri: {e}"))?,
            job_timeout: Duration::from_secs(a4.job_timeout_secs),
        },
        None => A4Output::None,
    })
}

/// The devices at fault, from the health board, for the menu's tiles.
fn device_faults(board: &Arc<HealthBoard>) -> ui::DeviceFaults {
    use crate::devices::health::DeviceState;
    let board = board.clone();
    Rc::new(move || {
        board
            .snapshot()
            .into_iter()
            .filter(|(_, state)| matches!(state, DeviceState::Fault { .. }))
            .map(|(id, _)| id)
            .collect()
    })
}

/// The QR/barcode scanner's thread, classifying codes with the hall's signing key.
fn code_scanner(
    config: &Config,
    sink: Arc<dyn EventSink>,
    health: &Arc<HealthBoard>,
) -> anyhow::Result<Option<crate::devices::scanner_manager::ScannerManager>> {
    use crate::app::ScannedCode;
    use kiosk_platform::codes::{classify, CodeRules, ScannedCode as Code};
    let Some(dev) = &config.devices.code_scanner else {
        return Ok(None);
    };
    let Some(port) = crate::devices::scanner_manager::CodeScannerPort::from_config(dev) else {
        tracing::warn!("simulated code scanner without the demo rig: none");
        return Ok(None);
    };
    let codes = config
        .codes
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("a code scanner needs the [codes] section"))?;
    let rules = CodeRules {
        verify_base: codes.verify_base.clone(),
        verify_key: codes.key()?,
        follow_base: config.platform.base_url.clone(),
    };
    tracing::info!(scanner = %port, "code scanner");
    let classifier: crate::devices::scanner_manager::Classifier =
        Box::new(move |text| match classify(text, &rules) {
            Code::Receipt { case_number } | Code::CaseNumber(case_number) => {
                ScannedCode::Case(case_number)
            }
            Code::ForgedReceipt => ScannedCode::Forged,
            Code::QueueTicket { .. } => ScannedCode::QueueTicket,
            Code::Appointment { booking_id } => ScannedCode::Appointment(booking_id),
            Code::ElectronicId { token } => ScannedCode::ElectronicId(token),
            Code::Other => ScannedCode::Foreign,
        });
    Ok(Some(
        crate::devices::scanner_manager::ScannerManager::start(
            port,
            crate::devices::scanner_manager::line_config(dev),
            classifier,
            sink,
            health,
        ),
    ))
}
