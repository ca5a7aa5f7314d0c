//! Blocking HTTP client the kiosk uses to talk to the platform (ureq 3).
//!
//! Every call is one signed request with no retries inside: the kiosk's sync loop owns the
//! retry policy (backoff, outage display), and [`ClientError::is_retryable`] tells it
//! which failures are worth retrying.
//!
//! This file holds the client itself (signing, transport, error mapping) and the calls
//! every service shares: health, the transaction upload, the heartbeat and the operator
//! views. Each citizen service adds its calls in its own module below, as an
//! `impl PlatformClient` block; `sim_control` holds the calls to the simulator's
//! `/control/*` knobs, which are not part of the contract.

use std::fmt;
use std::time::Duration;

use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::{
    BatchResult, ErrorBody, Health, Heartbeat, HeartbeatAck, HeartbeatList, Holdings,
    TransactionBatch,
};
use crate::sign;

// The service registry: one line per citizen service (each an `impl PlatformClient`).
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
mod traffic_fine;
// Not services: remote management (simulator side), the simulator's knobs.
mod bundles;
#[cfg(feature = "sim")]
mod commands;
#[cfg(feature = "sim")]
mod sim_control;
// TLS: the CA file, the pins, the connector (shared with the kiosk's link check).
pub mod tls;

pub use apply::GazetteerFetch;
pub use catalog::CatalogFetch;
pub use sample_forms::LibraryFetch;

/// Largest response body the client reads. Holdings of a long load test can be large;
/// anything past this is a broken or hostile server, not data.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a platform call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No usable HTTP response: connection refused or reset, DNS, TLS, timeout, or a
    /// malformed base URL. Retrying later may help (the platform may be down).
    #[error("platform unreachable: {0}")]
    Network(String),
    /// The TLS handshake refused the platform's certificate: not signed by a trusted
    /// authority (see `[platform] ca_file`), none of `[platform] pins`, expired, or for
    /// another name. Someone may be in between; retrying soon will not help, a person has to
    /// look (the sync loop backs off and shows it).
    #[error("{0}")]
    Certificate(String),
    /// The platform answered with a non-success status. `code` and `message` come from
    /// the JSON error body when there is one (for a non-JSON body, `message` holds its
    /// first 200 characters); `retry_after` from the `Retry-After` header.
    #[error("platform answered HTTP {status}{}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Http {
        /// HTTP status code.
        status: u16,
        /// `error.code` of the body.
        code: Option<String>,
        /// `error.message` of the body.
        message: Option<String>,
        /// Delay the server asked for before the next attempt.
        retry_after: Option<Duration>,
    },
    /// A success response whose body is not what the contract says.
    #[error("unexpected platform response: {0}")]
    Decode(String),
}

impl ClientError {
    /// Whether trying the same call again later may succeed: network failures, 5xx,
    /// 408 and 429 yes; other statuses (bad signature, validation) and undecodable
    /// success bodies no, because the same request would fail the same way.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Network(_) => true,
            ClientError::Certificate(_) => false,
            ClientError::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            ClientError::Decode(_) => false,
        }
    }

    /// The HTTP status, for [`ClientError::Http`].
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Signed, blocking client for one kiosk. Cheap to share by reference across threads
/// (the underlying agent pools connections).
#[derive(Clone)]
pub struct PlatformClient {
    agent: ureq::Agent,
    /// Scheme and authority, e.g. `https://platform.example`.
    origin: String,
    /// Path prefix of the base URL without trailing slash (often empty). It is part of
    /// the signed path because the server sees and checks the full request path.
    prefix: String,
    kiosk_id: String,
    key: Vec<u8>,
}

impl fmt::Debug for PlatformClient {
    // Hand-written so the key never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformClient")
            .field("base_url", &format!("{}{}", self.origin, self.prefix))
            .field("kiosk_id", &self.kiosk_id)
            .finish_non_exhaustive()
    }
}

struct Reply {
    status: u16,
    etag: Option<String>,
    body: Vec<u8>,
}

impl PlatformClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8080` or
    /// `https://platform.example/api`), signing as `kiosk_id` with `key`. `timeout`
    /// bounds each whole call (connect, send, receive).
    pub fn new(base_url: &str, kiosk_id: &str, key: &[u8], timeout: Duration) -> Self {
        Self::build(base_url, kiosk_id, key, timeout, tls::Trust::web().ok())
    }

    /// [`PlatformClient::new`] trusting `trust`'s authorities and pins for `https://`
    /// (`[platform] ca_file` and `pins`).
    pub fn with_trust(
        base_url: &str,
        kiosk_id: &str,
        key: &[u8],
        timeout: Duration,
        trust: &tls::Trust,
    ) -> Self {
        Self::build(base_url, kiosk_id, key, timeout, Some(trust.clone()))
    }

    fn build(
        base_url: &str,
        kiosk_id: &str,
        key: &[u8],
        timeout: Duration,
        trust: Option<tls::Trust>,
    ) -> Self {
        let base = base_url.trim().trim_end_matches('/');
        let (origin, prefix) = split_base(base);
        let mut config = ureq::Agent::config_builder()
            // Non-2xx must come back as responses so the error body can be parsed.
            .http_status_as_error(false)
            // A redirect would be followed with a signature for the old path; surface
            // it as an Http error instead.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("citizen-window-kiosk/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&origin) {
            // A proxy from the environment must not capture the local simulator.
            config = config.proxy(None);
        }
        let config = config.build();
        let agent = match trust {
            Some(trust) => {
                use ureq::unversioned::transport::{
                    ConnectProxyConnector, Connector, TcpConnector,
                };
                // ureq's default chain (CONNECT proxy, TCP, TLS) with our TLS step.
                let connector =
                    ().chain(ConnectProxyConnector::default())
                        .chain(TcpConnector::default())
                        .chain(tls::PlatformTls {
                            config: trust.rustls_config(),
                        });
                ureq::Agent::with_parts(
                    config,
                    connector,
                    ureq::unversioned::resolver::DefaultResolver::default(),
                )
            }
            // The web roots' configuration could not be built (it always can with ring):
            // ureq's own TLS, which uses the same roots.
            None => config.into(),
        };
        Self {
            agent,
            origin,
            prefix,
            kiosk_id: kiosk_id.to_owned(),
            key: key.to_vec(),
        }
    }

    /// The base URL this client talks to (without trailing slash).
    pub fn base_url(&self) -> String {
        format!("{}{}", self.origin, self.prefix)
    }

    /// The kiosk id it signs as.
    pub fn kiosk_id(&self) -> &str {
        &self.kiosk_id
    }

    /// `POST /v1/transactions`: upload a batch; one result per transaction, in order.
    pub fn upload(&self, batch: &TransactionBatch) -> Result<BatchResult, ClientError> {
        self.post_json("/v1/transactions", batch)
    }

    /// `GET /v1/admin/holdings` (operator/test): everything the platform stores.
    pub fn holdings(&self) -> Result<Holdings, ClientError> {
        decode(self.send("GET", "/v1/admin/holdings", None, None, true)?)
    }

    /// `POST /v1/heartbeat`: how the kiosk is.
    pub fn heartbeat(&self, beat: &Heartbeat) -> Result<HeartbeatAck, ClientError> {
        self.post_json("/v1/heartbeat", beat)
    }

    /// `GET /v1/admin/heartbeats` (operator/test): the last heartbeat of every kiosk.
    pub fn heartbeats(&self) -> Result<HeartbeatList, ClientError> {
        decode(self.send("GET", "/v1/admin/heartbeats", None, None, true)?)
    }

    /// `GET /v1/health` (unsigned).
    pub fn health(&self) -> Result<Health, ClientError> {
        decode(self.send("GET", "/v1/health", None, None, false)?)
    }

    fn post_json<T: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<R, ClientError> {
        // Serialising our own contract types cannot fail; the error path only keeps
        // this free of panics.
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Decode(e.to_string()))?;
        decode(self.send("POST", path, Some(bytes), None, true)?)
    }

    /// One request. 2xx and 304 come back as a [`Reply`]; other statuses as
    /// [`ClientError::Http`].
    fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        if_none_match: Option<&str>,
        signed: bool,
    ) -> Result<Reply, ClientError> {
        let full_path = format!("{}{}", self.prefix, path_and_query);
        let url = format!("{}{}", self.origin, full_path);
        let body_bytes: &[u8] = body.as_deref().unwrap_or(&[]);
        let mut headers: Vec<(&str, String)> = Vec::new();
        if signed {
            let ts = Utc::now().timestamp();
            let nonce = sign::new_nonce();
            let sig = sign::sign(&self.key, method, &full_path, ts, &nonce, body_bytes);
            headers.push((sign::HEADER_KIOSK_ID, self.kiosk_id.clone()));
            headers.push((sign::HEADER_TIMESTAMP, ts.to_string()));
            headers.push((sign::HEADER_NONCE, nonce));
            headers.push((sign::HEADER_SIGNATURE, sig));
        }
        if let Some(etag) = if_none_match {
            headers.push(("If-None-Match", etag.to_owned()));
        }
        headers.push(("Accept", "application/json".to_owned()));

        let started = std::time::Instant::now();
        let result = if method == "POST" || method == "PUT" {
            // PUT carries an application's part: bytes, not JSON.
            let (mut req, content_type) = if method == "PUT" {
                (self.agent.put(&url), "application/octet-stream")
            } else {
                (self.agent.post(&url), "application/json")
            };
            for (k, v) in &headers {
                req = req.header(*k, v);
            }
            req.header("Content-Type", content_type).send(body_bytes)
        } else {
            let mut req = self.agent.get(&url);
            for (k, v) in &headers {
                req = req.header(*k, v);
            }
            req.call()
        };
        let mut response = result.map_err(|e| {
            tracing::debug!(method, path = %full_path, error = %e, "platform call failed");
            match &e {
                ureq::Error::Rustls(tls) => match tls::certificate_problem(tls) {
                    Some(why) => ClientError::Certificate(why),
                    None => ClientError::Network(e.to_string()),
                },
                _ => ClientError::Network(e.to_string()),
            }
        })?;

        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag");
        let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v));
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            // A body cut off mid-way is a transport failure, like a reset.
            .map_err(|e| ClientError::Network(e.to_string()))?;
        tracing::debug!(
            method,
            path = %full_path,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "platform call"
        );

        if (200..300).contains(&status) || status == 304 {
            return Ok(Reply { status, etag, body });
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) => (Some(e.error.code), Some(e.error.message)),
            Err(_) => {
                let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                let text = text.trim().to_owned();
                (None, (!text.is_empty()).then_some(text))
            }
        };
        Err(ClientError::Http {
            status,
            code,
            message,
            retry_after,
        })
    }
}

fn decode<T: DeserializeOwned>(reply: Reply) -> Result<T, ClientError> {
    // A success page that is not JSON at all (a captive portal's login page, a proxy's
    // HTML) is not the platform's answer: a link problem, not a platform breaking the
    // contract.
    if !reply.body.trim_ascii_start().starts_with(b"{") {
        return Err(ClientError::Network(format!(
            "HTTP {} answer is not the platform's JSON (a proxy or captive portal?)",
            reply.status
        )));
    }
    serde_json::from_slice(&reply.body).map_err(|e| ClientError::Decode(e.to_string()))
}

/// Splits `scheme://authority/prefix` into origin and prefix (`""` or `/prefix`).
fn split_base(base: &str) -> (String, String) {
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    match base[after_scheme..].find('/') {
        Some(i) => {
            let (origin, prefix) = base.split_at(after_scheme + i);
            (origin.to_owned(), prefix.to_owned())
        }
        None => (base.to_owned(), String::new()),
    }
}

fn is_loopback(origin: &str) -> bool {
    let authority = origin.split("://").nth(1).unwrap_or(origin);
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&Utc) - Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_parts() {
        assert_eq!(
            split_base("http://127.0.0.1:80"),
            ("http://127.0.0.1:80".into(), "".into())
        );
        assert_eq!(
            split_base("https://p.example/api/v"),
            ("https://p.example".into(), "/api/v".into())
        );
        assert!(is_loopback("http://127.0.0.1:8080"));
        assert!(is_loopback("http://localhost"));
        assert!(is_loopback("http://[::1]:9"));
        assert!(!is_loopback("https://p.example"));
        let c = PlatformClient::new(
            "https://p.example/api/",
            "k",
            b"secret",
            Duration::from_secs(1),
        );
        assert_eq!(c.base_url(), "https://p.example/api");
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn retry_classes() {
        let http = |status| ClientError::Http {
            status,
            code: None,
            message: None,
            retry_after: None,
        };
        assert!(ClientError::Network("refused".into()).is_retryable());
        assert!(http(500).is_retryable());
        assert!(http(503).is_retryable());
        assert!(http(429).is_retryable());
        assert!(!http(400).is_retryable());
        assert!(!http(401).is_retryable());
        assert!(!http(404).is_retryable());
        assert!(!ClientError::Decode("x".into()).is_retryable());
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
