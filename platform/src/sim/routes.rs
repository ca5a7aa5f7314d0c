//! Routing, request authentication and the endpoints of the contract.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::faults::{Fault, FaultConfig, Meter};
use super::http::{error_response, Request, Response};
use super::store::{self, ApiError, FollowInfo};
use crate::api::{
    self, CallRequest, Health, Heartbeat, HeartbeatAck, LeaseRequest, TransactionBatch,
    MAX_BATCH_LEN,
};
use crate::sign;

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
        return control(&worker.shared, &worker.conn, req)
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

fn route(worker: &mut Worker, req: &Request) -> Result<Response, ApiError> {
    let path = req.path();
    let method = req.method.as_str();

    // Unsigned endpoints first: health for monitors, follow pages for citizens' phones.
    if path == "/v1/health" {
        expect_method(method, "GET")?;
        return json(
            200,
            &Health {
                status: "ok".to_owned(),
            },
        );
    }
    if let Some(ticket_id) = path.strip_prefix("/follow/") {
        expect_method(method, "GET")?;
        return follow_page(&worker.conn, ticket_id);
    }
    if !path.starts_with("/v1/") {
        return Err(not_found());
    }

    let kiosk_id = authenticate(&worker.shared, req)?;
    let shared = Arc::clone(&worker.shared);
    let conn = &mut worker.conn;
    match path {
        "/v1/catalog" => {
            expect_method(method, "GET")?;
            let catalog = store::catalog(conn)?;
            let body = to_vec(&catalog)?;
            // A strong etag from the content itself: it changes exactly when the
            // catalog does, across restarts too.
            let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
            if req
                .header("if-none-match")
                .is_some_and(|inm| etag_matches(inm, &etag))
            {
                return Ok(
                    Response::new(304, "application/json", Vec::new()).with_header("ETag", etag)
                );
            }
            Ok(Response::new(200, "application/json", body).with_header("ETag", etag))
        }
        "/v1/queue/leases" => {
            expect_method(method, "POST")?;
            let lease_req: LeaseRequest = parse_body(req)?;
            let lease = store::lease(conn, &kiosk_id, &lease_req)?;
            tracing::debug!(kiosk = %kiosk_id, area = %lease.area_code, first = lease.first, last = lease.last, "lease granted");
            json(200, &lease)
        }
        "/v1/queue/status" => {
            expect_method(method, "GET")?;
            let day = day_param(req)?;
            json(200, &store::queue_status(conn, day)?)
        }
        "/v1/queue/call" => {
            expect_method(method, "POST")?;
            let call: CallRequest = parse_body(req)?;
            let day = day_param(req)?;
            json(200, &store::call_next(conn, &call.area_code, day)?)
        }
        "/v1/transactions" => {
            expect_method(method, "POST")?;
            let batch: TransactionBatch = parse_body(req)?;
            if batch.transactions.is_empty() || batch.transactions.len() > MAX_BATCH_LEN {
                return Err(ApiError::new(
                    400,
                    "bad_batch_size",
                    format!("a batch holds 1..={MAX_BATCH_LEN} transactions"),
                ));
            }
            let result = store::upload(conn, &kiosk_id, &batch);
            if matches!(&result, Err(e) if e.code == "idempotency_conflict") {
                shared
                    .meter
                    .conflicts
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            json(200, &result?)
        }
        "/v1/heartbeat" => {
            expect_method(method, "POST")?;
            let beat: Heartbeat = parse_body(req)?;
            let now = Utc::now();
            store::record_heartbeat(conn, &kiosk_id, &beat, now)?;
            json(200, &HeartbeatAck { server_time: now })
        }
        "/v1/admin/heartbeats" => {
            expect_method(method, "GET")?;
            json(200, &store::heartbeats(conn)?)
        }
        "/v1/cases" => {
            expect_method(method, "GET")?;
            let holder = req.query_param("holder").unwrap_or("");
            if !api::is_holder_hash(holder) {
                return Err(ApiError::new(
                    400,
                    "bad_request",
                    "holder must be the 64-hex-digit holder hash",
                ));
            }
            json(200, &store::cases_of_holder(conn, holder)?)
        }
        _ if path.starts_with("/v1/cases/") => {
            expect_method(method, "GET")?;
            let number = &path["/v1/cases/".len()..];
            let found = if api::is_case_number(number) {
                store::case(conn, number)?
            } else {
                None
            };
            match found {
                Some(case) => json(200, &case),
                None => Err(ApiError::new(
                    404,
                    "unknown_case",
                    "no case with that number",
                )),
            }
        }
        "/v1/admin/holdings" => {
            expect_method(method, "GET")?;
            json(200, &store::holdings(conn)?)
        }
        _ => Err(not_found()),
    }
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
    let now = Utc::now().timestamp();
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
fn control(shared: &Shared, conn: &Connection, req: &Request) -> Result<Response, ApiError> {
    match (req.method.as_str(), req.path()) {
        (_, "/control/faults" | "/control/stats") => control_knobs(shared, req),
        ("POST", "/control/cases") => {
            let new: api::NewCase = parse_body(req)?;
            if !api::is_holder_hash(&new.holder) || !api::is_case_number(&new.case.case_number) {
                return Err(ApiError::new(
                    400,
                    "bad_request",
                    "holder must be a holder hash and case_number 1..=40 of A-Z, 0-9, -",
                ));
            }
            store::put_case(conn, &new)?;
            json(200, &new.case)
        }
        (_, "/control/cases") => Err(ApiError::new(
            405,
            "method_not_allowed",
            "POST /control/cases",
        )),
        _ => Err(not_found()),
    }
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

fn day_param(req: &Request) -> Result<NaiveDate, ApiError> {
    match req.query_param("day") {
        None => Ok(api::hall_service_day(Utc::now())),
        Some(d) => d
            .parse()
            .map_err(|_| ApiError::new(400, "bad_request", "day must be YYYY-MM-DD")),
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

fn json<T: Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    Ok(Response::new(status, "application/json", to_vec(value)?))
}

fn follow_page(conn: &Connection, ticket_id: &str) -> Result<Response, ApiError> {
    let info = store::follow(conn, ticket_id)?;
    let Some(info) = info else {
        let html = page(
            "未找到 / Not found",
            "<p class=\"big\">?</p><p>未找到该号票。<br>This ticket is unknown.</p>",
        );
        return Ok(html_response(404, html));
    };
    Ok(html_response(
        200,
        page(&info.display_number, &follow_body(&info)),
    ))
}

fn follow_body(info: &FollowInfo) -> String {
    let status = if info.called {
        "<p class=\"called\">已叫号，请前往窗口办理。<br>Your number has been called: please go to the counter.</p>".to_owned()
    } else {
        format!(
            "<p>前面还有 <b>{n}</b> 人等候<br><b>{n}</b> {people} ahead of you</p>",
            n = info.ahead,
            people = if info.ahead == 1 { "person" } else { "people" }
        )
    };
    let issued = info
        .issued_at
        .map(|t| {
            let offset = chrono::FixedOffset::east_opt(api::HALL_UTC_OFFSET_SECS)
                .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
            t.with_timezone(&offset).format("%H:%M").to_string()
        })
        .unwrap_or_default();
    format!(
        "<p class=\"big\">{number}</p>\
         <p>{area_zh}<br>{area_en}</p>\
         {status}\
         <p class=\"small\">{day} {issued} · 本页每 30 秒自动刷新 / refreshes every 30 s</p>",
        number = escape(&info.display_number),
        area_zh = escape(&info.area.name_zh),
        area_en = escape(&info.area.name_en),
        day = info.service_day,
        issued = escape(&issued),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"30\">\
         <title>{title}</title>\
         <style>body{{font-family:sans-serif;text-align:center;margin:2em;color:#222}}\
         .big{{font-size:4em;font-weight:bold;margin:.2em}}.called{{color:#b00}}\
         .small{{font-size:.8em;color:#666}}</style></head>\
         <body>{body}</body></html>\n",
        title = escape(title),
    )
}

fn html_response(status: u16, html: String) -> Response {
    Response::new(status, "text/html; charset=utf-8", html.into_bytes())
        // Counts change by the minute; a cached page would mislead.
        .with_header("Cache-Control", "no-store")
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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

    #[test]
    fn etags_and_escaping() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("W/\"abc\", \"x\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
