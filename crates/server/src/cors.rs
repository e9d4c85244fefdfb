//! CORS, by kind of endpoint:
//! - the app's API: the origins in CORS_ORIGINS, with credentials (the session cookie);
//! - the public OAuth endpoints (discovery documents, token, registration, revocation): any
//!   origin, without credentials — they are not cookie-authenticated, and browser-based MCP
//!   clients (the Inspector's web UI) run on other origins;
//! - /mcp: exactly the origins its Origin check accepts (bearer tokens only, no credentials);
//! - /oauth/authorize and the consent API: none (they act on the signed-in user's session).

use std::{sync::Arc, time::Duration};

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::{auth::csrf, config::Config};

const MAX_AGE: Duration = Duration::from_secs(600);

fn mcp_protocol_version() -> HeaderName {
    HeaderName::from_static("mcp-protocol-version")
}

fn mcp_session_id() -> HeaderName {
    HeaderName::from_static("mcp-session-id")
}

/// The app's API (CORS_ORIGINS); `None` when no origin is configured (same origin only).
pub fn app_layer(config: &Config) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = config
        .server
        .cors_origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                mcp_protocol_version(),
                mcp_session_id(),
            ])
            .expose_headers([
                HeaderName::from_static("set-auth-token"),
                HeaderName::from_static("set-auth-jwt"),
                HeaderName::from_static("x-request-id"),
                header::RETRY_AFTER,
            ])
            .allow_credentials(true)
            .max_age(MAX_AGE),
    )
}

/// The public OAuth endpoints: `Access-Control-Allow-Origin: *`, no credentials.
pub fn public_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            mcp_protocol_version(),
        ])
        .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE])
        .max_age(MAX_AGE)
}

/// /mcp: an origin is allowed exactly when the transport's Origin check accepts it (the app's own
/// origin, BETTER_AUTH_URL, CORS_ORIGINS, MCP_ALLOWED_ORIGINS), so a browser client that may call
/// /mcp can also read the answers (and the `WWW-Authenticate` of a 401).
pub fn mcp_layer(allowed: Arc<Vec<String>>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |_origin, parts| {
            csrf::check_origin(&parts.headers, &parts.uri, &allowed).is_ok()
        }))
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            mcp_protocol_version(),
            mcp_session_id(),
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            mcp_protocol_version(),
            mcp_session_id(),
            HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
        ])
        .max_age(MAX_AGE)
}
