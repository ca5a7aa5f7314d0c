//! Sample forms: the library with a content `ETag` (`GET /v1/forms`), a page image
//! (`GET /v1/forms/{id}/{blank|sample}/{page}.png`), and the public phone page the kiosk's
//! take-home QR code opens (`GET /m/forms/{id}`, with its images under the same prefix).

use sha2::{Digest, Sha256};

use super::phone_page::{card, escape, list, zh_en, PhonePage, Tone};
use super::{to_vec, Access, At, Call, Route};
use crate::api::sample_forms::{is_form_id, PageKind};
use crate::sim::form_pages;
use crate::sim::http::Response;
use crate::sim::store::{sample_forms, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(Access::Signed, "GET", At::Path("/v1/forms"), get_library),
    Route::new(Access::Signed, "GET", At::Under("/v1/forms/"), get_page),
    Route::new(Access::Public, "GET", At::Under("/m/forms/"), phone),
];

fn get_library(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let body = to_vec(&sample_forms::library(c.conn)?)?;
    // A strong etag from the content: it changes exactly when the library does.
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let matches = c.req.header("if-none-match").is_some_and(|inm| {
        inm.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag)
    });
    if matches {
        return Ok(Response::new(304, "application/json", Vec::new()).with_header("ETag", etag));
    }
    Ok(Response::new(200, "application/json", body).with_header("ETag", etag))
}

/// `{id}/{kind}/{page}.png` split and checked.
fn page_of(rest: &str) -> Option<(&str, PageKind, u8)> {
    let mut parts = rest.split('/');
    let id = parts.next().filter(|id| is_form_id(id))?;
    let kind = PageKind::parse(parts.next()?)?;
    let page = parts.next()?.strip_suffix(".png")?.parse().ok()?;
    parts.next().is_none().then_some((id, kind, page))
}

/// The PNG of a page: kept from an earlier request, or drawn now and kept.
fn page_png(c: &mut Call<'_>, id: &str, kind: PageKind, page: u8) -> Result<Response, ApiError> {
    let not_found = || ApiError::new(404, "unknown_form", "no such form or page");
    let Some((form, dept)) = sample_forms::form(c.conn, id)? else {
        return Err(not_found());
    };
    let png = match sample_forms::cached_page(c.conn, id, kind, page)? {
        Some(png) => png,
        None => {
            let png = form_pages::render(&form, &dept, kind, page).ok_or_else(not_found)?;
            sample_forms::keep_page(c.conn, id, kind, page, &png)?;
            png
        }
    };
    // A page never changes under its id: phones and proxies may keep it.
    Ok(Response::new(200, "image/png", png).with_header("Cache-Control", "max-age=86400"))
}

fn get_page(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let rest = c.rest.to_owned();
    let Some((id, kind, page)) = page_of(&rest) else {
        return Err(ApiError::new(
            400,
            "bad_request",
            "expected /v1/forms/{id}/{blank|sample}/{page}.png",
        ));
    };
    page_png(c, id, kind, page)
}

/// The phone page of a form, or (under the same prefix) one of its images.
fn phone(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let rest = c.rest.to_owned();
    if let Some((id, kind, page)) = page_of(&rest) {
        return page_png(c, id, kind, page);
    }
    let found = if is_form_id(&rest) {
        sample_forms::form(c.conn, &rest)?
    } else {
        None
    };
    let Some((form, dept)) = found else {
        return PhonePage {
            status: 404,
            headline: zh_en("未找到此样表", "Form not found"),
            tone: Tone::Bad,
            body: String::new(),
            next: zh_en(
                "请回到自助机重新扫码，或到咨询台询问。",
                "Scan the code on the kiosk again, or ask at the information desk.",
            ),
            footer: None,
            refresh_secs: None,
        }
        .respond(c.conn);
    };
    let pages = format!("共{}页", form.pages);
    let pages_en = format!("{} page(s)", form.pages);
    let fields_zh: Vec<String> = form.fields.iter().map(|f| f.label_zh.clone()).collect();
    let fields_en: Vec<String> = Vec::new();
    let mut body = card(&[
        zh_en(&form.name_zh, &form.id),
        zh_en(&dept.name_zh, &dept.name_en),
        zh_en(&pages, &pages_en),
    ]);
    body.push_str(&list(
        zh_en("需填写", "Boxes to fill in"),
        &fields_zh,
        &fields_en,
    ));
    for page in 1..=form.pages {
        for (kind, zh, en) in [
            (PageKind::Sample, "填写示例", "Filled-in sample"),
            (PageKind::Blank, "空白表", "Blank form"),
        ] {
            let src = format!("/m/forms/{}/{}/{page}.png", form.id, kind.as_str());
            body.push_str(&format!(
                "<figure><figcaption><span class=\"zh\">第{page}页 {zh}</span>\
                 <span class=\"en\">Page {page}, {en}</span></figcaption>\
                 <a href=\"{src}\"><img src=\"{src}\" alt=\"{} {zh}\" \
                 style=\"width:100%;height:auto;border:1px solid #999;background:#fff\"></a>\
                 </figure>",
                escape(&form.name_zh)
            ));
        }
    }
    let mut response = PhonePage {
        status: 200,
        headline: zh_en("样表", "Sample form"),
        tone: Tone::Good,
        body,
        next: zh_en(
            "照示例填写空白表，带齐材料到窗口办理；点图片可放大。",
            "Fill in the blank form as the sample shows and bring it to the counter; tap a picture to enlarge it.",
        ),
        footer: None,
        refresh_secs: None,
    }
    .respond(c.conn)?;
    // The one phone page with pictures: its own images, from this server only.
    for (name, value) in &mut response.headers {
        if name.eq_ignore_ascii_case("Content-Security-Policy") {
            *value = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'".to_owned();
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_are_checked_part_by_part() {
        assert_eq!(
            page_of("F0001/blank/1.png"),
            Some(("F0001", PageKind::Blank, 1))
        );
        assert_eq!(
            page_of("F0001/sample/3.png"),
            Some(("F0001", PageKind::Sample, 3))
        );
        for bad in [
            "F0001/x/1.png",
            "F0001/blank/1",
            "../blank/1.png",
            "F0001/blank/1.png/x",
            "F0001",
        ] {
            assert_eq!(page_of(bad), None, "{bad}");
        }
    }
}
