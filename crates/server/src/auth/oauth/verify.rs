//! Access tokens for the MCP resource: EdDSA JWTs whose `aud` is the /mcp resource URL (never the
//! REST API's audience, so neither accepts the other's tokens), carrying the grant they were issued
//! under; and personal access tokens. Every request re-checks that the grant or token still exists
//! (one indexed lookup), so revocation acts at once.

use std::time::Duration;

use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use super::{PAT_PREFIX, SCOPE, accepted_audiences, hash_secret};
use crate::{
    auth::{AuthService, TokenError, bearer_token, now_unix},
    config::Config,
    error::ApiError,
};

const LEEWAY_SECS: u64 = 30;

/// Claims of an MCP access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct McpClaims {
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
    pub scope: String,
    /// The OAuth client the token was issued to (absent on the chat's own service tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The grant the token was issued under (absent on the chat's own service tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

/// Who an MCP request acts for, and through what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpPrincipal {
    pub user_id: String,
    pub grant_id: Option<String>,
}

impl AuthService {
    /// Signs an access token for the MCP resource `audience`.
    pub fn issue_mcp_token(
        &self,
        user_id: &str,
        audience: &str,
        client_id: Option<&str>,
        grant_id: Option<&str>,
        ttl: Duration,
    ) -> Result<String, ApiError> {
        let iat = now_unix();
        let claims = McpClaims {
            sub: user_id.to_owned(),
            iat,
            exp: iat + ttl.as_secs().max(1),
            iss: self.issuer.clone(),
            aud: audience.to_owned(),
            scope: SCOPE.to_owned(),
            client_id: client_id.map(str::to_owned),
            gid: grant_id.map(str::to_owned),
        };
        self.sign_mcp_claims(&claims)
    }

    /// Signs MCP access-token claims with the current key.
    pub fn sign_mcp_claims(&self, claims: &McpClaims) -> Result<String, ApiError> {
        let (kid, key) = self
            .keys
            .signing_key()
            .ok_or_else(|| ApiError::internal("no signing key loaded"))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid);
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, claims, &key).map_err(ApiError::internal)
    }

    /// Verifies the signature and claims of an MCP access token for one of `audiences`.
    pub async fn decode_mcp_token(
        &self,
        token: &str,
        audiences: &[String],
    ) -> Result<McpClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
        let key = match self.keys.decoding_key(kid) {
            Some(k) => k,
            None => match self.keys.reload().await {
                Ok(true) => self.keys.decoding_key(kid).ok_or(TokenError::Invalid)?,
                Ok(false) => return Err(TokenError::Invalid),
                Err(e) if e.is_unavailable() => return Err(TokenError::Unavailable),
                Err(_) => return Err(TokenError::Invalid),
            },
        };
        let mut v = Validation::new(Algorithm::EdDSA);
        v.leeway = LEEWAY_SECS;
        v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(audiences);
        jsonwebtoken::decode::<McpClaims>(token, &key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }

    /// The principal of an MCP request: a personal access token, or an access token for this
    /// resource whose grant still exists.
    pub async fn authenticate_mcp(
        &self,
        config: &Config,
        headers: &HeaderMap,
    ) -> Result<McpPrincipal, TokenError> {
        let token = bearer_token(headers).ok_or(TokenError::Missing)?;
        if token.starts_with(PAT_PREFIX) {
            let pat = self
                .store
                .find_pat(&hash_secret(token))
                .await
                .map_err(unavailable_or_invalid)?
                .ok_or(TokenError::Invalid)?;
            return Ok(McpPrincipal {
                user_id: pat.user_id,
                grant_id: None,
            });
        }
        let claims = self
            .decode_mcp_token(token, &accepted_audiences(config, headers))
            .await?;
        if let Some(gid) = &claims.gid {
            let grant = self
                .store
                .oauth_grant(gid)
                .await
                .map_err(unavailable_or_invalid)?;
            if !grant.is_some_and(|g| g.user_id == claims.sub && g.code_used) {
                return Err(TokenError::Invalid);
            }
        }
        Ok(McpPrincipal {
            user_id: claims.sub,
            grant_id: claims.gid,
        })
    }
}

fn unavailable_or_invalid(e: todobot_store::StoreError) -> TokenError {
    if e.is_unavailable() {
        TokenError::Unavailable
    } else {
        tracing::error!(error = %e, "mcp token lookup failed");
        TokenError::Invalid
    }
}
