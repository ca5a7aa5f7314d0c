//! The platform simulator: a real HTTP server on a caller-provided listener, backed by
//! its own SQLite database, implementing `docs/platform-api.md`.
//!
//! The demo, the tests and load tests talk to it exactly as a kiosk talks to the real
//! platform. Its database survives a stop and restart on the same path, which is how
//! tests simulate a platform outage.

pub mod cases;
mod faults;
mod form_pages;
pub(crate) mod http;
mod routes;
pub(crate) mod sms;
mod store;

pub use faults::{FaultConfig, SimStats};
pub use http::Admission;
pub use store::certificate::VERIFY_KEY as DEMO_VERIFY_KEY;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use routes::{Shared, Worker};

/// Id of the kiosk every demo configuration knows.
pub const DEMO_KIOSK_ID: &str = "demo-kiosk-001";
/// Key of [`DEMO_KIOSK_ID`] (used as its UTF-8 bytes). Public on purpose: it only ever
/// unlocks a simulator.
pub const DEMO_KIOSK_KEY: &str = "demo-secret-change-me";

/// Id and key of load-test kiosk `index` (0-based): `soak-00001`, key `soak-key-00001`.
/// Only a simulator started with [`SimConfig::with_soak_kiosks`] (or
/// `KIOSK_SIM_SOAK_KIOSKS=n kiosk platform-sim`) knows them.
pub fn soak_kiosk(index: usize) -> (String, Vec<u8>) {
    let id = format!("soak-{:05}", index + 1);
    let key = format!("soak-key-{:05}", index + 1).into_bytes();
    (id, key)
}

/// How often accepted nonces are written to the database (a simulator killed outright may
/// forget the nonces of its last this-long; a stopped one forgets none).
pub(crate) const NONCE_FLUSH: std::time::Duration = std::time::Duration::from_millis(100);
/// Nonces are kept this long (the timestamp check refuses anything older anyway).
const NONCE_KEEP_SECS: i64 = 2 * crate::sign::MAX_CLOCK_SKEW_SECS;

/// Writes the nonces accepted since the last call, and forgets old ones.
fn flush_nonces(shared: &Shared, conn: &mut rusqlite::Connection) {
    let batch = match shared.nonces.lock() {
        Ok(mut n) => std::mem::take(&mut n.unsaved),
        Err(_) => return,
    };
    let forget_before = chrono::Utc::now().timestamp() - NONCE_KEEP_SECS;
    if let Err(e) = store::save_nonces(conn, &batch, forget_before) {
        tracing::error!(error = %e, "platform sim: saving nonces failed");
        // Keep them for the next try.
        if let Ok(mut n) = shared.nonces.lock() {
            n.unsaved.extend(batch);
        }
    }
}

/// Number of threads serving requests. SQLite serialises writers anyway; a few workers
/// keep reads (status, follow pages) flowing beside a writer.
const WORKERS: usize = 4;

/// Why the simulator could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Opening, migrating or querying the database failed.
    #[error("simulator database: {0}")]
    Db(#[from] rusqlite::Error),
    /// A socket or thread operation failed.
    #[error("simulator I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The database was written by a newer simulator; refusing to touch it.
    #[error("simulator database has schema version {found}, this build knows up to {known}")]
    SchemaTooNew {
        /// Version found in the file.
        found: usize,
        /// Highest version this build knows.
        known: usize,
    },
    /// The serving thread panicked.
    #[error("simulator thread panicked")]
    Panicked,
}

/// Configuration of a simulator instance.
#[derive(Clone)]
pub struct SimConfig {
    /// SQLite database file; created when missing, kept across restarts.
    pub db_path: PathBuf,
    /// Kiosks allowed to call, with their keys. Stored in the database at start (a
    /// configured key replaces a stored one); kiosks stored earlier stay known.
    pub kiosks: Vec<(String, Vec<u8>)>,
    /// Base URL citizens' phones use to reach the follow pages (the address printed in
    /// QR codes), when it differs from the listening address, e.g. the machine's LAN
    /// address in the demo. Reported by [`SimServer::public_base_url`].
    pub public_base_url: Option<String>,
    /// Faults to inject from the start (changeable later through `POST /control/faults`
    /// or [`SimServer::set_faults`]).
    pub faults: FaultConfig,
    /// Admission control (answer 503 with `Retry-After` when too many requests wait).
    pub admission: Admission,
    /// When a citizen may check in for an appointment (default 30 min before the slot's
    /// start to 15 min after it).
    pub checkin_window: crate::api::appointment::CheckInWindow,
}

impl std::fmt::Debug for SimConfig {
    // Hand-written so kiosk keys never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("db_path", &self.db_path)
            .field(
                "kiosks",
                &self.kiosks.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("public_base_url", &self.public_base_url)
            .field("faults", &self.faults)
            .field("admission", &self.admission)
            .field("checkin_window", &self.checkin_window)
            .finish()
    }
}

impl SimConfig {
    /// The demo configuration: database at `db_path`, the demo kiosk
    /// ([`DEMO_KIOSK_ID`] / [`DEMO_KIOSK_KEY`]), no public base URL.
    pub fn demo(db_path: impl Into<PathBuf>) -> Self {
        Self {
            db_path: db_path.into(),
            kiosks: vec![(DEMO_KIOSK_ID.to_owned(), DEMO_KIOSK_KEY.as_bytes().to_vec())],
            public_base_url: None,
            faults: FaultConfig::default(),
            admission: Admission::default(),
            checkin_window: Default::default(),
        }
    }

    /// Adds the load-test kiosks `soak-00001` … with their keys ([`soak_kiosk`]), which
    /// `kiosk soak --kiosks n` uses.
    pub fn with_soak_kiosks(mut self, n: usize) -> Self {
        for i in 0..n {
            let (id, key) = soak_kiosk(i);
            self.kiosks.push((id, key));
        }
        self
    }

    /// Sets the faults to inject from the start.
    pub fn with_faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// Sets admission control.
    pub fn with_admission(mut self, admission: Admission) -> Self {
        self.admission = admission;
        self
    }

    /// Sets the appointment check-in window.
    pub fn with_checkin_window(mut self, window: crate::api::appointment::CheckInWindow) -> Self {
        self.checkin_window = window;
        self
    }

    /// Adds (or re-keys) a kiosk.
    pub fn with_kiosk(mut self, id: impl Into<String>, key: impl Into<Vec<u8>>) -> Self {
        let id = id.into();
        self.kiosks.retain(|(k, _)| *k != id);
        self.kiosks.push((id, key.into()));
        self
    }
}

/// Everything `run` needs, prepared before any request is served so that database
/// problems are reported by `serve`/`start` instead of by the first request.
struct Prepared {
    workers: Vec<Worker>,
    shared: Arc<Shared>,
    admission: Admission,
    db_path: PathBuf,
}

fn prepare(config: &SimConfig) -> Result<Prepared, SimError> {
    let mut conn = store::open(&config.db_path)?;
    let before = store::migrate(&mut conn)?;
    store::upsert_kiosks(&mut conn, &config.kiosks)?;
    for new in cases::seed() {
        store::case_progress::seed_case(&conn, &new).map_err(|e| {
            SimError::Io(std::io::Error::other(format!(
                "seeding cases: {}",
                e.message
            )))
        })?;
    }
    store::personal_documents::seed_all(&conn).map_err(|e| {
        SimError::Io(std::io::Error::other(format!(
            "seeding documents: {}",
            e.message
        )))
    })?;
    store::appointment::seed(&mut conn, chrono::Utc::now())?;
    store::traffic_fine::seed(&mut conn, chrono::Utc::now())?;
    store::sample_forms::seed(&mut conn)?;
    let shared = Arc::new(Shared {
        checkin_window: config.checkin_window,
        keys: store::kiosk_keys(&conn)?,
        faults: Mutex::new(config.faults.clone()),
        meter: faults::Meter::new(),
        nonces: Mutex::new(routes::NonceStore::loaded(store::recent_nonces(
            &conn,
            chrono::Utc::now().timestamp() - NONCE_KEEP_SECS,
        )?)),
    });
    tracing::info!(
        db = %config.db_path.display(),
        schema_from = before,
        schema = store::SCHEMA_VERSION,
        kiosks = shared.keys.len(),
        "platform sim: database ready"
    );
    let mut workers = vec![Worker {
        conn,
        shared: Arc::clone(&shared),
    }];
    for _ in 1..WORKERS {
        workers.push(Worker {
            conn: store::open(&config.db_path)?,
            shared: Arc::clone(&shared),
        });
    }
    Ok(Prepared {
        workers,
        shared,
        admission: config.admission,
        db_path: config.db_path.clone(),
    })
}

fn run(
    listener: TcpListener,
    prepared: Prepared,
    shutdown: Arc<AtomicBool>,
) -> Result<(), SimError> {
    let handler: Arc<http::Handler<Worker>> = Arc::new(routes::handle);
    let stats = Arc::clone(&prepared.shared.meter.queue);
    let shared = Arc::clone(&prepared.shared);
    let bypass: Arc<http::Bypass> = {
        let shared = Arc::clone(&shared);
        Arc::new(move |req: &http::Request| routes::unqueued(&shared, req))
    };
    let mut conn = store::open(&prepared.db_path)?;
    let served = std::thread::scope(|scope| {
        let flag = Arc::clone(&shutdown);
        let (shared, conn) = (&shared, &mut conn);
        scope.spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(NONCE_FLUSH);
                flush_nonces(shared, conn);
            }
        });
        let served = http::run(
            listener,
            Arc::clone(&shutdown),
            prepared.workers,
            handler,
            prepared.admission,
            stats,
            bypass,
        );
        // Also when serving failed to start: the flushing thread must end.
        shutdown.store(true, Ordering::SeqCst);
        served
    });
    // Workers are joined: nothing more is accepted; save the last ones.
    flush_nonces(&shared, &mut conn);
    served?;
    Ok(())
}

/// Serves the platform API on `listener` until `shutdown` is set, then closes the
/// listener (faults from `KIOSK_SIM_FAULTS` when `config` names none) and returns once every worker has finished (within a few hundred
/// milliseconds). Blocks the calling thread.
pub fn serve(
    listener: TcpListener,
    config: SimConfig,
    shutdown: Arc<AtomicBool>,
) -> Result<(), SimError> {
    let mut config = config;
    if config.faults == FaultConfig::default() {
        if let Ok(text) = std::env::var("KIOSK_SIM_FAULTS") {
            config.faults = FaultConfig::parse(&text).map_err(|e| {
                SimError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            })?;
            tracing::warn!(faults = ?config.faults, "platform sim: injecting faults");
        }
    }
    if let Ok(n) = std::env::var("KIOSK_SIM_SOAK_KIOSKS") {
        let n: usize = n.trim().parse().map_err(|_| {
            SimError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "KIOSK_SIM_SOAK_KIOSKS must be a number",
            ))
        })?;
        config = config.with_soak_kiosks(n);
    }
    let prepared = prepare(&config)?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "platform sim: serving");
    }
    run(listener, prepared, shutdown)
}

/// A simulator running on a background thread.
///
/// ```no_run
/// use kiosk_platform::sim::{SimConfig, SimServer};
/// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let sim = SimServer::start(listener, SimConfig::demo("/tmp/platform.sqlite")).unwrap();
/// println!("platform at {}", sim.base_url());
/// sim.stop();
/// ```
pub struct SimServer {
    addr: SocketAddr,
    public_base_url: Option<String>,
    shutdown: Arc<AtomicBool>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Result<(), SimError>>>,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .field("running", &self.thread.is_some())
            .finish()
    }
}

impl SimServer {
    /// Opens (and migrates) the database, then serves on `listener` in a background
    /// thread. Database errors are returned here, not later.
    pub fn start(listener: TcpListener, config: SimConfig) -> Result<SimServer, SimError> {
        let addr = listener.local_addr()?;
        let prepared = prepare(&config)?;
        let shared = Arc::clone(&prepared.shared);
        let shutdown = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&shutdown);
        let thread = std::thread::Builder::new()
            .name("platform-sim".to_owned())
            .spawn(move || run(listener, prepared, flag))?;
        tracing::info!(%addr, "platform sim: started");
        Ok(SimServer {
            addr,
            public_base_url: config
                .public_base_url
                .map(|u| u.trim_end_matches('/').to_owned()),
            shutdown,
            shared,
            thread: Some(thread),
        })
    }

    /// Replaces the faults being injected (same as `POST /control/faults`).
    pub fn set_faults(&self, faults: FaultConfig) {
        if let Ok(mut f) = self.shared.faults.lock() {
            *f = faults;
        }
    }

    /// Load and fault counters so far (same as `GET /control/stats`).
    pub fn stats(&self) -> SimStats {
        self.shared.meter.snapshot()
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT` of the listening address, for [`crate::client::PlatformClient`].
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL for follow-page links: the configured public base URL, or
    /// [`SimServer::base_url`].
    pub fn public_base_url(&self) -> String {
        self.public_base_url
            .clone()
            .unwrap_or_else(|| self.base_url())
    }

    /// Stops serving: closes the listener (the port is free when this returns), ends
    /// open connections and joins all threads. The database stays on disk.
    pub fn stop(mut self) {
        self.shutdown_and_join();
    }

    fn shutdown_and_join(&mut self) {
        self.shutdown.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let result = thread.join().unwrap_or(Err(SimError::Panicked));
            match result {
                Ok(()) => tracing::info!(addr = %self.addr, "platform sim: stopped"),
                Err(e) => tracing::error!(error = %e, "platform sim: ended with an error"),
            }
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.shutdown_and_join();
    }
}
