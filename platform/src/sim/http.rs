//! A small HTTP/1.1 server on `std::net`, just enough for the simulator.
//!
//! Why not tiny_http: its connection threads outlive the `Server` (a kiosk's pooled
//! keep-alive connection would then hang until its timeout instead of failing fast
//! after `stop`), and its accept thread is not joined, so the port is not reliably free
//! when `stop` returns. Tests simulate outages by stopping and restarting the platform,
//! so both matter. Here every connection belongs to a worker that is joined on stop.
//!
//! Shape: the calling thread polls a non-blocking listener (so a shutdown flag set by
//! anyone is noticed within milliseconds) and, on the same thread, collects each
//! connection's request without blocking ("reception"); only a complete request goes to
//! one of a fixed set of workers. So a slow client never holds a worker: 200 connections
//! dripping a header byte at a time cost one poll each, and each is answered `408` when
//! its head has not arrived within [`HEADER_DEADLINE`]. After an answer a keep-alive
//! connection goes back to reception, not to a worker waiting on it.
//!
//! Framing is strict where ambiguity could be abused: two `Content-Length` headers, or one
//! that is not plain digits, are refused with `400`; `Transfer-Encoding` with `411`. A head
//! whose lines end in a bare LF is parsed like one with CRLF (httparse accepts both), so it
//! is answered, never left waiting for a CRLF that does not come.

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
/// Sleep of the accept loop when nothing happened.
const ACCEPT_POLL: Duration = Duration::from_millis(2);
/// An idle keep-alive connection is closed after this long.
const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(5);
/// A request head must arrive completely within this long of the connection (or, on a
/// kept-alive connection, of its first byte). Honest clients send a head in one segment.
pub(crate) const HEADER_DEADLINE: Duration = Duration::from_secs(2);
/// A request must arrive completely (body included) within this long of its first byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head (request line plus headers).
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body; a full batch of 500 transactions is far below this.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;
const MAX_HEADERS: usize = 64;
/// Connections whose request is still arriving; past this, new connections are closed at
/// once (the client sees a reset and backs off).
const MAX_ARRIVING: usize = 4096;

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

/// A connection with the bytes read from it so far.
type Conn = (TcpStream, Vec<u8>, Instant);

/// Kept-alive connections the workers hand back to reception, with pipelined bytes.
type Returned = Mutex<Vec<(TcpStream, Vec<u8>)>>;

struct Queue {
    conns: Mutex<VecDeque<Conn>>,
    ready: Condvar,
}

impl Queue {
    fn new() -> Self {
        Self {
            conns: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
        }
    }

    fn len(&self) -> usize {
        self.conns.lock().map(|q| q.len()).unwrap_or(0)
    }

    fn push(&self, conn: Conn) {
        if let Ok(mut q) = self.conns.lock() {
            q.push_back(conn);
        }
        self.ready.notify_one();
    }

    /// Waits for the next connection; `None` on shutdown.
    fn pop(&self, shutdown: &AtomicBool) -> Option<Conn> {
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
    q: std::sync::MutexGuard<'a, VecDeque<Conn>>,
) -> Option<std::sync::MutexGuard<'a, VecDeque<Conn>>> {
    ready.wait_timeout(q, POLL).ok().map(|(q, _)| q)
}

/// The head of a request, parsed once for reception, workers and shedders alike.
struct Head {
    method: String,
    target: String,
    http11: bool,
    headers: Vec<(String, String)>,
    head_len: usize,
    body_len: usize,
    expects_continue: bool,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the bytes received so far make.
enum Framing {
    /// The head has not all arrived.
    Incomplete,
    /// A head that can be served (its body may still be arriving).
    Head(Head),
    /// A request to refuse: status, code, message.
    Refuse(u16, &'static str, &'static str),
}

/// Parses the head at the start of `buf`. Bare-LF line ends are accepted (httparse does);
/// ambiguous framing is refused.
fn frame(buf: &[u8]) -> Framing {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut slots);
    let head_len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Framing::Refuse(431, "head_too_large", "request head too large")
        }
        Ok(httparse::Status::Partial) => return Framing::Incomplete,
        Err(httparse::Error::TooManyHeaders) => {
            return Framing::Refuse(431, "head_too_large", "too many request headers")
        }
        Err(_) => return Framing::Refuse(400, "bad_request", "malformed HTTP request"),
    };
    if head_len > MAX_HEAD {
        return Framing::Refuse(431, "head_too_large", "request head too large");
    }
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
    if headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"))
    {
        return Framing::Refuse(
            411,
            "length_required",
            "chunked bodies are not supported; send Content-Length",
        );
    }
    let lengths: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    // One plain decimal Content-Length or none: two of them (even equal), a sign, a list
    // or spaces inside are how a request is smuggled past a proxy that reads it otherwise.
    let body_len = match lengths.as_slice() {
        [] => 0,
        [one] if !one.is_empty() && one.bytes().all(|b| b.is_ascii_digit()) => {
            match one.parse::<usize>() {
                Ok(n) => n,
                Err(_) => return Framing::Refuse(413, "too_large", "request body too large"),
            }
        }
        [_] => return Framing::Refuse(400, "bad_request", "bad Content-Length"),
        _ => return Framing::Refuse(400, "bad_request", "more than one Content-Length header"),
    };
    if body_len > MAX_BODY {
        return Framing::Refuse(413, "too_large", "request body too large");
    }
    let expects_continue = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("expect") && v.eq_ignore_ascii_case("100-continue"));
    Framing::Head(Head {
        method: parsed.method.unwrap_or("").to_owned(),
        target: parsed.path.unwrap_or("").to_owned(),
        http11: parsed.version == Some(1),
        headers,
        head_len,
        body_len,
        expects_continue,
    })
}

/// Whether a worker can take the connection now: a complete request, one to refuse, or
/// one whose client waits for `100 Continue` before sending its body.
fn ready_for_worker(buf: &[u8]) -> bool {
    match frame(buf) {
        Framing::Incomplete => false,
        Framing::Refuse(..) => true,
        Framing::Head(h) => h.expects_continue || buf.len() >= h.head_len + h.body_len,
    }
}

/// A connection whose request is still arriving, read by the accept thread.
struct Arriving {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Accepted, or handed back after an answer (keep-alive).
    since: Instant,
    /// When its first byte came.
    first_byte: Option<Instant>,
    /// Handed back after an answer: it may idle up to [`KEEP_ALIVE_IDLE`] first.
    kept_alive: bool,
}

/// What reception did with a connection on one poll.
enum Poll {
    Waiting { progressed: bool },
    Ready,
    Gone,
}

impl Arriving {
    fn new(stream: TcpStream, buf: Vec<u8>, kept_alive: bool) -> Self {
        let now = Instant::now();
        Self {
            stream,
            first_byte: (!buf.is_empty()).then_some(now),
            buf,
            since: now,
            kept_alive,
        }
    }

    fn poll(&mut self) -> Poll {
        let mut progressed = false;
        let mut chunk = [0u8; 16 * 1024];
        // Bounded: one busy client must not keep the others from being read.
        for _ in 0..16 {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Poll::Gone,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    self.first_byte.get_or_insert_with(Instant::now);
                    progressed = true;
                    if n < chunk.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Poll::Gone,
            }
        }
        if !self.buf.is_empty() && ready_for_worker(&self.buf) {
            return Poll::Ready;
        }
        match self.first_byte {
            None => {
                let allowed = if self.kept_alive {
                    KEEP_ALIVE_IDLE
                } else {
                    HEADER_DEADLINE
                };
                if self.since.elapsed() > allowed {
                    // Nothing asked: close without a word.
                    return Poll::Gone;
                }
            }
            Some(first) => {
                let head_done = !matches!(frame(&self.buf), Framing::Incomplete);
                // A new connection's head is due from the connection; a kept-alive one's
                // from its first byte.
                let head_clock = if self.kept_alive { first } else { self.since };
                let late = if head_done {
                    first.elapsed() > REQUEST_TIMEOUT
                } else {
                    head_clock.elapsed() > HEADER_DEADLINE
                };
                if late {
                    let _ = self.stream.set_nonblocking(false);
                    let _ = self
                        .stream
                        .set_write_timeout(Some(Duration::from_millis(200)));
                    let _ = write_error(&mut self.stream, 408, "timeout", "request too slow");
                    return Poll::Gone;
                }
            }
        }
        Poll::Waiting { progressed }
    }
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
    // Kept-alive connections the workers hand back after an answer.
    let returned: Arc<Returned> = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for (i, state) in states.into_iter().enumerate() {
        let (q, flag, h, st, by, back) = (
            Arc::clone(&queue),
            Arc::clone(&shutdown),
            Arc::clone(&handler),
            Arc::clone(&stats),
            Arc::clone(&bypass),
            Arc::clone(&returned),
        );
        let spawned = thread::Builder::new()
            .name(format!("platform-sim-{i}"))
            .spawn(move || worker(state, &q, &flag, &*h, admission, &st, &*by, &back));
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
                    while let Some((stream, buf, _)) = q.pop(&flag) {
                        shed(stream, buf, admission.retry_after_secs, &st, &*by);
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

    let mut arriving: Vec<Arriving> = Vec::new();
    while !shutdown.load(Ordering::SeqCst) {
        let mut progressed = false;
        // New connections (a burst at a time).
        for _ in 0..64 {
            match listener.accept() {
                Ok((stream, _)) => {
                    progressed = true;
                    if arriving.len() >= MAX_ARRIVING || stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    arriving.push(Arriving::new(stream, Vec::new(), false));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // E.g. out of file descriptors under a load test: keep serving.
                    tracing::warn!(error = %e, "platform sim: accept failed");
                    thread::sleep(POLL);
                    break;
                }
            }
        }
        if let Ok(mut back) = returned.lock() {
            for (stream, buf) in back.drain(..) {
                if arriving.len() < MAX_ARRIVING && stream.set_nonblocking(true).is_ok() {
                    arriving.push(Arriving::new(stream, buf, true));
                    progressed = true;
                }
            }
        }
        // Requests arriving: a complete one goes to a worker (or, when too many wait, to
        // a shedding thread that answers 503 at once).
        let mut i = 0;
        while i < arriving.len() {
            match arriving[i].poll() {
                Poll::Waiting { progressed: p } => {
                    progressed |= p;
                    i += 1;
                }
                Poll::Gone => {
                    arriving.swap_remove(i);
                    progressed = true;
                }
                Poll::Ready => {
                    let a = arriving.swap_remove(i);
                    progressed = true;
                    if a.stream.set_nonblocking(false).is_err() {
                        continue;
                    }
                    let depth = queue.len();
                    if admission.max_queue > 0 && depth >= admission.max_queue {
                        // Full: past the shedders' own bound the connection is closed.
                        if shed_queue.len() < MAX_SHED_QUEUE {
                            shed_queue.push((a.stream, a.buf, Instant::now()));
                        }
                        continue;
                    }
                    stats
                        .peak_queue
                        .fetch_max(depth as u64 + 1, Ordering::Relaxed);
                    queue.push((a.stream, a.buf, Instant::now()));
                }
            }
        }
        if !progressed {
            thread::sleep(ACCEPT_POLL);
        }
    }
    // Close the port first so new connections are refused while workers finish.
    drop(listener);
    drop(arriving);
    join_all(workers, &queue);
    join_all(shedders, &shed_queue);
    if let Ok(mut back) = returned.lock() {
        back.clear();
    }
    Ok(())
}

/// Answers one connection `503 unavailable` with `Retry-After` (or lets `bypass` answer
/// it), after reading the rest of its request (closing a socket with unread bytes would
/// reset it, and the client would see a network error instead of the answer).
fn shed(
    mut stream: TcpStream,
    mut buf: Vec<u8>,
    retry_after_secs: u64,
    stats: &QueueStats,
    bypass: &Bypass,
) {
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
    let request = loop {
        match frame(&buf) {
            Framing::Head(h) if buf.len() >= h.head_len + h.body_len => {
                let body = buf[h.head_len..h.head_len + h.body_len].to_vec();
                break Request {
                    method: h.method,
                    target: h.target,
                    headers: h.headers,
                    body,
                };
            }
            Framing::Refuse(..) => {
                // Not a request to serve; a plain 503 still tells the client to back off.
                break Request {
                    method: String::new(),
                    target: String::new(),
                    headers: Vec::new(),
                    body: Vec::new(),
                };
            }
            Framing::Head(_) | Framing::Incomplete => {}
        }
        if started.elapsed() > SHED_READ_BUDGET {
            return;
        }
        match read_some(&mut stream, &mut buf) {
            ReadOutcome::Closed => return,
            ReadOutcome::Data | ReadOutcome::Idle => {}
        }
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

#[allow(clippy::too_many_arguments)]
fn worker<S>(
    mut state: S,
    queue: &Queue,
    shutdown: &AtomicBool,
    handler: &Handler<S>,
    admission: Admission,
    stats: &QueueStats,
    bypass: &Bypass,
    returned: &Returned,
) {
    while let Some((stream, buf, queued_at)) = queue.pop(shutdown) {
        if !admission.max_wait.is_zero() && queued_at.elapsed() > admission.max_wait {
            // Waited too long: its client may give up before an answer; turn it away
            // quickly rather than doing work whose answer would be lost.
            shed(stream, buf, admission.retry_after_secs, stats, bypass);
            continue;
        }
        let mut next = Some((stream, buf));
        while let Some((stream, buf)) = next.take() {
            let Some((mut stream, mut buf)) =
                serve_request(stream, buf, &mut state, shutdown, handler)
            else {
                break;
            };
            // A client making several calls in a row sends the next at once: serve it here
            // rather than through reception, unless others wait for a worker.
            if queue.len() == 0 && linger(&mut stream, &mut buf) {
                next = Some((stream, buf));
            } else if let Ok(mut back) = returned.lock() {
                back.push((stream, buf));
            }
        }
    }
}

/// How long a worker waits for the next request on a kept-alive connection before it
/// hands the connection back to reception.
const LINGER: Duration = Duration::from_millis(20);

/// Whether a complete next request arrives within [`LINGER`] (partial bytes stay in `buf`).
fn linger(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let until = Instant::now() + LINGER;
    if stream
        .set_read_timeout(Some(Duration::from_millis(5)))
        .is_err()
    {
        return false;
    }
    loop {
        if !buf.is_empty() && ready_for_worker(buf) {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        if let ReadOutcome::Closed = read_some(stream, buf) {
            return false;
        }
    }
}

/// The outcome of one read.
enum ReadOutcome {
    Data,
    Closed,
    Idle,
}

fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>) -> ReadOutcome {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk) {
        Ok(0) => ReadOutcome::Closed,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            ReadOutcome::Data
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ) =>
        {
            ReadOutcome::Idle
        }
        Err(_) => ReadOutcome::Closed,
    }
}

/// Serves the request at the start of `buf` (reception saw it complete, or to be refused,
/// or waiting for `100 Continue`). Returns the connection, with any pipelined bytes, when
/// it is to be kept alive: reception waits for its next request, not this worker.
fn serve_request<S>(
    mut stream: TcpStream,
    mut buf: Vec<u8>,
    state: &mut S,
    shutdown: &AtomicBool,
    handler: &Handler<S>,
) -> Option<(TcpStream, Vec<u8>)> {
    if stream.set_read_timeout(Some(POLL)).is_err()
        || stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .is_err()
    {
        return None;
    }
    let _ = stream.set_nodelay(true);
    let started = Instant::now();
    let head = match frame(&buf) {
        Framing::Head(h) => h,
        Framing::Refuse(status, code, message) => {
            let _ = write_error(&mut stream, status, code, message);
            return None;
        }
        Framing::Incomplete => {
            let _ = write_error(&mut stream, 400, "bad_request", "malformed HTTP request");
            return None;
        }
    };
    let (head_len, body_len) = (head.head_len, head.body_len);
    let connection = head.header("connection").map(str::to_ascii_lowercase);
    let mut keep_alive = match &connection {
        Some(c) if c.contains("close") => false,
        Some(c) if c.contains("keep-alive") => true,
        _ => head.http11,
    };

    // --- body (only a client waiting for 100 Continue gets here without it) ---
    if buf.len() < head_len + body_len {
        if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
            return None;
        }
        while buf.len() < head_len + body_len {
            if shutdown.load(Ordering::SeqCst) {
                return None;
            }
            match read_some(&mut stream, &mut buf) {
                ReadOutcome::Closed => return None,
                ReadOutcome::Data => {}
                ReadOutcome::Idle => {
                    if started.elapsed() > REQUEST_TIMEOUT {
                        let _ = write_error(&mut stream, 408, "timeout", "request too slow");
                        return None;
                    }
                }
            }
        }
    }
    let body = buf[head_len..head_len + body_len].to_vec();
    // Keep any pipelined bytes of the next request.
    buf.drain(..head_len + body_len);
    let request = Request {
        method: head.method,
        target: head.target,
        headers: head.headers,
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
        return None;
    }
    // A kept-alive connection waits in reception, not on a worker, so it may stay open
    // even when others queue.
    if shutdown.load(Ordering::SeqCst) {
        keep_alive = false;
    }
    let head_only = request.method == "HEAD";
    if write_response(&mut stream, &response, keep_alive, head_only).is_err() || !keep_alive {
        return None;
    }
    Some((stream, buf))
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
