//! The token endpoint (authorization_code and refresh_token grants; refresh tokens rotate, and a
//! replayed one revokes its whole grant) and the revocation endpoint (RFC 7009).

use std::{collections::HashMap, time::Duration};

use axum::{
    Form, Json,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde_json::json;
use sha2::{Digest, Sha256};
use todobot_store::{OauthGrant, Redeemed};

use super::{
    OAuthError, PAT_PREFIX, REFRESH_PREFIX, SCOPE, accepted_audiences, hash_secret,
    is_our_resource, random_secret,
};
use crate::AppState;

type Params = HashMap<String, String>;

fn param<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    param(p, name).ok_or_else(|| OAuthError::new("invalid_request", format!("{name} is required.")))
}

fn form(body: Result<Form<Params>, FormRejection>) -> Result<Params, OAuthError> {
    body.map(|Form(p)| p).map_err(|_| {
        OAuthError::new(
            "invalid_request",
            "The body must be application/x-www-form-urlencoded.",
        )
    })
}

fn invalid_grant(d: &str) -> OAuthError {
    OAuthError::new("invalid_grant", d)
}

fn pkce_ok(verifier: &str, challenge: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        && B64.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// POST /oauth/token
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<Params>, FormRejection>,
) -> Result<Response, OAuthError> {
    let p = form(body)?;
    // a URL client_id (metadata document) was recorded at authorization under a derived id
    let client_key = super::cimd::client_key(required(&p, "client_id")?);
    let client_id = client_key.as_str();
    if state.store.find_oauth_client(client_id).await?.is_none() {
        return Err(OAuthError::new("invalid_client", "Unknown client."));
    }
    if let Some(r) = param(&p, "resource")
        && !is_our_resource(&state.config, &headers, r)
    {
        return Err(OAuthError::new("invalid_target", "Unknown resource."));
    }
    let grant = match required(&p, "grant_type")? {
        "authorization_code" => exchange_code(&state, &p, client_id).await?,
        "refresh_token" => refresh(&state, &p, client_id).await?,
        _ => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "Supported grant types: authorization_code, refresh_token.",
            ));
        }
    };
    if let Some(r) = param(&p, "resource")
        && r.trim_end_matches('/') != grant.resource
    {
        return Err(OAuthError::new(
            "invalid_target",
            "The resource differs from the one authorized.",
        ));
    }
    issue(&state, &headers, &grant).await
}

async fn exchange_code(
    state: &AppState,
    p: &Params,
    client_id: &str,
) -> Result<OauthGrant, OAuthError> {
    let code = required(p, "code")?;
    let verifier = required(p, "code_verifier")?;
    let grant = match state.store.redeem_oauth_code(&hash_secret(code)).await? {
        Redeemed::Ok(g) => *g,
        Redeemed::Invalid => {
            return Err(invalid_grant(
                "The authorization code is invalid or expired.",
            ));
        }
        Redeemed::Replayed => {
            tracing::warn!(
                client_id,
                "oauth: authorization code replayed; grant revoked"
            );
            return Err(invalid_grant("The authorization code was already used."));
        }
    };
    let problem = if grant.client_id != client_id {
        Some("The authorization code was issued to another client.")
    } else if param(p, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
        Some("redirect_uri does not match the authorization request.")
    } else if !pkce_ok(verifier, &grant.code_challenge) {
        Some("The PKCE code_verifier does not match.")
    } else {
        None
    };
    if let Some(d) = problem {
        // a code presented wrongly is burnt, and nothing was issued under it
        state.store.delete_oauth_grant(&grant.id).await?;
        return Err(invalid_grant(d));
    }
    Ok(grant)
}

async fn refresh(state: &AppState, p: &Params, client_id: &str) -> Result<OauthGrant, OAuthError> {
    let token = required(p, "refresh_token")?;
    match state
        .store
        .redeem_refresh_token(&hash_secret(token))
        .await?
    {
        Redeemed::Ok(g) if g.client_id == client_id => Ok(*g),
        Redeemed::Ok(g) => {
            state.store.delete_oauth_grant(&g.id).await?;
            Err(invalid_grant(
                "The refresh token was issued to another client.",
            ))
        }
        Redeemed::Invalid => Err(invalid_grant(
            "The refresh token is invalid, expired or revoked.",
        )),
        Redeemed::Replayed => {
            tracing::warn!(client_id, "oauth: refresh token replayed; grant revoked");
            Err(invalid_grant(
                "The refresh token was already used; the authorization is revoked.",
            ))
        }
    }
}

async fn issue(
    state: &AppState,
    headers: &HeaderMap,
    grant: &OauthGrant,
) -> Result<Response, OAuthError> {
    let ttl = state.config.access_token_ttl();
    let audience = if accepted_audiences(&state.config, headers).contains(&grant.resource) {
        grant.resource.clone()
    } else {
        return Err(OAuthError::new("invalid_target", "Unknown resource."));
    };
    let access = state.auth.issue_mcp_token(
        &grant.user_id,
        &audience,
        Some(&grant.client_id),
        Some(&grant.id),
        ttl,
    )?;
    let refresh = format!("{REFRESH_PREFIX}{}", random_secret());
    let refresh_ttl = Duration::from_secs(state.config.auth.oauth_refresh_token_ttl_secs.max(60));
    let expires = todobot_store::now()
        + chrono::Duration::from_std(refresh_ttl).unwrap_or(chrono::Duration::days(30));
    state
        .store
        .insert_refresh_token(&hash_secret(&refresh), &grant.id, expires)
        .await?;
    let mut res = (
        StatusCode::OK,
        Json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl.as_secs(),
            "refresh_token": refresh,
            "scope": SCOPE,
        })),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(res)
}

/// POST /oauth/revoke: revokes the grant behind a refresh or access token (or a personal access
/// token). Answers 200 for unknown tokens too (RFC 7009 §2.2).
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Form<Params>, FormRejection>,
) -> Result<Response, OAuthError> {
    let p = form(body)?;
    let token = required(&p, "token")?;
    if token.starts_with(REFRESH_PREFIX) {
        if let Some(gid) = state.store.refresh_token_grant(&hash_secret(token)).await? {
            state.store.delete_oauth_grant(&gid).await?;
        }
    } else if token.starts_with(PAT_PREFIX) {
        if let Some(pat) = state.store.find_pat(&hash_secret(token)).await? {
            state.store.delete_pat(&pat.user_id, &pat.id).await?;
        }
    } else if let Ok(claims) = state
        .auth
        .decode_mcp_token(token, &accepted_audiences(&state.config, &headers))
        .await
        && let Some(gid) = claims.gid
    {
        state.store.delete_oauth_grant(&gid).await?;
    }
    let mut res = StatusCode::OK.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256() {
        // challenge computed independently: base64url(sha256(verifier)) with Python's hashlib
        let verifier = "dBjftJeZ4CVP-mJ0c3Sq2X4iZmNnJzd3ByN0xxlqcNw";
        let challenge = "OAb6ipiQkmFPufrGh9uDSyJZdmSy-GG4qF3VBup6AUs";
        assert!(pkce_ok(verifier, challenge));
        assert!(!pkce_ok(
            "dBjftJeZ4CVP-mJ0c3Sq2X4iZmNnJzd3ByN0xxlqcNx",
            challenge
        ));
        assert!(!pkce_ok("short", challenge));
    }
}
