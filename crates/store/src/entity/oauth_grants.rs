use sea_orm::entity::prelude::*;

/// One user's consent to one client: born with its authorization code, lives while refresh
/// tokens are issued from it; deleting it revokes everything issued under it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub resource: String,
    /// SHA-256 hex of the authorization code.
    #[sea_orm(unique)]
    pub code_hash: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    pub redirect_uri: String,
    pub code_expires_at: DateTimeUtc,
    pub code_used: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
