use time::Date;

/// Why a report could not be made. Each message names the value at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("unknown area '{0}': use 1 to 6")]
    UnknownArea(String),
    #[error("unknown indicator '{0}'")]
    UnknownIndicator(String),
    #[error(
        "unknown dimension '{0}': use sex, age, separation, nationality, adm0..adm4, month, quarter, year, risk, reason, origin, origin_adm1..origin_adm4, bias, setting"
    )]
    UnknownDimension(String),
    #[error("dimension '{dimension}' does not apply to indicator '{indicator}'")]
    DimensionNotApplicable {
        dimension: String,
        indicator: &'static str,
    },
    #[error("dimension '{0}' is asked for twice")]
    RepeatedDimension(String),
    #[error("at most {max} dimensions may be combined, not {got}")]
    TooManyDimensions { max: usize, got: usize },
    #[error("the period runs backwards: from {from} is after to {to}")]
    InvertedDates { from: Date, to: Date },
    #[error("a pledge's due date {due} is before its baseline date {baseline}")]
    InvertedPledgeDates { baseline: Date, due: Date },
    #[error("suppression threshold {0} is refused: it must be at least 1")]
    BadThreshold(i64),
    #[error("unknown pledge party '{0}': use government or partner")]
    UnknownParty(String),
    #[error("too many combinations in one table ({0} cells): ask for fewer dimensions")]
    TooManyCells(u128),
    #[error("unknown format '{0}': use csv, hxl, xlsx or json")]
    UnknownFormat(String),
    #[error("could not write the report: {0}")]
    Write(String),
}

impl From<std::io::Error> for ReportError {
    fn from(e: std::io::Error) -> Self {
        Self::Write(e.to_string())
    }
}
