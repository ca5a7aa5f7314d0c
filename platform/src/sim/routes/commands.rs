//! Remote management in the simulator: `POST /control/commands` queues a command for a
//! kiosk (what a platform operator would do), `GET /control/commands/all` lists them with the
//! kiosks' acknowledgements, `GET /control/audit?kiosk=…` lists a kiosk's uploaded audit
//! rows. The heartbeat ([`super::heartbeat`]) hands the open commands out.
//!
//! A kiosk answers `upload_bundle` with `PUT /v1/diagnostic-bundles/{command_id}?sha256=…`
//! (signed, the zip as the body); `GET /control/bundles` lists what came and
//! `GET /control/bundles/{command_id}` gives one back.

use chrono::Utc;

use super::{json, parse_body, Access, At, Call, Route};
use crate::api::audit::AuditList;
use crate::api::commands::{QueueCommand, MAX_BUNDLE_BYTES};
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
    Route::new(
        Access::Signed,
        "PUT",
        At::Under("/v1/diagnostic-bundles/"),
        put_bundle,
    ),
    Route::new(
        Access::Control,
        "GET",
        At::Path("/control/bundles"),
        bundles,
    ),
    Route::new(
        Access::Control,
        "GET",
        At::Under("/control/bundles/"),
        bundle,
    ),
];

/// The first bytes of a zip file (a local file header), which a bundle is.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

fn put_bundle(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let command_id = c.rest.to_owned();
    if command_id.is_empty() || command_id.contains('/') || command_id.len() > 80 {
        return Err(ApiError::new(
            400,
            "bad_request",
            "the path is /v1/diagnostic-bundles/{command_id}",
        ));
    }
    let body = &c.req.body;
    if body.len() > MAX_BUNDLE_BYTES || !body.starts_with(ZIP_MAGIC) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "a bundle is a zip file of at most 8 MiB",
        ));
    }
    let got = super::checked_digest(c.req)?;
    let kiosk = c.kiosk_id.to_owned();
    let body = body.clone();
    let receipt = commands::put_bundle(c.conn, &kiosk, &command_id, &body, &got, Utc::now())?;
    tracing::info!(kiosk = %kiosk, id = %command_id, bytes = receipt.bytes, "platform sim: diagnostic bundle received");
    json(200, &receipt)
}

fn bundles(c: &mut Call<'_>) -> Result<Response, ApiError> {
    json(200, &commands::bundles(c.conn)?)
}

fn bundle(c: &mut Call<'_>) -> Result<Response, ApiError> {
    match commands::bundle_bytes(c.conn, c.rest)? {
        Some(bytes) => Ok(Response::new(200, "application/zip", bytes)),
        None => Err(ApiError::new(
            404,
            "not_found",
            "no bundle for this command",
        )),
    }
}

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
