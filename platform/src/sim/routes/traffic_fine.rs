//! Traffic fines: the query, payment orders (create, read by id or by key, cancel) and the
//! simulator's stand-in for the citizen's payment app (`POST /control/payments`).

use chrono::Utc;

use super::{json, parse_body, Access, At, Call, Route};
use crate::api::traffic_fine::{
    parse_decision_number, parse_plate, CancelRequest, FineList, FineQuery, PaymentRequest,
    SimSettle,
};
use crate::api::{self, is_holder_hash};
use crate::sim::http::Response;
use crate::sim::store::{traffic_fine, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/traffic-fines/query"),
        query,
    ),
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/traffic-fines/payments"),
        create,
    ),
    Route::new(
        Access::Signed,
        "GET",
        At::Under("/v1/traffic-fines/payments/"),
        order,
    ),
    Route::new(
        Access::Signed,
        "GET",
        At::Under("/v1/traffic-fines/orders-by-key/"),
        order_by_key,
    ),
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/traffic-fines/cancellations"),
        cancel,
    ),
    Route::new(
        Access::Control,
        "POST",
        At::Path("/control/payments"),
        settle,
    ),
];

/// Where payment apps are sent (the QR code's base): the address the kiosk reached.
fn base(c: &Call<'_>) -> String {
    let host = c.req.header("Host").unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn bad(message: &str) -> ApiError {
    ApiError::new(400, "bad_request", message.to_owned())
}

fn query(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let q: FineQuery = parse_body(c.req)?;
    match &q {
        FineQuery::Decision { decision_number } => {
            parse_decision_number(decision_number)
                .map_err(|_| bad("decision_number must be 15 or 16 digits"))?;
        }
        FineQuery::Plate { plate, vehicle } => {
            if parse_plate(plate, *vehicle).as_deref() != Ok(plate.as_str()) {
                return Err(bad("plate is not a plate of that vehicle type"));
            }
        }
    }
    let today = api::hall_service_day(Utc::now());
    json(
        200,
        &FineList {
            fines: traffic_fine::query(c.conn, &q, today)?,
        },
    )
}

fn create(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let req: PaymentRequest = parse_body(c.req)?;
    if req.idempotency_key.is_empty() || req.idempotency_key.len() > 64 {
        return Err(bad("idempotency_key must be 1..=64 characters"));
    }
    if !is_holder_hash(&req.holder) {
        return Err(bad("holder must be the 64-hex-digit holder hash"));
    }
    parse_decision_number(&req.decision_number)
        .map_err(|_| bad("decision_number must be 15 or 16 digits"))?;
    if req.amount_fen <= 0 {
        return Err(bad("amount_fen must be positive"));
    }
    let base = base(c);
    let kiosk = c.kiosk_id.to_owned();
    json(
        200,
        &traffic_fine::create(c.conn, &kiosk, &req, Utc::now(), &base)?,
    )
}

fn order(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let base = base(c);
    json(
        200,
        &traffic_fine::get(c.conn, c.kiosk_id, c.rest, Utc::now(), &base)?,
    )
}

fn order_by_key(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let base = base(c);
    json(
        200,
        &traffic_fine::by_key(c.conn, c.kiosk_id, c.rest, Utc::now(), &base)?,
    )
}

fn cancel(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let req: CancelRequest = parse_body(c.req)?;
    let base = base(c);
    let kiosk = c.kiosk_id.to_owned();
    json(
        200,
        &traffic_fine::cancel(c.conn, &kiosk, &req.order_id, Utc::now(), &base)?,
    )
}

fn settle(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let s: SimSettle = parse_body(c.req)?;
    let base = base(c);
    let order = traffic_fine::settle(c.conn, &s, Utc::now(), &base)?;
    tracing::info!(order = %order.order_id, state = order.state.as_str(), "platform sim: payment settled");
    json(200, &order)
}
