//! A4 forms: printed blank, or pre-filled with the ID card's data.
//!
//! A pre-filled form carries the full ID number: it is the application the citizen hands in,
//! and the department needs the number. Everything else on paper masks it.

use super::pdf::{wrap, A4Page, MARGIN, PAGE_W};
use super::DocumentError;

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    /// Label printed in the left cell (`姓名`).
    pub label: String,
    /// Key the pre-fill data uses (`name`, `id_number`, ...).
    pub key: String,
    /// Height of the box in lines (addresses and reasons get more than one).
    pub lines: u8,
}

/// A form's layout: the catalog gives these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormTemplate {
    /// Title (`居住证申领登记表`).
    pub title: String,
    /// Department that takes the form.
    pub department: String,
    /// Fields, top to bottom.
    pub fields: Vec<FormField>,
    /// Notes printed under the boxes.
    pub notes: Vec<String>,
}

/// Values for a pre-filled form, by field key. Personal data: no `Debug` of the values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FormFill {
    values: Vec<(String, String)>,
}

impl std::fmt::Debug for FormFill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FormFill({} values, <redacted>)", self.values.len())
    }
}

impl FormFill {
    /// An empty fill: the form prints blank.
    pub fn blank() -> Self {
        Self::default()
    }

    /// Sets one value.
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.values.retain(|(k, _)| k != key);
        self.values.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The value for a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Lays the form out as a one-page A4 PDF; `fill` empty gives the blank form.
pub fn render(t: &FormTemplate, fill: &FormFill, font: &[u8]) -> Result<Vec<u8>, DocumentError> {
    let p = A4Page::new(&t.title, font)?;
    let width = PAGE_W - 2.0 * MARGIN;
    let label_w = 42.0;
    let line_h = 9.0;

    p.fill(0.0, 0.0, 0.0);
    p.text_centered(&t.title, 20.0, 30.0);
    p.text(&format!("受理部门: {}", t.department), 10.5, MARGIN, 44.0);

    let mut top = 50.0;
    for field in &t.fields {
        let h = line_h * f32::from(field.lines.max(1));
        p.fill(0.94, 0.94, 0.94);
        p.fill_rect(MARGIN, top, label_w, h);
        p.fill(0.0, 0.0, 0.0);
        p.frame(MARGIN, top, width, h, 0.6);
        p.line(MARGIN + label_w, top, MARGIN + label_w, top + h, 0.6);
        p.text(&field.label, 11.0, MARGIN + 3.0, top + 6.2);
        if let Some(v) = fill.get(&field.key) {
            let lines = wrap(v, 11.0, width - label_w - 6.0);
            for (i, l) in lines
                .iter()
                .take(usize::from(field.lines.max(1)))
                .enumerate()
            {
                p.text(
                    l,
                    11.0,
                    MARGIN + label_w + 3.0,
                    top + 6.2 + i as f32 * line_h,
                );
            }
        }
        top += h;
    }

    top += 10.0;
    for note in &t.notes {
        for l in wrap(note, 9.5, width) {
            p.text(&l, 9.5, MARGIN, top);
            top += 5.5;
        }
    }
    p.text("申请人签名:", 12.0, PAGE_W - MARGIN - 80.0, top + 16.0);
    p.text(
        "日期:      年    月    日",
        12.0,
        PAGE_W - MARGIN - 80.0,
        top + 28.0,
    );
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_set_replaces_and_debug_redacts() {
        let f = FormFill::blank().set("name", "张三").set("name", "李四");
        assert_eq!(f.get("name"), Some("李四"));
        assert_eq!(f.get("x"), None);
        assert_eq!(format!("{f:?}"), "FormFill(1 values, <redacted>)");
    }
}
