//! API errors: a stable snake_case code the UI can translate, a message in English, and the
//! fields concerned: `{"error": code, "message": text, "fields": [{"path", "problem"}]}`.

use std::any::Any;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::{FieldError, Problems};
use haven_store::StoreError;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `validation_failed`, `precondition_failed`.
    pub error: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

/// The body of a 409 refusal: an action the record's state does not allow now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefusalBody {
    /// Stable snake_case reason code, e.g. `approval_required`, `case_closed`, `own_request`.
    pub error: String,
    pub message: String,
    /// The actions that are allowed now instead.
    pub allowed: Vec<String>,
}

#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    InvalidCredentials,
    NotFound,
    /// Values that break the rules, each with its field.
    Validation(Problems),
    /// A body that is not JSON at all.
    InvalidJson(String),
    /// Query parameters that cannot be used.
    InvalidQuery(Problems),
    UnsupportedMediaType,
    PayloadTooLarge,
    PreconditionRequired,
    PreconditionFailed {
        current: i64,
    },
    BadHeader {
        header: &'static str,
        problem: String,
    },
    Conflict(String),
    /// An action the record's state does not allow (409 with the allowed actions).
    Refused(RefusalBody),
    /// What the caller lacks, in words fit to show them.
    Forbidden(String),
    /// Signed in with a password; the second factor (`pending`) or its setup (`enrol`) is due.
    MfaRequired(&'static str),
    /// A state-changing request on a session without the session's CSRF token.
    CsrfFailed,
    /// The second factor given is wrong or already used.
    InvalidCode,
    /// Too many failed logins: the account is locked for a while.
    AccountLocked {
        retry_after: i64,
    },
    /// Too many requests from one address.
    RateLimited,
    /// The use needs a consent (or other basis) the case does not have.
    ConsentRequired(String),
    Unavailable,
    Internal,
}

impl ApiError {
    fn parts(self) -> (StatusCode, &'static str, String, Vec<FieldError>) {
        use ApiError::*;
        match self {
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in or send an API token".into(),
                vec![],
            ),
            InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the e-mail or the password is wrong".into(),
                vec![],
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource".into(),
                vec![],
            ),
            Validation(p) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("the input has {} problem(s): {p}", p.errors().len()),
                p.into_errors(),
            ),
            InvalidJson(detail) => (
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON: {detail}"),
                vec![],
            ),
            InvalidQuery(p) => (
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("the query has {} problem(s): {p}", p.errors().len()),
                p.into_errors(),
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json".into(),
                vec![],
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the body is larger than this server accepts".into(),
                vec![],
            ),
            PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "send If-Match with the ETag of the version you are changing".into(),
                vec![FieldError {
                    path: "If-Match".into(),
                    problem: "is required".into(),
                }],
            ),
            PreconditionFailed { current } => (
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                format!(
                    "the record has changed since you read it (it is now at version {current}); \
                     read it again and reapply your change"
                ),
                vec![],
            ),
            BadHeader { header, problem } => (
                StatusCode::BAD_REQUEST,
                "invalid_header",
                format!("{header} {problem}"),
                vec![FieldError {
                    path: header.into(),
                    problem,
                }],
            ),
            Refused(body) => (StatusCode::CONFLICT, "refused", body.message, vec![]),
            Conflict(what) => (
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} is already taken"),
                vec![],
            ),
            Forbidden(why) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("not permitted: {why}"),
                vec![],
            ),
            MfaRequired(state) => (
                StatusCode::UNAUTHORIZED,
                if state == "enrol" {
                    "mfa_enrolment_required"
                } else {
                    "mfa_required"
                },
                if state == "enrol" {
                    "your role needs a second factor: set one up at /api/v1/auth/totp/setup".into()
                } else {
                    "give the code from your authenticator app at /api/v1/auth/totp".into()
                },
                vec![],
            ),
            CsrfFailed => (
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "send the session's CSRF token in the X-CSRF-Token header".into(),
                vec![FieldError {
                    path: "X-CSRF-Token".into(),
                    problem: "is missing or does not match the session".into(),
                }],
            ),
            InvalidCode => (
                StatusCode::UNAUTHORIZED,
                "invalid_code",
                "the code is wrong, expired or already used".into(),
                vec![FieldError {
                    path: "code".into(),
                    problem: "is wrong, expired or already used".into(),
                }],
            ),
            AccountLocked { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "account_locked",
                format!(
                    "too many failed sign-ins: this account is locked; try again in {retry_after} s"
                ),
                vec![],
            ),
            ConsentRequired(what) => (
                StatusCode::CONFLICT,
                "consent_required",
                format!(
                    "this needs {what}: record it on the case, or (with the consent.override permission) give a reason"
                ),
                vec![],
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this address; slow down".into(),
                vec![],
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is not answering".into(),
                vec![],
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on the server; it has been logged".into(),
                vec![],
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Refused(body) = self {
            return (StatusCode::CONFLICT, Json(body)).into_response();
        }
        let unauthenticated = matches!(self, ApiError::Unauthenticated);
        let retry_after = match self {
            ApiError::AccountLocked { retry_after } => Some(retry_after.max(1)),
            ApiError::RateLimited => Some(60),
            _ => None,
        };
        let (status, error, message, fields) = self.parts();
        let mut resp = (
            status,
            Json(ErrorBody {
                error,
                message,
                fields,
            }),
        )
            .into_response();
        if unauthenticated {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"haven\""),
            );
        }
        if let Some(secs) = retry_after
            && let Ok(v) = header::HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict { current } => ApiError::PreconditionFailed { current },
            StoreError::Invalid(p) => ApiError::Validation(p),
            StoreError::Denied(why) => ApiError::Forbidden(why),
            StoreError::Duplicate(what) => ApiError::Conflict(what),
            StoreError::ConsentRequired(what) => ApiError::ConsentRequired(what),
            StoreError::Refused {
                code,
                reason,
                allowed,
            } => ApiError::Refused(RefusalBody {
                error: code,
                message: reason,
                allowed,
            }),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::Internal
            }
        }
    }
}

impl From<Problems> for ApiError {
    fn from(p: Problems) -> Self {
        ApiError::Validation(p)
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A panic must not take the server down nor leak its message; the transaction it interrupted
/// is rolled back when its connection is dropped.
pub fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::Internal.into_response()
}
