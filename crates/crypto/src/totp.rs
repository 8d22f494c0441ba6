//! Second factor: TOTP codes (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step of clock
//! skew either way) and single-use recovery codes.
//!
//! Time is passed in (Unix seconds) so the caller's `Clock` decides, and replay protection is the
//! caller's job in one number: the store keeps the last step a user's code matched, and [`verify`]
//! refuses that step and any earlier one.

use std::fmt;

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder};
use zeroize::Zeroizing;

use crate::{CryptoError, Secret, random_bytes, sha256_hex};

/// RFC 4226 recommends 160 bits.
const SECRET_LEN: usize = 20;
/// RFC 4226 requires at least 128 bits.
const MIN_SECRET_LEN: usize = 16;
const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;
const SKEW_STEPS: u16 = 1;

#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    #[error("a TOTP secret must be base32 text")]
    NotBase32,
    #[error("a TOTP secret must hold at least 128 bits")]
    TooShort,
}

/// The shared secret of a user's authenticator. Prints as `[redacted]`; wiped on drop.
/// Store it sealed (`field::Keyring::seal(secret.as_bytes(), …)`), never in the clear.
/// No `PartialEq`: codes are what get compared, in constant time, never secrets.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl TotpSecret {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        if bytes.len() < MIN_SECRET_LEN {
            return Err(TotpError::TooShort);
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// Accepts what a person might paste: any case, spaces, with or without `=` padding.
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let secret =
            totp_rs::Secret::try_from_base32(&*cleaned).map_err(|_| TotpError::NotBase32)?;
        Self::from_bytes(secret.as_bytes())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Unpadded RFC 4648 base32, what authenticator apps expect when typed in by hand.
    pub fn to_base32(&self) -> Secret {
        let secret = totp_rs::Secret::new(self.0.to_vec().into_boxed_slice());
        Secret::new(secret.to_base32())
    }

    fn totp(&self, digits: u8) -> Option<totp_rs::Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(digits)
            .with_step_duration(STEP_SECONDS)
            .with_skew(SKEW_STEPS)
            .with_secret(self.0.to_vec())
            .build()
            .ok()
    }
}

/// A fresh 160-bit secret from the OS random number generator.
pub fn new_secret() -> Result<TotpSecret, CryptoError> {
    let bytes = Zeroizing::new(random_bytes::<SECRET_LEN>()?);
    Ok(TotpSecret(Zeroizing::new(bytes.to_vec())))
}

/// The `otpauth://` URL an authenticator app enrols from (usually shown as a QR code). It contains
/// the secret, hence [`Secret`].
pub fn otpauth_url(secret: &TotpSecret, issuer: &str, account: &str) -> Secret {
    // The label is `issuer:account`, so a colon inside either would move the boundary.
    let issuer = issuer.replace(':', " ");
    let account = account.replace(':', " ");
    let base32 = secret.to_base32();
    Secret::new(format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent_encode(&issuer),
        percent_encode(&account),
        base32.expose(),
        percent_encode(&issuer),
    ))
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The code an authenticator app shows at `unix_time` (for tests and tools; the server only
/// verifies).
pub fn code(secret: &TotpSecret, unix_time: u64) -> Option<String> {
    let totp = secret.totp(DIGITS)?;
    let step = unix_time / STEP_SECONDS;
    Some(format!(
        "{:0width$}",
        totp.generate(step.saturating_mul(STEP_SECONDS)),
        width = usize::from(DIGITS)
    ))
}

/// The step `code` matches at `unix_time` (the current step or one either side), or `None`.
/// Steps at or before `last_used_step` are refused, so a code works once; store the returned step
/// as the user's new `last_used_step`. Spaces in the code are ignored (apps show `123 456`).
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    unix_time: u64,
    last_used_step: Option<u64>,
) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = secret.totp(DIGITS)?;
    let now = unix_time / STEP_SECONDS;
    let first = now.saturating_sub(u64::from(SKEW_STEPS));
    let last = now.saturating_add(u64::from(SKEW_STEPS));
    let mut matched = None;
    // Every step in the window is computed and compared, whatever matches, so timing says nothing
    // about which step (if any) matched.
    for step in first..=last {
        let expected = totp.generate(step.saturating_mul(STEP_SECONDS)).to_string();
        let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        let fresh = last_used_step.is_none_or(|used| step > used);
        if equal && fresh && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

/// Crockford's base32 alphabet: no `i`, `l`, `o`, `u`, so what is read aloud or copied by hand
/// comes back right; 32 symbols, so one random byte gives one unbiased symbol from its low 5 bits.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const RECOVERY_CHARS: usize = 16;

/// `n` fresh recovery codes (`xxxx-xxxx-xxxx-xxxx`, 80 random bits each) to show the user once,
/// and their digests (same order) to store. 80 bits make a fast hash enough: guessing any one of a
/// million stored codes from their digests still takes about 2^60 SHA-256 computations.
pub fn new_recovery_codes(n: usize) -> Result<(Vec<Secret>, Vec<String>), CryptoError> {
    let mut codes = Vec::with_capacity(n);
    let mut digests = Vec::with_capacity(n);
    for _ in 0..n {
        let bytes = Zeroizing::new(random_bytes::<RECOVERY_CHARS>()?);
        let chars: Zeroizing<Vec<u8>> = Zeroizing::new(
            bytes
                .iter()
                .map(|b| RECOVERY_ALPHABET[usize::from(b & 0x1f)])
                .collect(),
        );
        let groups: Vec<&str> = chars
            .chunks(4)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        let code = Secret::new(groups.join("-"));
        digests.push(recovery_digest(code.expose()));
        codes.push(code);
    }
    Ok((codes, digests))
}

/// SHA-256 (hex) of a recovery code as typed: case, dashes and spaces do not matter, and the
/// letters people confuse with digits (`o`, `i`, `l`) read as `0`, `1`, `1`.
pub fn recovery_digest(code: &str) -> String {
    let normalised: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c.to_ascii_lowercase() {
                'o' => '0',
                'i' | 'l' => '1',
                other => other,
            })
            .collect(),
    );
    sha256_hex(normalised.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn rfc_6238_sha1_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let secret = rfc_secret();
        let eight = secret.totp(8).unwrap();
        for (time, code) in vectors {
            assert_eq!(eight.generate(time).to_string(), code, "t={time}");
            // Six digits are the same value mod 10^6: the last six digits.
            let six = &code[2..];
            assert_eq!(
                verify(&secret, six, time, None),
                Some(time / 30),
                "t={time}"
            );
        }
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let secret = rfc_secret();
        let code = "287082"; // step 1 (t = 30..59)
        assert_eq!(verify(&secret, code, 59, None), Some(1));
        assert_eq!(verify(&secret, code, 89, None), Some(1), "one step late");
        assert_eq!(verify(&secret, code, 0, None), Some(1), "one step early");
        assert_eq!(verify(&secret, code, 90, None), None, "two steps late");
        assert_eq!(verify(&secret, "287 082", 59, None), Some(1));
        for bad in ["28708", "2870822", "28708a", "", "２８７０８２"] {
            assert_eq!(verify(&secret, bad, 59, None), None, "{bad:?}");
        }
        let other = TotpSecret::from_bytes(b"09876543210987654321").unwrap();
        assert_eq!(verify(&other, code, 59, None), None);
        // The far end of time neither overflows nor matches.
        assert_eq!(verify(&secret, code, u64::MAX, None), None);
    }

    #[test]
    fn a_code_works_once() {
        let secret = rfc_secret();
        let step = verify(&secret, "287082", 59, None).unwrap();
        assert_eq!(verify(&secret, "287082", 59, Some(step)), None, "replay");
        assert_eq!(
            verify(&secret, "287082", 60, Some(step)),
            None,
            "replay one step later, within the skew window"
        );
        assert_eq!(verify(&secret, "287082", 59, Some(step - 1)), Some(step));
        // The next step's code is still good after the previous one was used.
        let next = secret.totp(6).unwrap().generate(60).to_string();
        assert_eq!(verify(&secret, &next, 60, Some(step)), Some(step + 1));
    }

    #[test]
    fn secrets_round_trip_through_base32_and_do_not_print() {
        let secret = new_secret().unwrap();
        assert_eq!(secret.as_bytes().len(), 20);
        assert_ne!(secret.as_bytes(), new_secret().unwrap().as_bytes());
        let text = secret.to_base32();
        assert_eq!(text.expose().len(), 32);
        assert_eq!(
            TotpSecret::from_base32(text.expose()).unwrap().as_bytes(),
            secret.as_bytes()
        );
        let spaced = text
            .expose()
            .to_lowercase()
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            TotpSecret::from_base32(&spaced).unwrap().as_bytes(),
            secret.as_bytes()
        );
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert!(matches!(
            TotpSecret::from_base32("GEZDGNBV"),
            Err(TotpError::TooShort)
        ));
        assert!(matches!(
            TotpSecret::from_base32("not base32!"),
            Err(TotpError::NotBase32)
        ));
    }

    #[test]
    fn otpauth_url_names_issuer_and_account() {
        let secret = rfc_secret();
        let url = otpauth_url(&secret, "Haven Test", "case.worker@example.org");
        assert_eq!(
            url.expose(),
            "otpauth://totp/Haven%20Test:case.worker%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Haven%20Test&algorithm=SHA1&digits=6&period=30"
        );
        let odd = otpauth_url(&secret, "A:B", "x:y");
        assert!(odd.expose().starts_with("otpauth://totp/A%20B:x%20y?"));
        assert_eq!(format!("{url:?}"), "[redacted]");
    }

    #[test]
    fn recovery_codes_are_readable_unique_and_match_their_digests() {
        let (codes, digests) = new_recovery_codes(10).unwrap();
        assert_eq!(codes.len(), 10);
        assert_eq!(digests.len(), 10);
        for (code, digest) in codes.iter().zip(&digests) {
            let c = code.expose();
            assert_eq!(c.len(), 19);
            assert_eq!(c.matches('-').count(), 3);
            assert!(
                c.bytes()
                    .all(|b| b == b'-' || RECOVERY_ALPHABET.contains(&b))
            );
            assert_eq!(&recovery_digest(c), digest);
            // Typed back loosely.
            let loose = format!(" {} ", c.replace('-', " ").to_uppercase());
            assert_eq!(&recovery_digest(&loose), digest);
        }
        let mut unique = digests.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_eq!(recovery_digest("0O1I-L"), recovery_digest("00111"));
        assert_ne!(recovery_digest("abcd"), recovery_digest("abce"));
    }
}
