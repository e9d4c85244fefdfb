use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conversation_id: i64,
    pub user_id: String,
    pub role: Role,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Tool calls made while producing this (assistant) message: `[{id, name, arguments, result, is_error}]`.
    pub tool_calls: Option<Json>,
    pub status: MessageStatus,
    /// `positive` / `negative` feedback given on the message, if any.
    pub feedback: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Who wrote a message (stored as text, so the column needs no database enum type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "user")]
    User,
    #[sea_orm(string_value = "assistant")]
    Assistant,
    /// A UI widget the assistant showed (ChatKit), content = the widget JSON.
    #[sea_orm(string_value = "widget")]
    Widget,
}

impl Role {
    /// The stored (and wire) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Widget => "widget",
        }
    }
}

/// How a message's turn ended (stored as text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MessageStatus {
    #[sea_orm(string_value = "ok")]
    Ok,
    /// An assistant message that reports a failed turn.
    #[sea_orm(string_value = "error")]
    Error,
    /// A reply still being written ([`crate::Store::complete_message`] finishes it).
    #[sea_orm(string_value = "streaming")]
    Streaming,
}

impl MessageStatus {
    /// The stored (and wire) name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Ok => "ok",
            MessageStatus::Error => "error",
            MessageStatus::Streaming => "streaming",
        }
    }
}
