//! Dynamic Client Registration (RFC 7591) for public clients: no secret, PKCE required, redirect
//! URIs https or http on a loopback address (RFC 8252). Rate limited per client address.

use axum::{
    Json,
    extract::{State, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::OAuthError;
use crate::{AppState, extract::ClientIp};

const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_LEN: usize = 2000;

#[derive(Deserialize)]
pub struct Registration {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_client_metadata", description)
}

/// Whether a host is a loopback address (where any port is accepted at authorization).
pub fn loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

/// Checks one redirect URI: absolute, no fragment, https — or http on a loopback host.
pub fn valid_redirect_uri(raw: &str) -> bool {
    if raw.len() > MAX_URI_LEN || raw.contains('#') || raw.chars().any(char::is_whitespace) {
        return false;
    }
    let Ok(uri) = raw.parse::<axum::http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return false;
    }
    match uri.scheme_str() {
        Some("https") => !host.is_empty(),
        Some("http") => loopback(host),
        _ => false,
    }
}

fn check(reg: &Registration) -> Result<(), OAuthError> {
    if reg.redirect_uris.is_empty() || reg.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::new(
            "invalid_redirect_uri",
            "redirect_uris must list 1 to 10 URIs.",
        ));
    }
    if let Some(bad) = reg.redirect_uris.iter().find(|u| !valid_redirect_uri(u)) {
        return Err(OAuthError::new(
            "invalid_redirect_uri",
            format!(
                "Redirect URI not allowed (https, or http on a loopback address): {}",
                bad.chars().take(200).collect::<String>()
            ),
        ));
    }
    if reg
        .token_endpoint_auth_method
        .as_deref()
        .is_some_and(|m| m != "none")
    {
        return Err(metadata_error(
            "Only public clients are supported (token_endpoint_auth_method \"none\").",
        ));
    }
    if reg.grant_types.as_ref().is_some_and(|g| {
        g.iter()
            .any(|t| t != "authorization_code" && t != "refresh_token")
    }) {
        return Err(metadata_error(
            "grant_types may only be authorization_code and refresh_token.",
        ));
    }
    if reg
        .response_types
        .as_ref()
        .is_some_and(|r| r.iter().any(|t| t != "code"))
    {
        return Err(metadata_error("response_types may only be code."));
    }
    Ok(())
}

/// Counts a registration from this client address; `slow_down` (429) past the sign-in limit.
async fn limit(state: &AppState, ip: &str) -> Result<(), OAuthError> {
    let limits = &state.auth.limits;
    let hits = state
        .store
        .rate_limit_hit(
            &format!("oauth-register:ip:{ip}"),
            limits.window_secs,
            chrono::Utc::now().timestamp(),
        )
        .await?;
    if hits > limits.max_per_client {
        tracing::warn!(%ip, "client registration rate limit hit");
        return Err(OAuthError::new(
            "slow_down",
            "Too many registrations from this address. Please try again later.",
        ));
    }
    Ok(())
}

/// POST /oauth/register
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<Json<Registration>, JsonRejection>,
) -> Result<Response, OAuthError> {
    limit(&state, &ip).await?;
    let Json(reg) = body.map_err(|_| metadata_error("The body must be a JSON object."))?;
    check(&reg)?;
    let name = reg
        .client_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("MCP client");
    let client = state
        .store
        .create_oauth_client(name, &reg.redirect_uris)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "client_id": client.id,
            "client_id_issued_at": client.created_at.timestamp(),
            "client_name": client.name,
            "redirect_uris": client.redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::valid_redirect_uri;

    #[test]
    fn redirect_uris() {
        assert!(valid_redirect_uri(
            "https://claude.ai/api/mcp/auth_callback"
        ));
        assert!(valid_redirect_uri("http://127.0.0.1:33418/callback"));
        assert!(valid_redirect_uri("http://localhost:6274/oauth/callback"));
        assert!(valid_redirect_uri("http://[::1]:8000/cb"));
        assert!(!valid_redirect_uri("http://example.com/cb"));
        assert!(!valid_redirect_uri("https://example.com/cb#frag"));
        assert!(!valid_redirect_uri("javascript:alert(1)"));
        assert!(!valid_redirect_uri("https://user@example.com/cb"));
        assert!(!valid_redirect_uri("/relative"));
        assert!(!valid_redirect_uri("http://localhost.evil.com/cb"));
    }
}
