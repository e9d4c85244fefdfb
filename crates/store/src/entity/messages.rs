use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conversation_id: i64,
    pub user_id: String,
    /// `user` or `assistant`.
    pub role: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Tool calls made while producing this (assistant) message: `[{id, name, arguments, result, is_error}]`.
    pub tool_calls: Option<Json>,
    /// `ok` or `error` (an assistant message that reports a failure).
    pub status: String,
    /// `positive` / `negative` feedback given on the message, if any.
    pub feedback: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
