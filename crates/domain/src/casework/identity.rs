//! Legal identity (commitment 3): whether the child's birth was registered, the identity
//! documents they hold, and their legal status with its expiry. An unregistered birth calls for a
//! referral to the civil registry; a status or a document about to expire becomes a task
//! ([`super::tasks`]).

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::case::{MAX_NAME_CHARS, text};
use crate::dates::format_date;
use crate::problems::Problems;

use super::check::{country, date, limit, listed, not_before, required_code, required_listed};
use super::codes::{IDENTITY_DOCUMENT_TYPES, LEGAL_STATUSES};
use super::wire_enum;

wire_enum!(BirthRegistrationStatus {
    Registered = "registered",
    NotRegistered = "not_registered",
    Unknown = "unknown",
});

/// The child's legal identity as the API takes and the store keeps it (normalised by
/// [`validate`]). Every part is optional: what is known is recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LegalIdentityDoc {
    #[serde(default)]
    pub birth_registration: Option<BirthRegistrationDoc>,
    #[serde(default)]
    pub documents: Vec<IdentityDocumentDoc>,
    #[serde(default)]
    pub legal_status: Option<LegalStatusDoc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BirthRegistrationDoc {
    /// registered | not_registered | unknown
    pub status: String,
    /// ISO 3166-1 alpha-2 of the country that registered the birth.
    #[serde(default)]
    pub country: Option<String>,
    /// Only for a registered birth.
    #[serde(default)]
    pub certificate_number: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdentityDocumentDoc {
    /// A code from the `identity_document_types` list.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub number: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub issuing_country: Option<String>,
    /// YYYY-MM-DD, not in the future.
    #[serde(default)]
    pub issued_on: Option<String>,
    /// YYYY-MM-DD; may be past (an expired document is still recorded) or future.
    #[serde(default)]
    pub expires_on: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LegalStatusDoc {
    /// A code from the `legal_statuses` list.
    pub status: String,
    /// YYYY-MM-DD the status was granted or began, not in the future.
    #[serde(default)]
    pub since: Option<String>,
    /// YYYY-MM-DD the status ends unless renewed.
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// A legal identity that passed validation: the normalised document and the dates that make
/// tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLegalIdentity {
    pub doc: LegalIdentityDoc,
    pub birth_registration: Option<BirthRegistrationStatus>,
    pub legal_status_expires: Option<Date>,
    /// Each document's type code and expiry, for documents that expire.
    pub document_expiries: Vec<(String, Date)>,
}

impl ValidLegalIdentity {
    /// Whether the child needs a referral to the civil registry: a birth known not to be
    /// registered, or a registration claimed without any certificate held.
    pub fn needs_civil_registry(&self) -> bool {
        match self.birth_registration {
            Some(BirthRegistrationStatus::NotRegistered) => true,
            Some(BirthRegistrationStatus::Registered) => {
                self.doc
                    .birth_registration
                    .as_ref()
                    .is_some_and(|b| b.certificate_number.is_none())
                    && !self
                        .doc
                        .documents
                        .iter()
                        .any(|d| d.kind == "birth_certificate")
            }
            _ => false,
        }
    }

    /// Whatever expires on or before `today + warn_days` (already expired included): the legal
    /// status (`"legal_status"`) and documents by type code.
    pub fn expiring(&self, today: Date, warn_days: i64) -> Vec<(String, Date)> {
        let horizon = today + Duration::days(warn_days);
        self.legal_status_expires
            .map(|d| ("legal_status".to_string(), d))
            .into_iter()
            .chain(self.document_expiries.iter().cloned())
            .filter(|(_, d)| *d <= horizon)
            .collect()
    }
}

/// Checks a legal identity, reporting every problem with its path (`documents.1.expires_on`).
pub fn validate(doc: LegalIdentityDoc, today: Date) -> Result<ValidLegalIdentity, Problems> {
    let mut p = Problems::new();
    let mut out = LegalIdentityDoc::default();
    let mut registration = None;
    if let Some(b) = &doc.birth_registration {
        let status = required_code(
            &mut p,
            "birth_registration.status",
            &b.status,
            BirthRegistrationStatus::parse,
        );
        let certificate_number = text(
            &mut p,
            "birth_registration.certificate_number",
            b.certificate_number.as_deref(),
            MAX_NAME_CHARS,
        );
        if certificate_number.is_some() && status != Some(BirthRegistrationStatus::Registered) {
            p.push(
                "birth_registration.certificate_number",
                "only a registered birth has a certificate",
            );
        }
        registration = status;
        out.birth_registration = Some(BirthRegistrationDoc {
            status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            country: country(&mut p, "birth_registration.country", b.country.as_deref()),
            certificate_number,
        });
    }

    let mut document_expiries = Vec::new();
    for (i, d) in limit(&mut p, "documents", &doc.documents)
        .iter()
        .enumerate()
    {
        let at = |f: &str| format!("documents.{i}.{f}");
        let kind = required_listed(&mut p, &at("type"), &d.kind, IDENTITY_DOCUMENT_TYPES);
        let issued = date(
            &mut p,
            &at("issued_on"),
            d.issued_on.as_deref(),
            today,
            false,
        );
        let expires = date(
            &mut p,
            &at("expires_on"),
            d.expires_on.as_deref(),
            today,
            true,
        );
        not_before(&mut p, &at("expires_on"), issued, expires, "issued_on");
        if let (Some(k), Some(e)) = (&kind, expires) {
            document_expiries.push((k.clone(), e));
        }
        out.documents.push(IdentityDocumentDoc {
            kind: kind.unwrap_or_default(),
            number: text(&mut p, &at("number"), d.number.as_deref(), MAX_NAME_CHARS),
            issuing_country: country(&mut p, &at("issuing_country"), d.issuing_country.as_deref()),
            issued_on: issued.map(format_date),
            expires_on: expires.map(format_date),
        });
    }

    let mut legal_status_expires = None;
    if let Some(s) = &doc.legal_status {
        let status = if s.status.trim().is_empty() {
            p.push("legal_status.status", "is required");
            None
        } else {
            listed(
                &mut p,
                "legal_status.status",
                Some(&s.status),
                LEGAL_STATUSES,
            )
        };
        let since = date(
            &mut p,
            "legal_status.since",
            s.since.as_deref(),
            today,
            false,
        );
        let expires = date(
            &mut p,
            "legal_status.expires_on",
            s.expires_on.as_deref(),
            today,
            true,
        );
        not_before(&mut p, "legal_status.expires_on", since, expires, "since");
        if expires.is_some()
            && matches!(
                status.as_deref(),
                Some("national" | "irregular" | "unknown")
            )
        {
            p.push(
                "legal_status.expires_on",
                "this legal status does not expire",
            );
        }
        legal_status_expires = expires;
        out.legal_status = Some(LegalStatusDoc {
            status: status.unwrap_or_default(),
            since: since.map(format_date),
            expires_on: expires.map(format_date),
        });
    }

    p.into_result(ValidLegalIdentity {
        doc: out,
        birth_registration: registration,
        legal_status_expires,
        document_expiries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::from_json;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn paths(p: &Problems) -> Vec<&str> {
        p.errors().iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn a_legal_identity_is_normalised_and_says_what_expires() {
        let doc: LegalIdentityDoc = from_json(json!({
            "birth_registration": {"status": "registered", "country": "af", "certificate_number": " 123/45 "},
            "documents": [
                {"type": "Passport", "number": "P1", "issuing_country": "af", "issued_on": "2022-01-10", "expires_on": "2027-01-10"},
                {"type": "asylum_seeker_certificate", "expires_on": "2026-12-01"},
            ],
            "legal_status": {"status": "asylum_seeker", "since": "2026-03-01", "expires_on": "2026-12-15"},
        }))
        .unwrap();
        let v = validate(doc, TODAY).unwrap();
        let b = v.doc.birth_registration.as_ref().unwrap();
        assert_eq!(
            (b.country.as_deref(), b.certificate_number.as_deref()),
            (Some("AF"), Some("123/45"))
        );
        assert_eq!(v.doc.documents[0].kind, "passport");
        assert!(!v.needs_civil_registry());
        assert_eq!(
            v.expiring(TODAY, 30),
            [
                ("legal_status".to_string(), date!(2026 - 12 - 15)),
                (
                    "asylum_seeker_certificate".to_string(),
                    date!(2026 - 12 - 01)
                ),
            ]
        );
        assert!(v.expiring(TODAY, 7).is_empty());
        assert_eq!(v.expiring(TODAY, 8).len(), 1);
    }

    #[test]
    fn an_unregistered_birth_calls_for_the_civil_registry() {
        let doc = LegalIdentityDoc {
            birth_registration: Some(BirthRegistrationDoc {
                status: "not_registered".into(),
                ..BirthRegistrationDoc::default()
            }),
            ..LegalIdentityDoc::default()
        };
        assert!(validate(doc, TODAY).unwrap().needs_civil_registry());
    }

    #[test]
    fn every_problem_is_named() {
        let doc: LegalIdentityDoc = from_json(json!({
            "birth_registration": {"status": "not_registered", "country": "XX", "certificate_number": "9"},
            "documents": [
                {"type": "library_card"},
                {"type": "passport", "issued_on": "2027-01-01", "expires_on": "2020-01-01", "issuing_country": "SYR"},
            ],
            "legal_status": {"status": "national", "since": "2026-02-30", "expires_on": "2027-01-01"},
        }))
        .unwrap();
        assert_eq!(
            paths(&validate(doc, TODAY).unwrap_err()),
            [
                "birth_registration.certificate_number",
                "birth_registration.country",
                "documents.0.type",
                "documents.1.issued_on",
                "documents.1.issuing_country",
                "legal_status.since",
                "legal_status.expires_on",
            ]
        );
        let doc = LegalIdentityDoc {
            documents: vec![IdentityDocumentDoc {
                kind: "passport".into(),
                issued_on: Some("2025-01-01".into()),
                expires_on: Some("2024-01-01".into()),
                ..IdentityDocumentDoc::default()
            }],
            legal_status: Some(LegalStatusDoc::default()),
            ..LegalIdentityDoc::default()
        };
        assert_eq!(
            paths(&validate(doc, TODAY).unwrap_err()),
            ["documents.0.expires_on", "legal_status.status"]
        );
    }
}
