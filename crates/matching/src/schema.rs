//! What a record holds: the fields, their kinds, and the values a caller hands in.

use serde::{Deserialize, Serialize};

/// What a field means, which decides how it is normalised and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    GivenName,
    FamilyName,
    /// Given name(s) then family name(s) in one value; the order may be swapped.
    FullName,
    /// Nicknames and other names: alternatives for the given name.
    OtherName,
    /// A parent's name; each parent field is its own comparison.
    ParentName,
    Sex,
    /// A date. When the schema also has an `age` field, the first date field is the date of birth
    /// and is compared together with the age.
    Date,
    /// An estimated age in years, with the date it was estimated.
    Age,
    Nationality,
    /// A hierarchical place code (P-code): the longer the common prefix, the closer.
    PlaceCode,
    PlaceName,
    /// Codes and numbers: equal, or one typo apart.
    Identifier,
    /// A value from a short list: equal or not.
    Category,
    /// Free text, compared fuzzily.
    Text,
}

impl Kind {
    pub const ALL: &'static [(&'static str, Kind)] = &[
        ("given_name", Kind::GivenName),
        ("family_name", Kind::FamilyName),
        ("full_name", Kind::FullName),
        ("other_name", Kind::OtherName),
        ("parent_name", Kind::ParentName),
        ("sex", Kind::Sex),
        ("date", Kind::Date),
        ("age", Kind::Age),
        ("nationality", Kind::Nationality),
        ("place_code", Kind::PlaceCode),
        ("place_name", Kind::PlaceName),
        ("identifier", Kind::Identifier),
        ("category", Kind::Category),
        ("text", Kind::Text),
    ];

    pub fn parse(name: &str) -> Option<Kind> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|&(_, k)| k)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |&(n, _)| n)
    }
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub kind: Kind,
}

/// The fields every record of a run has, in order; a [`Record`]'s values follow this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub fields: Vec<FieldSpec>,
}

impl Schema {
    pub fn new(fields: impl IntoIterator<Item = (impl Into<String>, Kind)>) -> Self {
        Self {
            fields: fields
                .into_iter()
                .map(|(name, kind)| FieldSpec {
                    name: name.into(),
                    kind,
                })
                .collect(),
        }
    }

    pub(crate) fn has(&self, kind: Kind) -> bool {
        self.fields.iter().any(|f| f.kind == kind)
    }

    /// The date field that holds the date of birth (see [`Kind::Date`]).
    pub(crate) fn birth_field(&self) -> Option<usize> {
        if self.has(Kind::Age) {
            self.fields.iter().position(|f| f.kind == Kind::Date)
        } else {
            None
        }
    }
}

/// A calendar date known to the year, the month or the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ymd {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl Ymd {
    pub fn day(year: i32, month: u8, day: u8) -> Option<Self> {
        valid(year, month, day).then_some(Self {
            year,
            month: Some(month),
            day: Some(day),
        })
    }

    /// The first and last day (as day numbers) the date can stand for.
    pub(crate) fn span(&self) -> (i32, i32) {
        match (self.month, self.day) {
            (Some(m), Some(d)) => {
                let n = day_number(self.year, m, d);
                (n, n)
            }
            (Some(m), None) => (
                day_number(self.year, m, 1),
                day_number(self.year, m, days_in_month(self.year, m)),
            ),
            _ => (day_number(self.year, 1, 1), day_number(self.year, 12, 31)),
        }
    }
}

/// A value as the caller has it. `Missing` for empty cells and for what could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Missing,
    Text(String),
    Date(Ymd),
    /// An estimated age in years and the date it was estimated.
    Age {
        years: f32,
        on: Ymd,
    },
}

/// A record to match: an id the caller chooses (a UUID, a row number) and one value per field
/// of the [`Schema`], in the schema's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub values: Vec<Value>,
}

pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub fn valid(y: i32, m: u8, d: u8) -> bool {
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m) && (1000..=9999).contains(&y)
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
pub(crate) fn day_number(y: i32, m: u8, d: u8) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i32::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i32::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_count_from_1970() {
        assert_eq!(day_number(1970, 1, 1), 0);
        assert_eq!(day_number(2000, 3, 1) - day_number(2000, 2, 28), 2);
        assert_eq!(day_number(2024, 1, 1) - day_number(2023, 1, 1), 365);
    }

    #[test]
    fn a_month_spans_its_days() {
        let (lo, hi) = Ymd {
            year: 2024,
            month: Some(2),
            day: None,
        }
        .span();
        assert_eq!(hi - lo, 28);
        assert!(Ymd::day(2023, 2, 29).is_none());
    }
}
