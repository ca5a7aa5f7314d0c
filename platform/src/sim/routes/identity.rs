//! Identification without the card: the SMS code for a typed ID number, its check, the
//! electronic-ID code's check; and the simulator's knobs (issuing a sample e-ID code, ageing
//! codes and locks; the SMS gateway's log is `routes/sms.rs`).

use chrono::Utc;

use super::{json, parse_body, Access, At, Call, Route};
use crate::api::identity::{is_sms_code, EidCheck, EidIssued, SmsCodeCheck, SmsCodeRequest};
use crate::api::is_holder_hash;
use crate::sim::http::Response;
use crate::sim::store::{identity, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/identity/sms"),
        send_code,
    ),
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/identity/sms/verify"),
        check_code,
    ),
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/identity/eid/verify"),
        check_eid,
    ),
    Route::new(
        Access::Control,
        "POST",
        At::Path("/control/eid/issue"),
        issue_eid,
    ),
    Route::new(
        Access::Control,
        "POST",
        At::Path("/control/identity/age"),
        age,
    ),
];

fn bad(message: &str) -> ApiError {
    ApiError::new(400, "bad_request", message)
}

fn holder_of(holder: &str) -> Result<(), ApiError> {
    if is_holder_hash(holder) {
        Ok(())
    } else {
        Err(bad("holder must be the 64-hex-digit holder hash"))
    }
}

fn send_code(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let request: SmsCodeRequest = parse_body(c.req)?;
    holder_of(&request.holder)?;
    let (answer, sms) = identity::send_code(c.conn, &request.holder, Utc::now())?;
    if let Some((phone, code)) = sms {
        crate::sim::sms::record(c.conn, phone, &identity::sms_text(&code), Utc::now())?;
    }
    json(200, &answer)
}

fn check_code(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let request: SmsCodeCheck = parse_body(c.req)?;
    holder_of(&request.holder)?;
    if !is_sms_code(&request.code) {
        return Err(bad("code must be 6 digits"));
    }
    json(
        200,
        &identity::check_code(c.conn, &request.holder, &request.code, Utc::now())?,
    )
}

fn check_eid(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let request: EidCheck = parse_body(c.req)?;
    // The token as the kiosk's parser let it through; anything else is not a code.
    let payload = format!("{}{}", crate::codes::EID_PREFIX, request.token);
    if crate::codes::parse_eid_code(&payload).as_deref() != Some(request.token.as_str()) {
        return Err(bad("token is not an e-ID code's token"));
    }
    json(
        200,
        &identity::check_eid(c.conn, &request.token, Utc::now())?,
    )
}

fn issue_eid(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let index: usize = c
        .req
        .query_param("citizen")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("citizen must be a sample citizen's index"))?;
    match identity::issue_eid(c.conn, index, Utc::now())? {
        Some(payload) => json(200, &EidIssued { payload }),
        None => Err(ApiError::new(
            404,
            "unknown_citizen",
            "no such sample citizen",
        )),
    }
}

fn age(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let secs: i64 = c
        .req
        .query_param("secs")
        .and_then(|s| s.parse().ok())
        .filter(|s| (0..=86_400).contains(s))
        .ok_or_else(|| bad("secs must be 0..=86400"))?;
    identity::age(c.conn, secs)?;
    json(200, &serde_json::json!({ "aged_s": secs }))
}
