//! The tracing officer's match inbox and the side-by-side review of one pair (a tracing request
//! and a case), with the decisions the pair's state allows. Decisions post to the same store call
//! as the API (`decide_match`), with the pair's version, so a decision taken on a stale page is
//! refused rather than applied.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::access::Permission;
use haven_domain::potential_match::{DecisionDoc, MatchStatus};
use haven_domain::sensitivity::{self, RecordKind};
use haven_domain::user::Actor;
use haven_store::{MatchFilter, StoreError};
use serde_json::Value;

use super::forms::{FieldErrors, FormData};
use super::tracing_requests::{percent, person_name, text};
use super::{Chrome, Posted, UiError, UiUser, html, see_other};
use crate::AppState;
use crate::cases::CaseView;
use crate::error::ApiError;
use crate::records::visible;
use crate::tracing_requests::TracingRequestView;

fn short(id: &impl ToString) -> String {
    let id = id.to_string();
    id[id.len().saturating_sub(8)..].to_string()
}

// ------------------------------------------------------------------------------------------
// The inbox

#[derive(Debug, Default, serde::Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    status: Option<String>,
}

pub struct PairRow {
    pub id: String,
    pub probability: String,
    pub status: String,
    pub request: String,
    pub case: String,
    pub found: String,
}

#[derive(askama::Template)]
#[template(path = "matches.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<PairRow>,
    status: String,
}

/// Proposed pairs (or those of the status asked for), most probable first.
pub async fn inbox(
    State(state): State<AppState>,
    user: UiUser,
    Query(query): Query<InboxQuery>,
) -> Result<Response, UiError> {
    user.require(Permission::MatchReview)?;
    let c = user.chrome(user.lang.t("matches-title"));
    // Proposed by default: what waits for a decision. `?status=` (empty) lists every pair.
    let status = query.status.unwrap_or_else(|| "proposed".into());
    let filter = MatchFilter {
        status: MatchStatus::parse(&status).ok(),
        ..MatchFilter::default()
    };
    let mut pairs = state
        .store
        .potential_matches(&user.actor, &filter)
        .await
        .map_err(|e| user.err(e))?;
    pairs.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let sought = sought_children(&state, &user, &c).await;
    let rows = pairs
        .into_iter()
        .take(200)
        .map(|p| PairRow {
            id: p.id.to_string(),
            probability: percent(&c, p.probability),
            status: c.code("match-status", p.status.as_str()),
            request: sought
                .get(&p.tracing_request_id)
                .cloned()
                .unwrap_or_else(|| format!("…{}", short(&p.tracing_request_id))),
            case: short(&p.case_id),
            found: c.datetime(&p.created_at),
        })
        .collect();
    Ok(html(&InboxPage { c, rows, status }))
}

/// The sought child's name (as the role may see it) of each request in the user's scope, from
/// one listing of the newest requests rather than a read per pair; a pair whose request is not
/// among them shows the request's short id.
async fn sought_children(
    state: &AppState,
    user: &UiUser,
    c: &Chrome,
) -> HashMap<haven_domain::ids::TracingRequestId, String> {
    if !user.actor.permissions.contains(Permission::TracingRead) {
        return HashMap::new();
    }
    let page = haven_store::PageRequest::first(haven_store::PageRequest::MAX_LIMIT);
    let listed = state
        .store
        .list_tracing_requests(&user.actor, &Default::default(), &page)
        .await;
    let Ok(listed) = listed else {
        return HashMap::new();
    };
    listed
        .items
        .into_iter()
        .filter_map(|r| {
            let id = r.id;
            let v = visible(
                RecordKind::TracingRequest,
                &user.actor,
                TracingRequestView::from(r),
            )
            .ok()?;
            Some((id, person_name(c, v.get("child"))?))
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Side by side

/// One compared field: both sides as the user may see them, and what it weighed.
pub struct CompareRow {
    pub label: String,
    pub case: String,
    pub request: String,
    /// agree | partly | disagree | missing, or empty when the field is not compared on its own.
    pub level_code: &'static str,
    pub level: String,
    /// Bits, signed, in the locale's format (the unit is the template's).
    pub weight: String,
    /// For the bar: 0–10, how strong the evidence is (10 bits and more fill it).
    pub strength: u8,
    pub positive: bool,
}

/// A decision the pair's state allows, as a form.
pub struct DecisionForm {
    pub code: &'static str,
    pub label: String,
    pub errors: FieldErrors,
    pub input: FormData,
}

#[derive(askama::Template)]
#[template(path = "match.html")]
struct ReviewPage {
    c: Chrome,
    id: String,
    version: i64,
    status_code: &'static str,
    status: String,
    probability: String,
    case_link: Option<String>,
    request_link: Option<String>,
    rows: Vec<CompareRow>,
    /// What other records say of the pair, and its weight.
    others: Option<(String, String)>,
    forms: Vec<DecisionForm>,
    notice: Option<String>,
    comment: String,
    reunified_on: String,
}

/// The matcher's level labels in four words a reviewer reads at a glance.
pub fn agreement(level: &str) -> &'static str {
    match level {
        "missing" => "missing",
        "different" => "disagree",
        "exact" | "same day" | "same" | "same place" => "agree",
        _ => "partly",
    }
}

/// Whether the role sees the field at `path` of a `kind` of record.
fn sees(kind: RecordKind, actor: &Actor, path: &[&str]) -> bool {
    sensitivity::fields(kind)
        .iter()
        .all(|(p, class)| *p != path || actor.sees.contains(*class))
}

/// A side's value for display: hidden when out of scope or of a class the role does not see.
enum Side<'a> {
    OutOfScope,
    Record(&'a Value),
}

struct Field {
    label: &'static str,
    explained_as: &'static [&'static str],
    case_path: &'static [&'static str],
    request_path: &'static [&'static str],
}

const FIELDS: &[Field] = &[
    Field {
        label: "field-given-name",
        explained_as: &["given_name"],
        case_path: &["given_name"],
        request_path: &["child", "given_name"],
    },
    Field {
        label: "field-family-name",
        explained_as: &["family_name"],
        case_path: &["family_name"],
        request_path: &["child", "family_name"],
    },
    Field {
        label: "match-field-other-names",
        explained_as: &["other_name"],
        case_path: &["other_names"],
        request_path: &["child", "other_names"],
    },
    Field {
        label: "field-father",
        explained_as: &["father_name"],
        case_path: &["family", "*", "given_name"],
        request_path: &["inquirer", "given_name"],
    },
    Field {
        label: "field-mother",
        explained_as: &["mother_name"],
        case_path: &["family", "*", "given_name"],
        request_path: &["inquirer", "given_name"],
    },
    Field {
        label: "field-sex",
        explained_as: &["sex"],
        case_path: &[],
        request_path: &[],
    },
    Field {
        label: "match-birth",
        explained_as: &["date_of_birth", "age"],
        case_path: &["date_of_birth"],
        request_path: &["child", "date_of_birth"],
    },
    Field {
        label: "match-field-nationality",
        explained_as: &["nationality"],
        case_path: &[],
        request_path: &[],
    },
    Field {
        label: "match-field-place",
        explained_as: &["place_code"],
        case_path: &[],
        request_path: &[],
    },
];

fn names(c: &Chrome, v: Option<&Value>) -> String {
    v.and_then(|v| v.get("other_names"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|n| c.name(n))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn place(l: Option<&Value>) -> String {
    l.map(|l| {
        [text(l, "name"), text(l, "pcode")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    })
    .unwrap_or_default()
}

fn birth(c: &Chrome, v: Option<&Value>) -> String {
    let Some(v) = v else { return String::new() };
    let dob = text(v, "date_of_birth");
    if !dob.is_empty() {
        return c.date(dob);
    }
    v.get("estimated_age")
        .and_then(|a| a.get("years"))
        .and_then(Value::as_i64)
        .map(|y| c.tn("match-age", "years", y))
        .unwrap_or_default()
}

/// The case's value of a compared field.
fn case_value(c: &Chrome, label: &str, v: &Value) -> String {
    let parent = |relation: &str| {
        v.get("family")
            .and_then(Value::as_array)
            .and_then(|f| f.iter().find(|m| text(m, "relation") == relation))
            .and_then(|m| person_name(c, Some(m)))
            .unwrap_or_default()
    };
    match label {
        "field-given-name" => c.name(text(v, "given_name")),
        "field-family-name" => c.name(text(v, "family_name")),
        "match-field-other-names" => names(c, Some(v)),
        "field-father" => parent("father"),
        "field-mother" => parent("mother"),
        "field-sex" => c.code("sex", text(v, "sex")),
        "match-birth" => birth(c, Some(v)),
        "match-field-nationality" => text(v, "nationality").to_string(),
        "match-field-place" => place(v.get("location")),
        _ => String::new(),
    }
}

/// The request's value of a compared field: the sought child's, and the inquirer's name as the
/// parent's when a mother or father asks (as the matcher compares them).
fn request_value(c: &Chrome, label: &str, v: &Value) -> String {
    let child = v.get("child");
    let ch = |key: &str| child.map(|x| text(x, key)).unwrap_or("");
    let inquirer = v.get("inquirer");
    let parent = |relation: &str| {
        inquirer
            .filter(|i| text(i, "relation") == relation)
            .and_then(|i| person_name(c, Some(i)))
            .unwrap_or_default()
    };
    match label {
        "field-given-name" => c.name(ch("given_name")),
        "field-family-name" => c.name(ch("family_name")),
        "match-field-other-names" => names(c, child),
        "field-father" => parent("father"),
        "field-mother" => parent("mother"),
        "field-sex" => c.code("sex", ch("sex")),
        "match-birth" => birth(c, child),
        "match-field-nationality" => ch("nationality").to_string(),
        "match-field-place" => place(v.get("separation").and_then(|s| s.get("place"))),
        _ => String::new(),
    }
}

fn side(v: Option<&Value>) -> Side<'_> {
    v.map_or(Side::OutOfScope, Side::Record)
}

fn shown(
    c: &Chrome,
    side: Side<'_>,
    visible: bool,
    value: impl FnOnce(&Value) -> String,
) -> String {
    match side {
        Side::OutOfScope => c.t("match-hidden-scope"),
        Side::Record(_) if !visible => c.t("match-hidden-class"),
        Side::Record(v) => {
            let s = value(v);
            if s.is_empty() { "—".into() } else { s }
        }
    }
}

fn compare_rows(
    c: &Chrome,
    actor: &Actor,
    case: Option<&Value>,
    request: Option<&Value>,
    explanation: &[haven_matching::FieldWeight],
) -> Vec<CompareRow> {
    let weights: HashMap<&str, &haven_matching::FieldWeight> =
        explanation.iter().map(|w| (w.field.as_str(), w)).collect();
    FIELDS
        .iter()
        .map(|f| {
            let case_shown = shown(
                c,
                side(case),
                sees(RecordKind::Case, actor, f.case_path),
                |v| case_value(c, f.label, v),
            );
            let request_shown = shown(
                c,
                side(request),
                sees(RecordKind::TracingRequest, actor, f.request_path),
                |v| request_value(c, f.label, v),
            );
            let w = f.explained_as.iter().find_map(|k| weights.get(k));
            let (level_code, level, weight, strength, positive) = match w {
                Some(w) => {
                    let code = agreement(&w.level);
                    (
                        code,
                        c.code("agreement", code),
                        c.lang.signed(w.weight),
                        (w.weight.abs().round().min(10.0)) as u8,
                        w.weight >= 0.0,
                    )
                }
                // Other names are weighed with the given name (as alternatives to it).
                None => ("", c.t("match-with-given-name"), String::new(), 0, true),
            };
            CompareRow {
                label: c.t(f.label),
                case: case_shown,
                request: request_shown,
                level_code,
                level,
                weight,
                strength,
                positive,
            }
        })
        .collect()
}

/// What other records say of the pair, in words, and its weight (never which record: it may be
/// outside the reviewer's scope).
fn other_records(
    c: &Chrome,
    explanation: &[haven_matching::FieldWeight],
) -> Option<(String, String)> {
    explanation
        .iter()
        .find(|w| w.field == haven_matching::OTHER_RECORDS)
        .map(|w| {
            let key = if w.weight < 0.0 {
                "match-other-rival"
            } else {
                "match-other-chain"
            };
            (c.t(key), c.lang.signed(w.weight))
        })
}

async fn render_review(
    state: &AppState,
    user: &UiUser,
    id: uuid::Uuid,
    failed: Option<(String, FormData, FieldErrors)>,
    notice: Option<String>,
) -> Result<Response, UiError> {
    let detail = state
        .store
        .potential_match(&user.actor, id)
        .await
        .map_err(|e| user.err(e))?
        .ok_or_else(|| user.err(ApiError::NotFound))?;
    let today = state.store.clock().today();
    let case = detail
        .case
        .map(|r| visible(RecordKind::Case, &user.actor, CaseView::new(r, today)))
        .transpose()
        .map_err(|e| user.err(e))?;
    let request = detail
        .request
        .map(|r| {
            visible(
                RecordKind::TracingRequest,
                &user.actor,
                TracingRequestView::from(r),
            )
        })
        .transpose()
        .map_err(|e| user.err(e))?;
    let pair = detail.pair;
    let c = user.chrome(user.lang.t("match-title"));
    let rows = compare_rows(
        &c,
        &user.actor,
        case.as_ref(),
        request.as_ref(),
        &pair.explanation,
    );
    let mut failed = failed;
    let forms = pair
        .status
        .allowed()
        .iter()
        .map(|d| {
            let code = d.as_str();
            let (input, errors) = match failed.take() {
                Some((f, input, errors)) if f == code => (input, errors),
                other => {
                    failed = other;
                    (FormData::default(), FieldErrors::default())
                }
            };
            DecisionForm {
                code,
                label: c.code("decision", code),
                errors,
                input,
            }
        })
        .collect::<Vec<_>>();
    let refused = notice.is_some() || forms.iter().any(|f| !f.errors.is_empty());
    let others = other_records(&c, &pair.explanation);
    let page = ReviewPage {
        id: pair.id.to_string(),
        version: pair.version,
        status_code: pair.status.as_str(),
        status: c.code("match-status", pair.status.as_str()),
        probability: percent(&c, pair.probability),
        case_link: case.as_ref().map(|_| format!("/cases/{}", pair.case_id)),
        request_link: request
            .as_ref()
            .map(|_| format!("/tracing/{}", pair.tracing_request_id)),
        rows,
        others,
        forms,
        notice,
        comment: pair.comment.unwrap_or_default(),
        reunified_on: pair
            .reunified_on
            .map(|d| c.lang.date(d))
            .unwrap_or_default(),
        c,
    };
    let mut resp = html(&page);
    if refused {
        *resp.status_mut() = if page.notice.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
    }
    Ok(resp)
}

pub async fn review(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    user.require(Permission::MatchReview)?;
    let id: uuid::Uuid = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    render_review(&state, &user, id, None, None).await
}

/// Confirms, rejects or reunifies, as `POST /api/v1/matches/{id}/decision` does.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { user, form } = posted;
    user.require(Permission::MatchReview)?;
    let id: uuid::Uuid = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    let code = form.get("decision").to_string();
    let doc = DecisionDoc {
        decision: code.clone(),
        comment: form.opt("comment"),
        reunified_on: form.opt("reunified_on"),
    };
    let version: i64 = form.get("version").parse().unwrap_or(0);
    match state
        .store
        .decide_match(&user.actor, id, version, &doc)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/matches/{id}"))),
        Err(StoreError::Invalid(p)) => {
            let fields: &[(&str, &str)] = &[
                ("decision", "decision"),
                ("comment", "comment"),
                ("reunified_on", "reunified_on"),
            ];
            let errors = FieldErrors::from_problems(user.lang, &p, fields);
            render_review(&state, &user, id, Some((code, form, errors)), None).await
        }
        Err(StoreError::Conflict { .. }) => {
            let notice = user.lang.t("match-stale");
            render_review(&state, &user, id, None, Some(notice)).await
        }
        Err(StoreError::Refused { .. }) => {
            let notice = user.lang.t("match-refused");
            render_review(&state, &user, id, None, Some(notice)).await
        }
        Err(StoreError::ConsentRequired(_)) => {
            let notice = user.lang.t("error-consent");
            render_review(&state, &user, id, None, Some(notice)).await
        }
        Err(e) => Err(user.err(e)),
    }
}

#[cfg(test)]
mod tests {
    use haven_domain::access::{FieldClassSet, PermissionSet, ScopeLevel};
    use haven_domain::ids::{AgencyId, UserId};
    use serde_json::json;

    use super::*;
    use crate::ui::Lang;

    fn actor(sees: FieldClassSet) -> Actor {
        Actor {
            user_id: UserId::new_random(),
            agency_id: AgencyId::new_random(),
            role: "reviewer".into(),
            permissions: PermissionSet::all(),
            scope: ScopeLevel::Agency,
            sees,
        }
    }

    fn weight(field: &str, level: &str, weight: f64) -> haven_matching::FieldWeight {
        haven_matching::FieldWeight {
            field: field.into(),
            level: level.into(),
            weight,
            record: None,
        }
    }

    #[test]
    fn what_other_records_say_reads_as_a_sentence_with_its_weight() {
        let c = Chrome::public(Lang::En, "match-title", "/");
        let own = [weight("given_name", "exact", 6.84)];
        assert_eq!(other_records(&c, &own), None);
        let rival = [
            own[0].clone(),
            weight(haven_matching::OTHER_RECORDS, "fits better", -8.8),
        ];
        let (text, w) = other_records(&c, &rival).unwrap();
        assert!(text.starts_with("Another record fits one of these two better"));
        assert!(w.contains("8.8") && !w.contains('+'), "{w}");
        let chain = [weight(haven_matching::OTHER_RECORDS, "links both", 7.2)];
        let (text, _) = other_records(&c, &chain).unwrap();
        assert!(text.contains("same child as both"), "{text}");
    }

    #[test]
    fn every_matcher_level_reads_as_one_of_four_words() {
        assert_eq!(agreement("exact"), "agree");
        assert_eq!(agreement("same day"), "agree");
        assert_eq!(agreement("same place"), "agree");
        assert_eq!(agreement("same consonants, other vowels"), "partly");
        assert_eq!(agreement("within three years"), "partly");
        assert_eq!(agreement("different"), "disagree");
        assert_eq!(agreement("missing"), "missing");
    }

    #[test]
    fn a_side_out_of_scope_or_a_class_not_seen_shows_as_hidden_never_as_its_value() {
        let c = Chrome::public(Lang::En, "match-title", "/");
        let case =
            json!({"given_name": "Secretname", "sex": "female", "date_of_birth": "2014-03-09"});
        let request = json!({"child": {"given_name": "Amina", "sex": "female"}});
        let explained = [
            weight("given_name", "exact", 6.84),
            weight("sex", "different", -2.0),
        ];
        // A role that sees no identifying fields: names and dates hidden, sex shown.
        let rows = compare_rows(
            &c,
            &actor(FieldClassSet::NONE),
            Some(&case),
            Some(&request),
            &explained,
        );
        let given = &rows[0];
        assert_eq!(given.case, "hidden");
        assert_eq!(given.request, "hidden");
        assert_eq!(
            (given.level.as_str(), given.weight.as_str()),
            ("agree", "+6.8")
        );
        assert_eq!(rows[5].case, "female");
        assert_eq!((rows[5].level_code, rows[5].positive), ("disagree", false));
        assert_eq!(rows[5].weight, "\u{2212}2.0");
        // The whole case outside the scope.
        let rows = compare_rows(
            &c,
            &actor(FieldClassSet::all()),
            None,
            Some(&request),
            &explained,
        );
        assert!(rows.iter().all(|r| r.case == "hidden: outside your scope"));
        assert_eq!(rows[0].request, "Amina");
    }
}
