use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};

use crate::{Store, StoreError, entity::jwks, now};

/// A stored signing key (its private half encrypted by the caller).
pub type SigningKeyRow = jwks::Model;

impl Store {
    /// All signing keys, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>, StoreError> {
        jwks::Entity::find()
            .order_by_desc(jwks::Column::CreatedAt)
            .order_by_desc(jwks::Column::Id)
            .all(&self.db)
            .await
            .map_err(StoreError::from)
    }

    pub async fn insert_signing_key(
        &self,
        kid: &str,
        public_key: &str,
        encrypted_private_key: &str,
    ) -> Result<SigningKeyRow, StoreError> {
        jwks::Entity::insert(jwks::ActiveModel {
            id: Set(kid.to_owned()),
            public_key: Set(public_key.to_owned()),
            private_key: Set(encrypted_private_key.to_owned()),
            created_at: Set(now()),
        })
        .exec_with_returning(&self.db)
        .await
        .map_err(StoreError::from)
    }
}
