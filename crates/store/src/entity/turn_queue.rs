use sea_orm::entity::prelude::*;

/// A turn running (the conversation's lowest live ticket) or waiting in a conversation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "turn_queue")]
pub struct Model {
    /// The ticket: ids grow in arrival order, so the lowest waits longest.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conversation_id: i64,
    pub user_id: String,
    /// The holder's lease: renewed while it lives; a ticket past it is stale and removed.
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
