use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::Expr,
};

use crate::{
    Store, StoreError, User,
    entity::{sessions, users},
    now,
};

/// The rows of `user_id`'s session `session_id` while it is live (not signed out, not expired):
/// [`Store::session_active`], and the check inside `Store::query_tasks_in_session`.
pub(crate) fn live_session(user_id: &str, session_id: &str) -> Condition {
    Condition::all()
        .add(sessions::Column::Id.eq(session_id))
        .add(sessions::Column::UserId.eq(user_id))
        .add(sessions::Column::ExpiresAt.gt(now()))
}

/// A sign-in session (Better Auth's session); identified by the hash of its bearer token.
pub type Session = sessions::Model;

impl Store {
    /// Records a new session. `token_hash` is the SHA-256 hex of the opaque token given to the client.
    pub async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        ip_address: Option<String>,
        user_agent: Option<String>,
    ) -> Result<Session, StoreError> {
        let at = now();
        // opportunistic cleanup of this user's expired sessions
        sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::ExpiresAt.lt(at))
            .exec(&self.db)
            .await?;
        Ok(sessions::Entity::insert(sessions::ActiveModel {
            id: Set(uuid::Uuid::new_v4().simple().to_string()),
            token_hash: Set(token_hash.to_owned()),
            user_id: Set(user_id.to_owned()),
            expires_at: Set(expires_at),
            ip_address: Set(ip_address.map(|s| crate::validate::truncate_chars(&s, 64))),
            user_agent: Set(user_agent.map(|s| crate::validate::truncate_chars(&s, 500))),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec_with_returning(&self.db)
        .await?)
    }

    /// The live (unexpired) session with this token hash, and its user.
    pub async fn find_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Session, User)>, StoreError> {
        let Some(session) = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .filter(sessions::Column::ExpiresAt.gt(now()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let user = users::Entity::find_by_id(session.user_id.clone())
            .one(&self.db)
            .await?;
        Ok(user.map(|u| (session, u)))
    }

    /// Extends a session's expiry (sliding sessions).
    pub async fn touch_session(
        &self,
        session_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(sessions::Entity::update_many()
            .col_expr(sessions::Column::ExpiresAt, Expr::value(expires_at))
            .col_expr(sessions::Column::UpdatedAt, Expr::value(now()))
            .filter(sessions::Column::Id.eq(session_id))
            .exec(&self.db)
            .await
            .map(|_| ())?)
    }

    /// Revokes the session with this token hash; true when one existed.
    pub async fn delete_session(&self, token_hash: &str) -> Result<bool, StoreError> {
        Ok(sessions::Entity::delete_many()
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected > 0)?)
    }

    /// Revokes `user_id`'s session `session_id`; true when one existed.
    pub async fn delete_user_session(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(sessions::Entity::delete_many()
            .filter(sessions::Column::Id.eq(session_id))
            .filter(sessions::Column::UserId.eq(user_id))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected > 0)?)
    }

    /// Whether the session `session_id` of `user_id` is live (not signed out, not expired).
    pub async fn session_active(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(sessions::Entity::find()
            .filter(live_session(user_id, session_id))
            .count(&self.db)
            .await
            .map(|n| n > 0)?)
    }
}
