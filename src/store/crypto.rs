//! Encryption at rest of outbox payloads (they may hold phone numbers, names, ID numbers).
//!
//! XChaCha20-Poly1305 (RustCrypto `chacha20poly1305`) under a 256-bit key kept in a file
//! outside the database, readable by the kiosk's user only (0600). Each payload gets a fresh
//! random 24-byte nonce, and the row's idempotency key is the associated data, so a
//! ciphertext moved to another row does not decrypt. Stored form: `x1:` + hex(nonce ‖
//! ciphertext ‖ tag). A stolen database file without the key file shows no personal data.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const PREFIX: &str = "x1:";
const NONCE_LEN: usize = 24;

/// Errors with the store key or a sealed payload. Never carries the plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key file could not be read or created.
    #[error("store key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file does not hold 64 hex digits.
    #[error("store key file {0} is not 64 hex digits")]
    BadKey(PathBuf),
    /// A payload did not decrypt: wrong key, or the row was tampered with.
    #[error("an outbox payload does not decrypt (wrong store key or damaged row)")]
    Open,
}

/// The cipher of one database.
pub struct PayloadCipher {
    aead: XChaCha20Poly1305,
}

impl PayloadCipher {
    /// From raw key bytes.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            aead: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// A throw-away key (in-memory databases in tests).
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::new(&key)
    }

    /// Reads the key file, or creates it (0600, 32 random bytes as hex) when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let err = |source| CryptoError::KeyFile {
            path: path.to_owned(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes =
                    hex::decode(text.trim()).map_err(|_| CryptoError::BadKey(path.into()))?;
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| CryptoError::BadKey(path.into()))?;
                tighten_permissions(path, "store key file").map_err(err)?;
                Ok(Self::new(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(err)?;
                }
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                let mut file = create_private(path).map_err(err)?;
                file.write_all(hex::encode(key).as_bytes()).map_err(err)?;
                file.sync_all().map_err(err)?;
                tracing::info!(path = %path.display(), "store key created");
                Ok(Self::new(&key))
            }
            Err(e) => Err(err(e)),
        }
    }

    /// Encrypts `plain`, bound to `aad` (the row's idempotency key).
    pub fn seal(&self, plain: &str, aad: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            // Only fails for messages beyond 256 GiB.
            .unwrap_or_default();
        let mut out = String::with_capacity(PREFIX.len() + 2 * (NONCE_LEN + sealed.len()));
        out.push_str(PREFIX);
        out.push_str(&hex::encode(nonce));
        out.push_str(&hex::encode(sealed));
        out
    }

    /// Decrypts what [`seal`](Self::seal) made. A payload without the prefix is a row written
    /// before encryption existed and is returned as it is (it is sealed at the next open).
    pub fn open(&self, stored: &str, aad: &str) -> Result<String, CryptoError> {
        let Some(hexed) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let bytes = hex::decode(hexed).map_err(|_| CryptoError::Open)?;
        if bytes.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Open)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Open)
    }

    /// Encrypts bytes (a scan), bound to `aad`: the nonce, then the ciphertext. Binary, so a
    /// scan costs its own size in the database, not twice that in hex.
    pub fn seal_bytes(&self, plain: &[u8], aad: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            // Only fails for messages beyond 256 GiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts what [`seal_bytes`](Self::seal_bytes) made.
    pub fn open_bytes(&self, stored: &[u8], aad: &str) -> Result<Vec<u8>, CryptoError> {
        if stored.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        self.aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Open)
    }

    /// Whether a stored payload is sealed.
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// A key file readable (or writable) by group or others is set to 0600 with a warning; when
/// that is not possible (another owner, a read-only file system) the key is refused: a key
/// others can read is no key.
#[cfg(unix)]
pub fn tighten_permissions(path: &Path, what: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "{what} readable by others: setting 0600");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "{what} {} is readable by others and cannot be made private (chmod 600 it): {e}",
                    path.display()
                ),
            )
        })?;
    }
    Ok(())
}

/// Without Unix permissions there is nothing to tighten.
#[cfg(not(unix))]
pub fn tighten_permissions(_path: &Path, _what: &str) -> std::io::Result<()> {
    Ok(())
}

fn key_files() -> &'static Mutex<HashMap<PathBuf, PathBuf>> {
    static MAP: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    MAP.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Names the key file of the database at `db_path` for every later [`Store::open`] of it in
/// this process (the app calls it once at start with `store.key_file` from the config).
///
/// [`Store::open`]: super::Store::open
pub fn use_key_file(db_path: &Path, key_file: &Path) {
    if let Ok(mut m) = key_files().lock() {
        m.insert(db_path.to_owned(), key_file.to_owned());
    }
}

/// The key file of a database: the one named with [`use_key_file`], else `store.key` next to
/// the database (the demo's data folder).
pub fn key_file_for(db_path: &Path) -> PathBuf {
    if let Some(p) = key_files()
        .lock()
        .ok()
        .and_then(|m| m.get(db_path).cloned())
    {
        return p;
    }
    db_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(DEFAULT_KEY_FILE)
}

/// File name of the key next to the database when the config names none.
pub const DEFAULT_KEY_FILE: &str = "store.key";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_the_row() {
        let c = PayloadCipher::ephemeral();
        let sealed = c.seal(r#"{"phone":"13800138000"}"#, "key-1");
        assert!(PayloadCipher::is_sealed(&sealed));
        assert!(!sealed.contains("13800138000"));
        assert_eq!(
            c.open(&sealed, "key-1").unwrap(),
            r#"{"phone":"13800138000"}"#
        );
        assert!(matches!(c.open(&sealed, "key-2"), Err(CryptoError::Open)));
        assert!(matches!(
            PayloadCipher::ephemeral().open(&sealed, "key-1"),
            Err(CryptoError::Open)
        ));
        // Same text twice: different ciphertexts (fresh nonces).
        assert_ne!(sealed, c.seal(r#"{"phone":"13800138000"}"#, "key-1"));
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/store.key");
        let a = PayloadCipher::load_or_create(&path).unwrap();
        let sealed = a.seal("x", "k");
        let b = PayloadCipher::load_or_create(&path).unwrap();
        assert_eq!(b.open(&sealed, "k").unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(
            PayloadCipher::load_or_create(&path),
            Err(CryptoError::BadKey(_))
        ));
    }
}
