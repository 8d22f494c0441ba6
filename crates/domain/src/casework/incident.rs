//! Incidents (commitments 1 and 6): violence, exploitation, trafficking and discrimination or
//! xenophobia, each linked to one or more cases (siblings abused together, a group trafficked
//! together).
//!
//! The incident's *type* (what happened: a denial of service, a physical attack) is kept apart
//! from the *bias motivation* (why: nationality, migration status), so a report can count
//! xenophobic denials of schooling without mixing the two. Trafficking follows the fields of
//! IOM's Human Trafficking Case Data Standard (HTCDS): the stages the child went through
//! (recruitment, transit, exploitation), how they were recruited, the means of control, the forms
//! of exploitation and the countries. Every vocabulary is a code list in `data/`.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::{Location, location, text};
use crate::dates::PartialDate;
use crate::ids::CaseId;
use crate::problems::Problems;

use super::check::{
    MAX_TEXT_CHARS, country, limit, listed, listed_all, partial, partial_not_before, required_code,
    required_id,
};
use super::codes::{
    BIAS_MOTIVATIONS, INCIDENT_SETTINGS, INCIDENT_TYPES, PERPETRATOR_CATEGORIES, SERVICE_TYPES,
    TRAFFICKING_EXPLOITATION, TRAFFICKING_MEANS_OF_CONTROL, TRAFFICKING_RECRUITMENT,
};
use super::wire_enum;

wire_enum!(IncidentCategory {
    Violence = "violence",
    Exploitation = "exploitation",
    Trafficking = "trafficking",
    Discrimination = "discrimination",
});

wire_enum!(
    /// The stages of trafficking (HTCDS).
    TraffickingStage {
        Recruitment = "recruitment",
        Transit = "transit",
        Exploitation = "exploitation",
    }
);

/// An incident as the API takes it and the store keeps it (normalised by [`validate`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentDoc {
    /// violence | exploitation | trafficking | discrimination
    #[serde(default)]
    pub category: String,
    /// Codes from the `incident_types` list of this category, e.g. `discrimination.denial_of_service`.
    #[serde(default)]
    pub types: Vec<String>,
    /// The cases of the children affected; at least one.
    #[serde(default)]
    pub case_ids: Vec<String>,
    /// YYYY-MM-DD, or YYYY-MM / YYYY when only part is known; not in the future.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub place: Option<Location>,
    /// A code from the `incident_settings` list: school, health_facility, police, border,
    /// community, online, …
    #[serde(default)]
    pub setting: Option<String>,
    /// Codes from the `perpetrator_categories` list; categories, never names.
    #[serde(default)]
    pub perpetrators: Vec<String>,
    /// For discrimination only, and required there (`unknown` when not known): codes from the
    /// `bias_motivations` list.
    #[serde(default)]
    pub bias_motivations: Vec<String>,
    /// For trafficking only, and required there.
    #[serde(default)]
    pub trafficking: Option<TraffickingDoc>,
    /// Service types the child was referred to because of the incident.
    #[serde(default)]
    pub referred_to: Vec<String>,
    #[serde(default)]
    pub reported_to_authorities: Option<bool>,
    /// What happened. Sensitive: the store encrypts it.
    #[serde(default)]
    pub description: Option<String>,
}

/// Trafficking details, after IOM's Human Trafficking Case Data Standard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TraffickingDoc {
    /// recruitment | transit | exploitation: the stages the child went through; at least one.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Codes from `trafficking_recruitment`.
    #[serde(default)]
    pub recruitment: Vec<String>,
    /// Codes from `trafficking_means_of_control`.
    #[serde(default)]
    pub means_of_control: Vec<String>,
    /// Codes from `trafficking_exploitation`; only with the exploitation stage.
    #[serde(default)]
    pub exploitation: Vec<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country_of_recruitment: Option<String>,
    #[serde(default)]
    pub transit_countries: Vec<String>,
    #[serde(default)]
    pub country_of_exploitation: Option<String>,
    /// Partial dates, in order: recruited, exploitation began, exploitation ended.
    #[serde(default)]
    pub recruited_on: Option<String>,
    #[serde(default)]
    pub exploitation_began: Option<String>,
    #[serde(default)]
    pub exploitation_ended: Option<String>,
}

/// An incident that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidIncident {
    pub doc: IncidentDoc,
    pub category: IncidentCategory,
    pub case_ids: Vec<CaseId>,
    pub date: PartialDate,
}

/// Checks an incident, reporting every problem with its path (`trafficking.means_of_control.2`).
pub fn validate(doc: IncidentDoc, today: Date) -> Result<ValidIncident, Problems> {
    let mut p = Problems::new();
    let category = required_code(&mut p, "category", &doc.category, IncidentCategory::parse);

    if doc.types.is_empty() {
        p.push("types", "at least one incident type is required");
    }
    let types = listed_all(&mut p, "types", &doc.types, INCIDENT_TYPES);
    if let Some(c) = category {
        for (i, t) in doc.types.iter().enumerate() {
            let t = t.trim().to_ascii_lowercase();
            if types.contains(&t) && t.split('.').next() != Some(c.as_str()) {
                p.push(
                    format!("types.{i}"),
                    format!("'{t}' is not a type of {c} incident"),
                );
            }
        }
    }

    if doc.case_ids.is_empty() {
        p.push("case_ids", "an incident concerns at least one case");
    }
    let mut case_ids: Vec<CaseId> = Vec::new();
    for (i, raw) in limit(&mut p, "case_ids", &doc.case_ids).iter().enumerate() {
        if let Some(id) = required_id::<CaseId>(&mut p, &format!("case_ids.{i}"), raw, "a case id")
            && !case_ids.contains(&id)
        {
            case_ids.push(id);
        }
    }

    let date = if doc.date.trim().is_empty() {
        p.push("date", "is required");
        None
    } else {
        partial(&mut p, "date", Some(&doc.date), today)
    };
    let place = doc
        .place
        .as_ref()
        .and_then(|l| location(&mut p, "place", l));
    let setting = listed(&mut p, "setting", doc.setting.as_deref(), INCIDENT_SETTINGS);
    let perpetrators = listed_all(
        &mut p,
        "perpetrators",
        &doc.perpetrators,
        PERPETRATOR_CATEGORIES,
    );

    let discrimination = category == Some(IncidentCategory::Discrimination);
    let bias_motivations = listed_all(
        &mut p,
        "bias_motivations",
        &doc.bias_motivations,
        BIAS_MOTIVATIONS,
    );
    if discrimination && doc.bias_motivations.is_empty() {
        p.push(
            "bias_motivations",
            "a discrimination incident needs its bias motivation (unknown when not known)",
        );
    }
    if category.is_some() && !discrimination && !doc.bias_motivations.is_empty() {
        p.push(
            "bias_motivations",
            "only a discrimination incident has a bias motivation",
        );
    }

    let trafficking = match (&doc.trafficking, category) {
        (Some(t), Some(IncidentCategory::Trafficking)) => Some(trafficking(&mut p, t, today)),
        (None, Some(IncidentCategory::Trafficking)) => {
            p.push(
                "trafficking",
                "a trafficking incident needs its trafficking details",
            );
            None
        }
        (Some(_), Some(_)) => {
            p.push(
                "trafficking",
                "only a trafficking incident has trafficking details",
            );
            None
        }
        _ => None,
    };

    let referred_to = listed_all(&mut p, "referred_to", &doc.referred_to, SERVICE_TYPES);
    let description = text(
        &mut p,
        "description",
        doc.description.as_deref(),
        MAX_TEXT_CHARS,
    );

    match (category, date) {
        (Some(category), Some(date)) if p.is_empty() => Ok(ValidIncident {
            doc: IncidentDoc {
                category: category.as_str().to_string(),
                types,
                case_ids: case_ids.iter().map(ToString::to_string).collect(),
                date: date.to_string(),
                place,
                setting,
                perpetrators,
                bias_motivations,
                trafficking,
                referred_to,
                reported_to_authorities: doc.reported_to_authorities,
                description,
            },
            category,
            case_ids,
            date,
        }),
        _ => Err(p),
    }
}

fn trafficking(p: &mut Problems, t: &TraffickingDoc, today: Date) -> TraffickingDoc {
    if t.stages.is_empty() {
        p.push("trafficking.stages", "at least one stage is required");
    }
    let mut stages: Vec<TraffickingStage> = Vec::new();
    for (i, raw) in limit(p, "trafficking.stages", &t.stages).iter().enumerate() {
        if let Some(s) = required_code(
            p,
            &format!("trafficking.stages.{i}"),
            raw,
            TraffickingStage::parse,
        ) && !stages.contains(&s)
        {
            stages.push(s);
        }
    }
    stages.sort();
    let exploitation = listed_all(
        p,
        "trafficking.exploitation",
        &t.exploitation,
        TRAFFICKING_EXPLOITATION,
    );
    if !exploitation.is_empty()
        && !stages.is_empty()
        && !stages.contains(&TraffickingStage::Exploitation)
    {
        p.push(
            "trafficking.exploitation",
            "forms of exploitation need the exploitation stage",
        );
    }
    let mut transit_countries = Vec::new();
    for (i, c) in limit(p, "trafficking.transit_countries", &t.transit_countries)
        .iter()
        .enumerate()
    {
        if let Some(c) = country(p, &format!("trafficking.transit_countries.{i}"), Some(c)) {
            transit_countries.push(c);
        }
    }
    let recruited = partial(
        p,
        "trafficking.recruited_on",
        t.recruited_on.as_deref(),
        today,
    );
    let began = partial(
        p,
        "trafficking.exploitation_began",
        t.exploitation_began.as_deref(),
        today,
    );
    let ended = partial(
        p,
        "trafficking.exploitation_ended",
        t.exploitation_ended.as_deref(),
        today,
    );
    partial_not_before(
        p,
        "trafficking.exploitation_began",
        recruited,
        began,
        "recruited_on",
    );
    partial_not_before(
        p,
        "trafficking.exploitation_ended",
        began.or(recruited),
        ended,
        "exploitation_began",
    );
    TraffickingDoc {
        stages: stages.iter().map(|s| s.as_str().to_string()).collect(),
        recruitment: listed_all(
            p,
            "trafficking.recruitment",
            &t.recruitment,
            TRAFFICKING_RECRUITMENT,
        ),
        means_of_control: listed_all(
            p,
            "trafficking.means_of_control",
            &t.means_of_control,
            TRAFFICKING_MEANS_OF_CONTROL,
        ),
        exploitation,
        country_of_recruitment: country(
            p,
            "trafficking.country_of_recruitment",
            t.country_of_recruitment.as_deref(),
        ),
        transit_countries,
        country_of_exploitation: country(
            p,
            "trafficking.country_of_exploitation",
            t.country_of_exploitation.as_deref(),
        ),
        recruited_on: recruited.map(|d| d.to_string()),
        exploitation_began: began.map(|d| d.to_string()),
        exploitation_ended: ended.map(|d| d.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::from_json;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);
    const CASE: &str = "0190a1b2-0000-7000-8000-000000000001";

    fn paths(p: &Problems) -> Vec<&str> {
        p.errors().iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn a_xenophobic_denial_of_schooling_keeps_type_and_motive_apart() {
        let doc: IncidentDoc = from_json(json!({
            "category": "discrimination",
            "types": ["discrimination.denial_of_service", "Discrimination.Verbal_Abuse"],
            "bias_motivations": ["nationality", "migration_status", "nationality"],
            "setting": "school",
            "perpetrators": ["teacher"],
            "case_ids": [CASE, CASE],
            "date": "2026-09",
            "place": {"pcode": "tr34", "name": "Istanbul"},
            "referred_to": ["legal_aid"],
        }))
        .unwrap();
        let v = validate(doc, TODAY).unwrap();
        assert_eq!(v.category, IncidentCategory::Discrimination);
        assert_eq!(
            v.doc.types,
            [
                "discrimination.denial_of_service",
                "discrimination.verbal_abuse"
            ]
        );
        assert_eq!(v.doc.bias_motivations, ["nationality", "migration_status"]);
        assert_eq!(v.case_ids.len(), 1);
        assert_eq!(v.doc.place.unwrap().pcode.as_deref(), Some("TR34"));
    }

    #[test]
    fn trafficking_follows_htcds() {
        let doc: IncidentDoc = from_json(json!({
            "category": "trafficking",
            "types": ["trafficking.trafficking"],
            "case_ids": [CASE],
            "date": "2025",
            "perpetrators": ["trafficker"],
            "trafficking": {
                "stages": ["exploitation", "recruitment", "transit"],
                "recruitment": ["job_offer"],
                "means_of_control": ["debt_bondage", "documents_withheld"],
                "exploitation": ["forced_labour"],
                "country_of_recruitment": "er",
                "transit_countries": ["sd", "ly"],
                "country_of_exploitation": "LY",
                "recruited_on": "2025-02",
                "exploitation_began": "2025-04",
                "exploitation_ended": "2025-11-03"
            }
        }))
        .unwrap();
        let v = validate(doc, TODAY).unwrap();
        let t = v.doc.trafficking.unwrap();
        assert_eq!(t.stages, ["recruitment", "transit", "exploitation"]);
        assert_eq!(t.transit_countries, ["SD", "LY"]);
    }

    #[test]
    fn every_problem_is_named() {
        let doc: IncidentDoc = from_json(json!({
            "category": "violence",
            "types": ["discrimination.harassment", "violence.telepathic"],
            "case_ids": ["not-a-case"],
            "date": "2027-01",
            "setting": "moon",
            "perpetrators": ["neighbour's dog"],
            "bias_motivations": ["religion"],
            "trafficking": {"stages": ["recruitment"]},
            "referred_to": ["astrology"],
        }))
        .unwrap();
        assert_eq!(
            paths(&validate(doc, TODAY).unwrap_err()),
            [
                "types.1",
                "types.0",
                "case_ids.0",
                "date",
                "setting",
                "perpetrators.0",
                "bias_motivations",
                "trafficking",
                "referred_to.0",
            ]
        );
        let doc: IncidentDoc = from_json(json!({
            "category": "trafficking", "types": ["trafficking.trafficking"], "case_ids": [CASE], "date": "2025",
            "trafficking": {"stages": ["transit", "smuggling"], "exploitation": ["forced_begging"],
                            "recruited_on": "2025-06", "exploitation_began": "2025-05-31", "exploitation_ended": "2025-03"}
        }))
        .unwrap();
        assert_eq!(
            paths(&validate(doc, TODAY).unwrap_err()),
            [
                "trafficking.stages.1",
                "trafficking.exploitation",
                "trafficking.exploitation_began",
                "trafficking.exploitation_ended",
            ]
        );
        let doc = IncidentDoc {
            category: "discrimination".into(),
            types: vec!["discrimination.exclusion".into()],
            case_ids: vec![CASE.into()],
            date: "2026".into(),
            ..IncidentDoc::default()
        };
        assert_eq!(
            paths(&validate(doc, TODAY).unwrap_err()),
            ["bias_motivations"]
        );
        assert_eq!(
            paths(&validate(IncidentDoc::default(), TODAY).unwrap_err()),
            ["category", "types", "case_ids", "date"]
        );
    }
}
