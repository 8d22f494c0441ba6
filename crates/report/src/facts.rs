//! The plain per-case and per-incident facts the engine counts. The store builds them (one
//! [`CaseFacts`] per case, one [`IncidentFacts`] per incident) and interns every open-ended code
//! (nationality, P-codes, drivers, services, incident codes) through [`Facts::intern`], so a row
//! holds small copyable values and 1M rows scan quickly. No names, nothing sensitive: only what
//! an aggregate needs.

use std::collections::HashMap;

use haven_domain::case::{RiskLevel, SeparationStatus, Sex};
use haven_domain::casework::identity::BirthRegistrationStatus;
use haven_domain::casework::incident::IncidentCategory;
use haven_domain::casework::placement::Arrangement;
use haven_domain::casework::referral::{EnrolmentStatus, ReferralStatus};
use haven_domain::dates::PartialDate;
use time::{Date, Duration, OffsetDateTime};

/// An interned code (index into [`Facts`]'s vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// The days a child may have been born: a day, a month, a year, or the span an estimated age
/// allows. Age groups use the middle day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Born {
    pub earliest: Date,
    pub latest: Date,
}

impl Born {
    pub fn exact(d: Date) -> Self {
        Self {
            earliest: d,
            latest: d,
        }
    }

    /// From a (partial) date of birth.
    pub fn from_partial(p: PartialDate) -> Self {
        let earliest = p.earliest();
        let latest = match p {
            PartialDate::Day(d) => d,
            PartialDate::Month(y, m) => {
                Date::from_calendar_date(y, m, m.length(y)).unwrap_or(earliest)
            }
            PartialDate::Year(y) => {
                Date::from_calendar_date(y, time::Month::December, 31).unwrap_or(earliest)
            }
        };
        Self { earliest, latest }
    }

    /// From an age in whole years estimated on a day: born at most `years + 1` years before.
    pub fn from_estimated_age(years: u32, estimated_on: Date) -> Self {
        let y = i32::try_from(years).unwrap_or(0);
        let latest = shift_years(estimated_on, -y);
        let earliest = shift_years(estimated_on, -y - 1) + Duration::days(1);
        Self { earliest, latest }
    }

    /// The middle of the span, the day ages are counted from.
    pub fn middle(&self) -> Date {
        self.earliest + (self.latest - self.earliest) / 2
    }

    /// Age in whole years on `on`, from the middle of the span.
    pub fn age_on(&self, on: Date) -> i32 {
        haven_domain::dates::age_on(self.middle(), on)
    }
}

fn shift_years(d: Date, by: i32) -> Date {
    let y = d.year() + by;
    Date::from_calendar_date(y, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(y, d.month(), 28))
        .unwrap_or(d)
}

/// One placement (care arrangement); `end` is the last day, absent while current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacementFact {
    pub kind: Arrangement,
    pub start: Date,
    pub end: Option<Date>,
}

/// One service or referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceFact {
    /// A `service_types` code, interned.
    pub service: Sym,
    pub status: ReferralStatus,
    pub requested_on: Date,
}

/// One tracing request for the child; `closed` when it was closed or the child reunified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TracingFact {
    pub opened: Date,
    pub closed: Option<Date>,
}

/// What the reports need to know about one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub sex: Option<Sex>,
    pub born: Option<Born>,
    pub separation: Option<SeparationStatus>,
    /// ISO 3166-1 alpha-2, interned.
    pub nationality: Option<Sym>,
    /// Where the child is (P-code), interned.
    pub pcode: Option<Sym>,
    pub registration_date: Date,
    /// When the case was registered and when the assessment was completed, for response times;
    /// without `registered_at`, midnight UTC of `registration_date` is used.
    pub registered_at: Option<OffsetDateTime>,
    pub assessed_at: Option<OffsetDateTime>,
    pub closed_on: Option<Date>,
    pub risk: Option<RiskLevel>,
    pub placements: Vec<PlacementFact>,
    pub services: Vec<ServiceFact>,
    pub birth_registration: Option<BirthRegistrationStatus>,
    pub has_identity_documents: bool,
    /// The latest known schooling status.
    pub enrolment: Option<EnrolmentStatus>,
    /// `drivers` codes, interned.
    pub reasons_for_leaving: Vec<Sym>,
    pub origin_pcode: Option<Sym>,
    pub reunified_on: Option<Date>,
    pub tracing: Vec<TracingFact>,
}

impl CaseFacts {
    /// A case with only its registration date known; the store fills in the rest.
    pub fn new(registration_date: Date) -> Self {
        Self {
            sex: None,
            born: None,
            separation: None,
            nationality: None,
            pcode: None,
            registration_date,
            registered_at: None,
            assessed_at: None,
            closed_on: None,
            risk: None,
            placements: Vec::new(),
            services: Vec::new(),
            birth_registration: None,
            has_identity_documents: false,
            enrolment: None,
            reasons_for_leaving: Vec::new(),
            origin_pcode: None,
            reunified_on: None,
            tracing: Vec::new(),
        }
    }

    /// Open on day `d`: registered by then and not closed before the end of it.
    pub fn open_on(&self, d: Date) -> bool {
        self.registration_date <= d && self.closed_on.is_none_or(|c| c > d)
    }

    /// In the caseload at some time during `[from, to]`.
    pub fn active_in(&self, from: Date, to: Date) -> bool {
        self.registration_date <= to && self.closed_on.is_none_or(|c| c >= from)
    }
}

/// A child an incident is linked to, as far as disaggregation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildFacts {
    pub sex: Option<Sex>,
    pub born: Option<Born>,
    pub separation: Option<SeparationStatus>,
    pub nationality: Option<Sym>,
}

/// What the reports need to know about one incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFacts {
    pub category: IncidentCategory,
    /// `incident_types` codes, interned.
    pub types: Vec<Sym>,
    /// `bias_motivations` codes, interned (discrimination only).
    pub bias_motivations: Vec<Sym>,
    /// An `incident_settings` code, interned.
    pub setting: Option<Sym>,
    /// The earliest day of the (possibly partial) incident date.
    pub date: Date,
    pub pcode: Option<Sym>,
    pub children: Vec<ChildFacts>,
}

/// All facts of one report, with the vocabulary their [`Sym`]s point into.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub cases: Vec<CaseFacts>,
    pub incidents: Vec<IncidentFacts>,
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Facts {
    pub fn new() -> Self {
        Self::default()
    }

    /// The symbol of a code, the same for the same text.
    pub fn intern(&mut self, code: &str) -> Sym {
        if let Some(&i) = self.index.get(code) {
            return Sym(i);
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(code.into());
        self.index.insert(code.into(), i);
        Sym(i)
    }

    /// The symbol of a code already interned.
    pub fn lookup(&self, code: &str) -> Option<Sym> {
        self.index.get(code).map(|&i| Sym(i))
    }

    pub fn name(&self, s: Sym) -> &str {
        self.names.get(s.0 as usize).map_or("", |n| n)
    }

    pub fn vocabulary_len(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn partial_and_estimated_births_give_the_span_and_the_age_group_day() {
        let y = Born::from_partial(PartialDate::Year(2015));
        assert_eq!(
            (y.earliest, y.latest),
            (date!(2015 - 01 - 01), date!(2015 - 12 - 31))
        );
        // Middle of 2015 (2 July): 10 on 2025-07-02, still 9 the day before.
        assert_eq!(y.age_on(date!(2025 - 07 - 02)), 10);
        assert_eq!(y.age_on(date!(2025 - 07 - 01)), 9);
        // "12 years old" on 2026-03-10: born 2013-03-11 ..= 2014-03-10.
        let e = Born::from_estimated_age(12, date!(2026 - 03 - 10));
        assert_eq!(
            (e.earliest, e.latest),
            (date!(2013 - 03 - 11), date!(2014 - 03 - 10))
        );
        assert_eq!(e.age_on(date!(2026 - 03 - 10)), 12);
    }
}
