//! The receipt of a paid traffic fine (交通违法罚款缴款凭证), as ESC/POS bytes for the 80 mm
//! receipt printer: the payment serial large (what a counter or the penalty system asks
//! for), the amount paid with its fine and late fee, the decision number and the plate
//! masked (the slip may be left behind), the offence and when it was paid.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kiosk_platform::api::traffic_fine::{mask_decision_number, mask_plate};
use printer::escpos::{Align, EscPosBuilder};

use super::medical_statement::yuan;

/// Everything printed on the receipt. The decision number and plate arrive in full and are
/// masked here, so no caller can forget.
#[derive(Clone, PartialEq, Eq)]
pub struct FineReceipt {
    /// Hall name, Chinese.
    pub hall_name: String,
    /// Hall name, English (empty when the catalog does not say).
    pub hall_name_en: String,
    /// The payment serial.
    pub serial: String,
    /// The platform's order id.
    pub order_id: String,
    /// The decision number.
    pub decision_number: String,
    /// The plate.
    pub plate: String,
    /// The offence, Chinese.
    pub offence_zh: String,
    /// The offence, English.
    pub offence_en: String,
    /// The day of the offence.
    pub occurred_on: NaiveDate,
    /// The fine, fen.
    pub amount_fen: i64,
    /// The late fee, fen.
    pub late_fee_fen: i64,
    /// Paid, fen.
    pub total_fen: i64,
    /// When it was paid.
    pub paid_at: DateTime<Utc>,
    /// Printed again by staff (the slip says so).
    pub reprint: bool,
}

impl std::fmt::Debug for FineReceipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FineReceipt")
            .field("serial", &self.serial)
            .field("reprint", &self.reprint)
            .finish_non_exhaustive()
    }
}

/// Lays the receipt out, every line in Chinese and in English.
pub fn render(r: &FineReceipt) -> Vec<u8> {
    let hall_time = FixedOffset::east_opt(kiosk_platform::api::HALL_UTC_OFFSET_SECS)
        .map(|o| {
            r.paid_at
                .with_timezone(&o)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default();
    let mut b = EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .line(&r.hall_name)
        .bold(false);
    if !r.hall_name_en.is_empty() {
        b = b.line(&r.hall_name_en);
    }
    b = b
        .line("交通违法罚款缴款凭证")
        .line("Traffic fine payment receipt");
    if r.reprint {
        b = b.bold(true).line("（补打 Reprint）").bold(false);
    }
    b = b
        .feed(1)
        .line("缴款流水号 Payment serial")
        .bold(true)
        .size(1, 2)
        .line(&r.serial)
        .size(1, 1)
        .bold(false)
        .feed(1)
        .line("实缴金额 Amount paid")
        .bold(true)
        .size(2, 2)
        .line(&yuan(r.total_fen))
        .size(1, 1)
        .bold(false)
        .feed(1)
        .align(Align::Left)
        .line(&format!("罚款 Fine: {}", yuan(r.amount_fen)))
        .line(&format!("滞纳金 Late fee: {}", yuan(r.late_fee_fen)))
        .line(&format!(
            "决定书编号 Decision: {}",
            mask_decision_number(&r.decision_number)
        ))
        .line(&format!("号牌号码 Plate: {}", mask_plate(&r.plate)))
        .line(&format!("违法行为 Offence: {}", r.offence_zh));
    if !r.offence_en.is_empty() {
        b = b.line(&format!("  {}", r.offence_en));
    }
    b.line(&format!(
        "违法日期 Date: {}",
        r.occurred_on.format("%Y-%m-%d")
    ))
    .line(&format!("缴款时间 Paid: {hall_time}"))
    .line(&format!("订单号 Order: {}", r.order_id))
    .feed(1)
    .line("请妥善保管本凭证。")
    .line("Keep this receipt as proof of payment.")
    .feed(3)
    .cut(true)
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(hay: &[u8], text: &str) -> bool {
        let (needle, _, _) = encoding_rs::GB18030.encode(text);
        hay.windows(needle.len()).any(|w| w == &*needle)
    }

    #[test]
    fn the_receipt_carries_the_serial_and_amount_and_masks_the_rest() {
        let mut r = crate::documents::samples::fine_receipt();
        let bytes = render(&r);
        for text in [
            "20261201101500A1B2C3",
            "¥260.00",
            "¥60.00",
            "1101********7002",
            "京A***45",
        ] {
            assert!(has(&bytes, text), "{text}");
        }
        assert!(!has(&bytes, "1101051234567002") && !has(&bytes, "京A12345"));
        assert!(!has(&bytes, "补打"));
        r.reprint = true;
        assert!(has(&render(&r), "补打"));
    }
}
