//! Services and referrals (commitment 4): a service the child needs, provided inside the agency or
//! by another agency of the deployment, which accepts, declines and completes it.
//!
//! A referral is a small state machine: `requested → accepted | declined`, `accepted →
//! completed`, and the referring agency may cancel while it is requested or accepted. Only the
//! receiving agency answers (accepts, declines, completes); an internal referral is one whose
//! receiving agency is the referring one. A referral to another agency shares the case, so making
//! one demands a [`ConsentCheck`] for that agency and that service: the access layer checks the
//! child's consent, this module only refuses to go on without its proof.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::case::{MAX_NAME_CHARS, name, text};
use crate::ids::{AgencyId, UserId};
use crate::problems::Problems;

use super::check::{MAX_TEXT_CHARS, date, id, required_code, required_listed, required_text};
use super::codes::SERVICE_TYPES;
use super::{ConsentCheck, Refusal, wire_enum, ymd};

wire_enum!(ReferralStatus {
    Requested = "requested",
    Accepted = "accepted",
    Declined = "declined",
    Completed = "completed",
    Cancelled = "cancelled",
});

wire_enum!(
    /// A child's schooling, recorded with an education service.
    EnrolmentStatus {
        NotEnrolled = "not_enrolled",
        EnrolmentPending = "enrolment_pending",
        Enrolled = "enrolled",
        Attending = "attending",
        DroppedOut = "dropped_out",
        Completed = "completed",
    }
);

wire_enum!(ReferralActionKind {
    Accept = "accept",
    Decline = "decline",
    Complete = "complete",
    Cancel = "cancel",
});

/// A referral as the API takes it (`POST /api/v1/cases/{id}/referrals`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferralDoc {
    /// A code from the `service_types` list, e.g. `education`, `civil_registry`.
    #[serde(default)]
    pub service: String,
    /// The receiving agency; the referring agency itself (an internal referral) when absent.
    #[serde(default)]
    pub to_agency_id: Option<String>,
    #[serde(default)]
    pub urgent: bool,
    /// Why the child is referred. Sensitive: the store encrypts it.
    #[serde(default)]
    pub reason: Option<String>,
    /// Only for `education`.
    #[serde(default)]
    pub education: Option<EducationDoc>,
    /// YYYY-MM-DD the service is needed by; may be in the future.
    #[serde(default)]
    pub needed_by: Option<String>,
    /// Without the consent the referral needs, a user holding `consent.override` says why it
    /// must go ahead (audited).
    #[serde(default)]
    pub consent_override_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EducationDoc {
    /// not_enrolled | enrolment_pending | enrolled | attending | dropped_out | completed
    #[serde(default)]
    pub enrolment_status: String,
    #[serde(default)]
    pub school: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Education {
    pub enrolment_status: EnrolmentStatus,
    #[serde(default)]
    pub school: Option<String>,
}

/// A referral as stored, with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Referral {
    pub service: String,
    pub from_agency: AgencyId,
    pub to_agency: AgencyId,
    pub urgent: bool,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub education: Option<Education>,
    #[serde(with = "ymd::option", default)]
    pub needed_by: Option<Date>,
    pub status: ReferralStatus,
    pub requested_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// Who answered last (accepted, declined, completed, cancelled) and when.
    #[serde(default)]
    pub answered_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub answered_at: Option<OffsetDateTime>,
    /// Why it was declined or cancelled, or what came of it.
    #[serde(default)]
    pub comment: Option<String>,
}

impl Referral {
    pub fn is_internal(&self) -> bool {
        self.from_agency == self.to_agency
    }

    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            ReferralStatus::Requested | ReferralStatus::Accepted
        )
    }
}

/// A referral's fields after validation, before it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidReferral {
    pub service: String,
    pub to_agency: Option<AgencyId>,
    pub urgent: bool,
    pub reason: Option<String>,
    pub education: Option<Education>,
    pub needed_by: Option<Date>,
}

/// Checks a referral's fields (→ 422 naming each).
pub fn validate(doc: &ReferralDoc, today: Date) -> Result<ValidReferral, Problems> {
    let mut p = Problems::new();
    let service = required_listed(&mut p, "service", &doc.service, SERVICE_TYPES);
    let to_agency = id::<AgencyId>(
        &mut p,
        "to_agency_id",
        doc.to_agency_id.as_deref(),
        "an agency id",
    );
    let reason = text(&mut p, "reason", doc.reason.as_deref(), MAX_TEXT_CHARS);
    let needed_by = date(&mut p, "needed_by", doc.needed_by.as_deref(), today, true);
    let education = match (&doc.education, service.as_deref()) {
        (Some(e), Some("education")) => {
            let status = required_code(
                &mut p,
                "education.enrolment_status",
                &e.enrolment_status,
                EnrolmentStatus::parse,
            );
            let school = name(&mut p, "education.school", e.school.as_deref());
            status.map(|enrolment_status| Education {
                enrolment_status,
                school,
            })
        }
        (Some(_), Some(_)) => {
            p.push(
                "education",
                "only an education service has enrolment details",
            );
            None
        }
        _ => None,
    };
    match service {
        Some(service) if p.is_empty() => Ok(ValidReferral {
            service,
            to_agency,
            urgent: doc.urgent,
            reason,
            education,
            needed_by,
        }),
        _ => Err(p),
    }
}

/// Makes a referral from `from_agency`. Sharing with another agency needs `consent` for exactly
/// that agency and service; an internal referral needs none.
pub fn make(
    v: ValidReferral,
    from_agency: AgencyId,
    actor: UserId,
    consent: Option<&ConsentCheck>,
    now: OffsetDateTime,
) -> Result<Referral, Refusal<ReferralActionKind>> {
    let to_agency = v.to_agency.unwrap_or(from_agency);
    if to_agency != from_agency {
        match consent {
            Some(c) if c.recipient == to_agency && c.purpose == v.service => {}
            Some(_) => {
                return Err(Refusal::new(
                    "consent_mismatch",
                    "the consent checked is for another agency or purpose",
                    Vec::new(),
                ));
            }
            None => {
                return Err(Refusal::new(
                    "consent_required",
                    "a referral to another agency needs the child's consent (or another legal basis) for this service",
                    Vec::new(),
                ));
            }
        }
    }
    Ok(Referral {
        service: v.service,
        from_agency,
        to_agency,
        urgent: v.urgent,
        reason: v.reason,
        education: v.education,
        needed_by: v.needed_by,
        status: ReferralStatus::Requested,
        requested_by: actor,
        requested_at: now,
        answered_by: None,
        answered_at: None,
        comment: None,
    })
}

/// An answer to a referral, as the API takes it: `{"action": "decline", "comment": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferralActionDoc {
    /// accept | decline | complete | cancel
    pub action: String,
    /// Required to decline or cancel; what came of it when completing.
    #[serde(default)]
    pub comment: Option<String>,
    /// For an education service being completed or accepted: the child's schooling now.
    #[serde(default)]
    pub education: Option<EducationDoc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralAction {
    pub kind: ReferralActionKind,
    pub comment: Option<String>,
    pub education: Option<Education>,
}

/// Checks an answer's fields.
pub fn validate_action(doc: &ReferralActionDoc) -> Result<ReferralAction, Problems> {
    let mut p = Problems::new();
    let kind = required_code(&mut p, "action", &doc.action, ReferralActionKind::parse);
    let comment = match kind {
        Some(ReferralActionKind::Decline | ReferralActionKind::Cancel) => required_text(
            &mut p,
            "comment",
            doc.comment.as_deref().unwrap_or_default(),
            MAX_TEXT_CHARS,
        ),
        _ => text(&mut p, "comment", doc.comment.as_deref(), MAX_TEXT_CHARS),
    };
    let education = doc.education.as_ref().and_then(|e| {
        let status = required_code(
            &mut p,
            "education.enrolment_status",
            &e.enrolment_status,
            EnrolmentStatus::parse,
        );
        let school = text(
            &mut p,
            "education.school",
            e.school.as_deref(),
            MAX_NAME_CHARS,
        );
        status.map(|enrolment_status| Education {
            enrolment_status,
            school,
        })
    });
    match kind {
        Some(kind) if p.is_empty() => Ok(ReferralAction {
            kind,
            comment,
            education,
        }),
        _ => Err(p),
    }
}

impl Referral {
    /// What `actor_agency` may do with this referral now.
    pub fn allowed(&self, actor_agency: AgencyId) -> Vec<ReferralActionKind> {
        ReferralActionKind::ALL
            .iter()
            .copied()
            .filter(|k| self.guard(*k, actor_agency).is_ok())
            .collect()
    }

    fn guard(
        &self,
        kind: ReferralActionKind,
        actor_agency: AgencyId,
    ) -> Result<(), (&'static str, String)> {
        use ReferralActionKind as K;
        use ReferralStatus as S;
        let receiving = actor_agency == self.to_agency;
        let referring = actor_agency == self.from_agency;
        let (ok_from, who_ok, who): (&[S], bool, &str) = match kind {
            K::Accept | K::Decline => (&[S::Requested], receiving, "the receiving agency"),
            K::Complete => (&[S::Accepted], receiving, "the receiving agency"),
            K::Cancel => (
                &[S::Requested, S::Accepted],
                referring,
                "the referring agency",
            ),
        };
        if !who_ok {
            return Err((
                "not_your_referral",
                format!("only {who} may {kind} this referral"),
            ));
        }
        if !ok_from.contains(&self.status) {
            return Err((
                "wrong_status",
                format!("a referral that is {} does not allow {kind}", self.status),
            ));
        }
        Ok(())
    }

    /// Applies an answer: the referral's next state, or why not (→ 409 with the allowed actions).
    pub fn apply(
        &self,
        action: &ReferralAction,
        actor: UserId,
        actor_agency: AgencyId,
        now: OffsetDateTime,
    ) -> Result<Referral, Refusal<ReferralActionKind>> {
        if let Err((code, reason)) = self.guard(action.kind, actor_agency) {
            return Err(Refusal::new(code, reason, self.allowed(actor_agency)));
        }
        if action.education.is_some() && self.service != "education" {
            return Err(Refusal::new(
                "not_education",
                "only an education referral records enrolment",
                self.allowed(actor_agency),
            ));
        }
        let mut next = self.clone();
        next.status = match action.kind {
            ReferralActionKind::Accept => ReferralStatus::Accepted,
            ReferralActionKind::Decline => ReferralStatus::Declined,
            ReferralActionKind::Complete => ReferralStatus::Completed,
            ReferralActionKind::Cancel => ReferralStatus::Cancelled,
        };
        next.answered_by = Some(actor);
        next.answered_at = Some(now);
        next.comment.clone_from(&action.comment);
        if action.education.is_some() {
            next.education.clone_from(&action.education);
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::from_json;
    use serde_json::json;
    use time::macros::{date, datetime};

    const TODAY: Date = date!(2026 - 11 - 23);
    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    fn agency(n: u128) -> AgencyId {
        AgencyId(uuid::Uuid::from_u128(n))
    }

    fn user(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    fn action(kind: &str, comment: Option<&str>) -> ReferralAction {
        validate_action(&ReferralActionDoc {
            action: kind.into(),
            comment: comment.map(Into::into),
            education: None,
        })
        .unwrap()
    }

    fn to_school() -> ValidReferral {
        let doc: ReferralDoc = from_json(json!({
            "service": "education",
            "to_agency_id": agency(2).to_string(),
            "education": {"enrolment_status": "not_enrolled", "school": "Al-Amal primary"},
        }))
        .unwrap();
        validate(&doc, TODAY).unwrap()
    }

    #[test]
    fn only_the_receiving_agency_answers() {
        let consent = ConsentCheck {
            recipient: agency(2),
            purpose: "education".into(),
        };
        let r = make(to_school(), agency(1), user(1), Some(&consent), NOW).unwrap();
        assert_eq!(r.status, ReferralStatus::Requested);
        let e = r
            .apply(&action("accept", None), user(1), agency(1), NOW)
            .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.allowed.as_slice()),
            ("not_your_referral", &[ReferralActionKind::Cancel][..])
        );
        let r = r
            .apply(&action("accept", None), user(2), agency(2), NOW)
            .unwrap();
        let e = r
            .apply(&action("decline", Some("full")), user(2), agency(2), NOW)
            .unwrap_err();
        assert_eq!(e.code, "wrong_status");
        assert_eq!(e.allowed, [ReferralActionKind::Complete]);
        let done = validate_action(&from_json(json!({
            "action": "complete", "education": {"enrolment_status": "attending", "school": "Al-Amal primary"}
        })).unwrap())
        .unwrap();
        let r = r.apply(&done, user(2), agency(2), NOW).unwrap();
        assert_eq!(r.status, ReferralStatus::Completed);
        assert_eq!(
            r.education.unwrap().enrolment_status,
            EnrolmentStatus::Attending
        );
    }

    #[test]
    fn sharing_with_another_agency_needs_consent_for_it() {
        let e = make(to_school(), agency(1), user(1), None, NOW).unwrap_err();
        assert_eq!(e.code, "consent_required");
        let for_health = ConsentCheck {
            recipient: agency(2),
            purpose: "health".into(),
        };
        let e = make(to_school(), agency(1), user(1), Some(&for_health), NOW).unwrap_err();
        assert_eq!(e.code, "consent_mismatch");
        let internal = ValidReferral {
            to_agency: None,
            ..to_school()
        };
        let r = make(internal, agency(1), user(1), None, NOW).unwrap();
        assert!(r.is_internal());
        assert_eq!(
            r.allowed(agency(1)),
            [
                ReferralActionKind::Accept,
                ReferralActionKind::Decline,
                ReferralActionKind::Cancel
            ]
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let doc: ReferralDoc = from_json(json!({
            "service": "astrology", "to_agency_id": "agency-2", "needed_by": "soon",
            "education": {"enrolment_status": "maybe"},
        }))
        .unwrap();
        let err = validate(&doc, TODAY).unwrap_err();
        let paths: Vec<&str> = err.errors().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["service", "to_agency_id", "needed_by"]);
        let doc: ReferralDoc =
            from_json(json!({"service": "health", "education": {"enrolment_status": "enrolled"}}))
                .unwrap();
        assert_eq!(
            validate(&doc, TODAY).unwrap_err().errors()[0].path,
            "education"
        );
        let e = validate_action(&ReferralActionDoc {
            action: "decline".into(),
            ..ReferralActionDoc::default()
        })
        .unwrap_err();
        assert_eq!(e.errors()[0].path, "comment");
        assert_eq!(
            validate_action(&ReferralActionDoc::default())
                .unwrap_err()
                .errors()[0]
                .path,
            "action"
        );
    }

    #[test]
    fn a_civil_registry_referral_is_a_service() {
        let doc = ReferralDoc {
            service: "civil_registry".into(),
            ..ReferralDoc::default()
        };
        assert_eq!(validate(&doc, TODAY).unwrap().service, "civil_registry");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Whoever tries whatever, a referral only moves along its edges, and only the
            /// receiving agency accepts, declines or completes it.
            #[test]
            fn a_referral_moves_only_along_its_edges(
                internal in any::<bool>(),
                tries in prop::collection::vec((1u128..=3, 0usize..4), 1..20),
            ) {
                let v = ValidReferral { to_agency: (!internal).then(|| agency(2)), ..to_school() };
                let consent = ConsentCheck { recipient: agency(2), purpose: "education".into() };
                let mut r = make(v, agency(1), user(1), Some(&consent), NOW).unwrap();
                for (who, k) in tries {
                    let kind = ReferralActionKind::ALL[k];
                    let a = ReferralAction { kind, comment: Some("c".into()), education: None };
                    let allowed = r.allowed(agency(who));
                    match r.apply(&a, user(who), agency(who), NOW) {
                        Ok(next) => {
                            use ReferralStatus as S;
                            prop_assert!(allowed.contains(&kind));
                            let edge = matches!(
                                (r.status, next.status),
                                (S::Requested, S::Accepted | S::Declined | S::Cancelled)
                                    | (S::Accepted, S::Completed | S::Cancelled)
                            );
                            prop_assert!(edge, "{:?} -> {:?}", r.status, next.status);
                            if kind != ReferralActionKind::Cancel {
                                prop_assert_eq!(agency(who), r.to_agency);
                            } else {
                                prop_assert_eq!(agency(who), r.from_agency);
                            }
                            r = next;
                        }
                        Err(e) => prop_assert_eq!(e.allowed, allowed),
                    }
                }
            }
        }
    }
}
