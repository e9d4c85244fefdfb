//! Extractors that turn malformed input into the stable error shape instead of axum's plain text.

use axum::{
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, PathRejection, QueryRejection},
    },
    http::{StatusCode, request::Parts},
};
use serde::de::DeserializeOwned;
use todobot_store::validate::FieldErrors;

use crate::error::ApiError;

/// JSON body. Syntax errors are 400 `INVALID_JSON`, shape errors 422 `VALIDATION_ERROR` naming the
/// field, a wrong content type 415, an oversized body 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        // serde would also build a struct from a JSON array; every body here is an object
        if !value.is_object() {
            return Err(ApiError::Validation(FieldErrors::single(
                "body",
                "the body must be a JSON object",
            )));
        }
        serde_path_to_error::deserialize::<_, T>(value)
            .map(ApiJson)
            .map_err(|e| {
                let detail =
                    format!("Failed to deserialize the JSON body into the target type: {e}");
                ApiError::Validation(field_errors_from_serde(&detail))
            })
    }
}

/// Like [`ApiJson`] but an empty body (or none) gives `T::default()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let probe = Request::from_parts(parts.clone(), body);
        // `Bytes` honours the router's DefaultBodyLimit
        let bytes = axum::body::Bytes::from_request(probe, state)
            .await
            .map_err(|_| payload_too_large())?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(OptionalJson(T::default()));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| OptionalJson(v))
    }
}

pub fn payload_too_large() -> ApiError {
    ApiError::client(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "The request body is too large.",
    )
}

pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let detail = e.body_text();
            ApiError::Validation(field_errors_from_serde(&detail))
        }
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request("INVALID_JSON", "The request body is not valid JSON.")
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Expected a JSON body with `Content-Type: application/json`.",
        ),
        JsonRejection::BytesRejection(_) => payload_too_large(),
        _ => ApiError::bad_request("INVALID_BODY", "The request body could not be read."),
    }
}

/// Turns serde's message into field errors, e.g. "missing field `title`" -> {title: "is required"}.
fn field_errors_from_serde(detail: &str) -> FieldErrors {
    // axum prefixes "Failed to deserialize the JSON body into the target type: "
    let msg = detail.rsplit(": ").next().unwrap_or(detail);
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    let backticked = |s: &str| s.split('`').nth(1).map(str::to_owned);
    if msg.starts_with("missing field")
        && let Some(f) = backticked(msg)
    {
        return FieldErrors::single(&f, format!("{f} is required"));
    }
    if msg.starts_with("unknown field")
        && let Some(f) = backticked(msg)
    {
        return FieldErrors::single(&f, format!("unknown field `{f}`"));
    }
    // "invalid type: integer `3`, expected a string" has no field name: find it in the path prefix
    let path = detail
        .split(": ")
        .nth(1)
        .filter(|p| !p.contains(' ') && !p.is_empty() && *p != ".")
        .map(str::to_owned);
    FieldErrors::single(path.as_deref().unwrap_or("body"), msg.to_owned())
}

/// Path parameters; malformed ones are 400 `INVALID_PATH`.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(ApiError::bad_request(
                "INVALID_PATH",
                format!(
                    "Invalid path parameter: {}",
                    e.body_text().rsplit(": ").next().unwrap_or("")
                ),
            )),
            Err(_) => Err(ApiError::bad_request("INVALID_PATH", "Invalid path.")),
        }
    }
}

/// Query parameters; malformed ones are 400 `INVALID_QUERY`.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::bad_request(
                "INVALID_QUERY",
                format!(
                    "Invalid query string: {}",
                    e.body_text().rsplit(": ").next().unwrap_or("")
                ),
            )),
            Err(_) => Err(ApiError::bad_request(
                "INVALID_QUERY",
                "Invalid query string.",
            )),
        }
    }
}

/// The client's address: the socket peer, or — when the server is configured to trust its proxies
/// (TRUST_PROXY_HEADERS) — the X-Forwarded-For entry added by the outermost trusted proxy, read
/// from the right (TRUSTED_PROXY_HOPS), so a value the client prepends itself is never used.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S> FromRequestParts<S> for ClientIp
where
    std::sync::Arc<crate::auth::AuthService>: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRef;
        let auth = std::sync::Arc::<crate::auth::AuthService>::from_ref(state);
        let hops = auth.trust_proxy_headers.then_some(auth.trusted_proxy_hops);
        Ok(ClientIp(client_ip_behind(parts, hops)))
    }
}

/// [`client_ip_behind`] with one trusted proxy when `trust_proxy_headers`.
pub fn client_ip(parts: &Parts, trust_proxy_headers: bool) -> String {
    client_ip_behind(parts, trust_proxy_headers.then_some(1))
}

/// The client address behind `hops` trusted proxies (none: the socket peer).
pub fn client_ip_behind(parts: &Parts, hops: Option<usize>) -> String {
    if let Some(hops) = hops.map(|h| h.max(1))
        && let Some(ip) = forwarded_client(&parts.headers, hops)
    {
        return ip.to_string();
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The X-Forwarded-For entry `hops` places from the right (every X-Forwarded-For header joined, in
/// order); X-Real-IP only when there is no X-Forwarded-For.
fn forwarded_client(headers: &axum::http::HeaderMap, hops: usize) -> Option<std::net::IpAddr> {
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return headers
            .get("x-real-ip")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
    }
    // fewer entries than trusted hops: the left-most one was added by a trusted proxy
    let at = entries.len().saturating_sub(hops);
    entries[at].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_become_field_errors() {
        let f = field_errors_from_serde(
            "Failed to deserialize the JSON body into the target type: missing field `title` at line 1 column 2",
        );
        assert_eq!(
            f.0.get("title").map(String::as_str),
            Some("title is required")
        );
        let f = field_errors_from_serde(
            "Failed to deserialize the JSON body into the target type: title: invalid type: integer `3`, expected a string at line 1 column 11",
        );
        assert!(f.0.contains_key("title"), "{f:?}");
        let f = field_errors_from_serde(
            "Failed to deserialize the JSON body into the target type: unknown field `titel`, expected one of `title`, `description` at line 1 column 8",
        );
        assert!(f.0.contains_key("titel"), "{f:?}");
    }

    #[test]
    fn forwarded_for_is_read_from_the_right() {
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 1.2.3.4".parse().unwrap());
        assert_eq!(forwarded_client(&h, 1).unwrap().to_string(), "1.2.3.4");
        assert_eq!(forwarded_client(&h, 2).unwrap().to_string(), "6.6.6.6");
        assert_eq!(forwarded_client(&h, 5).unwrap().to_string(), "6.6.6.6");
        h.append("x-forwarded-for", "10.0.0.9".parse().unwrap());
        assert_eq!(forwarded_client(&h, 1).unwrap().to_string(), "10.0.0.9");
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-real-ip", "9.9.9.9".parse().unwrap());
        assert_eq!(forwarded_client(&h, 1).unwrap().to_string(), "9.9.9.9");
    }
}
