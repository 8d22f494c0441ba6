//! What a caller asks for, in the words of the API's query string and the CLI's options
//! (`area`, `indicator`, `from`, `to`, `by`, `threshold`), turned into a [`Request`] and
//! [`Settings`], with every problem reported against the parameter that caused it. The web and
//! the CLI share this, so `?by=sex,agee` and `--by sex,agee` fail the same way.

use time::Date;

use crate::catalogue::{Area, IndicatorDef, indicator, indicators_of};
use crate::dims::Dimension;
use crate::engine::{Request, Settings};
use crate::error::ReportError;

/// The parameter a report error is about (`area`, `indicator`, `by`, `from`, `threshold`,
/// `format`), for a 422 or a CLI message naming the option.
pub fn field_of(e: &ReportError) -> &'static str {
    match e {
        ReportError::UnknownArea(_) => "area",
        ReportError::UnknownIndicator(_) => "indicator",
        ReportError::UnknownDimension(_)
        | ReportError::DimensionNotApplicable { .. }
        | ReportError::RepeatedDimension(_)
        | ReportError::TooManyDimensions { .. }
        | ReportError::TooManyCells(_) => "by",
        ReportError::InvertedDates { .. } => "from",
        ReportError::InvertedPledgeDates { .. } => "due_date",
        ReportError::BadThreshold(_) => "threshold",
        ReportError::UnknownParty(_) => "party",
        ReportError::UnknownFormat(_) => "format",
        ReportError::Write(_) => "output",
    }
}

/// A report request as given, still text where the caller wrote text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask<'a> {
    pub area: &'a str,
    /// One indicator of the area instead of all of them.
    pub indicator: Option<&'a str>,
    pub from: Date,
    pub to: Date,
    /// Tables separated by `;`, each a comma-separated list of dimensions (`sex,age;nationality`).
    /// Empty: the totals only.
    pub by: &'a str,
    /// A threshold above the deployment's; below it is refused.
    pub threshold: Option<i64>,
}

/// Every problem of `ask`, each with the parameter it concerns; or the request and the settings
/// to compute it with (`base` with the threshold raised when asked).
pub fn parse(
    ask: &Ask<'_>,
    base: &Settings,
) -> Result<(Request, Settings), Vec<(&'static str, String)>> {
    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let note = |problems: &mut Vec<(&'static str, String)>, e: ReportError| {
        problems.push((field_of(&e), e.to_string()))
    };
    let area = Area::parse(ask.area)
        .map_err(|e| note(&mut problems, e))
        .ok();
    let mut indicators: Vec<&'static IndicatorDef> = Vec::new();
    if let Some(a) = area {
        match ask.indicator.map(str::trim).filter(|s| !s.is_empty()) {
            None => indicators = indicators_of(a).collect(),
            Some(code) => match indicator(code) {
                Ok(i) if i.area == a => indicators.push(i),
                Ok(i) => note(
                    &mut problems,
                    ReportError::UnknownIndicator(format!(
                        "{} (it belongs to area {}, not {})",
                        i.code,
                        i.area.number(),
                        a.number()
                    )),
                ),
                Err(e) => note(&mut problems, e),
            },
        }
    }
    let mut tables = Vec::new();
    for t in ask.by.split(';').map(str::trim).filter(|t| !t.is_empty()) {
        match Dimension::parse_list(t) {
            Ok(dims) => tables.push(dims),
            Err(e) => note(&mut problems, e),
        }
    }
    if ask.from > ask.to {
        note(
            &mut problems,
            ReportError::InvertedDates {
                from: ask.from,
                to: ask.to,
            },
        );
    }
    let settings = match ask.threshold {
        None => Some(base.clone()),
        Some(t) if t < 1 => {
            note(&mut problems, ReportError::BadThreshold(t));
            None
        }
        Some(t) if u64::try_from(t).unwrap_or(0) < base.threshold() => {
            problems.push((
                "threshold",
                format!(
                    "suppression threshold {t} is refused: this deployment suppresses counts up to {}, and a report may only raise that",
                    base.threshold()
                ),
            ));
            None
        }
        Some(t) => base
            .clone()
            .with_threshold(t)
            .map_err(|e| note(&mut problems, e))
            .ok(),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let request = Request::new(ask.from, ask.to, indicators, tables)
        .map_err(|e| vec![(field_of(&e), e.to_string())])?;
    match settings {
        Some(s) => Ok((request, s)),
        None => Err(vec![("threshold", "is refused".into())]),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use time::macros::date;

    fn ask<'a>(area: &'a str, by: &'a str) -> Ask<'a> {
        Ask {
            area,
            indicator: None,
            from: date!(2026 - 01 - 01),
            to: date!(2026 - 12 - 31),
            by,
            threshold: None,
        }
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let base = Settings::default();
        let (req, s) = parse(&ask("2", "sex,age;nationality"), &base).unwrap();
        assert_eq!(req.tables.len(), 2);
        assert_eq!(req.indicators.len(), 4);
        assert_eq!(s.threshold(), 4);
        let bad = Ask {
            from: date!(2027 - 01 - 01),
            threshold: Some(0),
            ..ask("9", "sex,agee")
        };
        let fields: Vec<&str> = parse(&bad, &base)
            .unwrap_err()
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(fields, ["area", "by", "from", "threshold"]);
        let one = Ask {
            indicator: Some("det_placements"),
            ..ask("1", "")
        };
        let e = parse(&one, &base).unwrap_err();
        assert_eq!(e[0].0, "indicator");
        assert!(e[0].1.contains("area 2"), "{}", e[0].1);
        let lower = Ask {
            threshold: Some(2),
            ..ask("1", "")
        };
        assert_eq!(parse(&lower, &base).unwrap_err()[0].0, "threshold");
        let higher = Ask {
            threshold: Some(9),
            ..ask("1", "")
        };
        assert_eq!(parse(&higher, &base).unwrap().1.threshold(), 9);
    }

    #[test]
    fn a_dimension_that_does_not_apply_is_about_by() {
        let e = parse(&ask("6", "risk"), &Settings::default()).unwrap_err();
        assert_eq!(e[0].0, "by", "{e:?}");
    }
}
