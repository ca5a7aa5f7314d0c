//! Certificate service: issuing a certificate (`POST /v1/certificates`, signed) and the
//! public verification page its QR code opens (`GET /verify?case=…&d=…&sig=…`; an
//! application's acceptance receipt carries the same signed link, and it opens the case to
//! follow, `routes::case_progress::receipt_page`).

use chrono::Utc;

use super::phone_page::{card, line, zh_en, PhonePage, Tone};
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
    // An acceptance receipt's QR is signed the same way: the case to follow.
    if let Some(page) = super::case_progress::receipt_page(c, &url)? {
        return Ok(page);
    }
    let Some(v) = certificate::verify(c.conn, &url)? else {
        // Forged, altered, or never issued: the same answer, so a forger learns nothing.
        return PhonePage {
            status: 404,
            headline: zh_en(VERIFY_FAILED_ZH, VERIFY_FAILED_EN),
            tone: Tone::Bad,
            body: line(zh_en(
                "此二维码不是本平台开具的证明，或内容已被改动。",
                "This code was not issued by the platform, or it was altered.",
            )),
            next: zh_en(
                "请勿采信这份证明，并向出具单位核实。",
                "Do not rely on this certificate; check with the issuing office.",
            ),
            footer: None,
            refresh_secs: None,
        }
        .respond(c.conn);
    };
    let issued = v.issued_on.format("%Y-%m-%d").to_string();
    let body = card(&[
        zh_en(&v.kind_zh, &v.kind_en),
        zh_en(
            &format!("开具日期：{issued}"),
            &format!("Issued on {issued}"),
        ),
        zh_en(
            &format!("持证人：{}", v.masked_holder),
            &format!("Holder: {}", v.masked_holder),
        ),
        zh_en(
            &format!("案件编号：{}", v.case_number),
            &format!("Case: {}", v.case_number),
        ),
    ]);
    PhonePage {
        status: 200,
        headline: zh_en(VERIFY_GENUINE_ZH, VERIFY_GENUINE_EN),
        tone: Tone::Good,
        body,
        next: zh_en(
            "请核对纸质证明上的种类、日期、持证人和案件编号与本页一致。",
            "Check that the paper's kind, date, holder and case number match this page.",
        ),
        footer: None,
        refresh_secs: None,
    }
    .respond(c.conn)
}
