//! Better Auth compatible HTTP endpoints under /api/auth.

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{FromRef, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use todobot_store::{NewUser, Session, StoreError, User, validate};
use utoipa::ToSchema;

use super::{AuthService, RequestSession, SessionSource, bearer_token, password, password_policy};
use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ClientIp},
};

/// A user as Better Auth returns it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub name: String,
    pub image: Option<String>,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            image: u.image.clone(),
            email_verified: u.email_verified,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDto {
    pub id: String,
    /// The session token (as sent by the client).
    pub token: String,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl SessionDto {
    fn new(s: &Session, token: &str) -> Self {
        Self {
            id: s.id.clone(),
            token: token.to_owned(),
            user_id: s.user_id.clone(),
            expires_at: s.expires_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
            ip_address: s.ip_address.clone(),
            user_agent: s.user_agent.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignUpRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(format = "email", max_length = 320)]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[serde(default)]
    pub image: Option<String>,
    /// Accepted for compatibility; sessions always last SESSION_TTL_SECS.
    #[serde(default)]
    pub remember_me: Option<bool>,
    #[serde(default, rename = "callbackURL")]
    pub callback_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignUpResponse {
    /// Session token: send it as `Authorization: Bearer` to /api/auth/token to get access tokens.
    pub token: String,
    pub user: UserDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    #[schema(format = "email", max_length = 320)]
    pub email: String,
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
    #[serde(default)]
    pub remember_me: Option<bool>,
    #[serde(default, rename = "callbackURL")]
    pub callback_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInResponse {
    pub redirect: bool,
    pub token: String,
    pub url: Option<String>,
    pub user: UserDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GetSessionResponse {
    pub session: SessionDto,
    pub user: UserDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// An EdDSA-signed JWT access token (`sub` = user id), valid for ACCESS_TOKEN_TTL_SECS.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuccessResponse {
    pub success: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JwksResponse {
    pub keys: Vec<super::keys::Jwk>,
}

pub fn router<S>() -> Router<S>
where
    Arc<AuthService>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/auth/sign-up/email", post(sign_up))
        .route("/api/auth/sign-in/email", post(sign_in))
        .route("/api/auth/sign-out", post(sign_out))
        .route("/api/auth/get-session", get(get_session))
        .route("/api/auth/token", get(token))
        .route("/api/auth/jwks", get(jwks))
}

const SET_AUTH_TOKEN: HeaderName = HeaderName::from_static("set-auth-token");
const SET_AUTH_JWT: HeaderName = HeaderName::from_static("set-auth-jwt");

fn with_session_headers(
    auth: &AuthService,
    mut res: Response,
    session_token: &str,
    jwt: Option<&str>,
) -> Response {
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&auth.session_cookie(Some(session_token))) {
        headers.append(header::SET_COOKIE, v);
    }
    if let Ok(v) = HeaderValue::from_str(session_token) {
        headers.insert(SET_AUTH_TOKEN, v);
    }
    if let Some(jwt) = jwt
        && let Ok(v) = HeaderValue::from_str(jwt)
    {
        headers.insert(SET_AUTH_JWT, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// Counts an attempt from this client against `bucket`; 429 when over the limit.
async fn limit_client(auth: &AuthService, bucket: &str, ip: &str) -> ApiResult<()> {
    let key = format!("{bucket}:ip:{ip}");
    let hits = auth
        .store
        .rate_limit_hit(&key, auth.limits.window_secs, unix_now())
        .await?;
    if hits > auth.limits.max_per_client {
        tracing::warn!(%ip, bucket, "client rate limit hit");
        return Err(ApiError::RateLimited {
            retry_after: retry_after(auth.limits.window_secs),
        });
    }
    Ok(())
}

fn retry_after(window_secs: i64) -> Duration {
    let now = unix_now();
    let w = window_secs.max(1);
    Duration::from_secs((w - now.rem_euclid(w)).max(1) as u64)
}

/// Create an account with email and password, and sign it in.
#[utoipa::path(post, path = "/api/auth/sign-up/email", tag = "auth", request_body = SignUpRequest,
    responses(
        (status = 200, description = "Account created and signed in", body = SignUpResponse),
        (status = 400, description = "Invalid email or password (INVALID_EMAIL, PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, PASSWORD_COMPROMISED: a common password, PASSWORD_TOO_WEAK: one repeated character or the email), malformed JSON", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 403, description = "Sent by a page of an untrusted origin (INVALID_ORIGIN)", body = ErrorBody),
        (status = 422, description = "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL, or invalid fields", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
pub async fn sign_up(
    State(auth): State<Arc<AuthService>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SignUpRequest>,
) -> ApiResult<Response> {
    let email = validate::email(&req.email)
        .map_err(|_| ApiError::bad_request("INVALID_EMAIL", "Invalid email"))?;
    password_policy::check(&req.password, &email)?;
    let name = validate::name(&req.name).map_err(|e| ApiError::field("name", e))?;
    let image = match req
        .image
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(url)
            if url.len() > 2048 || !(url.starts_with("https://") || url.starts_with("http://")) =>
        {
            return Err(ApiError::field(
                "image",
                "image must be an http(s) URL of at most 2048 characters",
            ));
        }
        other => other.map(str::to_owned),
    };
    limit_client(&auth, "sign-up", &ip).await?;
    if auth.store.find_user_by_email(&email).await?.is_some() {
        return Err(user_exists());
    }
    let password_hash = password::hash(req.password).await?;
    let user = match auth
        .store
        .create_user(NewUser {
            email,
            name,
            password_hash: Some(password_hash),
            image,
        })
        .await
    {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => return Err(user_exists()),
        Err(e) => return Err(e.into()),
    };
    let (token, session) = auth
        .start_session(&user, Some(ip), user_agent(&headers))
        .await?;
    let jwt = auth.issue_session_access_token(&user, &session.id)?;
    tracing::info!(user_id = %user.id, "user signed up");
    let body = SignUpResponse {
        token: token.clone(),
        user: UserDto::from(&user),
    };
    Ok(with_session_headers(
        &auth,
        Json(body).into_response(),
        &token,
        Some(&jwt),
    ))
}

fn user_exists() -> ApiError {
    ApiError::client(
        StatusCode::UNPROCESSABLE_ENTITY,
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        "User already exists. Use another email.",
    )
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/auth/sign-in/email", tag = "auth", request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in", body = SignInResponse),
        (status = 400, description = "INVALID_EMAIL or malformed JSON", body = ErrorBody),
        (status = 401, description = "INVALID_EMAIL_OR_PASSWORD", body = ErrorBody),
        (status = 403, description = "Sent by a page of an untrusted origin (INVALID_ORIGIN)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Missing fields", body = ErrorBody),
        (status = 429, description = "Too many attempts from this client or on this account", body = ErrorBody),
    ))]
pub async fn sign_in(
    State(auth): State<Arc<AuthService>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SignInRequest>,
) -> ApiResult<Response> {
    limit_client(&auth, "sign-in", &ip).await?;
    let email = validate::email(&req.email)
        .map_err(|_| ApiError::bad_request("INVALID_EMAIL", "Invalid email"))?;
    let callback = callback_url(&auth, &headers, req.callback_url.as_deref())?;
    if req.password.chars().count() > password::MAX_PASSWORD_CHARS {
        return Err(invalid_credentials());
    }
    let keys = signin_keys(&email, &ip);
    count_attempt(&auth, &keys, &ip).await?;
    let user = auth.store.find_user_by_email(&email).await?;
    let ok = password::verify(
        req.password,
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(invalid_credentials());
    };
    // a success is not a failure: forget this client's failures, take back the global count
    auth.store.rate_limit_reset(&keys.pair).await?;
    auth.store
        .rate_limit_refund(&keys.account, auth.limits.window_secs, unix_now())
        .await?;
    let (token, session) = auth
        .start_session(&user, Some(ip), user_agent(&headers))
        .await?;
    let jwt = auth.issue_session_access_token(&user, &session.id)?;
    let body = SignInResponse {
        redirect: callback.is_some(),
        token: token.clone(),
        url: callback,
        user: UserDto::from(&user),
    };
    Ok(with_session_headers(
        &auth,
        Json(body).into_response(),
        &token,
        Some(&jwt),
    ))
}

/// The `callbackURL` to send the client to after sign-in (Better Auth answers `redirect: true` and
/// the URL); one that leads off-site is refused, like Better Auth's origin check.
fn callback_url(
    auth: &AuthService,
    headers: &HeaderMap,
    raw: Option<&str>,
) -> ApiResult<Option<String>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if super::csrf::is_trusted_callback(raw, headers, &auth.trusted_origins) {
        Ok(Some(raw.to_owned()))
    } else {
        Err(ApiError::client(
            StatusCode::FORBIDDEN,
            "INVALID_CALLBACKURL",
            "Invalid callbackURL",
        ))
    }
}

/// Rate-limit keys of a sign-in attempt.
struct SigninKeys {
    /// Failures on this account from this client.
    pair: String,
    /// Failures on this account from every client.
    account: String,
}

fn signin_keys(email: &str, ip: &str) -> SigninKeys {
    SigninKeys {
        pair: format!("sign-in:account-client:{email}:{ip}"),
        account: format!("sign-in:account:{email}"),
    }
}

/// Counts the attempt as a failure before the password is checked (atomically, in the database),
/// so concurrent guesses cannot all slip under the limit; a success takes it back. Over the
/// (account, client) limit only this client is refused; over the much higher global limit the
/// account is refused to everyone for the rest of the window.
async fn count_attempt(auth: &AuthService, keys: &SigninKeys, ip: &str) -> ApiResult<()> {
    let (window, now) = (auth.limits.window_secs, unix_now());
    let refused = || ApiError::RateLimited {
        retry_after: retry_after(window),
    };
    let pair = auth.store.rate_limit_hit(&keys.pair, window, now).await?;
    if pair > auth.limits.max_failures_per_account {
        tracing::warn!(%ip, "sign-in refused: too many failures on this account from this client");
        return Err(refused());
    }
    let all = auth
        .store
        .rate_limit_hit(&keys.account, window, now)
        .await?;
    if all > auth.limits.max_failures_per_account_global {
        tracing::warn!(%ip, "sign-in refused: too many failures on this account from all clients");
        return Err(refused());
    }
    Ok(())
}

fn invalid_credentials() -> ApiError {
    ApiError::client(
        StatusCode::UNAUTHORIZED,
        "INVALID_EMAIL_OR_PASSWORD",
        "Invalid email or password",
    )
}

/// End the current session (cookie or `Authorization: Bearer <session token>`; a live bearer
/// session wins over the cookie; with an access token (JWT) as the bearer, the session it was
/// issued for). With the cookie, the request must come from a trusted origin.
#[utoipa::path(post, path = "/api/auth/sign-out", tag = "auth",
    responses(
        (status = 200, description = "Signed out (also when there was no session)", body = SuccessResponse),
        (status = 403, description = "Cookie-authenticated request from an untrusted origin (INVALID_ORIGIN, MISSING_OR_NULL_ORIGIN)", body = ErrorBody),
    ))]
pub async fn sign_out(
    State(auth): State<Arc<AuthService>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(current) = auth.request_session(&headers).await? {
        auth.end_session(&current.token).await?;
    } else if let Some(token) = bearer_token(&headers) {
        // an access token (JWT) as the bearer: its own session ends, so the token stops working
        auth.end_access_token_session(token).await?;
    }
    let mut res = Json(SuccessResponse { success: true }).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth.session_cookie(None)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// A session read from the cookie gets its cookie renewed, so the browser keeps it as long as the
/// (sliding) session lives.
fn renew_cookie(auth: &AuthService, res: &mut Response, current: &RequestSession) {
    if current.source != SessionSource::Cookie {
        return;
    }
    let left = (current.session.expires_at - Utc::now())
        .num_seconds()
        .max(0) as u64;
    if let Ok(v) = HeaderValue::from_str(&auth.session_cookie_for(Some(&current.token), left)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The current session and user, or `null` when not signed in.
#[utoipa::path(get, path = "/api/auth/get-session", tag = "auth",
    responses((status = 200, description = "The session, or null", body = Option<GetSessionResponse>)))]
pub async fn get_session(
    State(auth): State<Arc<AuthService>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Some(current) = auth.request_session(&headers).await? else {
        return Ok(Json(serde_json::Value::Null).into_response());
    };
    let jwt = auth.issue_session_access_token(&current.user, &current.session.id)?;
    let mut res = Json(GetSessionResponse {
        session: SessionDto::new(&current.session, &current.token),
        user: UserDto::from(&current.user),
    })
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&jwt) {
        res.headers_mut().insert(SET_AUTH_JWT, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    renew_cookie(&auth, &mut res, &current);
    Ok(res)
}

/// Exchange the session for a short-lived access token (JWT) for the API, chat and MCP.
#[utoipa::path(get, path = "/api/auth/token", tag = "auth",
    responses(
        (status = 200, description = "A fresh access token", body = TokenResponse),
        (status = 401, description = "No valid session", body = ErrorBody),
    ))]
pub async fn token(
    State(auth): State<Arc<AuthService>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let current = auth
        .request_session(&headers)
        .await?
        .ok_or(ApiError::Unauthorized("Session expired or signed out."))?;
    let jwt = auth.issue_session_access_token(&current.user, &current.session.id)?;
    let mut res = Json(TokenResponse { token: jwt }).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    renew_cookie(&auth, &mut res, &current);
    Ok(res)
}

/// Public keys that verify access tokens (JWKS).
#[utoipa::path(get, path = "/api/auth/jwks", tag = "auth",
    responses((status = 200, description = "The JSON Web Key Set", body = JwksResponse)))]
pub async fn jwks(State(auth): State<Arc<AuthService>>) -> Response {
    let mut res = Json(JwksResponse { keys: auth.jwks() }).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}
