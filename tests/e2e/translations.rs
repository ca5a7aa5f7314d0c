//! Chinese first: every string the UI marks for translation has a Simplified Chinese one, so
//! no English leaks into the default screens.

use std::collections::BTreeSet;
use std::path::Path;

fn slint_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            slint_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slint") {
            out.push(path);
        }
    }
}

/// The string literal that follows each `@tr(`.
fn tr_strings(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("@tr(\"") {
        rest = &rest[i + 5..];
        let mut s = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => s.push(chars.next().unwrap_or('\\')),
                '"' => break,
                c => s.push(c),
            }
        }
        found.push(s);
    }
    found
}

/// msgid → msgstr of a .po file (single-line entries, as ours are).
fn po_entries(text: &str) -> Vec<(String, String)> {
    let unquote = |s: &str| s.trim().trim_matches('"').replace("\\\"", "\"");
    let mut entries = Vec::new();
    let mut id = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("msgid ") {
            id = Some(unquote(v));
        } else if let Some(v) = line.strip_prefix("msgstr ") {
            if let Some(id) = id.take() {
                entries.push((id, unquote(v)));
            }
        }
    }
    entries
}

#[test]
fn every_ui_string_has_a_chinese_translation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    slint_files(&root.join("ui"), &mut files);
    let mut wanted = BTreeSet::new();
    for f in files {
        wanted.extend(tr_strings(&std::fs::read_to_string(f).unwrap()));
    }
    assert!(wanted.len() > 20, "found only {} strings", wanted.len());
    let po = std::fs::read_to_string(
        root.join("assets/translations/zh_CN/LC_MESSAGES/citizen-window.po"),
    )
    .unwrap();
    let entries = po_entries(&po);
    let missing: Vec<_> = wanted
        .iter()
        .filter(|w| !entries.iter().any(|(id, s)| id == *w && !s.is_empty()))
        .collect();
    assert!(missing.is_empty(), "no Chinese for: {missing:#?}");
    // Placeholders survive translation.
    for (id, s) in &entries {
        assert_eq!(
            id.matches("{}").count(),
            s.matches("{}").count(),
            "{id} → {s}"
        );
    }
}
