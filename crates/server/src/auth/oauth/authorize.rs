//! The authorization endpoint (code flow, PKCE S256 only) and the API behind the consent page
//! (web/oauth/consent.html): the page shows who asks for what, the signed-in user allows or
//! denies, and the browser is sent back to the client's redirect URI with a code or an error.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Query, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use serde_json::json;
use todobot_store::{NewGrant, OauthClient};

use super::{
    OAuthError, SCOPE, cimd, hash_secret, is_our_resource, issuer_for, random_secret,
    register::loopback, resource_for, with_query,
};
use crate::{AppState, error::ApiError};

/// How long an authorization code may wait to be exchanged.
const CODE_TTL_SECS: i64 = 120;

/// A request that passed every check.
pub struct Validated {
    pub client: OauthClient,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub resource: String,
}

/// A refused request: shown to the user when the client or redirect URI cannot be trusted, else
/// sent back to the client.
pub enum Refusal {
    Here(OAuthError),
    Back {
        redirect_uri: String,
        error: OAuthError,
        state: Option<String>,
    },
}

/// Exact redirect URI match; on loopback hosts any port matches (RFC 8252 §7.3).
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(a), Ok(b)) = (
        registered.parse::<axum::http::Uri>(),
        requested.parse::<axum::http::Uri>(),
    ) else {
        return false;
    };
    a.scheme_str() == Some("http")
        && b.scheme_str() == Some("http")
        && a.host().is_some_and(loopback)
        && a.host() == b.host()
        && a.path_and_query() == b.path_and_query()
        && !requested.contains('#')
        && !requested.contains('@')
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn valid_challenge(c: &str) -> bool {
    (43..=128).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Checks an authorization request.
pub async fn validate(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Validated, Refusal> {
    let here = |d: &str| Refusal::Here(OAuthError::new("invalid_request", d));
    let client_id = param(params, "client_id").ok_or_else(|| here("client_id is required."))?;
    let client = cimd::find_client(state, client_id)
        .await
        .map_err(Refusal::Here)?
        .ok_or_else(|| here("Unknown client_id."))?;
    // a metadata document's redirect URIs match exactly; registered loopback ones on any port
    let by_document = cimd::is_url_client_id(client_id);
    let matches = |u: &String, r: &str| {
        if by_document {
            u == r
        } else {
            redirect_matches(u, r)
        }
    };
    let redirect_uri = match param(params, "redirect_uri") {
        Some(r) if client.redirect_uris.iter().any(|u| matches(u, r)) => r.to_owned(),
        Some(_) => return Err(here("redirect_uri is not registered for this client.")),
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => return Err(here("redirect_uri is required.")),
    };
    let oauth_state = param(params, "state").map(str::to_owned);
    let back = |error: &'static str, d: &str| Refusal::Back {
        redirect_uri: redirect_uri.clone(),
        error: OAuthError::new(error, d),
        state: oauth_state.clone(),
    };
    if param(params, "response_type") != Some("code") {
        return Err(back(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ));
    }
    let challenge = param(params, "code_challenge")
        .filter(|c| valid_challenge(c))
        .ok_or_else(|| back("invalid_request", "A PKCE code_challenge is required."))?;
    if param(params, "code_challenge_method") != Some("S256") {
        return Err(back(
            "invalid_request",
            "code_challenge_method must be S256.",
        ));
    }
    let resource = match param(params, "resource") {
        Some(r) if is_our_resource(&state.config, headers, r) => r.trim_end_matches('/').to_owned(),
        Some(_) => return Err(back("invalid_target", "Unknown resource.")),
        None => resource_for(&state.config, headers),
    };
    Ok(Validated {
        client,
        redirect_uri: redirect_uri.clone(),
        state: oauth_state.clone(),
        code_challenge: challenge.to_owned(),
        resource,
    })
}

/// Where a refusal sends the browser back to, with `error`, `state` and `iss` (RFC 9207).
fn back_url(redirect_uri: &str, error: &OAuthError, state: Option<&str>, iss: &str) -> String {
    let mut params = vec![
        ("error", error.error),
        ("error_description", error.description.as_str()),
    ];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", iss));
    with_query(redirect_uri, &params)
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// GET /oauth/authorize: checks the request, then shows the consent page (which carries the same
/// query). Errors the client can be told about go back to its redirect URI.
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Response {
    match validate(&state, &headers, &params).await {
        Ok(_) => no_store(
            Redirect::to(&format!("/oauth/consent.html?{}", raw.unwrap_or_default()))
                .into_response(),
        ),
        Err(Refusal::Here(e)) => e.into_response(),
        Err(Refusal::Back {
            redirect_uri,
            error,
            state: s,
        }) => {
            let iss = issuer_for(&state.config, &headers);
            no_store(
                Redirect::to(&back_url(&redirect_uri, &error, s.as_deref(), &iss)).into_response(),
            )
        }
    }
}

fn refusal_response(r: Refusal) -> Response {
    match r {
        Refusal::Here(e) | Refusal::Back { error: e, .. } => e.into_response(),
    }
}

/// GET /api/oauth/authorize: what the consent page shows (the signed-in user is required).
pub async fn describe(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let valid = match validate(&state, &headers, &params).await {
        Ok(v) => v,
        Err(r) => return Ok(refusal_response(r)),
    };
    let session = state
        .auth
        .request_session(&headers)
        .await?
        .ok_or(ApiError::Unauthorized("Sign in to continue."))?;
    let redirect_host = valid
        .redirect_uri
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| u.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    // a client known by its metadata document: its site's host is shown too (the name is its own)
    let client_host = param(&params, "client_id")
        .filter(|id| cimd::is_url_client_id(id))
        .and_then(|id| id.parse::<axum::http::Uri>().ok())
        .and_then(|u| u.host().map(str::to_owned));
    Ok(no_store(
        Json(json!({
            "client_id": param(&params, "client_id"),
            "client_name": valid.client.name,
            "client_host": client_host,
            "redirect_host": redirect_host,
            "scope": SCOPE,
            "resource": valid.resource,
            "user": {"name": session.user.name, "email": session.user.email},
        }))
        .into_response(),
    ))
}

#[derive(Deserialize)]
pub struct Decision {
    /// The query parameters of the authorization request, as the page received them.
    params: HashMap<String, String>,
    approve: bool,
}

/// POST /api/oauth/authorize: the user's answer; returns where to send the browser.
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<crate::extract::ApiJson<Decision>, ApiError>,
) -> Result<Response, ApiError> {
    let crate::extract::ApiJson(decision) = body?;
    let valid = match validate(&state, &headers, &decision.params).await {
        Ok(v) => v,
        Err(r) => return Ok(refusal_response(r)),
    };
    let session = state
        .auth
        .request_session(&headers)
        .await?
        .ok_or(ApiError::Unauthorized("Sign in to continue."))?;
    let iss = issuer_for(&state.config, &headers);
    let redirect_to = if decision.approve {
        let code = random_secret();
        state
            .store
            .create_oauth_grant(NewGrant {
                user_id: session.user.id.clone(),
                client_id: valid.client.id.clone(),
                scope: SCOPE.to_owned(),
                resource: valid.resource.clone(),
                code_hash: hash_secret(&code),
                code_challenge: valid.code_challenge.clone(),
                redirect_uri: valid.redirect_uri.clone(),
                code_expires_at: todobot_store::now() + chrono::Duration::seconds(CODE_TTL_SECS),
            })
            .await?;
        tracing::info!(user_id = %session.user.id, client_id = %valid.client.id, "oauth: access granted");
        let mut params = vec![("code", code.as_str())];
        if let Some(s) = valid.state.as_deref() {
            params.push(("state", s));
        }
        params.push(("iss", iss.as_str()));
        with_query(&valid.redirect_uri, &params)
    } else {
        let denied = OAuthError::new("access_denied", "The user denied access.");
        back_url(&valid.redirect_uri, &denied, valid.state.as_deref(), &iss)
    };
    Ok(no_store(
        (StatusCode::OK, Json(json!({ "redirect_to": redirect_to }))).into_response(),
    ))
}

#[cfg(test)]
mod tests {
    use super::redirect_matches;

    #[test]
    fn redirect_uri_matching() {
        assert!(redirect_matches(
            "https://a.example/cb",
            "https://a.example/cb"
        ));
        assert!(!redirect_matches(
            "https://a.example/cb",
            "https://a.example/cb2"
        ));
        assert!(!redirect_matches(
            "https://a.example:443/cb",
            "https://a.example:8443/cb"
        ));
        assert!(redirect_matches(
            "http://127.0.0.1:1000/cb",
            "http://127.0.0.1:5555/cb"
        ));
        assert!(redirect_matches(
            "http://localhost/cb",
            "http://localhost:5555/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1:1000/cb",
            "http://localhost:1000/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1:1000/cb",
            "http://127.0.0.1:1000/other"
        ));
    }
}
