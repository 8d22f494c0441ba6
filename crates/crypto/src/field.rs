//! Field-level encryption at rest: XChaCha20-Poly1305 under keys kept in files outside the database.
//!
//! A sealed value is a text envelope `hv1:k<N>:<base64url(nonce || ciphertext+tag)>`. It names the key
//! that sealed it, so keys can rotate without a flag day: new values use the active key (the highest
//! number), old values open with whichever key sealed them until `keys rotate` re-seals them, after
//! which the old key can be retired.
//!
//! The associated data binds a value to where it lives (the store passes `table:row_id:column`), so a
//! ciphertext copied into another row or column does not open. The envelope header is bound too.
//!
//! Architecture invariant: key bytes live only inside the ciphers (wiped on drop) and in `k<N>.key`
//! files that only their owner can read; neither keys nor plaintext appear in errors or `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// The envelope format version; a new format gets a new prefix so both can be read during a migration.
const VERSION: &str = "hv1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path} can be read or written by group or others (mode {mode:o}); \
         key directories must be 700 and key files 600"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("key file {path} is malformed: {reason}")]
    MalformedKeyFile { path: PathBuf, reason: &'static str },
    #[error("no key files (k1.key, k2.key, …) in {dir}")]
    NoKeys { dir: PathBuf },
    #[error("{dir} already holds keys; rotate instead of creating")]
    AlreadyExists { dir: PathBuf },
    #[error(
        "key {key_id} is not in the keyring (retired, or the keys directory is not the one that sealed it)"
    )]
    UnknownKey { key_id: KeyId },
    #[error("key {key_id} is the active key and cannot be retired; rotate first")]
    RetireActive { key_id: KeyId },
    #[error("not a sealed value: {0}")]
    BadEnvelope(&'static str),
    #[error(
        "sealed value does not open with key {key_id}: it was tampered with, or belongs to another \
         place (associated data)"
    )]
    Open { key_id: KeyId },
    #[error("encryption failed")]
    Seal,
    #[error("the sealed value is not UTF-8 text")]
    NotUtf8,
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// A key's number: `k1`, `k2`, … Higher is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(u32);

impl KeyId {
    pub fn number(self) -> u32 {
        self.0
    }

    fn file_name(self) -> String {
        format!("{self}.key")
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "k{}", self.0)
    }
}

impl FromStr for KeyId {
    type Err = FieldError;

    /// `k1`, `k2`, …; `k0`, leading zeros and anything else are refused so one key has one name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .strip_prefix('k')
            .ok_or(FieldError::BadEnvelope("key id must look like k1"))?;
        if digits.is_empty()
            || digits.len() > 9
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(FieldError::BadEnvelope("key id must look like k1"));
        }
        digits
            .parse()
            .map(KeyId)
            .map_err(|_| FieldError::BadEnvelope("key id must look like k1"))
    }
}

/// Whether `value` looks like a sealed envelope (for migrating columns that used to be plaintext).
pub fn is_sealed(value: &str) -> bool {
    parse_envelope(value).is_ok()
}

struct Envelope<'a> {
    key_id: KeyId,
    /// `hv1:k2:`, bound into the associated data.
    header: &'a str,
    body: &'a str,
}

fn parse_envelope(value: &str) -> Result<Envelope<'_>, FieldError> {
    let rest = value
        .strip_prefix(VERSION)
        .and_then(|r| r.strip_prefix(':'))
        .ok_or(FieldError::BadEnvelope("missing hv1: prefix"))?;
    let (id, body) = rest
        .split_once(':')
        .ok_or(FieldError::BadEnvelope("missing key id"))?;
    let key_id: KeyId = id.parse()?;
    let header_len = value.len() - body.len();
    Ok(Envelope {
        key_id,
        header: &value[..header_len],
        body,
    })
}

fn aad_for(header: &str, aad: &str) -> Vec<u8> {
    let mut bound = Vec::with_capacity(header.len() + aad.len());
    bound.extend_from_slice(header.as_bytes());
    bound.extend_from_slice(aad.as_bytes());
    bound
}

/// The keys in `<data-dir>/keys/`, ready to seal and open. Cheap to share behind an `Arc`.
pub struct Keyring {
    keys: BTreeMap<KeyId, XChaCha20Poly1305>,
    active: KeyId,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// Loads every `k<N>.key` in `dir`. Refuses a directory or key file that group or others can
    /// access, a malformed key file, and an empty directory. Other files are ignored.
    pub fn load(dir: &Path) -> Result<Self, FieldError> {
        check_private(dir, true)?;
        let entries = fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
        let mut keys = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_err(dir, e))?;
            let path = entry.path();
            let name = entry.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".key")) else {
                continue;
            };
            let key_id: KeyId = stem.parse().map_err(|_| FieldError::MalformedKeyFile {
                path: path.clone(),
                reason: "the name must be k<number>.key, e.g. k1.key",
            })?;
            check_private(&path, false)?;
            let bytes = read_key_file(&path)?;
            keys.insert(key_id, XChaCha20Poly1305::new(&Key::from(*bytes)));
        }
        let active = *keys.keys().next_back().ok_or_else(|| FieldError::NoKeys {
            dir: dir.to_path_buf(),
        })?;
        Ok(Self { keys, active })
    }

    /// Makes `dir` (mode 700) with a first key `k1.key` (mode 600). Refuses a directory that
    /// already holds keys.
    pub fn create(dir: &Path) -> Result<Self, FieldError> {
        make_private_dir(dir)?;
        if !key_ids_on_disk(dir)?.is_empty() {
            return Err(FieldError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        write_new_key(dir, KeyId(1))?;
        Self::load(dir)
    }

    /// Adds the next key and makes it the active one. Values sealed before stay readable; re-seal
    /// those for which [`Keyring::needs_rotation`] is true, then retire the old key.
    pub fn rotate(dir: &Path) -> Result<Self, FieldError> {
        let current = Self::load(dir)?;
        // A malformed file was refused by `load`, so every id on disk is below the next one.
        let next = KeyId(
            current
                .active
                .0
                .checked_add(1)
                .ok_or(FieldError::MalformedKeyFile {
                    path: dir.join(current.active.file_name()),
                    reason: "key numbers are exhausted",
                })?,
        );
        write_new_key(dir, next)?;
        Self::load(dir)
    }

    /// Deletes an old key file. Refuses the active key. Anything still sealed with the retired key
    /// can no longer be opened, so run `keys rotate` (re-seal) first.
    pub fn retire(dir: &Path, key_id: KeyId) -> Result<Self, FieldError> {
        let current = Self::load(dir)?;
        if key_id == current.active {
            return Err(FieldError::RetireActive { key_id });
        }
        if !current.keys.contains_key(&key_id) {
            return Err(FieldError::UnknownKey { key_id });
        }
        let path = dir.join(key_id.file_name());
        fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
        sync_dir(dir)?;
        Self::load(dir)
    }

    /// A keyring with one random key that lives only in memory: for tests and throwaway instances.
    pub fn ephemeral() -> Result<Self, FieldError> {
        let bytes = random_key()?;
        let mut keys = BTreeMap::new();
        keys.insert(KeyId(1), XChaCha20Poly1305::new(&Key::from(*bytes)));
        Ok(Self {
            keys,
            active: KeyId(1),
        })
    }

    /// The key new values are sealed with.
    pub fn active_id(&self) -> KeyId {
        self.active
    }

    /// Every key loaded, oldest first.
    pub fn key_ids(&self) -> Vec<KeyId> {
        self.keys.keys().copied().collect()
    }

    /// Seals `plaintext` for the place named by `aad` (`table:row_id:column`) under the active key.
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Result<String, FieldError> {
        let cipher = self.keys.get(&self.active).ok_or(FieldError::UnknownKey {
            key_id: self.active,
        })?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| FieldError::Random(e.to_string()))?;
        let header = format!("{VERSION}:{}:", self.active);
        let bound = aad_for(&header, aad);
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &bound,
                },
            )
            .map_err(|_| FieldError::Seal)?;
        let mut body = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&ciphertext);
        Ok(format!("{header}{}", URL_SAFE_NO_PAD.encode(body)))
    }

    /// Opens an envelope sealed for the place named by `aad`. The plaintext is wiped when dropped.
    pub fn open(&self, envelope: &str, aad: &str) -> Result<Zeroizing<Vec<u8>>, FieldError> {
        let env = parse_envelope(envelope)?;
        let cipher = self
            .keys
            .get(&env.key_id)
            .ok_or(FieldError::UnknownKey { key_id: env.key_id })?;
        let body = URL_SAFE_NO_PAD
            .decode(env.body)
            .map_err(|_| FieldError::BadEnvelope("the body is not base64url"))?;
        if body.len() < NONCE_LEN + TAG_LEN {
            return Err(FieldError::BadEnvelope("the body is too short"));
        }
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| FieldError::BadEnvelope("the body is too short"))?;
        let bound = aad_for(env.header, aad);
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &bound,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| FieldError::Open { key_id: env.key_id })
    }

    /// [`Keyring::open`] for values that were text.
    pub fn open_str(&self, envelope: &str, aad: &str) -> Result<Zeroizing<String>, FieldError> {
        let mut bytes = self.open(envelope, aad)?;
        let text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
            // Wipe the rejected bytes too.
            drop(Zeroizing::new(e.into_bytes()));
            FieldError::NotUtf8
        })?;
        Ok(Zeroizing::new(text))
    }

    /// Whether a `keys rotate` pass should re-seal this value: true unless it is a well-formed
    /// envelope under the active key. Malformed values answer true so the pass reports them
    /// (opening fails with the reason) instead of skipping them silently.
    pub fn needs_rotation(&self, envelope: &str) -> bool {
        parse_envelope(envelope).map_or(true, |env| env.key_id != self.active)
    }
}

fn io_err(path: &Path, source: io::Error) -> FieldError {
    FieldError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>, FieldError> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(&mut *bytes).map_err(|e| FieldError::Random(e.to_string()))?;
    Ok(bytes)
}

fn read_key_file(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, FieldError> {
    let malformed = |reason| FieldError::MalformedKeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = Zeroizing::new(fs::read(path).map_err(|e| io_err(path, e))?);
    let hex_text = text.trim_ascii();
    if hex_text.len() != KEY_LEN * 2 {
        return Err(malformed("expected 64 hex digits (32 bytes)"));
    }
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(hex_text, &mut *bytes)
        .map_err(|_| malformed("expected 64 hex digits (32 bytes)"))?;
    Ok(bytes)
}

fn key_ids_on_disk(dir: &Path) -> Result<Vec<String>, FieldError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        if let Some(name) = entry.file_name().to_str()
            && name.ends_with(".key")
        {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Writes a new key file that is private from its first byte and never replaces an existing one:
/// the bytes go to a temporary file opened with mode 600, which is then hard-linked into place
/// (link fails if the name exists), so a crash leaves either no key or a whole one.
fn write_new_key(dir: &Path, key_id: KeyId) -> Result<(), FieldError> {
    let bytes = random_key()?;
    let text = Zeroizing::new(format!("{}\n", hex::encode(*bytes)));
    let final_path = dir.join(key_id.file_name());
    let tmp_path = dir.join(format!("{}.tmp", key_id.file_name()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| {
        let mut file = options.open(&tmp_path).map_err(|e| io_err(&tmp_path, e))?;
        file.write_all(text.as_bytes())
            .map_err(|e| io_err(&tmp_path, e))?;
        file.sync_all().map_err(|e| io_err(&tmp_path, e))?;
        fs::hard_link(&tmp_path, &final_path).map_err(|e| io_err(&final_path, e))
    })();
    // The temporary name is removed whether or not the link worked; a leftover is harmless
    // (ignored by `load`, mode 600) but untidy.
    let _ = fs::remove_file(&tmp_path);
    written?;
    sync_dir(dir)
}

fn make_private_dir(dir: &Path) -> Result<(), FieldError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io_err(dir, e))?;
    // An existing directory keeps its mode, so check rather than assume.
    check_private(dir, true)
}

/// Makes a new or removed directory entry durable.
fn sync_dir(dir: &Path) -> Result<(), FieldError> {
    #[cfg(unix)]
    {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// On Unix, refuses anything group or others can access. Elsewhere there is no mode to check;
/// the directory's ACL is the operator's responsibility.
fn check_private(path: &Path, want_dir: bool) -> Result<(), FieldError> {
    let meta = fs::metadata(path).map_err(|e| io_err(path, e))?;
    if want_dir && !meta.is_dir() {
        return Err(io_err(
            path,
            io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
        ));
    }
    if !want_dir && !meta.is_file() {
        return Err(FieldError::MalformedKeyFile {
            path: path.to_path_buf(),
            reason: "not a regular file",
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(FieldError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AAD: &str = "cases:0190c0de-0000-7000-8000-000000000001:given_name";

    fn keyring() -> (tempfile::TempDir, PathBuf, Keyring) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("keys");
        let ring = Keyring::create(&dir).unwrap();
        (tmp, dir, ring)
    }

    #[test]
    fn a_sealed_value_opens_in_its_own_place_only() {
        let (_tmp, _dir, ring) = keyring();
        let sealed = ring.seal(b"Amina Yusuf", AAD).unwrap();
        assert!(sealed.starts_with("hv1:k1:"));
        assert_eq!(ring.open(&sealed, AAD).unwrap().as_slice(), b"Amina Yusuf");
        assert_eq!(&*ring.open_str(&sealed, AAD).unwrap(), "Amina Yusuf");

        let other_row = "cases:0190c0de-0000-7000-8000-000000000002:given_name";
        let other_column = "cases:0190c0de-0000-7000-8000-000000000001:family_name";
        for aad in [other_row, other_column, ""] {
            assert!(matches!(
                ring.open(&sealed, aad),
                Err(FieldError::Open { key_id }) if key_id == KeyId(1)
            ));
        }
    }

    #[test]
    fn sealing_twice_gives_different_envelopes_without_the_plaintext() {
        let (_tmp, _dir, ring) = keyring();
        let plaintext = "Nadia Haddad born 2011-03-04";
        let a = ring.seal(plaintext.as_bytes(), AAD).unwrap();
        let b = ring.seal(plaintext.as_bytes(), AAD).unwrap();
        assert_ne!(a, b, "random nonces");
        for env in [&a, &b] {
            assert!(!env.contains("Nadia"));
            assert!(!env.contains(&URL_SAFE_NO_PAD.encode(plaintext)));
        }
        // Empty values round-trip too.
        let empty = ring.seal(b"", AAD).unwrap();
        assert!(ring.open(&empty, AAD).unwrap().is_empty());
    }

    #[test]
    fn any_changed_byte_is_refused() {
        let (_tmp, _dir, ring) = keyring();
        let sealed = ring.seal(b"Kabul, 2019", AAD).unwrap();
        let (header, body) = sealed.split_at("hv1:k1:".len());
        let mut raw = URL_SAFE_NO_PAD.decode(body).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 0x01;
            let tampered = format!("{header}{}", URL_SAFE_NO_PAD.encode(&raw));
            assert!(ring.open(&tampered, AAD).is_err(), "byte {i}");
            raw[i] ^= 0x01;
        }
        // Truncated and garbled bodies fail as envelopes, not as panics.
        assert!(matches!(
            ring.open("hv1:k1:AAAA", AAD),
            Err(FieldError::BadEnvelope(_))
        ));
        assert!(matches!(
            ring.open("hv1:k1:***", AAD),
            Err(FieldError::BadEnvelope(_))
        ));
        assert!(matches!(
            ring.open("Amina", AAD),
            Err(FieldError::BadEnvelope(_))
        ));
    }

    #[test]
    fn an_unknown_key_id_is_named_in_the_error() {
        let (_tmp, _dir, ring) = keyring();
        let sealed = ring.seal(b"x", AAD).unwrap();
        let moved = sealed.replacen("hv1:k1:", "hv1:k7:", 1);
        let err = ring.open(&moved, AAD).unwrap_err();
        assert!(matches!(err, FieldError::UnknownKey { key_id } if key_id == KeyId(7)));
        assert!(err.to_string().contains("k7"), "{err}");
        // A value sealed by another keyring's k1 does not open here.
        let other = Keyring::ephemeral().unwrap();
        let foreign = other.seal(b"x", AAD).unwrap();
        assert!(matches!(
            ring.open(&foreign, AAD),
            Err(FieldError::Open { .. })
        ));
    }

    #[test]
    fn rotate_then_retire() {
        let (_tmp, dir, ring) = keyring();
        let old = ring.seal(b"Tigrinya", AAD).unwrap();
        assert!(!ring.needs_rotation(&old));

        let ring = Keyring::rotate(&dir).unwrap();
        assert_eq!(ring.active_id(), KeyId(2));
        assert_eq!(ring.key_ids(), vec![KeyId(1), KeyId(2)]);
        assert!(ring.needs_rotation(&old));
        assert!(ring.needs_rotation("not sealed"));
        let fresh = ring.seal(b"Tigrinya", AAD).unwrap();
        assert!(fresh.starts_with("hv1:k2:"));
        assert!(!ring.needs_rotation(&fresh));

        // Re-seal what needs it, as `keys rotate` will.
        let resealed = ring.seal(&ring.open(&old, AAD).unwrap(), AAD).unwrap();

        assert!(matches!(
            Keyring::retire(&dir, KeyId(2)),
            Err(FieldError::RetireActive { .. })
        ));
        assert!(matches!(
            Keyring::retire(&dir, KeyId(9)),
            Err(FieldError::UnknownKey { .. })
        ));
        let ring = Keyring::retire(&dir, KeyId(1)).unwrap();
        assert_eq!(ring.key_ids(), vec![KeyId(2)]);
        assert!(!dir.join("k1.key").exists());
        assert_eq!(&*ring.open_str(&resealed, AAD).unwrap(), "Tigrinya");
        assert!(matches!(
            ring.open(&old, AAD),
            Err(FieldError::UnknownKey { .. })
        ));

        // The next key after a retirement is still new: numbers are never reused.
        let ring = Keyring::rotate(&dir).unwrap();
        assert_eq!(ring.active_id(), KeyId(3));
    }

    #[test]
    fn create_refuses_a_directory_with_keys_and_load_refuses_an_empty_one() {
        let (_tmp, dir, _ring) = keyring();
        assert!(matches!(
            Keyring::create(&dir),
            Err(FieldError::AlreadyExists { .. })
        ));
        let tmp = tempfile::tempdir().unwrap();
        let empty = tmp.path().join("keys");
        make_private_dir(&empty).unwrap();
        assert!(matches!(
            Keyring::load(&empty),
            Err(FieldError::NoKeys { .. })
        ));
    }

    #[test]
    fn malformed_key_files_are_named() {
        let (_tmp, dir, _ring) = keyring();
        let bad = dir.join("k2.key");
        write_private(&bad, b"not hex at all\n");
        let err = Keyring::load(&dir).unwrap_err();
        assert!(matches!(err, FieldError::MalformedKeyFile { ref path, .. } if path == &bad));
        assert!(err.to_string().contains("k2.key"), "{err}");
        fs::remove_file(&bad).unwrap();

        let misnamed = dir.join("backup.key");
        write_private(&misnamed, &[b'a'; 64]);
        assert!(matches!(
            Keyring::load(&dir),
            Err(FieldError::MalformedKeyFile { ref path, .. }) if path == &misnamed
        ));
        fs::remove_file(&misnamed).unwrap();

        // Files that are not keys are not its business.
        write_private(&dir.join("README"), b"keys live here");
        assert!(Keyring::load(&dir).is_ok());
    }

    fn write_private(path: &Path, bytes: &[u8]) {
        fs::write(path, bytes).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    #[cfg(unix)]
    #[test]
    fn keys_readable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, dir, _ring) = keyring();
        let key = dir.join("k1.key");
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );

        for mode in [0o640, 0o604, 0o620, 0o660] {
            fs::set_permissions(&key, fs::Permissions::from_mode(mode)).unwrap();
            let err = Keyring::load(&dir).unwrap_err();
            assert!(
                matches!(err, FieldError::Permissions { ref path, .. } if path == &key),
                "{mode:o}"
            );
            assert!(err.to_string().contains("k1.key"), "{err}");
        }
        fs::set_permissions(&key, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(
            Keyring::load(&dir).is_ok(),
            "read-only for the owner is fine"
        );

        fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
        assert!(matches!(
            Keyring::load(&dir),
            Err(FieldError::Permissions { ref path, .. }) if path == &dir
        ));
        assert!(matches!(
            Keyring::rotate(&dir),
            Err(FieldError::Permissions { .. })
        ));
    }

    #[test]
    fn key_ids_have_one_spelling() {
        assert_eq!("k12".parse::<KeyId>().unwrap(), KeyId(12));
        for bad in ["k0", "k01", "k", "12", "K1", "k1x", "k-1", "k9999999999"] {
            assert!(bad.parse::<KeyId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_shows_key_ids_only() {
        let (_tmp, _dir, ring) = keyring();
        assert_eq!(
            format!("{ring:?}"),
            "Keyring { active: KeyId(1), keys: [KeyId(1)] }"
        );
    }
}
