//! The paper model: how much of the roll the jobs used since the last restock, so staff see an
//! estimate of what is left even on printers without a near-end sensor.

use crate::virtual_printer::{paper_length_dots, parse_all};

/// Dots per mm of an 80 mm, 203 dpi thermal head.
pub const DOTS_PER_MM: f32 = 8.0;
/// A standard 80 mm kiosk roll: 80 m (80 × 80 mm, 12 mm core).
pub const DEFAULT_ROLL_MM: f32 = 80_000.0;
/// Paper between the print head and the cutter: fed at every cut and not counted by the
/// layout (about 15 mm on most 80 mm kiosk mechanisms).
pub const CUT_FEED_MM: f32 = 15.0;

/// Paper (mm) that `job` will use: the layout of each receipt in it plus the feed to the
/// cutter. A job without a cut counts what it prints.
pub fn job_length_mm(job: &[u8]) -> f32 {
    parse_all(job)
        .iter()
        .map(|r| paper_length_dots(r) as f32 / DOTS_PER_MM + CUT_FEED_MM)
        .sum()
}

/// Paper used since the last restock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperMeter {
    /// Length of a full roll, mm.
    pub roll_mm: f32,
    /// Used since the last restock, mm.
    pub used_mm: f32,
}

impl PaperMeter {
    /// A full roll of `roll_mm`.
    pub fn new(roll_mm: f32) -> Self {
        PaperMeter {
            roll_mm,
            used_mm: 0.0,
        }
    }

    /// Counts a job that went to the printer (printed or partly printed: paper is used either
    /// way).
    pub fn add_job(&mut self, job: &[u8]) {
        self.used_mm += job_length_mm(job);
    }

    /// Staff put in a new roll.
    pub fn restock(&mut self) {
        self.used_mm = 0.0;
    }

    /// Estimated paper left, mm (never negative).
    pub fn remaining_mm(&self) -> f32 {
        (self.roll_mm - self.used_mm).max(0.0)
    }

    /// Estimated fraction of the roll left, `0.0..=1.0`.
    pub fn remaining_fraction(&self) -> f32 {
        if self.roll_mm <= 0.0 {
            0.0
        } else {
            self.remaining_mm() / self.roll_mm
        }
    }
}

impl Default for PaperMeter {
    fn default() -> Self {
        PaperMeter::new(DEFAULT_ROLL_MM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Align, EscPosBuilder};

    #[test]
    fn lengths_add_up() {
        // Two 1×1 lines (30 dots each) and a 3-line feed (90 dots), then a cut:
        // 24 top + 60 + 90 + 32 bottom + 12 cut area = 218 dots = 27.25 mm, + 15 mm to the cutter.
        let job = EscPosBuilder::new()
            .init()
            .line("A")
            .line("中文")
            .feed(3)
            .cut(true)
            .build();
        assert!((job_length_mm(&job) - (27.25 + CUT_FEED_MM)).abs() < 0.01);
        // Double height doubles the glyph cell: 2×24+6 = 54 dots instead of 30.
        let tall = EscPosBuilder::new().size(1, 2).line("A").cut(true).build();
        let short = EscPosBuilder::new().line("A").cut(true).build();
        assert!((job_length_mm(&tall) - job_length_mm(&short) - 24.0 / 8.0).abs() < 0.01);
        // A QR code adds its size.
        let qr = EscPosBuilder::new()
            .align(Align::Center)
            .qr("https://x", 6)
            .cut(true)
            .build();
        // Version 1 (21 modules) + 8 quiet = 29 × 6 dots + 16 padding = 190 dots, against a 30-dot line.
        assert!((job_length_mm(&qr) - job_length_mm(&short) - 160.0 / 8.0).abs() < 0.01);
    }

    #[test]
    fn meter_counts_and_restocks() {
        let job = EscPosBuilder::new().line("A").cut(true).build();
        let mut m = PaperMeter::new(100.0);
        m.add_job(&job);
        m.add_job(&job);
        let per = job_length_mm(&job);
        assert!((m.used_mm - 2.0 * per).abs() < 0.001);
        assert!((m.remaining_mm() - (100.0 - 2.0 * per)).abs() < 0.001);
        for _ in 0..20 {
            m.add_job(&job);
        }
        assert_eq!(m.remaining_mm(), 0.0);
        m.restock();
        assert_eq!(m.remaining_fraction(), 1.0);
    }
}
