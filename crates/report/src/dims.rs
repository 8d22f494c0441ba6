//! Disaggregation: the dimensions a table can be cut by, and the periods of a window.

use time::{Date, Duration, Month};

use crate::catalogue::{Breakdown, IndicatorDef, Unit};
use crate::error::ReportError;

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Month,
    Quarter,
    Year,
}

/// A dimension a table is cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "dimension", content = "level")]
pub enum Dimension {
    Sex,
    AgeGroup,
    Separation,
    Nationality,
    /// Where the child is (incidents: where it happened), at an admin level (0 = country).
    Location(u8),
    Period(Granularity),
    Risk,
    Reason,
    /// The area of origin, at an admin level.
    Origin(u8),
    Bias,
    Setting,
}

pub const MAX_ADMIN_LEVEL: u8 = 4;

impl Dimension {
    /// `sex`, `age`, `separation`, `nationality`, `adm0`..`adm4` (`location` = `adm1`), `month`,
    /// `quarter`, `year`, `risk`, `reason`, `origin` (= country) or `origin_adm1`..`4`, `bias`,
    /// `setting`.
    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        let s = raw.trim();
        let level = |rest: &str| {
            rest.parse::<u8>()
                .ok()
                .filter(|l| *l <= MAX_ADMIN_LEVEL && rest.len() == 1)
        };
        let d = match s {
            "sex" => Some(Self::Sex),
            "age" | "age_group" => Some(Self::AgeGroup),
            "separation" => Some(Self::Separation),
            "nationality" => Some(Self::Nationality),
            "location" => Some(Self::Location(1)),
            "month" => Some(Self::Period(Granularity::Month)),
            "quarter" => Some(Self::Period(Granularity::Quarter)),
            "year" => Some(Self::Period(Granularity::Year)),
            "risk" => Some(Self::Risk),
            "reason" => Some(Self::Reason),
            "origin" => Some(Self::Origin(0)),
            "bias" => Some(Self::Bias),
            "setting" => Some(Self::Setting),
            _ => s
                .strip_prefix("origin_adm")
                .and_then(level)
                .map(Self::Origin)
                .or_else(|| s.strip_prefix("adm").and_then(level).map(Self::Location)),
        };
        d.ok_or_else(|| ReportError::UnknownDimension(raw.to_string()))
    }

    /// A comma-separated list, as the CLI's `--by sex,age` takes it.
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, ReportError> {
        raw.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Self::parse)
            .collect()
    }

    pub fn name(self) -> String {
        match self {
            Self::Sex => "sex".into(),
            Self::AgeGroup => "age".into(),
            Self::Separation => "separation".into(),
            Self::Nationality => "nationality".into(),
            Self::Location(l) => format!("adm{l}"),
            Self::Period(Granularity::Month) => "month".into(),
            Self::Period(Granularity::Quarter) => "quarter".into(),
            Self::Period(Granularity::Year) => "year".into(),
            Self::Risk => "risk".into(),
            Self::Reason => "reason".into(),
            Self::Origin(0) => "origin".into(),
            Self::Origin(l) => format!("origin_adm{l}"),
            Self::Bias => "bias".into(),
            Self::Setting => "setting".into(),
        }
    }

    /// The HXL hashtag of the column holding this dimension's value.
    pub fn hxl(self) -> String {
        match self {
            Self::Sex => "#group+sex".into(),
            Self::AgeGroup => "#group+age".into(),
            Self::Separation => "#group+separation".into(),
            Self::Nationality => "#country+code+nationality".into(),
            Self::Location(l) => format!("#adm{l}+code"),
            Self::Period(_) => "#date+start".into(),
            Self::Risk => "#severity+risk".into(),
            Self::Reason => "#cause+code".into(),
            Self::Origin(l) => format!("#adm{l}+code+origin"),
            Self::Bias => "#cause+code+bias".into(),
            Self::Setting => "#loc+type+setting".into(),
        }
    }

    fn family(self) -> u8 {
        match self {
            Self::Location(_) => 100,
            Self::Period(_) => 101,
            Self::Origin(_) => 102,
            other => other.order(),
        }
    }

    /// A stable order, used to key cells the same way in every table.
    pub(crate) fn order(self) -> u8 {
        match self {
            Self::Sex => 0,
            Self::AgeGroup => 1,
            Self::Separation => 2,
            Self::Nationality => 3,
            Self::Location(l) => 10 + l,
            Self::Period(Granularity::Year) => 20,
            Self::Period(Granularity::Quarter) => 21,
            Self::Period(Granularity::Month) => 22,
            Self::Risk => 30,
            Self::Reason => 31,
            Self::Origin(l) => 40 + l,
            Self::Bias => 50,
            Self::Setting => 51,
        }
    }

    /// Whether `self` is a coarser level of the same hierarchy as `fine` (adm1 of adm2, the
    /// quarter of a month).
    pub(crate) fn coarser_than(self, fine: Dimension) -> bool {
        match (self, fine) {
            (Self::Location(a), Self::Location(b)) | (Self::Origin(a), Self::Origin(b)) => a < b,
            (Self::Period(a), Self::Period(b)) => a > b,
            _ => false,
        }
    }

    pub(crate) fn applies_to(self, ind: &IndicatorDef) -> bool {
        let incident = matches!(ind.unit, Unit::IncidentChild | Unit::IncidentChildBias);
        match self {
            Self::Sex
            | Self::AgeGroup
            | Self::Separation
            | Self::Nationality
            | Self::Location(_)
            | Self::Period(_) => true,
            Self::Risk | Self::Origin(_) => !incident,
            Self::Reason => ind.breakdown == Some(Breakdown::Reason),
            Self::Bias => ind.breakdown == Some(Breakdown::Bias),
            Self::Setting => incident,
        }
    }
}

/// Most dimensions in one table (the breakdown of the indicator included).
pub const MAX_DIMENSIONS: usize = 4;

/// Checks a table's dimensions for an indicator and adds its breakdown; the result is in the
/// stable order.
pub(crate) fn table_dims(
    ind: &'static IndicatorDef,
    asked: &[Dimension],
) -> Result<Vec<Dimension>, ReportError> {
    let mut dims: Vec<Dimension> = Vec::new();
    for d in asked {
        if !d.applies_to(ind) {
            return Err(ReportError::DimensionNotApplicable {
                dimension: d.name(),
                indicator: ind.code,
            });
        }
        if dims.iter().any(|x| x.family() == d.family()) {
            return Err(ReportError::RepeatedDimension(d.name()));
        }
        dims.push(*d);
    }
    let implied = match ind.breakdown {
        Some(Breakdown::Risk) => Some(Dimension::Risk),
        Some(Breakdown::Reason) => Some(Dimension::Reason),
        Some(Breakdown::Origin) => Some(Dimension::Origin(0)),
        Some(Breakdown::Bias) => Some(Dimension::Bias),
        Some(Breakdown::Setting) => Some(Dimension::Setting),
        None => None,
    };
    if let Some(b) = implied
        && !dims.iter().any(|x| x.family() == b.family())
    {
        dims.push(b);
    }
    if dims.len() > MAX_DIMENSIONS {
        return Err(ReportError::TooManyDimensions {
            max: MAX_DIMENSIONS,
            got: dims.len(),
        });
    }
    dims.sort_by_key(|d| d.order());
    Ok(dims)
}

/// Age groups of the issue, plus adults (care leavers) and unknown.
pub const AGE_GROUPS: [&str; 5] = ["0-4", "5-11", "12-17", "18+", "unknown"];

pub(crate) fn age_group(age: Option<i32>) -> u32 {
    match age {
        Some(a) if a < 0 => 4,
        Some(0..=4) => 0,
        Some(5..=11) => 1,
        Some(12..=17) => 2,
        Some(_) => 3,
        None => 4,
    }
}

fn first_of(d: Date, g: Granularity) -> Date {
    let month = match g {
        Granularity::Month => d.month(),
        Granularity::Quarter => {
            Month::try_from(((d.month() as u8 - 1) / 3) * 3 + 1).unwrap_or(Month::January)
        }
        Granularity::Year => Month::January,
    };
    Date::from_calendar_date(d.year(), month, 1).unwrap_or(d)
}

fn next_start(start: Date, g: Granularity) -> Date {
    let months = match g {
        Granularity::Month => 1,
        Granularity::Quarter => 3,
        Granularity::Year => 12,
    };
    let m0 = start.month() as i32 - 1 + months;
    let y = start.year() + m0.div_euclid(12);
    let m =
        Month::try_from(u8::try_from(m0.rem_euclid(12) + 1).unwrap_or(1)).unwrap_or(Month::January);
    Date::from_calendar_date(y, m, 1).unwrap_or(Date::MAX)
}

/// The periods of `[from, to]`, the first and last clipped to the window.
pub fn periods(from: Date, to: Date, g: Granularity) -> Vec<(Date, Date, String)> {
    let mut out = Vec::new();
    let mut start = first_of(from, g);
    while start <= to {
        let next = next_start(start, g);
        let end = (next - Duration::days(1)).min(to);
        let label = match g {
            Granularity::Month => format!("{}-{:02}", start.year(), start.month() as u8),
            Granularity::Quarter => {
                format!("{}-Q{}", start.year(), (start.month() as u8 - 1) / 3 + 1)
            }
            Granularity::Year => format!("{}", start.year()),
        };
        out.push((start.max(from), end, label));
        start = next;
    }
    out
}

/// How long the P-code prefix of each admin level is (ADM0 is the ISO country, two letters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcodeLevels(pub [usize; 5]);

impl Default for PcodeLevels {
    /// OCHA's common shape: `LY`, `LY01`, `LY0102`, …
    fn default() -> Self {
        Self([2, 4, 6, 8, 10])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dimensions_parse_and_bad_ones_are_named() {
        assert_eq!(
            Dimension::parse_list("sex,age,adm2,quarter,origin_adm1").unwrap(),
            vec![
                Dimension::Sex,
                Dimension::AgeGroup,
                Dimension::Location(2),
                Dimension::Period(Granularity::Quarter),
                Dimension::Origin(1)
            ]
        );
        let e = Dimension::parse("colour").unwrap_err().to_string();
        assert!(e.starts_with("unknown dimension 'colour'"), "{e}");
        assert!(Dimension::parse("adm9").is_err());
    }

    #[test]
    fn periods_are_clipped_to_the_window() {
        let p = periods(
            date!(2026 - 02 - 15),
            date!(2026 - 07 - 03),
            Granularity::Quarter,
        );
        assert_eq!(
            p,
            vec![
                (
                    date!(2026 - 02 - 15),
                    date!(2026 - 03 - 31),
                    "2026-Q1".to_string()
                ),
                (
                    date!(2026 - 04 - 01),
                    date!(2026 - 06 - 30),
                    "2026-Q2".to_string()
                ),
                (
                    date!(2026 - 07 - 01),
                    date!(2026 - 07 - 03),
                    "2026-Q3".to_string()
                ),
            ]
        );
        assert_eq!(
            periods(
                date!(2025 - 12 - 01),
                date!(2026 - 01 - 31),
                Granularity::Month
            )
            .len(),
            2
        );
    }

    #[test]
    fn age_groups_follow_the_issue() {
        assert_eq!(AGE_GROUPS[age_group(Some(4)) as usize], "0-4");
        assert_eq!(AGE_GROUPS[age_group(Some(5)) as usize], "5-11");
        assert_eq!(AGE_GROUPS[age_group(Some(17)) as usize], "12-17");
        assert_eq!(AGE_GROUPS[age_group(None) as usize], "unknown");
    }
}
