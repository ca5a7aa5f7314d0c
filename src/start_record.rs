//! Whether each version of the kiosk came up: a version that fails to (a crash before the
//! first frame, again and again under systemd's restarts) is reported, by itself in the
//! heartbeat while it still gets that far, and by the version rolled back to.
//!
//! `starts.json` in the data folder holds the version that started last, how many times it
//! started since it last showed its first frame, and the versions that never came up before
//! another replaced them. A start counts itself ([`begin`]) before anything can fail; the
//! first frame clears the count ([`StartRecord::came_up`]). The sync worker puts the counts in
//! every heartbeat ([`for_heartbeat`]) and forgets a failed version once a heartbeat naming it
//! was acknowledged ([`reported`]). The journal has each start's line too.
//!
//! No personal data: versions and counts only.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kiosk_platform::api::FailedVersion;
use serde::{Deserialize, Serialize};

/// The file's name in the data folder.
pub const FILE: &str = "starts.json";

/// Read-modify-write of the file by the UI thread and the sync worker, one at a time.
static FILE_LOCK: Mutex<()> = Mutex::new(());

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    /// The version that started last.
    version: String,
    /// Its starts since it last came up (this one included while it runs).
    unready_starts: u32,
    /// Versions that never came up before another version replaced them.
    #[serde(default)]
    failed: Vec<FailedVersion>,
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

fn read(data_dir: &Path) -> Record {
    match std::fs::read(path(data_dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "{FILE} unreadable: starting its count afresh");
            Record::default()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Record::default(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read {FILE}");
            Record::default()
        }
    }
}

fn write(data_dir: &Path, record: &Record) {
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    let result = serde_json::to_vec(record)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path(data_dir)));
    if let Err(e) = result {
        // A full disk, say: the count is lost, never the kiosk.
        tracing::warn!(error = %e, "cannot write {FILE}");
    }
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    FILE_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// This start of `version`, counted.
#[derive(Debug, Clone)]
pub struct StartRecord {
    data_dir: PathBuf,
    version: String,
}

/// Counts a start of `version` in `data_dir` and says in the log what the count shows: this
/// version failing to come up before, or another version having failed before this one.
pub fn begin(data_dir: &Path, version: &str) -> StartRecord {
    let _g = lock();
    let mut record = read(data_dir);
    if record.version != version {
        if record.unready_starts > 0 && !record.version.is_empty() {
            tracing::error!(
                failed_version = %record.version,
                starts = record.unready_starts,
                "version {} never came up ({} starts); now running {version}",
                record.version,
                record.unready_starts
            );
            let failed = FailedVersion {
                version: std::mem::take(&mut record.version),
                starts: record.unready_starts,
            };
            match record
                .failed
                .iter_mut()
                .find(|f| f.version == failed.version)
            {
                Some(f) => f.starts += failed.starts,
                None => record.failed.push(failed),
            }
        }
        record.version = version.to_owned();
        record.unready_starts = 0;
    } else if record.unready_starts > 0 {
        tracing::error!(
            starts = record.unready_starts,
            "this version did not come up the last {} time(s) it started: roll back with \
             `apt-get install citizen-window=<previous version>` if it keeps failing",
            record.unready_starts
        );
    }
    record.unready_starts += 1;
    write(data_dir, &record);
    StartRecord {
        data_dir: data_dir.to_owned(),
        version: version.to_owned(),
    }
}

impl StartRecord {
    /// The first frame is up: this version came up.
    pub fn came_up(&self) {
        let _g = lock();
        let mut record = read(&self.data_dir);
        if record.version == self.version {
            record.unready_starts = 0;
            write(&self.data_dir, &record);
        }
    }
}

/// For a heartbeat: the starts of the running version that did not come up before this one,
/// and the versions that never came up on this kiosk.
pub fn for_heartbeat(data_dir: &Path) -> (u32, Vec<FailedVersion>) {
    let _g = lock();
    let record = read(data_dir);
    // While it runs, the running start counts itself until its first frame; once up, 0.
    (record.unready_starts.saturating_sub(1), record.failed)
}

/// A heartbeat naming `failed` was acknowledged: the platform knows, forget them.
pub fn reported(data_dir: &Path, failed: &[FailedVersion]) {
    if failed.is_empty() {
        return;
    }
    let _g = lock();
    let mut record = read(data_dir);
    record.failed.retain(|f| !failed.contains(f));
    write(data_dir, &record);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_that_never_comes_up_is_counted_and_reported_after_a_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // 0.1.0 runs fine.
        begin(d, "0.1.0").came_up();
        assert_eq!(for_heartbeat(d), (0, vec![]));
        // 0.2.0 is installed and crashes before its first frame, three times.
        for n in 0..3 {
            let _ = begin(d, "0.2.0");
            assert_eq!(for_heartbeat(d).0, n, "starts before this one that failed");
        }
        // Rolled back: 0.1.0 comes up and reports 0.2.0.
        let start = begin(d, "0.1.0");
        start.came_up();
        let (unready, failed) = for_heartbeat(d);
        assert_eq!(unready, 0);
        assert_eq!(
            failed,
            vec![FailedVersion {
                version: "0.2.0".into(),
                starts: 3
            }]
        );
        // Once a heartbeat carried it, it is forgotten; a restart of the good one adds nothing.
        reported(d, &failed);
        begin(d, "0.1.0").came_up();
        assert_eq!(for_heartbeat(d), (0, vec![]));
    }

    #[test]
    fn a_damaged_or_missing_file_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        let _ = begin(dir.path(), "0.1.0");
        assert_eq!(read(dir.path()).unready_starts, 1);
        let gone = dir.path().join("gone");
        assert_eq!(for_heartbeat(&gone), (0, vec![]));
        // A folder that cannot be written to loses the count, not the kiosk.
        let _ = begin(&gone, "0.1.0");
    }
}
