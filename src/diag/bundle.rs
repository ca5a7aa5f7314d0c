//! The diagnostic bundle: what a technician takes away on a USB stick (or the platform
//! asks for) to find a fault elsewhere. A zip of text files: the configuration without its
//! secrets, versions, the kiosk's logs, every device's state and masked protocol log, the
//! outbox's counts (never a payload), the last heartbeat, the device events and the audit
//! log when the store has one.
//!
//! No personal data: the logs and device logs hold none by construction (the `Debug` of
//! personal values redacts itself, protocol logs are masked when recorded), and the bundle
//! adds none: rows are read column by column from tables that hold none (outbox states and
//! errors, device events, audit), never a payload. `tests/e2e/bundle_pii.rs` runs every
//! service with the sample citizens and then looks for their data in every entry.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::zip::ZipWriter;
use crate::config::Config;

/// Largest part of one log file taken (its end: the most recent lines).
pub const LOG_TAIL_BYTES: u64 = 2 * 1024 * 1024;

/// One device as the bundle shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSection {
    /// The device's name (`idcard`, `printer`, …).
    pub name: String,
    /// Its identity and state, a few lines.
    pub summary: String,
    /// Its protocol log as text (masked when recorded).
    pub protocol_log: String,
}

/// What goes into a bundle besides what is read from the data folder.
#[derive(Debug, Clone)]
pub struct BundleSources<'a> {
    /// The kiosk's configuration.
    pub config: &'a Config,
    /// The file it was read from (none for the demo).
    pub config_file: Option<&'a Path>,
    /// Each device.
    pub devices: Vec<DeviceSection>,
    /// The sync thread's last status, when the bundle is made inside the running kiosk.
    pub sync: Option<crate::sync::SyncStatus>,
    /// The platform link check, when one was run (one line per step).
    pub link: Vec<String>,
    /// When the bundle is made.
    pub now: DateTime<Utc>,
}

/// Why a bundle could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The data folder or a destination could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// No removable drive is mounted.
    #[error("no USB stick found: plug one in (it must be mounted under /media or /run/media)")]
    NoRemovableDrive,
}

/// Keys of `kiosk.toml` whose values are secrets: replaced, wherever they appear.
const SECRET_KEYS: &[&str] = &[
    "key",
    "verify_key",
    "pin_hash",
    "technician_pin_hash",
    "pin",
];

/// Whether a config key holds a secret (a key, a PIN hash), not a path to one.
fn is_secret(key: &str) -> bool {
    SECRET_KEYS.contains(&key)
        || (key.ends_with("_hash") || key.ends_with("_key") || key.ends_with("_secret"))
            && !key.ends_with("_file")
}

fn redact(value: &mut toml::Value) {
    if let toml::Value::Table(table) = value {
        for (k, v) in table.iter_mut() {
            if is_secret(k) && !v.is_table() {
                *v = toml::Value::String("<redacted>".into());
            } else {
                redact(v);
            }
        }
    } else if let toml::Value::Array(items) = value {
        items.iter_mut().for_each(redact);
    }
}

/// The configuration file with every secret replaced, or why it cannot be shown.
pub fn redacted_config(file: &Path) -> String {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return format!("# cannot read {}: {e}\n", file.display()),
    };
    match text.parse::<toml::Table>() {
        Ok(table) => {
            let mut value = toml::Value::Table(table);
            redact(&mut value);
            format!(
                "# {} with its secrets replaced by <redacted>\n{}",
                file.display(),
                toml::to_string_pretty(&value).unwrap_or_default()
            )
        }
        // Never copy a file we cannot parse, nor the parser's message (it quotes the line):
        // a secret could be anywhere in it.
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            format!(
                "# {} is not valid TOML (line {}), not copied\n",
                file.display(),
                line.map_or("?".to_owned(), |l| l.to_string())
            )
        }
    }
}

/// The configuration as loaded (the demo's has no file): what a technician needs of it, no
/// keys.
fn config_summary(config: &Config) -> String {
    format!(
        "# the configuration as loaded (keys and PIN hashes left out)\n\
         platform.base_url = {:?}\nplatform.kiosk_id = {:?}\nplatform.timeout_secs = {}\n\
         devices = {:#?}\nsession = {:#?}\nsync = {:#?}\n",
        config.platform.base_url,
        config.platform.kiosk_id,
        config.platform.timeout_secs,
        config.devices,
        config.session,
        config.sync
    )
}

fn versions() -> String {
    let os = std::fs::read_to_string("/proc/version").unwrap_or_default();
    format!(
        "citizen-window {}\nslint 1.18\nos: {}\n",
        env!("CARGO_PKG_VERSION"),
        os.trim()
    )
}

/// The store's figures, read on a read-only connection (never a payload): the outbox by
/// state, the last upload, failed rows' kinds and errors, the last device events, and the
/// audit log when the store has one.
fn store_entries(db: &Path, zip: &mut ZipWriter) {
    let conn = match rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => {
            zip.add(
                "outbox.txt",
                format!("cannot open {}: {e}\n", db.display()).as_bytes(),
            );
            return;
        }
    };
    let schema: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap_or(-1);
    let text = format!("database schema version {schema}\n\n{}", outbox_text(&conn));
    zip.add("outbox.txt", text.as_bytes());
    zip.add(
        "device_events.tsv",
        table_text(
            &conn,
            "SELECT at, device, kind, detail FROM device_events ORDER BY id DESC LIMIT 500",
        )
        .as_bytes(),
    );
    // The staff branch's audit log, when this store has it (by name, whatever it is).
    let audit: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'audit%'")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_default();
    for table in audit {
        let sql = format!("SELECT * FROM \"{table}\" ORDER BY rowid DESC LIMIT 1000");
        zip.add(&format!("{table}.tsv"), table_text(&conn, &sql).as_bytes());
    }
}

fn outbox_text(conn: &rusqlite::Connection) -> String {
    let mut text = String::from("outbox rows by state:\n");
    text += &table_text(
        conn,
        "SELECT state, kind, count(*) FROM outbox GROUP BY state, kind ORDER BY state, kind",
    );
    let last: Option<String> = conn
        .query_row(
            "SELECT max(sent_at) FROM outbox WHERE state = 'sent'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(None);
    text += &format!(
        "last row acknowledged by the platform: {}\n",
        last.as_deref().unwrap_or("none kept")
    );
    text += "\nfailed rows (kind, attempts, error; never the payload):\n";
    text += &table_text(
        conn,
        "SELECT id, kind, attempts, last_error FROM outbox WHERE state = 'failed' ORDER BY id LIMIT 200",
    );
    text
}

/// Rows of `sql` as tab-separated text with a header line; an error as one line.
fn table_text(conn: &rusqlite::Connection, sql: &str) -> String {
    let run = || -> rusqlite::Result<String> {
        let mut stmt = conn.prepare(sql)?;
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let n = names.len();
        let mut text = names.join("\t") + "\n";
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let cells: Vec<String> = (0..n)
                .map(|i| match row.get_ref(i) {
                    Ok(rusqlite::types::ValueRef::Null) => String::new(),
                    Ok(rusqlite::types::ValueRef::Integer(v)) => v.to_string(),
                    Ok(rusqlite::types::ValueRef::Real(v)) => v.to_string(),
                    Ok(rusqlite::types::ValueRef::Text(t)) => {
                        String::from_utf8_lossy(t).replace(['\t', '\n'], " ")
                    }
                    Ok(rusqlite::types::ValueRef::Blob(b)) => format!("<{} bytes>", b.len()),
                    Err(e) => format!("<{e}>"),
                })
                .collect();
            text += &(cells.join("\t") + "\n");
        }
        Ok(text)
    };
    run().unwrap_or_else(|e| format!("cannot read: {e}\n"))
}

fn sync_text(sync: Option<&crate::sync::SyncStatus>) -> String {
    let Some(s) = sync else {
        return "made outside the running kiosk (`kiosk diag bundle`): its last heartbeat is \
                on the technician screen and in the platform's GET /v1/admin/heartbeats\n"
            .into();
    };
    let at = |t: Option<DateTime<Utc>>| t.map_or("never".to_owned(), |t| t.to_rfc3339());
    format!(
        "link: {:?}\nlast contact (a whole round answered): {}\nclock skew at the last heartbeat: {}\n\
         last error: {}\noutbox: {} pending, {} sent (kept), {} failed\nnumbers left: {:?}\n\
         damaged database moved aside: {}\n",
        s.link,
        at(s.last_contact),
        s.clock_skew_ms
            .map_or("not measured yet".to_owned(), |ms| format!("{ms} ms (kiosk minus platform)")),
        s.last_error
            .as_ref()
            .map_or("none".to_owned(), |(t, e)| format!("{} {e}", t.to_rfc3339())),
        s.pending,
        s.sent,
        s.failed,
        s.numbers_left,
        s.damaged_db
            .as_ref()
            .map_or("no".to_owned(), |d| format!("{} ({})", d.moved_to, d.finding)),
    )
}

/// The end of `path`, at most [`LOG_TAIL_BYTES`].
fn tail(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Seek;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(std::io::SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Builds the bundle's bytes from `sources` and the data folder (logs, database).
pub fn build(sources: &BundleSources<'_>) -> Vec<u8> {
    let hall_time = sources.now.with_timezone(&crate::clock::hall_offset());
    let mut zip = ZipWriter::new(hall_time.naive_local());
    let config = sources.config;
    zip.add(
        "README.txt",
        format!(
            "Citizen Window diagnostic bundle\nkiosk: {}\nmade: {} (hall time {})\n\n\
             config.toml       the configuration, secrets replaced\n\
             versions.txt      program and system\n\
             link.txt          the platform link check (DNS, TCP, TLS, HTTP) and the last heartbeat\n\
             outbox.txt        the schema, outbox rows by state and kind; failed rows' errors (no payloads)\n\
             device_events.tsv the last device events\n\
             devices/*.txt     each device: identity, state, protocol log (masked)\n\
             logs/*            the kiosk's log files (their last {} MB each)\n\
             audit*.tsv        staff and technician actions, when the store has an audit log\n\
             No personal data is in this bundle.\n",
            config.platform.kiosk_id,
            sources.now.to_rfc3339(),
            hall_time.format("%Y-%m-%d %H:%M:%S"),
            LOG_TAIL_BYTES / 1024 / 1024,
        )
        .as_bytes(),
    );
    let config_text = match sources.config_file {
        Some(file) => redacted_config(file),
        None => config_summary(config),
    };
    zip.add("config.toml", config_text.as_bytes());
    zip.add("versions.txt", versions().as_bytes());
    let mut link = String::new();
    if sources.link.is_empty() {
        link += "link check: not run for this bundle\n";
    } else {
        link += &format!("link check of {}:\n", config.platform.base_url);
        for line in &sources.link {
            link += &format!("  {line}\n");
        }
    }
    link += "\nlast heartbeat:\n";
    link += &sync_text(sources.sync.as_ref());
    zip.add("link.txt", link.as_bytes());
    for d in &sources.devices {
        zip.add(
            &format!("devices/{}.txt", d.name),
            format!(
                "{}\n\nprotocol log (hex, time since the port opened; personal data never recorded):\n{}",
                d.summary,
                if d.protocol_log.is_empty() { "(no exchanges)\n" } else { &d.protocol_log }
            )
            .as_bytes(),
        );
    }
    let db = crate::kiosk::Kiosk::db_path(config);
    if db.exists() {
        store_entries(&db, &mut zip);
    } else {
        zip.add(
            "outbox.txt",
            format!("no database at {}\n", db.display()).as_bytes(),
        );
    }
    let logs = config.data_dir.join("logs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&logs)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name else { continue };
        match tail(&file) {
            Ok(bytes) => zip.add(&format!("logs/{name}"), &bytes),
            Err(e) => zip.add(&format!("logs/{name}.error"), e.to_string().as_bytes()),
        }
    }
    zip.finish()
}

/// A mounted removable drive (a USB stick): where it is mounted and its block device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovableDrive {
    /// The mount point, e.g. `/media/kiosk/STICK`.
    pub mount: PathBuf,
    /// The block device, e.g. `sdb`.
    pub device: String,
}

/// The removable drives mounted under `/media` or `/run/media`: a mount whose block device
/// (a partition's parent disk) says `1` in `/sys/block/<disk>/removable`.
pub fn removable_drives() -> Vec<RemovableDrive> {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    removable_in(&mounts, Path::new("/sys/block"))
}

fn removable_in(mounts: &str, sys_block: &Path) -> Vec<RemovableDrive> {
    let mut found = Vec::new();
    for line in mounts.lines() {
        let mut fields = line.split_whitespace();
        let (Some(dev), Some(mount)) = (fields.next(), fields.next()) else {
            continue;
        };
        // /proc/mounts escapes spaces as \040.
        let mount = mount.replace("\\040", " ");
        if !(mount.starts_with("/media/") || mount.starts_with("/run/media/")) {
            continue;
        }
        let Some(name) = dev.strip_prefix("/dev/") else {
            continue;
        };
        // sdb1 → sdb, mmcblk0p1 → mmcblk0: the disk is the /sys/block entry that is a
        // prefix of the partition's name.
        let disk = std::fs::read_dir(sys_block)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|d| name.starts_with(d.as_str()))
            .max_by_key(|d| d.len());
        let Some(disk) = disk else { continue };
        let removable = std::fs::read_to_string(sys_block.join(&disk).join("removable"))
            .is_ok_and(|v| v.trim() == "1");
        if removable {
            found.push(RemovableDrive {
                mount: PathBuf::from(mount),
                device: disk,
            });
        }
    }
    found
}

/// The bundle's file name: `citizen-window-diag-<kiosk>-<hall time>.zip`.
pub fn file_name(kiosk_id: &str, now: DateTime<Utc>) -> String {
    let safe: String = kiosk_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hall = now.with_timezone(&crate::clock::hall_offset());
    format!(
        "citizen-window-diag-{safe}-{}.zip",
        hall.format("%Y%m%d-%H%M%S")
    )
}

/// Where a bundle goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// This file.
    File(PathBuf),
    /// The first mounted USB stick, under [`file_name`].
    RemovableDrive,
}

/// Writes `bytes` to `dest` (synced to the medium before it returns, so the stick can be
/// pulled); returns the file written.
pub fn write(
    bytes: &[u8],
    dest: &Destination,
    kiosk_id: &str,
    now: DateTime<Utc>,
) -> Result<PathBuf, BundleError> {
    let path = match dest {
        Destination::File(p) => p.clone(),
        Destination::RemovableDrive => removable_drives()
            .into_iter()
            .next()
            .ok_or(BundleError::NoRemovableDrive)?
            .mount
            .join(file_name(kiosk_id, now)),
    };
    let io = |what: &str| {
        let what = format!("{what} {}", path.display());
        move |source| BundleError::Io { what, source }
    };
    use std::io::Write;
    let mut file = std::fs::File::create(&path).map_err(io("creating"))?;
    file.write_all(bytes).map_err(io("writing"))?;
    file.sync_all().map_err(io("syncing"))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_and_key_files_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kiosk.toml");
        std::fs::write(
            &file,
            "[platform]\nbase_url = \"https://p\"\nkiosk_id = \"k1\"\nkey = \"s3cret\"\n\
             key_file = \"/etc/citizen-window/platform.key\"\n\
             [staff]\npin_hash = \"sha256$salt$abcdef\"\n[codes]\nverify_base = \"https://v\"\nverify_key = \"vk\"\n",
        )
        .unwrap();
        let text = redacted_config(&file);
        for secret in ["s3cret", "abcdef", "\"vk\""] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("/etc/citizen-window/platform.key"), "{text}");
        assert!(text.contains("kiosk_id = \"k1\""), "{text}");
        std::fs::write(&file, "key = \"s3cret\" [[[").unwrap();
        assert!(!redacted_config(&file).contains("s3cret"));
    }

    #[test]
    fn a_removable_disk_under_media_is_found_and_a_fixed_one_is_not() {
        let sys = tempfile::tempdir().unwrap();
        for (disk, removable) in [("sda", "0"), ("sdb", "1"), ("mmcblk0", "1")] {
            std::fs::create_dir_all(sys.path().join(disk)).unwrap();
            std::fs::write(sys.path().join(disk).join("removable"), removable).unwrap();
        }
        let mounts = "/dev/sda1 / ext4 rw 0 0\n\
                      /dev/sda2 /media/data ext4 rw 0 0\n\
                      /dev/sdb1 /media/kiosk/MY\\040STICK vfat rw 0 0\n\
                      /dev/mmcblk0p1 /mnt/card vfat rw 0 0\n\
                      tmpfs /run/media tmpfs rw 0 0\n";
        let found = removable_in(mounts, sys.path());
        assert_eq!(
            found,
            [RemovableDrive {
                mount: "/media/kiosk/MY STICK".into(),
                device: "sdb".into()
            }]
        );
    }

    #[test]
    fn file_names_carry_the_kiosk_and_the_hall_time() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            file_name("hall/01 a", now),
            "citizen-window-diag-hall_01_a-20261202-033000.zip"
        );
    }
}
