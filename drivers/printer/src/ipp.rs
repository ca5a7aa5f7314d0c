//! A4 printing over IPP/1.1 (RFC 8010/8011): `Print-Job`, then `Get-Job-Attributes` until the
//! job is completed, canceled or aborted. Works with a network printer (`ipp://printer/ipp/print`)
//! and with a CUPS queue (`ipp://localhost:631/printers/A4`).
//!
//! Hand-written because the IPP crates on crates.io are either unmaintained or pull an async
//! runtime (the `ipp` crate needs tokio/reqwest for its blocking client too); the kiosk needs
//! two operations, a few attributes and ureq, which is already in the tree.

use std::io::Read;
use std::time::{Duration, Instant};

/// `Print-Job`.
pub const OP_PRINT_JOB: u16 = 0x0002;
/// `Get-Job-Attributes`.
pub const OP_GET_JOB_ATTRIBUTES: u16 = 0x0009;

/// Delimiter tags.
const TAG_OPERATION: u8 = 0x01;
const TAG_JOB: u8 = 0x02;
const TAG_END: u8 = 0x03;
/// Value tags used here.
const VT_INTEGER: u8 = 0x21;
const VT_ENUM: u8 = 0x23;
const VT_NAME: u8 = 0x42;
const VT_KEYWORD: u8 = 0x44;
const VT_URI: u8 = 0x45;
const VT_CHARSET: u8 = 0x47;
const VT_LANGUAGE: u8 = 0x48;
const VT_MIME: u8 = 0x49;

/// Why an A4 job failed. Messages never include the document.
#[derive(Debug, thiserror::Error)]
pub enum IppError {
    /// The printer URI is not `ipp://`, `ipps://`, `http://` or `https://`.
    #[error("not an IPP printer URI")]
    BadUri,
    /// The HTTP exchange failed: printer unreachable, connection reset, timeout.
    #[error("IPP transport: {0}")]
    Http(#[from] ureq::Error),
    /// The HTTP layer answered, but not with 200.
    #[error("IPP printer answered HTTP {0}")]
    HttpStatus(u16),
    /// The reply is not a well-formed IPP message.
    #[error("malformed IPP reply")]
    Malformed,
    /// The printer refused the operation with this IPP status code (e.g. 0x040A
    /// document-format-not-supported, 0x0507 not-accepting-jobs).
    #[error("IPP printer refused the request: status {0:#06x}")]
    Status(u16),
    /// The job ended without completing.
    #[error("A4 job {job_id} ended {state:?} ({reasons})")]
    JobFailed {
        /// The printer's job id.
        job_id: i32,
        /// Final state.
        state: JobState,
        /// `job-state-reasons`, comma-separated.
        reasons: String,
    },
    /// The job was still not finished after the caller's deadline (printer stopped, out of
    /// paper and nobody came). The job stays on the printer.
    #[error("A4 job {0} did not finish in time")]
    Timeout(i32),
}

/// `job-state` (RFC 8011 5.3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// 3.
    Pending,
    /// 4.
    PendingHeld,
    /// 5.
    Processing,
    /// 6: e.g. out of paper; it continues once fixed.
    ProcessingStopped,
    /// 7.
    Canceled,
    /// 8.
    Aborted,
    /// 9.
    Completed,
    /// Any other value.
    Unknown(i32),
}

impl JobState {
    /// From the enum value.
    pub fn from_code(v: i32) -> Self {
        match v {
            3 => JobState::Pending,
            4 => JobState::PendingHeld,
            5 => JobState::Processing,
            6 => JobState::ProcessingStopped,
            7 => JobState::Canceled,
            8 => JobState::Aborted,
            9 => JobState::Completed,
            other => JobState::Unknown(other),
        }
    }

    /// Completed, canceled or aborted: nothing more will happen to the job.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Canceled | JobState::Aborted
        )
    }
}

/// One attribute of a reply: group tag, name, value tag, raw value. Additional values of a
/// multi-valued attribute carry the name of the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Delimiter tag of the group (1 operation, 2 job, 4 printer, ...).
    pub group: u8,
    /// Attribute name.
    pub name: String,
    /// Value tag.
    pub value_tag: u8,
    /// Value bytes.
    pub value: Vec<u8>,
}

impl Attribute {
    /// The value as a big-endian integer/enum, when it is 4 bytes.
    pub fn as_i32(&self) -> Option<i32> {
        Some(i32::from_be_bytes(self.value.as_slice().try_into().ok()?))
    }

    /// The value as text.
    pub fn as_str(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }
}

/// A decoded IPP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IppResponse {
    /// Status code (0x0000..=0x00FF: success).
    pub status: u16,
    /// Request id echoed back.
    pub request_id: u32,
    /// Every attribute, in order.
    pub attributes: Vec<Attribute>,
}

impl IppResponse {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Every value of `name`, as text.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.attributes
            .iter()
            .filter(|a| a.name == name)
            .map(Attribute::as_str)
            .collect()
    }
}

/// Builds an IPP request: header, operation attributes (charset and language first, as the
/// RFC requires), an optional job group, end tag, then the document.
#[derive(Debug, Clone)]
pub struct IppRequest {
    buf: Vec<u8>,
}

impl IppRequest {
    /// IPP/1.1 request header and the operation group with `attributes-charset` utf-8 and
    /// `attributes-natural-language` zh-cn.
    pub fn new(operation: u16, request_id: u32) -> Self {
        let mut buf = vec![1, 1];
        buf.extend_from_slice(&operation.to_be_bytes());
        buf.extend_from_slice(&request_id.to_be_bytes());
        buf.push(TAG_OPERATION);
        let mut r = IppRequest { buf };
        r.attr(VT_CHARSET, "attributes-charset", b"utf-8");
        r.attr(VT_LANGUAGE, "attributes-natural-language", b"zh-cn");
        r
    }

    /// Appends one attribute (an empty `name` adds a value to the previous attribute).
    pub fn attr(&mut self, value_tag: u8, name: &str, value: &[u8]) -> &mut Self {
        self.buf.push(value_tag);
        self.buf
            .extend_from_slice(&(name.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf
            .extend_from_slice(&(value.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(value);
        self
    }

    /// Starts a new attribute group (tag 2 for the job template attributes).
    pub fn group(&mut self, tag: u8) -> &mut Self {
        self.buf.push(tag);
        self
    }

    /// The end tag and the document.
    pub fn finish(mut self, document: &[u8]) -> Vec<u8> {
        self.buf.push(TAG_END);
        self.buf.extend_from_slice(document);
        self.buf
    }
}

/// Parses an IPP reply (header and attributes; anything after the end tag is ignored).
pub fn parse_response(b: &[u8]) -> Result<IppResponse, IppError> {
    let take = |i: usize, n: usize| b.get(i..i + n).ok_or(IppError::Malformed);
    let status = u16::from_be_bytes(take(2, 2)?.try_into().map_err(|_| IppError::Malformed)?);
    let request_id = u32::from_be_bytes(take(4, 4)?.try_into().map_err(|_| IppError::Malformed)?);
    let mut i = 8;
    let mut group = 0u8;
    let mut attributes: Vec<Attribute> = Vec::new();
    loop {
        let tag = *b.get(i).ok_or(IppError::Malformed)?;
        i += 1;
        if tag == TAG_END {
            break;
        }
        if tag < 0x10 {
            group = tag;
            continue;
        }
        let name_len = usize::from(u16::from_be_bytes(
            take(i, 2)?.try_into().map_err(|_| IppError::Malformed)?,
        ));
        let name = String::from_utf8_lossy(take(i + 2, name_len)?).into_owned();
        i += 2 + name_len;
        let value_len = usize::from(u16::from_be_bytes(
            take(i, 2)?.try_into().map_err(|_| IppError::Malformed)?,
        ));
        let value = take(i + 2, value_len)?.to_vec();
        i += 2 + value_len;
        let name = if name.is_empty() {
            attributes
                .last()
                .map(|a| a.name.clone())
                .ok_or(IppError::Malformed)?
        } else {
            name
        };
        attributes.push(Attribute {
            group,
            name,
            value_tag: tag,
            value,
        });
    }
    Ok(IppResponse {
        status,
        request_id,
        attributes,
    })
}

/// An IPP printer (or CUPS queue).
#[derive(Debug, Clone)]
pub struct IppPrinter {
    uri: String,
    http_url: String,
    agent: ureq::Agent,
    /// Pause between two `Get-Job-Attributes`.
    pub poll_interval: Duration,
}

/// What [`IppPrinter::print_pdf`] reports once the job is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    /// The printer's job id.
    pub job_id: i32,
    /// Final state (always [`JobState::Completed`] on `Ok`).
    pub state: JobState,
}

impl IppPrinter {
    /// `uri` is `ipp://host[:port]/path` (port 631 by default), `ipps://…`, or the `http(s)`
    /// URL of the same endpoint. Each HTTP exchange times out after `timeout`.
    pub fn new(uri: &str, timeout: Duration) -> Result<Self, IppError> {
        let http_url = http_url(uri).ok_or(IppError::BadUri)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(IppPrinter {
            uri: uri.to_owned(),
            http_url,
            agent,
            poll_interval: Duration::from_millis(500),
        })
    }

    fn send(&self, body: Vec<u8>) -> Result<IppResponse, IppError> {
        let mut resp = self
            .agent
            .post(&self.http_url)
            .header("Content-Type", "application/ipp")
            .send(&body[..])?;
        if resp.status() != 200 {
            return Err(IppError::HttpStatus(resp.status().as_u16()));
        }
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(1 << 20)
            .read_to_end(&mut bytes)
            .map_err(|e| IppError::Http(ureq::Error::Io(e)))?;
        let r = parse_response(&bytes)?;
        if r.status > 0x00FF {
            return Err(IppError::Status(r.status));
        }
        Ok(r)
    }

    /// `Print-Job` of a PDF; returns the job id. `job_name` is shown in the printer's queue:
    /// pass a document kind and case number, never a citizen's name.
    pub fn submit_pdf(&self, pdf: &[u8], job_name: &str) -> Result<i32, IppError> {
        let mut req = IppRequest::new(OP_PRINT_JOB, 1);
        req.attr(VT_URI, "printer-uri", self.uri.as_bytes())
            .attr(VT_NAME, "requesting-user-name", b"citizen-window")
            .attr(VT_NAME, "job-name", job_name.as_bytes())
            .attr(VT_MIME, "document-format", b"application/pdf")
            .group(TAG_JOB)
            .attr(VT_KEYWORD, "media", b"iso_a4_210x297mm")
            .attr(VT_KEYWORD, "sides", b"one-sided");
        let r = self.send(req.finish(pdf))?;
        r.get("job-id")
            .and_then(Attribute::as_i32)
            .ok_or(IppError::Malformed)
    }

    /// `Get-Job-Attributes`: the job's state and `job-state-reasons`.
    pub fn job_state(&self, job_id: i32) -> Result<(JobState, Vec<String>), IppError> {
        let mut req = IppRequest::new(OP_GET_JOB_ATTRIBUTES, 2);
        req.attr(VT_URI, "printer-uri", self.uri.as_bytes())
            .attr(VT_INTEGER, "job-id", &job_id.to_be_bytes())
            .attr(VT_NAME, "requesting-user-name", b"citizen-window")
            .attr(VT_KEYWORD, "requested-attributes", b"job-state")
            .attr(VT_KEYWORD, "", b"job-state-reasons");
        let r = self.send(req.finish(&[]))?;
        let state = r
            .get("job-state")
            .filter(|a| a.value_tag == VT_ENUM)
            .and_then(Attribute::as_i32)
            .map(JobState::from_code)
            .ok_or(IppError::Malformed)?;
        Ok((state, r.strings("job-state-reasons")))
    }

    /// Prints a PDF and follows the job until it completes (`Ok`), ends otherwise
    /// ([`IppError::JobFailed`]) or `deadline` passes ([`IppError::Timeout`]).
    pub fn print_pdf(
        &self,
        pdf: &[u8],
        job_name: &str,
        deadline: Duration,
    ) -> Result<JobOutcome, IppError> {
        let start = Instant::now();
        let job_id = self.submit_pdf(pdf, job_name)?;
        loop {
            let (state, reasons) = self.job_state(job_id)?;
            if state == JobState::Completed {
                return Ok(JobOutcome { job_id, state });
            }
            if state.is_final() {
                return Err(IppError::JobFailed {
                    job_id,
                    state,
                    reasons: reasons.join(","),
                });
            }
            if start.elapsed() >= deadline {
                return Err(IppError::Timeout(job_id));
            }
            std::thread::sleep(self.poll_interval);
        }
    }
}

/// `ipp://h/p` → `http://h:631/p`, `ipps://` → `https://` (443 stays HTTPS' default).
fn http_url(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return None;
    }
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !host.ends_with(']');
    match scheme {
        "ipp" if has_port => Some(format!("http://{host}{path}")),
        "ipp" => Some(format!("http://{host}:631{path}")),
        "ipps" => Some(format!("https://{host}{path}")),
        "http" | "https" => Some(uri.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_mapping() {
        assert_eq!(
            http_url("ipp://printer.local/ipp/print").as_deref(),
            Some("http://printer.local:631/ipp/print")
        );
        assert_eq!(
            http_url("ipp://127.0.0.1:8631/ipp/print").as_deref(),
            Some("http://127.0.0.1:8631/ipp/print")
        );
        assert_eq!(
            http_url("ipps://p.example/printers/A4").as_deref(),
            Some("https://p.example/printers/A4")
        );
        assert_eq!(http_url("lpd://x/q"), None);
        assert_eq!(http_url("ipp:///x"), None);
    }

    #[test]
    fn request_bytes() {
        let mut r = IppRequest::new(OP_GET_JOB_ATTRIBUTES, 7);
        r.attr(VT_INTEGER, "job-id", &5i32.to_be_bytes());
        let b = r.finish(b"");
        let mut want = vec![1, 1, 0x00, 0x09, 0, 0, 0, 7, 0x01];
        want.extend_from_slice(&[0x47, 0, 18]);
        want.extend_from_slice(b"attributes-charset");
        want.extend_from_slice(&[0, 5]);
        want.extend_from_slice(b"utf-8");
        want.extend_from_slice(&[0x48, 0, 27]);
        want.extend_from_slice(b"attributes-natural-language");
        want.extend_from_slice(&[0, 5]);
        want.extend_from_slice(b"zh-cn");
        want.extend_from_slice(&[0x21, 0, 6]);
        want.extend_from_slice(b"job-id");
        want.extend_from_slice(&[0, 4, 0, 0, 0, 5, 0x03]);
        assert_eq!(b, want);
    }

    #[test]
    fn response_parsing_with_additional_values() {
        let mut r = vec![1, 1, 0, 0, 0, 0, 0, 2, TAG_JOB];
        r.extend_from_slice(&[VT_ENUM, 0, 9]);
        r.extend_from_slice(b"job-state");
        r.extend_from_slice(&[0, 4, 0, 0, 0, 9]);
        r.extend_from_slice(&[VT_KEYWORD, 0, 17]);
        r.extend_from_slice(b"job-state-reasons");
        r.extend_from_slice(&[0, 4]);
        r.extend_from_slice(b"none");
        r.extend_from_slice(&[VT_KEYWORD, 0, 0, 0, 3]);
        r.extend_from_slice(b"abc");
        r.push(TAG_END);
        let p = parse_response(&r).unwrap();
        assert_eq!(p.status, 0);
        assert_eq!(p.request_id, 2);
        assert_eq!(p.get("job-state").unwrap().as_i32(), Some(9));
        assert_eq!(p.get("job-state").unwrap().group, TAG_JOB);
        assert_eq!(p.strings("job-state-reasons"), vec!["none", "abc"]);
    }

    #[test]
    fn truncated_responses_are_malformed_not_panics() {
        let mut r = vec![1, 1, 0, 0, 0, 0, 0, 2, TAG_JOB, VT_ENUM, 0, 9];
        r.extend_from_slice(b"job-state");
        r.extend_from_slice(&[0, 4, 0, 0]);
        for n in 0..r.len() {
            assert!(matches!(parse_response(&r[..n]), Err(IppError::Malformed)));
        }
        // An additional value with nothing before it.
        let bad = [1, 1, 0, 0, 0, 0, 0, 1, 1, VT_KEYWORD, 0, 0, 0, 0, 3];
        assert!(matches!(parse_response(&bad), Err(IppError::Malformed)));
    }

    #[test]
    fn job_states() {
        assert!(JobState::from_code(9).is_final());
        assert!(!JobState::from_code(6).is_final());
        assert_eq!(JobState::from_code(42), JobState::Unknown(42));
    }
}
