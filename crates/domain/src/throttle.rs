//! How hard a run of failed logins locks an account. Guessing a 12-character password is hopeless
//! online, but a targeted account (a caseworker whose e-mail is known) deserves to slow down fast.

use time::Duration;

/// Failures in a row allowed before the account locks.
pub const FREE_FAILURES: u32 = 4;
/// The first lock; each further failure doubles it.
pub const FIRST_LOCK: Duration = Duration::seconds(30);
/// The longest lock, so a locked-out owner can still get in the same day.
pub const MAX_LOCK: Duration = Duration::minutes(30);

/// How long the account locks after `failures` failures in a row (`None`: it does not).
pub fn lock_after(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES + 1)?;
    let factor = 1_i32.checked_shl(over.min(16)).unwrap_or(i32::MAX);
    Some((FIRST_LOCK * factor).min(MAX_LOCK))
}

/// Whether this failure is the one that raises an alert to the account's admins: the first that
/// locks, so a long attack raises one alert, not hundreds.
pub fn alerts_at(failures: u32) -> bool {
    failures == FREE_FAILURES + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_fifth_failure_and_grow_to_a_ceiling() {
        assert_eq!(lock_after(4), None);
        assert_eq!(lock_after(5), Some(Duration::seconds(30)));
        assert_eq!(lock_after(6), Some(Duration::seconds(60)));
        assert_eq!(lock_after(7), Some(Duration::seconds(120)));
        assert_eq!(lock_after(40), Some(MAX_LOCK));
        assert!(alerts_at(5) && !alerts_at(6) && !alerts_at(4));
    }
}
