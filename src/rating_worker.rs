//! The rating worker: each rating the shell hands over (`app::RatingPort`) becomes an
//! outbox row of kind `rating` in its own transaction, then the sync worker is woken. Like
//! every transaction it survives an outage and a restart and is sent once (the row's
//! idempotency key, and the rating's own id, which the platform refuses to store twice).
//! The payload holds no personal data: the service, the case number, the level, reasons.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use kiosk_platform::api::rating::{RatingLevel, RatingReason, RatingTx, KIND_RATING};

use crate::app::{Level, Rated, RatingPort, Reason};
use crate::services::ServiceId;
use crate::store::{Store, StoreError};
use crate::sync::SyncKick;
use crate::worker::{Orders, Spawned, Worker};

/// What the thread needs.
pub struct RatingWorkerDeps {
    /// Database file (the worker opens its own connection).
    pub db_path: PathBuf,
    /// Wakes the sync worker after a write.
    pub kick: SyncKick,
}

/// Opens the worker's store connection and starts it.
pub fn spawn(deps: RatingWorkerDeps) -> anyhow::Result<Spawned<Rated<ServiceId>>> {
    let store = Store::open(&deps.db_path)?;
    Ok(Worker::spawn(
        "rating",
        (store, deps.kick),
        |(store, kick), rated: Rated<ServiceId>| match record(store, &rated, Utc::now()) {
            Ok(_) => kick.kick(),
            // Nothing personal to lose, and the citizen has gone: logged for staff.
            Err(e) => tracing::error!(error = %e, service = ?rated.service, "rating not stored"),
        },
    )?)
}

impl RatingPort<ServiceId> for Orders<Rated<ServiceId>> {
    fn rate(&self, rated: Rated<ServiceId>) {
        self.send(rated);
    }
}

/// The service's name in a rating (the platform counts by it).
pub fn service_name(id: ServiceId) -> &'static str {
    match id {
        ServiceId::QueueTicket => "queue_ticket",
        ServiceId::CaseProgress => "case_progress",
        ServiceId::IdCopy => "id_copy",
        ServiceId::Appointment => "appointment",
        ServiceId::Certificate => "certificate",
        ServiceId::PersonalDocuments => "personal_documents",
        ServiceId::MedicalInsurance => "medical_insurance",
        ServiceId::TrafficFine => "traffic_fine",
        ServiceId::SampleForms => "sample_forms",
        ServiceId::Apply => "apply",
    }
}

/// The contract's payload for `rated`.
pub fn payload(rated: &Rated<ServiceId>, now: DateTime<Utc>) -> RatingTx {
    RatingTx {
        rating_id: uuid::Uuid::new_v4().to_string(),
        service: service_name(rated.service).to_owned(),
        case_number: rated.case_number.clone(),
        level: match rated.level {
            Level::VerySatisfied => RatingLevel::VerySatisfied,
            Level::Satisfied => RatingLevel::Satisfied,
            Level::Basic => RatingLevel::Basic,
            Level::Unsatisfied => RatingLevel::Unsatisfied,
            Level::VeryUnsatisfied => RatingLevel::VeryUnsatisfied,
        },
        reasons: rated
            .reasons
            .iter()
            .map(|r| match r {
                Reason::LongWait => RatingReason::LongWait,
                Reason::HardToUse => RatingReason::HardToUse,
                Reason::UnclearGuidance => RatingReason::UnclearGuidance,
                Reason::DeviceFault => RatingReason::DeviceFault,
                Reason::WrongInformation => RatingReason::WrongInformation,
                Reason::NotDone => RatingReason::NotDone,
            })
            .collect(),
        rated_at: now,
    }
}

/// Writes the outbox row; returns its id.
pub fn record(
    store: &mut Store,
    rated: &Rated<ServiceId>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let body = serde_json::to_string(&payload(rated, now))?;
    store.enqueue(KIND_RATING, &body, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rating_is_one_outbox_row_the_platform_accepts_and_names_no_one() {
        let mut store = Store::open_in_memory().unwrap();
        let rated = Rated {
            service: ServiceId::Certificate,
            case_number: Some("ZM-20261201-0001".into()),
            level: Level::Unsatisfied,
            reasons: vec![Reason::LongWait, Reason::NotDone],
        };
        let id = record(&mut store, &rated, Utc::now()).unwrap();
        let row = store.outbox_row(id).unwrap().unwrap();
        assert_eq!(row.kind, "rating");
        let tx: RatingTx = serde_json::from_str(&row.payload).unwrap();
        assert_eq!(
            tx.problem(),
            None,
            "what the kiosk sends, the contract takes"
        );
        assert_eq!(tx.service, "certificate");
        assert_eq!(tx.reasons, [RatingReason::LongWait, RatingReason::NotDone]);
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.payload)
                .unwrap()
                .keys()
                .cloned()
                .collect();
        assert_eq!(
            keys,
            [
                "case_number",
                "level",
                "rated_at",
                "rating_id",
                "reasons",
                "service"
            ],
            "nothing about the citizen"
        );
    }

    #[test]
    fn every_service_has_a_name_the_platform_accepts() {
        for id in ServiceId::ALL {
            let rated = Rated {
                service: id,
                case_number: None,
                level: Level::VerySatisfied,
                reasons: vec![],
            };
            assert_eq!(payload(&rated, Utc::now()).problem(), None, "{id:?}");
        }
    }
}
