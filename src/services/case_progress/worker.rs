//! Progress queries: asks the platform for a case (or a card holder's cases) on a thread of
//! its own, so the UI never waits on the network, and maps the contract's answer to what the
//! screen shows.

use std::sync::Arc;

use kiosk_platform::api::{CaseProgress, CaseStatus};
use kiosk_platform::client::{ClientError, PlatformClient};

use super::{CaseOutcome, CaseProblem, CaseQuery, CaseState, CaseStepView, CaseView, Event};
use crate::app::{EventSink, KioskEvent, Reply};
use crate::services::ServiceEvent;
use crate::worker::{Spawned, Worker};

/// Starts the case worker.
pub fn spawn(
    client: PlatformClient,
    sink: Arc<dyn EventSink>,
) -> std::io::Result<Spawned<Reply<CaseQuery>>> {
    Worker::spawn(
        "case-progress",
        client,
        move |client, query: Reply<CaseQuery>| {
            let outcome = answer(client, &query.event);
            sink.send(KioskEvent::Service(Reply {
                token: query.token,
                event: ServiceEvent::CaseProgress(Event::Answered(outcome)),
            }));
        },
    )
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
