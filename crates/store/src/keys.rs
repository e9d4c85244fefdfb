use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder};

use crate::{Backend, Store, StoreError, entity::jwks, now};

/// A stored signing key (its private half encrypted by the caller).
pub type SigningKeyRow = jwks::Model;

impl Store {
    /// All signing keys, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, StoreError> {
        Ok(jwks::Entity::find()
            .order_by_desc(jwks::Column::CreatedAt)
            .order_by_desc(jwks::Column::Id)
            .all(&self.db)
            .await?)
    }

    pub async fn insert_signing_key(
        &self,
        kid: &str,
        public_key: &str,
        encrypted_private_key: &str,
    ) -> Result<SigningKeyRow, StoreError> {
        Ok(jwks::Entity::insert(jwks::ActiveModel {
            id: Set(kid.to_owned()),
            public_key: Set(public_key.to_owned()),
            private_key: Set(encrypted_private_key.to_owned()),
            created_at: Set(now()),
        })
        .exec_with_returning(&self.db)
        .await?)
    }

    /// Inserts a signing key only if the stored key ids are still exactly `seen` (what the caller
    /// decided on), all under one lock (a PostgreSQL advisory lock; SQLite's write lock): replicas
    /// starting together create one key, not one each. False when another replica got there first
    /// (read the keys again then).
    pub async fn insert_signing_key_if_unchanged(
        &self,
        seen: &[String],
        kid: &str,
        public_key: &str,
        encrypted_private_key: &str,
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin().await?;
        if self.backend() == Backend::Postgres {
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7402611116)")
                .await?;
        } else {
            // take SQLite's write lock before reading, so the check and the insert are one step
            txn.execute_unprepared("DELETE FROM jwks WHERE 1 = 0")
                .await?;
        }
        let mut current: Vec<String> = jwks::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|k| k.id)
            .collect();
        let mut seen = seen.to_vec();
        current.sort();
        seen.sort();
        if current != seen {
            return Ok(false);
        }
        jwks::Entity::insert(jwks::ActiveModel {
            id: Set(kid.to_owned()),
            public_key: Set(public_key.to_owned()),
            private_key: Set(encrypted_private_key.to_owned()),
            created_at: Set(now()),
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(true)
    }
}
