use sea_orm::entity::prelude::*;

/// A personal access token for MCP clients without OAuth (only its SHA-256 hex is kept).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "personal_access_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    pub name: String,
    #[sea_orm(unique)]
    #[serde(skip)]
    pub token_hash: String,
    /// The token's first characters, to tell tokens apart in a list.
    pub hint: String,
    pub scope: String,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
