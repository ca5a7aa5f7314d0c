//! Start-up checks, run before the kiosk leases a number, creates a database or opens a
//! window: the whole configuration and the data folder's files. Every problem is reported
//! at once, each naming its key or its file, so an operator fixes them in one visit instead
//! of finding them one at a time after side effects (numbers leased before a bad PIN hash
//! stops the start, a database created before a missing key file does, a read-only
//! database that fails every write after the kiosk said it was up).
//!
//! Called from `main` with one line: `let notes = kiosk::preflight::check(&config)?;`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::Config;

/// Everything wrong found before start; each line names the key or file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightError {
    /// One line per problem.
    pub problems: Vec<String>,
}

impl fmt::Display for PreflightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the kiosk cannot start:")?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PreflightError {}

/// What the checks changed or want the operator to know (a key file made private, a store
/// key moved out of the data folder); to be logged once logging runs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PreflightNotes(pub Vec<String>);

impl PreflightNotes {
    /// Logs each note as a warning.
    pub fn log(&self) {
        for n in &self.0 {
            tracing::warn!("{n}");
        }
    }
}

/// The database file in the data folder.
fn db_path(config: &Config) -> PathBuf {
    crate::kiosk::Kiosk::db_path(config)
}

/// Checks the configuration and the data folder. Creates nothing but the data folder
/// itself (when missing) and, on an upgrade, moves a store key found in the data folder to
/// its default place outside it.
pub fn check(config: &Config) -> Result<PreflightNotes, PreflightError> {
    let mut problems = Vec::new();
    let mut notes = PreflightNotes::default();
    for p in config.problems() {
        problems.push(format!("config: {p}"));
    }
    let data_ok = check_data_dir(&config.data_dir, &mut problems);
    if data_ok {
        let db = db_path(config);
        for suffix in ["", "-wal", "-shm"] {
            check_writable_file(
                &PathBuf::from(format!("{}{suffix}", db.display())),
                &mut problems,
            );
        }
    }
    if !config.demo {
        check_key_permissions(
            config.platform.key_file.as_deref(),
            "platform key file",
            &mut notes,
        );
        if let Err(e) = config.platform_key() {
            problems.push(e.to_string());
        }
        // The CA file is there and holds certificates, the pins parse: a kiosk that would
        // refuse every answer of its platform does not start.
        if let Err(e) = config.platform.trust() {
            problems.push(e.to_string());
        }
        if config.devices.code_scanner.is_some() {
            if let Some(codes) = &config.codes {
                check_key_permissions(
                    codes.verify_key_file.as_deref(),
                    "code key file",
                    &mut notes,
                );
                match codes.key() {
                    Ok(_) => {}
                    Err(crate::config::ConfigError::Key(why)) => {
                        problems.push(format!("code key (codes.verify_key_file): {why}"))
                    }
                    Err(e) => problems.push(format!("codes.verify_key_file: {e}")),
                }
            }
        }
    }
    check_store_key(config, data_ok, &mut problems, &mut notes);
    match crate::service::pin::StaffAccess::from_config(&config.staff) {
        Ok(access) => notes.0.extend(access.warnings()),
        Err(e) => problems.push(format!("config: {e}")),
    }
    if problems.is_empty() {
        Ok(notes)
    } else {
        Err(PreflightError { problems })
    }
}

/// The data folder exists (or is created) and the kiosk's user can write in it.
fn check_data_dir(dir: &Path, problems: &mut Vec<String>) -> bool {
    if let Err(e) = std::fs::create_dir_all(dir) {
        problems.push(format!(
            "data folder {}: cannot create it: {e}",
            dir.display()
        ));
        return false;
    }
    if !dir.is_dir() {
        problems.push(format!("data folder {} is not a folder", dir.display()));
        return false;
    }
    let probe = dir.join(format!(".preflight-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"ok"));
    let _ = std::fs::remove_file(&probe);
    if let Err(e) = written {
        problems.push(format!(
            "data folder {} is not writable by this user: {e}",
            dir.display()
        ));
        return false;
    }
    true
}

/// An existing file must open for writing (a read-only database would let the kiosk start
/// and then fail every write).
fn check_writable_file(path: &Path, problems: &mut Vec<String>) {
    if !path.exists() {
        return;
    }
    if !path.is_file() {
        problems.push(format!("{} is not a file", path.display()));
        return;
    }
    let readonly = std::fs::metadata(path)
        .map(|m| m.permissions().readonly())
        .unwrap_or(false);
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path);
    match opened {
        Ok(_) if !readonly => {}
        Ok(_) => problems.push(format!("{} is read-only", path.display())),
        Err(e) => problems.push(format!(
            "{} cannot be opened for writing: {e}",
            path.display()
        )),
    }
}

/// Notes a key file readable by others (it is tightened when read).
fn check_key_permissions(path: Option<&Path>, what: &str, notes: &mut PreflightNotes) {
    #[cfg(unix)]
    if let Some(path) = path {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            if m.permissions().mode() & 0o077 != 0 {
                notes.0.push(format!(
                    "{what} {} was readable by others: set to 0600",
                    path.display()
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what, notes);
}

/// The store key: readable and well-formed when present; when missing, either moved from
/// the data folder (an upgrade from the old default), refused (a database exists whose
/// payloads it sealed), or to be created in a writable folder.
fn check_store_key(
    config: &Config,
    data_ok: bool,
    problems: &mut Vec<String>,
    notes: &mut PreflightNotes,
) {
    let key = config.store_key_file();
    let legacy = config.data_dir.join(crate::store::crypto::DEFAULT_KEY_FILE);
    if !config.demo && key.starts_with(&config.data_dir) {
        notes.0.push(format!(
            "store key file {} is in the data folder: whoever copies the folder has the key \
             with the database; set store.key_file outside it",
            key.display()
        ));
    }
    if !key.exists() && key != legacy && legacy.exists() {
        // The old default: move it where it belongs now.
        match move_file(&legacy, &key) {
            Ok(()) => notes.0.push(format!(
                "store key moved from the data folder ({}) to {}",
                legacy.display(),
                key.display()
            )),
            Err(e) => {
                problems.push(format!(
                    "store key file {} is missing; the key is still at {} and cannot be moved there: {e} (move it by hand, mode 0600)",
                    key.display(),
                    legacy.display()
                ));
                return;
            }
        }
    }
    if key.exists() {
        if let Err(e) = crate::store::PayloadCipher::load_or_create(&key) {
            problems.push(e.to_string());
        }
        return;
    }
    let db = db_path(config);
    if data_ok && db.exists() {
        problems.push(format!(
            "store key file {} is missing but the database {} exists: its sealed data cannot be \
             read without that key (restore the key file, or move the database aside)",
            key.display(),
            db.display()
        ));
        return;
    }
    // It will be created at the first open (with its folder): the nearest existing folder
    // must be writable.
    let mut dir = key
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    while !dir.exists() {
        match dir.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(up) => dir = up,
            None => break,
        }
    }
    if dir.exists() {
        let probe = dir.join(format!(".preflight-key-{}", std::process::id()));
        let made = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe);
        let _ = std::fs::remove_file(&probe);
        if let Err(e) = made {
            problems.push(format!(
                "store key file {} is missing and cannot be created in {}: {e} (create it: 64 hex digits, mode 0600, owned by the kiosk's user; see docs/operations.md)",
                key.display(),
                dir.display()
            ));
        }
    }
}

fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    // Another file system: copy (0600), then remove the old one.
    let text = std::fs::read(from)?;
    {
        #[cfg(unix)]
        let mut f = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(to)?
        };
        #[cfg(not(unix))]
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(to)?;
        std::io::Write::write_all(&mut f, &text)?;
        f.sync_all()?;
    }
    std::fs::remove_file(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real (non-demo) config with its files in `dir`: key files present and private.
    fn real(dir: &Path) -> Config {
        let etc = dir.join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        let key = etc.join("platform.key");
        std::fs::write(&key, "secret\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut c = Config::demo(dir.join("data"));
        c.demo = false;
        c.config_dir = Some(etc.clone());
        c.platform.base_url = "https://platform.example".into();
        c.platform.key = None;
        c.platform.key_file = Some(key);
        c.devices.code_scanner = None;
        c.codes = None;
        c
    }

    fn problems(c: &Config) -> Vec<String> {
        check(c).err().map(|e| e.problems).unwrap_or_default()
    }

    #[test]
    fn a_sound_config_passes_and_creates_only_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let c = real(dir.path());
        assert_eq!(problems(&c), Vec::<String>::new());
        assert!(c.data_dir.is_dir());
        assert_eq!(std::fs::read_dir(&c.data_dir).unwrap().count(), 0);
        assert_eq!(c.store_key_file(), dir.path().join("etc/store.key"));
    }

    #[test]
    fn a_bad_pin_hash_is_found_before_anything_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = real(dir.path());
        c.staff.pin_hash = Some("sha256$salt$nothex".into());
        let p = problems(&c);
        assert!(p.iter().any(|p| p.contains("staff.pin_hash")), "{p:?}");
        assert!(!db_path(&c).exists());
    }

    #[test]
    fn a_missing_key_file_is_found_before_the_database_is_created_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = real(dir.path());
        let missing = dir.path().join("etc/nope.key");
        c.platform.key_file = Some(missing.clone());
        let p = problems(&c);
        assert!(
            p.iter().any(|p| p.contains(&missing.display().to_string())),
            "{p:?}"
        );
        assert!(!db_path(&c).exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_database_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let c = real(dir.path());
        std::fs::create_dir_all(&c.data_dir).unwrap();
        let db = db_path(&c);
        std::fs::write(&db, b"").unwrap();
        // Mode bits: read-only even for root (who could still open it for writing).
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
        std::fs::write(c.store_key_file(), "00".repeat(32)).unwrap();
        let p = problems(&c);
        assert!(
            p.iter()
                .any(|p| p.contains(&db.display().to_string()) && p.contains("read-only")),
            "{p:?}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_unwritable_data_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = real(dir.path());
        // Not even root can make a folder in /proc.
        c.data_dir = PathBuf::from("/proc/self/citizen-window-data");
        let p = problems(&c);
        assert!(
            p.iter()
                .any(|p| p.starts_with("data folder /proc/self/citizen-window-data")),
            "{p:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_world_readable_platform_key_is_made_private_with_a_note() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let c = real(dir.path());
        let key = c.platform.key_file.clone().unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let notes = check(&c).unwrap();
        assert!(
            notes.0.iter().any(|n| n.contains("platform key file")),
            "{notes:?}"
        );
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn the_ca_file_must_be_there_and_hold_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = real(dir.path());
        let ca = dir.path().join("etc/gov-ca.pem");
        c.platform.ca_file = Some(ca.clone());
        let p = problems(&c);
        assert!(
            p.iter()
                .any(|p| p.contains("platform.ca_file") && p.contains("gov-ca.pem")),
            "{p:?}"
        );
        std::fs::write(
            &ca,
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let p = problems(&c);
        assert!(
            p.iter().any(|p| p.contains("not usable as an authority")),
            "{p:?}"
        );
        std::fs::write(&ca, kiosk_platform::tls_test::CA_PEM).unwrap();
        assert_eq!(problems(&c), Vec::<String>::new());
    }

    #[test]
    fn an_inline_platform_key_is_refused_outside_the_demo() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = real(dir.path());
        c.platform.key = Some("inline".into());
        c.platform.key_file = None;
        let p = problems(&c);
        assert!(p.iter().any(|p| p.contains("platform.key")), "{p:?}");
    }

    #[test]
    fn the_store_key_moves_out_of_the_data_folder_and_a_lost_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = real(dir.path());
        std::fs::create_dir_all(&c.data_dir).unwrap();
        let legacy = c.data_dir.join("store.key");
        std::fs::write(&legacy, "ab".repeat(32)).unwrap();
        let notes = check(&c).unwrap();
        assert!(notes.0.iter().any(|n| n.contains("moved")), "{notes:?}");
        assert!(!legacy.exists());
        assert_eq!(
            std::fs::read_to_string(c.store_key_file()).unwrap(),
            "ab".repeat(32)
        );
        // The key lost while the database it sealed is still there: refused, named.
        std::fs::remove_file(c.store_key_file()).unwrap();
        std::fs::write(db_path(&c), b"").unwrap();
        let p = problems(&c);
        assert!(
            p.iter()
                .any(|p| p.contains("store key file") && p.contains("missing")),
            "{p:?}"
        );
    }

    #[test]
    fn the_demo_passes_with_its_inline_keys_and_empty_url() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::demo(dir.path().join("data"));
        assert_eq!(problems(&c), Vec::<String>::new());
        assert_eq!(c.store_key_file(), dir.path().join("data/store.key"));
    }
}
