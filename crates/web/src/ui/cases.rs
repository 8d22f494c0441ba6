//! Home (tasks and alerts), the case list, registering a child, and the case page with its
//! workflow actions and placements. Reads and writes are the store's, with the user's actor;
//! what is shown is the redacted view the API returns.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use haven_domain::Problems;
use haven_domain::access::Permission;
use haven_domain::case::{CaseDoc, CaseStatus, EstimatedAge, Location, RiskLevel};
use haven_domain::casework::placement::{self, PlacementDoc};
use haven_domain::casework::workflow::{ActionKind, Stage};
use haven_domain::ids::CaseId;
use haven_domain::sensitivity::RecordKind;
use haven_store::{CaseFilter, CaseWork, PageRequest, StoreError};
use serde_json::{Value, json};

use super::forms::{FieldErrors, FormData};
use super::{Chrome, Posted, UiError, UiUser, html, see_other};
use crate::AppState;
use crate::cases::CaseView;
use crate::error::ApiError;
use crate::records::visible;

// ------------------------------------------------------------------------------------------
// Home

pub struct TaskRow {
    pub case_id: String,
    pub case_short: String,
    pub kind: String,
    pub about: String,
    pub due: String,
    pub overdue: bool,
}

pub struct AlertRow {
    pub kind: String,
    pub detention: bool,
    pub case_id: Option<String>,
    pub days: Option<i64>,
    pub raised: String,
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    alerts: Vec<AlertRow>,
    overdue: Vec<TaskRow>,
    tasks: Vec<TaskRow>,
}

/// A case's id cut short for lists: its last characters, the random part of a UUIDv7 (the first
/// ones are the creation time, shared by cases registered together).
fn short(id: &impl ToString) -> String {
    let id = id.to_string();
    id[id.len().saturating_sub(8)..].to_string()
}

pub async fn home(State(state): State<AppState>, user: UiUser) -> Result<Response, UiError> {
    let c = user.chrome(user.lang.t("home-title"));
    let mut alerts = state
        .store
        .alerts(&user.actor)
        .await
        .map_err(|e| user.err(e))?;
    // Detention first: a child locked up is the most urgent thing on the page.
    alerts.sort_by_key(|a| (a.kind != "detention", std::cmp::Reverse(a.raised_at)));
    let today = state.store.clock().today();
    let alerts = alerts
        .into_iter()
        .map(|a| {
            let case_id = (a.record_type.as_deref() == Some("case"))
                .then_some(a.record_id)
                .flatten()
                .map(|id| id.to_string());
            let days = (a.kind == "detention")
                .then(|| a.details.get("since").and_then(Value::as_str))
                .flatten()
                .and_then(|s| haven_domain::dates::parse_date(s).ok())
                .map(|since| placement::days_detained_since(since, today));
            AlertRow {
                kind: c.code("alert", &a.kind),
                detention: a.kind == "detention",
                case_id,
                days,
                raised: c.datetime(&a.raised_at),
            }
        })
        .collect();
    let tasks = if user.actor.permissions.contains(Permission::CaseRead) {
        state
            .store
            .tasks(&user.actor, &state.config.casework, false)
            .await
            .map_err(|e| user.err(e))?
    } else {
        Vec::new()
    };
    let (overdue, tasks): (Vec<_>, Vec<_>) = tasks
        .into_iter()
        .map(|t| TaskRow {
            case_id: t.case_id.to_string(),
            case_short: short(&t.case_id),
            kind: c.code("task", t.task.kind.as_str()),
            about: t
                .task
                .about
                .as_deref()
                .map(|a| c.code("subject", a))
                .unwrap_or_default(),
            due: c.datetime(&t.task.due),
            overdue: t.task.overdue,
        })
        .partition(|t| t.overdue);
    Ok(html(&HomePage {
        c,
        alerts,
        overdue,
        tasks,
    }))
}

// ------------------------------------------------------------------------------------------
// Case list

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    risk: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: Option<String>,
}

pub struct CaseRow {
    pub id: String,
    pub name: String,
    pub age: String,
    pub sex: String,
    pub risk: String,
    pub risk_code: String,
    pub status: String,
    pub registered: String,
}

#[derive(askama::Template)]
#[template(path = "cases.html")]
struct CaseListPage {
    c: Chrome,
    rows: Vec<CaseRow>,
    status: String,
    risk: String,
    q: String,
    next: Option<String>,
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The child's name as the role may see it, as written and in Latin letters.
fn display_name(c: &Chrome, v: &Value) -> String {
    let name = [text(v, "given_name"), text(v, "family_name")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        c.t("name-hidden")
    } else {
        c.name(&name)
    }
}

fn case_row(c: &Chrome, v: &Value) -> CaseRow {
    CaseRow {
        id: text(v, "id").to_string(),
        name: display_name(c, v),
        age: v
            .get("age")
            .and_then(Value::as_i64)
            .map(|a| c.number(a))
            .unwrap_or_default(),
        sex: c.code("sex", text(v, "sex")),
        risk: c.code("risk", text(v, "risk_level")),
        risk_code: text(v, "risk_level").to_string(),
        status: c.code("status", text(v, "status")),
        registered: c.date(text(v, "registration_date")),
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: UiUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    user.require(Permission::CaseRead)?;
    let c = user.chrome(user.lang.t("cases-title"));
    let mut filter = CaseFilter {
        status: CaseStatus::parse(&query.status).ok(),
        risk_level: RiskLevel::parse(&query.risk).ok(),
        ..CaseFilter::default()
    };
    let q = query.q.trim().to_string();
    // Names in any script or spelling, through the matcher's in-memory index (in scope).
    if !q.is_empty() {
        filter.name = Some(q.chars().take(200).collect());
    }
    let mut page = PageRequest::first(PageRequest::DEFAULT_LIMIT);
    page.after = query.cursor.clone();
    let result = state
        .store
        .list_cases(&user.actor, &filter, &page)
        .await
        .map_err(|e| user.err(crate::records::list_error(e)))?;
    let today = state.store.clock().today();
    let mut rows = Vec::new();
    for rec in result.items {
        let v = visible(RecordKind::Case, &user.actor, CaseView::new(rec, today))
            .map_err(|e| user.err(e))?;
        rows.push(case_row(&c, &v));
        if rows.len() == PageRequest::DEFAULT_LIMIT as usize {
            break;
        }
    }
    Ok(html(&CaseListPage {
        c,
        rows,
        status: query.status,
        risk: query.risk,
        q,
        next: result.next,
    }))
}

// ------------------------------------------------------------------------------------------
// Register a child

/// What the register form holds, as typed.
#[derive(Debug, Default)]
pub struct CaseForm {
    pub given_name: String,
    pub family_name: String,
    pub other_names: String,
    pub sex: String,
    pub date_of_birth: String,
    pub estimated_age: String,
    pub nationality: String,
    pub languages: String,
    pub separation_status: String,
    pub risk_level: String,
    pub location_pcode: String,
    pub location_name: String,
    pub registration_date: String,
}

impl CaseForm {
    fn from(f: &FormData) -> Self {
        let g = |n: &str| f.get(n).trim().to_string();
        Self {
            given_name: g("given_name"),
            family_name: g("family_name"),
            other_names: g("other_names"),
            sex: g("sex"),
            date_of_birth: g("date_of_birth"),
            estimated_age: g("estimated_age"),
            nationality: g("nationality"),
            languages: g("languages"),
            separation_status: g("separation_status"),
            risk_level: g("risk_level"),
            location_pcode: g("location_pcode"),
            location_name: g("location_name"),
            registration_date: g("registration_date"),
        }
    }

    /// The case document, and the problems the form itself sees (a number that is not one).
    fn doc(&self) -> (CaseDoc, Problems) {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let list = |s: &str| {
            s.split([',', '،'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        };
        let mut p = Problems::new();
        let estimated_age = match self.estimated_age.as_str() {
            "" => None,
            raw => match raw.parse::<u32>() {
                Ok(years) => Some(EstimatedAge {
                    years,
                    estimated_on: None,
                }),
                Err(_) => {
                    p.push("estimated_age", "must be a whole number");
                    None
                }
            },
        };
        let location =
            (!self.location_pcode.is_empty() || !self.location_name.is_empty()).then(|| Location {
                pcode: opt(&self.location_pcode),
                name: opt(&self.location_name),
            });
        let doc = CaseDoc {
            given_name: opt(&self.given_name),
            family_name: opt(&self.family_name),
            other_names: list(&self.other_names),
            sex: opt(&self.sex),
            date_of_birth: opt(&self.date_of_birth),
            estimated_age,
            nationality: opt(&self.nationality).map(|n| n.to_uppercase()),
            languages: list(&self.languages),
            separation_status: opt(&self.separation_status),
            risk_level: opt(&self.risk_level),
            location,
            registration_date: opt(&self.registration_date),
            ..CaseDoc::default()
        };
        (doc, p)
    }
}

/// Store field paths → the register form's fields.
const CASE_FIELDS: &[(&str, &str)] = &[
    ("given_name", "given_name"),
    ("family_name", "family_name"),
    ("other_names", "other_names"),
    ("sex", "sex"),
    ("date_of_birth", "date_of_birth"),
    ("estimated_age", "estimated_age"),
    ("nationality", "nationality"),
    ("languages", "languages"),
    ("separation_status", "separation_status"),
    ("risk_level", "risk_level"),
    ("location", "location_pcode"),
    ("location.name", "location_name"),
    ("registration_date", "registration_date"),
];

/// A possible duplicate of the child being registered.
pub struct DuplicateHint {
    pub case_id: String,
    pub name: String,
    pub score: String,
}

/// The children already registered (in the user's scope) who may be the one being registered,
/// as the matcher sees them. A failed check never blocks a registration: it is logged.
async fn possible_duplicates(state: &AppState, user: &UiUser, doc: &CaseDoc) -> Vec<DuplicateHint> {
    let found = match state.store.possible_duplicates(&user.actor, doc).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "duplicate check failed");
            return Vec::new();
        }
    };
    let c = user.chrome(String::new());
    let today = state.store.clock().today();
    found
        .into_iter()
        .filter_map(|d| {
            let v = visible(RecordKind::Case, &user.actor, CaseView::new(d.case, today)).ok()?;
            Some(DuplicateHint {
                case_id: text(&v, "id").to_string(),
                name: display_name(&c, &v),
                score: format!("{} %", c.number((d.probability * 100.0).round() as i64)),
            })
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    c: Chrome,
    f: CaseForm,
    errors: FieldErrors,
    duplicates: Vec<DuplicateHint>,
}

pub async fn new_page(user: UiUser) -> Result<Response, UiError> {
    user.require(Permission::CaseCreate)?;
    Ok(html(&NewCasePage {
        c: user.chrome(user.lang.t("register-title")),
        f: CaseForm::default(),
        errors: FieldErrors::default(),
        duplicates: Vec::new(),
    }))
}

pub async fn create(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let user = posted.user;
    user.require(Permission::CaseCreate)?;
    let f = CaseForm::from(&posted.form);
    let (doc, mut problems) = f.doc();
    let result = if problems.is_empty() {
        {
            let duplicates = possible_duplicates(&state, &user, &doc).await;
            if !duplicates.is_empty() && posted.form.get("confirm_new").is_empty() {
                return Ok(html(&NewCasePage {
                    c: user.chrome(user.lang.t("register-title")),
                    f,
                    errors: FieldErrors::default(),
                    duplicates,
                }));
            }
            state.store.create_case(&user.actor, doc).await
        }
    } else {
        // The rest of the form is checked too (by the domain's rules, writing nothing), so
        // every problem shows at once.
        if let Err(more) = haven_domain::case::validate(doc, state.store.clock().today()) {
            for e in more.into_errors() {
                problems.push(e.path, e.problem);
            }
        }
        Err(StoreError::Invalid(problems))
    };
    match result {
        Ok(rec) => Ok(see_other(&format!("/cases/{}", rec.id))),
        Err(StoreError::Invalid(p)) => {
            let errors = FieldErrors::from_problems(user.lang, &p, CASE_FIELDS);
            let mut resp = html(&NewCasePage {
                c: user.chrome(user.lang.t("register-title")),
                f,
                errors,
                duplicates: Vec::new(),
            });
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(user.err(e)),
    }
}

// ------------------------------------------------------------------------------------------
// The case page

pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct Row {
    pub cells: Vec<String>,
    pub alert: bool,
}

/// A workflow action the case's state allows now, as a form.
pub struct ActionForm {
    pub code: &'static str,
    pub label: String,
    /// The subject an approval concerns (hidden), when the action needs one.
    pub subject: String,
    pub errors: FieldErrors,
    pub input: FormData,
}

pub struct Choice {
    pub code: String,
    pub label: String,
}

#[derive(askama::Template)]
#[template(path = "case.html")]
struct CasePage {
    c: Chrome,
    id: String,
    version: i64,
    name: String,
    stage: String,
    pending: String,
    facts: Vec<Fact>,
    family: Vec<Row>,
    placements: Vec<Row>,
    days_detained: i64,
    in_detention: bool,
    services: Vec<Row>,
    items: Vec<Row>,
    incidents: Vec<Row>,
    consents: Vec<Row>,
    documents: Vec<Row>,
    flags: Vec<Row>,
    timeline: Vec<Row>,
    actions: Vec<ActionForm>,
    can_place: bool,
    placement_kinds: Vec<Choice>,
    closure_reasons: Vec<Choice>,
    placement_errors: FieldErrors,
    placement_input: FormData,
    can_consent: bool,
    consent_errors: FieldErrors,
    consent_input: FormData,
}

/// Which form failed, for re-rendering it with its input and problems.
enum Failed {
    None,
    Action(String, FormData, FieldErrors),
    Placement(FormData, FieldErrors),
    Consent(FormData, FieldErrors),
}

pub async fn view(
    State(state): State<AppState>,
    user: UiUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    user.require(Permission::CaseRead)?;
    render_case(&state, &user, &id, Failed::None).await
}

const PLACEMENT_KINDS: &[&str] = &[
    "parents",
    "kinship",
    "foster",
    "kafala",
    "residential",
    "supported_independent_living",
    "child_headed_household",
    "unrelated_adult",
    "immigration_detention",
    "police_custody",
    "street",
    "other",
];

/// The actions offered as forms; the BID panel (a list of members) is left to the API.
fn offered(kind: ActionKind) -> bool {
    !matches!(kind, ActionKind::ConveneBidPanel | ActionKind::ChangeCase)
}

async fn render_case(
    state: &AppState,
    user: &UiUser,
    raw_id: &str,
    failed: Failed,
) -> Result<Response, UiError> {
    let id: CaseId = raw_id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    let actor = &user.actor;
    let store = &state.store;
    let work: CaseWork = store
        .case_work(actor, id)
        .await
        .map_err(|e| user.err(e))?
        .ok_or_else(|| user.err(ApiError::NotFound))?;
    let today = store.clock().today();
    let now = store.clock().now();
    let settings = &state.config.casework;
    let allowed = haven_store::casework::allowed_actions(actor, &work, settings, now);
    let stage = work.workflow.stage;
    let pending = work.workflow.pending_approval();
    let version = work.case.version;
    let history = placement::from_case(&work.case.doc.placements);
    let days_detained = placement::days_detained(&history, today);
    let in_detention = placement::current_detention(&history, today).is_some();
    let v = visible(RecordKind::Case, actor, CaseView::new(work.case, today))
        .map_err(|e| user.err(e))?;
    let items = store
        .case_items(actor, id)
        .await
        .map_err(|e| user.err(e))?
        .unwrap_or_default();
    let timeline = store
        .case_timeline(actor, id)
        .await
        .map_err(|e| user.err(e))?
        .unwrap_or_default();
    let consents = store
        .consents(actor, id)
        .await
        .map_err(|e| user.err(e))?
        .unwrap_or_default();

    let c = user.chrome(display_name(&user.chrome(String::new()), &v));
    let fact = |label: &str, value: String| Fact {
        label: c.t(label),
        value,
    };
    let age = v.get("age").and_then(Value::as_i64);
    let mut facts = vec![
        fact("field-status", c.code("status", text(&v, "status"))),
        fact("field-stage", c.code("stage", stage.as_str())),
        fact("field-sex", c.code("sex", text(&v, "sex"))),
        fact(
            "field-age",
            age.map(|a| c.number(a)).unwrap_or_else(|| "—".into()),
        ),
        fact("field-date-of-birth", c.date(text(&v, "date_of_birth"))),
        fact("field-nationality", text(&v, "nationality").to_string()),
        fact(
            "field-separation-status",
            c.code("separation", text(&v, "separation_status")),
        ),
        fact("field-risk-level", c.code("risk", text(&v, "risk_level"))),
        fact(
            "field-registration-date",
            c.date(text(&v, "registration_date")),
        ),
    ];
    if let Some(loc) = v.get("location") {
        let place = [text(loc, "name"), text(loc, "pcode")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        facts.push(fact("field-location", place));
    }
    let other: Vec<String> = v
        .get("other_names")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|n| c.name(n))
                .collect()
        })
        .unwrap_or_default();
    if !other.is_empty() {
        facts.push(fact("field-other-names", other.join(", ")));
    }
    facts.retain(|f| !f.value.is_empty());

    let arr = |key: &str| -> Vec<Value> {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let yes_no = |b: Option<bool>| match b {
        Some(true) => c.t("yes"),
        Some(false) => c.t("no"),
        None => c.t("unknown"),
    };
    let family = arr("family")
        .iter()
        .map(|m| Row {
            cells: vec![
                c.code("relation", text(m, "relation")),
                display_name(&c, m),
                yes_no(m.get("is_alive").and_then(Value::as_bool)),
                yes_no(m.get("is_caregiver").and_then(Value::as_bool)),
                text(m, "contact").to_string(),
            ],
            alert: false,
        })
        .collect();
    let placements = arr("placements")
        .iter()
        .map(|p| {
            let kind = text(p, "type");
            Row {
                cells: vec![
                    c.code("placement", kind),
                    [text(p, "place"), text(p, "pcode")]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · "),
                    c.date(text(p, "start_date")),
                    p.get("end_date")
                        .and_then(Value::as_str)
                        .map(|d| c.date(d))
                        .unwrap_or_else(|| c.t("placement-current")),
                ],
                alert: matches!(kind, "immigration_detention" | "police_custody"),
            }
        })
        .collect();
    let services = arr("services")
        .iter()
        .map(|s| Row {
            cells: vec![
                c.code("service", text(s, "type")),
                c.code("service-status", text(s, "status")),
                text(s, "provider").to_string(),
                c.date(text(s, "referred_on")),
            ],
            alert: false,
        })
        .collect();
    let documents = v
        .get("legal_identity")
        .and_then(|l| l.get("documents"))
        .and_then(Value::as_array)
        .map(|docs| {
            docs.iter()
                .map(|d| Row {
                    cells: vec![
                        text(d, "type").replace('_', " "),
                        text(d, "number").to_string(),
                        text(d, "issuing_country").to_string(),
                        c.date(text(d, "expires_on")),
                    ],
                    alert: false,
                })
                .collect()
        })
        .unwrap_or_default();

    let (mut referrals, mut incidents, mut flags) = (Vec::new(), Vec::new(), Vec::new());
    for item in items {
        let iv = crate::casework::item_view(actor, item);
        let b = &iv.body;
        let row = |what: String| Row {
            cells: vec![
                c.datetime(&iv.created_at),
                what,
                c.code("item-status", &iv.status),
            ],
            alert: b.get("urgent").and_then(Value::as_bool) == Some(true),
        };
        match iv.kind {
            "referral" | "transfer" => referrals.push(row(format!(
                "{}: {}",
                c.code("item", iv.kind),
                c.code("service", text(b, "service"))
            ))),
            "incident" => incidents.push(row(text(b, "type").replace('_', " "))),
            "flag" => flags.push(row(text(b, "reason").replace('_', " "))),
            _ => {}
        }
    }
    let consents = consents
        .into_iter()
        .map(|k| Row {
            cells: vec![
                c.code("basis", k.record.basis.as_str()),
                k.record
                    .purposes
                    .iter()
                    .map(|p| c.code("purpose", p.as_str()))
                    .collect::<Vec<_>>()
                    .join(", "),
                c.lang.date(k.record.given_on),
                k.record
                    .withdrawn_on
                    .map(|d| c.lang.date(d))
                    .unwrap_or_default(),
            ],
            alert: k.record.withdrawn_on.is_some(),
        })
        .collect();
    let timeline = timeline
        .into_iter()
        .rev()
        .take(50)
        .map(|t| {
            let visible = crate::records::visible_history(RecordKind::Case, actor, vec![t.entry]);
            let fields = visible
                .first()
                .map(|h| {
                    h.changes
                        .iter()
                        .map(|ch| ch.field.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let (at, action) = visible
                .first()
                .map(|h| (c.datetime(&h.at), h.action.clone()))
                .unwrap_or_default();
            Row {
                cells: vec![
                    at,
                    format!(
                        "{} · {}",
                        c.code("item", &t.record_type),
                        c.code("action", &action)
                    ),
                    fields,
                ],
                alert: false,
            }
        })
        .collect();

    let (mut consent_input, mut consent_errors) = (FormData::default(), FieldErrors::default());
    let (failed_action, placement_input, placement_errors) = match failed {
        Failed::None => (None, FormData::default(), FieldErrors::default()),
        Failed::Action(code, input, errors) => (
            Some((code, input, errors)),
            FormData::default(),
            FieldErrors::default(),
        ),
        Failed::Placement(input, errors) => (None, input, errors),
        Failed::Consent(input, errors) => {
            (consent_input, consent_errors) = (input, errors);
            (None, FormData::default(), FieldErrors::default())
        }
    };
    let mut failed_action = failed_action;
    let actions = allowed
        .into_iter()
        .filter(|k| offered(*k))
        .map(|k| {
            let subject = match k {
                ActionKind::Approve | ActionKind::Reject => {
                    pending.map(|s| s.as_str()).unwrap_or("")
                }
                ActionKind::RequestApproval => match stage {
                    Stage::Assessment => "assessment",
                    _ => "case_plan",
                },
                _ => "",
            };
            let (input, errors) = match failed_action.take() {
                Some((code, input, errors)) if code == k.as_str() => (input, errors),
                other => {
                    failed_action = other;
                    (FormData::default(), FieldErrors::default())
                }
            };
            ActionForm {
                code: k.as_str(),
                label: c.code("action", k.as_str()),
                subject: subject.to_string(),
                errors,
                input,
            }
        })
        .collect();
    let can_place = actor.permissions.contains(Permission::CaseUpdate) && stage != Stage::Closed;
    let choices = |codes: &mut dyn Iterator<Item = String>, prefix: &str| -> Vec<Choice> {
        codes
            .map(|code| Choice {
                label: c.code(prefix, &code),
                code,
            })
            .collect()
    };
    let placement_kinds = choices(
        &mut PLACEMENT_KINDS.iter().map(|s| s.to_string()),
        "placement",
    );
    let closure_reasons = choices(
        &mut haven_domain::casework::codes::list(haven_domain::casework::codes::CLOSURE_REASONS)
            .map(|l| l.codes.iter().map(|c| c.code.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter(),
        "closure",
    );
    let page = CasePage {
        name: c.title.clone(),
        id: id.to_string(),
        version,
        stage: c.code("stage", stage.as_str()),
        pending: pending
            .map(|s| c.code("subject", s.as_str()))
            .unwrap_or_default(),
        facts,
        family,
        placements,
        days_detained,
        in_detention,
        services,
        items: referrals,
        incidents,
        consents,
        documents,
        flags,
        timeline,
        actions,
        can_place,
        placement_kinds,
        closure_reasons,
        placement_errors,
        placement_input,
        can_consent: actor.permissions.contains(Permission::CaseUpdate) && stage != Stage::Closed,
        consent_errors,
        consent_input,
        c,
    };
    let failed = !page.placement_errors.is_empty()
        || !page.consent_errors.is_empty()
        || page.actions.iter().any(|a| !a.errors.is_empty());
    let mut resp = html(&page);
    if failed {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The fields each action's form posts, as the API's JSON names them.
fn action_json(code: &str, f: &FormData) -> Value {
    let mut body = json!({ "action": code });
    let fields: &[&str] = match code {
        "start_assessment" => &["kind"],
        "complete_assessment" => &["completed_on", "summary"],
        "request_approval" | "approve" => &["subject"],
        "reject" => &["subject", "comment"],
        "record_follow_up" => &["on", "note"],
        "record_bid_decision" => &["outcome", "decided_on", "review_on", "summary"],
        "request_closure" | "close" | "reopen" => &["reason"],
        "complete_plan_action" => &["done_on"],
        _ => &[],
    };
    for name in fields {
        if let Some(v) = f.opt(name) {
            body[*name] = Value::String(v);
        } else if matches!(
            *name,
            "kind"
                | "subject"
                | "comment"
                | "reason"
                | "on"
                | "completed_on"
                | "done_on"
                | "outcome"
                | "decided_on"
                | "review_on"
        ) {
            // Required fields go as empty text, so the domain names them as required.
            body[*name] = Value::String(String::new());
        }
    }
    match code {
        "set_case_plan" => {
            body["goals"] = json!([{
                "goal": f.get("goal").trim(),
                "actions": [{
                    "action": f.get("plan_action").trim(),
                    "responsible": f.get("responsible").trim(),
                    "due": f.get("due").trim(),
                }],
            }]);
        }
        "complete_plan_action" => {
            body["goal"] = json!(f.get("goal").trim().parse::<usize>().unwrap_or(0));
            body["plan_action"] = json!(f.get("plan_action").trim().parse::<usize>().unwrap_or(0));
        }
        _ => {}
    }
    body
}

/// Where a form may send the user back to after it succeeds (never elsewhere).
fn back_to(f: &FormData, case: &str) -> String {
    match f.get("back") {
        "/approvals" => "/approvals".into(),
        _ => format!("/cases/{case}"),
    }
}

/// A workflow action, as `POST /api/v1/cases/{id}/workflow` applies it.
pub async fn workflow(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { user, form } = posted;
    user.require(Permission::CaseRead)?;
    let case: CaseId = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    let version: i64 = form.get("version").parse().unwrap_or(0);
    let code = form.get("action").to_string();
    let result = match haven_domain::casework::workflow::action_from_json(action_json(&code, &form))
    {
        Ok(action) => {
            state
                .store
                .apply_workflow(&user.actor, case, version, action, &state.config.casework)
                .await
        }
        Err(p) => Err(StoreError::Invalid(p)),
    };
    match result {
        Ok(_) => Ok(see_other(&back_to(&form, &id))),
        Err(StoreError::Invalid(p)) => {
            let fields: &[(&str, &str)] = &[
                ("kind", "kind"),
                ("completed_on", "completed_on"),
                ("summary", "summary"),
                ("subject", "subject"),
                ("comment", "comment"),
                ("goals.0.goal", "goal"),
                ("goals", "goal"),
                ("goals.0.actions.0.action", "plan_action"),
                ("goals.0.actions.0.responsible", "responsible"),
                ("goals.0.actions.0.due", "due"),
                ("on", "on"),
                ("note", "note"),
                ("reason", "reason"),
                ("outcome", "outcome"),
                ("decided_on", "decided_on"),
                ("review_on", "review_on"),
                ("done_on", "done_on"),
            ];
            let errors = FieldErrors::from_problems(user.lang, &p, fields);
            render_case(&state, &user, &id, Failed::Action(code, form, errors)).await
        }
        Err(e) => Err(user.err(e)),
    }
}

/// A care arrangement, as `POST /api/v1/cases/{id}/placements` records it.
pub async fn placement(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { user, form } = posted;
    user.require(Permission::CaseUpdate)?;
    let case: CaseId = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    let doc = PlacementDoc {
        kind: form.get("type").trim().to_string(),
        start_date: form.get("start_date").trim().to_string(),
        end_date: form.opt("end_date"),
        place: form.opt("place"),
        pcode: form.opt("pcode"),
        provider: form.opt("provider"),
    };
    let expected = form.get("version").parse::<i64>().ok();
    match state
        .store
        .record_placement(&user.actor, case, expected, doc, &state.config.casework)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}"))),
        Err(StoreError::Invalid(p)) => {
            let fields: &[(&str, &str)] = &[
                ("type", "type"),
                ("start_date", "start_date"),
                ("end_date", "end_date"),
                ("place", "place"),
                ("pcode", "pcode"),
                ("provider", "provider"),
            ];
            let errors = FieldErrors::from_problems(user.lang, &p, fields);
            render_case(&state, &user, &id, Failed::Placement(form, errors)).await
        }
        Err(e) => Err(user.err(e)),
    }
}

/// Consent (or another basis) for using the child's data, as `POST /api/v1/cases/{id}/consents`
/// records it; the domain's rules (who may consent for a child under 13) answer by the field.
pub async fn consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { user, form } = posted;
    user.require(Permission::CaseUpdate)?;
    let case: CaseId = id.parse().map_err(|_| user.err(ApiError::NotFound))?;
    let doc = haven_domain::consent::ConsentDoc {
        basis: form.get("basis").trim().to_string(),
        purposes: form.all("purposes"),
        recipients: form.all("recipients"),
        given_by: form.opt("given_by"),
        given_by_name: form.opt("given_by_name"),
        given_on: form.opt("given_on"),
        notes: form.opt("notes"),
    };
    match state.store.record_consent(&user.actor, case, doc).await {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#consent"))),
        Err(StoreError::Invalid(p)) => {
            let fields: &[(&str, &str)] = &[
                ("basis", "basis"),
                ("purposes", "purposes"),
                ("recipients", "recipients"),
                ("given_by", "given_by"),
                ("given_by_name", "given_by_name"),
                ("given_on", "given_on"),
                ("notes", "notes"),
            ];
            let errors = FieldErrors::from_problems(user.lang, &p, fields);
            render_case(&state, &user, &id, Failed::Consent(form, errors)).await
        }
        Err(e) => Err(user.err(e)),
    }
}
