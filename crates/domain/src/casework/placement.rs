//! Placements (care arrangements) as a history, and what detention means for a child.
//!
//! A case's placements are a list ordered by start date; at most one is current (no end date) and
//! none overlap. Recording a placement while another is current is a *move*: the current one ends
//! the day the new one starts. A placement in immigration detention or police custody raises a
//! detention [`Alert`] at once; the days detained count up to today or the day it ended; moving
//! the child to an alternative to detention ends the detention and resolves the alert.
//!
//! Wire contract: `POST /api/v1/cases/{id}/placements` takes a [`PlacementDoc`]
//! (`{"type":"immigration_detention","start_date":"2026-01-05","place":"…"}`), and
//! `GET /api/v1/alerts` lists the open [`Alert`]s in the caller's scope.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::case::{CareArrangement, name, parse_pcode};
use crate::dates::format_date;
use crate::ids::CaseId;
use crate::problems::Problems;

use super::check::{date, not_before, required_code, required_date};
use super::workflow::{Action, CaseChange, Ctx, Workflow};
use super::{Rejected, wire_enum, ymd};

/// A placement as the API takes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlacementDoc {
    /// A care arrangement: parents | kinship | foster | kafala | residential |
    /// supported_independent_living | child_headed_household | unrelated_adult |
    /// immigration_detention | police_custody | street | other
    #[serde(rename = "type", default)]
    pub kind: String,
    /// YYYY-MM-DD, not in the future.
    #[serde(default)]
    pub start_date: String,
    /// YYYY-MM-DD, not in the future and not before `start_date`; absent while current.
    #[serde(default)]
    pub end_date: Option<String>,
    /// The place or facility, as written.
    #[serde(default)]
    pub place: Option<String>,
    /// The place's P-code, e.g. `LY0102`.
    #[serde(default)]
    pub pcode: Option<String>,
    /// Who provides the care (a foster family's agency, the detaining authority).
    #[serde(default)]
    pub provider: Option<String>,
}

/// A placement as stored in the case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Placement {
    #[serde(rename = "type")]
    pub kind: Arrangement,
    #[serde(with = "ymd")]
    pub start_date: Date,
    #[serde(with = "ymd::option", default)]
    pub end_date: Option<Date>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub pcode: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
}

wire_enum!(
    /// The care arrangements of [`CareArrangement`], with the same codes, as a stored value.
    Arrangement {
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

impl Arrangement {
    /// Deprivation of liberty: never an acceptable arrangement for a child, recorded so that it
    /// is counted and ended.
    pub fn is_detention(self) -> bool {
        matches!(self, Self::ImmigrationDetention | Self::PoliceCustody)
    }

    /// A care arrangement in the community, which ends a detention (UNHCR: alternatives to
    /// detention are community-based care with case management). The street is not one, nor
    /// an unspecified `other`.
    pub fn is_alternative_to_detention(self) -> bool {
        !self.is_detention() && !matches!(self, Self::Street | Self::Other)
    }
}

impl From<CareArrangement> for Arrangement {
    fn from(c: CareArrangement) -> Self {
        match c {
            CareArrangement::Parents => Self::Parents,
            CareArrangement::Kinship => Self::Kinship,
            CareArrangement::Foster => Self::Foster,
            CareArrangement::Kafala => Self::Kafala,
            CareArrangement::Residential => Self::Residential,
            CareArrangement::SupportedIndependentLiving => Self::SupportedIndependentLiving,
            CareArrangement::ChildHeadedHousehold => Self::ChildHeadedHousehold,
            CareArrangement::UnrelatedAdult => Self::UnrelatedAdult,
            CareArrangement::ImmigrationDetention => Self::ImmigrationDetention,
            CareArrangement::PoliceCustody => Self::PoliceCustody,
            CareArrangement::Street => Self::Street,
            CareArrangement::Other => Self::Other,
        }
    }
}

impl Placement {
    pub fn is_current(&self) -> bool {
        self.end_date.is_none()
    }

    /// Whether the two overlap by more than the day of a move (one ends the day the other
    /// starts).
    fn overlaps(&self, other: &Placement) -> bool {
        let ends_before =
            |a: &Placement, b: &Placement| a.end_date.is_some_and(|e| e <= b.start_date);
        !(ends_before(self, other) || ends_before(other, self))
    }
}

/// The placements a [`crate::case::CaseDoc`] holds today (validated, so their codes and dates
/// parse), as a history: what the store and the demo data can hand to [`alerts`] and
/// [`days_detained`] until the case document keeps this module's [`Placement`] (with its P-code).
pub fn from_case(placements: &[crate::case::Placement]) -> Vec<Placement> {
    let mut out: Vec<Placement> = placements
        .iter()
        .filter_map(|p| {
            Some(Placement {
                kind: Arrangement::parse(&p.kind).ok()?,
                start_date: crate::dates::parse_date(&p.start_date).ok()?,
                end_date: match p.end_date.as_deref() {
                    Some(e) => Some(crate::dates::parse_date(e).ok()?),
                    None => None,
                },
                place: p.place.clone(),
                pcode: p.pcode.clone(),
                provider: p.provider.clone(),
            })
        })
        .collect();
    out.sort_by_key(|p| p.start_date);
    out
}

/// Checks one placement's fields (→ 422 naming each).
pub fn validate(doc: &PlacementDoc, today: Date) -> Result<Placement, Problems> {
    let mut p = Problems::new();
    let kind = required_code(&mut p, "type", &doc.kind, Arrangement::parse);
    let start = required_date(&mut p, "start_date", &doc.start_date, today, false);
    let end = date(&mut p, "end_date", doc.end_date.as_deref(), today, false);
    not_before(&mut p, "end_date", start, end, "start_date");
    let place = name(&mut p, "place", doc.place.as_deref());
    let pcode = doc
        .pcode
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|raw| parse_pcode(raw).map_err(|e| p.push("pcode", e)).ok());
    let provider = name(&mut p, "provider", doc.provider.as_deref());
    match (kind, start) {
        (Some(kind), Some(start_date)) if p.is_empty() => Ok(Placement {
            kind,
            start_date,
            end_date: end,
            place,
            pcode,
            provider,
        }),
        _ => Err(p),
    }
}

/// What recording a placement did, for the history entry, the audit log and the alerts table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PlacementEvent {
    Placed {
        kind: Arrangement,
    },
    /// The current placement ended because the child moved.
    Ended {
        kind: Arrangement,
    },
    /// A detention began: raise the alert now.
    DetentionStarted {
        kind: Arrangement,
    },
    /// The detention ended (release, or a move to an alternative): resolve the alert.
    DetentionEnded {
        days_detained: i64,
    },
    /// The child left detention for an alternative to detention (the commitment-2 outcome).
    MovedToAlternative {
        kind: Arrangement,
    },
}

impl PlacementEvent {
    /// The audit action name.
    pub fn audit_name(&self) -> &'static str {
        match self {
            Self::Placed { .. } => "case.placement.recorded",
            Self::Ended { .. } => "case.placement.ended",
            Self::DetentionStarted { .. } => "case.detention.started",
            Self::DetentionEnded { .. } => "case.detention.ended",
            Self::MovedToAlternative { .. } => "case.detention.alternative",
        }
    }
}

/// The history after a change, and what the change meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub history: Vec<Placement>,
    pub events: Vec<PlacementEvent>,
}

/// Records a placement in `history` (ordered by start, as kept). A new current placement moves
/// the child: the current one ends on the new start date. Anything that would break the history
/// (an overlap, a move back in time) is a problem on the field that causes it.
pub fn record(
    history: &[Placement],
    doc: &PlacementDoc,
    today: Date,
) -> Result<Recorded, Problems> {
    let new = validate(doc, today)?;
    let mut next: Vec<Placement> = history.to_vec();
    let mut events = Vec::new();
    let was_detained = current_detention(history, today).is_some();
    if new.is_current()
        && let Some(cur) = next.iter_mut().find(|p| p.is_current())
    {
        if new.start_date < cur.start_date {
            return Err(Problems::single(
                "start_date",
                format!(
                    "is before the start of the current placement ({})",
                    format_date(cur.start_date)
                ),
            ));
        }
        cur.end_date = Some(new.start_date);
        events.push(PlacementEvent::Ended { kind: cur.kind });
    }
    if let Some(other) = next.iter().find(|p| p.overlaps(&new)) {
        return Err(Problems::single(
            if new.is_current() {
                "start_date"
            } else {
                "end_date"
            },
            format!(
                "overlaps the {} placement from {}",
                other.kind,
                format_date(other.start_date)
            ),
        ));
    }
    events.push(PlacementEvent::Placed { kind: new.kind });
    let new_kind = new.kind;
    let new_current = new.is_current();
    next.push(new);
    next.sort_by_key(|p| p.start_date);
    let now_detained = current_detention(&next, today);
    match (was_detained, &now_detained) {
        (false, Some(_)) => events.push(PlacementEvent::DetentionStarted { kind: new_kind }),
        (true, None) => {
            events.push(PlacementEvent::DetentionEnded {
                days_detained: last_detention_days(&next, today),
            });
            if new_current && new_kind.is_alternative_to_detention() {
                events.push(PlacementEvent::MovedToAlternative { kind: new_kind });
            }
        }
        _ => {}
    }
    Ok(Recorded {
        history: next,
        events,
    })
}

/// [`record`] on a case: refused (409) when the workflow does not allow a change of placement
/// (a closed case), before the fields are looked at; then as [`record`]. The history entry and
/// the audit entries are the workflow's `case_changed` event and `events`.
pub fn record_on_case(
    workflow: &Workflow,
    ctx: &Ctx<'_>,
    history: &[Placement],
    doc: &PlacementDoc,
) -> Result<Recorded, Rejected> {
    workflow.apply(
        &Action::ChangeCase {
            what: CaseChange::Placement,
        },
        ctx,
    )?;
    Ok(record(history, doc, ctx.now.date())?)
}

/// Ends the current placement on `end_date` (a release with no new arrangement known).
pub fn end_current(
    history: &[Placement],
    end_date: &str,
    today: Date,
) -> Result<Recorded, Problems> {
    let mut p = Problems::new();
    let end = required_date(&mut p, "end_date", end_date, today, false);
    let mut next = history.to_vec();
    let was_detained = current_detention(history, today).is_some();
    let Some(cur) = next.iter_mut().find(|p| p.is_current()) else {
        p.push("end_date", "there is no current placement to end");
        return Err(p);
    };
    not_before(
        &mut p,
        "end_date",
        Some(cur.start_date),
        end,
        "the placement's start_date",
    );
    let Some(end) = end.filter(|_| p.is_empty()) else {
        return Err(p);
    };
    cur.end_date = Some(end);
    let mut events = vec![PlacementEvent::Ended { kind: cur.kind }];
    if was_detained {
        events.push(PlacementEvent::DetentionEnded {
            days_detained: last_detention_days(&next, today),
        });
    }
    Ok(Recorded {
        history: next,
        events,
    })
}

/// Checks a whole history (an import, a stored document): each entry's dates, at most one
/// current, no overlaps. Problems are named `placements.i.field`.
pub fn check_history(history: &[Placement], today: Date) -> Problems {
    let mut p = Problems::new();
    for (i, a) in history.iter().enumerate() {
        if a.start_date > today {
            p.push(format!("placements.{i}.start_date"), "is in the future");
        }
        if let Some(e) = a.end_date {
            if e > today {
                p.push(format!("placements.{i}.end_date"), "is in the future");
            }
            if e < a.start_date {
                p.push(format!("placements.{i}.end_date"), "is before start_date");
            }
        }
        if let Some(j) = history[..i].iter().position(|b| b.overlaps(a)) {
            p.push(
                format!("placements.{i}.start_date"),
                format!("overlaps placements.{j}"),
            );
        }
    }
    if history.iter().filter(|a| a.is_current()).count() > 1 {
        p.push(
            "placements",
            "only one placement can be current (without end_date)",
        );
    }
    p
}

/// A continuous stretch in detention: consecutive detention placements (police custody, then
/// immigration detention) count as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetentionSpell {
    #[serde(with = "ymd")]
    pub since: Date,
    /// The last day in detention; `None` while it goes on.
    #[serde(with = "ymd::option")]
    pub until: Option<Date>,
    /// Calendar days in detention, the first and the last (or today) both counted.
    pub days: i64,
    /// Where the child is held now, or was last held.
    pub kind: Arrangement,
}

/// Every detention spell in the history, oldest first.
pub fn detention_spells(history: &[Placement], today: Date) -> Vec<DetentionSpell> {
    let mut sorted: Vec<&Placement> = history.iter().filter(|p| p.kind.is_detention()).collect();
    sorted.sort_by_key(|p| p.start_date);
    let mut spells: Vec<DetentionSpell> = Vec::new();
    for p in sorted {
        match spells.last_mut() {
            Some(s) if s.until.is_some_and(|u| u >= p.start_date) => {
                s.until = p.end_date;
                s.kind = p.kind;
            }
            _ => spells.push(DetentionSpell {
                since: p.start_date,
                until: p.end_date,
                days: 0,
                kind: p.kind,
            }),
        }
    }
    for s in &mut spells {
        let last = s.until.unwrap_or(today).max(s.since);
        s.days = (last - s.since).whole_days() + 1;
    }
    spells
}

/// The detention going on now, if the child's current placement is one.
pub fn current_detention(history: &[Placement], today: Date) -> Option<DetentionSpell> {
    detention_spells(history, today)
        .into_iter()
        .find(|s| s.until.is_none())
}

/// Calendar days the child has spent in detention, all spells together (the detention
/// indicator of commitment 2).
pub fn days_detained(history: &[Placement], today: Date) -> i64 {
    detention_spells(history, today)
        .iter()
        .map(|s| s.days)
        .sum()
}

/// Calendar days of a detention going on since `since`, the first day and today both counted:
/// what an open detention alert shows, counting up, computed when it is read.
pub fn days_detained_since(since: Date, today: Date) -> i64 {
    (today.max(since) - since).whole_days() + 1
}

fn last_detention_days(history: &[Placement], today: Date) -> i64 {
    detention_spells(history, today)
        .last()
        .map_or(0, |s| s.days)
}

wire_enum!(
    /// What an alert is about.
    AlertKind {
        Detention = "detention",
    }
);

/// An open alert for the supervisor, as `GET /api/v1/alerts` lists it. No names: an alert says
/// which case and what, the case says who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub case_id: CaseId,
    pub kind: AlertKind,
    #[serde(with = "ymd")]
    pub since: Date,
    /// For a detention: the days detained so far, counting up.
    pub days: i64,
    /// The placement type that raised it, e.g. `immigration_detention`.
    pub placement_type: Arrangement,
}

/// The open alerts of one case, derived from its placements: a detention alert while the current
/// placement is detention. Derived rather than stored, so it can never disagree with the history.
pub fn alerts(case_id: CaseId, history: &[Placement], today: Date) -> Vec<Alert> {
    current_detention(history, today)
        .map(|s| Alert {
            case_id,
            kind: AlertKind::Detention,
            since: s.since,
            days: s.days,
            placement_type: s.kind,
        })
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::from_json;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn doc(kind: &str, start: &str, end: Option<&str>) -> PlacementDoc {
        PlacementDoc {
            kind: kind.into(),
            start_date: start.into(),
            end_date: end.map(Into::into),
            ..PlacementDoc::default()
        }
    }

    fn paths(p: &Problems) -> Vec<&str> {
        p.errors().iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn the_contract_body_records_a_detention_and_raises_an_alert() {
        let body: PlacementDoc = from_json(json!({
            "type": "immigration_detention", "start_date": "2026-01-05", "place": "Centre A"
        }))
        .unwrap();
        let r = record(&[], &body, TODAY).unwrap();
        assert_eq!(
            r.events,
            [
                PlacementEvent::Placed {
                    kind: Arrangement::ImmigrationDetention
                },
                PlacementEvent::DetentionStarted {
                    kind: Arrangement::ImmigrationDetention
                }
            ]
        );
        let case = CaseId(uuid::Uuid::from_u128(7));
        let a = alerts(case, &r.history, TODAY);
        assert_eq!(a.len(), 1);
        // 5 January to 23 November 2026, both days counted.
        assert_eq!(a[0].days, 323);
        let wire = serde_json::to_value(&a[0]).unwrap();
        assert_eq!(wire["kind"], "detention");
        assert_eq!(wire["case_id"], "00000000-0000-0000-0000-000000000007");
        assert_eq!(wire["since"], "2026-01-05");
    }

    #[test]
    fn moving_to_an_alternative_ends_the_detention_and_resolves_the_alert() {
        let h = record(&[], &doc("police_custody", "2026-10-01", None), TODAY)
            .unwrap()
            .history;
        let h = record(&h, &doc("immigration_detention", "2026-10-03", None), TODAY).unwrap();
        // Custody then detention is one detention: no second alert.
        assert!(
            !h.events
                .iter()
                .any(|e| matches!(e, PlacementEvent::DetentionStarted { .. }))
        );
        let spell = current_detention(&h.history, TODAY).unwrap();
        assert_eq!((spell.since, spell.days), (date!(2026 - 10 - 01), 54));
        let r = record(&h.history, &doc("foster", "2026-11-10", None), TODAY).unwrap();
        assert!(
            r.events
                .contains(&PlacementEvent::DetentionEnded { days_detained: 41 })
        );
        assert!(r.events.contains(&PlacementEvent::MovedToAlternative {
            kind: Arrangement::Foster
        }));
        assert_eq!(r.history[1].end_date, Some(date!(2026 - 11 - 10)));
        assert!(alerts(CaseId(uuid::Uuid::nil()), &r.history, TODAY).is_empty());
        assert_eq!(days_detained(&r.history, TODAY), 41);
        assert!(check_history(&r.history, TODAY).is_empty());
    }

    #[test]
    fn release_to_the_street_ends_detention_but_is_no_alternative() {
        let h = record(
            &[],
            &doc("immigration_detention", "2026-11-01", None),
            TODAY,
        )
        .unwrap()
        .history;
        let r = record(&h, &doc("street", "2026-11-20", None), TODAY).unwrap();
        assert!(
            r.events
                .contains(&PlacementEvent::DetentionEnded { days_detained: 20 })
        );
        assert!(
            !r.events
                .iter()
                .any(|e| matches!(e, PlacementEvent::MovedToAlternative { .. }))
        );
    }

    #[test]
    fn bad_fields_are_each_named() {
        let bad = PlacementDoc {
            kind: "hotel".into(),
            start_date: "2026-12-01".into(),
            end_date: Some("2026-13-01".into()),
            pcode: Some("XX12".into()),
            ..PlacementDoc::default()
        };
        assert_eq!(
            paths(&validate(&bad, TODAY).unwrap_err()),
            ["type", "start_date", "end_date", "pcode"]
        );
        let backwards = doc("foster", "2026-05-01", Some("2026-04-01"));
        assert_eq!(
            paths(&validate(&backwards, TODAY).unwrap_err()),
            ["end_date"]
        );
        assert_eq!(
            paths(&validate(&PlacementDoc::default(), TODAY).unwrap_err()),
            ["type", "start_date"]
        );
        assert!(
            from_json::<PlacementDoc>(
                json!({"type": "foster", "start_date": "2026-01-01", "room": 3})
            )
            .is_err()
        );
    }

    #[test]
    fn the_history_refuses_overlaps_and_moves_back_in_time() {
        let h = record(
            &[],
            &doc("kinship", "2026-03-01", Some("2026-06-01")),
            TODAY,
        )
        .unwrap()
        .history;
        let h = record(&h, &doc("foster", "2026-06-01", None), TODAY)
            .unwrap()
            .history;
        let e = record(
            &h,
            &doc("residential", "2026-05-01", Some("2026-05-20")),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(paths(&e), ["end_date"]);
        let e = record(&h, &doc("residential", "2026-05-01", None), TODAY).unwrap_err();
        assert_eq!(paths(&e), ["start_date"]);
        // A closed stay before everything else fits.
        let r = record(&h, &doc("street", "2026-01-01", Some("2026-03-01")), TODAY).unwrap();
        assert_eq!(r.history[0].kind, Arrangement::Street);
        assert!(r.history.iter().filter(|p| p.is_current()).count() == 1);

        let two_open = vec![
            validate(&doc("foster", "2026-01-01", None), TODAY).unwrap(),
            validate(&doc("kinship", "2026-02-01", None), TODAY).unwrap(),
        ];
        assert_eq!(
            paths(&check_history(&two_open, TODAY)),
            ["placements.1.start_date", "placements"]
        );
    }

    #[test]
    fn a_closed_case_refuses_a_placement_before_reading_it() {
        use crate::casework::workflow::{ApprovalSettings, Stage};
        let settings = ApprovalSettings {
            closure: false,
            ..ApprovalSettings::default()
        };
        let ctx = Ctx {
            actor: crate::ids::UserId(uuid::Uuid::from_u128(1)),
            may_approve: false,
            settings: &settings,
            now: time::macros::datetime!(2026-11-23 10:00 UTC),
            separated_child: false,
        };
        let open = Workflow::new(ctx.now);
        let body = doc("immigration_detention", "2026-01-05", None);
        let r = record_on_case(&open, &ctx, &[], &body).unwrap();
        assert_eq!(r.events[1].audit_name(), "case.detention.started");
        let closed = open
            .apply(
                &Action::Close {
                    reason: "duplicate".into(),
                },
                &ctx,
            )
            .unwrap()
            .next;
        assert_eq!(closed.stage, Stage::Closed);
        match record_on_case(&closed, &ctx, &[], &PlacementDoc::default()) {
            Err(Rejected::Refused(r)) => assert_eq!(r.code, "case_closed"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        match record_on_case(&open, &ctx, &[], &PlacementDoc::default()) {
            Err(Rejected::Invalid(p)) => assert_eq!(paths(&p), ["type", "start_date"]),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn ending_the_current_placement() {
        let h = record(&[], &doc("police_custody", "2026-11-20", None), TODAY)
            .unwrap()
            .history;
        assert_eq!(
            paths(&end_current(&h, "2026-11-19", TODAY).unwrap_err()),
            ["end_date"]
        );
        let r = end_current(&h, "2026-11-21", TODAY).unwrap();
        assert!(
            r.events
                .contains(&PlacementEvent::DetentionEnded { days_detained: 2 })
        );
        assert_eq!(
            paths(&end_current(&r.history, "2026-11-22", TODAY).unwrap_err()),
            ["end_date"]
        );
    }

    #[test]
    fn a_case_documents_placements_read_as_a_history() {
        let case = crate::case::CaseDoc {
            given_name: Some("Amal".into()),
            placements: vec![
                crate::case::Placement {
                    kind: "immigration_detention".into(),
                    start_date: "2026-11-01".into(),
                    ..crate::case::Placement::default()
                },
                crate::case::Placement {
                    kind: "street".into(),
                    start_date: "2026-10-01".into(),
                    end_date: Some("2026-11-01".into()),
                    ..crate::case::Placement::default()
                },
            ],
            ..crate::case::CaseDoc::default()
        };
        let valid = crate::case::validate(case, TODAY).unwrap();
        let h = from_case(&valid.doc.placements);
        assert_eq!(h[0].kind, Arrangement::Street);
        assert!(check_history(&h, TODAY).is_empty());
        assert_eq!(alerts(CaseId(uuid::Uuid::nil()), &h, TODAY)[0].days, 23);
    }

    #[test]
    fn every_care_arrangement_of_a_case_is_a_placement_type() {
        for c in CareArrangement::ALL {
            assert_eq!(Arrangement::from(*c).as_str(), c.as_str());
        }
        assert_eq!(Arrangement::ALL.len(), CareArrangement::ALL.len());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Record {
                kind: usize,
                start: i64,
                length: Option<i64>,
            },
            EndCurrent {
                at: i64,
            },
        }

        fn day(offset: i64) -> String {
            format_date(TODAY - time::Duration::days(offset))
        }

        fn arb_op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => (0..Arrangement::ALL.len(), 0i64..400, prop::option::of(0i64..120))
                    .prop_map(|(kind, start, length)| Op::Record { kind, start, length }),
                1 => (0i64..400).prop_map(|at| Op::EndCurrent { at }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Whatever is recorded in whatever order, the history stays valid and the alert
            /// says exactly whether the child is detained now.
            #[test]
            fn the_history_stays_valid_and_the_alert_follows_detention(
                ops in prop::collection::vec(arb_op(), 1..40)
            ) {
                let mut h: Vec<Placement> = Vec::new();
                for op in ops {
                    let result = match &op {
                        Op::Record { kind, start, length } => {
                            let d = PlacementDoc {
                                kind: Arrangement::ALL[*kind].as_str().into(),
                                start_date: day(*start),
                                // An end after today is refused by validation, as it should be.
                                end_date: length.map(|l| day(start - l)),
                                ..PlacementDoc::default()
                            };
                            record(&h, &d, TODAY)
                        }
                        Op::EndCurrent { at } => end_current(&h, &day(*at), TODAY),
                    };
                    let Ok(r) = result else { continue };
                    let before = current_detention(&h, TODAY).is_some();
                    let problems = check_history(&r.history, TODAY);
                    prop_assert!(problems.is_empty(), "{op:?} broke the history: {problems}");
                    prop_assert!(r.history.windows(2).all(|w| w[0].start_date <= w[1].start_date));
                    let current = r.history.iter().find(|p| p.is_current());
                    let detained = current.is_some_and(|p| p.kind.is_detention());
                    let open_alerts = alerts(CaseId(uuid::Uuid::nil()), &r.history, TODAY);
                    prop_assert_eq!(open_alerts.len(), usize::from(detained));
                    let started = r.events.iter().any(|e| matches!(e, PlacementEvent::DetentionStarted { .. }));
                    let ended = r.events.iter().any(|e| matches!(e, PlacementEvent::DetentionEnded { .. }));
                    prop_assert_eq!(started, !before && detained);
                    prop_assert_eq!(ended, before && !detained);
                    prop_assert!(days_detained(&r.history, TODAY) >= open_alerts.first().map_or(0, |a| a.days));
                    h = r.history;
                }
            }
        }
    }
}
