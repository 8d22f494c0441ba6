//! CSRF tokens bound to a session: `base64url(HMAC-SHA256(key, "haven-csrf-v1:" || session digest))`.
//!
//! The token needs no storage: the server recomputes it from the session it already has. A token
//! from another session, or minted under another key, does not verify. Every app server behind a
//! load balancer must use the same [`CsrfKey`]; a new key invalidates open forms, nothing more.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{CryptoError, random_bytes};

const KEY_LEN: usize = 32;
/// SHA-256's block size: HMAC zero-pads shorter keys to it, so padding here is the same HMAC and
/// lets the key type be fixed-size (no fallible `new_from_slice`).
const BLOCK_LEN: usize = 64;
const CONTEXT: &[u8] = b"haven-csrf-v1:";

/// 32 random bytes. Prints as `[redacted]`; wiped on drop.
#[derive(Clone)]
pub struct CsrfKey(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl CsrfKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random_bytes::<KEY_LEN>()?)))
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes, for persisting the key (sealed) so every server and restart shares it.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn mac(&self) -> Hmac<Sha256> {
        let mut padded = Zeroizing::new([0u8; BLOCK_LEN]);
        padded[..KEY_LEN].copy_from_slice(&*self.0);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*padded).into());
        mac.update(CONTEXT);
        mac
    }
}

/// The CSRF token for the session whose digest (as stored) is `session_digest`.
pub fn token(key: &CsrfKey, session_digest: &str) -> String {
    let mut mac = key.mac();
    mac.update(session_digest.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `token` is this session's token, compared in constant time.
pub fn verify(key: &CsrfKey, session_digest: &str, token: &str) -> bool {
    let Ok(tag) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    let mut mac = key.mac();
    mac.update(session_digest.as_bytes());
    // Checks the length first (public: always 32), then the bytes in constant time.
    mac.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The padding shortcut must be plain HMAC-SHA256: RFC 4231 test case 2 ("Jefe"), computed
    /// with a key padded the same way.
    #[test]
    fn padded_key_is_plain_hmac() {
        let mut padded = [0u8; BLOCK_LEN];
        padded[..4].copy_from_slice(b"Jefe");
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&padded.into());
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_token_verifies_for_its_own_session_and_key_only() {
        let key = CsrfKey::generate().unwrap();
        let session = crate::token_digest("hvs_session-one");
        let other_session = crate::token_digest("hvs_session-two");
        let t = token(&key, &session);
        assert_eq!(t.len(), 43);
        assert_eq!(t, token(&key, &session), "stable for the session");
        assert!(verify(&key, &session, &t));
        assert!(!verify(&key, &other_session, &t));
        assert!(!verify(&CsrfKey::generate().unwrap(), &session, &t));
        assert_ne!(t, token(&key, &other_session));
    }

    #[test]
    fn damaged_tokens_are_refused() {
        let key = CsrfKey::from_bytes([7; 32]);
        let session = crate::token_digest("hvs_x");
        let t = token(&key, &session);
        assert!(!verify(&key, &session, ""));
        assert!(!verify(&key, &session, "not base64 !"));
        assert!(!verify(&key, &session, &t[..42]));
        assert!(!verify(&key, &session, &format!("{t}AA")));
        let mut bytes = URL_SAFE_NO_PAD.decode(&t).unwrap();
        bytes[0] ^= 1;
        assert!(!verify(&key, &session, &URL_SAFE_NO_PAD.encode(bytes)));
        assert_eq!(format!("{key:?}"), "[redacted]");
    }
}
