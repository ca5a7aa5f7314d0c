//! The medical-insurance statement (医保个人账户对账单): what the medical-insurance service
//! shows and prints, and its one-page A4 layout.
//!
//! The page carries the holder's name, the ID number masked, the period, the balance, a bar
//! chart of each month's spending drawn as vectors, the twelve months of contributions and
//! the year's spending summed by kind (门诊/住院/药店, so a hospital stay months ago is never
//! left off) and the latest [`PRINTED_RECORDS`] records: one page, because a statement is
//! taken away and a second sheet gets lost; the page says how many older records it leaves
//! out and their sum (the screen lists them all).
//!
//! Money is integer fen (分) throughout, never a float; [`yuan`] writes it as `¥1,234.56`.

use chrono::{NaiveDate, NaiveDateTime};

use super::pdf::{text_width_mm, A4Page, MARGIN, PAGE_W};
use super::DocumentError;

/// How many spending records fit the page under the chart, the contributions and the sums
/// by kind.
pub const PRINTED_RECORDS: usize = 8;

/// What went in for one month.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Paid {
    /// Contribution base, fen.
    pub base_fen: i64,
    /// Employer's part, fen.
    pub employer_fen: i64,
    /// The citizen's part, fen.
    pub personal_fen: i64,
    /// Credited to the personal account, fen.
    pub credited_fen: i64,
}

/// One month of contributions.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MonthRow {
    /// Year.
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// `None`: no contribution that month.
    pub paid: Option<Paid>,
}

impl MonthRow {
    /// `2026-03`.
    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// Where the money was spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendKind {
    /// 门诊.
    Outpatient,
    /// 住院.
    Inpatient,
    /// 药店.
    Pharmacy,
}

impl SpendKind {
    /// The hall's word for it.
    pub fn label_zh(self) -> &'static str {
        match self {
            SpendKind::Outpatient => "门诊",
            SpendKind::Inpatient => "住院",
            SpendKind::Pharmacy => "药店",
        }
    }

    /// English.
    pub fn label_en(self) -> &'static str {
        match self {
            SpendKind::Outpatient => "Outpatient",
            SpendKind::Inpatient => "Hospital stay",
            SpendKind::Pharmacy => "Pharmacy",
        }
    }
}

/// One settlement.
#[derive(Clone, PartialEq, Eq)]
pub struct SpendRow {
    /// Day of the settlement.
    pub date: NaiveDate,
    /// Hospital or pharmacy, Chinese.
    pub place_zh: String,
    /// The same in English.
    pub place_en: String,
    /// Outpatient, inpatient, pharmacy.
    pub kind: SpendKind,
    /// The whole bill, fen.
    pub amount_fen: i64,
    /// Paid by the pooled fund, fen.
    pub fund_fen: i64,
    /// Paid by the citizen, fen.
    pub own_fen: i64,
}

/// One month's spending, for the bar chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSpend {
    /// Year.
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// All bills of the month, fen.
    pub amount_fen: i64,
    /// Of which the fund paid, fen.
    pub fund_fen: i64,
    /// Of which the citizen paid, fen.
    pub own_fen: i64,
}

/// Sums over records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// How many records.
    pub count: usize,
    /// Bills, fen.
    pub amount_fen: i64,
    /// Fund, fen.
    pub fund_fen: i64,
    /// Citizen, fen.
    pub own_fen: i64,
}

impl Totals {
    /// The sums of `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a SpendRow>) -> Totals {
        rows.into_iter().fold(Totals::default(), |t, r| Totals {
            count: t.count + 1,
            amount_fen: t.amount_fen + r.amount_fen,
            fund_fen: t.fund_fen + r.fund_fen,
            own_fen: t.own_fen + r.own_fen,
        })
    }
}

/// A holder's medical-insurance account as shown and printed. Personal data (name, ID,
/// amounts of a person's money): its `Debug` shows the shape only.
#[derive(Clone, PartialEq, Eq)]
pub struct Statement {
    /// The holder's name (from the card).
    pub holder_name: String,
    /// ID number masked (`110101********0017`).
    pub masked_id: String,
    /// The day the platform's figures are from.
    pub as_of: NaiveDate,
    /// The personal account's balance, fen.
    pub balance_fen: i64,
    /// Twelve months, oldest first.
    pub months: Vec<MonthRow>,
    /// Settlements, newest first.
    pub spending: Vec<SpendRow>,
}

impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("as_of", &self.as_of)
            .field("months", &self.months.len())
            .field("spending", &self.spending.len())
            .finish_non_exhaustive()
    }
}

impl Statement {
    /// The period, `2025-12 至 2026-11` style ends: first and last month.
    pub fn period(&self) -> (String, String) {
        let label = |m: Option<&MonthRow>| m.map(MonthRow::label).unwrap_or_default();
        (label(self.months.first()), label(self.months.last()))
    }

    /// Each month's spending, in the months' order (a month with none is zero).
    pub fn monthly_spending(&self) -> Vec<MonthSpend> {
        use chrono::Datelike;
        self.months
            .iter()
            .map(|m| {
                let t = Totals::of(
                    self.spending
                        .iter()
                        .filter(|r| r.date.year() == m.year && r.date.month() == m.month),
                );
                MonthSpend {
                    year: m.year,
                    month: m.month,
                    amount_fen: t.amount_fen,
                    fund_fen: t.fund_fen,
                    own_fen: t.own_fen,
                }
            })
            .collect()
    }

    /// The sums of every record.
    pub fn totals(&self) -> Totals {
        Totals::of(&self.spending)
    }
}

/// `¥1,234.56` (a minus sign before the ¥ for a negative amount).
pub fn yuan(fen: i64) -> String {
    money(fen, true)
}

/// `¥1,235`: rounded to the yuan (half up), for the labels over a chart's bars.
pub fn whole_yuan(fen: i64) -> String {
    let rounded = (fen.unsigned_abs() + 50) / 100 * 100;
    money(fen.signum() * rounded as i64, false)
}

fn money(fen: i64, cents: bool) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if cents {
        format!("{sign}¥{grouped}.{:02}", fen % 100)
    } else {
        format!("{sign}¥{grouped}")
    }
}

const TITLE: &str = "医保个人账户对账单";
const ROW_PT: f32 = 8.5;
const ROW_MM: f32 = 4.6;
const RIGHT: f32 = PAGE_W - MARGIN;

/// Colours of the chart: the fund's part dark, the citizen's light.
const FUND_RGB: (f32, f32, f32) = (0.12, 0.31, 0.55);
const OWN_RGB: (f32, f32, f32) = (0.55, 0.72, 0.90);

/// Width of `s` in mm: `text_width_mm` counts `¥` as a square CJK glyph, but the font draws
/// it half as wide as the digits' em, like the Latin it is.
fn width(s: &str, size: f32) -> f32 {
    let yen = s.matches('¥').count() as f32;
    text_width_mm(s, size) - yen * 0.45 * size * 25.4 / 72.0
}

fn right(p: &A4Page, s: &str, size: f32, x_right: f32, top: f32) {
    p.text(s, size, x_right - width(s, size), top);
}

/// A table row: the first columns left-aligned at their x, the rest right-aligned at theirs.
fn row(p: &A4Page, cells: &[&str], left: &[f32], right_edges: &[f32], size: f32, top: f32) {
    for (i, cell) in cells.iter().enumerate() {
        if i < left.len() {
            p.text(cell, size, left[i], top);
        } else if let Some(x) = right_edges.get(i - left.len()) {
            right(p, cell, size, *x, top);
        }
    }
}

/// Cuts `s` to about `width` mm so a long place name does not run into the next column.
fn fit(s: &str, size: f32, width: f32) -> String {
    if text_width_mm(s, size) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if text_width_mm(&out, size) > width - text_width_mm("…", size) {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

/// Lays the statement out as one A4 page, `printed_at` in hall time, `hall_name` at the top.
pub fn render(
    s: &Statement,
    hall_name: &str,
    printed_at: NaiveDateTime,
    font: &[u8],
) -> Result<Vec<u8>, DocumentError> {
    let p = A4Page::new(TITLE, font)?;
    p.fill(0.0, 0.0, 0.0);
    p.text_centered(hall_name, 10.0, 18.0);
    p.text_centered(TITLE, 20.0, 30.0);
    p.line(MARGIN, 35.0, RIGHT, 35.0, 1.0);

    let (from, to) = s.period();
    p.text(&format!("姓名：{}", s.holder_name), 11.0, MARGIN, 43.0);
    p.text(&format!("身份证号：{}", s.masked_id), 11.0, 95.0, 43.0);
    p.text(&format!("对账期间：{from} 至 {to}"), 11.0, MARGIN, 50.0);
    p.text(
        &format!("打印时间：{}", printed_at.format("%Y-%m-%d %H:%M")),
        11.0,
        95.0,
        50.0,
    );

    // The balance, boxed.
    p.frame(MARGIN, 55.0, RIGHT - MARGIN, 14.0, 0.8);
    p.text(
        &format!("个人账户余额（截至 {}）", s.as_of.format("%Y-%m-%d")),
        11.0,
        MARGIN + 4.0,
        64.0,
    );
    right(&p, &yuan(s.balance_fen), 18.0, RIGHT - 4.0, 65.5);

    chart(&p, s, 75.0);
    let next = contributions(&p, s, 123.0);
    spending(&p, s, next + 5.5);

    p.fill(0.35, 0.35, 0.35);
    p.line(MARGIN, 283.0, RIGHT, 283.0, 0.5);
    p.text(
        "本对账单由自助终端打印，仅供本人查阅；金额以医保经办机构记录为准。",
        8.0,
        MARGIN,
        288.0,
    );
    p.finish()
}

/// The monthly spending as stacked bars (fund below, citizen above), month labels under
/// them, the amount over the tallest bars. `top` is the chart's title line.
fn chart(p: &A4Page, s: &Statement, top: f32) {
    let months = s.monthly_spending();
    p.fill(0.0, 0.0, 0.0);
    p.text("每月医疗费用", 11.0, MARGIN, top);
    // Legend.
    let (lx, ly) = (RIGHT - 62.0, top - 3.0);
    p.fill(FUND_RGB.0, FUND_RGB.1, FUND_RGB.2);
    p.fill_rect(lx, ly, 4.0, 3.0);
    p.fill(OWN_RGB.0, OWN_RGB.1, OWN_RGB.2);
    p.fill_rect(lx + 30.0, ly, 4.0, 3.0);
    p.fill(0.0, 0.0, 0.0);
    p.text("统筹基金支付", 8.0, lx + 5.5, top);
    p.text("个人支付", 8.0, lx + 35.5, top);

    let base = top + 36.0;
    let height = 28.0;
    let max = months.iter().map(|m| m.amount_fen).max().unwrap_or(0);
    let slot = (RIGHT - MARGIN) / months.len().max(1) as f32;
    let bar = slot * 0.6;
    p.line(MARGIN, base, RIGHT, base, 0.6);
    // The amounts of the three tallest months are written over their bars.
    let mut ranked: Vec<i64> = months.iter().map(|m| m.amount_fen).collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    let label_from = ranked.get(2).copied().unwrap_or(0).max(1);
    for (i, m) in months.iter().enumerate() {
        let x = MARGIN + slot * i as f32 + (slot - bar) / 2.0;
        let h = |fen: i64| {
            if max == 0 {
                0.0
            } else {
                fen as f32 / max as f32 * height
            }
        };
        let (fund_h, own_h) = (h(m.fund_fen), h(m.own_fen));
        if fund_h > 0.0 {
            p.fill(FUND_RGB.0, FUND_RGB.1, FUND_RGB.2);
            p.fill_rect(x, base - fund_h, bar, fund_h);
        }
        if own_h > 0.0 {
            p.fill(OWN_RGB.0, OWN_RGB.1, OWN_RGB.2);
            p.fill_rect(x, base - fund_h - own_h, bar, own_h);
        }
        p.fill(0.0, 0.0, 0.0);
        let label = format!("{}月", m.month);
        p.text(
            &label,
            7.5,
            x + bar / 2.0 - text_width_mm(&label, 7.5) / 2.0,
            base + 4.0,
        );
        if m.amount_fen >= label_from {
            let amount = yuan(m.amount_fen);
            let size = 6.5;
            p.text(
                &amount,
                size,
                x + bar / 2.0 - width(&amount, size) / 2.0,
                base - fund_h - own_h - 1.2,
            );
        }
    }
    if max == 0 {
        p.text_centered("近十二个月无医疗费用记录", 10.0, base - 14.0);
    }
}

/// The contributions table; returns the top of the line after it.
fn contributions(p: &A4Page, s: &Statement, top: f32) -> f32 {
    p.fill(0.0, 0.0, 0.0);
    p.text("缴费明细（近十二个月）", 11.0, MARGIN, top);
    let left = [MARGIN + 1.0];
    let rights = [80.0, 111.0, 141.0, RIGHT - 1.0];
    let head = top + 7.0;
    row(
        p,
        &["月份", "缴费基数", "单位缴纳", "个人缴纳", "划入个人账户"],
        &left,
        &rights,
        ROW_PT,
        head,
    );
    p.line(MARGIN, head + 1.5, RIGHT, head + 1.5, 0.5);
    let mut y = head + 1.5 + ROW_MM;
    for m in &s.months {
        let label = m.label();
        match &m.paid {
            Some(c) => row(
                p,
                &[
                    &label,
                    &yuan(c.base_fen),
                    &yuan(c.employer_fen),
                    &yuan(c.personal_fen),
                    &yuan(c.credited_fen),
                ],
                &left,
                &rights,
                ROW_PT,
                y,
            ),
            None => {
                p.text(&label, ROW_PT, left[0], y);
                p.text("本月未缴费", ROW_PT, 60.0, y);
            }
        }
        y += ROW_MM;
    }
    y
}

/// The year's spending by kind with its total, then the latest records.
fn spending(p: &A4Page, s: &Statement, top: f32) {
    let total = s.totals();
    let left = [MARGIN + 1.0, 44.0, 96.0];
    let rights = [133.0, 158.0, RIGHT - 1.0];
    p.fill(0.0, 0.0, 0.0);
    p.text("医疗费用（近十二个月，按类别合计）", 11.0, MARGIN, top);
    let head = top + 6.5;
    row(
        p,
        &["类别", "笔数", "", "总金额", "统筹支付", "个人支付"],
        &left,
        &rights,
        ROW_PT,
        head,
    );
    p.line(MARGIN, head + 1.5, RIGHT, head + 1.5, 0.5);
    let mut y = head + 1.5 + ROW_MM;
    for kind in [
        SpendKind::Outpatient,
        SpendKind::Inpatient,
        SpendKind::Pharmacy,
    ] {
        let t = Totals::of(s.spending.iter().filter(|r| r.kind == kind));
        row(
            p,
            &[
                kind.label_zh(),
                &format!("{} 笔", t.count),
                "",
                &yuan(t.amount_fen),
                &yuan(t.fund_fen),
                &yuan(t.own_fen),
            ],
            &left,
            &rights,
            ROW_PT,
            y,
        );
        y += ROW_MM;
    }
    p.line(MARGIN, y - ROW_MM + 1.5, RIGHT, y - ROW_MM + 1.5, 0.5);
    row(
        p,
        &[
            "合计",
            &format!("{} 笔", total.count),
            "",
            &yuan(total.amount_fen),
            &yuan(total.fund_fen),
            &yuan(total.own_fen),
        ],
        &left,
        &rights,
        ROW_PT,
        y + 0.5,
    );

    let top = y + 7.0;
    p.text("最近的医疗费用记录", 11.0, MARGIN, top);
    let head = top + 6.5;
    row(
        p,
        &[
            "日期",
            "医院或药店",
            "类别",
            "总金额",
            "统筹支付",
            "个人支付",
        ],
        &left,
        &rights,
        ROW_PT,
        head,
    );
    p.line(MARGIN, head + 1.5, RIGHT, head + 1.5, 0.5);
    let mut y = head + 1.5 + ROW_MM;
    if s.spending.is_empty() {
        p.text("近十二个月无医疗费用记录", ROW_PT, left[0], y);
    }
    for r in s.spending.iter().take(PRINTED_RECORDS) {
        let date = r.date.format("%Y-%m-%d").to_string();
        let place = fit(&r.place_zh, ROW_PT, left[2] - left[1] - 2.0);
        row(
            p,
            &[
                &date,
                &place,
                r.kind.label_zh(),
                &yuan(r.amount_fen),
                &yuan(r.fund_fen),
                &yuan(r.own_fen),
            ],
            &left,
            &rights,
            ROW_PT,
            y,
        );
        y += ROW_MM;
    }
    let left_out = &s.spending[s.spending.len().min(PRINTED_RECORDS)..];
    if !left_out.is_empty() {
        let older = Totals::of(left_out);
        p.fill(0.3, 0.3, 0.3);
        p.text(
            &format!(
                "另有较早记录 {} 笔未列出，合计 {}，已计入上方合计（完整记录请在本机屏幕查看）",
                older.count,
                yuan(older.amount_fen)
            ),
            ROW_PT,
            left[0],
            y,
        );
        p.fill(0.0, 0.0, 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_groups_thousands_and_keeps_fen() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(123_456), "¥1,234.56");
        assert_eq!(yuan(100_000_000), "¥1,000,000.00");
        assert_eq!(yuan(-12_345), "-¥123.45");
        assert_eq!(whole_yuan(46_820), "¥468");
        assert_eq!(whole_yuan(6_850), "¥69");
        assert_eq!(whole_yuan(123_450), "¥1,235");
        assert_eq!(whole_yuan(49), "¥0");
        assert_eq!(whole_yuan(-12_350), "-¥124");
    }

    #[test]
    fn monthly_spending_sums_each_month_and_debug_hides_money() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let rec = |date, amount_fen, fund_fen| SpendRow {
            date,
            place_zh: "示范市中医院".into(),
            place_en: "TCM".into(),
            kind: SpendKind::Outpatient,
            amount_fen,
            fund_fen,
            own_fen: amount_fen - fund_fen,
        };
        let s = Statement {
            holder_name: "赵秀英".into(),
            masked_id: "510107********4228".into(),
            as_of: d(2, 20),
            balance_fen: 428_655,
            months: vec![
                MonthRow {
                    year: 2026,
                    month: 1,
                    paid: None,
                },
                MonthRow {
                    year: 2026,
                    month: 2,
                    paid: None,
                },
            ],
            spending: vec![rec(d(2, 3), 1_000, 400), rec(d(2, 1), 500, 0)],
        };
        let m = s.monthly_spending();
        assert_eq!(m[0].amount_fen, 0);
        assert_eq!(
            (m[1].amount_fen, m[1].fund_fen, m[1].own_fen),
            (1_500, 400, 1_100)
        );
        assert_eq!(s.totals().count, 2);
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("赵秀英") && !dbg.contains("428") && !dbg.contains("4228"));
        assert_eq!(s.period(), ("2026-01".into(), "2026-02".into()));
    }
}
