//! Identity: sessions, access tokens (EdDSA JWTs, plus HS256 from a Better Auth frontend sharing
//! BETTER_AUTH_SECRET), and the [`AuthUser`] extractor every protected route uses.

pub mod csrf;
pub mod deferred;
pub mod jwt_crypto;
pub mod keys;
pub mod oauth;
pub mod password;
pub mod password_policy;
pub mod routes;
mod token_cache;

use crate::config::ExposeSecret;
use std::{sync::Arc, time::Duration};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use todobot_store::{Session, Store, User};

use crate::{config::Config, error::ApiError};
use token_cache::{TokenCache, Verified};

pub const SESSION_COOKIE: &str = "better-auth.session_token";
/// The name Better Auth gives the cookie on https deployments (read, never written, by todobot).
pub const SECURE_SESSION_COOKIE: &str = "__Secure-better-auth.session_token";
const LEEWAY_SECS: u64 = 30;
/// Verified tokens remembered per process (a signature check costs more than the rest of a request).
const TOKEN_CACHE_CAPACITY: usize = 4096;

/// The signed-in user, taken from a verified access token. The only source of identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Optional (RFC 7519): HS256 tokens from other issuers may leave it out.
    #[serde(default)]
    pub iat: u64,
    pub exp: u64,
    /// Not valid before (checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The session the token was issued for: refused as soon as that session ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Why a token was refused (all map to 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    Expired,
    Invalid,
    /// The token's session has ended (signed out).
    Revoked,
    /// The key store could not be consulted.
    Unavailable,
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Missing => ApiError::Unauthorized("Missing bearer token."),
            TokenError::Expired => ApiError::Unauthorized("Token expired."),
            TokenError::Invalid => ApiError::Unauthorized("Invalid token."),
            TokenError::Revoked => ApiError::Unauthorized("Session ended: sign in again."),
            TokenError::Unavailable => ApiError::Unavailable("signing keys unavailable".into()),
        }
    }
}

/// Limits on sign-in attempts.
#[derive(Clone, Debug)]
pub struct SigninLimits {
    pub max_per_client: i64,
    /// Failed sign-ins allowed per (account, client) per window.
    pub max_failures_per_account: i64,
    /// Failed sign-ins allowed per account from all clients together per window (a slower,
    /// global backoff against attackers spread over many addresses).
    pub max_failures_per_account_global: i64,
    pub window_secs: i64,
}

pub struct AuthService {
    pub store: Store,
    keys: keys::Keys,
    hs256: Option<DecodingKey>,
    issuer: String,
    trusted_hs_issuers: Vec<String>,
    access_ttl: Duration,
    session_ttl: Duration,
    cookie_secure: bool,
    /// Browser origins trusted for cookie-authenticated requests (besides the request's own host).
    pub trusted_origins: Vec<String>,
    pub limits: SigninLimits,
    pub trust_proxy_headers: bool,
    /// Proxies in front of the server that append to X-Forwarded-For (TRUSTED_PROXY_HOPS).
    pub trusted_proxy_hops: usize,
    verified: TokenCache,
    /// Validated client metadata documents (OAuth clients identified by a URL).
    pub cimd: oauth::cimd::Cache,
}

fn now_unix() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// SHA-256 hex of a session token: what the database stores.
pub fn hash_session_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn valid_subject(sub: &str) -> bool {
    !sub.is_empty()
        && sub.len() <= 64
        && sub
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl AuthService {
    /// Builds the service. `secret` is BETTER_AUTH_SECRET or the generated development secret;
    /// `may_generate_keys` is false for the MCP-only service, which only verifies tokens.
    pub async fn new(
        store: Store,
        config: &Config,
        secret: &str,
        may_generate_keys: bool,
    ) -> Result<Self, todobot_store::StoreError> {
        jwt_crypto::install();
        let keys = keys::Keys::load(store.clone(), secret, may_generate_keys).await?;
        let issuer = crate::config::trimmed(&config.server.public_url).to_owned();
        let mut trusted_hs_issuers = vec![issuer.clone()];
        trusted_hs_issuers.extend(
            config
                .auth
                .trusted_issuers
                .iter()
                .map(|s| s.trim().trim_end_matches('/').to_owned())
                .filter(|s| !s.is_empty()),
        );
        Ok(Self {
            store,
            keys,
            // only an explicitly configured secret is accepted for HS256, never the generated one
            hs256: config
                .auth
                .secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            issuer,
            trusted_hs_issuers,
            access_ttl: config.access_token_ttl(),
            session_ttl: config.session_ttl(),
            cookie_secure: config.server.public_url.scheme() == "https",
            trusted_origins: csrf::trusted_origins(
                config.server.public_url.as_str(),
                &config.server.cors_origins,
            ),
            limits: SigninLimits {
                max_per_client: config.auth.signin_max_per_client,
                max_failures_per_account: config.auth.signin_max_failures_per_account,
                max_failures_per_account_global: config
                    .resilience
                    .signin_max_failures_per_account_global,
                window_secs: config.auth.signin_window_secs.max(1),
            },
            trust_proxy_headers: config.server.trust_proxy_headers,
            trusted_proxy_hops: config.resilience.trusted_proxy_hops.max(1),
            verified: TokenCache::new(TOKEN_CACHE_CAPACITY),
            cimd: oauth::cimd::Cache::default(),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn jwks(&self) -> Vec<keys::Jwk> {
        self.keys.jwks()
    }

    /// Signs a short-lived EdDSA access token for `user`.
    pub fn issue_access_token(&self, user: &User) -> Result<String, ApiError> {
        self.issue_token_for(
            &user.id,
            Some(&user.email),
            Some(&user.name),
            self.access_ttl,
        )
    }

    /// Signs an access token for `user` bound to the session `session_id`: it stops working as
    /// soon as that session ends (sign-out), on every replica.
    pub fn issue_session_access_token(
        &self,
        user: &User,
        session_id: &str,
    ) -> Result<String, ApiError> {
        let iat = now_unix();
        self.sign_claims(&Claims {
            sub: user.id.clone(),
            iat,
            exp: iat + self.access_ttl.as_secs().max(1),
            nbf: Some(iat),
            sid: Some(session_id.to_owned()),
            iss: Some(self.issuer.clone()),
            aud: Some(serde_json::Value::String(self.issuer.clone())),
            email: Some(user.email.clone()),
            name: Some(user.name.clone()),
        })
    }

    /// Signs an access token for a subject with an explicit lifetime.
    pub fn issue_token_for(
        &self,
        user_id: &str,
        email: Option<&str>,
        name: Option<&str>,
        ttl: Duration,
    ) -> Result<String, ApiError> {
        let iat = now_unix();
        let claims = Claims {
            sub: user_id.to_owned(),
            iat,
            exp: iat + ttl.as_secs().max(1),
            nbf: Some(iat),
            sid: None,
            iss: Some(self.issuer.clone()),
            aud: Some(serde_json::Value::String(self.issuer.clone())),
            email: email.map(str::to_owned),
            name: name.map(str::to_owned),
        };
        self.sign_claims(&claims)
    }

    /// Signs arbitrary claims with the current key (tests and tooling; normal code uses
    /// [`AuthService::issue_access_token`]).
    pub fn sign_claims(&self, claims: &Claims) -> Result<String, ApiError> {
        let (kid, key) = self
            .keys
            .signing_key()
            .ok_or_else(|| ApiError::internal("no signing key loaded"))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid);
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &key).map_err(ApiError::internal)
    }

    /// Verifies an access token and returns who it identifies. A token bound to a session (`sid`)
    /// is refused once that session has ended, even when its signature check is remembered.
    pub async fn verify_access_token(&self, token: &str) -> Result<AuthUser, TokenError> {
        let verified = self.verify_signature(token).await?;
        if let Some(sid) = &verified.sid {
            self.check_session(&verified.user.id, sid).await?;
        }
        Ok(verified.user)
    }

    /// The token's header, signature and claims (remembered until the token expires), without
    /// its session: callers check that ([`AuthService::check_session`], or in their own statement,
    /// see [`deferred::DeferredSession`]).
    async fn verify_signature(&self, token: &str) -> Result<Verified, TokenError> {
        let key = TokenCache::key(token);
        let now = now_unix();
        if let Some(v) = self.verified.get(&key, now) {
            return Ok(v);
        }
        let (verified, exp) = self.check_token(token).await?;
        self.verified.insert(key, verified.clone(), exp, now);
        Ok(verified)
    }

    /// Refuses (`Revoked`) when the session `sid` of `user_id` has ended (signed out, revoked,
    /// expired).
    pub async fn check_session(&self, user_id: &str, sid: &str) -> Result<(), TokenError> {
        let live = self
            .store
            .session_active(user_id, sid)
            .await
            .map_err(token_store_error)?;
        if live {
            Ok(())
        } else {
            Err(TokenError::Revoked)
        }
    }

    /// The full check of a token: header, signature, claims; returns the user and the expiry.
    async fn check_token(&self, token: &str) -> Result<(Verified, u64), TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let claims = match header.alg {
            Algorithm::EdDSA => {
                let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
                let key = match self.keys.decoding_key(kid) {
                    Some(k) => k,
                    None => {
                        // maybe another replica created a key since we loaded ours
                        match self.keys.reload().await {
                            Ok(true) => self.keys.decoding_key(kid).ok_or(TokenError::Invalid)?,
                            Ok(false) => return Err(TokenError::Invalid),
                            Err(e) if e.is_unavailable() => return Err(TokenError::Unavailable),
                            Err(_) => return Err(TokenError::Invalid),
                        }
                    }
                };
                let mut v = Validation::new(Algorithm::EdDSA);
                v.leeway = LEEWAY_SECS;
                v.validate_nbf = true;
                v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
                v.set_issuer(&[&self.issuer]);
                v.set_audience(&[&self.issuer]);
                decode(token, &key, &v)?
            }
            Algorithm::HS256 => {
                let key = self.hs256.as_ref().ok_or(TokenError::Invalid)?;
                let mut v = Validation::new(Algorithm::HS256);
                v.leeway = LEEWAY_SECS;
                v.validate_nbf = true;
                v.set_required_spec_claims(&["exp", "sub"]);
                v.validate_aud = false;
                let claims = decode(token, key, &v)?;
                if let Some(iss) = &claims.iss
                    && !self
                        .trusted_hs_issuers
                        .iter()
                        .any(|t| t == iss.trim_end_matches('/'))
                {
                    return Err(TokenError::Invalid);
                }
                claims
            }
            // `none`, RSA/ECDSA and other HMAC variants are never accepted
            _ => return Err(TokenError::Invalid),
        };
        if !valid_subject(&claims.sub) {
            return Err(TokenError::Invalid);
        }
        if header.alg == Algorithm::HS256 {
            // a user known only to the Better Auth frontend gets a row here on first use
            self.store
                .ensure_external_user(&claims.sub, claims.email.as_deref(), claims.name.as_deref())
                .await
                .map_err(|e| {
                    if e.is_unavailable() {
                        TokenError::Unavailable
                    } else {
                        tracing::warn!(error = %e, "could not provision external user");
                        TokenError::Invalid
                    }
                })?;
        }
        Ok((
            Verified {
                user: AuthUser {
                    id: claims.sub,
                    email: claims.email,
                    name: claims.name,
                },
                sid: claims.sid,
            },
            claims.exp,
        ))
    }

    /// Starts a session for `user`; returns the opaque token to give the client.
    pub async fn start_session(
        &self,
        user: &User,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Result<(String, Session), ApiError> {
        let raw: [u8; 32] = rand::random();
        let token = B64.encode(raw);
        let expires = todobot_store::now()
            + chrono::Duration::from_std(self.session_ttl).map_err(ApiError::internal)?;
        let session = self
            .store
            .create_session(
                &user.id,
                &hash_session_token(&token),
                expires,
                ip,
                user_agent,
            )
            .await?;
        Ok((token, session))
    }

    /// The session and user a session token belongs to, if live. Sessions slide: one used in the
    /// second half of its life is extended.
    pub async fn session_for(&self, token: &str) -> Result<Option<(Session, User)>, ApiError> {
        let found = self.store.find_session(&hash_session_token(token)).await?;
        if let Some((mut session, user)) = found {
            let ttl = chrono::Duration::from_std(self.session_ttl).map_err(ApiError::internal)?;
            let now = todobot_store::now();
            if session.expires_at - now < ttl / 2 {
                self.store.touch_session(&session.id, now + ttl).await?;
                session.expires_at = now + ttl;
            }
            return Ok(Some((session, user)));
        }
        Ok(None)
    }

    /// The live session of a request. A bearer session token that is live wins over the cookie (a
    /// stale cookie never hides a valid bearer); a bearer that is not a live session (an access
    /// JWT, a revoked token) falls back to the cookie, as Better Auth's bearer plugin does.
    pub async fn request_session(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<RequestSession>, ApiError> {
        let candidates = [
            bearer_token(headers).map(|t| (t.to_owned(), SessionSource::Bearer)),
            session_cookie(headers).map(|t| (t, SessionSource::Cookie)),
        ];
        for (token, source) in candidates.into_iter().flatten() {
            if let Some((session, user)) = self.session_for(&token).await? {
                return Ok(Some(RequestSession {
                    token,
                    session,
                    user,
                    source,
                }));
            }
        }
        Ok(None)
    }

    /// Ends the session an access token (JWT) was issued for, when `token` is a valid one bound to
    /// a session; false otherwise (an invalid token, one of another kind, or no session).
    pub async fn end_access_token_session(&self, token: &str) -> Result<bool, ApiError> {
        let Ok(verified) = self.verify_signature(token).await else {
            return Ok(false);
        };
        let Some(sid) = verified.sid else {
            return Ok(false);
        };
        Ok(self
            .store
            .delete_user_session(&verified.user.id, &sid)
            .await?)
    }

    pub async fn end_session(&self, token: &str) -> Result<bool, ApiError> {
        Ok(self
            .store
            .delete_session(&hash_session_token(token))
            .await?)
    }

    /// `Set-Cookie` value carrying the session token (or clearing it when `None`). `Secure` when
    /// BETTER_AUTH_URL is https, as Better Auth does.
    pub fn session_cookie(&self, token: Option<&str>) -> String {
        self.session_cookie_for(token, self.session_ttl.as_secs())
    }

    /// Like [`AuthService::session_cookie`], for a session that lives `max_age_secs` more.
    pub fn session_cookie_for(&self, token: Option<&str>, max_age_secs: u64) -> String {
        let secure = if self.cookie_secure { "; Secure" } else { "" };
        match token {
            Some(t) => format!(
                "{SESSION_COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
            ),
            None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
        }
    }
}

/// Where a request's session token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionSource {
    Bearer,
    Cookie,
}

/// A request's live session (see [`AuthService::request_session`]).
pub struct RequestSession {
    pub token: String,
    pub session: Session,
    pub user: User,
    pub source: SessionSource,
}

/// A store error while checking a token: 503 when the database is unreachable, else refused.
fn token_store_error(e: todobot_store::StoreError) -> TokenError {
    if e.is_unavailable() {
        TokenError::Unavailable
    } else {
        TokenError::Invalid
    }
}

fn decode(token: &str, key: &DecodingKey, v: &Validation) -> Result<Claims, TokenError> {
    jsonwebtoken::decode::<Claims>(token, key, v)
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })
}

/// The bearer token of a request, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// The session token in the Better Auth session cookie of a request, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE || *k == SECURE_SESSION_COOKIE)
        .map(|(_, v)| v.split('.').next().unwrap_or(v).to_owned())
        .filter(|v| !v.is_empty())
}

impl<S> FromRequestParts<S> for AuthUser
where
    Arc<AuthService>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        // the token as `DeferredSession` reads it, with its session checked here
        let token = deferred::DeferredSession::from_request_parts(parts, state).await?;
        token.check(&Arc::<AuthService>::from_ref(state)).await?;
        let user = token.into_user();
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl AuthUser {
    /// Refuses (403) when a user id from a URL or argument is not the token's subject.
    pub fn require_self(&self, claimed: &str) -> Result<(), ApiError> {
        if claimed == self.id {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}
