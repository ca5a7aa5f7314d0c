//! Request signing: HMAC-SHA256 over method, path, timestamp, nonce and body hash.
//!
//! The string to sign is
//! `METHOD + "\n" + PATH_WITH_QUERY + "\n" + timestamp + "\n" + nonce + "\n" + hex(sha256(body))`
//! and the signature is its lowercase hex HMAC-SHA256 under the kiosk's key. Hashing the
//! body (instead of including it) keeps the string to sign small and the same shape for
//! every request; an empty body hashes to the SHA-256 of zero bytes.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Header carrying the kiosk's id.
pub const HEADER_KIOSK_ID: &str = "X-Kiosk-Id";
/// Header carrying the unix time in seconds at signing.
pub const HEADER_TIMESTAMP: &str = "X-Timestamp";
/// Header carrying a random hex nonce.
pub const HEADER_NONCE: &str = "X-Nonce";
/// Header carrying the lowercase hex signature.
pub const HEADER_SIGNATURE: &str = "X-Signature";

/// Largest accepted difference, in seconds, between the request's timestamp and the
/// platform's clock. Bounds how long a captured request could be replayed until the
/// planned nonce store closes that window completely.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// The exact text that is signed (exposed so the contract document and other
/// implementations can be checked against it).
pub fn string_to_sign(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    format!(
        "{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{}",
        hex::encode(Sha256::digest(body))
    )
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length (long ones are hashed), so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// Lowercase hex HMAC-SHA256 signature of a request.
pub fn sign(
    key: &[u8],
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    let mut m = mac(key);
    m.update(string_to_sign(method, path_and_query, timestamp, nonce, body).as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Checks `signature` (hex, either case) in constant time. Only the signature itself is
/// checked here; the timestamp window is the caller's (see [`MAX_CLOCK_SKEW_SECS`]).
pub fn verify(
    key: &[u8],
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    let mut m = mac(key);
    m.update(string_to_sign(method, path_and_query, timestamp, nonce, body).as_bytes());
    // verify_slice compares in constant time, so timing does not leak how much matched.
    m.verify_slice(&given).is_ok()
}

/// Shortest nonce accepted: 16 characters (64 bits of hex), so nonces cannot run out or
/// collide by chance within the replay window.
pub const MIN_NONCE_LEN: usize = 16;
/// Longest nonce accepted: a nonce is remembered for the replay window, so a long one
/// costs the platform memory for nothing.
pub const MAX_NONCE_LEN: usize = 64;

/// Whether `nonce` is acceptable: [`MIN_NONCE_LEN`]..=[`MAX_NONCE_LEN`] ASCII letters,
/// digits, `-` or `_` (what [`new_nonce`] makes is 32 hex digits).
pub fn is_valid_nonce(nonce: &str) -> bool {
    (MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh random nonce: 16 random bytes as 32 hex characters.
pub fn new_nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"demo-secret-change-me";

    #[test]
    fn known_vector() {
        // Pinned so that any change of the string to sign is caught: computed once with
        // Python's hmac/hashlib from the contract text.
        let sig = sign(
            KEY,
            "POST",
            "/v1/queue/leases",
            1_700_000_000,
            "00112233445566778899aabbccddeeff",
            br#"{"area_code":"A","service_day":"2025-03-04","size":10}"#,
        );
        assert_eq!(sig, KNOWN_SIGNATURE);
        assert_eq!(
            string_to_sign("GET", "/v1/catalog", 1, "n", b""),
            "GET\n/v1/catalog\n1\nn\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    const KNOWN_SIGNATURE: &str =
        "940dae985004e859d6a05755ff24f8c3448ff02c69f4f26558ac4c1801424f56";

    #[test]
    fn roundtrip_and_tampering() {
        let body = b"{\"x\":1}";
        let sig = sign(KEY, "POST", "/v1/transactions", 42, "abcd", body);
        assert_eq!(sig.len(), 64);
        assert!(sig
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(verify(
            KEY,
            "POST",
            "/v1/transactions",
            42,
            "abcd",
            body,
            &sig
        ));
        assert!(verify(
            KEY,
            "POST",
            "/v1/transactions",
            42,
            "abcd",
            body,
            &sig.to_uppercase()
        ));

        assert!(!verify(
            b"other",
            "POST",
            "/v1/transactions",
            42,
            "abcd",
            body,
            &sig
        ));
        assert!(!verify(
            KEY,
            "GET",
            "/v1/transactions",
            42,
            "abcd",
            body,
            &sig
        ));
        assert!(!verify(
            KEY,
            "POST",
            "/v1/transaction",
            42,
            "abcd",
            body,
            &sig
        ));
        assert!(!verify(
            KEY,
            "POST",
            "/v1/transactions",
            43,
            "abcd",
            body,
            &sig
        ));
        assert!(!verify(
            KEY,
            "POST",
            "/v1/transactions",
            42,
            "abce",
            body,
            &sig
        ));
        assert!(!verify(
            KEY,
            "POST",
            "/v1/transactions",
            42,
            "abcd",
            b"{}",
            &sig
        ));
        assert!(!verify(
            KEY,
            "POST",
            "/v1/transactions",
            42,
            "abcd",
            body,
            "zz"
        ));
        assert!(!verify(
            KEY,
            "POST",
            "/v1/transactions",
            42,
            "abcd",
            body,
            ""
        ));
        assert!(!verify(
            KEY,
            "POST",
            "/v1/transactions",
            42,
            "abcd",
            body,
            &sig[..62]
        ));
    }

    #[test]
    fn nonces_are_bounded() {
        assert!(is_valid_nonce(&new_nonce()));
        assert!(!is_valid_nonce(""));
        assert!(!is_valid_nonce("abc"));
        assert!(!is_valid_nonce(&"a".repeat(60 * 1024)));
        assert!(!is_valid_nonce(&"a".repeat(MAX_NONCE_LEN + 1)));
        assert!(is_valid_nonce(&"a".repeat(MAX_NONCE_LEN)));
        assert!(!is_valid_nonce("0123456789abcdef\n"));
        assert!(!is_valid_nonce("0123456789abcdef 1"));
    }

    #[test]
    fn nonces_differ() {
        let a = new_nonce();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_nonce());
    }
}
