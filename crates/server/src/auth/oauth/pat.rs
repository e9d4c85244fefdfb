//! The account API behind the settings page (web/settings.html): personal access tokens (created,
//! shown once, listed, revoked) and the OAuth clients connected to the account (listed, revoked).
//! Authenticated by the web session (cookie or bearer session token) or a REST access token.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{PAT_PREFIX, SCOPE, hash_secret, random_secret};
use crate::{
    AppState,
    auth::bearer_token,
    error::{ApiError, ApiResult},
};

const MAX_TOKENS_PER_USER: usize = 50;
const MAX_EXPIRY_DAYS: i64 = 365;
const DEFAULT_EXPIRY_DAYS: i64 = 90;

/// The user id of the request: its web session, else a REST access token.
async fn account(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    if let Some(s) = state.auth.request_session(headers).await? {
        return Ok(s.user.id);
    }
    let token = bearer_token(headers).ok_or(ApiError::Unauthorized("Sign in to continue."))?;
    Ok(state.auth.verify_access_token(token).await?.id)
}

#[derive(Serialize)]
struct TokenDto {
    id: String,
    name: String,
    hint: String,
    scope: String,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<todobot_store::PersonalAccessToken> for TokenDto {
    fn from(t: todobot_store::PersonalAccessToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            hint: t.hint,
            scope: t.scope,
            expires_at: t.expires_at,
            created_at: t.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    /// Days until the token expires (1–365); default 90.
    expires_in_days: Option<i64>,
}

async fn list_tokens(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let user = account(&state, &headers).await?;
    let tokens: Vec<TokenDto> = state
        .store
        .list_pats(&user)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(tokens).into_response())
}

async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<crate::extract::ApiJson<NewToken>, ApiError>,
) -> ApiResult<Response> {
    let user = account(&state, &headers).await?;
    let crate::extract::ApiJson(new) = body?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field("name", "name must be 1 to 100 characters"));
    }
    let days = new.expires_in_days.unwrap_or(DEFAULT_EXPIRY_DAYS);
    if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
        return Err(ApiError::field(
            "expires_in_days",
            "expires_in_days must be between 1 and 365",
        ));
    }
    if state.store.list_pats(&user).await?.len() >= MAX_TOKENS_PER_USER {
        return Err(ApiError::bad_request(
            "TOO_MANY_TOKENS",
            "Revoke a token before creating another.",
        ));
    }
    let secret = format!("{PAT_PREFIX}{}", random_secret());
    let hint: String = secret.chars().take(10).collect();
    let expires = todobot_store::now() + chrono::Duration::days(days);
    let row = state
        .store
        .create_pat(
            &user,
            name,
            &hash_secret(&secret),
            &hint,
            SCOPE,
            Some(expires),
        )
        .await?;
    let mut body = serde_json::to_value(TokenDto::from(row)).map_err(ApiError::internal)?;
    body["token"] = json!(secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let user = account(&state, &headers).await?;
    if state.store.delete_pat(&user, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("token"))
    }
}

async fn list_connections(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let user = account(&state, &headers).await?;
    let list: Vec<serde_json::Value> = state
        .store
        .oauth_connections(&user)
        .await?
        .into_iter()
        .map(|c| {
            json!({
                "id": c.grant_id,
                "client_id": c.client_id,
                "client_name": c.client_name,
                "scope": c.scope,
                "created_at": c.created_at,
            })
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn revoke_connection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let user = account(&state, &headers).await?;
    if state.store.delete_user_oauth_grant(&user, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("connection"))
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/account/tokens", get(list_tokens).post(create_token))
        .route("/api/account/tokens/{id}", delete(revoke_token))
        .route("/api/account/connections", get(list_connections))
        .route("/api/account/connections/{id}", delete(revoke_connection))
}
