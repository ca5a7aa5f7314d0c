//! The acceptance receipt (受理回执) of an application, as ESC/POS bytes for an 80 mm
//! receipt printer: the matter, the case number and its QR to follow the case (or, offline,
//! that the number follows by SMS), the materials received, the delivery and the masked ID.
//! No name, no phone, no address beyond its district (`北京市朝阳区****`): the receipt is the
//! part a citizen may leave behind.

use chrono::NaiveDate;
use kiosk_platform::api::apply::Delivery;
use printer::escpos::{Align, EscPosBuilder};

/// What the offline receipt says in place of the case number.
pub const OFFLINE_ZH: &str = "已提交，受理编号将以短信通知";
/// The same in English.
pub const OFFLINE_EN: &str = "Submitted; the case number follows by SMS";

/// One material of the application as the receipt lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMaterial {
    /// Its name, Chinese.
    pub name_zh: String,
    /// Its name, English.
    pub name_en: String,
    /// Pages scanned.
    pub pages: usize,
    /// Brought to the window instead.
    pub at_window: bool,
}

/// Everything printed. Personal data arrives already masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptanceReceipt {
    /// Hall name, Chinese.
    pub hall_name: String,
    /// Hall name, English (empty when the catalog does not say).
    pub hall_name_en: String,
    /// The matter, Chinese.
    pub matter_zh: String,
    /// The matter, English.
    pub matter_en: String,
    /// The case number; `None` offline.
    pub case_number: Option<String>,
    /// What the QR holds (the signed receipt URL, or the case number); `None` offline.
    pub qr: Option<String>,
    /// The day it was submitted.
    pub submitted_on: NaiveDate,
    /// ID number, first 6 and last 4 shown.
    pub masked_id: String,
    /// Each material of the matter.
    pub materials: Vec<ReceivedMaterial>,
    /// How the result reaches the citizen.
    pub delivery: Delivery,
    /// By post: the address, masked to its district (`app::masking::address`).
    pub post_to: Option<String>,
}

/// Lays the receipt out, every line in Chinese and in English.
pub fn render(r: &AcceptanceReceipt) -> Vec<u8> {
    let mut b = EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .line(&r.hall_name)
        .bold(false);
    if !r.hall_name_en.is_empty() {
        b = b.line(&r.hall_name_en);
    }
    let mut b = b
        .size(2, 2)
        .line("受理回执")
        .size(1, 1)
        .line("Acceptance receipt")
        .feed(1)
        .bold(true)
        .line(&r.matter_zh)
        .bold(false)
        .line(&r.matter_en)
        .feed(1);
    b = match &r.case_number {
        Some(n) => b
            .line("受理编号 Case number")
            .bold(true)
            .size(2, 2)
            .line(n)
            .size(1, 1)
            .bold(false),
        None => b.bold(true).line(OFFLINE_ZH).bold(false).line(OFFLINE_EN),
    };
    b = b
        .feed(1)
        .align(Align::Left)
        .line(&format!(
            "提交日期 Submitted: {}",
            r.submitted_on.format("%Y-%m-%d")
        ))
        .line(&format!("身份证号 ID: {}", r.masked_id))
        .line("已收材料 Materials:")
        .line("  身份证正反面扫描件 ID card, both sides");
    for m in &r.materials {
        let (name, pages) = (&m.name_zh, m.pages);
        b = if m.at_window {
            b.line(&format!("  {name}：窗口补交"))
        } else if pages == 0 {
            b.line(&format!("  {name}：未提交"))
        } else {
            b.line(&format!("  {name}：扫描 {pages} 页"))
        };
        let en = if m.name_en.is_empty() {
            "Material"
        } else {
            &m.name_en
        };
        b = if m.at_window {
            b.line(&format!("    {en}: at the window"))
        } else if pages == 0 {
            b.line(&format!("    {en}: none"))
        } else {
            let s = if pages == 1 { "" } else { "s" };
            b.line(&format!("    {en}: {pages} page{s} scanned"))
        };
    }
    b = match (r.delivery, &r.post_to) {
        (Delivery::Window, _) => b.line("领取方式：窗口领取 Pick up at the window"),
        (Delivery::Post, Some(to)) => b
            .line("领取方式：邮寄 By post")
            .line(&format!("  邮寄地址 To：{to}")),
        (Delivery::Post, None) => b.line("领取方式：邮寄 By post"),
    };
    if r.materials.iter().any(|m| m.at_window) {
        b = b
            .line("请携带窗口补交的材料到综合受理窗口。")
            .line("Bring the materials marked 'at the")
            .line("window' to the general affairs counter.");
    }
    if let Some(qr) = &r.qr {
        b = b
            .feed(1)
            .align(Align::Center)
            .qr(qr, 6)
            .line("扫码或在本机输入编号查询办理进度")
            .line("Scan or type the number to follow");
    } else {
        b = b
            .feed(1)
            .line("收到短信后可凭编号查询办理进度。")
            .line("Follow the case with the number in the SMS.");
    }
    b.feed(3).cut(true).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(hay: &[u8], text: &str) -> bool {
        let (needle, _, _) = encoding_rs::GB18030.encode(text);
        hay.windows(needle.len()).any(|w| w == &*needle)
    }

    fn receipt(case: Option<&str>) -> AcceptanceReceipt {
        crate::documents::samples::acceptance_receipt(case)
    }

    #[test]
    fn by_post_the_receipt_shows_the_address_masked() {
        let mut r = receipt(Some("LR-20261201-000101"));
        r.delivery = Delivery::Post;
        r.post_to = Some("北京市朝阳区****".into());
        let bytes = render(&r);
        assert!(has(&bytes, "领取方式：邮寄"));
        assert!(has(&bytes, "北京市朝阳区****"));
    }

    #[test]
    fn the_receipt_names_the_case_or_promises_the_sms() {
        let online = render(&receipt(Some("LR-20261201-000101")));
        for text in [
            "受理回执",
            "老人卡申办",
            "LR-20261201-000101",
            "510107********4228",
            "扫描 2 页",
            "窗口补交",
            "窗口领取",
        ] {
            assert!(has(&online, text), "{text}");
        }
        let offline = render(&receipt(None));
        assert!(has(&offline, OFFLINE_ZH));
        assert!(!has(&offline, "LR-"));
    }
}
