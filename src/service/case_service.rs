//! Progress queries: asks the platform for a case (or a card holder's cases) on a thread of
//! its own, so the UI never waits on the network, and maps the contract's answer to what the
//! screen shows.

use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use kiosk_platform::api::{CaseProgress, CaseStatus};
use kiosk_platform::client::{ClientError, PlatformClient};

use crate::app::progress::{CaseState, CaseStepView};
use crate::app::{
    CaseOutcome, CaseProblem, CaseQuery, CaseService, CaseView, EventSink, KioskEvent,
};

/// [`CaseService`] for the controller: hands queries to the thread.
pub struct ChannelCaseService {
    queries: Sender<CaseQuery>,
}

impl CaseService for ChannelCaseService {
    fn query(&self, query: CaseQuery) {
        if self.queries.send(query).is_err() {
            tracing::error!("case service thread is gone");
        }
    }
}

/// The running thread; it ends when the [`ChannelCaseService`] is dropped.
pub struct CaseServiceThread {
    thread: Option<JoinHandle<()>>,
}

impl CaseServiceThread {
    /// Starts the thread.
    pub fn spawn(
        client: PlatformClient,
        sink: Arc<dyn EventSink>,
    ) -> (CaseServiceThread, ChannelCaseService) {
        let (tx, rx) = mpsc::channel::<CaseQuery>();
        let thread = std::thread::Builder::new()
            .name("case-service".into())
            .spawn(move || {
                for query in rx {
                    let outcome = answer(&client, &query);
                    sink.send(KioskEvent::CaseAnswer(outcome));
                }
            })
            .expect("spawn case service");
        (
            CaseServiceThread {
                thread: Some(thread),
            },
            ChannelCaseService { queries: tx },
        )
    }
}

impl Drop for CaseServiceThread {
    fn drop(&mut self) {
        // The sender went with the controller; the loop ends after the query in flight.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Asks the platform. Network trouble is "unreachable": progress is live data and is not
/// cached, so the citizen is told to try again rather than shown something stale.
pub fn answer(client: &PlatformClient, query: &CaseQuery) -> CaseOutcome {
    let result = match query {
        CaseQuery::Number(n) => client
            .case_progress(n)
            .map(|c| c.into_iter().collect::<Vec<_>>()),
        CaseQuery::Holder(h) => client.cases_of_holder(h),
    };
    match result {
        Ok(cases) if cases.is_empty() => Err(match query {
            CaseQuery::Number(_) => CaseProblem::NotFound,
            CaseQuery::Holder(_) => CaseProblem::NoneForHolder,
        }),
        Ok(cases) => Ok(cases.iter().map(view).collect()),
        Err(e) => {
            match &e {
                ClientError::Http { status, code, .. } => {
                    tracing::warn!(
                        status,
                        code = code.as_deref().unwrap_or(""),
                        "case query refused"
                    )
                }
                other => tracing::warn!(error = %other, "case query failed"),
            }
            Err(CaseProblem::Unreachable)
        }
    }
}

fn hall_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&crate::clock::hall_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The contract's case as the screen shows it; a refusal's reason goes with its status.
pub fn view(c: &CaseProgress) -> CaseView {
    let with_reason = |status: &str, reason: &Option<String>, sep: &str| match reason {
        Some(r) if !r.is_empty() => format!("{status}{sep}{r}"),
        _ => status.to_owned(),
    };
    CaseView {
        case_number: c.case_number.clone(),
        matter_zh: c.matter_zh.clone(),
        matter_en: c.matter_en.clone(),
        state: match c.status {
            CaseStatus::Received => CaseState::Received,
            CaseStatus::InReview => CaseState::InReview,
            CaseStatus::Approved => CaseState::Approved,
            CaseStatus::ReadyForPickup => CaseState::ReadyForPickup,
            CaseStatus::Rejected => CaseState::Rejected,
        },
        status_zh: with_reason(&c.status_zh, &c.reason_zh, "：原因："),
        status_en: with_reason(&c.status_en, &c.reason_en, ": "),
        updated_at: hall_time(c.updated_at),
        steps: c
            .steps
            .iter()
            .map(|s| CaseStepView {
                name_zh: s.name_zh.clone(),
                name_en: s.name_en.clone(),
                at: s.at.map(hall_time).unwrap_or_default(),
                done: s.done,
            })
            .collect(),
        pickup_zh: c.pickup_zh.clone().unwrap_or_default(),
        pickup_en: c.pickup_en.clone().unwrap_or_default(),
    }
}
