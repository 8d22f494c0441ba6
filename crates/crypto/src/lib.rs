//! Secrets: password hashes, random tokens and their digests; field encryption ([`field`]),
//! and second factors ([`totp`]).
//!
//! Architecture invariant: a secret never prints itself. [`Secret`] hides its value from `Debug`
//! and `Display`; the only way to read it is [`Secret::expose`], which is easy to find in review.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub mod field;
pub mod totp;

/// Opened values come back wrapped in this (wiped on drop); re-exported so callers need not depend
/// on `zeroize` to name the type.
pub use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random number generator failed: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// A secret value (password, token). Prints as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| CryptoError::Random(e.to_string()))?;
    Ok(buf)
}

/// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
fn argon2() -> Result<Argon2<'static>, CryptoError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| CryptoError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string (`$argon2id$v=19$…`) for storage.
pub fn hash_password(password: &Secret) -> Result<String, CryptoError> {
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| CryptoError::Hash(e.to_string()))?;
    argon2()?
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &Secret, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2().is_ok_and(|a| {
        a.verify_password(password.expose().as_bytes(), &parsed)
            .is_ok()
    })
}

/// A random bearer secret: `prefix` + 256 random bits, URL-safe. The prefix lets secret scanners
/// and people recognise a leaked Haven token.
pub fn new_token(prefix: &str) -> Result<Secret, CryptoError> {
    let bytes = random_bytes::<32>()?;
    Ok(Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))))
}

/// A password a person can type from a printout: 20 characters from an unambiguous alphabet
/// (about 100 bits).
pub fn new_password() -> Result<Secret, CryptoError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = random_bytes::<20>()?;
    let chars: String = bytes
        .iter()
        // 256 % 55 leaves a bias of under 1%; harmless at this length.
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    // Groups of five are easier to copy by hand.
    let grouped: Vec<String> = chars
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Ok(Secret(grouped.join("-")))
}

/// SHA-256 of a token, hex: what the database keeps instead of the token. Tokens carry 256 random
/// bits, so a fast hash is enough (unlike passwords).
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// SHA-256 of arbitrary bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let pw = Secret::new("correct horse battery staple");
        let h = hash_password(&pw).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&pw, &h));
        assert!(!verify_password(
            &Secret::new("correct horse battery stapler"),
            &h
        ));
        assert!(!verify_password(&pw, "not a hash"));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2hunter2");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
    }

    #[test]
    fn tokens_are_unique_and_prefixed() {
        let a = new_token("hvn_").unwrap();
        let b = new_token("hvn_").unwrap();
        assert!(a.expose().starts_with("hvn_"));
        assert_ne!(a, b);
        assert_eq!(token_digest(a.expose()).len(), 64);
        let pw = new_password().unwrap();
        assert_eq!(pw.expose().len(), 23);
    }
}
