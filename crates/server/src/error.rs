//! The one error type of the HTTP layer. Clients always get `{code, message}` (plus `fields` for
//! validation errors) and a fitting status; internal details are logged, never sent.

use std::{collections::BTreeMap, time::Duration};

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use todobot_store::{StoreError, validate::FieldErrors};
use utoipa::ToSchema;

/// The JSON body of every error response (Better Auth's `{code, message}` shape).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `VALIDATION_ERROR`, `NOT_FOUND`, `INVALID_EMAIL_OR_PASSWORD`.
    pub code: String,
    /// Human-readable explanation, safe to show to the user.
    pub message: String,
    /// Per-field problems, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("validation: {0}")]
    Validation(FieldErrors),
    /// A 4xx with a specific code (Better Auth codes, malformed input...).
    #[error("{code}: {message}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// An upstream dependency (the LLM, the MCP service) failed; `message` is user-facing.
    #[error("upstream: {message}")]
    Upstream {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Client {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(FieldErrors::single(field, message))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Client { status, .. } | ApiError::Upstream { status, .. } => *status,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body sent to the client.
    pub fn body(&self) -> ErrorBody {
        let (code, message, fields) = match self {
            ApiError::Unauthorized(why) => ("UNAUTHORIZED", (*why).to_owned(), None),
            ApiError::Forbidden => (
                "FORBIDDEN",
                "You can only access your own data.".to_owned(),
                None,
            ),
            ApiError::NotFound(what) => ("NOT_FOUND", format!("{what} not found"), None),
            ApiError::Validation(f) => (
                "VALIDATION_ERROR",
                format!("Invalid input: {f}"),
                Some(f.0.clone()),
            ),
            ApiError::Client { code, message, .. } | ApiError::Upstream { code, message, .. } => {
                (*code, message.clone(), None)
            }
            ApiError::RateLimited { .. } => (
                "TOO_MANY_REQUESTS",
                "Too many requests. Please try again later.".to_owned(),
                None,
            ),
            ApiError::Unavailable(_) => (
                "SERVICE_UNAVAILABLE",
                "The service is temporarily unavailable. Please retry shortly.".to_owned(),
                None,
            ),
            ApiError::Internal(_) => (
                "INTERNAL_ERROR",
                "Something went wrong on our side.".to_owned(),
                None,
            ),
        };
        ErrorBody {
            code: code.to_owned(),
            message,
            fields,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Validation(f) => ApiError::Validation(f),
            StoreError::Unavailable(m) => ApiError::Unavailable(m),
            StoreError::UserNotFound => ApiError::Unauthorized("Your account no longer exists."),
            StoreError::Conflict(m) => ApiError::Internal(format!("unexpected conflict: {m}")),
            StoreError::Config(m) | StoreError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(f: FieldErrors) -> Self {
        ApiError::Validation(f)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            ApiError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "dependency unavailable")
            }
            ApiError::Upstream { message, .. } => tracing::warn!(%message, "upstream failure"),
            _ => tracing::debug!(error = %self, "request rejected"),
        }
        let mut res = (status, Json(self.body())).into_response();
        let headers = res.headers_mut();
        match &self {
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs().max(1).to_string();
                if let Ok(v) = HeaderValue::from_str(&secs) {
                    headers.insert(header::RETRY_AFTER, v.clone());
                    headers.insert("x-retry-after", v);
                }
            }
            ApiError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
