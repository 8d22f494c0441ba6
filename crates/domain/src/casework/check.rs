//! Field checks shared by the casework validators. Each pushes its problem under the path it is
//! given and returns `None` for a value it could not accept, so a validator can go on and report
//! every problem at once.

use std::str::FromStr;

use time::Date;

use crate::case::text;
use crate::country::{clip, parse_country};
use crate::dates::parse_date;
use crate::problems::Problems;

use super::codes;

/// Longest free text (a goal, a summary, a comment) accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Longest case note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 20_000;

/// Text that must be there.
pub(crate) fn required_text(p: &mut Problems, path: &str, raw: &str, max: usize) -> Option<String> {
    if raw.trim().is_empty() {
        p.push(path, "is required");
        return None;
    }
    text(p, path, Some(raw), max)
}

/// A full date that must be there and may lie in the future only when `future_ok`.
pub(crate) fn required_date(
    p: &mut Problems,
    path: &str,
    raw: &str,
    today: Date,
    future_ok: bool,
) -> Option<Date> {
    if raw.trim().is_empty() {
        p.push(path, "is required");
        return None;
    }
    date(p, path, Some(raw), today, future_ok)
}

/// A full date when given. Dates of what already happened cannot lie after `today`; dates of
/// what is planned (`future_ok`) can.
pub(crate) fn date(
    p: &mut Problems,
    path: &str,
    raw: Option<&str>,
    today: Date,
    future_ok: bool,
) -> Option<Date> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match parse_date(raw) {
        Ok(d) if !future_ok && d > today => {
            p.push(path, "is in the future");
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            p.push(path, e);
            None
        }
    }
}

/// `end` (at `path`) must not come before `start`; `start_name` names the other field.
pub(crate) fn not_before(
    p: &mut Problems,
    path: &str,
    start: Option<Date>,
    end: Option<Date>,
    start_name: &str,
) {
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        p.push(path, format!("is before {start_name}"));
    }
}

/// A code from the shipped code list `list`, lower-cased; `None` (no problem) when absent.
pub(crate) fn listed(
    p: &mut Problems,
    path: &str,
    raw: Option<&str>,
    list: &str,
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    let code = raw.to_ascii_lowercase();
    match codes::list(list) {
        Some(l) if l.contains(&code) => Some(code),
        Some(l) => {
            p.push(
                path,
                format!(
                    "'{}' is not in the {list} code list (version {})",
                    clip(raw),
                    l.version
                ),
            );
            None
        }
        None => {
            p.push(path, "the code list is unavailable");
            None
        }
    }
}

/// A code from `list` that must be there.
pub(crate) fn required_listed(
    p: &mut Problems,
    path: &str,
    raw: &str,
    list: &str,
) -> Option<String> {
    if raw.trim().is_empty() {
        p.push(path, "is required");
        return None;
    }
    listed(p, path, Some(raw), list)
}

/// Several codes from `list` (a multi-select): each checked under `path.i`, duplicates dropped.
pub(crate) fn listed_all(p: &mut Problems, path: &str, raw: &[String], list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, r) in limit(p, path, raw).iter().enumerate() {
        let item = format!("{path}.{i}");
        if let Some(c) = required_listed(p, &item, r, list)
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// A closed code (an enum's `parse`) that must be there.
pub(crate) fn required_code<T>(
    p: &mut Problems,
    path: &str,
    raw: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Option<T> {
    if raw.trim().is_empty() {
        p.push(path, "is required");
        return None;
    }
    parse(raw).map_err(|e| p.push(path, e)).ok()
}

/// An id (`UserId`, `AgencyId`, `CaseId`) when given.
pub(crate) fn id<T: FromStr>(
    p: &mut Problems,
    path: &str,
    raw: Option<&str>,
    what: &str,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    raw.parse::<T>()
        .map_err(|_| p.push(path, format!("'{}' is not {what}", clip(raw))))
        .ok()
}

/// An id that must be there.
pub(crate) fn required_id<T: FromStr>(
    p: &mut Problems,
    path: &str,
    raw: &str,
    what: &str,
) -> Option<T> {
    if raw.trim().is_empty() {
        p.push(path, "is required");
        return None;
    }
    id(p, path, Some(raw), what)
}

/// An ISO 3166-1 alpha-2 country when given.
pub(crate) fn country(p: &mut Problems, path: &str, raw: Option<&str>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    parse_country(raw).map_err(|e| p.push(path, e)).ok()
}

/// The list itself when short enough; otherwise a problem and nothing of it.
pub(crate) fn limit<'a, T>(p: &mut Problems, path: &str, list: &'a [T]) -> &'a [T] {
    crate::case::list_limit(p, path, list)
}

/// A partial date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) of something that happened: not after
/// `today`.
pub(crate) fn partial(
    p: &mut Problems,
    path: &str,
    raw: Option<&str>,
    today: Date,
) -> Option<crate::dates::PartialDate> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match crate::dates::PartialDate::parse(raw) {
        Ok(d) if d.earliest() > today => {
            p.push(path, "is in the future");
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            p.push(path, e);
            None
        }
    }
}

/// The last day a partial date can stand for.
pub(crate) fn latest(d: crate::dates::PartialDate) -> Date {
    use crate::dates::PartialDate;
    use time::Month;
    let first_of_next = |y: i32, m: Month| {
        let (y, m) = if m == Month::December {
            (y + 1, Month::January)
        } else {
            (y, m.next())
        };
        Date::from_calendar_date(y, m, 1)
            .ok()
            .and_then(Date::previous_day)
            .unwrap_or(Date::MAX)
    };
    match d {
        PartialDate::Year(y) => first_of_next(y, Month::December),
        PartialDate::Month(y, m) => first_of_next(y, m),
        PartialDate::Day(d) => d,
    }
}

/// `later` (at `path`) must not be certainly before `earlier`: with partial dates, only when
/// every day `later` can mean comes before every day `earlier` can mean.
pub(crate) fn partial_not_before(
    p: &mut Problems,
    path: &str,
    earlier: Option<crate::dates::PartialDate>,
    later: Option<crate::dates::PartialDate>,
    earlier_name: &str,
) {
    if let (Some(a), Some(b)) = (earlier, later)
        && latest(b) < a.earliest()
    {
        p.push(path, format!("is before {earlier_name}"));
    }
}
