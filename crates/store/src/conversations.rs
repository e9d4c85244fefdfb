use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
    sea_query::Expr,
};

use crate::{
    Store, StoreError,
    entity::{conversations, messages, turn_queue},
    now,
    validate::{self, FieldErrors},
};

pub type Conversation = conversations::Model;
pub type Message = messages::Model;
pub use messages::{MessageStatus, Role};

/// A message to append to a conversation.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub role: Role,
    pub content: String,
    pub tool_calls: Option<serde_json::Value>,
    pub status: MessageStatus,
}

/// Listing order (by id, i.e. creation order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MessageOrder {
    #[default]
    Asc,
    Desc,
}

impl Store {
    #[tracing::instrument(name = "store.create_conversation", level = "debug", skip_all, fields(user_id = %user_id))]
    pub async fn create_conversation(
        &self,
        user_id: &str,
        title: Option<&str>,
    ) -> Result<Conversation, StoreError> {
        let title = match title {
            Some(t) => {
                Some(validate::conversation_title(t).map_err(|e| FieldErrors::single("title", e))?)
            }
            None => None,
        };
        let at = now();
        conversations::Entity::insert(conversations::ActiveModel {
            user_id: Set(user_id.to_owned()),
            title: Set(title),
            busy_until: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec_with_returning(&self.db)
        .await
        .map_err(|e| match e.sql_err() {
            // the user was deleted while a token for it is still valid
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StoreError::UserNotFound,
            _ => StoreError::from(e),
        })
    }

    #[tracing::instrument(name = "store.get_conversation", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = id))]
    pub async fn get_conversation(
        &self,
        user_id: &str,
        id: i64,
    ) -> Result<Option<Conversation>, StoreError> {
        Ok(conversations::Entity::find()
            .filter(conversations::Column::UserId.eq(user_id))
            .filter(conversations::Column::Id.eq(id))
            .one(&self.db)
            .await?)
    }

    /// The user's conversations by creation order, starting after the conversation `after`
    /// (exclusive) when given. Returns at most `limit` rows.
    #[tracing::instrument(name = "store.list_conversations", level = "debug", skip_all, fields(user_id = %user_id))]
    pub async fn list_conversations(
        &self,
        user_id: &str,
        order: MessageOrder,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Conversation>, StoreError> {
        let mut q = conversations::Entity::find().filter(conversations::Column::UserId.eq(user_id));
        if let Some(after) = after {
            q = match order {
                MessageOrder::Asc => q.filter(conversations::Column::Id.gt(after)),
                MessageOrder::Desc => q.filter(conversations::Column::Id.lt(after)),
            };
        }
        q = match order {
            MessageOrder::Asc => q.order_by_asc(conversations::Column::Id),
            MessageOrder::Desc => q.order_by_desc(conversations::Column::Id),
        };
        Ok(q.limit(limit).all(&self.db).await?)
    }

    #[tracing::instrument(name = "store.rename_conversation", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = id))]
    pub async fn rename_conversation(
        &self,
        user_id: &str,
        id: i64,
        title: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        let title =
            validate::conversation_title(title).map_err(|e| FieldErrors::single("title", e))?;
        let rows = conversations::Entity::update_many()
            .col_expr(conversations::Column::Title, Expr::value(title))
            .col_expr(conversations::Column::UpdatedAt, Expr::value(now()))
            .filter(conversations::Column::UserId.eq(user_id))
            .filter(conversations::Column::Id.eq(id))
            .exec_with_returning(&self.db)
            .await?;
        Ok(rows.into_iter().next())
    }

    /// Deletes a conversation and its messages; true when it existed.
    #[tracing::instrument(name = "store.delete_conversation", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = id))]
    pub async fn delete_conversation(&self, user_id: &str, id: i64) -> Result<bool, StoreError> {
        let txn = self.db.begin().await?;
        turn_queue::Entity::delete_many()
            .filter(turn_queue::Column::UserId.eq(user_id))
            .filter(turn_queue::Column::ConversationId.eq(id))
            .exec(&txn)
            .await?;
        messages::Entity::delete_many()
            .filter(messages::Column::UserId.eq(user_id))
            .filter(messages::Column::ConversationId.eq(id))
            .exec(&txn)
            .await?;
        let deleted = conversations::Entity::delete_many()
            .filter(conversations::Column::UserId.eq(user_id))
            .filter(conversations::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(deleted.rows_affected > 0)
    }

    /// Appends a message and bumps the conversation's `updated_at`. `Ok(None)` when the user has no
    /// such conversation (nothing is written then).
    #[tracing::instrument(name = "store.append_message", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn append_message(
        &self,
        user_id: &str,
        conversation_id: i64,
        message: NewMessage,
    ) -> Result<Option<Message>, StoreError> {
        let at = now();
        let txn = self.db.begin().await?;
        let touched = conversations::Entity::update_many()
            .col_expr(conversations::Column::UpdatedAt, Expr::value(at))
            .filter(conversations::Column::UserId.eq(user_id))
            .filter(conversations::Column::Id.eq(conversation_id))
            .exec(&txn)
            .await?;
        if touched.rows_affected == 0 {
            return Ok(None);
        }
        let saved = messages::Entity::insert(messages::ActiveModel {
            conversation_id: Set(conversation_id),
            user_id: Set(user_id.to_owned()),
            role: Set(message.role),
            content: Set(message.content),
            tool_calls: Set(message.tool_calls),
            status: Set(message.status),
            feedback: Set(None),
            created_at: Set(at),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(Some(saved))
    }

    /// The newest `limit` messages of a conversation, returned oldest first. Reads only `limit` rows
    /// through the (conversation_id, id) index, whatever the conversation's length.
    #[tracing::instrument(name = "store.recent_messages", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn recent_messages(
        &self,
        user_id: &str,
        conversation_id: i64,
        limit: u64,
    ) -> Result<Vec<Message>, StoreError> {
        let mut rows = messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id))
            .order_by_desc(messages::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.reverse();
        Ok(rows)
    }

    /// A page of a conversation's messages after message `after` (exclusive) in the given order.
    #[tracing::instrument(name = "store.list_messages", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn list_messages(
        &self,
        user_id: &str,
        conversation_id: i64,
        order: MessageOrder,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Message>, StoreError> {
        let mut q = messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id));
        if let Some(after) = after {
            q = match order {
                MessageOrder::Asc => q.filter(messages::Column::Id.gt(after)),
                MessageOrder::Desc => q.filter(messages::Column::Id.lt(after)),
            };
        }
        q = match order {
            MessageOrder::Asc => q.order_by_asc(messages::Column::Id),
            MessageOrder::Desc => q.order_by_desc(messages::Column::Id),
        };
        Ok(q.limit(limit).all(&self.db).await?)
    }

    #[tracing::instrument(name = "store.get_message", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn get_message(
        &self,
        user_id: &str,
        conversation_id: i64,
        id: i64,
    ) -> Result<Option<Message>, StoreError> {
        Ok(messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id))
            .filter(messages::Column::Id.eq(id))
            .one(&self.db)
            .await?)
    }

    /// Deletes the messages that come after message `after_id` (used to regenerate a reply).
    #[tracing::instrument(name = "store.delete_messages_after", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn delete_messages_after(
        &self,
        user_id: &str,
        conversation_id: i64,
        after_id: i64,
    ) -> Result<u64, StoreError> {
        Ok(messages::Entity::delete_many()
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id))
            .filter(messages::Column::Id.gt(after_id))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected)?)
    }

    /// Replaces a message's content (a widget whose state changed). True when it existed.
    #[tracing::instrument(name = "store.update_message_content", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn update_message_content(
        &self,
        user_id: &str,
        conversation_id: i64,
        id: i64,
        content: String,
    ) -> Result<bool, StoreError> {
        Ok(messages::Entity::update_many()
            .col_expr(messages::Column::Content, Expr::value(content))
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id))
            .filter(messages::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected > 0)?)
    }

    /// Writes the final content, tool calls and status of a message reserved earlier (a reply that
    /// was streamed while it was written) and bumps the conversation's `updated_at`. `Ok(None)` when
    /// the user has no such message (the conversation was deleted meanwhile).
    #[tracing::instrument(name = "store.complete_message", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn complete_message(
        &self,
        user_id: &str,
        conversation_id: i64,
        id: i64,
        message: NewMessage,
    ) -> Result<Option<Message>, StoreError> {
        let txn = self.db.begin().await?;
        conversations::Entity::update_many()
            .col_expr(conversations::Column::UpdatedAt, Expr::value(now()))
            .filter(conversations::Column::UserId.eq(user_id))
            .filter(conversations::Column::Id.eq(conversation_id))
            .exec(&txn)
            .await?;
        let updated = messages::Entity::update_many()
            .col_expr(messages::Column::Content, Expr::value(message.content))
            .col_expr(messages::Column::ToolCalls, Expr::value(message.tool_calls))
            .col_expr(
                messages::Column::Status,
                Expr::value(message.status.as_str()),
            )
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id))
            .filter(messages::Column::Id.eq(id))
            .filter(messages::Column::Role.eq(message.role))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        self.get_message(user_id, conversation_id, id).await
    }

    /// Marks the replies of a conversation still `streaming` as failed, with `content` as their
    /// text: a turn that died while writing its reply (the process was killed, the node drained)
    /// leaves its reserved row behind. Call only while holding the conversation's turn lease, when
    /// no other turn of it can be writing. Returns how many replies were marked.
    #[tracing::instrument(name = "store.fail_interrupted_replies", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn fail_interrupted_replies(
        &self,
        user_id: &str,
        conversation_id: i64,
        content: &str,
    ) -> Result<u64, StoreError> {
        Ok(messages::Entity::update_many()
            .col_expr(messages::Column::Content, Expr::value(content.to_owned()))
            .col_expr(
                messages::Column::Status,
                Expr::value(MessageStatus::Error.as_str()),
            )
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id))
            .filter(messages::Column::Role.eq(Role::Assistant))
            .filter(messages::Column::Status.eq(MessageStatus::Streaming))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected)?)
    }

    /// Records `positive`/`negative` feedback on the given messages of a conversation.
    #[tracing::instrument(name = "store.set_message_feedback", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn set_message_feedback(
        &self,
        user_id: &str,
        conversation_id: i64,
        message_ids: &[i64],
        feedback: &str,
    ) -> Result<u64, StoreError> {
        if message_ids.is_empty() {
            return Ok(0);
        }
        Ok(messages::Entity::update_many()
            .col_expr(messages::Column::Feedback, Expr::value(feedback.to_owned()))
            .filter(messages::Column::ConversationId.eq(conversation_id))
            .filter(messages::Column::UserId.eq(user_id))
            .filter(messages::Column::Id.is_in(message_ids.iter().copied()))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected)?)
    }
}
