//! The fair turn queue: one ticket per turn that is running or waiting in a conversation. The
//! lowest live ticket runs; the others wait in ticket (arrival) order. Every ticket carries a lease
//! (`expires_at`) its holder renews while it lives, so a crashed holder's ticket goes stale and is
//! taken over.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TurnQueue {
    Table,
    Id,
    ConversationId,
    UserId,
    ExpiresAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TurnQueue::Table)
                    .if_not_exists()
                    .col(big_pk_auto(TurnQueue::Id))
                    .col(big_integer(TurnQueue::ConversationId))
                    .col(string_len(TurnQueue::UserId, 64))
                    .col(timestamp_with_time_zone(TurnQueue::ExpiresAt))
                    .col(timestamp_with_time_zone(TurnQueue::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_turn_queue_conversation")
                    .table(TurnQueue::Table)
                    .col(TurnQueue::ConversationId)
                    .col(TurnQueue::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TurnQueue::Table).if_exists().to_owned())
            .await
    }
}
