//! Discovery: Protected Resource Metadata (RFC 9728) and Authorization Server Metadata (RFC 8414,
//! also served at the OpenID discovery path for clients that only try that one).

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use super::{SCOPE, issuer_for, resource_for};
use crate::AppState;

/// The metadata document URL of the MCP resource (what a 401 from /mcp points to).
pub fn resource_metadata_url(config: &crate::config::Config, headers: &HeaderMap) -> String {
    let resource = resource_for(config, headers);
    match resource.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let path = if path.is_empty() {
                String::new()
            } else {
                format!("/{path}")
            };
            format!("{scheme}://{authority}/.well-known/oauth-protected-resource{path}")
        }
        None => resource,
    }
}

fn cacheable(body: serde_json::Value) -> Response {
    let mut res = Json(body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

/// RFC 9728 metadata of the MCP resource.
pub async fn protected_resource(State(state): State<AppState>, headers: HeaderMap) -> Response {
    cacheable(json!({
        "resource": resource_for(&state.config, &headers),
        "authorization_servers": [issuer_for(&state.config, &headers)],
        "scopes_supported": [SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "todobot",
        "resource_documentation": "https://github.com/todobot/todobot/blob/main/docs/mcp.md",
    }))
}

/// RFC 8414 metadata of the authorization server.
pub async fn authorization_server(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let issuer = issuer_for(&state.config, &headers);
    cacheable(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "registration_endpoint": format!("{issuer}/oauth/register"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "jwks_uri": format!("{issuer}/api/auth/jwks"),
        "scopes_supported": [SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": state.config.auth.oauth_client_id_metadata_documents,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
    }))
}

/// The resource metadata routes (served by `todobot serve` and `todobot mcp`; CORS is added by
/// the caller: [`crate::cors::public_layer`]).
pub fn resource_router() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(protected_resource),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(protected_resource),
        )
}

/// All discovery routes of `todobot serve`.
pub fn router() -> Router<AppState> {
    resource_router()
        .route(
            "/.well-known/oauth-authorization-server",
            get(authorization_server),
        )
        .route(
            "/.well-known/oauth-authorization-server/mcp",
            get(authorization_server),
        )
        .route(
            "/.well-known/openid-configuration",
            get(authorization_server),
        )
}
