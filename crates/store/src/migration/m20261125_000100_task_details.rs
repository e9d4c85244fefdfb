//! Priorities, tags, due dates, recurrence and completion times on tasks; a time zone and a UI
//! language per user.
//! Forward-only and additive: existing tasks get priority `medium`, no tags, no due date.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tasks {
    Table,
    UserId,
    Priority,
    Tags,
    DueAt,
    Recurrence,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Timezone,
    Locale,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE
        let columns = [
            small_integer(Tasks::Priority).default(1).to_owned(),
            string_len(Tasks::Tags, 400).default("").to_owned(),
            timestamp_with_time_zone_null(Tasks::DueAt).to_owned(),
            string_len_null(Tasks::Recurrence, 16).to_owned(),
            timestamp_with_time_zone_null(Tasks::CompletedAt).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tasks::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for mut column in [
            string_len_null(Users::Timezone, 64).to_owned(),
            string_len_null(Users::Locale, 16).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_user_due")
                    .table(Tasks::Table)
                    .col(Tasks::UserId)
                    .col(Tasks::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("forward-only migration".into()))
    }
}
