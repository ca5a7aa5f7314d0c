//! The simulated fleet behind `kiosk soak`: K kiosks, each with its own database, store key,
//! credentials, ticket-issuing loop and [`SyncWorker`], all in this process.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use kiosk_platform::api::LeaseRequest;
use kiosk_platform::client::PlatformClient;
use kiosk_platform::sim::{soak_kiosk, SimStats};
use rand::Rng;
use serde::Serialize;

use crate::app::{EventSink, KioskEvent};
use crate::config::SyncConfig;
use crate::store::{LeaseInfo, NewTicket, Store, StoreError};
use crate::sync::{SyncKick, SyncWorker};

/// Areas of the demo catalog the soak issues tickets in.
const AREAS: [&str; 4] = ["A", "B", "C", "D"];
/// Threads writing tickets when kiosks do not each get their own.
const WRITER_THREADS: usize = 8;

/// What to run.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    /// Platform base URL.
    pub platform: String,
    /// Transactions in all.
    pub transactions: u64,
    /// Kiosks.
    pub kiosks: usize,
    /// Folder of the kiosks' databases.
    pub data_dir: PathBuf,
    /// Write everything first, then start every sync worker at once.
    pub offline_first: bool,
    /// Pause between two tickets of one kiosk.
    pub pace: Duration,
    /// First retry ceiling.
    pub backoff_base_secs: f64,
    /// Longest retry delay.
    pub backoff_cap_secs: f64,
    /// Seconds between two rounds of an idle sync worker.
    pub interval_secs: u64,
    /// Rows per upload.
    pub batch_size: usize,
    /// Give up after this long.
    pub deadline: Duration,
}

/// Figures of a run (one JSON line on stdout).
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// Kiosks.
    pub kiosks: usize,
    /// Transactions in all the outboxes at the end (the target N).
    pub transactions: u64,
    /// Of them, written by this run (less after a restart).
    pub written_this_run: u64,
    /// Seconds spent writing (offline-first: before any upload).
    pub write_secs: f64,
    /// Offline-first: seconds from starting every sync worker to every outbox empty.
    pub drain_secs: Option<f64>,
    /// Seconds of the whole run.
    pub total_secs: f64,
    /// Outbox rows the platform refused for good (should be 0).
    pub failed_rows: u64,
    /// `transactions` the platform holds in all (from `/v1/admin/holdings`).
    pub platform_transactions: Option<u64>,
    /// Tickets the platform holds from this fleet, and how many distinct ticket ids.
    pub platform_fleet_tickets: Option<u64>,
    /// Distinct ticket ids among them (equal to the above when nothing came twice).
    pub platform_fleet_distinct: Option<u64>,
    /// Uploads the platform answered `duplicate` (a key it already held, sent again after
    /// a lost answer), since its database was created: retries, each stored once.
    pub platform_duplicates_answered: Option<u64>,
    /// The simulator's load counters, when the platform is the simulator.
    pub sim: Option<SimStats>,
}

struct NullSink;

impl EventSink for NullSink {
    fn send(&self, _event: KioskEvent) {}
}

struct Member {
    index: usize,
    id: String,
    key: Vec<u8>,
    db: PathBuf,
    target: u64,
}

impl Member {
    fn client(&self, platform: &str) -> PlatformClient {
        PlatformClient::new(platform, &self.id, &self.key, Duration::from_secs(10))
    }
}

fn written(store: &Store) -> Result<u64, StoreError> {
    let c = store.outbox_counts()?;
    Ok(c.pending + c.sent + c.failed)
}

/// The app's sync settings, with the plan's batch size, round interval and backoff.
/// Writing live, the kiosks lease bigger blocks so writers rarely wait for numbers;
/// offline-first, leases are the app's own (a fleet back from an outage tops up every
/// area like real kiosks do).
fn sync_config(plan: &FleetPlan) -> SyncConfig {
    let defaults = SyncConfig::default();
    SyncConfig {
        interval_secs: plan.interval_secs,
        batch_size: plan.batch_size,
        lease_size: if plan.offline_first {
            defaults.lease_size
        } else {
            50
        },
        lease_low_water: if plan.offline_first {
            defaults.lease_low_water
        } else {
            10
        },
        backoff_base_secs: plan.backoff_base_secs,
        backoff_cap_secs: plan.backoff_cap_secs,
        ..defaults
    }
}

fn new_ticket(rng: &mut impl Rng, area: &str) -> NewTicket {
    let phone = rng
        .random_bool(0.5)
        .then(|| format!("13{:09}", rng.random_range(0..1_000_000_000u64)));
    NewTicket {
        area_code: area.to_owned(),
        phone,
        service_day: crate::clock::service_day(),
    }
}

/// Writes tickets until the kiosk's outbox holds `target`; numbers come from the leases the
/// sync worker keeps topped up (or, offline-first, from leases taken here beforehand).
fn write_tickets(
    m: &Member,
    kick: Option<&SyncKick>,
    pace: Duration,
    deadline: Instant,
) -> anyhow::Result<u64> {
    let mut store = Store::open(&m.db)?;
    let mut rng = rand::rng();
    let mut done = written(&store)?;
    let mut this_run = 0;
    while done < m.target {
        let first = rng.random_range(0..AREAS.len());
        let mut issued = false;
        for k in 0..AREAS.len() {
            let area = AREAS[(first + k) % AREAS.len()];
            match store.issue_ticket(&new_ticket(&mut rng, area), Utc::now()) {
                Ok(_) => {
                    issued = true;
                    break;
                }
                Err(StoreError::NoNumbersLeft { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if issued {
            done += 1;
            this_run += 1;
            if let Some(k) = kick {
                k.kick();
            }
            if !pace.is_zero() {
                std::thread::sleep(pace);
            }
        } else {
            if Instant::now() > deadline {
                anyhow::bail!("kiosk {}: no queue numbers before the deadline", m.id);
            }
            if let Some(k) = kick {
                k.kick();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok(this_run)
}

/// Offline-first: leases enough numbers directly, then writes every ticket with no upload.
fn write_offline(m: &Member, platform: &str, deadline: Instant) -> anyhow::Result<u64> {
    let store = Store::open(&m.db)?;
    let missing = m.target.saturating_sub(written(&store)?);
    let area = AREAS[m.index % AREAS.len()];
    let day = crate::clock::service_day();
    let client = m.client(platform);
    let mut have = u64::from(store.numbers_left(area, day)?);
    while have < missing {
        if Instant::now() > deadline {
            anyhow::bail!(
                "kiosk {}: could not lease numbers before the deadline",
                m.id
            );
        }
        let size = (missing - have).min(200) as u32;
        match client.lease(&LeaseRequest {
            area_code: area.to_owned(),
            service_day: day,
            size,
        }) {
            Ok(l) => {
                store.add_lease(
                    &LeaseInfo {
                        lease_id: l.lease_id,
                        area_code: l.area_code,
                        service_day: l.service_day,
                        first: l.first,
                        last: l.last,
                    },
                    Utc::now(),
                )?;
                have += u64::from(size);
            }
            Err(e) => {
                tracing::warn!(kiosk = %m.id, "lease failed, retrying: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
    drop(store);
    write_tickets(m, None, Duration::ZERO, deadline)
}

fn start_worker(m: &Member, plan: &FleetPlan) -> anyhow::Result<SyncWorker> {
    Ok(SyncWorker::spawn(
        &m.db,
        m.client(&plan.platform),
        sync_config(plan),
        Arc::new(NullSink),
        // A fleet member has no devices: its heartbeat lists none.
        crate::devices::health::HealthBoard::new(),
    )?)
}

/// Waits until every outbox is empty of pending rows; returns the failed count. With
/// `kick`, wakes every worker each second (to hurry tests along; a kick never cuts short
/// a `Retry-After`); without, the workers keep their own pace, as real kiosks do.
fn wait_drained(
    members: &[Member],
    workers: &[SyncWorker],
    deadline: Instant,
    kick: bool,
) -> anyhow::Result<u64> {
    let stores: Vec<Store> = members
        .iter()
        .map(|m| Store::open(&m.db))
        .collect::<Result<_, _>>()?;
    // Counting a big fleet's outboxes costs CPU the platform under test needs.
    let poll = if members.len() > 64 {
        Duration::from_millis(250)
    } else {
        Duration::from_millis(50)
    };
    let mut last_kick = Instant::now();
    loop {
        let mut pending = 0;
        let mut failed = 0;
        for s in &stores {
            let c = s.outbox_counts()?;
            pending += c.pending;
            failed += c.failed;
        }
        if pending == 0 {
            return Ok(failed);
        }
        if Instant::now() > deadline {
            anyhow::bail!("{pending} transactions still pending at the deadline");
        }
        if kick && last_kick.elapsed() > Duration::from_secs(1) {
            for w in workers {
                w.kicker().kick();
            }
            last_kick = Instant::now();
        }
        std::thread::sleep(poll);
    }
}

/// Runs `f` over the members on up to `threads` threads.
fn on_pool<F>(members: &[Member], threads: usize, f: F) -> anyhow::Result<u64>
where
    F: Fn(&Member) -> anyhow::Result<u64> + Sync,
{
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.clamp(1, members.len().max(1)))
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<u64> {
                    let mut n = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(m) = members.get(i) else {
                            return Ok(n);
                        };
                        n += f(m)?;
                    }
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h
                .join()
                .map_err(|_| anyhow::anyhow!("a soak writer panicked"))??;
        }
        Ok(total)
    })
}

fn members(plan: &FleetPlan) -> Vec<Member> {
    let k = plan.kiosks as u64;
    (0..plan.kiosks)
        .map(|i| {
            let (id, key) = soak_kiosk(i);
            let db = plan.data_dir.join(&id).join("kiosk.sqlite");
            let target = plan.transactions / k + u64::from((i as u64) < plan.transactions % k);
            Member {
                index: i,
                id,
                key,
                db,
                target,
            }
        })
        .collect()
}

fn prepare_dirs(members: &[Member]) -> anyhow::Result<()> {
    for m in members {
        // Opening at start checks the file and moves a damaged one aside, as the app does.
        let (_s, alarm) =
            Store::open_at_start(&m.db).with_context(|| format!("opening {}", m.db.display()))?;
        if let Some(a) = alarm {
            tracing::error!(kiosk = %m.id, moved_to = %a.moved_to.display(), "soak: database was damaged");
        }
    }
    Ok(())
}

/// Runs the fleet to completion.
pub fn run(plan: &FleetPlan) -> anyhow::Result<SoakReport> {
    let started = Instant::now();
    let deadline = started + plan.deadline;
    std::fs::create_dir_all(&plan.data_dir)
        .with_context(|| format!("creating {}", plan.data_dir.display()))?;
    let members = members(plan);
    prepare_dirs(&members)?;

    let (written_this_run, write_secs, drain_secs, failed_rows) = if plan.offline_first {
        let n = on_pool(&members, WRITER_THREADS, |m| {
            write_offline(m, &plan.platform, deadline)
        })?;
        let write_secs = started.elapsed().as_secs_f64();
        let online = Instant::now();
        let workers: Vec<SyncWorker> = members
            .iter()
            .map(|m| start_worker(m, plan))
            .collect::<anyhow::Result<_>>()?;
        let failed = wait_drained(&members, &workers, deadline, false)?;
        let drain = online.elapsed().as_secs_f64();
        drop(workers);
        (n, write_secs, Some(drain), failed)
    } else {
        let workers: Vec<SyncWorker> = members
            .iter()
            .map(|m| start_worker(m, plan))
            .collect::<anyhow::Result<_>>()?;
        let kicks: Vec<SyncKick> = workers.iter().map(|w| w.kicker()).collect();
        let n = if members.len() <= 64 {
            // A thread per kiosk: they write side by side, like a hall of kiosks.
            std::thread::scope(|scope| {
                let hs: Vec<_> = members
                    .iter()
                    .zip(&kicks)
                    .map(|(m, k)| {
                        scope.spawn(move || write_tickets(m, Some(k), plan.pace, deadline))
                    })
                    .collect();
                let mut total = 0;
                for h in hs {
                    total += h
                        .join()
                        .map_err(|_| anyhow::anyhow!("a soak writer panicked"))??;
                }
                anyhow::Ok(total)
            })?
        } else {
            on_pool(&members, WRITER_THREADS, |m| {
                write_tickets(m, Some(&kicks[m.index]), plan.pace, deadline)
            })?
        };
        let write_secs = started.elapsed().as_secs_f64();
        let failed = wait_drained(&members, &workers, deadline, true)?;
        drop(workers);
        (n, write_secs, None, failed)
    };

    let mut transactions = 0;
    for m in &members {
        transactions += written(&Store::open(&m.db)?)?;
    }
    let mut report = SoakReport {
        kiosks: plan.kiosks,
        transactions,
        written_this_run,
        write_secs,
        drain_secs,
        total_secs: started.elapsed().as_secs_f64(),
        failed_rows,
        platform_transactions: None,
        platform_fleet_tickets: None,
        platform_fleet_distinct: None,
        platform_duplicates_answered: None,
        sim: None,
    };
    if let Some(m) = members.first() {
        let client = m.client(&plan.platform);
        // Read-back may meet injected faults: a few tries.
        for _ in 0..20 {
            match client.holdings() {
                Ok(h) => {
                    let fleet: Vec<&str> = h
                        .tickets
                        .iter()
                        .filter(|t| t.kiosk_id.starts_with("soak-"))
                        .map(|t| t.ticket_id.as_str())
                        .collect();
                    let distinct: std::collections::HashSet<&str> = fleet.iter().copied().collect();
                    report.platform_transactions = Some(h.transactions);
                    report.platform_fleet_tickets = Some(fleet.len() as u64);
                    report.platform_fleet_distinct = Some(distinct.len() as u64);
                    report.platform_duplicates_answered = Some(h.duplicates_refused);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        report.sim = client.sim_stats().ok();
    }
    Ok(report)
}

/// The database of soak kiosk `index` under `data_dir` (for tests).
pub fn kiosk_db(data_dir: &Path, index: usize) -> PathBuf {
    data_dir.join(soak_kiosk(index).0).join("kiosk.sqlite")
}
