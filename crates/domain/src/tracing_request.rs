//! Tracing requests: a relative looking for a child.
//!
//! [`TracingRequestDoc`] is the wire and storage form, like [`CaseDoc`](crate::case::CaseDoc):
//! coded fields are plain strings so that [`validate`] reports every problem with its field path.
//! The sought child's identity is checked by the same rules as a case's child.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::{
    EstimatedAge, Identity, Location, MAX_CONTACT_CHARS, Relation, at, code, code_enum, identity,
    list_limit, location, name, names, optional_date, partial_date, text,
};
use crate::dates::{PartialDate, format_date};
use crate::problems::Problems;

code_enum!(
    /// Where a tracing request stands: open while the child is sought.
    RequestStatus {
        Open = "open",
        Closed = "closed",
    }
);

code_enum!(
    /// How the child and the family came apart.
    SeparationCircumstance {
        Conflict = "conflict",
        Flight = "flight",
        Disaster = "disaster",
        Detention = "detention",
        Deportation = "deportation",
        Trafficking = "trafficking",
        LostInTransit = "lost_in_transit",
        Other = "other",
    }
);

/// A tracing request as the API and the store carry it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TracingRequestDoc {
    /// Who is looking for the child.
    #[serde(default)]
    pub inquirer: Inquirer,
    /// The child sought, as the inquirer describes them.
    #[serde(default)]
    pub child: SoughtChild,
    #[serde(default)]
    pub separation: SeparationEvent,
    /// YYYY-MM-DD; today when absent.
    #[serde(default)]
    pub date_of_inquiry: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Inquirer {
    /// As written, in any script.
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub other_names: Vec<String>,
    /// What the inquirer is to the child: mother | father | sibling | grandparent | aunt_uncle |
    /// cousin | step_parent | spouse | child | other_relative | other
    #[serde(default)]
    pub relation: String,
    /// Phone, address or other way to reach them.
    #[serde(default)]
    pub contact: Option<String>,
    /// Where the inquirer is now.
    #[serde(default)]
    pub location: Option<Location>,
}

/// The child sought. At least one name is required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SoughtChild {
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    /// Other names and nicknames.
    #[serde(default)]
    pub other_names: Vec<String>,
    /// female | male | other | unknown
    #[serde(default)]
    pub sex: Option<String>,
    /// YYYY-MM-DD, or YYYY-MM / YYYY. Give this or `estimated_age`.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    /// An age; `estimated_on` defaults to the date of inquiry.
    #[serde(default)]
    pub estimated_age: Option<EstimatedAge>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub nationality: Option<String>,
    /// ISO 639 codes.
    #[serde(default)]
    pub languages: Vec<String>,
}

/// When, where and how the child was separated from the family.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeparationEvent {
    /// YYYY-MM-DD, or YYYY-MM / YYYY when only part is known.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub place: Option<Location>,
    /// conflict | flight | disaster | detention | deportation | trafficking | lost_in_transit |
    /// other
    #[serde(default)]
    pub circumstances: Vec<String>,
}

/// A tracing request that passed validation, normalised, with the values the store indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTracingRequest {
    pub doc: TracingRequestDoc,
    /// The P-code of the place of separation, when given.
    pub separation_pcode: Option<String>,
    pub date_of_inquiry: Date,
}

/// Checks a whole tracing request, reporting every problem with its field path (`child.sex`,
/// `separation.circumstances.1`). `today` bounds dates.
pub fn validate(doc: TracingRequestDoc, today: Date) -> Result<ValidTracingRequest, Problems> {
    let mut p = Problems::new();
    let date_of_inquiry = optional_date(
        &mut p,
        "date_of_inquiry",
        doc.date_of_inquiry.as_deref(),
        today,
    )
    .unwrap_or(today);

    let inquirer = inquirer(&mut p, &doc.inquirer);

    let c = doc.child;
    let person = identity(
        &mut p,
        "child",
        Identity {
            given_name: c.given_name,
            family_name: c.family_name,
            other_names: c.other_names,
            sex: c.sex,
            date_of_birth: c.date_of_birth,
            estimated_age: c.estimated_age,
            nationality: c.nationality,
            languages: c.languages,
        },
        today,
        date_of_inquiry,
    );
    let child = SoughtChild {
        given_name: person.given_name,
        family_name: person.family_name,
        other_names: person.other_names,
        sex: person.sex,
        date_of_birth: person.date_of_birth,
        estimated_age: person.estimated_age,
        nationality: person.nationality,
        languages: person.languages,
    };

    let s = &doc.separation;
    let date = partial_date(&mut p, "separation.date", s.date.as_deref(), today);
    if let Some(d) = date.as_deref().and_then(|d| PartialDate::parse(d).ok())
        && d.earliest() > date_of_inquiry
    {
        p.push("separation.date", "is after date_of_inquiry");
    }
    let place = s
        .place
        .as_ref()
        .and_then(|l| location(&mut p, "separation.place", l));
    let mut circumstances: Vec<String> = Vec::new();
    for (i, raw) in list_limit(&mut p, "separation.circumstances", &s.circumstances)
        .iter()
        .enumerate()
    {
        let path = format!("separation.circumstances.{i}");
        if raw.trim().is_empty() {
            p.push(path, "is required");
        } else if let Some(c) = code(&mut p, &path, Some(raw), SeparationCircumstance::parse) {
            let c = c.as_str().to_string();
            if !circumstances.contains(&c) {
                circumstances.push(c);
            }
        }
    }
    let separation_pcode = place.as_ref().and_then(|l| l.pcode.clone());

    p.into_result(ValidTracingRequest {
        doc: TracingRequestDoc {
            inquirer,
            child,
            separation: SeparationEvent {
                date,
                place,
                circumstances,
            },
            date_of_inquiry: Some(format_date(date_of_inquiry)),
        },
        separation_pcode,
        date_of_inquiry,
    })
}

fn inquirer(p: &mut Problems, i: &Inquirer) -> Inquirer {
    let out = Inquirer {
        given_name: name(p, "inquirer.given_name", i.given_name.as_deref()),
        family_name: name(p, "inquirer.family_name", i.family_name.as_deref()),
        other_names: names(p, "inquirer.other_names", &i.other_names),
        relation: code(p, "inquirer.relation", Some(&i.relation), Relation::parse)
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        contact: text(
            p,
            "inquirer.contact",
            i.contact.as_deref(),
            MAX_CONTACT_CHARS,
        ),
        location: i
            .location
            .as_ref()
            .and_then(|l| location(p, &at("inquirer", "location"), l)),
    };
    if out.given_name.is_none() && out.family_name.is_none() && out.other_names.is_empty() {
        p.push(
            "inquirer.given_name",
            "the inquirer's name is required (given, family, or another name)",
        );
    }
    if i.relation.trim().is_empty() {
        p.push("inquirer.relation", "is required");
    }
    out
}

/// Reads a tracing request from JSON, naming the field when the JSON has the wrong shape.
pub fn doc_from_json(value: serde_json::Value) -> Result<TracingRequestDoc, Problems> {
    crate::problems::from_json(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn paths(p: &Problems) -> Vec<&str> {
        p.errors().iter().map(|e| e.path.as_str()).collect()
    }

    fn request() -> TracingRequestDoc {
        doc_from_json(json!({
            "inquirer": {"given_name": "فاطمة", "family_name": "الحسن", "relation": "mother",
                         "contact": "+000 12 345 6789", "location": {"pcode": "jo9101"}},
            "child": {"given_name": "Amal", "sex": "female", "date_of_birth": "2014",
                      "nationality": "sy", "languages": ["AR"]},
            "separation": {"date": "2025-03", "place": {"pcode": "sy", "name": "Aleppo"},
                           "circumstances": ["flight", "conflict", "flight"]},
        }))
        .unwrap()
    }

    #[test]
    fn a_request_is_normalised_and_the_inquiry_dated_today() {
        let v = validate(request(), TODAY).unwrap();
        assert_eq!(v.doc.inquirer.relation, "mother");
        assert_eq!(v.doc.inquirer.given_name.as_deref(), Some("فاطمة"));
        assert_eq!(v.doc.child.nationality.as_deref(), Some("SY"));
        assert_eq!(v.doc.child.languages, ["ar"]);
        assert_eq!(v.doc.separation.circumstances, ["flight", "conflict"]);
        assert_eq!(v.separation_pcode.as_deref(), Some("SY"));
        assert_eq!(v.date_of_inquiry, TODAY);
        assert_eq!(v.doc.date_of_inquiry.as_deref(), Some("2026-11-23"));
    }

    #[test]
    fn an_estimated_age_is_dated_by_the_inquiry() {
        let mut doc = request();
        doc.child.date_of_birth = None;
        doc.child.estimated_age = Some(EstimatedAge {
            years: 9,
            estimated_on: None,
        });
        doc.date_of_inquiry = Some("2026-01-10".into());
        let v = validate(doc, TODAY).unwrap();
        assert_eq!(
            v.doc
                .child
                .estimated_age
                .and_then(|e| e.estimated_on)
                .as_deref(),
            Some("2026-01-10")
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let doc = doc_from_json(json!({
            "inquirer": {"relation": "neighbour", "location": {"pcode": "ZZ1"}},
            "child": {"sex": "girl", "date_of_birth": "2015-02-30", "nationality": "XX",
                      "estimated_age": {"years": 40}},
            "separation": {"date": "2027", "place": {"pcode": "!"},
                           "circumstances": ["flight", "storm"]},
            "date_of_inquiry": "2030-01-01",
        }))
        .unwrap();
        let err = validate(doc, TODAY).unwrap_err();
        assert_eq!(
            paths(&err),
            [
                "date_of_inquiry",
                "inquirer.relation",
                "inquirer.location.pcode",
                "inquirer.given_name",
                "child.given_name",
                "child.sex",
                "child.date_of_birth",
                "child.estimated_age",
                "child.estimated_age.years",
                "child.nationality",
                "separation.date",
                "separation.place.pcode",
                "separation.circumstances.1",
            ]
        );
    }

    #[test]
    fn separation_cannot_follow_the_inquiry_and_relation_is_required() {
        let mut doc = request();
        doc.date_of_inquiry = Some("2025-01-01".into());
        doc.inquirer.relation = " ".into();
        let err = validate(doc, TODAY).unwrap_err();
        assert_eq!(paths(&err), ["inquirer.relation", "separation.date"]);
    }

    #[test]
    fn unknown_fields_are_named() {
        let e = doc_from_json(json!({"child": {"given_name": "A", "age": 3}})).unwrap_err();
        assert_eq!(e.errors()[0].path, "child.age");
    }
}
