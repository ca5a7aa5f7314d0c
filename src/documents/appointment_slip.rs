//! The appointment slip as ESC/POS bytes for an 80 mm receipt printer.

use chrono::{Datelike, NaiveDate, NaiveTime};
use printer::escpos::{Align, EscPosBuilder};

/// Everything printed on a slip. Personal data arrives already masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipPrint {
    /// Hall name, Chinese.
    pub hall_name: String,
    /// Hall name, English (empty when the catalog does not say).
    pub hall_name_en: String,
    /// The platform confirmed the booking; `false` when it is queued (offline).
    pub confirmed: bool,
    /// Matter, Chinese.
    pub matter_zh: String,
    /// Matter, English.
    pub matter_en: String,
    /// Hall-local day.
    pub date: NaiveDate,
    /// Slot start.
    pub start: NaiveTime,
    /// Slot end.
    pub end: NaiveTime,
    /// Where to go: area code and Chinese name, `C 户籍证照`.
    pub area: String,
    /// The same in English, `C Household & ID`.
    pub area_en: String,
    /// What to bring, Chinese, one item each.
    pub bring_zh: Vec<String>,
    /// What to bring, English, item by item as `bring_zh`.
    pub bring_en: Vec<String>,
    /// ID number, first 6 and last 4 shown.
    pub masked_id: String,
    /// Mobile number for the SMS, masked.
    pub masked_phone: String,
    /// The booking's page on a phone (the QR code).
    pub url: String,
}

/// Left margin of the left-aligned lines, in characters: flush with the paper's edge they
/// looked cut off (the printer has no margin of its own on the left).
const INDENT: &str = "    ";

/// `12月2日 星期三`.
fn day_zh(d: NaiveDate) -> String {
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    format!(
        "{}年{}月{}日 星期{}",
        d.year(),
        d.month(),
        d.day(),
        DAYS[d.weekday().num_days_from_monday() as usize]
    )
}

/// `Wednesday 2 December 2026`.
fn day_en(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// Lays the slip out: hall, status, matter, date and time large, area, what to bring, masked
/// ID and phone, QR, cut; every line in Chinese and in English.
pub fn render(s: &SlipPrint) -> Vec<u8> {
    let mut b = EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .line(&s.hall_name)
        .bold(false);
    if !s.hall_name_en.is_empty() {
        b = b.line(&s.hall_name_en);
    }
    b = b.line("办事预约 Appointment").feed(1);
    b = if s.confirmed {
        b.bold(true).line("预约成功 Confirmed").bold(false)
    } else {
        b.bold(true)
            .line("待确认 Pending confirmation")
            .bold(false)
            .line("确认结果将以短信通知")
            .line("An SMS follows")
    };
    b = b
        .feed(1)
        .size(2, 2)
        .line(&s.matter_zh)
        .size(1, 1)
        .line(&s.matter_en)
        .feed(1)
        .size(2, 2)
        .line(&day_zh(s.date))
        .size(1, 1)
        .line(&day_en(s.date))
        .size(2, 2)
        .line(&format!(
            "{}-{}",
            s.start.format("%H:%M"),
            s.end.format("%H:%M")
        ))
        .size(1, 1)
        .feed(1)
        .align(Align::Left)
        .line(&format!("{INDENT}办理区域 Area: {}", s.area));
    if !s.area_en.is_empty() && s.area_en != s.area {
        b = b.line(&format!("{INDENT}  {}", s.area_en));
    }
    b = b.line(&format!("{INDENT}请携带 Please bring:"));
    for (i, item) in s.bring_zh.iter().enumerate() {
        b = b.line(&format!("{INDENT}  · {item}"));
        if let Some(en) = s.bring_en.get(i).filter(|en| !en.is_empty()) {
            b = b.line(&format!("{INDENT}    {en}"));
        }
    }
    b.line(&format!("{INDENT}身份证号 ID: {}", s.masked_id))
        .line(&format!("{INDENT}短信通知 SMS: {}", s.masked_phone))
        .feed(1)
        .align(Align::Center)
        .qr(&s.url, 6)
        .line("手机扫码查看预约")
        .line("Scan to see the appointment")
        .feed(1)
        .line("当天凭身份证或本码在自助机签到")
        .line("Check in at a kiosk on the day")
        .feed(3)
        .cut(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(confirmed: bool) -> SlipPrint {
        crate::documents::samples::appointment_slip(confirmed)
    }

    fn has(hay: &[u8], text: &str) -> bool {
        let (needle, _, _) = encoding_rs::GB18030.encode(text);
        hay.windows(needle.len()).any(|w| w == &*needle)
    }

    #[test]
    fn the_slip_says_what_where_when_and_whether_it_is_confirmed() {
        let bytes = render(&sample(true));
        for text in [
            "社保卡补办",
            "2026年12月2日 星期三",
            "09:30-10:00",
            "B 社保医保",
            "居民身份证原件",
            "110101********0015",
            "预约成功",
            "http://127.0.0.1:1/appointment/b1",
        ] {
            assert!(has(&bytes, text), "{text}");
        }
        assert!(!has(&bytes, "待确认"));
        let pending = render(&sample(false));
        assert!(has(&pending, "待确认") && has(&pending, "确认结果将以短信通知"));
        assert!(!has(&pending, "预约成功"));
        // The left-aligned lines keep off the paper's edge.
        assert!(has(&bytes, "    办理区域") && has(&bytes, "    身份证号"));
    }
}
