//! A4 printing over IPP with the `ipp` crate's blocking client: `Print-Job`, then
//! `Get-Job-Attributes` until the job is completed, canceled or aborted. Works with a network
//! printer (`ipp://printer/ipp/print`) and a CUPS queue (`ipp://localhost:631/printers/A4`).

use std::io::Cursor;
use std::time::{Duration, Instant};

use ipp::prelude::*;

/// Why an A4 job failed. Messages never include the document.
#[derive(Debug, thiserror::Error)]
pub enum IppError {
    /// The printer URI is not `ipp://`, `ipps://`, `http://` or `https://`.
    #[error("not an IPP printer URI")]
    BadUri,
    /// Transport or protocol failure: printer unreachable, connection reset, timeout, HTTP
    /// error, malformed reply.
    #[error("IPP exchange failed: {0}")]
    Exchange(#[from] ipp::error::IppError),
    /// The request could not be built (an attribute value the protocol cannot carry).
    #[error("IPP request: {0}")]
    Build(#[from] ipp::parser::IppParseError),
    /// The printer refused the operation (e.g. client-error-document-format-not-supported,
    /// server-error-not-accepting-jobs, client-error-not-found for an unknown job).
    #[error("IPP printer refused the request: {0:?}")]
    Status(StatusCode),
    /// The reply lacks an attribute the operation must return (`job-id`, `job-state`).
    #[error("IPP reply without {0}")]
    Missing(&'static str),
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

/// What [`IppPrinter::print_pdf`] reports once the job is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    /// The printer's job id.
    pub job_id: i32,
    /// Final state (always [`JobState::Completed`] on `Ok`).
    pub state: JobState,
}

/// An IPP printer (or CUPS queue).
#[derive(Debug, Clone)]
pub struct IppPrinter {
    uri: Uri,
    timeout: Duration,
    /// Pause between two `Get-Job-Attributes`.
    pub poll_interval: Duration,
}

/// The attributes named `name` in the reply's `group` (job or printer attributes).
fn attrs<'a>(
    resp: &'a IppRequestResponse,
    group: DelimiterTag,
    name: &'a str,
) -> impl Iterator<Item = &'a IppAttribute> + 'a {
    resp.attributes()
        .groups_of(group)
        .flat_map(|g| g.attributes().iter())
        .filter(move |a| a.name().to_string() == name)
}

/// Integer or enum value of the first attribute `name` in the reply's `group`.
fn attr_int(resp: &IppRequestResponse, group: DelimiterTag, name: &str) -> Option<i32> {
    attrs(resp, group, name)
        .next()
        .and_then(|a| match a.value() {
            IppValue::Integer(i) | IppValue::Enum(i) => Some(*i),
            _ => None,
        })
}

/// Every value of the attribute `name` in the reply's `group`, as text.
fn attr_strings(resp: &IppRequestResponse, group: DelimiterTag, name: &str) -> Vec<String> {
    attrs(resp, group, name)
        .flat_map(|a| match a.value() {
            IppValue::Array(vs) => vs.iter().map(ToString::to_string).collect(),
            v => vec![v.to_string()],
        })
        .collect()
}

/// `printer-state` (RFC 8011 5.4.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterState {
    /// 3: ready, nothing printing.
    Idle,
    /// 4: printing.
    Processing,
    /// 5: stopped (paused, out of paper, an error).
    Stopped,
    /// Any other value.
    Unknown(i32),
}

/// Why the printer cannot print a job right now, read from `printer-state-reasons`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    /// `media-empty`, `media-needed`: out of paper.
    PaperOut,
    /// `toner-empty`, `marker-supply-empty`: out of toner or ink.
    TonerOut,
    /// `media-jam`.
    Jam,
    /// `cover-open`, `door-open`, `interlock-open`, `input-tray-missing`.
    CoverOpen,
    /// Stopped or paused for another reason, `shutdown`, or not accepting jobs.
    Stopped,
}

/// The printer's state as `Get-Printer-Attributes` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterStatus {
    /// `printer-state`.
    pub state: PrinterState,
    /// `printer-state-reasons` as sent (`none` dropped), e.g. `media-empty-error`.
    pub reasons: Vec<String>,
    /// `printer-is-accepting-jobs` (true when the printer does not say).
    pub accepting: bool,
}

impl PrinterStatus {
    /// Why a job sent now would not print, if anything stops it. An empty supply (paper,
    /// toner, ink) stops it whatever its suffix: a printer may call `toner-empty` a mere
    /// `-report` and go on printing blank pages, which no citizen should be handed. Any other
    /// reason stops it without a suffix or with `-error`, not with `-warning` or `-report`
    /// (RFC 8011 5.4.12: `toner-low-warning`, `media-low-report`).
    pub fn blocker(&self) -> Option<Blocker> {
        let mut stopped = self.state == PrinterState::Stopped || !self.accepting;
        for r in &self.reasons {
            let (bare, severe) = match r.rsplit_once('-') {
                Some((bare, "error")) => (bare, true),
                Some((bare, "warning" | "report")) => (bare, false),
                _ => (r.as_str(), true),
            };
            let found = match bare {
                "media-empty" | "media-needed" => Some(Blocker::PaperOut),
                "toner-empty" | "marker-supply-empty" => Some(Blocker::TonerOut),
                "media-jam" if severe => Some(Blocker::Jam),
                "cover-open" | "door-open" | "interlock-open" | "input-tray-missing" if severe => {
                    Some(Blocker::CoverOpen)
                }
                "paused" | "shutdown" | "stopped" if severe => {
                    stopped = true;
                    None
                }
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        stopped.then_some(Blocker::Stopped)
    }
}

impl IppPrinter {
    /// `uri` is `ipp://host[:port]/path` (port 631 by default), `ipps://…`, or the `http(s)`
    /// URL of the same endpoint. Each exchange times out after `timeout`.
    pub fn new(uri: &str, timeout: Duration) -> Result<Self, IppError> {
        let uri: Uri = uri.parse().map_err(|_| IppError::BadUri)?;
        match uri.scheme_str() {
            Some("ipp" | "ipps" | "http" | "https") if uri.host().is_some() => {}
            _ => return Err(IppError::BadUri),
        }
        Ok(IppPrinter {
            uri,
            timeout,
            poll_interval: Duration::from_millis(500),
        })
    }

    fn send(&self, op: impl Into<IppRequestResponse>) -> Result<IppRequestResponse, IppError> {
        let client = IppClient::builder(self.uri.clone())
            .request_timeout(self.timeout)
            .build();
        let resp = client.send(op).map_err(|e| match e {
            ipp::error::IppError::StatusError(s) => IppError::Status(s),
            other => IppError::Exchange(other),
        })?;
        let status = resp.header().status_code();
        if !status.is_success() {
            return Err(IppError::Status(status));
        }
        Ok(resp)
    }

    /// `Print-Job` of a PDF; returns the job id. `job_name` is shown in the printer's queue:
    /// pass a document kind and case number, never a citizen's name.
    pub fn submit_pdf(&self, pdf: &[u8], job_name: &str) -> Result<i32, IppError> {
        let payload = IppPayload::new(Cursor::new(pdf.to_vec()));
        let op = IppOperationBuilder::print_job(self.uri.clone(), payload)
            .user_name("citizen-window")
            .job_title(job_name)
            .document_format("application/pdf")
            .attribute(IppAttribute::with_name(
                "media",
                IppValue::Keyword("iso_a4_210x297mm".try_into()?),
            )?)
            .attribute(IppAttribute::with_name(
                "sides",
                IppValue::Keyword("one-sided".try_into()?),
            )?)
            .build()?;
        let resp = self.send(op)?;
        attr_int(&resp, DelimiterTag::JobAttributes, "job-id").ok_or(IppError::Missing("job-id"))
    }

    /// `Get-Job-Attributes`: the job's state and `job-state-reasons`.
    pub fn job_state(&self, job_id: i32) -> Result<(JobState, Vec<String>), IppError> {
        let op = IppOperationBuilder::get_job_attributes(self.uri.clone(), job_id)
            .user_name("citizen-window")
            .build()?;
        let resp = self.send(op)?;
        let state = attr_int(&resp, DelimiterTag::JobAttributes, "job-state")
            .map(JobState::from_code)
            .ok_or(IppError::Missing("job-state"))?;
        Ok((
            state,
            attr_strings(&resp, DelimiterTag::JobAttributes, "job-state-reasons"),
        ))
    }

    /// `Get-Printer-Attributes`: whether the printer can take a job now (read it before a job,
    /// so the citizen is told before anything is prepared, and staff see why).
    pub fn status(&self) -> Result<PrinterStatus, IppError> {
        let op = IppOperationBuilder::get_printer_attributes(self.uri.clone())
            .attributes([
                "printer-state",
                "printer-state-reasons",
                "printer-is-accepting-jobs",
            ])
            .build()?;
        let resp = self.send(op)?;
        let state = attr_int(&resp, DelimiterTag::PrinterAttributes, "printer-state")
            .map(|v| match v {
                3 => PrinterState::Idle,
                4 => PrinterState::Processing,
                5 => PrinterState::Stopped,
                other => PrinterState::Unknown(other),
            })
            .ok_or(IppError::Missing("printer-state"))?;
        let reasons = attr_strings(
            &resp,
            DelimiterTag::PrinterAttributes,
            "printer-state-reasons",
        )
        .into_iter()
        .filter(|r| r != "none")
        .collect();
        let accepting = attrs(
            &resp,
            DelimiterTag::PrinterAttributes,
            "printer-is-accepting-jobs",
        )
        .next()
        .is_none_or(|a| !matches!(a.value(), IppValue::Boolean(false)));
        Ok(PrinterStatus {
            state,
            reasons,
            accepting,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        let t = Duration::from_secs(1);
        for ok in [
            "ipp://printer.local/ipp/print",
            "ipp://127.0.0.1:8631/ipp/print",
            "ipps://p.example/printers/A4",
            "http://localhost:631/printers/A4",
        ] {
            assert!(IppPrinter::new(ok, t).is_ok(), "{ok}");
        }
        for bad in ["lpd://x/q", "ipp:///x", "not a uri", "/printers/A4"] {
            assert!(
                matches!(IppPrinter::new(bad, t), Err(IppError::BadUri)),
                "{bad}"
            );
        }
    }

    fn status(state: PrinterState, reasons: &[&str], accepting: bool) -> PrinterStatus {
        PrinterStatus {
            state,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            accepting,
        }
    }

    #[test]
    fn blockers_from_state_reasons() {
        use PrinterState::*;
        assert_eq!(status(Idle, &[], true).blocker(), None);
        assert_eq!(status(Idle, &["toner-low-warning"], true).blocker(), None);
        assert_eq!(status(Idle, &["media-low-report"], true).blocker(), None);
        assert_eq!(status(Idle, &["media-jam-warning"], true).blocker(), None);
        // An empty supply stops the job even when the printer only "reports" it.
        assert_eq!(
            status(Idle, &["toner-empty-report"], true).blocker(),
            Some(Blocker::TonerOut)
        );
        assert_eq!(
            status(Stopped, &["media-empty-error"], true).blocker(),
            Some(Blocker::PaperOut)
        );
        assert_eq!(
            status(Idle, &["media-needed"], true).blocker(),
            Some(Blocker::PaperOut)
        );
        assert_eq!(
            status(Idle, &["toner-empty"], true).blocker(),
            Some(Blocker::TonerOut)
        );
        assert_eq!(
            status(Processing, &["marker-supply-empty-error"], true).blocker(),
            Some(Blocker::TonerOut)
        );
        assert_eq!(
            status(Stopped, &["media-jam"], true).blocker(),
            Some(Blocker::Jam)
        );
        assert_eq!(
            status(Idle, &["cover-open"], true).blocker(),
            Some(Blocker::CoverOpen)
        );
        assert_eq!(
            status(Stopped, &["paused"], true).blocker(),
            Some(Blocker::Stopped)
        );
        assert_eq!(status(Idle, &[], false).blocker(), Some(Blocker::Stopped));
        assert_eq!(status(Stopped, &[], true).blocker(), Some(Blocker::Stopped));
    }

    #[test]
    fn job_states() {
        assert!(JobState::from_code(9).is_final());
        assert!(JobState::from_code(7).is_final());
        assert!(!JobState::from_code(6).is_final());
        assert_eq!(JobState::from_code(42), JobState::Unknown(42));
    }
}
