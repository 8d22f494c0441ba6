//! The child and the protection case about them.
//!
//! [`CaseDoc`] is the wire and storage form: what the API accepts and returns and what the store
//! keeps. Its coded fields are plain strings so that [`validate`] can report *every* problem with
//! its field path, instead of stopping at the first value serde cannot read. [`ValidCase`] is what
//! validation hands to the store: the normalised document plus the typed values the store indexes.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::codelist;
use crate::country::{clip, parse_country};
use crate::dates::{PartialDate, age_on, format_date, parse_date};
use crate::ids::UserId;
use crate::problems::Problems;

/// Longest name, place or provider text accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest contact text accepted, in characters.
pub const MAX_CONTACT_CHARS: usize = 500;
/// Most entries in any list of a case (names, family members, placements, …).
pub const MAX_LIST_LEN: usize = 50;
/// Oldest estimated age accepted: cases follow young people past 18 (care leavers), not adults.
pub const MAX_ESTIMATED_AGE: u32 = 30;

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, String> {
                match raw.trim() {
                    $($s => Ok($name::$variant),)+
                    other => Err(format!(
                        "'{}' is not one of: {}",
                        $crate::country::clip(other),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use code_enum;

code_enum!(Sex {
    Female = "female",
    Male = "male",
    Other = "other",
    Unknown = "unknown",
});

code_enum!(
    /// Inter-agency Guiding Principles on Unaccompanied and Separated Children.
    SeparationStatus {
        Unaccompanied = "unaccompanied",
        Separated = "separated",
        Accompanied = "accompanied",
        Unknown = "unknown",
    }
);

code_enum!(
    /// UNHCR population types, plus migrants and nationals.
    DisplacementStatus {
        Refugee = "refugee",
        AsylumSeeker = "asylum_seeker",
        Idp = "idp",
        Returnee = "returnee",
        Stateless = "stateless",
        OtherOfConcern = "other_of_concern",
        MigrantRegular = "migrant_regular",
        MigrantIrregular = "migrant_irregular",
        National = "national",
    }
);

code_enum!(RiskLevel {
    High = "high",
    Medium = "medium",
    Low = "low",
});

code_enum!(
    /// Where a case stands. Only the case-management workflow moves it.
    CaseStatus {
        Open = "open",
        Closed = "closed",
    }
);

code_enum!(Relation {
    Mother = "mother",
    Father = "father",
    Sibling = "sibling",
    Grandparent = "grandparent",
    AuntUncle = "aunt_uncle",
    Cousin = "cousin",
    StepParent = "step_parent",
    Spouse = "spouse",
    Child = "child",
    OtherRelative = "other_relative",
    Other = "other",
});

code_enum!(
    /// Care arrangements. Immigration detention and police custody are recorded so that they can
    /// be counted and ended, never as an acceptable arrangement.
    CareArrangement {
        Parents = "parents",
        Kinship = "kinship",
        Foster = "foster",
        Kafala = "kafala",
        Residential = "residential",
        SupportedIndependentLiving = "supported_independent_living",
        ChildHeadedHousehold = "child_headed_household",
        UnrelatedAdult = "unrelated_adult",
        ImmigrationDetention = "immigration_detention",
        PoliceCustody = "police_custody",
        Street = "street",
        Other = "other",
    }
);

code_enum!(ServiceType {
    Education = "education",
    Health = "health",
    MentalHealthPsychosocial = "mental_health_psychosocial",
    LegalAid = "legal_aid",
    Documentation = "documentation",
    FamilyTracing = "family_tracing",
    Shelter = "shelter",
    Cash = "cash",
    Food = "food",
    Other = "other",
});

code_enum!(ServiceStatus {
    Needed = "needed",
    Referred = "referred",
    InProgress = "in_progress",
    Completed = "completed",
    Declined = "declined",
});

/// The case as the API and the store carry it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CaseDoc {
    /// As written, in any script.
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    /// Other names and nicknames the child is known by.
    #[serde(default)]
    pub other_names: Vec<String>,
    /// female | male | other | unknown
    #[serde(default)]
    pub sex: Option<String>,
    /// YYYY-MM-DD, or YYYY-MM / YYYY when only part is known. Give this or `estimated_age`.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub estimated_age: Option<EstimatedAge>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub nationality: Option<String>,
    /// ISO 639 codes, e.g. `ar`, `prs`, `ti`.
    #[serde(default)]
    pub languages: Vec<String>,
    /// unaccompanied | separated | accompanied | unknown
    #[serde(default)]
    pub separation_status: Option<String>,
    /// refugee | asylum_seeker | idp | returnee | stateless | other_of_concern | migrant_regular |
    /// migrant_irregular | national
    #[serde(default)]
    pub displacement_status: Option<String>,
    /// high | medium | low
    #[serde(default)]
    pub risk_level: Option<String>,
    /// Codes from the `specific_needs` code list, e.g. `SC-UC`.
    #[serde(default)]
    pub specific_needs: Vec<String>,
    #[serde(default)]
    pub family: Vec<FamilyMember>,
    #[serde(default)]
    pub location: Option<Location>,
    /// YYYY-MM-DD; today when absent.
    #[serde(default)]
    pub registration_date: Option<String>,
    /// The responsible caseworker; the registering user when absent.
    #[serde(default)]
    pub caseworker_id: Option<String>,
    #[serde(default)]
    pub placements: Vec<Placement>,
    #[serde(default)]
    pub services: Vec<Service>,
    /// Birth registration, identity documents held, legal status and its expiry.
    #[serde(default)]
    pub legal_identity: Option<crate::casework::identity::LegalIdentityDoc>,
    /// Why the child left (codes from the `drivers` list) and the places on the way.
    #[serde(default)]
    pub route: Option<crate::casework::route::RouteDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EstimatedAge {
    pub years: u32,
    /// YYYY-MM-DD the age was estimated; the registration date when absent.
    #[serde(default)]
    pub estimated_on: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FamilyMember {
    /// mother | father | sibling | grandparent | aunt_uncle | cousin | step_parent | spouse |
    /// child | other_relative | other
    pub relation: String,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub other_names: Vec<String>,
    /// `null` when not known.
    #[serde(default)]
    pub is_alive: Option<bool>,
    #[serde(default)]
    pub is_caregiver: bool,
    /// Phone, address or other way to reach them.
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub date_of_birth: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Hierarchical place code; starts with the ISO country code (ADM0), e.g. `SY0203`.
    #[serde(default)]
    pub pcode: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// A care arrangement: parents | kinship | foster | kafala | residential |
    /// supported_independent_living | child_headed_household | unrelated_adult |
    /// immigration_detention | police_custody | street | other
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub place: Option<String>,
    /// The place's P-code, e.g. `MX9501`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcode: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    pub start_date: String,
    #[serde(default)]
    pub end_date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// education | health | mental_health_psychosocial | legal_aid | documentation |
    /// family_tracing | shelter | cash | food | other
    #[serde(rename = "type")]
    pub kind: String,
    /// needed | referred | in_progress | completed | declined
    pub status: String,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub referred_on: Option<String>,
}

/// A case document that passed validation, normalised, with the values the store indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCase {
    pub doc: CaseDoc,
    pub risk_level: Option<RiskLevel>,
    pub separation_status: Option<SeparationStatus>,
    pub location_pcode: Option<String>,
    pub registration_date: Date,
    pub caseworker_id: Option<UserId>,
}

/// Checks a whole case document against the rules, reporting every problem with its field path.
/// `today` bounds dates; the result is the normalised document (trimmed text, upper-case codes,
/// defaults filled in).
pub fn validate(doc: CaseDoc, today: Date) -> Result<ValidCase, Problems> {
    let mut p = Problems::new();
    let registration_date = optional_date(
        &mut p,
        "registration_date",
        doc.registration_date.as_deref(),
        today,
    )
    .unwrap_or(today);
    let person = identity(
        &mut p,
        "",
        Identity {
            given_name: doc.given_name,
            family_name: doc.family_name,
            other_names: doc.other_names,
            sex: doc.sex,
            date_of_birth: doc.date_of_birth,
            estimated_age: doc.estimated_age,
            nationality: doc.nationality,
            languages: doc.languages,
        },
        today,
        registration_date,
    );
    let mut out = CaseDoc {
        given_name: person.given_name,
        family_name: person.family_name,
        other_names: person.other_names,
        sex: person.sex,
        date_of_birth: person.date_of_birth,
        estimated_age: person.estimated_age,
        nationality: person.nationality,
        languages: person.languages,
        registration_date: Some(format_date(registration_date)),
        ..CaseDoc::default()
    };

    let separation_status = code(
        &mut p,
        "separation_status",
        doc.separation_status.as_deref(),
        SeparationStatus::parse,
    );
    out.separation_status = separation_status.map(|v| v.as_str().into());
    out.displacement_status = code(
        &mut p,
        "displacement_status",
        doc.displacement_status.as_deref(),
        DisplacementStatus::parse,
    )
    .map(|v| v.as_str().into());
    let risk_level = code(
        &mut p,
        "risk_level",
        doc.risk_level.as_deref(),
        RiskLevel::parse,
    );
    out.risk_level = risk_level.map(|v| v.as_str().into());

    for (i, raw) in list_limit(&mut p, "specific_needs", &doc.specific_needs)
        .iter()
        .enumerate()
    {
        let code = raw.trim().to_ascii_uppercase();
        match codelist::specific_needs() {
            Some(list) if list.contains(&code) => {
                if !out.specific_needs.contains(&code) {
                    out.specific_needs.push(code);
                }
            }
            Some(list) => p.push(
                format!("specific_needs.{i}"),
                format!(
                    "'{}' is not in the specific_needs code list (version {})",
                    clip(raw),
                    list.version
                ),
            ),
            None => p.push(
                format!("specific_needs.{i}"),
                "the code list is unavailable",
            ),
        }
    }

    for (i, m) in list_limit(&mut p, "family", &doc.family).iter().enumerate() {
        out.family
            .push(family_member(&mut p, &format!("family.{i}"), m, today));
    }

    out.location = doc
        .location
        .as_ref()
        .and_then(|l| location(&mut p, "location", l));
    let location_pcode = out.location.as_ref().and_then(|l| l.pcode.clone());

    let caseworker_id = match doc.caseworker_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match raw.parse::<UserId>() {
            Ok(id) => Some(id),
            Err(_) => {
                p.push("caseworker_id", format!("'{}' is not a user id", clip(raw)));
                None
            }
        },
    };
    out.caseworker_id = caseworker_id.map(|id| id.to_string());

    let mut open_placements = 0;
    for (i, pl) in list_limit(&mut p, "placements", &doc.placements)
        .iter()
        .enumerate()
    {
        let pl = placement(&mut p, &format!("placements.{i}"), pl, today);
        if pl.end_date.is_none() {
            open_placements += 1;
        }
        out.placements.push(pl);
    }
    if open_placements > 1 {
        p.push(
            "placements",
            "only one placement can be current (without end_date)",
        );
    }

    for (i, s) in list_limit(&mut p, "services", &doc.services)
        .iter()
        .enumerate()
    {
        out.services
            .push(service(&mut p, &format!("services.{i}"), s, today));
    }

    if let Some(li) = doc.legal_identity {
        match crate::casework::identity::validate(li, today) {
            Ok(valid) => out.legal_identity = Some(valid.doc),
            Err(e) => nest(&mut p, "legal_identity", e),
        }
    }
    if let Some(route) = doc.route {
        match crate::casework::route::validate(route, today) {
            Ok(valid) => out.route = Some(valid),
            Err(e) => nest(&mut p, "route", e),
        }
    }

    p.into_result(ValidCase {
        doc: out,
        risk_level,
        separation_status,
        location_pcode,
        registration_date,
        caseworker_id,
    })
}

/// Adds a part's problems under the part's field (`legal_identity.documents.0.kind`).
fn nest(p: &mut Problems, field: &str, part: Problems) {
    for e in part.into_errors() {
        let path = if e.path.is_empty() {
            field.to_string()
        } else {
            format!("{field}.{}", e.path)
        };
        p.push(path, e.problem);
    }
}

/// The child's age in whole years on `on`, from the date of birth or the estimate.
pub fn age(doc: &CaseDoc, on: Date) -> Option<i32> {
    if let Some(d) = doc
        .date_of_birth
        .as_deref()
        .and_then(|s| PartialDate::parse(s).ok())
    {
        return Some(age_on(d.earliest(), on));
    }
    let est = doc.estimated_age.as_ref()?;
    let when = est
        .estimated_on
        .as_deref()
        .and_then(|s| parse_date(s).ok())?;
    let years = i32::try_from(est.years).ok()?;
    Some(years + age_on(when, on))
}

/// Who a person is: the identity fields a case and a sought child share, as given or normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Identity {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub other_names: Vec<String>,
    pub sex: Option<String>,
    pub date_of_birth: Option<String>,
    pub estimated_age: Option<EstimatedAge>,
    pub nationality: Option<String>,
    pub languages: Vec<String>,
}

/// `prefix.field`, or `field` alone at the top of a document.
pub(crate) fn at(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Checks a person's identity fields under `prefix` (`""` at the top of a document). At least one
/// name is required; an estimated age without its date was estimated on `estimated_on_default`.
pub(crate) fn identity(
    p: &mut Problems,
    prefix: &str,
    raw: Identity,
    today: Date,
    estimated_on_default: Date,
) -> Identity {
    let problems_before = p.errors().len();
    let mut out = Identity {
        given_name: name(p, &at(prefix, "given_name"), raw.given_name.as_deref()),
        family_name: name(p, &at(prefix, "family_name"), raw.family_name.as_deref()),
        other_names: names(p, &at(prefix, "other_names"), &raw.other_names),
        ..Identity::default()
    };
    // A name given but refused (too long) has its own problem; "required" would mislead.
    let names_refused = p.errors().len() > problems_before;
    if out.given_name.is_none()
        && out.family_name.is_none()
        && out.other_names.is_empty()
        && !names_refused
    {
        p.push(
            at(prefix, "given_name"),
            "at least one name is required (given, family, or another name or nickname)",
        );
    }

    out.sex =
        code(p, &at(prefix, "sex"), raw.sex.as_deref(), Sex::parse).map(|v| v.as_str().into());

    out.date_of_birth = partial_date(
        p,
        &at(prefix, "date_of_birth"),
        raw.date_of_birth.as_deref(),
        today,
    );
    if let Some(est) = raw.estimated_age {
        if out.date_of_birth.is_some()
            || raw
                .date_of_birth
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty())
        {
            p.push(
                at(prefix, "estimated_age"),
                "give either date_of_birth or estimated_age, not both",
            );
        }
        if est.years > MAX_ESTIMATED_AGE {
            p.push(
                at(prefix, "estimated_age.years"),
                format!("must be at most {MAX_ESTIMATED_AGE}"),
            );
        }
        let on = match est.estimated_on.as_deref().map(str::trim) {
            None | Some("") => Some(estimated_on_default),
            Some(raw) => optional_date(
                p,
                &at(prefix, "estimated_age.estimated_on"),
                Some(raw),
                today,
            ),
        };
        out.estimated_age = Some(EstimatedAge {
            years: est.years,
            estimated_on: on.map(format_date),
        });
    }

    out.nationality = match raw.nationality.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => match parse_country(r) {
            Ok(c) => Some(c),
            Err(e) => {
                p.push(at(prefix, "nationality"), e);
                None
            }
        },
    };

    let path = at(prefix, "languages");
    out.languages = list_limit(p, &path, &raw.languages)
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match parse_language(r) {
            Ok(l) => Some(l),
            Err(e) => {
                p.push(format!("{path}.{i}"), e);
                None
            }
        })
        .collect();
    out.languages.dedup();
    out
}

/// A partial date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) that is not in the future, normalised.
pub(crate) fn partial_date(
    p: &mut Problems,
    path: &str,
    raw: Option<&str>,
    today: Date,
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match PartialDate::parse(raw) {
        Ok(d) if d.earliest() > today => {
            p.push(path, "is in the future");
            None
        }
        Ok(d) => Some(d.to_string()),
        Err(e) => {
            p.push(path, e);
            None
        }
    }
}

pub(crate) fn code<T>(
    p: &mut Problems,
    path: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Result<T, String>,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    parse(raw).map_err(|e| p.push(path, e)).ok()
}

pub(crate) fn text(p: &mut Problems, path: &str, raw: Option<&str>, max: usize) -> Option<String> {
    let s = raw.map(str::trim).filter(|s| !s.is_empty())?;
    if s.chars().count() > max {
        p.push(path, format!("is longer than {max} characters"));
        return None;
    }
    if s.chars().any(|c| c.is_control()) {
        p.push(path, "contains control characters");
        return None;
    }
    Some(s.to_string())
}

pub(crate) fn name(p: &mut Problems, path: &str, raw: Option<&str>) -> Option<String> {
    text(p, path, raw, MAX_NAME_CHARS)
}

pub(crate) fn names(p: &mut Problems, path: &str, raw: &[String]) -> Vec<String> {
    list_limit(p, path, raw)
        .iter()
        .enumerate()
        .filter_map(|(i, n)| name(p, &format!("{path}.{i}"), Some(n)))
        .collect()
}

/// The list itself if it is short enough; otherwise a problem and nothing of it.
pub(crate) fn list_limit<'a, T>(p: &mut Problems, path: &str, list: &'a [T]) -> &'a [T] {
    if list.len() > MAX_LIST_LEN {
        p.push(path, format!("has more than {MAX_LIST_LEN} entries"));
        &[]
    } else {
        list
    }
}

fn parse_language(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or_default().to_ascii_lowercase();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    let rest: Vec<&str> = parts.collect();
    let rest_ok = rest
        .iter()
        .all(|t| (2..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(std::iter::once(primary.as_str())
            .chain(rest.iter().copied())
            .collect::<Vec<_>>()
            .join("-"))
    } else {
        Err(format!(
            "'{}' is not an ISO 639 language code (e.g. ar, fa, prs, ti)",
            clip(raw)
        ))
    }
}

pub(crate) fn optional_date(
    p: &mut Problems,
    path: &str,
    raw: Option<&str>,
    today: Date,
) -> Option<Date> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match parse_date(raw) {
        Ok(d) if d > today => {
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

fn family_member(p: &mut Problems, path: &str, m: &FamilyMember, today: Date) -> FamilyMember {
    let relation = code(
        p,
        &format!("{path}.relation"),
        Some(&m.relation),
        Relation::parse,
    );
    if m.relation.trim().is_empty() {
        p.push(format!("{path}.relation"), "is required");
    }
    let mut out = FamilyMember {
        relation: relation.map(|r| r.as_str().to_string()).unwrap_or_default(),
        given_name: name(p, &format!("{path}.given_name"), m.given_name.as_deref()),
        family_name: name(p, &format!("{path}.family_name"), m.family_name.as_deref()),
        other_names: names(p, &format!("{path}.other_names"), &m.other_names),
        is_alive: m.is_alive,
        is_caregiver: m.is_caregiver,
        contact: text(
            p,
            &format!("{path}.contact"),
            m.contact.as_deref(),
            MAX_CONTACT_CHARS,
        ),
        date_of_birth: None,
    };
    out.date_of_birth = partial_date(
        p,
        &format!("{path}.date_of_birth"),
        m.date_of_birth.as_deref(),
        today,
    );
    if m.is_alive == Some(false) && m.is_caregiver {
        p.push(
            format!("{path}.is_caregiver"),
            "a family member recorded as not alive cannot be a caregiver",
        );
    }
    out
}

/// Checks a P-code: the ISO country (ADM0) followed by letters and digits of the lower levels.
pub fn parse_pcode(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    let well_formed =
        (2..=20).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        return Err(format!(
            "'{}' is not a P-code: 2 to 20 letters and digits starting with the country code, e.g. SY0203",
            clip(raw)
        ));
    }
    let country = code.get(..2).unwrap_or_default();
    if !crate::country::is_country_code(country) {
        return Err(format!(
            "'{}' does not start with an ISO 3166-1 alpha-2 country code",
            clip(raw)
        ));
    }
    Ok(code)
}

/// A place: a P-code, a name, or both; `None` when neither is given.
pub(crate) fn location(p: &mut Problems, path: &str, l: &Location) -> Option<Location> {
    let pcode = l
        .pcode
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|raw| {
            parse_pcode(raw)
                .map_err(|e| p.push(format!("{path}.pcode"), e))
                .ok()
        });
    let name = name(p, &format!("{path}.name"), l.name.as_deref());
    if pcode.is_none() && name.is_none() {
        return None;
    }
    Some(Location { pcode, name })
}

fn placement(p: &mut Problems, path: &str, pl: &Placement, today: Date) -> Placement {
    let kind = code(
        p,
        &format!("{path}.type"),
        Some(&pl.kind),
        CareArrangement::parse,
    );
    if pl.kind.trim().is_empty() {
        p.push(format!("{path}.type"), "is required");
    }
    let start = optional_date(
        p,
        &format!("{path}.start_date"),
        Some(&pl.start_date),
        today,
    );
    if pl.start_date.trim().is_empty() {
        p.push(format!("{path}.start_date"), "is required");
    }
    let end = optional_date(
        p,
        &format!("{path}.end_date"),
        pl.end_date.as_deref(),
        today,
    );
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        p.push(format!("{path}.end_date"), "is before start_date");
    }
    let pcode = pl
        .pcode
        .as_deref()
        .map(parse_pcode)
        .transpose()
        .map_err(|e| p.push(format!("{path}.pcode"), e))
        .ok()
        .flatten();
    Placement {
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        place: name(p, &format!("{path}.place"), pl.place.as_deref()),
        pcode,
        provider: name(p, &format!("{path}.provider"), pl.provider.as_deref()),
        start_date: start.map(format_date).unwrap_or_default(),
        end_date: end.map(format_date),
    }
}

fn service(p: &mut Problems, path: &str, s: &Service, today: Date) -> Service {
    let kind = code(
        p,
        &format!("{path}.type"),
        Some(&s.kind),
        ServiceType::parse,
    );
    if s.kind.trim().is_empty() {
        p.push(format!("{path}.type"), "is required");
    }
    let status = code(
        p,
        &format!("{path}.status"),
        Some(&s.status),
        ServiceStatus::parse,
    );
    if s.status.trim().is_empty() {
        p.push(format!("{path}.status"), "is required");
    }
    Service {
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        status: status.map(|k| k.as_str().to_string()).unwrap_or_default(),
        provider: name(p, &format!("{path}.provider"), s.provider.as_deref()),
        referred_on: optional_date(
            p,
            &format!("{path}.referred_on"),
            s.referred_on.as_deref(),
            today,
        )
        .map(format_date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn amal() -> CaseDoc {
        CaseDoc {
            given_name: Some(" Amal ".into()),
            family_name: Some("Haddad".into()),
            sex: Some("female".into()),
            date_of_birth: Some("2014-03-02".into()),
            nationality: Some("sy".into()),
            ..CaseDoc::default()
        }
    }

    fn paths(p: &Problems) -> Vec<&str> {
        p.errors().iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn a_placement_keeps_its_p_code_checked() {
        let doc = doc_from_json(serde_json::json!({"given_name": "A", "placements": [
            {"type": "foster", "start_date": "2026-01-01", "pcode": "mx9501"},
            {"type": "kinship", "start_date": "2025-01-01", "end_date": "2025-06-01", "pcode": "not a code"},
        ]}))
        .unwrap();
        let err = validate(doc.clone(), TODAY).unwrap_err();
        assert_eq!(paths(&err), ["placements.1.pcode"]);
        let mut fixed = doc;
        fixed.placements[1].pcode = None;
        let valid = validate(fixed, TODAY).unwrap();
        assert_eq!(valid.doc.placements[0].pcode.as_deref(), Some("MX9501"));
    }

    #[test]
    fn a_minimal_case_is_normalised() {
        let v = validate(amal(), TODAY).unwrap();
        assert_eq!(v.doc.given_name.as_deref(), Some("Amal"));
        assert_eq!(v.doc.nationality.as_deref(), Some("SY"));
        assert_eq!(v.doc.registration_date.as_deref(), Some("2026-11-23"));
        assert_eq!(age(&v.doc, TODAY), Some(12));
    }

    #[test]
    fn names_in_any_script_are_kept_as_written() {
        let doc = CaseDoc {
            given_name: Some("محمد".into()),
            family_name: Some("ሰላም".into()),
            other_names: vec!["Мухаммед".into(), "मोहम्मद".into()],
            ..CaseDoc::default()
        };
        let v = validate(doc.clone(), TODAY).unwrap();
        assert_eq!(v.doc.given_name, doc.given_name);
        assert_eq!(v.doc.family_name, doc.family_name);
        assert_eq!(v.doc.other_names, doc.other_names);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let doc = CaseDoc {
            given_name: Some("x".repeat(MAX_NAME_CHARS + 1)),
            sex: Some("f".into()),
            date_of_birth: Some("2015-02-30".into()),
            nationality: Some("XX".into()),
            risk_level: Some("extreme".into()),
            specific_needs: vec!["SC-UC".into(), "NOPE".into()],
            family: vec![FamilyMember {
                relation: "uncle".into(),
                ..FamilyMember::default()
            }],
            location: Some(Location {
                pcode: Some("ZZ01".into()),
                name: None,
            }),
            ..CaseDoc::default()
        };
        let err = validate(doc, TODAY).unwrap_err();
        assert_eq!(
            paths(&err),
            [
                "given_name",
                "sex",
                "date_of_birth",
                "nationality",
                "risk_level",
                "specific_needs.1",
                "family.0.relation",
                "location.pcode"
            ]
        );
    }

    #[test]
    fn future_and_contradictory_dates_are_refused() {
        let doc = CaseDoc {
            date_of_birth: Some("2027".into()),
            estimated_age: Some(EstimatedAge {
                years: 9,
                estimated_on: Some("2030-01-01".into()),
            }),
            ..amal()
        };
        let err = validate(doc, TODAY).unwrap_err();
        assert_eq!(
            paths(&err),
            [
                "date_of_birth",
                "estimated_age",
                "estimated_age.estimated_on"
            ]
        );
    }

    #[test]
    fn estimated_age_defaults_to_registration_day_and_ages() {
        let doc = CaseDoc {
            date_of_birth: None,
            registration_date: Some("2025-11-23".into()),
            estimated_age: Some(EstimatedAge {
                years: 10,
                estimated_on: None,
            }),
            ..amal()
        };
        let v = validate(doc, TODAY).unwrap();
        assert_eq!(
            v.doc
                .estimated_age
                .as_ref()
                .and_then(|e| e.estimated_on.as_deref()),
            Some("2025-11-23")
        );
        assert_eq!(age(&v.doc, TODAY), Some(11));
    }

    #[test]
    fn only_one_current_placement_and_end_after_start() {
        let doc = CaseDoc {
            placements: vec![
                Placement {
                    kind: "immigration_detention".into(),
                    start_date: "2026-01-05".into(),
                    end_date: Some("2026-01-01".into()),
                    ..Placement::default()
                },
                Placement {
                    kind: "foster".into(),
                    start_date: "2026-01-06".into(),
                    ..Placement::default()
                },
                Placement {
                    kind: "kinship".into(),
                    start_date: "2026-02-06".into(),
                    ..Placement::default()
                },
            ],
            ..amal()
        };
        let err = validate(doc, TODAY).unwrap_err();
        assert_eq!(paths(&err), ["placements.0.end_date", "placements"]);
    }

    #[test]
    fn codes_are_normalised_and_deduplicated() {
        let doc = CaseDoc {
            specific_needs: vec!["sc-uc".into(), "SC-UC".into(), "fu-tr".into()],
            languages: vec!["AR".into(), "prs".into()],
            location: Some(Location {
                pcode: Some("sy0203".into()),
                name: Some("Aleppo".into()),
            }),
            ..amal()
        };
        let v = validate(doc, TODAY).unwrap();
        assert_eq!(v.doc.specific_needs, ["SC-UC", "FU-TR"]);
        assert_eq!(v.doc.languages, ["ar", "prs"]);
        assert_eq!(v.location_pcode.as_deref(), Some("SY0203"));
    }

    #[test]
    fn a_case_needs_some_name() {
        let err = validate(CaseDoc::default(), TODAY).unwrap_err();
        assert_eq!(paths(&err), ["given_name"]);
    }
}

/// Reads a case document from JSON, naming the field when the JSON has the wrong shape (an
/// unknown field, a number where text belongs). Value problems are [`validate`]'s job.
pub fn doc_from_json(value: serde_json::Value) -> Result<CaseDoc, Problems> {
    crate::problems::from_json(value)
}

#[cfg(test)]
mod json_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_and_mistyped_fields_are_named() {
        let e = doc_from_json(json!({"given_name": "A", "favourite_colour": "red"})).unwrap_err();
        assert_eq!(e.errors()[0].path, "favourite_colour");
        let e = doc_from_json(json!({"family": [{"relation": "mother", "age": 3}]})).unwrap_err();
        assert_eq!(e.errors()[0].path, "family.0.age");
        let e = doc_from_json(json!({"given_name": 7})).unwrap_err();
        assert_eq!(e.errors()[0].path, "given_name");
        assert!(doc_from_json(json!([1, 2])).is_err());
    }

    #[test]
    fn legal_identity_and_route_are_checked_by_the_casework_validators_under_their_field() {
        let today = time::macros::date!(2026 - 11 - 23);
        let doc = doc_from_json(json!({
            "legal_identity": {"birth_registration": {"status": "maybe"}},
            "route": {"drivers": ["conflict", "boredom"],
                      "places": [{"kind": "origin", "place": {"name": "Aleppo"}}]},
        }))
        .unwrap();
        let err = validate(doc, today).unwrap_err();
        let found: Vec<&str> = err.errors().iter().map(|e| e.path.as_str()).collect();
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("legal_identity.birth_registration")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.starts_with("route.drivers")),
            "{found:?}"
        );
        let ok = doc_from_json(json!({
            "given_name": "Amal",
            "legal_identity": {"birth_registration": {"status": "registered", "country": "sy"}},
            "route": {"drivers": ["conflict"],
                      "places": [{"kind": "origin", "place": {"name": "Aleppo"}}]},
        }))
        .unwrap();
        let valid = validate(ok, today).unwrap();
        assert_eq!(valid.doc.route.unwrap().drivers, ["conflict"]);
        assert!(valid.doc.legal_identity.is_some());
    }
}
