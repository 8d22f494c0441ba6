//! The commitments tracker's pure part: a pledge and whether it is on track.
//!
//! **Rule.** Progress is expected to run in a straight line from the baseline (on the baseline
//! date) to the target (on the due date). With `achieved = (current - baseline) / (target -
//! baseline)` (the share of the promised change already made; it works the same whether the
//! target is above the baseline or, as for children in detention, below it) and `expected` the
//! share of the time elapsed (0 to 1):
//! - target reached (`achieved >= 1`): on track, whatever the date;
//! - after the due date without reaching it: off track;
//! - `achieved >= expected`: on track; `achieved >= 0.75 × expected`: at risk; else off track
//!   (so a value worse than the baseline is off track even on the first day).
//!
//! A pledge to hold a value (target = baseline) is on track while the value is no worse than the
//! target in the indicator's direction (lower for detention), and off track otherwise.

use serde::Serialize;
use time::Date;

use crate::catalogue::{Area, Better, indicator};
use crate::error::ReportError;
use crate::table::{Report, Value};
use haven_domain::dates::format_date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Government,
    Partner,
}

impl Party {
    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        match raw.trim() {
            "government" => Ok(Self::Government),
            "partner" => Ok(Self::Partner),
            other => Err(ReportError::UnknownParty(other.to_string())),
        }
    }
}

/// A government's or partner's pledge under the Global Compact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pledge {
    pub party: Party,
    /// Who pledged (a ministry, an agency).
    pub name: String,
    pub area: Area,
    /// An indicator code of the catalogue, in `area`.
    pub indicator: &'static str,
    pub baseline: f64,
    pub target: f64,
    pub baseline_date: Date,
    pub due_date: Date,
    pub notes: String,
}

impl Pledge {
    /// Checks the indicator exists and belongs to the area, and that the dates run forwards.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        party: Party,
        name: impl Into<String>,
        area: Area,
        indicator_code: &str,
        baseline: f64,
        target: f64,
        baseline_date: Date,
        due_date: Date,
        notes: impl Into<String>,
    ) -> Result<Self, ReportError> {
        let ind = indicator(indicator_code)?;
        if ind.area != area {
            return Err(ReportError::UnknownIndicator(format!(
                "{indicator_code} (it belongs to area {}, not {})",
                ind.area.number(),
                area.number()
            )));
        }
        if due_date < baseline_date {
            return Err(ReportError::InvertedPledgeDates {
                baseline: baseline_date,
                due: due_date,
            });
        }
        Ok(Self {
            party,
            name: name.into(),
            area,
            indicator: ind.code,
            baseline,
            target,
            baseline_date,
            due_date,
            notes: notes.into(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnTrack,
    AtRisk,
    OffTrack,
}

/// Where a pledge stands, with the numbers behind the status.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    pub status: Status,
    /// The value the straight line expects today.
    pub expected_value: f64,
    /// Share of the promised change made (1 = target reached).
    pub achieved: f64,
    /// Share of the time elapsed.
    pub elapsed: f64,
}

/// The status of `pledge` given the indicator's value `current` on `today`.
pub fn progress(pledge: &Pledge, current: f64, today: Date) -> Progress {
    let span = (pledge.due_date - pledge.baseline_date).whole_days();
    let gone = (today - pledge.baseline_date)
        .whole_days()
        .clamp(0, span.max(0));
    let elapsed = if span <= 0 {
        1.0
    } else {
        gone as f64 / span as f64
    };
    let change = pledge.target - pledge.baseline;
    let expected_value = pledge.baseline + elapsed * change;
    if change == 0.0 {
        let lower =
            indicator(pledge.indicator).map_or(Better::Higher, |i| i.better) == Better::Lower;
        let ok = if lower {
            current <= pledge.target
        } else {
            current >= pledge.target
        };
        return Progress {
            status: if ok {
                Status::OnTrack
            } else {
                Status::OffTrack
            },
            expected_value,
            achieved: if ok { 1.0 } else { 0.0 },
            elapsed,
        };
    }
    let achieved = (current - pledge.baseline) / change;
    let status = if achieved >= 1.0 {
        Status::OnTrack
    } else if today > pledge.due_date {
        Status::OffTrack
    } else if achieved >= elapsed {
        Status::OnTrack
    } else if achieved >= 0.75 * elapsed {
        Status::AtRisk
    } else {
        Status::OffTrack
    };
    Progress {
        status,
        expected_value,
        achieved,
        elapsed,
    }
}

/// Just the status (see [`progress`]).
pub fn status(pledge: &Pledge, current: f64, today: Date) -> Status {
    progress(pledge, current, today).status
}

/// The window a pledge's current value is read over on `today`: the 365 days ending today. A
/// stock (children in detention now, open tracing requests) is its value on `today`; a flow
/// (reunifications, detention placements) is counted over that year.
pub fn current_window(today: Date) -> (Date, Date) {
    (today - time::Duration::days(364), today)
}

/// The headline value of indicator `code` in `report`: the total over the whole window (a count,
/// a percentage or a median), `None` when it was suppressed or not computed.
pub fn headline(report: &Report, code: &str) -> Option<f64> {
    let (from, to) = (format_date(report.from), format_date(report.to));
    report
        .tables
        .iter()
        // An implied breakdown (open cases by risk) is a dimension of every table: its margin
        // (every label at total) is the headline.
        .filter(|t| t.indicator == code)
        .flat_map(|t| &t.rows)
        .find(|r| r.labels.iter().all(Option::is_none) && r.date_start == from && r.date_end == to)
        .and_then(|r| match &r.value {
            Value::Count { count } => count.map(|c| c as f64),
            Value::Percent { percent, .. } => *percent,
            Value::MedianDays { median, .. } => *median,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn detention_pledge() -> Pledge {
        // From 40 children in detention to none over a year.
        Pledge::new(
            Party::Government,
            "Ministry of Interior",
            Area::Detention,
            "det_in_immigration_detention",
            40.0,
            0.0,
            date!(2026 - 01 - 01),
            date!(2027 - 01 - 01),
            "",
        )
        .unwrap()
    }

    #[test]
    fn lower_is_better_pledges_are_judged_downwards() {
        let p = detention_pledge();
        let mid = date!(2026 - 07 - 02); // half the year gone: 20 expected
        assert_eq!(status(&p, 18.0, mid), Status::OnTrack);
        assert_eq!(status(&p, 24.0, mid), Status::AtRisk); // 16/40 = 0.4 >= 0.75 * 0.5
        assert_eq!(status(&p, 30.0, mid), Status::OffTrack);
        assert_eq!(status(&p, 0.0, date!(2027 - 06 - 01)), Status::OnTrack);
        assert_eq!(status(&p, 1.0, date!(2027 - 06 - 01)), Status::OffTrack);
        assert_eq!(status(&p, 40.0, date!(2026 - 01 - 01)), Status::OnTrack);
        // Worse than the baseline is off track even on the first day.
        assert_eq!(status(&p, 45.0, date!(2026 - 01 - 01)), Status::OffTrack);
    }

    #[test]
    fn higher_is_better_and_hold_pledges() {
        let p = Pledge::new(
            Party::Partner,
            "NGO",
            Area::IdentityFamily,
            "id_birth_registered",
            50.0,
            90.0,
            date!(2026 - 01 - 01),
            date!(2026 - 12 - 31),
            "",
        )
        .unwrap();
        let mid = date!(2026 - 07 - 01);
        assert_eq!(status(&p, 72.0, mid), Status::OnTrack);
        assert_eq!(status(&p, 66.0, mid), Status::AtRisk);
        assert_eq!(status(&p, 55.0, mid), Status::OffTrack);
        let hold = Pledge {
            target: 0.0,
            baseline: 0.0,
            ..detention_pledge()
        };
        assert_eq!(status(&hold, 0.0, mid), Status::OnTrack);
        assert_eq!(status(&hold, 2.0, mid), Status::OffTrack);
    }

    #[test]
    fn the_headline_is_the_whole_windows_total_and_none_when_suppressed() {
        use crate::engine::{Request, Settings, compute};
        let today = date!(2026 - 06 - 30);
        let (from, to) = current_window(today);
        assert_eq!(from, date!(2025 - 07 - 01));
        let facts = crate::synth::generate(2_000, 7, today);
        let ind = indicator("prot_open_cases").unwrap();
        let req = Request::new(from, to, vec![ind], vec![]).unwrap();
        let report = compute(&facts, &req, &Settings::default()).unwrap();
        let open = headline(&report, "prot_open_cases").unwrap();
        let direct = facts.cases.iter().filter(|c| c.open_on(to)).count();
        assert_eq!(open, direct as f64);
        assert_eq!(headline(&report, "det_placements"), None, "not computed");
        let few = crate::synth::generate(2, 7, today);
        let report = compute(&few, &req, &Settings::default()).unwrap();
        let v = headline(&report, "prot_open_cases");
        assert!(
            v.is_none() || v == Some(0.0),
            "{v:?}: 1 to 4 is never published"
        );
    }

    #[test]
    fn bad_pledges_are_refused_with_the_value_named() {
        let e = Pledge::new(
            Party::Government,
            "M",
            Area::Protection,
            "det_placements",
            1.0,
            0.0,
            date!(2026 - 01 - 01),
            date!(2026 - 02 - 01),
            "",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("det_placements") && e.contains("area 2"), "{e}");
        let e = Pledge::new(
            Party::Government,
            "M",
            Area::Detention,
            "det_placements",
            1.0,
            0.0,
            date!(2026 - 03 - 01),
            date!(2026 - 02 - 01),
            "",
        )
        .unwrap_err();
        assert!(matches!(e, ReportError::InvertedPledgeDates { .. }));
        assert_eq!(
            Party::parse("ngo").unwrap_err().to_string(),
            "unknown pledge party 'ngo': use government or partner"
        );
    }
}
