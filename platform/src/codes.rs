//! What a scanned QR code or barcode means to the kiosk, and the signed verification URL the
//! kiosk prints on its receipts and certificates.
//!
//! # The verification URL
//!
//! Every certificate carries a QR code with `{base}?case=…&d=YYYYMMDD&sig=…`: the case number,
//! the issue date and the first 16 bytes (hex) of an HMAC-SHA256 over both, so anyone who scans
//! it lands on the platform's check page and a forged or altered certificate does not verify
//! ([`verification_url`], [`verify_url`]).
//!
//! # Classification
//!
//! [`classify`] turns a scan (text from a code scanner) into a [`ScannedCode`]:
//!
//! | scan | result |
//! |---|---|
//! | `{verify_base}?case=…&d=…&sig=…`, signature verifies with the kiosk's key | [`ScannedCode::Receipt`] |
//! | starts with `verify_base` but the signature is missing, altered or from another key, or the query is malformed | [`ScannedCode::ForgedReceipt`]: refused, never acted upon |
//! | a bare case number `SB-20261124-000042` (2–4 letters, a real date, 6 digits; surrounding whitespace and lower case accepted) | [`ScannedCode::CaseNumber`], upper case |
//! | `{follow_base}/follow/{uuid}` (the queue ticket's QR) | [`ScannedCode::QueueTicket`] |
//! | `{follow_base}/appointment/{uuid}` (the appointment slip's QR, which also opens the booking's page on a phone) | [`ScannedCode::Appointment`] |
//! | anything else: other hosts, other paths, `javascript:`, longer or shorter numbers | [`ScannedCode::Other`] |
//!
//! Scans are outside input: nothing here panics on any string, and [`ScannedCode`]'s `Debug`
//! shows only the kind and a length, never the case number.

use std::fmt;

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC kept in the URL: 128 bits is ample against forgery and keeps the QR code
/// small enough to scan from paper.
const SIG_BYTES: usize = 16;

fn message(case_number: &str, issued_on: NaiveDate) -> String {
    format!("certificate|{case_number}|{}", issued_on.format("%Y%m%d"))
}

fn mac(key: &[u8], case_number: &str, issued_on: NaiveDate) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut m = match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes any key length"),
    };
    m.update(message(case_number, issued_on).as_bytes());
    m
}

/// `{base}?case=…&d=YYYYMMDD&sig=…` (hex, first 16 bytes of HMAC-SHA256 with `key`).
/// `base` is the platform's verification page, e.g. `https://zwfw.example.gov.cn/verify`.
pub fn verification_url(base: &str, case_number: &str, issued_on: NaiveDate, key: &[u8]) -> String {
    let sig = mac(key, case_number, issued_on).finalize().into_bytes();
    format!(
        "{base}?case={}&d={}&sig={}",
        percent_encode(case_number),
        issued_on.format("%Y%m%d"),
        hex::encode(&sig[..SIG_BYTES])
    )
}

/// Checks a verification URL's signature (what the platform's check page does), in constant
/// time. Returns the case number when it verifies. Does not look at the base: see [`classify`]
/// for the kiosk's stricter reading of a scan.
pub fn verify_url(url: &str, key: &[u8]) -> Option<String> {
    let query = url.split_once('?')?.1;
    let mut case = None;
    let mut date = None;
    let mut sig = None;
    for pair in query.split('&') {
        match pair.split_once('=')? {
            ("case", v) => case = Some(percent_decode(v)?),
            ("d", v) => date = NaiveDate::parse_from_str(v, "%Y%m%d").ok(),
            ("sig", v) => sig = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (case, date, sig) = (case?, date?, sig?);
    check_signature(key, &case, date, &sig).then_some(case)
}

fn check_signature(key: &[u8], case: &str, date: NaiveDate, sig: &[u8]) -> bool {
    sig.len() == SIG_BYTES && mac(key, case, date).verify_truncated_left(sig).is_ok()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What the kiosk knows to recognise in a scan.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeRules {
    /// The verification page printed in receipt and certificate QR codes, e.g.
    /// `https://zwfw.example.gov.cn/verify` (no query).
    pub verify_base: String,
    /// The key that signs those URLs.
    pub verify_key: Vec<u8>,
    /// The platform's public base URL; a queue ticket's QR is `{follow_base}/follow/{id}`
    /// ([`crate::api::follow_url`]).
    pub follow_base: String,
}

impl fmt::Debug for CodeRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeRules")
            .field("verify_base", &self.verify_base)
            .field("verify_key", &"<redacted>")
            .field("follow_base", &self.follow_base)
            .finish()
    }
}

/// What a scanned code is, for the kiosk.
#[derive(Clone, PartialEq, Eq)]
pub enum ScannedCode {
    /// The kiosk's own receipt or certificate QR, its signature verified.
    Receipt {
        /// The case number it was signed for.
        case_number: String,
    },
    /// Looks like the kiosk's receipt QR (same verification page) but does not verify:
    /// signature missing, altered or from another key, case or date changed, query malformed.
    /// Refuse it and act on nothing in it.
    ForgedReceipt,
    /// A bare case number, upper case (`SB-20261124-000042`), as barcodes often carry.
    CaseNumber(String),
    /// The follow-the-queue QR of a queue ticket.
    QueueTicket {
        /// The ticket's id (a UUID, lower case).
        ticket_id: String,
    },
    /// The QR of an appointment slip: check-in on the day.
    Appointment {
        /// The booking's id (a UUID, lower case).
        booking_id: String,
    },
    /// An electronic ID (电子身份证) code from the citizen's e-ID app: only the platform can
    /// say whom it names, and whether it is still good.
    ElectronicId {
        /// The code's token ([`parse_eid_code`]).
        token: String,
    },
    /// Not a code for this kiosk.
    Other,
}

impl ScannedCode {
    /// A short name of the kind, for logs and metrics (carries no data from the scan).
    pub fn kind(&self) -> &'static str {
        match self {
            ScannedCode::Receipt { .. } => "receipt",
            ScannedCode::ForgedReceipt => "forged-receipt",
            ScannedCode::CaseNumber(_) => "case-number",
            ScannedCode::QueueTicket { .. } => "queue-ticket",
            ScannedCode::Appointment { .. } => "appointment",
            ScannedCode::ElectronicId { .. } => "electronic-id",
            ScannedCode::Other => "other",
        }
    }
}

impl fmt::Debug for ScannedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A case number can lead to a person: kind and length only.
        match self {
            ScannedCode::Receipt { case_number } | ScannedCode::CaseNumber(case_number) => {
                write!(
                    f,
                    "{}(<{} chars>)",
                    self.kind(),
                    case_number.chars().count()
                )
            }
            ScannedCode::QueueTicket { .. } => f.write_str("queue-ticket(<id>)"),
            ScannedCode::Appointment { .. } => f.write_str("appointment(<id>)"),
            ScannedCode::ElectronicId { .. } => f.write_str("electronic-id(<token>)"),
            _ => f.write_str(self.kind()),
        }
    }
}

/// Reads a bare case number: 2–4 letters, `-`, an 8-digit date that exists (`YYYYMMDD`), `-`,
/// 6 digits. Surrounding whitespace is ignored and ASCII lower case is raised; returns the
/// upper-case form.
pub fn parse_case_number(s: &str) -> Option<String> {
    let s = s.trim();
    let mut parts = s.split('-');
    let (letters, date, serial) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || !(2..=4).contains(&letters.len())
        || !letters.bytes().all(|b| b.is_ascii_alphabetic())
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
        || serial.len() != 6
        || !serial.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
    Some(s.to_ascii_uppercase())
}

/// What an electronic-ID code starts with. The rest is the token: 16..=64 characters of
/// `A-Z a-z 0-9 - _` (the e-ID service's opaque, single-use reference; it says nothing
/// about the person by itself).
pub const EID_PREFIX: &str = "CNEID:1:";

/// The token of an electronic-ID code (`CNEID:1:<token>`), or `None` when `payload` is not
/// one. Surrounding whitespace is ignored; anything else out of shape is refused, so a
/// stray scan never reaches the platform.
pub fn parse_eid_code(payload: &str) -> Option<String> {
    let token = payload.trim().strip_prefix(EID_PREFIX)?;
    ((16..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| token.to_owned())
}

/// What `payload` (one scan, as the scanner driver delivers it) means under `rules`.
pub fn classify(payload: &str, rules: &CodeRules) -> ScannedCode {
    let payload = payload.trim();
    if let Some(rest) = strip_base(payload, &rules.verify_base) {
        return classify_receipt(rest, &rules.verify_key);
    }
    if let Some(ticket_id) = follow_ticket(payload, &rules.follow_base) {
        return ScannedCode::QueueTicket { ticket_id };
    }
    if let Some(booking_id) = id_under(payload, &rules.follow_base, "/appointment/") {
        return ScannedCode::Appointment { booking_id };
    }
    if let Some(case) = parse_case_number(payload) {
        return ScannedCode::CaseNumber(case);
    }
    if let Some(token) = parse_eid_code(payload) {
        return ScannedCode::ElectronicId { token };
    }
    ScannedCode::Other
}

/// `payload` without `base` when it starts with it as a whole path (followed by nothing, `?`,
/// `#` or `/`); scheme and host compare case-insensitively, as URLs do.
fn strip_base<'a>(payload: &'a str, base: &str) -> Option<&'a str> {
    let base = base.trim_end_matches('/');
    if base.is_empty() || payload.len() < base.len() || !payload.is_char_boundary(base.len()) {
        return None;
    }
    let (head, rest) = payload.split_at(base.len());
    if !head.eq_ignore_ascii_case(base) {
        return None;
    }
    match rest.bytes().next() {
        None | Some(b'?' | b'#' | b'/') => Some(rest),
        _ => None,
    }
}

/// After the base: exactly `?case=…&d=…&sig=…` (in this order, each once, nothing else), a
/// case number that decodes, a real date and a signature that verifies.
fn classify_receipt(rest: &str, key: &[u8]) -> ScannedCode {
    let verified = (|| {
        let query = rest.strip_prefix('?')?;
        let mut pairs = query.split('&');
        let case = percent_decode(pairs.next()?.strip_prefix("case=")?)?;
        let date = pairs.next()?.strip_prefix("d=")?;
        let sig = pairs.next()?.strip_prefix("sig=")?;
        if pairs.next().is_some()
            || case.is_empty()
            || date.len() != 8
            || !date.bytes().all(|b| b.is_ascii_digit())
            || sig.len() != SIG_BYTES * 2
        {
            return None;
        }
        let date = NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
        let sig = hex::decode(sig).ok()?;
        check_signature(key, &case, date, &sig).then_some(case)
    })();
    match verified {
        Some(case_number) => ScannedCode::Receipt { case_number },
        None => ScannedCode::ForgedReceipt,
    }
}

/// The ticket id of `{follow_base}/follow/{uuid}`, nothing after it.
fn follow_ticket(payload: &str, follow_base: &str) -> Option<String> {
    id_under(payload, follow_base, "/follow/")
}

/// The UUID of `{base}{path}{uuid}`, nothing after it.
fn id_under(payload: &str, base: &str, path: &str) -> Option<String> {
    let rest = strip_base(payload, base)?;
    let id = rest.strip_prefix(path)?;
    // Hyphenated form only (36 characters); `Uuid::parse_str` alone also takes other forms.
    if id.len() != 36 {
        return None;
    }
    let uuid = uuid::Uuid::parse_str(id).ok()?;
    Some(uuid.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://zwfw.example.gov.cn/verify";
    const KEY: &[u8] = b"kiosk verification key";
    const CASE: &str = "SB-20261124-000042";
    const TICKET: &str = "3f2b8c1e-5d4a-4b7e-9c0d-1a2b3c4d5e6f";

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn rules() -> CodeRules {
        CodeRules {
            verify_base: BASE.into(),
            verify_key: KEY.to_vec(),
            follow_base: "https://zwfw.example.gov.cn/".into(),
        }
    }

    fn good() -> String {
        verification_url(BASE, CASE, day(), KEY)
    }

    #[test]
    fn url_carries_case_and_verifies() {
        let url = verification_url("https://v.example/verify", "SB-2026-000042", day(), b"k1");
        assert!(url.starts_with("https://v.example/verify?case=SB-2026-000042&d=20261124&sig="));
        assert_eq!(
            url.len(),
            "https://v.example/verify?case=SB-2026-000042&d=20261124&sig=".len() + 32
        );
        assert_eq!(verify_url(&url, b"k1").as_deref(), Some("SB-2026-000042"));
    }

    #[test]
    fn tampering_or_wrong_key_fails() {
        let url = verification_url("https://v.example/verify", "SB-2026-000042", day(), b"k1");
        assert_eq!(verify_url(&url, b"k2"), None);
        assert_eq!(verify_url(&url.replace("000042", "000043"), b"k1"), None);
        assert_eq!(
            verify_url(&url.replace("20261124", "20261125"), b"k1"),
            None
        );
        assert_eq!(verify_url("https://v.example/verify", b"k1"), None);
    }

    #[test]
    fn odd_case_numbers_are_escaped() {
        let url = verification_url("https://v/x", "案 1&2", day(), b"k");
        assert!(!url.contains(' ') && url.matches('&').count() == 2);
        assert_eq!(verify_url(&url, b"k").as_deref(), Some("案 1&2"));
    }

    #[test]
    fn own_receipt_is_a_receipt() {
        assert_eq!(
            classify(&good(), &rules()),
            ScannedCode::Receipt {
                case_number: CASE.into()
            }
        );
        // Scanners may add whitespace or a line end; hosts compare case-insensitively.
        assert_eq!(
            classify(&format!("  {}\r\n", good()), &rules()).kind(),
            "receipt"
        );
        let upper_host = good().replace("zwfw.example.gov.cn", "ZWFW.EXAMPLE.GOV.CN");
        assert_eq!(classify(&upper_host, &rules()).kind(), "receipt");
    }

    #[test]
    fn altered_receipts_are_forged() {
        let url = good();
        let sig = url.rsplit_once("sig=").unwrap().1.to_owned();
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        for altered in [
            url.replace("000042", "000043"),                     // case changed
            url.replace("d=20261124", "d=20261125"),             // date changed
            url.replace(&sig, &flipped),                         // signature changed
            url.replace(&format!("&sig={sig}"), ""),             // signature missing
            url[..url.len() - 2].to_owned(),                     // truncated
            url.replace("d=20261124", "d=20261399"),             // not a date
            format!("{url}&case=SB-20261124-000043"),            // extra parameter
            url.replace("?case=", "?x=1&case="),                 // extra parameter first
            format!("{url}#frag"),                               // fragment
            verification_url(BASE, CASE, day(), b"another key"), // wrong key
            BASE.to_string(),                                    // bare page
            format!("{BASE}/../evil?case={CASE}"),               // path games
            url.replace("case=SB", "case=%ZZSB"),                // bad escape
        ] {
            assert_eq!(
                classify(&altered, &rules()),
                ScannedCode::ForgedReceipt,
                "{altered}"
            );
        }
    }

    #[test]
    fn case_numbers() {
        for (scan, want) in [
            (CASE, Some(CASE)),
            ("  sb-20261124-000042\t", Some(CASE)),
            ("ABCD-20261124-000001", Some("ABCD-20261124-000001")),
            ("Sb-20261124-000042", Some(CASE)),
        ] {
            assert_eq!(
                classify(scan, &rules()),
                ScannedCode::CaseNumber(want.unwrap().into()),
                "{scan}"
            );
        }
        for scan in [
            "S-20261124-000042",     // one letter
            "SBXYZ-20261124-000042", // five letters
            "SB-2026112-000042",     // 7-digit date
            "SB-202611245-000042",   // 9-digit date
            "SB-20261124-00042",     // 5 digits
            "SB-20261124-0000420",   // 7 digits
            "SB-20261340-000042",    // no such day
            "SB-20261124-000042-1",  // trailing part
            "SB 20261124 000042",    // spaces
            "SB-20261124-00004２",   // full-width digit
            "ＳB-20261124-000042",   // full-width letter
            "S1-20261124-000042",    // digit in the letters
            "SB-2026-000042",        // old short form
            "",
        ] {
            assert_eq!(classify(scan, &rules()), ScannedCode::Other, "{scan:?}");
        }
    }

    #[test]
    fn queue_ticket_follow_link() {
        let url = crate::api::follow_url("https://zwfw.example.gov.cn/", TICKET);
        assert_eq!(
            classify(&url, &rules()),
            ScannedCode::QueueTicket {
                ticket_id: TICKET.into()
            }
        );
        let upper = format!(
            "https://zwfw.example.gov.cn/follow/{}",
            TICKET.to_uppercase()
        );
        assert_eq!(
            classify(&upper, &rules()),
            ScannedCode::QueueTicket {
                ticket_id: TICKET.into()
            }
        );
        for other in [
            format!("{url}?x=1"),
            format!("{url}/"),
            url.replace(TICKET, "not-a-uuid"),
            url.replace(TICKET, &TICKET.replace('-', "")),
            format!("https://zwfw.example.gov.cn/follow/{{{TICKET}}}"),
            url.replace("zwfw.example.gov.cn", "evil.example"),
            url.replace("/follow/", "/follow2/"),
        ] {
            assert_eq!(classify(&other, &rules()), ScannedCode::Other, "{other}");
        }
    }

    /// The appointment slip's QR (the booking's phone page) is the kiosk's check-in code;
    /// the same path on another host, or with anything after the id, is not.
    #[test]
    fn appointment_slip_link() {
        let url = crate::api::appointment::appointment_url("https://zwfw.example.gov.cn/", TICKET);
        assert_eq!(
            classify(&url, &rules()),
            ScannedCode::Appointment {
                booking_id: TICKET.into()
            }
        );
        assert_eq!(
            format!("{:?}", classify(&url, &rules())),
            "appointment(<id>)"
        );
        for other in [
            format!("{url}/x"),
            url.replace(TICKET, "not-a-uuid"),
            url.replace("zwfw.example.gov.cn", "evil.example"),
            url.replace("/appointment/", "/appointments/"),
        ] {
            assert_eq!(classify(&other, &rules()), ScannedCode::Other, "{other}");
        }
    }

    #[test]
    fn other_codes() {
        for scan in [
            "javascript:alert(1)",
            "https://evil.example/verify?case=SB-20261124-000042&d=20261124&sig=00",
            "https://zwfw.example.gov.cn.evil.example/verify?case=SB-20261124-000042",
            "https://zwfw.example.gov.cn/verifyx?case=SB-20261124-000042",
            "http://zwfw.example.gov.cn/verify?case=SB-20261124-000042",
            "WIFI:S:hall;T:WPA;P:secret;;",
            "6901234567892",
            "SB-20261124-000042 https://zwfw.example.gov.cn/verify",
        ] {
            assert_eq!(classify(scan, &rules()), ScannedCode::Other, "{scan}");
        }
        // The other host's URL carries a genuine signature: still not ours.
        let elsewhere = verification_url("https://evil.example/verify", CASE, day(), KEY);
        assert_eq!(classify(&elsewhere, &rules()), ScannedCode::Other);
    }

    #[test]
    fn debug_hides_the_case_number() {
        let code = classify(&good(), &rules());
        assert!(!format!("{code:?}").contains("000042"));
        assert!(!format!("{:?}", ScannedCode::CaseNumber(CASE.into())).contains("000042"));
        assert!(!format!("{:?}", rules()).contains("kiosk verification key"));
    }

    /// A small deterministic generator (xorshift64*): property checks without a dev
    /// dependency. The fuzz target `classify_code` explores far more.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn property_sign_then_classify_round_trips_for_any_valid_case_number() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        for _ in 0..3000 {
            let letters: String = (0..2 + rng.below(3))
                .map(|_| (b'A' + rng.below(26) as u8) as char)
                .collect();
            let date = start + chrono::Days::new(rng.below(40_000));
            let case = format!(
                "{letters}-{}-{:06}",
                date.format("%Y%m%d"),
                rng.below(1_000_000)
            );
            assert_eq!(parse_case_number(&case).as_deref(), Some(case.as_str()));
            assert_eq!(
                classify(&case.to_ascii_lowercase(), &rules()),
                ScannedCode::CaseNumber(case.clone())
            );
            let url = verification_url(BASE, &case, date, KEY);
            assert_eq!(
                classify(&url, &rules()),
                ScannedCode::Receipt { case_number: case }
            );
        }
    }

    #[test]
    fn property_classify_never_panics() {
        const ALPHABET: &[&str] = &[
            "https://zwfw.example.gov.cn/verify",
            "https://zwfw.example.gov.cn/follow/",
            "?",
            "&",
            "=",
            "case=",
            "d=",
            "sig=",
            "%",
            "%4",
            "%E6",
            "SB-",
            "20261124",
            "-",
            "000042",
            "0",
            "f",
            "案",
            "é",
            " ",
            "\r",
            "#",
            "/",
            TICKET,
            "\u{0}",
            "ǅ",
        ];
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for _ in 0..20_000 {
            let s: String = (0..rng.below(12))
                .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
                .collect();
            let code = classify(&s, &rules());
            if let ScannedCode::CaseNumber(c) = &code {
                assert_eq!(parse_case_number(c).as_deref(), Some(c.as_str()));
            }
        }
    }

    #[test]
    fn eid_codes_are_recognised_and_anything_out_of_shape_is_not() {
        let token = "Ab3dEf6hIj9lMn0p-_xyz";
        let code = format!("  {EID_PREFIX}{token}\r\n");
        assert_eq!(parse_eid_code(&code).as_deref(), Some(token));
        assert_eq!(
            classify(&code, &rules()),
            ScannedCode::ElectronicId {
                token: token.into()
            }
        );
        assert!(!format!("{:?}", classify(&code, &rules())).contains(token));
        for bad in [
            format!("{EID_PREFIX}short"),
            format!("{EID_PREFIX}{}", "a".repeat(65)),
            format!("{EID_PREFIX}{token}!"),
            format!("{EID_PREFIX}{token} x"),
            format!("cneid:1:{token}"),
            token.to_owned(),
        ] {
            assert_eq!(parse_eid_code(&bad), None, "{bad:?}");
        }
    }

    /// Random scans built from pieces of the format: whatever is accepted is in shape, and
    /// wrapping the token again gives it back.
    #[test]
    fn eid_parser_fuzz() {
        const PIECES: &[&str] = &[
            EID_PREFIX,
            "CNEID",
            ":",
            "1",
            "a",
            "Z",
            "0",
            "-",
            "_",
            " ",
            "\n",
            "案",
            "%",
            "é",
            "0123456789abcdef",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let s: String = (0..rng.below(10))
                .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
                .collect();
            if let Some(t) = parse_eid_code(&s) {
                accepted += 1;
                assert!((16..=64).contains(&t.len()));
                assert!(t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)));
                assert_eq!(parse_eid_code(&format!("{EID_PREFIX}{t}")), Some(t));
            }
        }
        assert!(accepted > 0, "the generator reaches good codes too");
    }
}
