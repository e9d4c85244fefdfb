//! An access token verified except for its session, for handlers that check the session in the
//! same database statement as their own query (one round trip instead of two; bench/README.md).
//!
//! [`DeferredSession`] gives out the user only together with the session still to check: a
//! handler passes [`DeferredSession::session_id`] to a store query that refuses an ended session
//! (e.g. `Store::query_tasks_in_session`) and answers 401 when it does, or calls
//! [`DeferredSession::check`] before answering any other way. Sign-out, revocation, password
//! change and account deletion then cut the token off exactly as with [`AuthUser`].

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use super::{AuthService, AuthUser, TokenError, bearer_token};
use crate::error::ApiError;

/// A verified access token whose session (if it is bound to one) is not checked yet.
#[derive(Debug)]
pub struct DeferredSession {
    user: AuthUser,
    sid: Option<String>,
}

impl DeferredSession {
    /// Who the token identifies: trust it only once the session is checked.
    pub fn user(&self) -> &AuthUser {
        &self.user
    }

    /// Who the token identifies, once the session is checked.
    pub(super) fn into_user(self) -> AuthUser {
        self.user
    }

    /// The session to check in the handler's statement; `None` when there is none to check (a
    /// token not bound to a session, or a request already fully authenticated).
    pub fn session_id(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// Checks the session on its own, for a handler that answers without its combined query
    /// (an error response must still be 401 for an ended session, as with [`AuthUser`]).
    pub async fn check(&self, auth: &AuthService) -> Result<(), ApiError> {
        match &self.sid {
            Some(sid) => Ok(auth.check_session(&self.user.id, sid).await?),
            None => Ok(()),
        }
    }
}

impl<S> FromRequestParts<S> for DeferredSession
where
    Arc<AuthService>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(Self {
                user: user.clone(),
                sid: None,
            });
        }
        let auth = Arc::<AuthService>::from_ref(state);
        let token = bearer_token(&parts.headers).ok_or(TokenError::Missing)?;
        let verified = auth.verify_signature(token).await?;
        Ok(Self {
            user: verified.user,
            sid: verified.sid,
        })
    }
}
