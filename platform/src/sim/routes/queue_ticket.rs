//! Queue-ticket service: number leases, queue status, calling (operator/test) and the
//! citizen's follow page (unsigned HTML, refreshed every 30 s). The tickets themselves
//! arrive as transactions, stored by `store::queue_ticket`.

use chrono::{NaiveDate, Utc};
use rusqlite::Connection;

use super::phone_page::{big, day_names, escape, line, line_html, zh_en, PhonePage, Tone};
use super::{json, parse_body, Access, At, Call, Route};
use crate::api::{self, CallRequest, LeaseRequest};
use crate::sim::http::Response;
use crate::sim::store::queue_ticket;
use crate::sim::store::ApiError;

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(Access::Signed, "POST", At::Path("/v1/queue/leases"), lease),
    Route::new(Access::Signed, "GET", At::Path("/v1/queue/status"), status),
    Route::new(
        Access::Signed,
        "POST",
        At::Path("/v1/queue/call"),
        call_next,
    ),
    Route::new(Access::Public, "GET", At::Under("/follow/"), follow),
];

fn lease(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let lease_req: LeaseRequest = parse_body(c.req)?;
    let lease = queue_ticket::lease(c.conn, c.kiosk_id, &lease_req)?;
    tracing::debug!(kiosk = %c.kiosk_id, area = %lease.area_code, first = lease.first, last = lease.last, "lease granted");
    json(200, &lease)
}

fn status(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let day = day_param(c)?;
    json(200, &queue_ticket::queue_status(c.conn, day)?)
}

fn call_next(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let call: CallRequest = parse_body(c.req)?;
    let day = day_param(c)?;
    json(200, &queue_ticket::call_next(c.conn, &call.area_code, day)?)
}

fn follow(c: &mut Call<'_>) -> Result<Response, ApiError> {
    follow_page(c.conn, c.rest)
}

fn day_param(c: &Call<'_>) -> Result<NaiveDate, ApiError> {
    match c.req.query_param("day") {
        None => Ok(api::hall_service_day(Utc::now())),
        Some(d) => d
            .parse()
            .map_err(|_| ApiError::new(400, "bad_request", "day must be YYYY-MM-DD")),
    }
}

fn follow_page(conn: &Connection, ticket_id: &str) -> Result<Response, ApiError> {
    let Some(info) = queue_ticket::follow(conn, ticket_id)? else {
        return PhonePage {
            status: 404,
            headline: zh_en("未找到该号票", "Ticket not found"),
            tone: Tone::Bad,
            body: line(zh_en(
                "该号票不存在或已过期。",
                "This ticket is unknown or has expired.",
            )),
            next: zh_en(
                "号票仅当日有效。请核对号票上的二维码，或到服务台咨询。",
                "A ticket is valid on its day only. Check the QR code on your ticket, \
                 or ask at the information desk.",
            ),
            footer: None,
            refresh_secs: None,
        }
        .respond(conn);
    };
    let today = api::hall_service_day(Utc::now());
    if info.service_day < today {
        // Yesterday's ticket: the queue it was in is gone; the citizen needs a new one.
        let (day_zh, day_en) = day_names(info.service_day);
        let (was_zh, was_en) = (
            format!("号票 {} 仅限 {day_zh} 使用。", info.display_number),
            format!("Ticket {} was for {day_en} only.", info.display_number),
        );
        return PhonePage {
            status: 200,
            headline: zh_en("号票已过期", "This ticket has expired"),
            tone: Tone::Bad,
            body: line(zh_en(&was_zh, &was_en)),
            next: zh_en(
                "请在大厅自助终端重新取号。",
                "Take a new ticket at a kiosk of the hall.",
            ),
            footer: None,
            refresh_secs: None,
        }
        .respond(conn);
    }
    let (area_zh, area_en) = (escape(&info.area.name_zh), escape(&info.area.name_en));
    let next_zh;
    let next_en;
    let (headline, tone, state, next) = if info.called {
        next_zh = format!(
            "请立即前往{}窗口办理。如已过号，请到服务台咨询。",
            info.area.name_zh
        );
        next_en = format!(
            "Go to the {} counters now. Missed your turn? Ask at the information desk.",
            info.area.name_en
        );
        (
            zh_en("已叫号，请前往窗口", "Your number has been called"),
            Tone::Act,
            String::new(),
            zh_en(&next_zh, &next_en),
        )
    } else {
        (
            zh_en("等候中", "Waiting"),
            Tone::Wait,
            line_html(
                &format!("前面还有 <b>{}</b> 人等候", info.ahead),
                &format!(
                    "<b>{n}</b> {people} ahead of you",
                    n = info.ahead,
                    people = if info.ahead == 1 { "person" } else { "people" }
                ),
            ),
            zh_en(
                "请留意大厅叫号屏和广播；如留有手机号，轮到您时将收到短信。离开大厅前请保留号票。",
                "Watch the hall's screens and listen for your number; if you left a mobile \
                 number, an SMS tells you when it is your turn. Keep your ticket.",
            ),
        )
    };
    let offset = chrono::FixedOffset::east_opt(api::HALL_UTC_OFFSET_SECS)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
    let (footer_zh, footer_en) = match info.issued_at.map(|t| t.with_timezone(&offset)) {
        Some(t) => {
            let (day_zh, day_en) = day_names(t.date_naive());
            let time = t.format("%H:%M");
            (
                format!("取号 {day_zh} {time} · 本页每 30 秒自动刷新"),
                format!("Taken {day_en}, {time} · this page refreshes every 30 s"),
            )
        }
        None => (
            "本页每 30 秒自动刷新".to_owned(),
            "This page refreshes every 30 s".to_owned(),
        ),
    };
    PhonePage {
        status: 200,
        headline,
        tone,
        body: format!(
            "{number}<p><span class=\"zh\">{area_zh}</span><span class=\"en\">{area_en}</span></p>{state}",
            number = big(&info.display_number, None, "number"),
        ),
        next,
        footer: Some(zh_en(&footer_zh, &footer_en)),
        refresh_secs: Some(30),
    }
    .respond(conn)
}
