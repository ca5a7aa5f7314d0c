//! A small HTTP/1.1 server on `std::net`, just enough for the simulator.
//!
//! Why not tiny_http: its connection threads outlive the `Server` (a kiosk's pooled
//! keep-alive connection would then hang until its timeout instead of failing fast
//! after `stop`), and its accept thread is not joined, so the port is not reliably free
//! when `stop` returns. Tests simulate outages by stopping and restarting the platform,
//! so both matter. Here every connection belongs to a worker that is joined on stop.
//!
//! Shape: the calling thread polls a non-blocking listener (so a shutdown flag set by
//! anyone is noticed within milliseconds) and queues accepted connections; a fixed set
//! of workers serve them. Keep-alive is supported, but an idle connection is given up as
//! soon as another connection waits, so a few workers never starve many clients.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Read timeout of sockets: the granularity at which workers notice shutdown and waiting
/// connections.
const POLL: Duration = Duration::from_millis(100);
/// Sleep of the accept loop when no connection is pending.
const ACCEPT_POLL: Duration = Duration::from_millis(5);
/// An idle keep-alive connection is closed after this long.
const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(5);
/// A request must arrive completely within this long of its first byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head (request line plus headers).
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body; a full batch of 500 transactions is far below this.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;
const MAX_HEADERS: usize = 64;

/// A parsed request.
#[derive(Debug)]
pub(crate) struct Request {
    /// Method, as sent (upper case by convention).
    pub method: String,
    /// Request target as sent: path plus optional `?query`. Signatures cover exactly this.
    pub target: String,
    headers: Vec<(String, String)>,
    /// Body bytes (empty when none).
    pub body: Vec<u8>,
}

impl Request {
    /// First header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// Value of a query parameter (no percent-decoding: the contract only uses plain
    /// dates).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// A response to write.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Fault injection: close the connection without answering.
    pub drop_connection: bool,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body,
            drop_connection: false,
        }
    }

    /// No answer at all: the connection is closed (an injected fault).
    pub fn dropped() -> Self {
        Self {
            drop_connection: true,
            ..Self::new(500, "application/json", Vec::new())
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// Handler called for each request with the worker's own state (its database
/// connection), so workers never contend for a lock.
pub(crate) type Handler<S> = dyn Fn(&mut S, &Request) -> Response + Send + Sync;

/// Answers the requests admission control turns away that must be answered anyway
/// (the simulator's `/control/` knobs: an operator watching a storm must see its stats);
/// `None` for the rest, which get 503.
pub(crate) type Bypass = dyn Fn(&Request) -> Option<Response> + Send + Sync;

/// Admission control: a platform under a storm answers `503` with `Retry-After` at once
/// rather than letting requests queue past the clients' timeouts (when a request waits
/// longer than the client does, the work is done for nothing: the answer is lost and the
/// client sends it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Connections that may wait for a worker; one more is answered 503 at once by a
    /// shedding thread. 0: no bound.
    pub max_queue: usize,
    /// A connection that waited longer than this for a worker is answered 503 instead of
    /// served (its client may be about to give up). Zero: no limit.
    pub max_wait: Duration,
    /// `Retry-After` seconds of those 503 answers.
    pub retry_after_secs: u64,
}

impl Default for Admission {
    /// 64 waiting connections, 3 s of waiting (kiosks time out after 10 s), retry after 2 s.
    fn default() -> Self {
        Self {
            max_queue: 64,
            max_wait: Duration::from_secs(3),
            retry_after_secs: 2,
        }
    }
}

/// What admission control did, for `/control/stats`.
#[derive(Debug, Default)]
pub(crate) struct QueueStats {
    /// Requests answered 503 by admission control.
    pub shed: AtomicU64,
    /// The most connections ever waiting for a worker at once.
    pub peak_queue: AtomicU64,
}

/// Connections waiting for the shedding threads beyond this are closed unanswered (the
/// client sees a reset and backs off like after any network failure).
const MAX_SHED_QUEUE: usize = 4096;
/// Shedding threads.
const SHEDDERS: usize = 2;
/// How long a shedding thread waits for a request to arrive before closing.
const SHED_READ_BUDGET: Duration = Duration::from_millis(500);

struct Queue {
    conns: Mutex<VecDeque<(TcpStream, Instant)>>,
    ready: Condvar,
}

impl Queue {
    fn new() -> Self {
        Self {
            conns: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
        }
    }

    fn waiting(&self) -> bool {
        self.conns.lock().map(|q| !q.is_empty()).unwrap_or(false)
    }

    fn len(&self) -> usize {
        self.conns.lock().map(|q| q.len()).unwrap_or(0)
    }

    /// Waits for the next connection; `None` on shutdown.
    fn pop(&self, shutdown: &AtomicBool) -> Option<(TcpStream, Instant)> {
        let mut q = self.conns.lock().ok()?;
        loop {
            if shutdown.load(Ordering::SeqCst) {
                return None;
            }
            if let Some(c) = q.pop_front() {
                return Some(c);
            }
            q = queue_wait(&self.ready, q)?;
        }
    }
}

fn queue_wait<'a>(
    ready: &Condvar,
    q: std::sync::MutexGuard<'a, VecDeque<(TcpStream, Instant)>>,
) -> Option<std::sync::MutexGuard<'a, VecDeque<(TcpStream, Instant)>>> {
    ready.wait_timeout(q, POLL).ok().map(|(q, _)| q)
}

/// Serves until `shutdown` is set, one worker per element of `states`. Returns once the
/// listener is closed and every worker (with its connections) has finished.
pub(crate) fn run<S: Send + 'static>(
    listener: TcpListener,
    shutdown: Arc<AtomicBool>,
    states: Vec<S>,
    handler: Arc<Handler<S>>,
    admission: Admission,
    stats: Arc<QueueStats>,
    bypass: Arc<Bypass>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let queue = Arc::new(Queue::new());
    let shed_queue = Arc::new(Queue::new());
    let mut workers = Vec::new();
    for (i, state) in states.into_iter().enumerate() {
        let (q, flag, h, st, by) = (
            Arc::clone(&queue),
            Arc::clone(&shutdown),
            Arc::clone(&handler),
            Arc::clone(&stats),
            Arc::clone(&bypass),
        );
        let spawned = thread::Builder::new()
            .name(format!("platform-sim-{i}"))
            .spawn(move || worker(state, &q, &flag, &*h, admission, &st, &*by));
        match spawned {
            Ok(h) => workers.push(h),
            Err(e) => {
                shutdown.store(true, Ordering::SeqCst);
                join_all(workers, &queue);
                return Err(e);
            }
        }
    }
    let mut shedders = Vec::new();
    if admission.max_queue > 0 {
        for i in 0..SHEDDERS {
            let (q, flag, st, by) = (
                Arc::clone(&shed_queue),
                Arc::clone(&shutdown),
                Arc::clone(&stats),
                Arc::clone(&bypass),
            );
            let spawned = thread::Builder::new()
                .name(format!("platform-sim-shed-{i}"))
                .spawn(move || {
                    while let Some((stream, _)) = q.pop(&flag) {
                        shed(stream, admission.retry_after_secs, &st, &*by);
                    }
                });
            match spawned {
                Ok(h) => shedders.push(h),
                Err(e) => {
                    shutdown.store(true, Ordering::SeqCst);
                    join_all(workers, &queue);
                    join_all(shedders, &shed_queue);
                    return Err(e);
                }
            }
        }
    }

    while !shutdown.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                // Accepted sockets may inherit non-blocking mode; workers use timeouts.
                if stream.set_nonblocking(false).is_err() {
                    continue;
                }
                let depth = queue.len();
                if admission.max_queue > 0 && depth >= admission.max_queue {
                    // Full: a shedding thread answers 503 at once; past its own bound the
                    // connection is simply closed.
                    if let Ok(mut q) = shed_queue.conns.lock() {
                        if q.len() < MAX_SHED_QUEUE {
                            q.push_back((stream, Instant::now()));
                        }
                    }
                    shed_queue.ready.notify_one();
                    continue;
                }
                stats
                    .peak_queue
                    .fetch_max(depth as u64 + 1, Ordering::Relaxed);
                if let Ok(mut q) = queue.conns.lock() {
                    q.push_back((stream, Instant::now()));
                }
                queue.ready.notify_one();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // E.g. out of file descriptors under a load test: keep serving.
                tracing::warn!(error = %e, "platform sim: accept failed");
                thread::sleep(POLL);
            }
        }
    }
    // Close the port first so new connections are refused while workers finish.
    drop(listener);
    join_all(workers, &queue);
    join_all(shedders, &shed_queue);
    Ok(())
}

/// Answers one connection `503 unavailable` with `Retry-After`, after reading its request
/// (closing a socket with unread bytes would reset it, and the client would see a network
/// error instead of the answer).
fn shed(mut stream: TcpStream, retry_after_secs: u64, stats: &QueueStats, bypass: &Bypass) {
    let started = Instant::now();
    if stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .is_err()
        || stream
            .set_write_timeout(Some(Duration::from_secs(1)))
            .is_err()
    {
        return;
    }
    let mut buf = Vec::new();
    // (head length, body length, request without its body yet)
    let mut head: Option<(usize, usize, Request)> = None;
    loop {
        if head.is_none() {
            if let Some(pos) = find(&buf, b"\r\n\r\n") {
                let head_len = pos + 4;
                let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut parsed = httparse::Request::new(&mut slots);
                let complete = matches!(
                    parsed.parse(&buf[..head_len]),
                    Ok(httparse::Status::Complete(_))
                );
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).trim().to_owned(),
                        )
                    })
                    .collect();
                let request = Request {
                    method: parsed.method.unwrap_or("").to_owned(),
                    target: parsed.path.unwrap_or("").to_owned(),
                    headers,
                    body: Vec::new(),
                };
                let body_len = if complete {
                    request
                        .header("content-length")
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0)
                        .min(MAX_BODY)
                } else {
                    0
                };
                head = Some((head_len, body_len, request));
            } else if buf.len() > MAX_HEAD {
                return;
            }
        }
        if let Some((head_len, body_len, request)) = &mut head {
            if buf.len() >= *head_len + *body_len {
                request.body = buf[*head_len..*head_len + *body_len].to_vec();
                break;
            }
        }
        if started.elapsed() > SHED_READ_BUDGET {
            return;
        }
        match read_some(&mut stream, &mut buf) {
            Read2::Closed => return,
            Read2::Data | Read2::Idle => {}
        }
    }
    let Some((_, _, request)) = head else {
        return;
    };
    let response = bypass(&request).unwrap_or_else(|| {
        stats.shed.fetch_add(1, Ordering::Relaxed);
        error_response(503, "unavailable", "busy: too many requests waiting")
            .with_header("Retry-After", retry_after_secs.to_string())
    });
    let _ = write_response(&mut stream, &response, false, false);
}

fn join_all(workers: Vec<thread::JoinHandle<()>>, queue: &Queue) {
    queue.ready.notify_all();
    for w in workers {
        if w.join().is_err() {
            tracing::error!("platform sim: worker panicked");
        }
    }
    if let Ok(mut q) = queue.conns.lock() {
        q.clear();
    }
}

fn worker<S>(
    mut state: S,
    queue: &Queue,
    shutdown: &AtomicBool,
    handler: &Handler<S>,
    admission: Admission,
    stats: &QueueStats,
    bypass: &Bypass,
) {
    while let Some((stream, queued_at)) = queue.pop(shutdown) {
        if !admission.max_wait.is_zero() && queued_at.elapsed() > admission.max_wait {
            // Waited too long: its client may give up before an answer; turn it away
            // quickly rather than doing work whose answer would be lost.
            shed(stream, admission.retry_after_secs, stats, bypass);
            continue;
        }
        serve_connection(stream, &mut state, queue, shutdown, handler);
    }
}

enum Read2 {
    Data,
    Closed,
    Idle,
}

fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Read2 {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk) {
        Ok(0) => Read2::Closed,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Read2::Data
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ) =>
        {
            Read2::Idle
        }
        Err(_) => Read2::Closed,
    }
}

fn serve_connection<S>(
    mut stream: TcpStream,
    state: &mut S,
    queue: &Queue,
    shutdown: &AtomicBool,
    handler: &Handler<S>,
) {
    if stream.set_read_timeout(Some(POLL)).is_err()
        || stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::new();
    let mut idle_since = Instant::now();

    loop {
        // --- request head ---
        let mut first_byte_at = (!buf.is_empty()).then(Instant::now);
        let head_len = loop {
            if let Some(pos) = find(&buf, b"\r\n\r\n") {
                break pos + 4;
            }
            if buf.len() > MAX_HEAD {
                let _ = write_error(&mut stream, 431, "head_too_large", "request head too large");
                return;
            }
            if shutdown.load(Ordering::SeqCst) {
                return;
            }
            match read_some(&mut stream, &mut buf) {
                Read2::Closed => return,
                Read2::Data => {
                    first_byte_at.get_or_insert_with(Instant::now);
                }
                Read2::Idle => match first_byte_at {
                    None => {
                        // Between requests: give the connection up when it idles too
                        // long or someone else is waiting for a worker.
                        if idle_since.elapsed() > KEEP_ALIVE_IDLE || queue.waiting() {
                            return;
                        }
                    }
                    Some(t) if t.elapsed() > REQUEST_TIMEOUT => {
                        let _ = write_error(&mut stream, 408, "timeout", "request too slow");
                        return;
                    }
                    Some(_) => {}
                },
            }
        };
        let started = first_byte_at.unwrap_or_else(Instant::now);

        // --- parse ---
        let mut header_slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut header_slots);
        match parsed.parse(&buf[..head_len]) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) | Err(_) => {
                let _ = write_error(&mut stream, 400, "bad_request", "malformed HTTP request");
                return;
            }
        }
        let method = parsed.method.unwrap_or("").to_owned();
        let target = parsed.path.unwrap_or("").to_owned();
        let http11 = parsed.version == Some(1);
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).trim().to_owned(),
                )
            })
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        if header("transfer-encoding").is_some() {
            let _ = write_error(
                &mut stream,
                411,
                "length_required",
                "chunked bodies are not supported; send Content-Length",
            );
            return;
        }
        let body_len = match header("content-length").map(str::parse::<usize>) {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                let _ = write_error(&mut stream, 400, "bad_request", "bad Content-Length");
                return;
            }
        };
        if body_len > MAX_BODY {
            let _ = write_error(&mut stream, 413, "too_large", "request body too large");
            return;
        }
        let connection = header("connection").map(str::to_ascii_lowercase);
        let mut keep_alive = match &connection {
            Some(c) if c.contains("close") => false,
            Some(c) if c.contains("keep-alive") => true,
            _ => http11,
        };
        let expects_continue = header("expect")
            .map(|v| v.eq_ignore_ascii_case("100-continue"))
            .unwrap_or(false);

        // --- body ---
        // curl and others wait for this before sending a larger body.
        let continue_needed = expects_continue && buf.len() < head_len + body_len;
        if continue_needed && stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
            return;
        }
        while buf.len() < head_len + body_len {
            if shutdown.load(Ordering::SeqCst) {
                return;
            }
            match read_some(&mut stream, &mut buf) {
                Read2::Closed => return,
                Read2::Data => {}
                Read2::Idle => {
                    if started.elapsed() > REQUEST_TIMEOUT {
                        let _ = write_error(&mut stream, 408, "timeout", "request too slow");
                        return;
                    }
                }
            }
        }
        let body = buf[head_len..head_len + body_len].to_vec();
        // Keep any pipelined bytes of the next request.
        buf.drain(..head_len + body_len);
        let request = Request {
            method,
            target,
            headers,
            body,
        };

        // --- handle ---
        let response = catch_unwind(AssertUnwindSafe(|| handler(state, &request)))
            .unwrap_or_else(|_| {
                tracing::error!(method = %request.method, path = %request.path(), "platform sim: handler panicked");
                error_response(500, "internal", "internal error")
            });
        if response.drop_connection {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        if shutdown.load(Ordering::SeqCst) || queue.waiting() {
            keep_alive = false;
        }
        let head_only = request.method == "HEAD";
        if write_response(&mut stream, &response, keep_alive, head_only).is_err() || !keep_alive {
            return;
        }
        idle_since = Instant::now();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A JSON error response in the contract's shape.
pub(crate) fn error_response(status: u16, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    Response::new(
        status,
        "application/json",
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}

fn write_error(stream: &mut TcpStream, status: u16, code: &str, message: &str) -> io::Result<()> {
    write_response(stream, &error_response(status, code, message), false, false)
}

fn write_response(
    stream: &mut TcpStream,
    response: &Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nConnection: {}\r\n",
        response.status,
        reason(response.status),
        if keep_alive { "keep-alive" } else { "close" }
    );
    // 304 and 204 have no body; announcing a length would make clients wait for one.
    let bodiless = matches!(response.status, 204 | 304);
    if !bodiless {
        head.push_str(&format!(
            "Content-Type: {}\r\nContent-Length: {}\r\n",
            response.content_type,
            response.body.len()
        ));
    }
    for (name, value) in &response.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    if !bodiless && !head_only {
        out.extend_from_slice(&response.body);
    }
    stream.write_all(&out)?;
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}
