//! A zip archive of deflated entries, written in memory: the diagnostic bundle's format,
//! which any computer a technician takes the USB stick to opens without a tool.
//!
//! A hundred lines on flate2 (already in the tree) instead of the `zip` crate and its dozen
//! dependencies: the bundle needs one writer (and a reader for its checks), no encryption,
//! no zip64 (it is a few megabytes at most).

use std::io::Write;

/// One file of the archive.
struct Entry {
    name: String,
    crc: u32,
    size: u32,
    compressed: Vec<u8>,
    offset: u32,
}

/// Builds a zip in memory.
#[derive(Default)]
pub struct ZipWriter {
    out: Vec<u8>,
    entries: Vec<Entry>,
    /// MS-DOS time and date of every entry.
    dos: (u16, u16),
}

impl ZipWriter {
    /// An empty archive whose entries carry `at` (hall time) as their date.
    pub fn new(at: chrono::NaiveDateTime) -> ZipWriter {
        use chrono::{Datelike, Timelike};
        let time = ((at.hour() << 11) | (at.minute() << 5) | (at.second() / 2)) as u16;
        let year = at.year().clamp(1980, 2107) as u32 - 1980;
        let date = ((year << 9) | (at.month() << 5) | at.day()) as u16;
        ZipWriter {
            dos: (time, date),
            ..ZipWriter::default()
        }
    }

    /// Adds `data` as `name` (a relative path with `/`), deflated.
    pub fn add(&mut self, name: &str, data: &[u8]) {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).expect("writing to memory");
        let compressed = enc.finish().expect("writing to memory");
        let entry = Entry {
            name: name.to_owned(),
            crc: crc.sum(),
            size: data.len() as u32,
            compressed,
            offset: self.out.len() as u32,
        };
        let out = &mut self.out;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        self.header_fields(&entry, false);
        self.out.extend_from_slice(entry.name.as_bytes());
        self.out.extend_from_slice(&entry.compressed);
        self.entries.push(entry);
    }

    /// Version, flags, method, time, date, CRC, sizes, name length, extra length (and, in
    /// the central directory, the rest of its fixed fields).
    fn header_fields(&mut self, e: &Entry, central: bool) {
        let out = &mut self.out;
        if central {
            out.extend_from_slice(&20u16.to_le_bytes()); // made by
        }
        out.extend_from_slice(&20u16.to_le_bytes()); // needed to extract
        out.extend_from_slice(&0x0800u16.to_le_bytes()); // names are UTF-8
        out.extend_from_slice(&8u16.to_le_bytes()); // deflate
        out.extend_from_slice(&self.dos.0.to_le_bytes());
        out.extend_from_slice(&self.dos.1.to_le_bytes());
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&(e.compressed.len() as u32).to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        if central {
            out.extend_from_slice(&0u16.to_le_bytes()); // comment
            out.extend_from_slice(&0u16.to_le_bytes()); // disk
            out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            out.extend_from_slice(&e.offset.to_le_bytes());
        }
    }

    /// The archive's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let start = self.out.len() as u32;
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            self.out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            self.header_fields(e, true);
            self.out.extend_from_slice(e.name.as_bytes());
        }
        let size = self.out.len() as u32 - start;
        let out = &mut self.out;
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // disk numbers
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// Reads a zip this module wrote back into (name, bytes), checking every CRC: for tests and
/// for `kiosk diag bundle`'s own check of what it wrote.
pub fn read_entries(zip: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    use std::io::Read;
    let mut entries = Vec::new();
    let mut at = 0usize;
    let u16_at = |i: usize| -> Result<usize, String> {
        zip.get(i..i + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or_else(|| "cut short".to_owned())
    };
    let u32_at = |i: usize| -> Result<u32, String> {
        zip.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "cut short".to_owned())
    };
    while u32_at(at)? == 0x0403_4b50 {
        let (method, crc) = (u16_at(at + 8)?, u32_at(at + 14)?);
        let (csize, name_len, extra) = (
            u32_at(at + 18)? as usize,
            u16_at(at + 26)?,
            u16_at(at + 28)?,
        );
        let name_at = at + 30;
        let name = zip.get(name_at..name_at + name_len).ok_or("cut short")?;
        let name = String::from_utf8(name.to_vec()).map_err(|e| e.to_string())?;
        let data_at = name_at + name_len + extra;
        let raw = zip.get(data_at..data_at + csize).ok_or("cut short")?;
        let data = match method {
            0 => raw.to_vec(),
            8 => {
                let mut plain = Vec::new();
                flate2::read::DeflateDecoder::new(raw)
                    .read_to_end(&mut plain)
                    .map_err(|e| format!("{name}: {e}"))?;
                plain
            }
            m => return Err(format!("{name}: compression method {m}")),
        };
        let mut check = flate2::Crc::new();
        check.update(&data);
        if check.sum() != crc {
            return Err(format!("{name}: CRC mismatch"));
        }
        entries.push((name, data));
        at = data_at + csize;
    }
    if u32_at(at)? != 0x0201_4b50 {
        return Err(format!("no central directory at byte {at}"));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_and_unzip_reads_the_archive() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(19, 30, 14)
            .unwrap();
        let mut zip = ZipWriter::new(at);
        zip.add("README.txt", "诊断包\n".repeat(100).as_bytes());
        zip.add("devices/idcard.txt", b"");
        let bytes = zip.finish();
        let entries = read_entries(&bytes).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].1, "诊断包\n".repeat(100).as_bytes());
        assert_eq!(entries[1].0, "devices/idcard.txt");
        // Another reader agrees, where one is installed.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.zip");
        std::fs::write(&file, &bytes).unwrap();
        if let Ok(out) = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&file)
            .output()
        {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{text}");
            assert!(text.contains("No errors detected"), "{text}");
        }
    }
}
