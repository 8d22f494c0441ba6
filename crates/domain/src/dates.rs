//! Dates as caseworkers know them: often partial (a year, a month), sometimes only an age guessed
//! on a given day.

use std::fmt;

use time::{Date, Month};

/// A date of birth known to the day, the month, or the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialDate {
    Year(i32),
    Month(i32, Month),
    Day(Date),
}

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; the error says what is wrong in words.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let parts: Vec<&str> = s.split('-').collect();
        let bad_shape = || {
            format!(
                "'{}' is not a date: use YYYY-MM-DD, or YYYY-MM or YYYY when only part is known",
                crate::country::clip(raw)
            )
        };
        let number = |p: &str, len: usize| -> Option<u32> {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let year = parts
            .first()
            .and_then(|p| number(p, 4))
            .ok_or_else(bad_shape)?;
        let year = i32::try_from(year).map_err(|_| bad_shape())?;
        if year < 1900 {
            return Err(format!("year {year} is before 1900"));
        }
        match parts.as_slice() {
            [_] => Ok(Self::Year(year)),
            [_, m] => {
                let month = number(m, 2).ok_or_else(bad_shape)?;
                let month =
                    month_of(month).ok_or_else(|| format!("month {month} does not exist"))?;
                Ok(Self::Month(year, month))
            }
            [_, m, d] => {
                let month = number(m, 2).ok_or_else(bad_shape)?;
                let day = number(d, 2).ok_or_else(bad_shape)?;
                let month =
                    month_of(month).ok_or_else(|| format!("month {month} does not exist"))?;
                let day8 = u8::try_from(day).map_err(|_| bad_shape())?;
                Date::from_calendar_date(year, month, day8)
                    .map(Self::Day)
                    .map_err(|_| format!("{s} does not exist (no day {day} in {month} {year})"))
            }
            _ => Err(bad_shape()),
        }
    }

    /// The earliest day the date can stand for.
    pub fn earliest(&self) -> Date {
        match *self {
            Self::Year(y) => Date::from_calendar_date(y, Month::January, 1).unwrap_or(Date::MIN),
            Self::Month(y, m) => Date::from_calendar_date(y, m, 1).unwrap_or(Date::MIN),
            Self::Day(d) => d,
        }
    }

    pub fn precision(&self) -> &'static str {
        match self {
            Self::Year(_) => "year",
            Self::Month(..) => "month",
            Self::Day(_) => "day",
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Year(y) => write!(f, "{y:04}"),
            Self::Month(y, m) => write!(f, "{y:04}-{:02}", *m as u8),
            Self::Day(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
        }
    }
}

fn month_of(n: u32) -> Option<Month> {
    u8::try_from(n).ok().and_then(|n| Month::try_from(n).ok())
}

/// A full calendar date, `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<Date, String> {
    match PartialDate::parse(raw)? {
        PartialDate::Day(d) => Ok(d),
        _ => Err(format!(
            "'{}' must be a full date, YYYY-MM-DD",
            crate::country::clip(raw)
        )),
    }
}

pub fn format_date(d: Date) -> String {
    PartialDate::Day(d).to_string()
}

/// Whole years between `born` and `on`.
pub fn age_on(born: Date, on: Date) -> i32 {
    let mut years = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn parses_each_precision_and_prints_it_back() {
        for s in ["2014", "2014-03", "2014-03-02"] {
            assert_eq!(PartialDate::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn impossible_dates_are_named() {
        let e = PartialDate::parse("2015-02-30").unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        assert!(
            PartialDate::parse("2015-13")
                .unwrap_err()
                .contains("month 13")
        );
        assert!(PartialDate::parse("02/03/2014").is_err());
        assert!(
            PartialDate::parse("1850")
                .unwrap_err()
                .contains("before 1900")
        );
        assert!(PartialDate::parse("2014-3-2").is_err());
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(date!(2014 - 03 - 02), date!(2026 - 03 - 01)), 11);
        assert_eq!(age_on(date!(2014 - 03 - 02), date!(2026 - 03 - 02)), 12);
    }
}
