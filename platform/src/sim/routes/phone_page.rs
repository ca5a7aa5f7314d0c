//! The one shell of every page the simulator serves to a citizen's phone (the queue's
//! follow page, the appointment page, the certificate verification page): what the QR
//! codes the kiosk prints open.
//!
//! Why one shell: a citizen scans these in the hall's queue, on a small screen, often
//! an older person. Every page gets the same treatment here rather than each service's
//! own idea of it: a viewport meta so the phone does not zoom out to a desktop width,
//! text of 18 px and more, Chinese first with English below each line, the hall's name
//! at the top (the citizen may have tickets of several halls), a "what to do next" box,
//! and nothing loaded from elsewhere (no fonts, scripts or images: the hall's Wi-Fi may
//! be a captive portal, and a page that calls out leaks who scanned what). Personal data
//! never appears in full: a service passes only masked values (see
//! [`crate::api::mask_phone`]).
//!
//! `platform/tests/phone_pages.rs` loads every such page in headless Chromium at a phone's
//! size and checks what it shows.

use rusqlite::{Connection, OptionalExtension};

use crate::sim::http::Response;
use crate::sim::store::ApiError;

/// The colour of a page's status line: what kind of news it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    /// Good news: confirmed, genuine.
    Good,
    /// Act now: your number is called.
    Act,
    /// Something is wrong or unknown: not found, cancelled, forged.
    Bad,
    /// Waiting: nothing to do yet.
    Wait,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Act => "act",
            Tone::Bad => "bad",
            Tone::Wait => "wait",
        }
    }
}

/// A text in both languages: Chinese first, English below.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bilingual<'a> {
    /// Chinese.
    pub zh: &'a str,
    /// English.
    pub en: &'a str,
}

/// A text in both languages; both are escaped when the page is written.
pub(super) const fn zh_en<'a>(zh: &'a str, en: &'a str) -> Bilingual<'a> {
    Bilingual { zh, en }
}

/// One page for a citizen's phone.
#[derive(Debug)]
pub(super) struct PhonePage<'a> {
    /// HTTP status: 200, or 404 for an unknown ticket or booking (the page still tells
    /// the citizen what to do).
    pub status: u16,
    /// The status line at the top, in the page's [`Tone`]; also the document's title.
    pub headline: Bilingual<'a>,
    /// Its colour.
    pub tone: Tone,
    /// The page's own content: HTML from [`big`], [`line`], [`list`] (escaped there).
    pub body: String,
    /// What the citizen does next.
    pub next: Bilingual<'a>,
    /// The small print at the bottom (when, refresh), both languages.
    pub footer: Option<Bilingual<'a>>,
    /// Reload every so many seconds (the queue moves); `None` for pages that do not
    /// change by themselves.
    pub refresh_secs: Option<u32>,
}

impl PhonePage<'_> {
    /// The page as an HTTP response, with the hall's name read from the catalog.
    pub(super) fn respond(&self, conn: &Connection) -> Result<Response, ApiError> {
        let hall = hall_names(conn)?;
        Ok(Response::new(
            self.status,
            "text/html; charset=utf-8",
            self.html(&hall).into_bytes(),
        )
        // Counts and states change by the minute; a cached page would mislead.
        .with_header("Cache-Control", "no-store")
        // No page of ours needs anything from elsewhere; say so to the browser.
        .with_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        )
        .with_header("Referrer-Policy", "no-referrer"))
    }

    /// The HTML document.
    fn html(&self, hall: &(String, String)) -> String {
        let refresh = self
            .refresh_secs
            .map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">"))
            .unwrap_or_default();
        let footer = self
            .footer
            .map(|f| format!("<footer>{}</footer>", both(f)))
            .unwrap_or_default();
        format!(
            "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             {refresh}<title>{title_zh} · {title_en}</title><style>{STYLE}</style></head>\
             <body><header><span class=\"zh\">{hall_zh}</span>\
             <span class=\"en\">{hall_en}</span></header><main>\
             <h1 class=\"{tone}\">{headline}</h1>{body}\
             <section class=\"next\"><h2><span class=\"zh\">下一步</span>\
             <span class=\"en\">What to do next</span></h2>{next}</section>\
             {footer}</main></body></html>\n",
            title_zh = escape(self.headline.zh),
            title_en = escape(self.headline.en),
            hall_zh = escape(&hall.0),
            hall_en = escape(&hall.1),
            tone = self.tone.class(),
            headline = both(self.headline),
            body = self.body,
            next = both(self.next),
        )
    }
}

/// The page's style, inline (no external assets). The smallest text is 18 px: the
/// English lines and the footer.
const STYLE: &str = "\
html{font-size:20px;-webkit-text-size-adjust:100%}\
body{margin:0;font-family:\"WenQuanYi Micro Hei\",\"Noto Sans CJK SC\",\"PingFang SC\",\
\"Microsoft YaHei\",sans-serif;color:#1a1a1a;background:#f4f6f8;line-height:1.4}\
header{background:#0b4f8a;color:#fff;padding:14px 16px}\
header .zh{font-size:22px;font-weight:bold}header .en{color:#dce8f4}\
main{padding:8px 16px 24px;max-width:560px;margin:0 auto}\
.zh,.en{display:block}.en{font-size:18px;color:#555}\
h1{font-size:26px;margin:16px 0 8px;padding:10px 12px;border-radius:8px;background:#fff}\
h1 .en{font-size:20px;font-weight:normal;color:inherit}\
h1.good{color:#0a6b2a;border-left:8px solid #0a6b2a}\
h1.act{color:#b00020;border-left:8px solid #b00020}\
h1.bad{color:#8a3b00;border-left:8px solid #8a3b00}\
h1.wait{color:#0b4f8a;border-left:8px solid #0b4f8a}\
.big{font-size:56px;font-weight:bold;text-align:center;margin:12px 0;letter-spacing:2px}\
.big.date{font-size:30px;letter-spacing:0}.big .en{font-size:20px;font-weight:normal}\
p,.list{margin:10px 0;padding:12px;background:#fff;border-radius:8px}\
.list h2{font-size:20px;margin:0}\
ul{margin:6px 0 0;padding-left:28px}li{margin:6px 0}\
p .zh+.en+.zh{margin-top:6px}\
.next{margin-top:16px;padding:12px;background:#fff8d6;border-radius:8px;\
border:2px solid #e5c100}\
.next h2{font-size:20px;margin:0 0 6px}h2 span.zh,h2 span.en{display:inline}\
h2 .en{margin-left:10px}\
footer{margin-top:16px;font-size:18px;color:#555}\
b{font-size:1.2em}";

/// The big line of a page: the ticket number, the appointment's time; `en` below it
/// when the big text alone is not readable in English.
pub(super) fn big(text: &str, en: Option<&str>, class: &str) -> String {
    let en = en
        .map(|en| format!("<span class=\"en\">{}</span>", escape(en)))
        .unwrap_or_default();
    format!(
        "<p class=\"big {class}\"><span class=\"zh\">{}</span>{en}</p>",
        escape(text)
    )
}

/// A paragraph in both languages. `zh` and `en` are HTML: callers escape what they put in
/// (see [`escape`]); this lets them bold a figure.
pub(super) fn line_html(zh: &str, en: &str) -> String {
    format!("<p><span class=\"zh\">{zh}</span><span class=\"en\">{en}</span></p>")
}

/// A paragraph in both languages, escaped.
pub(super) fn line(text: Bilingual<'_>) -> String {
    format!("<p>{}</p>", both(text))
}

/// One card of several lines, each in both languages (a matter and its area).
pub(super) fn card(lines: &[Bilingual<'_>]) -> String {
    format!(
        "<p>{}</p>",
        lines.iter().map(|l| both(*l)).collect::<Vec<_>>().join("")
    )
}

/// A titled list in both languages: each item in Chinese with its English below when the
/// two lists pair up, otherwise the Chinese items, then the English ones.
pub(super) fn list(title: Bilingual<'_>, zh: &[String], en: &[String]) -> String {
    let items = if zh.len() == en.len() {
        zh.iter()
            .zip(en)
            .map(|(zh, en)| format!("<li>{}</li>", both(zh_en(zh, en))))
            .collect::<String>()
    } else {
        let one = |items: &[String], class: &str| {
            items
                .iter()
                .map(|i| format!("<li><span class=\"{class}\">{}</span></li>", escape(i)))
                .collect::<String>()
        };
        one(zh, "zh") + &one(en, "en")
    };
    format!(
        "<div class=\"list\"><h2>{}</h2><ul>{items}</ul></div>",
        both(title)
    )
}

/// A day as the citizen reads it: `(12月3日 周四, Thu 3 Dec 2026)`.
pub(super) fn day_names(day: chrono::NaiveDate) -> (String, String) {
    use chrono::Datelike;
    const WEEKDAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    let weekday = WEEKDAYS_ZH[day.weekday().num_days_from_monday() as usize];
    (
        format!("{}月{}日 {weekday}", day.month(), day.day()),
        day.format("%a %-d %b %Y").to_string(),
    )
}

fn both(text: Bilingual<'_>) -> String {
    format!(
        "<span class=\"zh\">{}</span><span class=\"en\">{}</span>",
        escape(text.zh),
        escape(text.en)
    )
}

/// The hall's names `(zh, en)` from the catalog; a blank pair when none is configured
/// (the page must still tell the citizen what they came for).
fn hall_names(conn: &Connection) -> Result<(String, String), ApiError> {
    Ok(conn
        .query_row("SELECT name_zh, name_en FROM hall LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .unwrap_or_default())
}

/// `s` as HTML text or attribute value.
pub(super) fn escape(s: &str) -> String {
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

    #[test]
    fn the_shell_escapes_every_text_and_puts_chinese_first() {
        let page = PhonePage {
            status: 200,
            headline: zh_en("<已确认>", "<Confirmed>"),
            tone: Tone::Good,
            body: line(zh_en("中文", "English")),
            next: zh_en("请到窗口", "Go to the counter"),
            footer: Some(zh_en("页脚", "footer")),
            refresh_secs: Some(30),
        };
        let html = page.html(&("示范厅".into(), "Demo <Hall>".into()));
        assert!(html.contains("&lt;已确认&gt;") && !html.contains("<已确认>"));
        assert!(html.contains("Demo &lt;Hall&gt;"));
        assert!(html.contains("content=\"30\""));
        assert!(html.find("中文").unwrap() < html.find("English").unwrap());
        assert!(html.contains("name=\"viewport\""));
        // Nothing from elsewhere.
        for outside in ["http://", "https://", "src=", "@import", "url("] {
            assert!(!html.contains(outside), "{outside} in {html}");
        }
    }

    #[test]
    fn no_text_is_smaller_than_18_px() {
        for size in STYLE.split("font-size:").skip(1) {
            let value: String = size
                .chars()
                .take_while(|c| *c != ';' && *c != '}')
                .collect();
            if let Some(px) = value.strip_suffix("px") {
                assert!(px.parse::<u32>().unwrap() >= 18, "{value}");
            } else {
                // Relative sizes only grow.
                let em = value.strip_suffix("em").unwrap_or(&value);
                assert!(em.parse::<f32>().unwrap() >= 1.0, "{value}");
            }
        }
    }
}
