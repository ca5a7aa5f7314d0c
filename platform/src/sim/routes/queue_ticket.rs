//! Queue-ticket service: number leases, queue status, calling (operator/test) and the
//! citizen's follow page (unsigned HTML, refreshed every 30 s). The tickets themselves
//! arrive as transactions, stored by `store::queue_ticket`.

use chrono::{NaiveDate, Utc};
use rusqlite::Connection;

use super::{json, parse_body, Access, At, Call, Route};
use crate::api::{self, CallRequest, LeaseRequest};
use crate::sim::http::Response;
use crate::sim::store::queue_ticket::{self, FollowInfo};
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
    let info = queue_ticket::follow(conn, ticket_id)?;
    let Some(info) = info else {
        let html = page(
            "未找到 / Not found",
            "<p class=\"big\">?</p><p>未找到该号票。<br>This ticket is unknown.</p>",
        );
        return Ok(html_response(404, html));
    };
    Ok(html_response(
        200,
        page(&info.display_number, &follow_body(&info)),
    ))
}

fn follow_body(info: &FollowInfo) -> String {
    let status = if info.called {
        "<p class=\"called\">已叫号，请前往窗口办理。<br>Your number has been called: please go to the counter.</p>".to_owned()
    } else {
        format!(
            "<p>前面还有 <b>{n}</b> 人等候<br><b>{n}</b> {people} ahead of you</p>",
            n = info.ahead,
            people = if info.ahead == 1 { "person" } else { "people" }
        )
    };
    let issued = info
        .issued_at
        .map(|t| {
            let offset = chrono::FixedOffset::east_opt(api::HALL_UTC_OFFSET_SECS)
                .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
            t.with_timezone(&offset).format("%H:%M").to_string()
        })
        .unwrap_or_default();
    format!(
        "<p class=\"big\">{number}</p>\
         <p>{area_zh}<br>{area_en}</p>\
         {status}\
         <p class=\"small\">{day} {issued} · 本页每 30 秒自动刷新 / refreshes every 30 s</p>",
        number = escape(&info.display_number),
        area_zh = escape(&info.area.name_zh),
        area_en = escape(&info.area.name_en),
        day = info.service_day,
        issued = escape(&issued),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"30\">\
         <title>{title}</title>\
         <style>body{{font-family:sans-serif;text-align:center;margin:2em;color:#222}}\
         .big{{font-size:4em;font-weight:bold;margin:.2em}}.called{{color:#b00}}\
         .small{{font-size:.8em;color:#666}}</style></head>\
         <body>{body}</body></html>\n",
        title = escape(title),
    )
}

fn html_response(status: u16, html: String) -> Response {
    Response::new(status, "text/html; charset=utf-8", html.into_bytes())
        // Counts change by the minute; a cached page would mislead.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
