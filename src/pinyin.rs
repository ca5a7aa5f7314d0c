//! Finding a Chinese name without a Chinese keyboard: each name is its characters and the
//! initials of their pinyin syllables (the platform's, one per character), and what the
//! citizen types is a run of keys, each a pinyin initial (`jgl` for 建国路) or a character
//! picked from a candidate row, matched as consecutive characters anywhere in the name.
//!
//! Shared by the services that search names this way: the sample forms' library
//! (`services::sample_forms::search`, which adds departments and candidates) and the apply
//! service's streets of a typed postal address. Plain values, no I/O.

/// One typed key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A pinyin initial, `a`–`z`.
    Letter(u8),
    /// A character picked from a candidate row.
    Char(char),
}

impl Key {
    /// Whether the key stands for character `c`, whose syllable starts with `initial`.
    pub fn matches(self, c: char, initial: u8) -> bool {
        match self {
            Key::Letter(l) => l == initial,
            Key::Char(k) => k == c,
        }
    }

    /// The key of an A–Z keyboard's letter (either case); `None` for anything else.
    pub fn letter(s: &str) -> Option<Key> {
        match s.as_bytes() {
            [b] if b.is_ascii_alphabetic() => Some(Key::Letter(b.to_ascii_lowercase())),
            _ => None,
        }
    }
}

/// The initial of each syllable (`?` for an empty one, which nothing matches).
pub fn initials(pinyin: &[String]) -> Vec<u8> {
    pinyin
        .iter()
        .map(|s| s.bytes().next().unwrap_or(b'?'))
        .collect()
}

/// Where `keys` match the name (`chars`, with their `initials`) as a run of consecutive
/// characters: the first such place; `Some(0)` for no keys.
pub fn position(chars: &[char], initials: &[u8], keys: &[Key]) -> Option<usize> {
    if keys.is_empty() {
        return Some(0);
    }
    if keys.len() > chars.len() || chars.len() != initials.len() {
        return None;
    }
    (0..=chars.len() - keys.len()).find(|&start| {
        keys.iter()
            .enumerate()
            .all(|(k, key)| key.matches(chars[start + k], initials[start + k]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_a_run_of_characters_anywhere() {
        let chars: Vec<char> = "建国门外大街".chars().collect();
        let ini = initials(&["jian", "guo", "men", "wai", "da", "jie"].map(String::from));
        let k = |s: &str| s.bytes().map(Key::Letter).collect::<Vec<_>>();
        assert_eq!(position(&chars, &ini, &k("jgm")), Some(0));
        assert_eq!(position(&chars, &ini, &k("dj")), Some(4));
        assert_eq!(
            position(&chars, &ini, &[Key::Char('门'), Key::Letter(b'w')]),
            Some(2)
        );
        assert_eq!(position(&chars, &ini, &k("jj")), None);
        assert_eq!(position(&chars, &ini, &k("jgmwdjx")), None);
        assert_eq!(position(&chars, &ini, &[]), Some(0));
        assert_eq!(Key::letter("J"), Some(Key::Letter(b'j')));
        assert_eq!(Key::letter("号"), None);
    }
}
