//! Routing, request authentication and the endpoints every service shares (health, the
//! transaction upload, the heartbeat, the operator views). Each citizen service's
//! endpoints are in its own module below, as a table of [`Route`]s that [`TABLE`] lists.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::faults::{Fault, FaultConfig, Meter};
use super::http::{error_response, Request, Response};
use super::store::{self, ApiError};
use crate::api::{Health, Heartbeat, HeartbeatAck, TransactionBatch, MAX_BATCH_LEN};
use crate::sign;

// The service registry: one line per citizen service here, and one in `TABLE`.
mod apply;
mod appointment;
mod case_progress;
mod catalog;
mod certificate;
mod identity;
mod medical_insurance;
mod personal_documents;
mod queue_ticket;
mod rating;
mod sample_forms;
mod sms;

// Remote management (not a service): commands for kiosks, their audit rows.
mod commands;
mod traffic_fine;

// The shell of the pages a citizen's phone opens (not a service: no routes of its own).
mod phone_page;

/// The dispatch table, path -> service module: the shared endpoints, then each service's.
/// A module left out of it leaves its `ROUTES` unused, which the build refuses.
const TABLE: &[&[Route]] = &[
    SHARED,
    catalog::ROUTES,
    queue_ticket::ROUTES,
    case_progress::ROUTES,
    appointment::ROUTES,
    certificate::ROUTES,
    personal_documents::ROUTES,
    medical_insurance::ROUTES,
    rating::ROUTES,
    sms::ROUTES,
    identity::ROUTES,
    commands::ROUTES,
    traffic_fine::ROUTES,
    sample_forms::ROUTES,
    apply::ROUTES,
];

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, unsigned: monitors (health) and citizens' phones (pages built with
    /// `phone_page`).
    Public,
    /// Kiosks with a valid signature; every such path starts with `/v1/`.
    Signed,
    /// The simulator's own knobs under `/control/`: unsigned, loopback, no injected faults,
    /// not part of the contract.
    Control,
}

/// Where an endpoint is.
#[derive(Debug, Clone, Copy)]
enum At {
    /// Exactly this path.
    Path(&'static str),
    /// Every path under this prefix (ending in `/`); the rest goes to the handler as
    /// [`Call::rest`], e.g. a case number.
    Under(&'static str),
}

/// One endpoint of the dispatch table.
struct Route {
    /// Its path.
    pub at: At,
    /// Its method; `GET` also answers `HEAD`. Another method gets 405.
    pub method: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What answers it.
    pub handle: Handler,
}

/// The function that answers an endpoint.
type Handler = fn(&mut Call<'_>) -> Result<Response, ApiError>;

impl Route {
    /// A table entry: who may call `method` at `at`, and what answers.
    const fn new(access: Access, method: &'static str, at: At, handle: Handler) -> Route {
        Route {
            at,
            method,
            access,
            handle,
        }
    }
}

/// What a handler gets: the request, this worker's database connection and the state
/// shared by all workers.
struct Call<'a> {
    /// The request.
    pub req: &'a Request,
    /// This worker's connection.
    pub conn: &'a mut Connection,
    /// Keys, faults, meters.
    pub shared: &'a Shared,
    /// The authenticated kiosk on [`Access::Signed`] routes; empty on the others.
    pub kiosk_id: &'a str,
    /// For an [`At::Under`] route, the path after the prefix; otherwise empty.
    pub rest: &'a str,
}

/// The endpoints every service shares.
const SHARED: &[Route] = &[
    Route::new(Access::Public, "GET", At::Path("/v1/health"), health),
    Route::new(Access::Signed, "POST", At::Path("/v1/transactions"), upload),
    Route::new(Access::Signed, "POST", At::Path("/v1/heartbeat"), heartbeat),
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/admin/heartbeats"),
        heartbeats,
    ),
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/admin/holdings"),
        holdings,
    ),
];

/// State shared by all workers.
pub(crate) struct Shared {
    /// Kiosk keys (read-only after start).
    pub keys: HashMap<String, Vec<u8>>,
    /// Faults being injected.
    pub faults: Mutex<FaultConfig>,
    /// Load counters.
    pub meter: Meter,
    /// Nonces seen within the clock-skew window.
    pub nonces: Mutex<NonceStore>,
    /// When a citizen may check in for an appointment.
    pub checkin_window: crate::api::appointment::CheckInWindow,
}

impl Shared {
    /// The simulator's clock: the machine's, moved by the `clock_offset_secs` knob.
    pub(crate) fn now(&self) -> chrono::DateTime<Utc> {
        let offset = self.faults.lock().map_or(0, |f| f.clock_offset_secs);
        Utc::now() + chrono::Duration::seconds(offset.clamp(-86_400 * 365, 86_400 * 365))
    }
}

/// Every `(kiosk, nonce)` accepted in the last [`sign::MAX_CLOCK_SKEW_SECS`] seconds
/// (counted by the request's own timestamp), so a captured request cannot be replayed:
/// older requests are refused by the timestamp check, newer ones by this store. Checked in
/// memory; new entries are also saved to the database (`unsaved`, written in one
/// transaction every [`super::NONCE_FLUSH`] and at stop) and loaded back at start, so a
/// restart within the window does not forget them.
#[derive(Default)]
pub(crate) struct NonceStore {
    seen: HashSet<(String, String)>,
    by_time: VecDeque<(i64, String, String)>,
    /// Accepted but not yet in the database.
    pub unsaved: Vec<(i64, String, String)>,
}

impl NonceStore {
    /// The store with the nonces saved by an earlier run, `(ts, kiosk, nonce)` oldest first.
    pub(crate) fn loaded(saved: Vec<(i64, String, String)>) -> Self {
        let mut store = Self::default();
        for (ts, kiosk, nonce) in saved {
            store.seen.insert((kiosk.clone(), nonce.clone()));
            store.by_time.push_back((ts, kiosk, nonce));
        }
        store
    }

    /// Records a nonce; false when it was seen before.
    fn check_and_insert(&mut self, kiosk: &str, nonce: &str, ts: i64, now: i64) -> bool {
        // Forget what the timestamp check refuses anyway. Timestamps arrive nearly in
        // order; an out-of-order early one only stays remembered a little longer.
        while let Some((t, _, _)) = self.by_time.front() {
            if *t >= now - 2 * sign::MAX_CLOCK_SKEW_SECS {
                break;
            }
            if let Some((_, k, n)) = self.by_time.pop_front() {
                self.seen.remove(&(k, n));
            }
        }
        let key = (kiosk.to_owned(), nonce.to_owned());
        if self.seen.contains(&key) {
            return false;
        }
        self.seen.insert(key);
        let entry = (ts.max(now), kiosk.to_owned(), nonce.to_owned());
        self.unsaved.push(entry.clone());
        self.by_time.push_back(entry);
        true
    }
}

/// One worker's state: its own database connection.
pub(crate) struct Worker {
    pub conn: Connection,
    pub shared: Arc<Shared>,
}

/// Entry point for every request.
pub(crate) fn handle(worker: &mut Worker, req: &Request) -> Response {
    if req.path().starts_with("/control/") {
        return control(worker, req)
            .unwrap_or_else(|e| error_response(e.status, e.code, &e.message));
    }
    let shared = Arc::clone(&worker.shared);
    let _in_flight = shared.meter.enter();
    let faults = shared.faults.lock().map(|f| f.clone()).unwrap_or_default();
    let fault = if req.path().starts_with("/v1/") {
        faults.draw(&mut rand::rng())
    } else {
        None
    };
    if faults.latency_ms > 0 {
        std::thread::sleep(Duration::from_millis(faults.latency_ms));
    }
    if fault.is_some() {
        shared
            .meter
            .faults
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let retry_after = faults.retry_after_secs.to_string();
    match fault {
        Some(Fault::DropBefore) => return Response::dropped(),
        Some(Fault::Status500) => return error_response(500, "internal", "injected fault"),
        Some(Fault::Status503) => {
            return error_response(503, "unavailable", "injected fault")
                .with_header("Retry-After", retry_after)
        }
        Some(Fault::Status429) => {
            return error_response(429, "too_many_requests", "injected fault")
                .with_header("Retry-After", retry_after)
        }
        Some(Fault::DropAfter) | None => {}
    }
    let response =
        route(worker, req).unwrap_or_else(|e| error_response(e.status, e.code, &e.message));
    if fault == Some(Fault::DropAfter) {
        // Processed (and stored) but the answer is lost: the kiosk must send again and the
        // platform must not count it twice.
        return Response::dropped();
    }
    tracing::debug!(
        method = %req.method,
        path = %req.path(),
        status = response.status,
        kiosk = req.header(sign::HEADER_KIOSK_ID).unwrap_or("-"),
        "platform sim request"
    );
    response
}

/// The route for `path` and the rest of the path after its prefix.
fn find(path: &str) -> Option<(&'static Route, &str)> {
    TABLE.iter().flat_map(|routes| routes.iter()).find_map(|r| {
        let rest = match r.at {
            At::Path(p) => (p == path).then_some(""),
            At::Under(prefix) => path.strip_prefix(prefix),
        };
        rest.map(|rest| (r, rest))
    })
}

/// Checks the method and calls the route's handler.
fn call(
    worker: &mut Worker,
    req: &Request,
    route: &Route,
    kiosk_id: &str,
    rest: &str,
) -> Result<Response, ApiError> {
    expect_method(&req.method, route.method)?;
    (route.handle)(&mut Call {
        req,
        conn: &mut worker.conn,
        shared: &worker.shared,
        kiosk_id,
        rest,
    })
}

fn route(worker: &mut Worker, req: &Request) -> Result<Response, ApiError> {
    let path = req.path();
    let found = find(path);

    // Unsigned endpoints first: health for monitors, follow pages for citizens' phones.
    if let Some((r, rest)) = found.filter(|(r, _)| r.access == Access::Public) {
        return call(worker, req, r, "", rest);
    }
    if !path.starts_with("/v1/") {
        return Err(not_found());
    }

    // An unknown `/v1/` path gets its 404 only after authentication: an unsigned
    // caller learns nothing about which endpoints exist.
    let kiosk_id = authenticate(&worker.shared, req)?;
    match found {
        Some((r, rest)) if r.access == Access::Signed => call(worker, req, r, &kiosk_id, rest),
        _ => Err(not_found()),
    }
}

fn health(_: &mut Call<'_>) -> Result<Response, ApiError> {
    json(
        200,
        &Health {
            status: "ok".to_owned(),
        },
    )
}

fn upload(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let batch: TransactionBatch = parse_body(c.req)?;
    if batch.transactions.is_empty() || batch.transactions.len() > MAX_BATCH_LEN {
        return Err(ApiError::new(
            400,
            "bad_batch_size",
            format!("a batch holds 1..={MAX_BATCH_LEN} transactions"),
        ));
    }
    let result = store::upload(c.conn, c.kiosk_id, &batch);
    if matches!(&result, Err(e) if e.code == "idempotency_conflict") {
        c.shared
            .meter
            .conflicts
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    json(200, &result?)
}

fn heartbeat(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let beat: Heartbeat = parse_body(c.req)?;
    let now = c.shared.now();
    store::record_heartbeat(c.conn, c.kiosk_id, &beat, now)?;
    // Acknowledged commands close; the open ones ride on the answer until they are.
    let commands = store::commands::exchange(c.conn, c.kiosk_id, &beat.acks)?;
    json(
        200,
        &HeartbeatAck {
            server_time: now,
            commands,
        },
    )
}

fn heartbeats(c: &mut Call<'_>) -> Result<Response, ApiError> {
    json(200, &store::heartbeats(c.conn)?)
}

fn holdings(c: &mut Call<'_>) -> Result<Response, ApiError> {
    json(200, &store::holdings(c.conn)?)
}

/// Checks the signature headers; returns the authenticated kiosk id.
fn authenticate(shared: &Shared, req: &Request) -> Result<String, ApiError> {
    let unauthorized = |code: &'static str, message: String| {
        tracing::warn!(code, path = %req.path(), "platform sim: request refused");
        ApiError::new(401, code, message)
    };
    let header = |name: &str| {
        req.header(name)
            .ok_or_else(|| unauthorized("missing_signature", format!("missing header {name}")))
    };
    let kiosk_id = header(sign::HEADER_KIOSK_ID)?;
    let ts_text = header(sign::HEADER_TIMESTAMP)?;
    let nonce = header(sign::HEADER_NONCE)?;
    if !sign::is_valid_nonce(nonce) {
        return Err(unauthorized(
            "bad_nonce",
            format!(
                "{} must be {}..={} letters, digits, - or _",
                sign::HEADER_NONCE,
                sign::MIN_NONCE_LEN,
                sign::MAX_NONCE_LEN
            ),
        ));
    }
    let signature = header(sign::HEADER_SIGNATURE)?;
    let ts: i64 = ts_text.parse().map_err(|_| {
        unauthorized(
            "bad_timestamp",
            format!("{} must be unix seconds", sign::HEADER_TIMESTAMP),
        )
    })?;
    let key = shared
        .keys
        .get(kiosk_id)
        .ok_or_else(|| unauthorized("unknown_kiosk", "unknown kiosk id".to_owned()))?;
    if !sign::verify(
        key,
        &req.method,
        &req.target,
        ts,
        nonce,
        &req.body,
        signature,
    ) {
        return Err(unauthorized(
            "bad_signature",
            "signature mismatch".to_owned(),
        ));
    }
    // Checked after the signature so the server time is only told to genuine kiosks,
    // which need it to notice their clock is wrong.
    let now = shared.now().timestamp();
    if (now - ts).abs() > sign::MAX_CLOCK_SKEW_SECS {
        return Err(unauthorized(
            "clock_skew",
            format!(
                "timestamp {ts} is more than {} s from server time {now}",
                sign::MAX_CLOCK_SKEW_SECS
            ),
        ));
    }
    let fresh = shared
        .nonces
        .lock()
        .map(|mut n| n.check_and_insert(kiosk_id, nonce, ts, now))
        .unwrap_or(false);
    if !fresh {
        shared
            .meter
            .replays
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(unauthorized(
            "replayed_nonce",
            "this nonce was already used".to_owned(),
        ));
    }
    Ok(kiosk_id.to_owned())
}

/// The requests admission control answers even when it turns everything else away: the
/// simulator's stats and faults (no database needed), so a storm can be watched and
/// steered. `None` for everything else.
pub(crate) fn unqueued(shared: &Shared, req: &Request) -> Option<Response> {
    if !matches!(req.path(), "/control/stats" | "/control/faults") {
        return None;
    }
    Some(
        control_knobs(shared, req).unwrap_or_else(|e| error_response(e.status, e.code, &e.message)),
    )
}

/// `/control/stats` and `/control/faults`.
fn control_knobs(shared: &Shared, req: &Request) -> Result<Response, ApiError> {
    match (req.method.as_str(), req.path()) {
        ("GET", "/control/faults") => {
            let f = shared.faults.lock().map(|f| f.clone()).unwrap_or_default();
            json(200, &f)
        }
        ("POST", "/control/faults") => {
            let f: FaultConfig = parse_body(req)?;
            f.check()
                .map_err(|e| ApiError::new(400, "bad_request", e))?;
            tracing::warn!(faults = ?f, "platform sim: faults changed");
            if let Ok(mut cur) = shared.faults.lock() {
                *cur = f.clone();
            }
            json(200, &f)
        }
        ("GET", "/control/stats") => json(200, &shared.meter.snapshot()),
        _ => Err(ApiError::new(
            405,
            "method_not_allowed",
            "GET or POST /control/faults, GET /control/stats",
        )),
    }
}

/// `/control/…`: the simulator's own knobs (not part of the platform; unsigned, loopback).
fn control(worker: &mut Worker, req: &Request) -> Result<Response, ApiError> {
    if matches!(req.path(), "/control/faults" | "/control/stats") {
        return control_knobs(&worker.shared, req);
    }
    match find(req.path()) {
        Some((r, rest)) if r.access == Access::Control => call(worker, req, r, "", rest),
        _ => Err(not_found()),
    }
}

fn expect_method(method: &str, allowed: &'static str) -> Result<(), ApiError> {
    if method == allowed || (allowed == "GET" && method == "HEAD") {
        Ok(())
    } else {
        Err(ApiError::new(
            405,
            "method_not_allowed",
            format!("use {allowed}"),
        ))
    }
}

fn not_found() -> ApiError {
    ApiError::new(404, "not_found", "no such endpoint")
}

fn parse_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    serde_json::from_slice(&req.body)
        .map_err(|e| ApiError::new(400, "bad_request", format!("invalid JSON body: {e}")))
}

fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|_| ApiError::new(500, "internal", "serialisation failed"))
}

/// The body's SHA-256 (lower-case hex) when it is the one the query's `sha256` names (a
/// part or a bundle sent with `PUT …?sha256=`); otherwise 422 `bad_digest`.
fn checked_digest(req: &Request) -> Result<String, ApiError> {
    let got = crate::api::apply::digest(&req.body);
    if req
        .query_param("sha256")
        .unwrap_or("")
        .eq_ignore_ascii_case(&got)
    {
        Ok(got)
    } else {
        Err(ApiError::new(
            422,
            crate::api::apply::ERROR_BAD_DIGEST,
            "the body's SHA-256 is not the one in the query",
        ))
    }
}

fn json<T: Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    Ok(Response::new(status, "application/json", to_vec(value)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_once_and_forgotten_after_the_window() {
        let mut n = NonceStore::default();
        assert!(n.check_and_insert("k1", "aa", 1_000, 1_000));
        assert!(!n.check_and_insert("k1", "aa", 1_000, 1_001));
        // Another kiosk may use the same nonce.
        assert!(n.check_and_insert("k2", "aa", 1_000, 1_001));
        // Long after, the timestamp check refuses the old request; the store forgets it.
        assert!(n.check_and_insert("k1", "bb", 2_000, 2_000));
        assert!(!n.seen.contains(&("k1".to_owned(), "aa".to_owned())));
    }

    /// Each route's path fits who may call it: a signed route outside `/v1/` would never
    /// be authenticated, and a control route outside `/control/` would get injected
    /// faults.
    #[test]
    fn every_route_is_where_its_access_says() {
        for r in TABLE.iter().flat_map(|routes| routes.iter()) {
            let path = match r.at {
                At::Path(p) => p,
                At::Under(p) => {
                    assert!(p.ends_with('/'), "prefix {p} must end with /");
                    p
                }
            };
            match r.access {
                Access::Signed => assert!(path.starts_with("/v1/"), "{path}"),
                Access::Control => assert!(path.starts_with("/control/"), "{path}"),
                Access::Public => assert!(!path.starts_with("/control/"), "{path}"),
            }
        }
    }

    /// No two services claim the same path: with first-match dispatch, the second one
    /// would silently never be reached.
    #[test]
    fn no_two_routes_claim_a_path() {
        let routes: Vec<&Route> = TABLE.iter().flat_map(|routes| routes.iter()).collect();
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                let overlap = match (a.at, b.at) {
                    (At::Path(x), At::Path(y)) => x == y,
                    (At::Path(p), At::Under(u)) | (At::Under(u), At::Path(p)) => p.starts_with(u),
                    (At::Under(x), At::Under(y)) => x.starts_with(y) || y.starts_with(x),
                };
                assert!(!overlap, "{:?} and {:?} overlap", a.at, b.at);
            }
        }
        assert!(find("/v1/cases").is_some_and(|(r, _)| r.method == "GET"));
        assert_eq!(find("/v1/cases/SB-1").map(|(_, rest)| rest), Some("SB-1"));
        assert!(find("/v1/nothing").is_none());
    }
}
