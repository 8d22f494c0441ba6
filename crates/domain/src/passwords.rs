//! "Is this one of the passwords everybody uses?" — for login and user creation, on top of the
//! length rule in [`crate::user::check_password`].
//!
//! The list (`data/common_passwords.txt`, 30,000 entries from zxcvbn's frequency list; see its
//! header for origin and licence) is embedded, so the check works offline and needs no set-up.
//!
//! Comparison ignores case. Besides a listed entry itself, [`is_common`] refuses these shapes,
//! each optionally followed by digits/symbols only (`Password1234!`, `qwertyuiop2024`):
//! - a listed entry repeated (`dragondragondragon`);
//! - two listed entries joined (`qwertyuiopasdfgh`, `monkeysunshine`); three or more are allowed,
//!   so passphrases of common words pass (`correct horse battery staple`);
//! - a unit of one to three characters repeated (`zzzzzzzzzzzz`, `abcabcabcabc`), and runs of
//!   consecutive letters or digits (`abcdefghijkl`, `9876543210`): zxcvbn left such shapes out of
//!   its list because its pattern rules catch them.
//!
//! Not covered (a full strength estimator would): digits/symbols *before* a listed entry, leet
//! substitutions beyond those in the list (`p@ssw0rd` is listed, `p@$$w0rd` is not), dates and
//! keyboard walks that are not made of listed pieces.

use std::collections::HashSet;
use std::sync::LazyLock;

const LIST: &str = include_str!("../data/common_passwords.txt");

/// Repeats of short units and runs count from this length: `aaaaaa`, `ababab`, `abcdef`.
const MIN_PATTERN_CHARS: usize = 6;

/// Longer passwords are never treated as common. Bounds the work per call; no listed shape comes
/// close to it.
const MAX_CHECKED_CHARS: usize = 256;

struct Common {
    entries: HashSet<&'static str>,
    longest: usize,
}

static COMMON: LazyLock<Common> = LazyLock::new(|| {
    let entries: HashSet<&'static str> = LIST
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let longest = entries.iter().map(|e| e.chars().count()).max().unwrap_or(0);
    Common { entries, longest }
});

/// Whether `password` is a common password or one of the shapes above.
pub fn is_common(password: &str) -> bool {
    let lower: Vec<char> = password.to_lowercase().chars().collect();
    if lower.len() > MAX_CHECKED_CHARS {
        return false;
    }
    let common = &*COMMON;
    // Each prefix whose remainder is all digits/symbols, longest first (the whole password).
    let mut end = lower.len();
    loop {
        if end > 0 && common.is_common_core(&lower[..end]) {
            return true;
        }
        match end.checked_sub(1) {
            Some(prev) if !lower[prev].is_alphabetic() => end = prev,
            _ => return false,
        }
    }
}

impl Common {
    fn listed(&self, chars: &[char]) -> bool {
        chars.len() <= self.longest
            && self
                .entries
                .contains(chars.iter().collect::<String>().as_str())
    }

    fn is_common_core(&self, core: &[char]) -> bool {
        self.listed(core) || self.is_repetition(core) || self.is_two_entries(core) || is_run(core)
    }

    /// A listed entry repeated, or (from six characters) a unit of up to three characters repeated.
    fn is_repetition(&self, core: &[char]) -> bool {
        let len = core.len();
        (1..=self.longest.min(len / 2))
            .filter(|unit| len.is_multiple_of(*unit))
            .any(|unit| {
                let (head, _) = core.split_at(unit);
                core.chunks(unit).all(|chunk| chunk == head)
                    && ((unit <= 3 && len >= MIN_PATTERN_CHARS) || self.listed(head))
            })
    }

    fn is_two_entries(&self, core: &[char]) -> bool {
        if core.len() > 2 * self.longest {
            return false;
        }
        (1..core.len()).any(|cut| {
            let (left, right) = core.split_at(cut);
            self.listed(left) && self.listed(right)
        })
    }
}

/// Six or more consecutive letters or digits, up or down: `abcdef…`, `654321…`.
fn is_run(core: &[char]) -> bool {
    if core.len() < MIN_PATTERN_CHARS || !core.iter().all(char::is_ascii_alphanumeric) {
        return false;
    }
    let steps: Vec<i64> = core
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_complete_and_clean() {
        let common = &*COMMON;
        assert_eq!(common.entries.len(), 30_000);
        assert_eq!(common.longest, 20);
        assert!(common.entries.contains("123456"));
        // Every long entry survives: with a 12-character minimum, these are the ones that matter.
        let long = common
            .entries
            .iter()
            .filter(|e| e.chars().count() >= 12)
            .count();
        assert_eq!(long, 229);
        assert!(
            common
                .entries
                .iter()
                .all(|e| *e == e.to_lowercase() && e.trim() == *e)
        );
    }

    #[test]
    fn common_passwords_and_their_variants_are_refused() {
        for pw in [
            "password1234",
            "123456789012",
            "qwertyuiopasdfgh",
            "PassWord1234",
            "Password1234!",
            "sunshine!!!!",
            "1qaz2wsx3edc",
            "trustno1trustno1",
            "dragondragondragon",
            "monkeysunshine",
            "iloveyou2024",
            "zzzzzzzzzzzz",
            "abcabcabcabc",
            "abcdefghijklmnop",
            "9876543210987",
            "ABCDEFGHIJKL",
        ] {
            assert!(is_common(pw), "{pw} should be common");
        }
    }

    #[test]
    fn uncommon_passwords_pass() {
        for pw in [
            "vT7#qLm2!xR9wZp4",
            "correct horse battery staple",
            "sunshinemonkeydragon",
            "ketzal-ombu-pitanga",
            "Жёлтый-самовар-42",
            "1984orwellbooks",
            "aa8273645190",
            "abcd-river-lantern",
            "",
        ] {
            assert!(!is_common(pw), "{pw} should not be common");
        }
        assert!(
            !is_common(&"password".repeat(40)),
            "beyond the checked length"
        );
    }

    /// A tiny deterministic generator, so the false-positive check is the same on every run.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn random_passwords_are_not_common() {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            let pw: String = (0..16)
                .map(|_| {
                    let i = usize::try_from(xorshift(&mut state) % 36).unwrap();
                    char::from(ALPHABET[i])
                })
                .collect();
            assert!(!is_common(&pw), "{pw}");
        }
    }
}
