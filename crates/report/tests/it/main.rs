//! Integration tests of the reporting engine through its public API.

// Test helpers outside `#[test]` functions unwrap too: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engine;
mod outputs;
mod safety;

use haven_report::table::{Report, Table, Value};

/// The table of `indicator` cut by exactly `dims` (names as `Dimension::name`).
pub fn table<'a>(r: &'a Report, indicator: &str, dims: &[&str]) -> &'a Table {
    r.tables
        .iter()
        .find(|t| t.indicator == indicator && t.dimensions == dims)
        .unwrap_or_else(|| panic!("no table {indicator} by {dims:?}"))
}

/// The value of the row with these labels (`None` = total).
pub fn value<'a>(t: &'a Table, labels: &[Option<&str>]) -> &'a Value {
    &t.rows
        .iter()
        .find(|r| {
            r.labels
                .iter()
                .map(|l| l.as_deref())
                .eq(labels.iter().copied())
        })
        .unwrap_or_else(|| panic!("no row {labels:?} in {}", t.indicator))
        .value
}

pub fn count(v: &Value) -> Option<u64> {
    match v {
        Value::Count { count } => *count,
        other => panic!("not a count: {other:?}"),
    }
}
