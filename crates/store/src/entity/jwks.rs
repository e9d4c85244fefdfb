use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jwks")]
pub struct Model {
    /// The key id (`kid`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Ed25519 public key, base64url (the JWK `x`).
    pub public_key: String,
    /// Ed25519 private key (PKCS#8), encrypted with a key derived from the server secret.
    #[sea_orm(column_type = "Text")]
    pub private_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
