//! The queue ticket as ESC/POS bytes for an 80 mm receipt printer.

use chrono::NaiveDateTime;
use printer::escpos::{Align, EscPosBuilder};

/// Everything printed on a ticket. Personal data arrives already masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketPrint {
    /// Hall name, Chinese.
    pub hall_name: String,
    /// Hall name, English (empty when the catalog does not say).
    pub hall_name_en: String,
    /// Area name (Chinese) as the staff call it.
    pub area_name: String,
    /// Area name, English.
    pub area_name_en: String,
    /// Where the area is (floor, windows), Chinese and English; empty when the catalog
    /// does not say.
    pub location_zh: String,
    /// Where the area is, English.
    pub location_en: String,
    /// `A012`.
    pub display_number: String,
    /// People ahead.
    pub people_ahead: u32,
    /// Local time of issue.
    pub issued_at: NaiveDateTime,
    /// ID number, first 6 and last 4 shown.
    pub masked_id: String,
    /// Mobile number for the SMS, masked; None when the citizen left none.
    pub masked_phone: Option<String>,
    /// Link that follows the queue on a phone.
    pub follow_url: String,
}

/// Lays the ticket out: hall, area and where it is, the number large, people ahead, time,
/// masked ID, QR, "valid today only", cut. Every line in Chinese and in English: one ticket
/// serves the citizen in either language and the staff who call the number.
pub fn render(t: &TicketPrint) -> Vec<u8> {
    layout(t, None)
}

/// The booking an appointment's priority ticket names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    /// The slot, `09:30-10:00`.
    pub slot: String,
    /// The matter, Chinese.
    pub matter_zh: String,
    /// The matter, English.
    pub matter_en: String,
}

/// An appointment's priority ticket (check-in on the day): the same layout, headed
/// "预约优先 Appointment · priority" with the booking (time and matter) under it, so the
/// staff calling the number see it is an appointment.
pub fn render_appointment(t: &TicketPrint, booked: &Booked) -> Vec<u8> {
    layout(t, Some(booked))
}

fn layout(t: &TicketPrint, appointment: Option<&Booked>) -> Vec<u8> {
    let mut b = EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .size(1, 1)
        .line(&t.hall_name)
        .bold(false);
    if !t.hall_name_en.is_empty() {
        b = b.line(&t.hall_name_en);
    }
    b = match appointment {
        None => b.line("排队号票 Queue Ticket"),
        Some(booked) => b
            .bold(true)
            .line("预约优先 Appointment · priority")
            .bold(false)
            .line(&format!("{} {}", booked.slot, booked.matter_zh))
            .line(&booked.matter_en),
    };
    let mut b = b.feed(1).size(2, 2).line(&t.area_name).size(1, 1);
    if !t.area_name_en.is_empty() && t.area_name_en != t.area_name {
        b = b.line(&t.area_name_en);
    }
    if !t.location_zh.is_empty() {
        b = b.line(&format!("请到 {} 等候叫号", t.location_zh));
        if !t.location_en.is_empty() {
            b = b.line(&format!("Go to {} and wait", t.location_en));
        }
    }
    let mut b = b
        .bold(true)
        .size(4, 4)
        .line(&t.display_number)
        .bold(false)
        .size(1, 1)
        .feed(1)
        .line(&format!(
            "您前面还有 {} 人 / {} ahead",
            t.people_ahead, t.people_ahead
        ))
        .feed(1)
        .align(Align::Left)
        .line(&format!(
            "取号时间 Issued: {}",
            t.issued_at.format("%Y-%m-%d %H:%M")
        ));
    // A ticket taken without a card (a scanned appointment slip) has no ID line.
    if !t.masked_id.is_empty() {
        b = b.line(&format!("身份证号 ID: {}", t.masked_id));
    }
    if let Some(phone) = &t.masked_phone {
        b = b.line(&format!("短信提醒 SMS: {phone}"));
    }
    b.feed(1)
        .align(Align::Center)
        .qr(&t.follow_url, 6)
        .line("微信/手机扫码查看排队进度")
        .line("Scan to follow the queue")
        .feed(1)
        .line("本号仅限当日有效 / Valid today only")
        .line("请留意叫号，过号请重新取号")
        .line("Missed your number? Take a new one.")
        .feed(3)
        .cut(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TicketPrint {
        let mut t = crate::documents::samples::ticket();
        t.follow_url = "http://127.0.0.1:1/follow/abc".into();
        t
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn ticket_bytes_hold_the_number_large_the_qr_and_a_cut() {
        let bytes = render(&sample());
        // Starts with ESC @ (initialise).
        assert_eq!(&bytes[..2], b"\x1b@");
        // The number is printed at 4x4: GS ! 0x33, then the number, then LF.
        let number = find(&bytes, b"A012\n").expect("number line");
        let size = find(&bytes, &[0x1d, 0x21, 0x33]).expect("4x4 size");
        assert!(size < number);
        // Chinese text is GB18030: 综合受理.
        let (gb, _, bad) = encoding_rs::GB18030.encode("综合受理");
        assert!(!bad);
        assert!(find(&bytes, &gb).is_some());
        // The QR is stored with GS ( k fn 80, carrying the follow URL, then printed (fn 81).
        let url = b"http://127.0.0.1:1/follow/abc";
        let store = find(&bytes, &[0x1d, 0x28, 0x6b]).expect("GS ( k");
        assert!(find(&bytes, url).unwrap() > store);
        assert!(find(&bytes, &[0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]).is_some());
        // Ends with a cut (GS V).
        assert!(find(&bytes[bytes.len() - 6..], &[0x1d, 0x56]).is_some());
        // The full ID number never appears: only the masked one.
        let (masked, _, _) = encoding_rs::GB18030.encode("110101********0015");
        assert!(find(&bytes, &masked).is_some());
    }

    #[test]
    fn the_appointment_ticket_says_priority_and_the_booking() {
        let mut t = sample();
        t.display_number = "B-Y001".into();
        let booked = Booked {
            slot: "09:30-10:00".into(),
            matter_zh: "社保卡补办".into(),
            matter_en: "Replace a social security card".into(),
        };
        let bytes = render_appointment(&t, &booked);
        for want in [
            "预约优先",
            "09:30-10:00 社保卡补办",
            "Replace a social security card",
            "B-Y001",
        ] {
            let (gb, _, _) = encoding_rs::GB18030.encode(want);
            assert!(find(&bytes, &gb).is_some(), "{want}");
        }
        let (plain, _, _) = encoding_rs::GB18030.encode("排队号票");
        assert!(find(&bytes, &plain).is_none());
        t.masked_id = String::new();
        let (id, _, _) = encoding_rs::GB18030.encode("身份证号");
        assert!(find(&render(&t), &id).is_none());
    }

    #[test]
    fn the_ticket_says_where_to_go_and_that_it_is_valid_today_only() {
        let bytes = render(&sample());
        for want in [
            "请到 一楼 1–6 号窗口 等候叫号",
            "Go to Floor 1, windows 1–6 and wait",
            "本号仅限当日有效",
        ] {
            let (gb, _, bad) = encoding_rs::GB18030.encode(want);
            assert!(!bad, "{want}");
            assert!(find(&bytes, &gb).is_some(), "{want}");
        }
        // An older catalog with no locations: no empty "go to" line.
        let mut t = sample();
        t.location_zh = String::new();
        t.location_en = String::new();
        let (go, _, _) = encoding_rs::GB18030.encode("请到");
        assert!(find(&render(&t), &go).is_none());
    }

    #[test]
    fn no_phone_no_sms_line() {
        let mut t = sample();
        t.masked_phone = None;
        let (sms, _, _) = encoding_rs::GB18030.encode("短信提醒");
        assert!(find(&render(&t), &sms).is_none());
    }
}
