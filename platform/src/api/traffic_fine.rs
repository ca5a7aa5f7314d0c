//! Traffic fines and fees (交通罚款缴纳): looking fines up by the decision number on the
//! penalty notice or by plate and vehicle type (`POST /v1/traffic-fines/query`), and paying
//! one through a payment order the platform issues (`POST /v1/traffic-fines/payments`),
//! whose QR code the citizen scans with a phone payment app while the kiosk polls the
//! order (`GET /v1/traffic-fines/payments/{order_id}`).
//!
//! Money is integer fen (分), never a float. The late fee is the platform's: by the Law on
//! Administrative Penalty (art. 72) 3 % of the fine for each day past the due date, never
//! more than the fine itself ([`late_fee_fen`]).
//!
//! The parsers of what a citizen types ([`parse_plate`], [`check_plate_prefix`],
//! [`parse_decision_number`]) live here so the kiosk and the simulator agree on them; they
//! take outside input and have a fuzz target (`platform/fuzz`).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Error `code` of a 404 for a decision number the platform does not know.
pub const UNKNOWN_FINE: &str = "unknown_fine";
/// Error `code` of a 404 for a payment order (or idempotency key) the platform does not know.
pub const UNKNOWN_ORDER: &str = "unknown_order";
/// Error `code` of a 409: the fine is paid already; it cannot be paid again.
pub const ALREADY_PAID: &str = "already_paid";
/// Error `code` of a 409: the amount asked is not the fine's total today (the late fee grew).
pub const AMOUNT_CHANGED: &str = "amount_changed";
/// Error `code` of a 409: the idempotency key was first used for another fine or amount.
pub const KEY_CONFLICT: &str = "idempotency_conflict";

/// The province abbreviations a plate starts with (31 provinces, regions and
/// municipalities of the mainland), in the order a plate keypad shows them.
pub const PROVINCES: [char; 31] = [
    '京', '津', '沪', '渝', '冀', '豫', '云', '辽', '黑', '湘', '皖', '鲁', '新', '苏', '浙', '赣',
    '鄂', '桂', '甘', '晋', '蒙', '陕', '吉', '闽', '贵', '粤', '青', '藏', '川', '宁', '琼',
];

/// Whether `c` is a letter a plate uses: A–Z without I and O (they read as 1 and 0).
pub fn is_plate_letter(c: char) -> bool {
    c.is_ascii_uppercase() && c != 'I' && c != 'O'
}

/// Whether `c` may stand after the issuing-office letter: a plate letter or a digit.
pub fn is_plate_char(c: char) -> bool {
    is_plate_letter(c) || c.is_ascii_digit()
}

/// The kind of vehicle, as the penalty system files it (GA 24.4 codes on the wire).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VehicleType {
    /// 小型汽车 (code 02): blue plate, 7 characters.
    #[serde(rename = "02")]
    SmallCar,
    /// 大型汽车 (code 01): yellow plate, 7 characters.
    #[serde(rename = "01")]
    LargeCar,
    /// 小型新能源汽车 (code 52): green plate, 8 characters, D or F third.
    #[serde(rename = "52")]
    SmallNewEnergy,
    /// 大型新能源汽车 (code 51): green-and-yellow plate, 8 characters, D or F last.
    #[serde(rename = "51")]
    LargeNewEnergy,
}

impl VehicleType {
    /// Every type, in the order the kiosk offers them.
    pub const ALL: [VehicleType; 4] = [
        VehicleType::SmallCar,
        VehicleType::SmallNewEnergy,
        VehicleType::LargeCar,
        VehicleType::LargeNewEnergy,
    ];

    /// Whether plates of this type have 8 characters.
    pub fn new_energy(self) -> bool {
        matches!(
            self,
            VehicleType::SmallNewEnergy | VehicleType::LargeNewEnergy
        )
    }

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            VehicleType::SmallCar => "小型汽车",
            VehicleType::LargeCar => "大型汽车",
            VehicleType::SmallNewEnergy => "小型新能源汽车",
            VehicleType::LargeNewEnergy => "大型新能源汽车",
        }
    }

    /// The English name.
    pub fn label_en(self) -> &'static str {
        match self {
            VehicleType::SmallCar => "Small car",
            VehicleType::LargeCar => "Large vehicle",
            VehicleType::SmallNewEnergy => "Small new-energy car",
            VehicleType::LargeNewEnergy => "Large new-energy vehicle",
        }
    }
}

/// What is wrong with a typed plate; each is one clear message on the keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateError {
    /// The first character is not a province abbreviation.
    Province,
    /// The second character (the issuing office) is not a letter A–Z other than I and O.
    Office,
    /// A later character is not a letter (other than I and O) or a digit.
    Character,
    /// Too short or too long for its vehicle type (7, or 8 for new-energy vehicles).
    Length,
    /// An 8-character plate without its D or F (third for a small new-energy car, last for
    /// a large one).
    NewEnergyMark,
}

/// Checks a plate as it is typed: `Ok` when `prefix` can still become a plate (of some
/// type), else what the last key broke. An empty prefix is fine.
pub fn check_plate_prefix(prefix: &str) -> Result<(), PlateError> {
    for (i, c) in prefix.chars().enumerate() {
        match i {
            0 if !PROVINCES.contains(&c) => return Err(PlateError::Province),
            1 if !is_plate_letter(c) => return Err(PlateError::Office),
            2..=7 if !is_plate_char(c) => return Err(PlateError::Character),
            8.. => return Err(PlateError::Length),
            _ => {}
        }
    }
    Ok(())
}

/// A whole plate for `vehicle`, with the `·` and spaces people type taken out and letters
/// upper-cased: `京A12345`, `沪AD12345`.
pub fn parse_plate(text: &str, vehicle: VehicleType) -> Result<String, PlateError> {
    let plate: String = text
        .chars()
        .filter(|c| !matches!(c, '·' | ' ' | '-' | '•'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    check_plate_prefix(&plate)?;
    let chars: Vec<char> = plate.chars().collect();
    let want = if vehicle.new_energy() { 8 } else { 7 };
    if chars.len() != want {
        return Err(PlateError::Length);
    }
    let mark = |c: char| c == 'D' || c == 'F';
    match vehicle {
        VehicleType::SmallNewEnergy if !mark(chars[2]) => Err(PlateError::NewEnergyMark),
        VehicleType::LargeNewEnergy if !mark(chars[7]) => Err(PlateError::NewEnergyMark),
        _ => Ok(plate),
    }
}

/// A plate for the screen and the receipt: the province, the office and the last two
/// characters (`京A***45`).
pub fn mask_plate(plate: &str) -> String {
    let chars: Vec<char> = plate.chars().collect();
    if chars.len() < 5 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 4))
}

/// What is wrong with a typed decision number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionError {
    /// Something other than a digit.
    NotDigits,
    /// Not 15 or 16 digits.
    Length,
}

/// The shortest and longest decision numbers (the 15–16 digits on a penalty notice).
pub const DECISION_DIGITS: std::ops::RangeInclusive<usize> = 15..=16;

/// A decision number as typed, spaces taken out: 15 or 16 ASCII digits.
pub fn parse_decision_number(text: &str) -> Result<String, DecisionError> {
    let digits: String = text.chars().filter(|c| *c != ' ').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(DecisionError::NotDigits);
    }
    if !DECISION_DIGITS.contains(&digits.len()) {
        return Err(DecisionError::Length);
    }
    Ok(digits)
}

/// A decision number for the screen and the receipt: first 4 and last 4 digits.
pub fn mask_decision_number(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    if chars.len() < 9 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// The late fee on `amount_fen` paid on `today` when it was due on `due_on`: 3 % of the
/// fine per whole day overdue, rounded down to the fen, capped at the fine itself.
pub fn late_fee_fen(amount_fen: i64, due_on: NaiveDate, today: NaiveDate) -> i64 {
    let days = (today - due_on).num_days().max(0);
    let fee = amount_fen.max(0).saturating_mul(3).saturating_mul(days) / 100;
    fee.min(amount_fen.max(0))
}

/// `POST /v1/traffic-fines/query` body: by decision number, or by plate and vehicle type.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum FineQuery {
    /// The number on the penalty notice (15–16 digits).
    Decision {
        /// The digits.
        decision_number: String,
    },
    /// A vehicle's fines.
    Plate {
        /// The plate, as [`parse_plate`] gives it.
        plate: String,
        /// The vehicle type.
        vehicle: VehicleType,
    },
}

impl fmt::Debug for FineQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A plate and a decision number point at a person.
        match self {
            FineQuery::Decision { decision_number } => f
                .debug_struct("Decision")
                .field("decision_number", &mask_decision_number(decision_number))
                .finish(),
            FineQuery::Plate { plate, vehicle } => f
                .debug_struct("Plate")
                .field("plate", &mask_plate(plate))
                .field("vehicle", vehicle)
                .finish(),
        }
    }
}

/// How a fine was paid.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FinePaid {
    /// The payment serial (the receipt's number).
    pub serial: String,
    /// When.
    pub paid_at: DateTime<Utc>,
}

/// One fine, as the platform reckons it today.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Fine {
    /// The decision number (15–16 digits).
    pub decision_number: String,
    /// The plate.
    pub plate: String,
    /// The vehicle type.
    pub vehicle: VehicleType,
    /// The offence, Chinese.
    pub offence_zh: String,
    /// The offence, English.
    pub offence_en: String,
    /// Where, Chinese.
    pub place_zh: String,
    /// Where, English.
    pub place_en: String,
    /// The day of the offence.
    pub occurred_on: NaiveDate,
    /// The last day to pay without a late fee.
    pub due_on: NaiveDate,
    /// Demerit points (记分).
    pub points: u8,
    /// The fine, fen.
    pub amount_fen: i64,
    /// The late fee today, fen ([`late_fee_fen`]).
    pub late_fee_fen: i64,
    /// What is owed today: fine and late fee, fen (0 once paid).
    pub total_fen: i64,
    /// Set once paid.
    pub paid: Option<FinePaid>,
}

impl Fine {
    /// Whether the sums keep the contract's promises: no negative amount, the late fee at
    /// most the fine, the total their sum (or what was paid, for a paid fine).
    pub fn is_consistent(&self) -> bool {
        self.amount_fen > 0
            && (0..=self.amount_fen).contains(&self.late_fee_fen)
            && parse_decision_number(&self.decision_number).is_ok()
            && (self.paid.is_some() || self.total_fen == self.amount_fen + self.late_fee_fen)
    }
}

impl fmt::Debug for Fine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The plate and the decision number point at a person; amounts are their money.
        f.debug_struct("Fine")
            .field(
                "decision_number",
                &mask_decision_number(&self.decision_number),
            )
            .field("plate", &mask_plate(&self.plate))
            .field("paid", &self.paid.is_some())
            .finish_non_exhaustive()
    }
}

/// `POST /v1/traffic-fines/query` answer: the fines found (none is an empty list).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FineList {
    /// Unpaid first, then paid; each group newest first.
    pub fines: Vec<Fine>,
}

/// `POST /v1/traffic-fines/payments` body: a payment order for one fine.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// Chosen by the kiosk and kept before it sends (1..=64 characters): sending the same
    /// request again returns the same order, never a second one.
    pub idempotency_key: String,
    /// The fine.
    pub decision_number: String,
    /// The total the citizen was shown, fen: refused (`amount_changed`) when it is not the
    /// fine's total now.
    pub amount_fen: i64,
    /// Who pays: the card holder's [`holder_hash`](super::holder_hash).
    pub holder: String,
}

impl fmt::Debug for PaymentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentRequest")
            .field("idempotency_key", &self.idempotency_key)
            .field(
                "decision_number",
                &mask_decision_number(&self.decision_number),
            )
            .finish_non_exhaustive()
    }
}

/// Where a payment order is.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Waiting for the citizen's phone.
    Pending,
    /// Paid: the fine is settled ([`PaymentOrder::serial`]).
    Paid,
    /// The payment app refused it.
    Failed,
    /// Not paid before [`PaymentOrder::expires_at`].
    Expired,
    /// Cancelled by the kiosk, or superseded by a newer order for the same fine.
    Cancelled,
}

impl PaymentState {
    /// Whether the order can still change.
    pub fn is_open(self) -> bool {
        self == PaymentState::Pending
    }

    /// The wire name (`pending`, `paid`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Paid => "paid",
            PaymentState::Failed => "failed",
            PaymentState::Expired => "expired",
            PaymentState::Cancelled => "cancelled",
        }
    }

    /// The state from its wire name.
    pub fn parse(s: &str) -> Option<PaymentState> {
        [
            PaymentState::Pending,
            PaymentState::Paid,
            PaymentState::Failed,
            PaymentState::Expired,
            PaymentState::Cancelled,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A payment order: what the platform issued, and where it is now.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct PaymentOrder {
    /// The platform's id of the order.
    pub order_id: String,
    /// The key the kiosk created it with.
    pub idempotency_key: String,
    /// The fine.
    pub decision_number: String,
    /// What is paid, fen.
    pub amount_fen: i64,
    /// What the QR code on screen holds (a payment app opens it).
    pub qr_payload: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it expires unpaid.
    pub expires_at: DateTime<Utc>,
    /// Where it is.
    pub state: PaymentState,
    /// The payment serial, once paid.
    pub serial: Option<String>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for PaymentOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentOrder")
            .field("order_id", &self.order_id)
            .field("state", &self.state)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/traffic-fines/cancellations` body: the kiosk gives an order up (the citizen
/// touched "cancel" or left). The answer is the order: `cancelled`, or `paid` when the
/// payment came first — then the fine is paid and the kiosk must record it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    /// The order.
    pub order_id: String,
}

/// What the simulator's `/control/payments` does to an order (the citizen's phone).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SimOutcome {
    /// The phone paid.
    Pay,
    /// The payment app refused.
    Fail,
    /// The order ran out of time.
    Expire,
}

/// `POST /control/payments` body (simulator only).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SimSettle {
    /// The order; `None`: the newest pending one (the demo panel's buttons).
    pub order_id: Option<String>,
    /// What happens.
    pub outcome: SimOutcome,
}

/// A payment order as the operator's holdings list it (tests count paid orders per fine).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HeldPayment {
    /// The order.
    pub order_id: String,
    /// The kiosk that created it.
    pub kiosk_id: String,
    /// The fine.
    pub decision_number: String,
    /// Fen.
    pub amount_fen: i64,
    /// Where it is.
    pub state: PaymentState,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_late_fee_is_three_per_cent_a_day_capped_at_the_fine() {
        let due = day(2026, 11, 1);
        assert_eq!(late_fee_fen(20_000, due, due), 0);
        assert_eq!(late_fee_fen(20_000, due, day(2026, 10, 20)), 0);
        assert_eq!(late_fee_fen(20_000, due, day(2026, 11, 2)), 600);
        assert_eq!(late_fee_fen(20_000, due, day(2026, 11, 11)), 6_000);
        // 34 days would be 102 %: the fee stops at the fine.
        assert_eq!(late_fee_fen(20_000, due, day(2026, 12, 5)), 20_000);
        assert_eq!(late_fee_fen(5_050, due, day(2026, 11, 2)), 151);
    }

    #[test]
    fn plates_are_checked_as_typed_and_whole() {
        assert_eq!(check_plate_prefix(""), Ok(()));
        assert_eq!(check_plate_prefix("京"), Ok(()));
        assert_eq!(check_plate_prefix("A"), Err(PlateError::Province));
        assert_eq!(check_plate_prefix("京1"), Err(PlateError::Office));
        assert_eq!(check_plate_prefix("京I"), Err(PlateError::Office));
        assert_eq!(check_plate_prefix("京A12O"), Err(PlateError::Character));
        assert_eq!(check_plate_prefix("沪AD123456"), Err(PlateError::Length));
        assert_eq!(
            parse_plate("京A·12345", VehicleType::SmallCar).as_deref(),
            Ok("京A12345")
        );
        assert_eq!(
            parse_plate("沪ad12345", VehicleType::SmallNewEnergy).as_deref(),
            Ok("沪AD12345")
        );
        assert_eq!(
            parse_plate("粤B12345D", VehicleType::LargeNewEnergy).as_deref(),
            Ok("粤B12345D")
        );
        assert_eq!(
            parse_plate("沪A812345", VehicleType::SmallNewEnergy),
            Err(PlateError::NewEnergyMark)
        );
        assert_eq!(
            parse_plate("京A12345", VehicleType::SmallNewEnergy),
            Err(PlateError::Length)
        );
        assert_eq!(
            parse_plate("京A1234", VehicleType::SmallCar),
            Err(PlateError::Length)
        );
        assert_eq!(mask_plate("京A12345"), "京A***45");
        assert_eq!(mask_plate("沪AD12345"), "沪A****45");
    }

    #[test]
    fn decision_numbers_are_fifteen_or_sixteen_digits() {
        assert_eq!(
            parse_decision_number("1101 0512 3456 7001").as_deref(),
            Ok("1101051234567001")
        );
        assert!(parse_decision_number("110105123456700").is_ok());
        assert_eq!(
            parse_decision_number("11010512345670"),
            Err(DecisionError::Length)
        );
        assert_eq!(
            parse_decision_number("11010512345670X"),
            Err(DecisionError::NotDigits)
        );
        assert_eq!(mask_decision_number("1101051234567001"), "1101********7001");
    }

    #[test]
    fn vehicle_types_travel_as_their_codes_and_queries_hide_the_plate() {
        assert_eq!(
            serde_json::to_string(&VehicleType::SmallNewEnergy).unwrap(),
            "\"52\""
        );
        let q = FineQuery::Plate {
            plate: "京A12345".into(),
            vehicle: VehicleType::SmallCar,
        };
        let json = serde_json::to_string(&q).unwrap();
        assert!(json.contains("\"by\":\"plate\""), "{json}");
        assert_eq!(serde_json::from_str::<FineQuery>(&json).unwrap(), q);
        assert!(!format!("{q:?}").contains("12345"));
    }
}
