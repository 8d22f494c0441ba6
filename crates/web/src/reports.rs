//! Reports on the six commitments and the commitments tracker (issue 7):
//!
//! - `GET /api/v1/indicators`: the catalogue.
//! - `GET /api/v1/reports/{area}?from=&to=&by=sex,age;nationality&indicator=&threshold=&format=`:
//!   suppressed aggregates over the caller's scope. Without `format` it is JSON for a screen
//!   (`report.view`); with `format=csv|hxl|xlsx|json` it is a download (`report.export`, which
//!   needs that permission) with a file name.
//! - `GET/POST /api/v1/pledges`, `GET/PATCH /api/v1/pledges/{id}`: pledges with their progress
//!   computed when read from the indicator's current value.
//!
//! The handlers hold no rules: parameters are parsed by `haven_report::query` (every problem
//! named by parameter → 422), facts come from the store (scoped and audited there), the numbers
//! from `haven_report::compute`, which suppresses every cell before anything leaves it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::Problems;
use haven_domain::access::Permission;
use haven_domain::dates::{format_date, parse_date};
use haven_domain::policy::authorize;
use haven_domain::problems::from_json;
use haven_domain::user::Actor;
use haven_report::catalogue::CATALOGUE;
use haven_report::query::{self, Ask};
use haven_report::tracker::{self, Progress};
use haven_report::{Facts, Format, Report, Request, Settings, compute};
use haven_store::{PledgeDoc, PledgeRecord, ReportPurpose};
use serde::Serialize;
use time::Date;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::records::{etag, if_match_version, path_id};

/// The indicator catalogue: code, name, area, kind, unit, definition, numerator, denominator,
/// source fields.
pub async fn indicators(_user: CurrentUser) -> Response {
    Json(serde_json::json!({ "indicators": CATALOGUE })).into_response()
}

/// The parameters of a report, as the query string gives them.
fn report_query(
    raw: Option<&str>,
    today: Date,
) -> Result<(BTreeMap<String, String>, Date, Date), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::InvalidQuery(Problems::single("", e.to_string())))?;
    let mut params = BTreeMap::new();
    let mut p = Problems::new();
    for (k, v) in pairs {
        if !["from", "to", "by", "indicator", "threshold", "format"].contains(&k.as_str()) {
            p.push(
                k,
                "is not a report parameter: use from, to, by, indicator, threshold, format",
            );
        } else if params.insert(k.clone(), v).is_some() {
            p.push(k, "is given more than once");
        }
    }
    let mut date = |key: &str, default: Date| match params.get(key) {
        None => Some(default),
        Some(v) => parse_date(v).map_err(|e| p.push(key, e)).ok(),
    };
    let to = date("to", today);
    let from = date(
        "from",
        to.and_then(|t| Date::from_calendar_date(t.year(), time::Month::January, 1).ok())
            .unwrap_or(today),
    );
    match (from, to, p.is_empty()) {
        (Some(f), Some(t), true) => Ok((params, f, t)),
        _ => Err(ApiError::Validation(p)),
    }
}

fn problems(list: Vec<(&'static str, String)>) -> ApiError {
    let mut p = Problems::new();
    for (field, problem) in list {
        p.push(field, problem);
    }
    ApiError::Validation(p)
}

/// The deployment's report settings, with the response time from the casework settings.
pub fn settings(state: &AppState) -> Settings {
    let mut s = state.config.reports.clone();
    s.high_risk_assessment_hours = state.config.casework.tasks.high.assessment_within_hours;
    s
}

/// Computes off the async threads: a large caseload keeps a core busy for a while.
async fn run(facts: Facts, request: Request, settings: Settings) -> Result<Report, ApiError> {
    tokio::task::spawn_blocking(move || compute(&facts, &request, &settings))
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(|e| problems(vec![(query::field_of(&e), e.to_string())]))
}

/// Suppressed aggregates of one commitment area over the caller's scope.
pub async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(area): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    // The permission first: a caller who may not read reports learns nothing from a 422.
    authorize(&user.actor, Permission::ReportRead).map_err(haven_store::StoreError::from)?;
    let today = state.store.clock().today();
    let (params, from, to) = report_query(raw.as_deref(), today)?;
    let format = params
        .get("format")
        .map(|f| Format::parse(f).map_err(|e| problems(vec![("format", e.to_string())])))
        .transpose()?;
    let threshold = params
        .get("threshold")
        .map(|t| {
            t.trim()
                .parse::<i64>()
                .map_err(|_| problems(vec![("threshold", format!("'{t}' is not a whole number"))]))
        })
        .transpose()?;
    let ask = Ask {
        area: &area,
        indicator: params.get("indicator").map(String::as_str),
        from,
        to,
        by: params.get("by").map_or("", String::as_str),
        threshold,
    };
    let report = report_for(
        &state,
        &user.actor,
        &ask,
        params.get("format").map(String::as_str),
    )
    .await?;
    let Some(format) = format else {
        return Ok(no_store(Json(report).into_response()));
    };
    let mut body = Vec::new();
    format
        .write(&report, &mut body)
        .map_err(|_| ApiError::Internal)?;
    let (mime, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Hxl => ("text/csv; charset=utf-8", "hxl.csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Format::Json => ("application/json", "json"),
    };
    let name = format!(
        "haven-area{}-{}-{}.{ext}",
        report.tables.first().map_or(0, |t| t.area),
        format_date(from),
        format_date(to)
    );
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(no_store(resp))
}

/// The report `ask` asks for over `actor`'s scope, audited as a view: for pages (the
/// dashboard) that draw it with `haven_report::chart`. Bad parameters are a 422 naming each.
pub async fn view_report(
    state: &AppState,
    actor: &Actor,
    ask: &Ask<'_>,
) -> Result<Report, ApiError> {
    report_for(state, actor, ask, None).await
}

/// Parses, reads the facts (scoped and audited by the store: an export when `format` is
/// given) and computes.
async fn report_for(
    state: &AppState,
    actor: &Actor,
    ask: &Ask<'_>,
    format: Option<&str>,
) -> Result<Report, ApiError> {
    let (request, settings) = query::parse(ask, &settings(state)).map_err(problems)?;
    let purpose = ReportPurpose {
        export: format.is_some(),
        area: request.indicators.first().map(|i| i.area.number()),
        indicators: request
            .indicators
            .iter()
            .map(|i| i.code.to_string())
            .collect(),
        from: Some(ask.from),
        to: Some(ask.to),
        tables: request
            .tables
            .iter()
            .map(|t| t.iter().map(|d| d.name()).collect::<Vec<_>>().join(","))
            .collect(),
        format: format.map(str::to_string),
    };
    let facts = state.store.report_facts(Some(actor), &purpose).await?;
    run(facts, request, settings).await
}

/// Aggregates are still data about children: never kept by a browser or a proxy.
fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

// --- Pledges -------------------------------------------------------------------------------------

/// A pledge with where it stands.
#[derive(Debug, Serialize)]
pub struct PledgeView {
    pub id: uuid::Uuid,
    pub version: i64,
    pub agency_id: haven_domain::ids::AgencyId,
    pub created_by: haven_domain::ids::UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
    #[serde(flatten)]
    pub doc: PledgeDoc,
    pub progress: ProgressView,
}

/// The indicator's current value over the caller's scope and the status it gives; `current`
/// and `status` are null when the value is suppressed (a small count cannot be shown, even here).
#[derive(Debug, Serialize)]
pub struct ProgressView {
    /// The window the current value was read over (the 365 days ending today).
    pub from: String,
    pub to: String,
    pub current: Option<f64>,
    pub suppressed: bool,
    #[serde(flatten)]
    pub progress: Option<Progress>,
}

/// The current values of `codes`, computed once over the caller's scope (one audited read).
pub(crate) async fn current_values(
    state: &AppState,
    actor: &Actor,
    codes: &[&str],
) -> Result<(Date, Date, Report), ApiError> {
    let today = state.store.clock().today();
    let (from, to) = tracker::current_window(today);
    let mut indicators = Vec::new();
    for c in codes {
        if let Ok(i) = haven_report::indicator(c)
            && !indicators
                .iter()
                .any(|x: &&haven_report::IndicatorDef| x.code == i.code)
        {
            indicators.push(i);
        }
    }
    let request =
        Request::new(from, to, indicators.clone(), vec![]).map_err(|_| ApiError::Internal)?;
    let purpose = ReportPurpose {
        indicators: indicators.iter().map(|i| i.code.to_string()).collect(),
        from: Some(from),
        to: Some(to),
        tables: vec!["pledge progress".into()],
        ..ReportPurpose::default()
    };
    let facts = state.store.report_facts(Some(actor), &purpose).await?;
    let report = run(facts, request, settings(state)).await?;
    Ok((from, to, report))
}

fn view(rec: PledgeRecord, from: Date, to: Date, report: &Report) -> Result<PledgeView, ApiError> {
    let pledge = rec.pledge()?;
    let current = tracker::headline(report, &rec.doc.indicator);
    Ok(PledgeView {
        id: rec.id,
        version: rec.version,
        agency_id: rec.agency_id,
        created_by: rec.created_by,
        created_at: rec.created_at,
        updated_at: rec.updated_at,
        progress: ProgressView {
            from: format_date(from),
            to: format_date(to),
            current,
            suppressed: current.is_none(),
            progress: current.map(|c| tracker::progress(&pledge, c, to)),
        },
        doc: rec.doc,
    })
}

async fn pledge_response(
    state: &AppState,
    actor: &Actor,
    status: StatusCode,
    rec: PledgeRecord,
) -> Result<Response, ApiError> {
    let (from, to, report) = current_values(state, actor, &[rec.doc.indicator.as_str()]).await?;
    let (version, id) = (rec.version, rec.id);
    let mut resp = (status, Json(view(rec, from, to, &report)?)).into_response();
    resp.headers_mut().insert(header::ETAG, etag(version));
    if status == StatusCode::CREATED
        && let Ok(l) = HeaderValue::from_str(&format!("/api/v1/pledges/{id}"))
    {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    Ok(no_store(resp))
}

/// Every pledge, with its progress over the caller's scope.
pub async fn list_pledges(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, ApiError> {
    let pledges = state.store.pledges(&user.actor).await?;
    if pledges.is_empty() {
        return Ok(no_store(
            Json(serde_json::json!({ "items": [] })).into_response(),
        ));
    }
    let codes: Vec<&str> = pledges.iter().map(|p| p.doc.indicator.as_str()).collect();
    let (from, to, report) = current_values(&state, &user.actor, &codes).await?;
    let items = pledges
        .into_iter()
        .map(|p| view(p, from, to, &report))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(no_store(
        Json(serde_json::json!({ "items": items })).into_response(),
    ))
}

/// Records a pledge (needs `pledge.manage`).
pub async fn create_pledge(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    authorize(&user.actor, Permission::PledgeManage).map_err(haven_store::StoreError::from)?;
    let doc: PledgeDoc = from_json(body)?;
    let rec = state.store.create_pledge(&user.actor, doc).await?;
    pledge_response(&state, &user.actor, StatusCode::CREATED, rec).await
}

/// One pledge with its progress.
pub async fn get_pledge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = state
        .store
        .get_pledge(&user.actor, path_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    pledge_response(&state, &user.actor, StatusCode::OK, rec).await
}

/// Changes a pledge with a JSON merge patch under `If-Match`.
pub async fn update_pledge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody,
) -> Result<Response, ApiError> {
    authorize(&user.actor, Permission::PledgeManage).map_err(haven_store::StoreError::from)?;
    let version = if_match_version(&headers)?;
    let rec = state
        .store
        .update_pledge(&user.actor, path_id(&id)?, version, &patch)
        .await?;
    pledge_response(&state, &user.actor, StatusCode::OK, rec).await
}
