//! Tracing requests: the list, filing a request for a relative, and a request's page with the
//! pairs the matcher proposed for it. Reads and writes are the store's, with the user's actor;
//! what is shown is the redacted view the API returns.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use haven_domain::Problems;
use haven_domain::access::Permission;
use haven_domain::case::{EstimatedAge, Location};
use haven_domain::ids::TracingRequestId;
use haven_domain::sensitivity::RecordKind;
use haven_domain::tracing_request::{
    Inquirer, RequestStatus, SeparationEvent, SoughtChild, TracingRequestDoc,
};
use haven_store::{MatchFilter, PageRequest, StoreError, TracingRequestFilter};
use serde_json::Value;

use super::forms::{FieldErrors, FormData};
use super::{Chrome, Posted, UiError, UiUser, html, see_other};
use crate::AppState;
use crate::error::ApiError;
use crate::records::visible;
use crate::tracing_requests::TracingRequestView;

pub const RELATIONS: &[&str] = &[
    "mother",
    "father",
    "sibling",
    "grandparent",
    "aunt_uncle",
    "cousin",
    "step_parent",
    "spouse",
    "child",
    "other_relative",
    "other",
];

pub const CIRCUMSTANCES: &[&str] = &[
    "conflict",
    "flight",
    "disaster",
    "detention",
    "deportation",
    "trafficking",
    "lost_in_transit",
    "other",
];

pub(super) fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `given family` of a person object as the role may see it, as written and in Latin letters;
/// `None` when no name is visible.
pub(super) fn person_name(c: &Chrome, v: Option<&Value>) -> Option<String> {
    let v = v?;
    let name = [text(v, "given_name"), text(v, "family_name")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then(|| c.name(&name))
}

/// A probability as a whole percentage in the locale's digits. A calibrated probability is
/// never certainty, so one that rounds to 100 reads "> 99 %".
pub(super) fn percent(c: &Chrome, p: f64) -> String {
    let whole = (p * 100.0).round() as i64;
    if whole >= 100 && p < 1.0 {
        format!("> {} %", c.number(99))
    } else {
        format!("{} %", c.number(whole))
    }
}

// ------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: Option<String>,
}

pub struct RequestRow {
    pub id: String,
    pub child: String,
    pub inquirer: String,
    pub status: String,
    pub filed: String,
}

#[derive(askama::Template)]
#[template(path = "tracing.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<RequestRow>,
    status: String,
    next: Option<String>,
    can_file: bool,
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    user.require(Permission::TracingRead)?;
    let c = user.chrome(user.lang.t("tracing-title"));
    let filter = TracingRequestFilter {
        status: RequestStatus::parse(&query.status).ok(),
        ..TracingRequestFilter::default()
    };
    let mut page = PageRequest::first(PageRequest::DEFAULT_LIMIT);
    page.after = query.cursor.clone();
    let result = state
        .store
        .list_tracing_requests(&user.actor, &filter, &page)
        .await
        .map_err(|e| user.err(crate::records::list_error(e)))?;
    let mut rows = Vec::new();
    for rec in result.items {
        let v = visible(
            RecordKind::TracingRequest,
            &user.actor,
            TracingRequestView::from(rec),
        )
        .map_err(|e| user.err(e))?;
        let inquirer = v.get("inquirer");
        rows.push(RequestRow {
            id: text(&v, "id").to_string(),
            child: person_name(&c, v.get("child")).unwrap_or_else(|| c.t("name-hidden")),
            inquirer: format!(
                "{} · {}",
                person_name(&c, inquirer).unwrap_or_else(|| c.t("name-hidden")),
                c.code(
                    "relation",
                    inquirer.map(|i| text(i, "relation")).unwrap_or("")
                )
            ),
            status: c.code("status", text(&v, "status")),
            filed: c.date(text(&v, "date_of_inquiry")),
        });
    }
    Ok(html(&ListPage {
        can_file: user.actor.permissions.contains(Permission::TracingCreate),
        c,
        rows,
        status: query.status,
        next: result.next,
    }))
}

// ------------------------------------------------------------------------------------------
// Filing a request

/// What the request form holds, as typed.
#[derive(Debug, Default)]
pub struct RequestForm {
    pub inquirer_given_name: String,
    pub inquirer_family_name: String,
    pub relation: String,
    pub contact: String,
    pub given_name: String,
    pub family_name: String,
    pub other_names: String,
    pub sex: String,
    pub date_of_birth: String,
    pub estimated_age: String,
    pub nationality: String,
    pub separation_date: String,
    pub separation_pcode: String,
    pub separation_place: String,
    pub circumstances: Vec<String>,
}

impl RequestForm {
    fn from(f: &FormData) -> Self {
        let g = |n: &str| f.get(n).trim().to_string();
        Self {
            inquirer_given_name: g("inquirer_given_name"),
            inquirer_family_name: g("inquirer_family_name"),
            relation: g("relation"),
            contact: g("contact"),
            given_name: g("given_name"),
            family_name: g("family_name"),
            other_names: g("other_names"),
            sex: g("sex"),
            date_of_birth: g("date_of_birth"),
            estimated_age: g("estimated_age"),
            nationality: g("nationality"),
            separation_date: g("separation_date"),
            separation_pcode: g("separation_pcode"),
            separation_place: g("separation_place"),
            circumstances: f.all("circumstances"),
        }
    }

    /// Whether a circumstance box was ticked (to keep it ticked on error).
    pub fn ticked(&self, code: &&str) -> bool {
        self.circumstances.iter().any(|c| c == code)
    }

    /// The request document, and the problems the form itself sees (an age that is no number).
    fn doc(&self) -> (TracingRequestDoc, Problems) {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let mut p = Problems::new();
        let estimated_age = match self.estimated_age.as_str() {
            "" => None,
            raw => match raw.parse::<u32>() {
                Ok(years) => Some(EstimatedAge {
                    years,
                    estimated_on: None,
                }),
                Err(_) => {
                    p.push("child.estimated_age", "must be a whole number");
                    None
                }
            },
        };
        let place =
            (!self.separation_pcode.is_empty() || !self.separation_place.is_empty()).then(|| {
                Location {
                    pcode: opt(&self.separation_pcode.to_uppercase()),
                    name: opt(&self.separation_place),
                }
            });
        let doc = TracingRequestDoc {
            inquirer: Inquirer {
                given_name: opt(&self.inquirer_given_name),
                family_name: opt(&self.inquirer_family_name),
                relation: self.relation.clone(),
                contact: opt(&self.contact),
                ..Inquirer::default()
            },
            child: SoughtChild {
                given_name: opt(&self.given_name),
                family_name: opt(&self.family_name),
                other_names: self
                    .other_names
                    .split([',', '،'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                sex: opt(&self.sex),
                date_of_birth: opt(&self.date_of_birth),
                estimated_age,
                nationality: opt(&self.nationality).map(|n| n.to_uppercase()),
                languages: Vec::new(),
            },
            separation: SeparationEvent {
                date: opt(&self.separation_date),
                place,
                circumstances: self.circumstances.clone(),
            },
            date_of_inquiry: None,
        };
        (doc, p)
    }
}

/// Store field paths → the request form's fields.
const REQUEST_FIELDS: &[(&str, &str)] = &[
    ("inquirer", "inquirer_given_name"),
    ("inquirer.given_name", "inquirer_given_name"),
    ("inquirer.family_name", "inquirer_family_name"),
    ("inquirer.relation", "relation"),
    ("inquirer.contact", "contact"),
    ("child", "given_name"),
    ("child.given_name", "given_name"),
    ("child.family_name", "family_name"),
    ("child.other_names", "other_names"),
    ("child.sex", "sex"),
    ("child.date_of_birth", "date_of_birth"),
    ("child.estimated_age", "estimated_age"),
    ("child.nationality", "nationality"),
    ("separation.date", "separation_date"),
    ("separation.place", "separation_pcode"),
    ("separation.place.name", "separation_place"),
    ("separation.circumstances", "circumstances"),
];

#[derive(askama::Template)]
#[template(path = "tracing_new.html")]
struct NewRequestPage {
    c: Chrome,
    f: RequestForm,
    errors: FieldErrors,
    relations: &'static [&'static str],
    circumstances: &'static [&'static str],
}

fn form_page(user: &UiUser, f: RequestForm, errors: FieldErrors) -> Response {
    let failed = !errors.is_empty();
    let mut resp = html(&NewRequestPage {
        c: user.chrome(user.lang.t("tracing-new-title")),
        f,
        errors,
        relations: RELATIONS,
        circumstances: CIRCUMSTANCES,
    });
    if failed {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

pub async fn new_page(user: UiUser) -> Result<Response, UiError> {
    user.require(Permission::TracingCreate)?;
    Ok(form_page(
        &user,
        RequestForm::default(),
        FieldErrors::default(),
    ))
}

pub async fn create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let user = posted.user;
    user.require(Permission::TracingCreate)?;
    let f = RequestForm::from(&posted.form);
    let (doc, mut problems) = f.doc();
    let result = if problems.is_empty() {
        state.store.create_tracing_request(&user.actor, doc).await
    } else {
        // The rest is checked too (by the domain's rules, writing nothing): every problem at once.
        if let Err(more) = haven_domain::tracing_request::validate(doc, state.store.clock().today())
        {
            for e in more.into_errors() {
                problems.push(e.path, e.problem);
            }
        }
        Err(StoreError::Invalid(problems))
    };
    match result {
        Ok(rec) => Ok(see_other(&format!("/tracing/{}", rec.id))),
        Err(StoreError::Invalid(p)) => {
            let errors = FieldErrors::from_problems(user.lang, &p, REQUEST_FIELDS);
            Ok(form_page(&user, f, errors))
        }
        Err(e) => Err(user.err(e)),
    }
}

// ------------------------------------------------------------------------------------------
// A request's page

pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct PairRow {
    pub id: String,
    pub probability: String,
    pub status: String,
    pub found: String,
}

#[derive(askama::Template)]
#[template(path = "tracing_request.html")]
struct RequestPage {
    c: Chrome,
    inquirer: Vec<Fact>,
    child: Vec<Fact>,
    separation: Vec<Fact>,
    /// `None` when the user may not review pairs.
    pairs: Option<Vec<PairRow>>,
}

pub async fn view(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    user.require(Permission::TracingRead)?;
    let id: TracingRequestId = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    let rec = state
        .store
        .get_tracing_request(&user.actor, id)
        .await
        .map_err(|e| user.err(e))?
        .ok_or_else(|| user.err(ApiError::NotFound))?;
    let v = visible(
        RecordKind::TracingRequest,
        &user.actor,
        TracingRequestView::from(rec),
    )
    .map_err(|e| user.err(e))?;
    let c0 = user.chrome(String::new());
    let title = person_name(&c0, v.get("child")).unwrap_or_else(|| c0.t("name-hidden"));
    let c = user.chrome(title);
    let fact = |label: &str, value: String| Fact {
        label: c.t(label),
        value,
    };
    let empty = Value::Null;
    let i = v.get("inquirer").unwrap_or(&empty);
    let ch = v.get("child").unwrap_or(&empty);
    let s = v.get("separation").unwrap_or(&empty);
    let names = |x: &Value| -> String {
        x.get("other_names")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|n| c.name(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let mut inquirer = vec![
        fact(
            "field-name",
            person_name(&c, Some(i)).unwrap_or_else(|| c.t("name-hidden")),
        ),
        fact("field-relation", c.code("relation", text(i, "relation"))),
        fact("field-contact", text(i, "contact").to_string()),
        fact("field-status", c.code("status", text(&v, "status"))),
        fact("field-date-of-inquiry", c.date(text(&v, "date_of_inquiry"))),
    ];
    let age = ch
        .get("estimated_age")
        .and_then(|a| a.get("years"))
        .and_then(Value::as_i64)
        .map(|a| c.number(a))
        .unwrap_or_default();
    let mut child = vec![
        fact(
            "field-name",
            person_name(&c, Some(ch)).unwrap_or_else(|| c.t("name-hidden")),
        ),
        fact("field-other-names", names(ch)),
        fact("field-sex", c.code("sex", text(ch, "sex"))),
        fact("field-date-of-birth", c.date(text(ch, "date_of_birth"))),
        fact("field-estimated-age", age),
        fact("field-nationality", text(ch, "nationality").to_string()),
    ];
    let place = s
        .get("place")
        .map(|l| {
            [text(l, "name"), text(l, "pcode")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default();
    let circumstances = s
        .get("circumstances")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|x| c.code("circumstance", x))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let mut separation = vec![
        fact("field-separation-date", c.date(text(s, "date"))),
        fact("field-place", place),
        fact("field-circumstances", circumstances),
    ];
    for facts in [&mut inquirer, &mut child, &mut separation] {
        facts.retain(|f| !f.value.is_empty());
    }
    let pairs = if user.actor.permissions.contains(Permission::MatchReview) {
        let filter = MatchFilter {
            tracing_request_id: Some(id),
            ..MatchFilter::default()
        };
        let found = state
            .store
            .potential_matches(&user.actor, &filter)
            .await
            .map_err(|e| user.err(e))?;
        Some(
            found
                .into_iter()
                .map(|p| PairRow {
                    id: p.id.to_string(),
                    probability: percent(&c, p.probability),
                    status: c.code("match-status", p.status.as_str()),
                    found: c.datetime(&p.created_at),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(html(&RequestPage {
        c,
        inquirer,
        child,
        separation,
        pairs,
    }))
}
