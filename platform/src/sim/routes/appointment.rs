//! Appointment service: the slots of a matter and the citizen's appointment page
//! (unsigned HTML, what the slip's QR code opens). Bookings arrive as transactions, stored
//! by `store::appointment`.

use chrono::Utc;

use super::{json, parse_body, Access, At, Call, Route};
use crate::api;
use crate::api::appointment::{BookingState, CheckInRequest, NoticesMarked, NoticesSeen};
use crate::sim::http::Response;
use crate::sim::store::{appointment, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/appointments/slots"),
        slots,
    ),
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/appointments/notices"),
        notices,
    ),
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/appointments/notices/seen"),
        notices_seen,
    ),
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/appointments"),
        of_holder,
    ),
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/appointments/check-in"),
        check_in,
    ),
    Route::new(Access::Public, "GET", At::Under("/appointment/"), page),
];

fn holder_param(c: &Call<'_>) -> Result<String, ApiError> {
    let holder = c.req.query_param("holder").unwrap_or("");
    if !api::is_holder_hash(holder) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be the 64-hex-digit holder hash",
        ));
    }
    Ok(holder.to_owned())
}

fn notices(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let holder = holder_param(c)?;
    json(200, &appointment::notices(c.conn, &holder)?)
}

fn notices_seen(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let seen: NoticesSeen = parse_body(c.req)?;
    if !api::is_holder_hash(&seen.holder) || seen.booking_ids.len() > 100 {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be the holder hash, booking_ids at most 100",
        ));
    }
    let marked = appointment::notices_seen(c.conn, &seen.holder, &seen.booking_ids, Utc::now())?;
    json(200, &NoticesMarked { marked })
}

fn check_in(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let req: CheckInRequest = parse_body(c.req)?;
    let id = uuid::Uuid::parse_str(&req.booking_id)
        .map_err(|_| ApiError::new(400, "bad_request", "booking_id must be a UUID"))?;
    let window = c.shared.checkin_window;
    match appointment::check_in(
        c.conn,
        c.kiosk_id,
        &id.hyphenated().to_string(),
        Utc::now(),
        window,
    )? {
        Some(answer) => {
            tracing::info!(outcome = ?answer.outcome, "appointment check-in");
            json(200, &answer)
        }
        None => Err(ApiError::new(
            404,
            "unknown_booking",
            "the platform holds no booking with that id",
        )),
    }
}

fn of_holder(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let holder = holder_param(c)?;
    let today = api::hall_service_day(Utc::now());
    json(200, &appointment::of_holder(c.conn, &holder, today)?)
}

fn slots(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let matter = c.req.query_param("matter").unwrap_or("");
    if matter.is_empty() {
        return Err(ApiError::new(400, "bad_request", "matter is required"));
    }
    let from = match c.req.query_param("from") {
        None => None,
        Some(d) => Some(
            d.parse()
                .map_err(|_| ApiError::new(400, "bad_request", "from must be YYYY-MM-DD"))?,
        ),
    };
    let today = api::hall_service_day(Utc::now());
    json(200, &appointment::slots(c.conn, matter, from, today)?)
}

fn page(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let Some(b) = appointment::booking(c.conn, c.rest)? else {
        // A booking made offline is not here until the kiosk uploads it.
        return Ok(html(
            404,
            "预约 / Appointment",
            "<p>尚未收到该预约，确认后将以短信通知。<br>\
             This appointment has not reached us yet; an SMS will confirm it.</p>",
        ));
    };
    let bring = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("<li>{}</li>", escape(i)))
            .collect::<String>()
    };
    // The state line: the texts the phone test checks (docs/platform-api.md).
    let state = match (b.state, &b.ticket) {
        (BookingState::Confirmed, _) => "<p class=\"ok\">预约成功 · Confirmed</p>".to_owned(),
        (BookingState::Cancelled, _) => "<p class=\"warn\">预约已取消 · Cancelled</p>".to_owned(),
        (BookingState::CheckedIn, Some(number)) => format!(
            "<p class=\"ok\">已签到 · Checked in</p><p>优先号 / Priority ticket: <b>{}</b></p>",
            escape(number)
        ),
        (BookingState::CheckedIn, None) => "<p class=\"ok\">已签到 · Checked in</p>".to_owned(),
    };
    let before = c.shared.checkin_window.before_min;
    let arrive = match b.state {
        // The first line is the page's since the first release: kept as it was.
        BookingState::Confirmed => format!(
            "<p class=\"small\">请提前 10 分钟到达 / Please arrive 10 minutes early</p>\
             <p class=\"small\">当天请在预约时间前 {before} 分钟内凭身份证或本码在自助机签到<br>\
             On the day, check in at a kiosk with your ID card or this code up to {before} minutes before your time</p>"
        ),
        _ => String::new(),
    };
    let body = format!(
        "{state}\
         <p class=\"big\">{date} {start}</p>\
         <p><b>{m_zh}</b><br>{m_en}</p>\
         <p>{a_zh} · {a_en}</p>\
         <p>请携带 / Please bring:</p><ul>{b_zh}</ul><ul>{b_en}</ul>\
         {arrive}",
        date = b.date,
        start = b.start.format("%H:%M"),
        m_zh = escape(&b.matter.name_zh),
        m_en = escape(&b.matter.name_en),
        a_zh = escape(&b.area.0),
        a_en = escape(&b.area.1),
        b_zh = bring(&b.matter.bring_zh),
        b_en = bring(&b.matter.bring_en),
    );
    Ok(html(200, "预约 / Appointment", &body))
}

fn html(status: u16, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <style>body{{font-family:sans-serif;text-align:center;margin:2em;color:#222}}\
         .big{{font-size:2.4em;font-weight:bold;margin:.2em}}.ok{{color:#080}}.warn{{color:#b00}}\
         ul{{list-style:none;padding:0}}.small{{font-size:.8em;color:#666}}</style></head>\
         <body>{body}</body></html>\n",
        title = escape(title),
    );
    Response::new(status, "text/html; charset=utf-8", page.into_bytes())
        .with_header("Cache-Control", "no-store")
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
