//! The per-conversation turn queue (see the `turn_queue` migration): fair, shared by every replica
//! through the database, and self-healing (a ticket whose lease lapsed is removed by the next
//! request that looks at the conversation).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::{Store, StoreError, entity::turn_queue, now};

/// Where a ticket stands in its conversation's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnSlot {
    /// No live ticket is ahead of it: its turn may run.
    Head,
    /// Live tickets are ahead of it.
    Waiting,
}

impl Store {
    /// Takes a ticket (at the back of the conversation's queue) with a lease until `until`.
    #[tracing::instrument(name = "store.enqueue_turn", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn enqueue_turn(
        &self,
        user_id: &str,
        conversation_id: i64,
        until: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let row = turn_queue::Entity::insert(turn_queue::ActiveModel {
            conversation_id: Set(conversation_id),
            user_id: Set(user_id.to_owned()),
            expires_at: Set(until),
            created_at: Set(now()),
            ..Default::default()
        })
        .exec_with_returning(&self.db)
        .await?;
        Ok(row.id)
    }

    /// Removes the conversation's stale tickets (lease lapsed: a crashed or cut-off holder), then
    /// tells whether `ticket` is at the head of the queue.
    #[tracing::instrument(name = "store.turn_slot", level = "debug", skip_all, fields(user_id = %user_id, conversation_id = conversation_id))]
    pub async fn turn_slot(
        &self,
        user_id: &str,
        conversation_id: i64,
        ticket: i64,
    ) -> Result<TurnSlot, StoreError> {
        let stale = turn_queue::Entity::delete_many()
            .filter(turn_queue::Column::UserId.eq(user_id))
            .filter(turn_queue::Column::ConversationId.eq(conversation_id))
            .filter(turn_queue::Column::ExpiresAt.lt(now()))
            .exec(&self.db)
            .await?;
        if stale.rows_affected > 0 {
            tracing::warn!(
                conversation_id,
                stale = stale.rows_affected,
                "took over a stale turn lease (its holder stopped renewing it)"
            );
        }
        let first: Option<i64> = turn_queue::Entity::find()
            .select_only()
            .column(turn_queue::Column::Id)
            .filter(turn_queue::Column::UserId.eq(user_id))
            .filter(turn_queue::Column::ConversationId.eq(conversation_id))
            .filter(turn_queue::Column::Id.lte(ticket))
            .order_by_asc(turn_queue::Column::Id)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(if first == Some(ticket) {
            TurnSlot::Head
        } else {
            TurnSlot::Waiting
        })
    }

    /// Extends a ticket's lease; false when the ticket is gone (taken over as stale, or released).
    pub async fn renew_turn(&self, ticket: i64, until: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(turn_queue::Entity::update_many()
            .col_expr(turn_queue::Column::ExpiresAt, Expr::value(until))
            .filter(turn_queue::Column::Id.eq(ticket))
            .exec(&self.db)
            .await
            .map(|r| r.rows_affected == 1)?)
    }

    /// Gives a ticket back (its turn ended, or it stopped waiting).
    pub async fn release_turn_ticket(&self, ticket: i64) -> Result<(), StoreError> {
        Ok(turn_queue::Entity::delete_many()
            .filter(turn_queue::Column::Id.eq(ticket))
            .exec(&self.db)
            .await
            .map(|_| ())?)
    }
}
