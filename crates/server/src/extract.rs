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
            .map_err(|e| ApiError::Validation(field_errors_from_serde(&e)))
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
        // every typed body goes through `ApiJson` (its shape errors carry their path); the raw
        // `Value` read here has no shape to violate
        JsonRejection::JsonSyntaxError(_) | JsonRejection::JsonDataError(_) => {
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

/// A shape error as a field error: the field is the error's path (`title`, `tags[0]`; `body` at
/// the top), the message serde's (read from a `Value`, so it has no line and column). A missing or
/// unknown field is reported by serde at its parent's path with the name only in its message, so
/// that name (serde's fixed "missing field `x`" / "unknown field `x`, …" form) becomes the field.
fn field_errors_from_serde(e: &serde_path_to_error::Error<serde_json::Error>) -> FieldErrors {
    let msg = e.inner().to_string();
    let named = |prefix: &str| {
        msg.strip_prefix(prefix)?
            .split('`')
            .nth(1)
            .map(str::to_owned)
    };
    if let Some(f) = named("missing field ") {
        return FieldErrors::single(&f, format!("{f} is required"));
    }
    if let Some(f) = named("unknown field ") {
        return FieldErrors::single(&f, format!("unknown field `{f}`"));
    }
    let path = e.path().to_string();
    let field = if path == "." { "body" } else { path.as_str() };
    FieldErrors::single(field, msg)
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

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        title: String,
        description: Option<String>,
        tags: Option<Vec<String>>,
    }

    fn shape_error(body: serde_json::Value) -> FieldErrors {
        let e = serde_path_to_error::deserialize::<_, Body>(body).expect_err("a shape error");
        field_errors_from_serde(&e)
    }

    #[test]
    fn a_body_of_the_right_shape_is_read() {
        let b: Body = serde_path_to_error::deserialize(
            serde_json::json!({ "title": "t", "description": "d", "tags": ["a"] }),
        )
        .expect("valid");
        assert_eq!(
            (b.title, b.description, b.tags),
            (
                "t".to_owned(),
                Some("d".to_owned()),
                Some(vec!["a".to_owned()])
            )
        );
    }

    #[test]
    fn serde_errors_become_field_errors_at_their_path() {
        let f = shape_error(serde_json::json!({}));
        assert_eq!(
            f.0.get("title").map(String::as_str),
            Some("title is required")
        );
        let f = shape_error(serde_json::json!({ "title": 3 }));
        assert_eq!(
            f.0.get("title").map(String::as_str),
            Some("invalid type: integer `3`, expected a string"),
            "{f:?}"
        );
        let f = shape_error(serde_json::json!({ "title": "a", "tags": ["x", 4] }));
        assert!(f.0.contains_key("tags[1]"), "{f:?}");
        let f = shape_error(serde_json::json!({ "titel": "a" }));
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
