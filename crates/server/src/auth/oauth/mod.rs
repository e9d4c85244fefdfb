//! todobot as the OAuth 2.1 authorization server of its own MCP resource (the MCP authorization
//! spec, 2025-11-25): discovery ([`metadata`]), dynamic client registration ([`register`]), the
//! authorization code flow with PKCE and a consent page ([`authorize`]), the token and revocation
//! endpoints ([`token`]), and personal access tokens ([`pat`]). [`verify`] is what /mcp (in
//! `todobot serve` and in `todobot mcp`) runs on every request.

pub mod authorize;
pub mod cimd;
pub mod metadata;
pub mod pat;
pub mod register;
pub mod token;
pub mod verify;

use axum::{
    Json, Router,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde::Serialize;

use crate::{AppState, config::Config};

/// The only scope: use the MCP tools.
pub const SCOPE: &str = "mcp";
/// Prefix of personal access tokens.
pub const PAT_PREFIX: &str = "tbp_";
/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "tbr_";

/// An OAuth error response (RFC 6749 §5.2): `{error, error_description}`, never internal detail.
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = match error {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            "slow_down" => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

impl From<todobot_store::StoreError> for OAuthError {
    fn from(e: todobot_store::StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "oauth: database unavailable");
            Self::new(
                "temporarily_unavailable",
                "The service is temporarily unavailable.",
            )
        } else {
            tracing::error!(error = %e, "oauth: internal error");
            Self::new("server_error", "Something went wrong on our side.")
        }
    }
}

impl From<crate::error::ApiError> for OAuthError {
    fn from(e: crate::error::ApiError) -> Self {
        match e {
            crate::error::ApiError::RateLimited { .. } => {
                Self::new("slow_down", "Too many requests. Please try again later.")
            }
            crate::error::ApiError::Unavailable(_) => Self::new(
                "temporarily_unavailable",
                "The service is temporarily unavailable.",
            ),
            other => {
                tracing::error!(error = %other, "oauth: internal error");
                Self::new("server_error", "Something went wrong on our side.")
            }
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.error,
            error_description: &self.description,
        };
        let mut res = (self.status, Json(body)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

/// A random secret: 32 bytes, base64url.
pub fn random_secret() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// SHA-256 hex of a secret: what the database keeps.
pub fn hash_secret(secret: &str) -> String {
    super::hash_session_token(secret)
}

fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The public base URL for a request: BETTER_AUTH_URL, except in local development (it names a
/// loopback host and so does the request) where the request's own `Host` is used, so a client
/// reaching `http://127.0.0.1:PORT` is told about URLs it can reach.
pub fn public_base(config: &Config, headers: &HeaderMap) -> String {
    let configured = crate::config::trimmed(&config.server.public_url).to_owned();
    let configured_loopback =
        crate::config::url_host(&configured).is_some_and(|h| is_loopback_host(&h));
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| h.trim().to_ascii_lowercase());
    match host {
        Some(h)
            if configured_loopback
                && crate::config::url_host(&format!("http://{h}"))
                    .is_some_and(|bare| is_loopback_host(&bare))
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".:[]-".contains(c)) =>
        {
            format!("http://{h}")
        }
        _ => configured,
    }
}

/// The issuer URL of the authorization server for a request.
pub fn issuer_for(config: &Config, headers: &HeaderMap) -> String {
    public_base(config, headers)
}

/// The configured canonical URL of the MCP resource: MCP_PUBLIC_URL, else BETTER_AUTH_URL + /mcp.
pub fn configured_resource(config: &Config) -> String {
    match config.mcp.public_url() {
        Some(url) => crate::config::trimmed(url).to_owned(),
        None => format!("{}/mcp", crate::config::trimmed(&config.server.public_url)),
    }
}

/// The MCP resource URL as a request addressed it (see [`public_base`]).
pub fn resource_for(config: &Config, headers: &HeaderMap) -> String {
    if config.mcp.public_url().is_some() {
        return configured_resource(config);
    }
    format!("{}/mcp", public_base(config, headers))
}

/// Audiences /mcp accepts on a request: its resource URL as configured and as addressed.
pub fn accepted_audiences(config: &Config, headers: &HeaderMap) -> Vec<String> {
    let mut out = vec![configured_resource(config), resource_for(config, headers)];
    out.dedup();
    out
}

/// Whether `resource` (RFC 8707) names this MCP resource.
pub fn is_our_resource(config: &Config, headers: &HeaderMap, resource: &str) -> bool {
    let wanted = resource.trim().trim_end_matches('/');
    accepted_audiences(config, headers)
        .iter()
        .any(|a| a == wanted)
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `uri` with `params` added to its query.
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_owned();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&encode_component(v));
        sep = '&';
    }
    out
}

/// The public OAuth endpoints of `todobot serve` (discovery, registration, token, revocation):
/// not cookie-authenticated, so any origin may call them (CORS `*`, no credentials) — browser-based
/// MCP clients run on other origins.
pub fn public_router() -> Router<AppState> {
    metadata::router()
        .route("/oauth/register", post(register::register))
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(token::revoke))
        .layer(crate::cors::public_layer())
}

/// The authorization endpoint and the consent page's API: they act on the signed-in user's
/// session and are never CORS-enabled.
pub fn consent_router() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize::authorize))
        .route(
            "/api/oauth/authorize",
            get(authorize::describe).post(authorize::decide),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_encoded() {
        assert_eq!(encode_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            with_query("http://x/cb", &[("code", "1"), ("state", "a b")]),
            "http://x/cb?code=1&state=a%20b"
        );
        assert_eq!(
            with_query("http://x/cb?k=v", &[("code", "1")]),
            "http://x/cb?k=v&code=1"
        );
    }

    #[test]
    fn the_base_follows_the_host_only_for_loopback() {
        let mut config = Config::from_args(Vec::<String>::new()).expect("config");
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9999"));
        config.server.public_url = "http://localhost:8080".parse().expect("url");
        assert_eq!(public_base(&config, &headers), "http://127.0.0.1:9999");
        assert_eq!(resource_for(&config, &headers), "http://127.0.0.1:9999/mcp");
        headers.insert(header::HOST, HeaderValue::from_static("evil.example"));
        assert_eq!(public_base(&config, &headers), "http://localhost:8080");
        config.server.public_url = "https://todo.example.com/".parse().expect("url");
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9999"));
        assert_eq!(public_base(&config, &headers), "https://todo.example.com");
        assert_eq!(configured_resource(&config), "https://todo.example.com/mcp");
        config.mcp.public_url = Some(crate::config::OptionalUrl::from(
            crate::config::Url::parse("https://mcp.example.com/mcp").expect("url"),
        ));
        assert_eq!(
            resource_for(&config, &headers),
            "https://mcp.example.com/mcp"
        );
    }
}
