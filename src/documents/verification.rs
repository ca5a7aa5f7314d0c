//! The verification URL printed as a QR code on every certificate: it carries the case number,
//! the issue date and an HMAC-SHA256 signature over both, so anyone who scans it lands on the
//! platform's check page and a forged or altered certificate does not verify.

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
    // HMAC accepts keys of any length; this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
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
/// time. Returns the case number when it verifies.
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
    if sig.len() != SIG_BYTES {
        return None;
    }
    mac(key, &case, date).verify_truncated_left(&sig).ok()?;
    Some(case)
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
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
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
}
