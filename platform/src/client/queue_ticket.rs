//! Queue-ticket service: number leases, queue status and (operator/test) calling the
//! next ticket. The tickets themselves travel as transactions ([`PlatformClient::upload`]).

use chrono::NaiveDate;

use super::{decode, ClientError, PlatformClient};
use crate::api::{CallRequest, CallResult, Lease, LeaseRequest, QueueStatus};

impl PlatformClient {
    /// `POST /v1/queue/leases`: reserve a block of ticket numbers.
    pub fn lease(&self, request: &LeaseRequest) -> Result<Lease, ClientError> {
        self.post_json("/v1/queue/leases", request)
    }

    /// `GET /v1/queue/status` for the platform's current service day.
    pub fn queue_status(&self) -> Result<QueueStatus, ClientError> {
        decode(self.send("GET", "/v1/queue/status", None, None, true)?)
    }

    /// `GET /v1/queue/status?day=YYYY-MM-DD` for a given service day.
    pub fn queue_status_for(&self, day: NaiveDate) -> Result<QueueStatus, ClientError> {
        let path = format!("/v1/queue/status?day={day}");
        decode(self.send("GET", &path, None, None, true)?)
    }

    /// `POST /v1/queue/call` (operator/test): call the next waiting ticket of an area
    /// today. An empty queue is `Http { status: 404, code: Some("queue_empty") }`.
    pub fn call_next(&self, area_code: &str) -> Result<CallResult, ClientError> {
        self.post_json(
            "/v1/queue/call",
            &CallRequest {
                area_code: area_code.to_owned(),
            },
        )
    }
}
