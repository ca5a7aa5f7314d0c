//! WCAG 2.1 AA over the theme: every `// pair:` that `ui/theme.slint` lists, in both themes
//! (each colour there is `high-contrast ? #HC : #DEFAULT`). Text needs 4.5:1; large text
//! and control boundaries 3:1 (success criteria 1.4.3 and 1.4.11).

use std::collections::BTreeMap;

const THEME: &str = include_str!("../../ui/theme.slint");

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rgb(u8, u8, u8);

impl Rgb {
    fn parse(hex: &str) -> Option<Rgb> {
        let h = hex.strip_prefix('#')?;
        if h.len() != 6 {
            return None;
        }
        let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
        Some(Rgb(c(0)?, c(2)?, c(4)?))
    }

    /// Relative luminance (WCAG 2.1).
    fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }
}

/// The contrast ratio of two colours, 1 to 21.
fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// Each colour of the theme: name → (default, high contrast).
fn colours(theme: &str) -> BTreeMap<String, (Rgb, Rgb)> {
    let mut out = BTreeMap::new();
    for line in theme.lines() {
        let Some(rest) = line.trim().strip_prefix("out property <color> ") else {
            continue;
        };
        let (name, value) = rest.split_once(':').expect("name: value");
        let value = value.trim().trim_end_matches(';');
        let (hc, default) = value
            .strip_prefix("high-contrast ?")
            .and_then(|v| v.split_once(':'))
            .unwrap_or_else(|| panic!("{name}: write it `high-contrast ? #HC : #DEFAULT`"));
        let parse = |s: &str| {
            Rgb::parse(s.trim()).unwrap_or_else(|| panic!("{name}: {s:?} is not #rrggbb"))
        };
        out.insert(name.trim().to_owned(), (parse(default), parse(hc)));
    }
    out
}

/// `// pair: FG on BG (kind)` lines: (fg, bg, the ratio needed).
fn pairs(theme: &str) -> Vec<(String, String, f64)> {
    theme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("// pair: "))
        .map(|p| {
            let (fg, rest) = p.split_once(" on ").expect("FG on BG (kind)");
            let (bg, kind) = rest.split_once(" (").expect("FG on BG (kind)");
            let needed = match kind.trim_end_matches(')') {
                "text" => 4.5,
                "large" | "control" => 3.0,
                other => panic!("unknown kind {other:?}"),
            };
            (fg.trim().to_owned(), bg.trim().to_owned(), needed)
        })
        .collect()
}

#[test]
fn the_formula_matches_known_ratios() {
    let white = Rgb(255, 255, 255);
    let black = Rgb(0, 0, 0);
    assert!((contrast(white, black) - 21.0).abs() < 1e-9);
    assert!((contrast(white, white) - 1.0).abs() < 1e-9);
    // The review's figure for the old disabled button: white on #c8d0da.
    let old = contrast(white, Rgb::parse("#c8d0da").unwrap());
    assert!((old - 1.56).abs() < 0.01, "{old}");
}

#[test]
fn every_pair_the_theme_defines_passes_wcag_aa_in_both_themes() {
    let colours = colours(THEME);
    let pairs = pairs(THEME);
    assert!(pairs.len() >= 15, "the theme lists its pairs");
    let mut failures = Vec::new();
    for (fg, bg, needed) in &pairs {
        let (Some(f), Some(b)) = (colours.get(fg), colours.get(bg)) else {
            panic!("pair {fg} on {bg}: no such colour in the theme");
        };
        for (theme, f, b) in [("default", f.0, b.0), ("high contrast", f.1, b.1)] {
            let ratio = contrast(f, b);
            if ratio < *needed {
                failures.push(format!(
                    "{theme}: {fg} on {bg} is {ratio:.2}:1 < {needed}:1"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_text_colour_is_paired_with_a_background() {
    // A colour that no pair names is either a background or unchecked: the foregrounds
    // the pages use must all be in a pair.
    let pairs = pairs(THEME);
    for fg in [
        "text",
        "text-muted",
        "brand",
        "on-brand",
        "accent",
        "ok",
        "warn",
        "on-disabled",
        "border",
    ] {
        assert!(pairs.iter().any(|(f, _, _)| f == fg), "{fg} is in no pair");
    }
}
