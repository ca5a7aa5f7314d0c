//! Remote management in the simulator: `POST /control/commands` queues a command for a
//! kiosk (what a platform operator would do), `GET /control/commands/all` lists them with the
//! kiosks' acknowledgements, `GET /control/audit?kiosk=…` lists a kiosk's uploaded audit
//! rows. The heartbeat ([`super::heartbeat`]) hands the open commands out.

use chrono::Utc;

use super::{json, parse_body, Access, At, Call, Route};
use crate::api::audit::AuditList;
use crate::api::commands::QueueCommand;
use crate::sim::http::Response;
use crate::sim::store::{audit, commands, ApiError};

/// These endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(
        Access::Control,
        "POST",
        At::Path("/control/commands"),
        queue,
    ),
    Route::new(
        Access::Control,
        "GET",
        At::Path("/control/commands/all"),
        list,
    ),
    Route::new(
        Access::Control,
        "GET",
        At::Path("/control/audit"),
        audit_log,
    ),
];

fn queue(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let req: QueueCommand = parse_body(c.req)?;
    let command = commands::queue(c.conn, &req, Utc::now())?;
    tracing::info!(kiosk = %req.kiosk_id, id = %command.id, "platform sim: command queued");
    json(200, &command)
}

fn list(c: &mut Call<'_>) -> Result<Response, ApiError> {
    json(200, &commands::list(c.conn)?)
}

fn audit_log(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let kiosk = c.req.query_param("kiosk").unwrap_or("");
    json(
        200,
        &AuditList {
            rows: audit::audit_of(c.conn, kiosk)?,
        },
    )
}
