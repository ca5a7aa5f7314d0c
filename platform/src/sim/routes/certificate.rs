//! Certificate service: issuing a certificate (`POST /v1/certificates`, signed) and the
//! public verification page its QR code opens (`GET /verify?case=…&d=…&sig=…`).

use chrono::Utc;

use super::{json, parse_body, Access, At, Call, Route};
use crate::api::certificate::{
    verify_page, CertificateRequest, VERIFY_FAILED_EN, VERIFY_FAILED_ZH, VERIFY_GENUINE_EN,
    VERIFY_GENUINE_ZH,
};
use crate::api::{self, is_holder_hash};
use crate::sim::http::Response;
use crate::sim::store::{certificate, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(Access::Signed, "POST", At::Path("/v1/certificates"), issue),
    Route::new(Access::Public, "GET", At::Path("/verify"), verify),
];

/// The simulator's public base as the caller reached it (`Host`): the address the kiosk
/// talks to is the one a phone on the hall's network opens.
fn base(c: &Call<'_>) -> String {
    let host = c.req.header("Host").unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn issue(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let request: CertificateRequest = parse_body(c.req)?;
    if !is_holder_hash(&request.holder) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be the 64-hex-digit holder hash",
        ));
    }
    if request.request_id.is_empty() || request.request_id.len() > 64 {
        return Err(ApiError::new(
            400,
            "bad_request",
            "request_id must be 1..=64 characters",
        ));
    }
    let today = api::hall_service_day(Utc::now());
    let verify_base = verify_page(&base(c));
    let kiosk = c.kiosk_id.to_owned();
    json(
        200,
        &certificate::issue(c.conn, &kiosk, &request, today, &verify_base)?,
    )
}

fn verify(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let url = format!("{}{}", base(c), c.req.target);
    let Some(v) = certificate::verify(c.conn, &url)? else {
        // Forged, altered, or never issued: the same answer, so a forger learns nothing.
        return Ok(html(
            404,
            &format!(
                "<p class=\"bad\" id=\"result\">{VERIFY_FAILED_ZH}</p>\
                 <p class=\"en\">{VERIFY_FAILED_EN}</p>\
                 <p>此二维码不是本平台开具的证明，或内容已被改动。请向出具单位核实。<br>\
                 This code was not issued by the platform, or it was altered. \
                 Please check with the issuing office.</p>"
            ),
        ));
    };
    let body = format!(
        "<p class=\"ok\" id=\"result\">{VERIFY_GENUINE_ZH}</p>\
         <p class=\"en\">{VERIFY_GENUINE_EN}</p>\
         <table>\
         <tr><th>证明种类<br><small>Kind</small></th><td id=\"kind\">{kz}<br><small>{ke}</small></td></tr>\
         <tr><th>开具日期<br><small>Issued on</small></th><td id=\"date\">{date}</td></tr>\
         <tr><th>持证人<br><small>Holder</small></th><td id=\"holder\">{holder}</td></tr>\
         <tr><th>案件编号<br><small>Case</small></th><td id=\"case\">{case}</td></tr>\
         </table>",
        kz = escape(&v.kind_zh),
        ke = escape(&v.kind_en),
        date = v.issued_on.format("%Y-%m-%d"),
        holder = escape(&v.masked_holder),
        case = escape(&v.case_number),
    );
    Ok(html(200, &body))
}

fn html(status: u16, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>证明核验 / Certificate check</title>\
         <style>body{{font-family:sans-serif;text-align:center;margin:2em;color:#222}}\
         .ok,.bad{{font-size:2em;font-weight:bold;margin:.2em}}.ok{{color:#080}}.bad{{color:#b00}}\
         .en{{color:#555;margin-top:0}}table{{margin:1.5em auto;border-collapse:collapse;text-align:left}}\
         th,td{{border-bottom:1px solid #ddd;padding:.5em .8em}}small{{color:#666}}</style></head>\
         <body><h1>证明核验 · Certificate check</h1>{body}</body></html>\n"
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
