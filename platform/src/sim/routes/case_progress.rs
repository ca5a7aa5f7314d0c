//! Case-progress service: a case by number, the cases of a holder (by holder hash, never
//! an ID number), and the simulator's `POST /control/cases` to add one.

use super::phone_page::{card, list, zh_en, PhonePage, Tone};
use super::{json, parse_body, Access, At, Call, Route};
use crate::api::case_progress::CaseStatus;
use crate::api::{self, NewCase};
use crate::sim::http::Response;
use crate::sim::store::{case_progress, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/cases"),
        cases_of_holder,
    ),
    Route::new(Access::Signed, "GET", At::Under("/v1/cases/"), case),
    Route::new(
        Access::Control,
        "POST",
        At::Path("/control/cases"),
        put_case,
    ),
];

fn cases_of_holder(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let holder = c.req.query_param("holder").unwrap_or("");
    if !api::is_holder_hash(holder) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be the 64-hex-digit holder hash",
        ));
    }
    json(200, &case_progress::cases_of_holder(c.conn, holder)?)
}

fn case(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let number = c.rest;
    let found = if api::is_case_number(number) {
        case_progress::case(c.conn, number)?
    } else {
        None
    };
    match found {
        Some(case) => json(200, &case),
        None => Err(ApiError::new(
            404,
            "unknown_case",
            "no case with that number",
        )),
    }
}

fn put_case(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let new: NewCase = parse_body(c.req)?;
    if !api::is_holder_hash(&new.holder) || !api::is_case_number(&new.case.case_number) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be a holder hash and case_number 1..=40 of A-Z, 0-9, -",
        ));
    }
    case_progress::put_case(c.conn, &new)?;
    json(200, &new.case)
}

/// The page an acceptance receipt's QR opens on a citizen's phone (`/verify?case=…&d=…&sig=…`
/// signed with the hall's key, as a certificate's): the case, where it is and its steps.
/// `None` when the link is not a signed one of a case the platform holds (a certificate's
/// link then, or a forged one: the certificate check answers those).
pub(super) fn receipt_page(c: &mut Call<'_>, url: &str) -> Result<Option<Response>, ApiError> {
    let Some(number) = crate::codes::verify_url(url, crate::sim::DEMO_VERIFY_KEY) else {
        return Ok(None);
    };
    let Some(case) = case_progress::case(c.conn, &number)? else {
        return Ok(None);
    };
    let tone = match case.status {
        CaseStatus::ReadyForPickup => Tone::Act,
        CaseStatus::Approved => Tone::Good,
        CaseStatus::Rejected => Tone::Bad,
        CaseStatus::Received | CaseStatus::InReview => Tone::Wait,
    };
    let hall_time = |t: chrono::DateTime<chrono::Utc>| {
        let hall = chrono::FixedOffset::east_opt(api::HALL_UTC_OFFSET_SECS)
            .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset"));
        t.with_timezone(&hall).format("%Y-%m-%d %H:%M").to_string()
    };
    // One line per step in either language: done with its hall time, or still to come.
    let step_line = |name: &str, s: &api::case_progress::CaseStep| match s.at {
        Some(t) if s.done => format!("✓ {name} {}", hall_time(t)),
        _ if s.done => format!("✓ {name}"),
        _ => format!("○ {name}"),
    };
    let steps_zh: Vec<String> = case
        .steps
        .iter()
        .map(|s| step_line(&s.name_zh, s))
        .collect();
    let steps_en: Vec<String> = case
        .steps
        .iter()
        .map(|s| step_line(&s.name_en, s))
        .collect();
    let number_zh = format!("办件编号：{}", case.case_number);
    let number_en = format!("Case number: {}", case.case_number);
    let mut body = card(&[
        zh_en(&case.matter_zh, &case.matter_en),
        zh_en(&number_zh, &number_en),
    ]);
    body += &list(zh_en("办理进度", "Progress"), &steps_zh, &steps_en);
    let (next_zh, next_en) = match (
        &case.pickup_zh,
        &case.pickup_en,
        &case.reason_zh,
        &case.reason_en,
    ) {
        (Some(zh), Some(en), _, _) => (
            format!("请携带身份证和受理回执领取：{zh}。"),
            format!("Bring your ID card and this receipt to collect it: {en}."),
        ),
        (_, _, Some(zh), Some(en)) => (format!("未予办理：{zh}"), format!("Not granted: {en}")),
        _ => (
            "无需操作：办结后将以短信通知您。请保留受理回执。".to_owned(),
            "Nothing to do now: you will get an SMS when it is done. Keep the receipt.".to_owned(),
        ),
    };
    let updated_zh = format!("更新于 {}", hall_time(case.updated_at));
    let updated_en = format!("Updated {}", hall_time(case.updated_at));
    PhonePage {
        status: 200,
        headline: zh_en(&case.status_zh, &case.status_en),
        tone,
        body,
        next: zh_en(&next_zh, &next_en),
        footer: Some(zh_en(&updated_zh, &updated_en)),
        refresh_secs: None,
    }
    .respond(c.conn)
    .map(Some)
}
