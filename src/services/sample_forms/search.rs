//! Finding a form: by department, by the A–Z initial of its pinyin name, or by what the
//! citizen types on the on-screen keyboard — pinyin initials (`jzz` for 居住证) and
//! characters picked from a candidate row, mixed freely (`居zz`). The index is built once per
//! library version; a search is a scan of a few thousand characters, microseconds for the
//! 234 forms (`benches/form_search.rs`).

use kiosk_platform::api::sample_forms::FormLibrary;

pub use crate::pinyin::Key;

/// What narrows the list, besides the typed keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this department (its position in the library).
    pub department: Option<usize>,
    /// Only names whose first character's pinyin starts with this letter (`a`–`z`).
    pub letter: Option<u8>,
}

/// One form as the index keeps it.
#[derive(Debug, Clone)]
struct Entry {
    chars: Vec<char>,
    initials: Vec<u8>,
    department: usize,
}

/// The library's search index.
#[derive(Debug, Clone)]
pub struct FormIndex {
    entries: Vec<Entry>,
    /// For each letter, the characters whose syllable starts with it, the most frequent in
    /// names first.
    by_initial: Vec<Vec<char>>,
}

/// How many candidates the row under the keyboard shows.
pub const CANDIDATES: usize = 10;

impl FormIndex {
    /// Builds the index (once per library version).
    pub fn new(library: &FormLibrary) -> Self {
        let mut counts: std::collections::HashMap<char, (u8, usize)> = Default::default();
        let entries = library
            .forms
            .iter()
            .map(|f| {
                let chars: Vec<char> = f.name_zh.chars().collect();
                let initials = crate::pinyin::initials(&f.pinyin);
                for (c, i) in chars.iter().zip(&initials) {
                    counts.entry(*c).or_insert((*i, 0)).1 += 1;
                }
                Entry {
                    chars,
                    initials,
                    department: library
                        .departments
                        .iter()
                        .position(|d| d.code == f.department)
                        .unwrap_or(usize::MAX),
                }
            })
            .collect();
        let mut by_initial = vec![Vec::new(); 26];
        let mut ranked: Vec<(char, u8, usize)> =
            counts.into_iter().map(|(c, (i, n))| (c, i, n)).collect();
        ranked.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        for (c, i, _) in ranked {
            if i.is_ascii_lowercase() {
                by_initial[usize::from(i - b'a')].push(c);
            }
        }
        Self {
            entries,
            by_initial,
        }
    }

    /// How many forms the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `keys` match form `i`'s name as a run of consecutive characters, the first
    /// such place.
    fn position(&self, i: usize, keys: &[Key]) -> Option<usize> {
        let e = &self.entries[i];
        crate::pinyin::position(&e.chars, &e.initials, keys)
    }

    fn passes(&self, i: usize, filter: Filter) -> bool {
        let e = &self.entries[i];
        filter.department.is_none_or(|d| e.department == d)
            && filter.letter.is_none_or(|l| e.initials.first() == Some(&l))
    }

    /// The forms (positions in the library) that pass `filter` and whose names hold `keys`:
    /// names that start with them first, then the rest, each in the library's order.
    pub fn search(&self, filter: Filter, keys: &[Key]) -> Vec<usize> {
        let mut starts = Vec::new();
        let mut inside = Vec::new();
        for i in 0..self.entries.len() {
            if !self.passes(i, filter) {
                continue;
            }
            match self.position(i, keys) {
                Some(0) => starts.push(i),
                Some(_) => inside.push(i),
                None => {}
            }
        }
        starts.extend(inside);
        starts
    }

    /// The candidate row for the last typed key when it is a letter: the characters with
    /// that initial found at its place in the names that match, the most frequent first;
    /// with no letter last, none.
    pub fn candidates(&self, filter: Filter, keys: &[Key]) -> Vec<char> {
        let Some(Key::Letter(l)) = keys.last() else {
            return Vec::new();
        };
        let mut found: Vec<char> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if !self.passes(i, filter) || keys.len() > e.chars.len() {
                continue;
            }
            // Every place the keys match, not only the first: 临时居住登记表 offers 记 too.
            for start in 0..=e.chars.len() - keys.len() {
                let hit = keys
                    .iter()
                    .enumerate()
                    .all(|(k, key)| key.matches(e.chars[start + k], e.initials[start + k]));
                let c = e.chars[start + keys.len() - 1];
                if hit && !found.contains(&c) {
                    found.push(c);
                }
            }
        }
        // In the library's order of frequency, not of the first form found.
        let order = self
            .by_initial
            .get(usize::from(l.wrapping_sub(b'a')))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut ranked: Vec<char> = order
            .iter()
            .copied()
            .filter(|c| found.contains(c))
            .collect();
        ranked.truncate(CANDIDATES);
        ranked
    }

    /// The letters some name starts with (the A–Z bar greys the others).
    pub fn first_letters(&self) -> [bool; 26] {
        let mut has = [false; 26];
        for e in &self.entries {
            if let Some(l) = e.initials.first().filter(|l| l.is_ascii_lowercase()) {
                has[usize::from(l - b'a')] = true;
            }
        }
        has
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_platform::api::sample_forms::{Department, SampleForm};

    fn form(id: &str, name: &str, pinyin: &str, dept: &str) -> SampleForm {
        SampleForm {
            id: id.into(),
            name_zh: name.into(),
            pinyin: pinyin.split(' ').map(str::to_owned).collect(),
            department: dept.into(),
            pages: 1,
            fields: Vec::new(),
        }
    }

    fn library() -> FormLibrary {
        let dept = |c: &str, zh: &str| Department {
            code: c.into(),
            name_zh: zh.into(),
            name_en: c.into(),
        };
        FormLibrary {
            departments: vec![dept("ps", "公安"), dept("hf", "公积金")],
            forms: vec![
                form("F1", "居住证申请表", "ju zhu zheng shen qing biao", "ps"),
                form(
                    "F2",
                    "居民身份证登记表",
                    "ju min shen fen zheng deng ji biao",
                    "ps",
                ),
                form(
                    "F3",
                    "公积金提取申请表",
                    "gong ji jin ti qu shen qing biao",
                    "hf",
                ),
                form("F4", "临时居住登记表", "lin shi ju zhu deng ji biao", "ps"),
            ],
        }
    }

    #[test]
    fn initials_match_anywhere_and_names_that_start_with_them_come_first() {
        let idx = FormIndex::new(&library());
        let k = |s: &str| s.bytes().map(Key::Letter).collect::<Vec<_>>();
        assert_eq!(idx.search(Filter::default(), &k("jz")), vec![0, 3]);
        assert_eq!(idx.search(Filter::default(), &k("sqb")), vec![0, 2]);
        assert_eq!(idx.search(Filter::default(), &k("x")), Vec::<usize>::new());
        assert_eq!(idx.search(Filter::default(), &[]).len(), 4);
    }

    #[test]
    fn characters_and_letters_mix_and_filters_narrow() {
        let idx = FormIndex::new(&library());
        let keys = [Key::Char('居'), Key::Letter(b'z')];
        assert_eq!(idx.search(Filter::default(), &keys), vec![0, 3]);
        let ps = Filter {
            department: Some(0),
            letter: None,
        };
        assert_eq!(idx.search(ps, &[Key::Letter(b'g')]), Vec::<usize>::new());
        let hf = Filter {
            department: Some(1),
            letter: None,
        };
        assert_eq!(idx.search(hf, &[]), vec![2]);
        let l = Filter {
            department: None,
            letter: Some(b'l'),
        };
        assert_eq!(idx.search(l, &[]), vec![3]);
        let mut letters = idx.first_letters();
        assert!(letters[usize::from(b'j' - b'a')]);
        letters[usize::from(b'j' - b'a')] = false;
        assert!(!letters[usize::from(b'x' - b'a')]);
    }

    #[test]
    fn candidates_are_the_characters_at_the_typed_letters_place() {
        let idx = FormIndex::new(&library());
        // "j": 居 (three names) before 积 and 金.
        let c = idx.candidates(Filter::default(), &[Key::Letter(b'j')]);
        assert_eq!(c.first(), Some(&'居'));
        assert!(c.contains(&'积') && c.contains(&'记'));
        // After 居, "z" offers 住 only (居住…, 临时居住…).
        let c = idx.candidates(Filter::default(), &[Key::Char('居'), Key::Letter(b'z')]);
        assert_eq!(c, vec!['住']);
        assert!(idx
            .candidates(Filter::default(), &[Key::Char('居')])
            .is_empty());
    }
}
