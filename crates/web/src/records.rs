//! What every record's routes share: ETags and `If-Match`, the JSON response with its headers,
//! list query parsing (filters, `limit`, `cursor`) and history entries.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::Problems;
use haven_domain::history::FieldChange;
use haven_domain::ids::{AgencyId, UserId};
use haven_domain::sensitivity::{self, RecordKind};
use haven_domain::user::Actor;
use haven_store::{HistoryEntry, PageRequest, StoreError};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::ApiError;

/// A record's version as an ETag: `"3"`.
pub fn etag(version: i64) -> HeaderValue {
    // Digits and quotes only: always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A record as `actor` may see it: the fields of classes their role does not see are absent.
/// Every response that carries a record goes through here.
pub fn visible(kind: RecordKind, actor: &Actor, view: impl Serialize) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(view).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise a record view");
        ApiError::Internal
    })?;
    sensitivity::redact(kind, &mut value, actor.sees);
    Ok(value)
}

/// A record's history as `actor` may see it: changes to fields holding anything they may not
/// see are left out.
pub fn visible_history(
    kind: RecordKind,
    actor: &Actor,
    entries: Vec<HistoryEntry>,
) -> Vec<HistoryView> {
    entries
        .into_iter()
        .map(|mut h| {
            h.changes
                .retain(|c| sensitivity::top_field_visible(kind, &c.field, actor.sees));
            HistoryView::from(h)
        })
        .collect()
}

/// The record `view` as `actor` may see it, with its ETag; on creation also
/// `Location: {location}`.
pub fn record_response(
    status: StatusCode,
    kind: RecordKind,
    actor: &Actor,
    version: i64,
    location: &str,
    view: impl Serialize,
) -> Result<Response, ApiError> {
    let body = visible(kind, actor, view)?;
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut().insert(header::ETAG, etag(version));
    if status == StatusCode::CREATED
        && let Ok(l) = HeaderValue::from_str(location)
    {
        resp.headers_mut().insert(header::LOCATION, l);
    }
    Ok(resp)
}

/// A record id from the path. A malformed id cannot name a record: the same answer as an unknown
/// one.
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// The version named by `If-Match`. Missing → 428; `*` is refused too, since it would let a
/// stale edit overwrite someone else's.
pub fn if_match_version(headers: &HeaderMap) -> Result<i64, ApiError> {
    let raw = headers
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?
        .to_str()
        .map_err(|_| bad_if_match())?
        .trim();
    if raw == "*" {
        return Err(ApiError::PreconditionRequired);
    }
    raw.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(bad_if_match)
}

fn bad_if_match() -> ApiError {
    ApiError::BadHeader {
        header: "If-Match",
        problem: "must be the ETag of the record, e.g. \"3\"".into(),
    }
}

/// Parses a list query: `limit` and `cursor` here, every other parameter through `filter`, which
/// returns `false` for a parameter it does not know. Every problem is reported, by parameter.
pub fn parse_list_query(
    query: &str,
    mut filter: impl FnMut(&mut Problems, &str, &str) -> bool,
) -> Result<PageRequest, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::InvalidQuery(Problems::single("", e.to_string())))?;
    let mut params = BTreeMap::new();
    let mut p = Problems::new();
    for (k, v) in pairs {
        if params.insert(k.clone(), v).is_some() {
            p.push(k, "is given more than once");
        }
    }
    let mut page = PageRequest::first(PageRequest::DEFAULT_LIMIT);
    for (key, value) in &params {
        match key.as_str() {
            "limit" => {
                let max = PageRequest::MAX_LIMIT;
                page.limit = field(
                    &mut p,
                    key,
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=max).contains(n))
                        .ok_or_else(|| format!("must be a whole number from 1 to {max}")),
                )
                .unwrap_or(PageRequest::DEFAULT_LIMIT)
            }
            "cursor" => page.after = Some(value.clone()),
            _ => {
                if !filter(&mut p, key, value) {
                    p.push(key.clone(), "is not a known parameter");
                }
            }
        }
    }
    if p.is_empty() {
        Ok(page)
    } else {
        Err(ApiError::InvalidQuery(p))
    }
}

/// The value of a parameter, or its problem noted under its name.
/// The `agency_id` list filter.
pub fn parse_agency_id(raw: &str) -> Result<AgencyId, String> {
    raw.parse().map_err(|_| {
        format!(
            "'{}' is not an agency id",
            raw.chars().take(40).collect::<String>()
        )
    })
}

pub fn field<T>(p: &mut Problems, key: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|e| p.push(key, e)).ok()
}

/// A list's store error: an invalid cursor is a problem with the query, not with a body.
pub fn list_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(p) => ApiError::InvalidQuery(p),
        other => other.into(),
    }
}

/// One version of a record: who changed what, when.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor_id: UserId,
    /// create | update
    pub action: String,
    pub changes: Vec<FieldChange>,
}

impl From<HistoryEntry> for HistoryView {
    fn from(h: HistoryEntry) -> Self {
        Self {
            version: h.version,
            at: h.at,
            actor_id: h.actor_id,
            action: h.action,
            changes: h.changes,
        }
    }
}
