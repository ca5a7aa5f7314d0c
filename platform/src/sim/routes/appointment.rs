//! Appointment service: the slots of a matter and the citizen's appointment page
//! (unsigned HTML, what the slip's QR code opens). Bookings arrive as transactions, stored
//! by `store::appointment`.

use chrono::Utc;

use super::phone_page::{big, card, day_names, line, list, zh_en, PhonePage, Tone};
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
    if uuid::Uuid::parse_str(c.rest).is_err() {
        // Not a booking id at all (a slip's QR always carries one): no SMS will come.
        return PhonePage {
            status: 404,
            headline: zh_en("未找到该预约", "Appointment not found"),
            tone: Tone::Bad,
            body: line(zh_en(
                "该链接不是有效的预约。",
                "This link is not a valid appointment.",
            )),
            next: zh_en(
                "请重新扫描预约单上的二维码，或在大厅自助终端刷身份证查看您的预约。",
                "Scan the QR code on your slip again, or identify at a kiosk of the hall \
                 to see your appointments.",
            ),
            footer: None,
            refresh_secs: None,
        }
        .respond(c.conn);
    }
    let Some(b) = appointment::booking(c.conn, c.rest)? else {
        // A booking made offline is not here until the kiosk uploads it.
        return PhonePage {
            status: 404,
            headline: zh_en("预约待确认", "Pending confirmation"),
            tone: Tone::Wait,
            body: line(zh_en(
                "尚未收到该预约，确认后将以短信通知。",
                "This appointment has not reached us yet; an SMS will confirm it.",
            )),
            next: zh_en(
                "请留意短信。未收到确认前请勿前来；下次在自助终端刷身份证时也会告诉您结果。",
                "Wait for the SMS before you come. The next time you identify at a kiosk \
                 of the hall, it tells you the answer too.",
            ),
            footer: None,
            refresh_secs: None,
        }
        .respond(c.conn);
    };
    let (day_zh, day_en) = day_names(b.date);
    let start = b.start.format("%H:%M");
    let (area_zh, area_en) = (
        format!("办理区域：{}", b.area.0),
        format!("Area: {}", b.area.1),
    );
    let before = c.shared.checkin_window.before_min;
    let (next_zh, next_en);
    let (headline, tone, next) = match b.state {
        BookingState::Confirmed => {
            next_zh = format!(
                "请提前 10 分钟到达。当天请在预约时间前 {before} 分钟内凭身份证或本码在自助机签到，领取优先号。"
            );
            next_en = format!(
                "Please arrive 10 minutes early. On the day, check in at a kiosk with your ID \
                 card or this code up to {before} minutes before your time, for a priority \
                 ticket."
            );
            (
                zh_en("预约成功", "Confirmed"),
                Tone::Good,
                zh_en(&next_zh, &next_en),
            )
        }
        BookingState::Cancelled => (
            zh_en("预约已取消", "Cancelled"),
            Tone::Bad,
            zh_en(
                "此预约已取消，名额已让出。如仍需办理，请在大厅自助终端重新预约或取号。",
                "This appointment was cancelled and its place given up. To come after all, \
                 book again or take a ticket at a kiosk of the hall.",
            ),
        ),
        BookingState::CheckedIn => (
            zh_en("已签到", "Checked in"),
            Tone::Act,
            zh_en(
                "请留意大厅叫号屏，叫到您的优先号时到窗口办理。",
                "Watch the hall's screens and go to the counter when your priority number \
                 is called.",
            ),
        ),
    };
    let ticket = match (b.state, &b.ticket) {
        (BookingState::CheckedIn, Some(number)) => {
            big(number, Some("优先号 · Priority ticket"), "number")
        }
        _ => String::new(),
    };
    let body = format!(
        "{ticket}{when}{matter}{bring}",
        when = big(
            &format!("{day_zh} {start}"),
            Some(&format!("{day_en}, {start}")),
            "date"
        ),
        matter = card(&[
            zh_en(&b.matter.name_zh, &b.matter.name_en),
            zh_en(&area_zh, &area_en),
        ]),
        bring = list(
            zh_en("请携带", "Please bring"),
            &b.matter.bring_zh,
            &b.matter.bring_en
        ),
    );
    PhonePage {
        status: 200,
        headline,
        tone,
        body,
        next,
        footer: None,
        refresh_secs: None,
    }
    .respond(c.conn)
}
