//! A hostile platform for tests (feature `test-support`): an HTTP server on loopback that
//! answers every way a real platform, a proxy in front of it or a captive portal can.
//!
//! It stands between the kiosk and a real platform simulator: [`Answer::Forward`] relays
//! the request to the simulator and its answer back (the honest platform), the other
//! answers replace it (an HTML 404 from a proxy, a login page, a redirect, garbage, a body
//! cut short, a slow drip, a reset, a `Retry-After` of a thousand years) or mangle the
//! simulator's real batch answer (empty, short, invented keys). Rules pick the answer by
//! path prefix, so a test can break only `/v1/transactions` and let the rest through.
//!
//! Plain `std::net`, one thread per connection, each connection closed after one answer.
//! Any new transaction kind runs its sync against [`hostile_answers`] to show that no row
//! is marked sent without the platform's acknowledgement and none fails for good unless
//! the contract refused it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How the kiosk must treat an answer (docs/platform-api.md, "How the kiosk treats
/// answers").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Acknowledged: the rows are sent.
    Acknowledged,
    /// The contract's own refusal of a transaction: the row fails for good, for staff.
    Refused,
    /// No usable answer, or not the platform's: rows stay pending, retried with backoff.
    LinkProblem,
    /// The platform answered in the contract's form but broke it: rows stay pending.
    Misbehaving,
}

/// How a forwarded batch answer is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mangle {
    /// `{"results": []}`.
    Empty,
    /// The last result left out.
    DropLast,
    /// Every result's key replaced by one the kiosk never sent.
    InventKeys,
    /// One result more than transactions sent, with an invented key.
    Extra,
    /// The results in reverse order.
    Reverse,
}

/// One way to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Relay to the upstream platform and back: the honest platform.
    Forward,
    /// Relay, then spoil the batch answer.
    Mangled(Mangle),
    /// A complete answer of this status, with these headers and body.
    Fixed {
        /// HTTP status.
        status: u16,
        /// Extra headers (`Content-Type` among them when wanted).
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// A success head announcing a body, then only part of it, then the connection closes.
    Truncated,
    /// A success head, then one byte of JSON every 200 ms for as long as the client stays.
    SlowDrip,
    /// A success answer with a body larger than any client should read (streamed until the
    /// client goes away).
    Oversized,
    /// Bytes that are not HTTP at all.
    NotHttp,
    /// The connection reset after the request (unread bytes, then close).
    Reset,
    /// Read the request, never answer (the client's timeout ends it).
    Silent,
}

impl Answer {
    /// An answer with a `Content-Type` and a body.
    pub fn with_body(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Answer::Fixed {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// An HTML page, as a proxy, a web server or a captive portal sends.
    pub fn html(status: u16, title: &str) -> Self {
        Self::with_body(
            status,
            "text/html; charset=utf-8",
            format!("<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"),
        )
    }

    /// The contract's JSON error body.
    pub fn json_error(status: u16, code: &str, message: &str) -> Self {
        Self::with_body(
            status,
            "application/json",
            format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#),
        )
    }

    /// A JSON error with a `Retry-After` header as given.
    pub fn retry_after(status: u16, value: &str) -> Self {
        let mut a = Self::json_error(status, "unavailable", "come back later");
        if let Answer::Fixed { headers, .. } = &mut a {
            headers.push(("Retry-After".into(), value.into()));
        }
        a
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Answer::Fixed {
            status,
            headers: vec![
                ("Location".into(), location.into()),
                ("Content-Type".into(), "text/html".into()),
            ],
            body: b"<html><body>Moved</body></html>".to_vec(),
        }
    }
}

/// Every way to answer an upload this harness knows, with a name for test output and how
/// the kiosk must treat it. A new transaction kind's sync test runs its rows through all of
/// them.
pub fn hostile_answers() -> Vec<(&'static str, Answer, Expect)> {
    use Expect::*;
    let far_date = "Fri, 31 Dec 9999 23:59:59 GMT";
    vec![
        ("honest platform", Answer::Forward, Acknowledged),
        (
            "json 400 bad_request",
            Answer::json_error(400, "bad_request", "malformed JSON"),
            Refused,
        ),
        (
            "json 409 idempotency_conflict",
            Answer::json_error(409, "idempotency_conflict", "key reused"),
            Refused,
        ),
        (
            "html 404 from a proxy",
            Answer::html(404, "404 Not Found"),
            LinkProblem,
        ),
        (
            "html 403 from a proxy",
            Answer::html(403, "403 Forbidden"),
            LinkProblem,
        ),
        (
            "html 400 from a proxy",
            Answer::html(400, "400 Bad Request"),
            LinkProblem,
        ),
        (
            "json 404 not_found (wrong base path)",
            Answer::json_error(404, "not_found", "no such endpoint"),
            LinkProblem,
        ),
        (
            "json 405 method_not_allowed",
            Answer::json_error(405, "method_not_allowed", "POST only"),
            LinkProblem,
        ),
        (
            "captive portal login page (200 html)",
            Answer::html(200, "Hotel Wi-Fi login"),
            LinkProblem,
        ),
        (
            "captive portal 302 redirect",
            Answer::redirect(302, "http://login.portal.example/"),
            LinkProblem,
        ),
        (
            "json 401 bad_signature",
            Answer::json_error(401, "bad_signature", "bad signature"),
            LinkProblem,
        ),
        (
            "html 502 bad gateway",
            Answer::html(502, "502 Bad Gateway"),
            LinkProblem,
        ),
        (
            "json 500 internal",
            Answer::json_error(500, "internal", "oops"),
            LinkProblem,
        ),
        (
            "503 retry-after u64::MAX",
            Answer::retry_after(503, "18446744073709551615"),
            LinkProblem,
        ),
        (
            "503 retry-after past u64",
            Answer::retry_after(503, "99999999999999999999999"),
            LinkProblem,
        ),
        (
            "429 retry-after a thousand years",
            Answer::retry_after(429, "31536000000"),
            LinkProblem,
        ),
        (
            "503 retry-after far date",
            Answer::retry_after(503, far_date),
            LinkProblem,
        ),
        (
            "503 retry-after garbage",
            Answer::retry_after(503, "soon-ish"),
            LinkProblem,
        ),
        ("not http", Answer::NotHttp, LinkProblem),
        ("truncated body", Answer::Truncated, LinkProblem),
        ("slow drip", Answer::SlowDrip, LinkProblem),
        ("oversized body", Answer::Oversized, LinkProblem),
        ("connection reset", Answer::Reset, LinkProblem),
        ("no answer", Answer::Silent, LinkProblem),
        (
            "200 json garbage",
            Answer::with_body(200, "application/json", r#"{"results": "#),
            Misbehaving,
        ),
        (
            "200 json of another shape",
            Answer::with_body(200, "application/json", r#"{"ok": true}"#),
            Misbehaving,
        ),
        (
            "200 unknown status",
            Answer::with_body(
                200,
                "application/json",
                r#"{"results":[{"idempotency_key":"x","status":"maybe","reason":null}]}"#,
            ),
            Misbehaving,
        ),
        ("empty results", Answer::Mangled(Mangle::Empty), Misbehaving),
        (
            "short results",
            Answer::Mangled(Mangle::DropLast),
            Misbehaving,
        ),
        (
            "invented keys",
            Answer::Mangled(Mangle::InventKeys),
            Misbehaving,
        ),
        ("extra result", Answer::Mangled(Mangle::Extra), Misbehaving),
        (
            "reordered results",
            Answer::Mangled(Mangle::Reverse),
            Misbehaving,
        ),
    ]
}

struct Rules {
    /// (path prefix, answer); the first match wins; no match: forward.
    rules: Vec<(String, Answer)>,
}

/// The running hostile server; stops on drop.
pub struct HostileServer {
    addr: std::net::SocketAddr,
    rules: Arc<Mutex<Rules>>,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts on `127.0.0.1:0`, relaying forwarded requests to `upstream`
    /// (`host:port` of a real platform simulator; `None`: forwarding answers 502).
    pub fn start(upstream: Option<std::net::SocketAddr>) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let rules = Arc::new(Mutex::new(Rules { rules: Vec::new() }));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let (r, s, n) = (rules.clone(), stop.clone(), requests.clone());
        let thread = thread::Builder::new()
            .name("hostile-platform".into())
            .spawn(move || accept_loop(listener, upstream, r, s, n))?;
        Ok(Self {
            addr,
            rules,
            stop,
            requests,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers requests whose path starts with `path_prefix` this way (replacing an earlier
    /// rule for the same prefix).
    pub fn answer(&self, path_prefix: &str, answer: Answer) {
        if let Ok(mut r) = self.rules.lock() {
            r.rules.retain(|(p, _)| p != path_prefix);
            r.rules.push((path_prefix.to_owned(), answer));
        }
    }

    /// Answers every request this way.
    pub fn answer_all(&self, answer: Answer) {
        if let Ok(mut r) = self.rules.lock() {
            r.rules = vec![(String::new(), answer)];
        }
    }

    /// Forwards everything again.
    pub fn heal(&self) {
        if let Ok(mut r) = self.rules.lock() {
            r.rules.clear();
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    upstream: Option<std::net::SocketAddr>,
    rules: Arc<Mutex<Rules>>,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
) {
    let mut conns: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (r, s, n) = (rules.clone(), stop.clone(), requests.clone());
                if let Ok(h) = thread::Builder::new()
                    .name("hostile-conn".into())
                    .spawn(move || {
                        let _ = serve(stream, upstream, &r, &s, &n);
                    })
                {
                    conns.push(h);
                }
                conns.retain(|h| !h.is_finished());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
    for h in conns {
        let _ = h.join();
    }
}

/// Reads one request: head and `Content-Length` body. `None` if the client went away.
fn read_request(stream: &mut TcpStream, stop: &AtomicBool) -> io::Result<Option<Vec<u8>>> {
    stream.set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let started = Instant::now();
    loop {
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut slots);
        if let Ok(httparse::Status::Complete(head)) = req.parse(&buf) {
            let len = req
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= head + len {
                return Ok(Some(buf));
            }
        }
        if stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(30) {
            return Ok(None);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

fn request_path(raw: &[u8]) -> String {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut slots);
    let _ = req.parse(raw);
    req.path.unwrap_or("").to_owned()
}

fn serve(
    mut stream: TcpStream,
    upstream: Option<std::net::SocketAddr>,
    rules: &Mutex<Rules>,
    stop: &AtomicBool,
    requests: &AtomicU64,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    if peek_reset(&stream, rules).unwrap_or(false) {
        // Reset: close with most of the request unread, so the kernel answers with RST.
        requests.fetch_add(1, Ordering::SeqCst);
        let mut one = [0u8; 1];
        let _ = stream.read(&mut one);
        return Ok(());
    }
    let Some(raw) = read_request(&mut stream, stop)? else {
        return Ok(());
    };
    requests.fetch_add(1, Ordering::SeqCst);
    let path = request_path(&raw);
    let answer = rules
        .lock()
        .ok()
        .and_then(|r| {
            r.rules
                .iter()
                .find(|(p, _)| path.starts_with(p.as_str()))
                .map(|(_, a)| a.clone())
        })
        .unwrap_or(Answer::Forward);
    match answer {
        Answer::Forward => {
            let (head, body) = forward(&raw, upstream)?;
            write_answer(&mut stream, &head, &body)?;
        }
        Answer::Mangled(how) => {
            let (head, body) = forward(&raw, upstream)?;
            let body = if head.status == 200 {
                mangle(&body, how)
            } else {
                body
            };
            write_answer(&mut stream, &head, &body)?;
        }
        Answer::Fixed {
            status,
            headers,
            body,
        } => {
            let head = Head { status, headers };
            write_answer(&mut stream, &head, &body)?;
        }
        Answer::Truncated => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\nConnection: close\r\n\r\n{\"results\": [{\"idempotency_key\"",
            )?;
            stream.flush()?;
            thread::sleep(Duration::from_millis(50));
        }
        Answer::SlowDrip => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n",
            )?;
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                if stream.write_all(b" ").and_then(|_| stream.flush()).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(200));
            }
        }
        Answer::Oversized => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\n[",
            )?;
            let block = vec![b' '; 256 * 1024];
            let mut sent = 0usize;
            while !stop.load(Ordering::SeqCst) && sent < 1_000_000_000 {
                if stream.write_all(&block).is_err() {
                    break;
                }
                sent += block.len();
            }
        }
        Answer::NotHttp => {
            stream.write_all(b"\x16\x03\x01\x02\x00SSH-2.0-OpenSSH_9.2\r\nthis is not http\r\n")?;
            stream.flush()?;
        }
        Answer::Reset => {}
        Answer::Silent => {
            let started = Instant::now();
            let mut one = [0u8; 1];
            stream.set_read_timeout(Some(Duration::from_millis(100)))?;
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                match stream.read(&mut one) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Whether the rule for this request is [`Answer::Reset`] (decided from the first bytes,
/// before the request is read, so that unread bytes remain to make the close a reset).
fn peek_reset(stream: &TcpStream, rules: &Mutex<Rules>) -> io::Result<bool> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = [0u8; 2048];
    let n = stream.peek(&mut buf)?;
    let path = request_path(&buf[..n]);
    let path = if path.is_empty() {
        // Request line not complete in the first segment: take the target from it.
        String::from_utf8_lossy(&buf[..n])
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned()
    } else {
        path
    };
    let reset = rules
        .lock()
        .ok()
        .and_then(|r| {
            r.rules
                .iter()
                .find(|(p, _)| path.starts_with(p.as_str()))
                .map(|(_, a)| *a == Answer::Reset)
        })
        .unwrap_or(false);
    Ok(reset)
}

struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

fn write_answer(stream: &mut TcpStream, head: &Head, body: &[u8]) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} Hostile\r\n", head.status);
    for (k, v) in &head.headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("connection") {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    stream.flush()
}

/// Relays one request to the upstream with `Connection: close` and reads its answer.
fn forward(raw: &[u8], upstream: Option<std::net::SocketAddr>) -> io::Result<(Head, Vec<u8>)> {
    let Some(addr) = upstream else {
        return Ok((
            Head {
                status: 502,
                headers: vec![("Content-Type".into(), "text/html".into())],
            },
            b"<html>no upstream</html>".to_vec(),
        ));
    };
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut slots);
    let head_len = match req.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err(io::Error::new(io::ErrorKind::InvalidData, "bad request")),
    };
    let mut out = format!(
        "{} {} HTTP/1.1\r\n",
        req.method.unwrap_or("GET"),
        req.path.unwrap_or("/")
    );
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            continue;
        }
        out.push_str(h.name);
        out.push_str(": ");
        out.push_str(&String::from_utf8_lossy(h.value));
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    up.set_read_timeout(Some(Duration::from_secs(30)))?;
    up.write_all(out.as_bytes())?;
    up.write_all(&raw[head_len..])?;
    up.flush()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    let mut hslots = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut hslots);
    let n = match resp.parse(&answer) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad upstream answer",
            ))
        }
    };
    let head = Head {
        status: resp.code.unwrap_or(502),
        headers: resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
    };
    Ok((head, answer[n..].to_vec()))
}

fn mangle(body: &[u8], how: Mangle) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    let Some(results) = v.get_mut("results").and_then(|r| r.as_array_mut()) else {
        return body.to_vec();
    };
    let invented = |i: usize| {
        serde_json::json!({
            "idempotency_key": format!("00000000-0000-4000-8000-{i:012}"),
            "status": "accepted",
            "reason": null
        })
    };
    match how {
        Mangle::Empty => results.clear(),
        Mangle::DropLast => {
            results.pop();
        }
        Mangle::InventKeys => {
            for (i, r) in results.iter_mut().enumerate() {
                *r = invented(i);
            }
        }
        Mangle::Extra => results.push(invented(999)),
        Mangle::Reverse => results.reverse(),
    }
    serde_json::to_vec(&v).unwrap_or_default()
}
