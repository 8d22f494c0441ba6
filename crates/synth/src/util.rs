//! Small random helpers over the crate's fixed, non-empty tables.

use rand::Rng;
use time::{Date, Duration};

/// One item of a non-empty table, uniformly.
pub(crate) fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// One item of a non-empty table, in proportion to its weight.
pub(crate) fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|&(_, w)| w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// `days` days before `d` (never before the calendar's start).
pub(crate) fn days_before(d: Date, days: i64) -> Date {
    d.saturating_sub(Duration::days(days))
}

/// `days` days after `d`, but not after `limit`.
pub(crate) fn days_after(d: Date, days: i64, limit: Date) -> Date {
    d.saturating_add(Duration::days(days)).min(limit)
}

/// Whole days from `a` to `b` (0 when `b` is not after `a`).
pub(crate) fn days_between(a: Date, b: Date) -> i64 {
    (b - a).whole_days().max(0)
}

/// One name of a pool ordered most common first, with a Zipf-like skew: rank r comes with
/// probability ln((r+2)/(r+1)) / ln(n+1), so of 400 names the first is drawn about one time in
/// nine and most are rare. `flat` mixes in a uniform draw (family names are less skewed).
pub(crate) fn zipf<T: Copy>(rng: &mut impl Rng, items: &[T], flat: f64) -> T {
    let n = items.len();
    let r = if rng.random_bool(flat) {
        rng.random_range(0..n)
    } else {
        let u: f64 = rng.random();
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    };
    items[r]
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn zipf_makes_the_head_common_and_the_tail_rare() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let items: Vec<usize> = (0..400).collect();
        let mut counts = [0u32; 400];
        for _ in 0..100_000 {
            counts[super::zipf(&mut rng, &items, 0.0)] += 1;
        }
        // About one in nine is the first name; the last 200 together are about one in nine.
        assert!((9_000..14_000).contains(&counts[0]), "{}", counts[0]);
        let tail: u32 = counts[200..].iter().sum();
        assert!((8_000..14_000).contains(&tail), "{tail}");
        assert!(counts.iter().all(|&c| c > 0));
    }
}
