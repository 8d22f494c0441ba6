//! Consent and the legal basis for using a child's data: who consented, to what, when, and
//! whether it was withdrawn; or the basis that stands in for consent (a child's vital interest).
//! [`check`] is the rule every use that needs consent applies: tracing, referrals, transfers.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::code_enum;
use crate::dates::{format_date, parse_date};
use crate::problems::Problems;

/// Below this age a representative consents for the child (the child is still heard).
pub const AGE_OF_CONSENT: i32 = 13;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_NOTE_CHARS: usize = 2000;

code_enum!(
    /// What the data may be used for.
    Purpose {
        Services = "services",
        Tracing = "tracing",
        Sharing = "sharing",
        Reporting = "reporting",
    }
);

code_enum!(
    /// Kinds of recipient data may be shared with.
    Recipient {
        OwnAgency = "own_agency",
        OtherAgency = "other_agency",
        Government = "government",
        UnAgency = "un_agency",
        CrossBorderPartner = "cross_border_partner",
    }
);

code_enum!(
    /// Why the data may be used: consent, or a basis that does not need it.
    Basis {
        Consent = "consent",
        VitalInterest = "vital_interest",
        PublicInterest = "public_interest",
        LegitimateInterest = "legitimate_interest",
        LegalObligation = "legal_obligation",
    }
);

code_enum!(GivenBy {
    Child = "child",
    Caregiver = "caregiver",
    Representative = "representative",
});

/// A consent (or other basis) as the API takes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentDoc {
    /// consent | vital_interest | public_interest | legitimate_interest | legal_obligation
    pub basis: String,
    /// services | tracing | sharing | reporting
    #[serde(default)]
    pub purposes: Vec<String>,
    /// For `sharing`: own_agency | other_agency | government | un_agency | cross_border_partner
    #[serde(default)]
    pub recipients: Vec<String>,
    /// For `consent`: child | caregiver | representative (a representative under 13).
    #[serde(default)]
    pub given_by: Option<String>,
    /// The caregiver's or representative's name, as written (encrypted at rest).
    #[serde(default)]
    pub given_by_name: Option<String>,
    /// YYYY-MM-DD; today when absent.
    #[serde(default)]
    pub given_on: Option<String>,
    /// Why a basis other than consent applies, or anything the child said (encrypted at rest).
    #[serde(default)]
    pub notes: Option<String>,
}

/// A consent that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidConsent {
    pub doc: ConsentDoc,
    pub basis: Basis,
    pub purposes: Vec<Purpose>,
    pub recipients: Vec<Recipient>,
    pub given_on: Date,
}

/// Checks a consent for a child of `age` (years, when known), reporting every problem.
pub fn validate(
    mut doc: ConsentDoc,
    age: Option<i32>,
    today: Date,
) -> Result<ValidConsent, Problems> {
    let mut p = Problems::new();
    let basis = Basis::parse(&doc.basis)
        .map_err(|e| p.push("basis", e))
        .ok();
    let mut purposes = Vec::new();
    for (i, raw) in doc.purposes.iter().enumerate() {
        match Purpose::parse(raw) {
            Ok(x) if !purposes.contains(&x) => purposes.push(x),
            Ok(_) => p.push(format!("purposes.{i}"), "is given twice"),
            Err(e) => p.push(format!("purposes.{i}"), e),
        }
    }
    if doc.purposes.is_empty() {
        p.push("purposes", "name at least one purpose");
    }
    let mut recipients = Vec::new();
    for (i, raw) in doc.recipients.iter().enumerate() {
        match Recipient::parse(raw) {
            Ok(x) if !recipients.contains(&x) => recipients.push(x),
            Ok(_) => p.push(format!("recipients.{i}"), "is given twice"),
            Err(e) => p.push(format!("recipients.{i}"), e),
        }
    }
    if purposes.contains(&Purpose::Sharing) && doc.recipients.is_empty() {
        p.push(
            "recipients",
            "sharing needs the kinds of recipient it is for",
        );
    }
    if !purposes.contains(&Purpose::Sharing) && !doc.recipients.is_empty() {
        p.push("recipients", "recipients are only for the sharing purpose");
    }
    let given_by = doc
        .given_by
        .as_deref()
        .map(GivenBy::parse)
        .transpose()
        .map_err(|e| p.push("given_by", e))
        .ok()
        .flatten();
    if basis == Some(Basis::Consent) {
        match given_by {
            None if doc.given_by.is_none() => {
                p.push("given_by", "say who consented: child, caregiver or representative")
            }
            Some(GivenBy::Child) if age.is_some_and(|a| a < AGE_OF_CONSENT) => p.push(
                "given_by",
                format!("a child under {AGE_OF_CONSENT} cannot consent alone: a caregiver or representative consents"),
            ),
            _ => {}
        }
        if matches!(given_by, Some(GivenBy::Caregiver | GivenBy::Representative))
            && doc
                .given_by_name
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            p.push("given_by_name", "name the caregiver or representative");
        }
    } else if basis.is_some() && doc.notes.as_deref().is_none_or(|n| n.trim().is_empty()) {
        p.push("notes", "say why this basis applies");
    }
    if doc
        .given_by_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        p.push(
            "given_by_name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        );
    }
    if doc
        .notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        p.push(
            "notes",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        );
    }
    let given_on = match doc.given_on.as_deref() {
        None => Some(today),
        Some(raw) => match parse_date(raw) {
            Ok(d) if d > today => {
                p.push("given_on", "is in the future");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                p.push("given_on", e);
                None
            }
        },
    };
    let (Some(basis), Some(given_on)) = (basis, given_on) else {
        p.into_result(())?;
        return Err(Problems::single("", "invalid consent"));
    };
    p.into_result(())?;
    doc.given_on = Some(format_date(given_on));
    Ok(ValidConsent {
        doc,
        basis,
        purposes,
        recipients,
        given_on,
    })
}

/// A stored consent, as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentRecord {
    pub id: uuid::Uuid,
    pub basis: Basis,
    pub purposes: Vec<Purpose>,
    pub recipients: Vec<Recipient>,
    pub given_on: Date,
    pub withdrawn_on: Option<Date>,
}

impl ConsentRecord {
    fn in_force(&self, today: Date) -> bool {
        self.given_on <= today && self.withdrawn_on.is_none_or(|w| w > today)
    }
}

/// A use of a child's data that needs consent or another basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Matching and contacting relatives.
    Tracing,
    /// A referral to a service: consent to services, and to sharing when the provider is another
    /// kind of recipient than the child's own agency.
    Referral(Recipient),
    /// Handing the case to another agency or across a border.
    Transfer(Recipient),
}

impl Need {
    pub fn describe(self) -> String {
        match self {
            Self::Tracing => "consent for tracing, or a recorded vital-interest basis".into(),
            Self::Referral(Recipient::OwnAgency) => "consent for services".into(),
            Self::Referral(r) => {
                format!("consent for services and for sharing with {}", r.as_str())
            }
            Self::Transfer(r) => format!("consent for sharing with {}", r.as_str()),
        }
    }
}

/// The basis on which the use may go ahead, or `None` when the records do not allow it.
pub fn check(records: &[ConsentRecord], need: Need, today: Date) -> Option<Basis> {
    let live: Vec<&ConsentRecord> = records.iter().filter(|r| r.in_force(today)).collect();
    let covers = |purpose: Purpose| {
        live.iter()
            .find(|r| r.purposes.contains(&purpose))
            .map(|r| r.basis)
    };
    let shares_with = |to: Recipient| {
        live.iter()
            .find(|r| r.purposes.contains(&Purpose::Sharing) && r.recipients.contains(&to))
            .map(|r| r.basis)
    };
    match need {
        Need::Tracing => covers(Purpose::Tracing).or_else(|| {
            live.iter()
                .find(|r| r.basis == Basis::VitalInterest)
                .map(|r| r.basis)
        }),
        Need::Referral(Recipient::OwnAgency) => covers(Purpose::Services),
        Need::Referral(to) => covers(Purpose::Services).and(shares_with(to)),
        Need::Transfer(to) => shares_with(to),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn doc(v: serde_json::Value) -> ConsentDoc {
        serde_json::from_value(v).unwrap()
    }

    fn record(basis: Basis, purposes: &[Purpose], recipients: &[Recipient]) -> ConsentRecord {
        ConsentRecord {
            id: uuid::Uuid::nil(),
            basis,
            purposes: purposes.to_vec(),
            recipients: recipients.to_vec(),
            given_on: date!(2026 - 01 - 01),
            withdrawn_on: None,
        }
    }

    #[test]
    fn under_thirteen_a_representative_consents() {
        let by_child =
            doc(json!({"basis": "consent", "purposes": ["services"], "given_by": "child"}));
        let err = validate(by_child.clone(), Some(11), TODAY).unwrap_err();
        assert_eq!(err.errors()[0].path, "given_by");
        assert!(validate(by_child, Some(15), TODAY).is_ok());
        let by_rep = doc(json!({"basis": "consent", "purposes": ["services"],
            "given_by": "representative", "given_by_name": "A. Guardian"}));
        assert!(validate(by_rep, Some(9), TODAY).is_ok());
    }

    #[test]
    fn every_problem_is_named() {
        let bad = doc(json!({"basis": "whim", "purposes": ["services", "gossip"],
            "recipients": ["government"], "given_on": "2030-01-01"}));
        let err = validate(bad, None, TODAY).unwrap_err();
        let paths: Vec<&str> = err.errors().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["basis", "purposes.1", "recipients", "given_on"]);
    }

    #[test]
    fn tracing_needs_consent_for_tracing_or_a_vital_interest() {
        let services = record(Basis::Consent, &[Purpose::Services], &[]);
        assert_eq!(
            check(std::slice::from_ref(&services), Need::Tracing, TODAY),
            None
        );
        let vital = record(Basis::VitalInterest, &[Purpose::Services], &[]);
        assert_eq!(
            check(&[services, vital], Need::Tracing, TODAY),
            Some(Basis::VitalInterest)
        );
        let tracing = record(Basis::Consent, &[Purpose::Tracing], &[]);
        assert_eq!(
            check(&[tracing], Need::Tracing, TODAY),
            Some(Basis::Consent)
        );
    }

    #[test]
    fn referrals_outside_the_agency_need_sharing_with_that_kind_of_recipient() {
        let services = record(Basis::Consent, &[Purpose::Services], &[]);
        let need = Need::Referral(Recipient::OtherAgency);
        assert!(
            check(
                std::slice::from_ref(&services),
                Need::Referral(Recipient::OwnAgency),
                TODAY
            )
            .is_some()
        );
        assert_eq!(check(std::slice::from_ref(&services), need, TODAY), None);
        let sharing = record(
            Basis::Consent,
            &[Purpose::Sharing],
            &[Recipient::OtherAgency],
        );
        assert!(check(&[services.clone(), sharing.clone()], need, TODAY).is_some());
        assert_eq!(
            check(
                &[services, sharing],
                Need::Referral(Recipient::Government),
                TODAY
            ),
            None
        );
    }

    #[test]
    fn a_withdrawn_consent_no_longer_counts() {
        let mut tracing = record(Basis::Consent, &[Purpose::Tracing], &[]);
        tracing.withdrawn_on = Some(date!(2026 - 11 - 01));
        assert_eq!(check(&[tracing.clone()], Need::Tracing, TODAY), None);
        assert!(check(&[tracing], Need::Tracing, date!(2026 - 10 - 01)).is_some());
    }
}
