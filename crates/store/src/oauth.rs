//! OAuth 2.1 storage for the MCP resource (clients, grants with their authorization code, rotated
//! refresh tokens) and personal access tokens. Secrets are stored only as SHA-256 hex digests.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, OnConflict},
};

use crate::{
    Store, StoreError,
    entity::{oauth_clients, oauth_grants, oauth_refresh_tokens, personal_access_tokens},
    now,
};

pub type OauthGrant = oauth_grants::Model;
pub type PersonalAccessToken = personal_access_tokens::Model;

/// A registered client, redirect URIs decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OauthClient {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<oauth_clients::Model> for OauthClient {
    fn from(m: oauth_clients::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            redirect_uris: serde_json::from_str(&m.redirect_uris).unwrap_or_default(),
            created_at: m.created_at,
        }
    }
}

/// What a new grant records (at consent).
#[derive(Clone, Debug)]
pub struct NewGrant {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub resource: String,
    pub code_hash: String,
    pub code_challenge: String,
    pub redirect_uri: String,
    pub code_expires_at: DateTime<Utc>,
}

/// The outcome of presenting a single-use secret (authorization code or refresh token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// Valid: now consumed; the grant it belongs to.
    Ok(Box<OauthGrant>),
    /// Unknown or expired.
    Invalid,
    /// Already consumed once: the whole grant was revoked.
    Replayed,
}

/// A connected client as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub grant_id: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Store {
    /// Registers a public client.
    pub async fn create_oauth_client(
        &self,
        name: &str,
        redirect_uris: &[String],
    ) -> Result<OauthClient, StoreError> {
        let uris = serde_json::to_string(redirect_uris)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let row = oauth_clients::Entity::insert(oauth_clients::ActiveModel {
            id: Set(new_id()),
            name: Set(crate::validate::truncate_chars(name, 200)),
            redirect_uris: Set(uris),
            created_at: Set(now()),
        })
        .exec_with_returning(&self.db)
        .await?;
        Ok(row.into())
    }

    /// Records (or refreshes) a client known by its metadata document under a derived `id`; the
    /// first record's creation time is kept.
    pub async fn upsert_oauth_client(
        &self,
        id: &str,
        name: &str,
        redirect_uris: &[String],
    ) -> Result<OauthClient, StoreError> {
        let uris = serde_json::to_string(redirect_uris)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        oauth_clients::Entity::insert(oauth_clients::ActiveModel {
            id: Set(id.to_owned()),
            name: Set(crate::validate::truncate_chars(name, 200)),
            redirect_uris: Set(uris),
            created_at: Set(now()),
        })
        .on_conflict(
            OnConflict::column(oauth_clients::Column::Id)
                .update_columns([
                    oauth_clients::Column::Name,
                    oauth_clients::Column::RedirectUris,
                ])
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        self.find_oauth_client(id)
            .await?
            .ok_or_else(|| StoreError::Internal("upserted client not found".into()))
    }

    pub async fn find_oauth_client(&self, id: &str) -> Result<Option<OauthClient>, StoreError> {
        Ok(oauth_clients::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Records a consent and its (hashed) authorization code.
    pub async fn create_oauth_grant(&self, g: NewGrant) -> Result<OauthGrant, StoreError> {
        Ok(oauth_grants::Entity::insert(oauth_grants::ActiveModel {
            id: Set(new_id()),
            user_id: Set(g.user_id),
            client_id: Set(g.client_id),
            scope: Set(g.scope),
            resource: Set(g.resource),
            code_hash: Set(g.code_hash),
            code_challenge: Set(g.code_challenge),
            redirect_uri: Set(g.redirect_uri),
            code_expires_at: Set(g.code_expires_at),
            code_used: Set(false),
            created_at: Set(now()),
        })
        .exec_with_returning(&self.db)
        .await?)
    }

    /// Consumes an authorization code (once). A second use revokes the grant and everything issued
    /// under it (RFC 9700 §4.5).
    pub async fn redeem_oauth_code(&self, code_hash: &str) -> Result<Redeemed, StoreError> {
        let Some(grant) = oauth_grants::Entity::find()
            .filter(oauth_grants::Column::CodeHash.eq(code_hash))
            .one(&self.db)
            .await?
        else {
            return Ok(Redeemed::Invalid);
        };
        if grant.code_used {
            self.delete_oauth_grant(&grant.id).await?;
            return Ok(Redeemed::Replayed);
        }
        if grant.code_expires_at <= now() {
            self.delete_oauth_grant(&grant.id).await?;
            return Ok(Redeemed::Invalid);
        }
        let claimed = oauth_grants::Entity::update_many()
            .col_expr(oauth_grants::Column::CodeUsed, Expr::value(true))
            .filter(oauth_grants::Column::Id.eq(&grant.id))
            .filter(oauth_grants::Column::CodeUsed.eq(false))
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            self.delete_oauth_grant(&grant.id).await?;
            return Ok(Redeemed::Replayed);
        }
        Ok(Redeemed::Ok(Box::new(OauthGrant {
            code_used: true,
            ..grant
        })))
    }

    pub async fn insert_refresh_token(
        &self,
        token_hash: &str,
        grant_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(
            oauth_refresh_tokens::Entity::insert(oauth_refresh_tokens::ActiveModel {
                token_hash: Set(token_hash.to_owned()),
                grant_id: Set(grant_id.to_owned()),
                used: Set(false),
                expires_at: Set(expires_at),
                created_at: Set(now()),
            })
            .exec(&self.db)
            .await
            .map(|_| ())?,
        )
    }

    /// Consumes a refresh token for rotation. Presenting an already rotated one revokes the grant.
    pub async fn redeem_refresh_token(&self, token_hash: &str) -> Result<Redeemed, StoreError> {
        let Some(token) = oauth_refresh_tokens::Entity::find_by_id(token_hash.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(Redeemed::Invalid);
        };
        if token.used {
            self.delete_oauth_grant(&token.grant_id).await?;
            return Ok(Redeemed::Replayed);
        }
        if token.expires_at <= now() {
            return Ok(Redeemed::Invalid);
        }
        let claimed = oauth_refresh_tokens::Entity::update_many()
            .col_expr(oauth_refresh_tokens::Column::Used, Expr::value(true))
            .filter(oauth_refresh_tokens::Column::TokenHash.eq(token_hash))
            .filter(oauth_refresh_tokens::Column::Used.eq(false))
            .exec(&self.db)
            .await?;
        if claimed.rows_affected == 0 {
            self.delete_oauth_grant(&token.grant_id).await?;
            return Ok(Redeemed::Replayed);
        }
        Ok(self
            .oauth_grant(&token.grant_id)
            .await?
            .filter(|g| g.code_used)
            .map_or(Redeemed::Invalid, |g| Redeemed::Ok(Box::new(g))))
    }

    /// The grant a refresh token belongs to (used or not), for revocation.
    pub async fn refresh_token_grant(
        &self,
        token_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            oauth_refresh_tokens::Entity::find_by_id(token_hash.to_owned())
                .one(&self.db)
                .await?
                .map(|t| t.grant_id),
        )
    }

    /// One primary-key lookup: the grant, if it still exists.
    pub async fn oauth_grant(&self, grant_id: &str) -> Result<Option<OauthGrant>, StoreError> {
        Ok(oauth_grants::Entity::find_by_id(grant_id.to_owned())
            .one(&self.db)
            .await?)
    }

    /// Deletes a grant (its refresh tokens go with it, by hand: not every SQLite build enforces
    /// foreign keys the same way).
    pub async fn delete_oauth_grant(&self, grant_id: &str) -> Result<bool, StoreError> {
        oauth_refresh_tokens::Entity::delete_many()
            .filter(oauth_refresh_tokens::Column::GrantId.eq(grant_id))
            .exec(&self.db)
            .await?;
        Ok(oauth_grants::Entity::delete_by_id(grant_id.to_owned())
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected > 0)?)
    }

    /// Revokes one of the user's grants; false when it is not theirs or does not exist.
    pub async fn delete_user_oauth_grant(
        &self,
        user_id: &str,
        grant_id: &str,
    ) -> Result<bool, StoreError> {
        match self.oauth_grant(grant_id).await? {
            Some(g) if g.user_id == user_id => self.delete_oauth_grant(grant_id).await,
            _ => Ok(false),
        }
    }

    /// The user's connected clients (grants whose code was exchanged), newest first.
    pub async fn oauth_connections(&self, user_id: &str) -> Result<Vec<Connection>, StoreError> {
        let grants = oauth_grants::Entity::find()
            .filter(oauth_grants::Column::UserId.eq(user_id))
            .filter(oauth_grants::Column::CodeUsed.eq(true))
            .order_by_desc(oauth_grants::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let ids: Vec<String> = grants.iter().map(|g| g.client_id.clone()).collect();
        let clients = oauth_clients::Entity::find()
            .filter(oauth_clients::Column::Id.is_in(ids))
            .all(&self.db)
            .await?;
        Ok(grants
            .into_iter()
            .map(|g| Connection {
                client_name: clients
                    .iter()
                    .find(|c| c.id == g.client_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                grant_id: g.id,
                client_id: g.client_id,
                scope: g.scope,
                created_at: g.created_at,
            })
            .collect())
    }

    /// Stores a new personal access token (hashed).
    pub async fn create_pat(
        &self,
        user_id: &str,
        name: &str,
        token_hash: &str,
        hint: &str,
        scope: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<PersonalAccessToken, StoreError> {
        Ok(
            personal_access_tokens::Entity::insert(personal_access_tokens::ActiveModel {
                id: Set(new_id()),
                user_id: Set(user_id.to_owned()),
                name: Set(crate::validate::truncate_chars(name, 100)),
                token_hash: Set(token_hash.to_owned()),
                hint: Set(crate::validate::truncate_chars(hint, 16)),
                scope: Set(scope.to_owned()),
                expires_at: Set(expires_at),
                created_at: Set(now()),
            })
            .exec_with_returning(&self.db)
            .await?,
        )
    }

    pub async fn list_pats(&self, user_id: &str) -> Result<Vec<PersonalAccessToken>, StoreError> {
        Ok(personal_access_tokens::Entity::find()
            .filter(personal_access_tokens::Column::UserId.eq(user_id))
            .order_by_desc(personal_access_tokens::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    pub async fn delete_pat(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(personal_access_tokens::Entity::delete_many()
            .filter(personal_access_tokens::Column::UserId.eq(user_id))
            .filter(personal_access_tokens::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected > 0)?)
    }

    /// One indexed lookup: the live (unexpired) token with this hash.
    pub async fn find_pat(
        &self,
        token_hash: &str,
    ) -> Result<Option<PersonalAccessToken>, StoreError> {
        let found = personal_access_tokens::Entity::find()
            .filter(personal_access_tokens::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?;
        Ok(found.filter(|t| t.expires_at.is_none_or(|e| e > now())))
    }
}
