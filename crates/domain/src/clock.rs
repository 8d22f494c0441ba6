//! Time, passed in. Domain logic never reads the system clock itself.

use time::{Date, OffsetDateTime};

pub trait Clock: Send + Sync {
    /// Now, in UTC, truncated to whole microseconds (the precision both databases keep).
    fn now(&self) -> OffsetDateTime;

    fn today(&self) -> Date {
        self.now().date()
    }
}

/// A clock that never moves; for tests and reproducible demo data.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(self.0)
    }
}

pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let micros = t.microsecond();
    t.replace_microsecond(micros).unwrap_or(t)
}
