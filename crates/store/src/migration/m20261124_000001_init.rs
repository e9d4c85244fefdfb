use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    EmailVerified,
    Image,
    LastTaskId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    UserId,
    Id,
    Title,
    Description,
    Completed,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    UserId,
    Title,
    BusyUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    UserId,
    Role,
    Content,
    ToolCalls,
    Status,
    Feedback,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    ExpiresAt,
    IpAddress,
    UserAgent,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Jwks {
    Table,
    Id,
    PublicKey,
    PrivateKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Key,
    WindowStart,
    Count,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(string_len(Users::Id, 64).primary_key())
                    .col(string_len_uniq(Users::Email, 320))
                    .col(string_len(Users::Name, 200))
                    .col(text_null(Users::PasswordHash))
                    .col(boolean(Users::EmailVerified).default(false))
                    .col(text_null(Users::Image))
                    .col(big_integer(Users::LastTaskId).default(0))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .if_not_exists()
                    .col(string_len(Tasks::UserId, 64))
                    .col(big_integer(Tasks::Id))
                    .col(string_len(Tasks::Title, 800))
                    .col(text_null(Tasks::Description))
                    .col(boolean(Tasks::Completed).default(false))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                    .primary_key(Index::create().col(Tasks::UserId).col(Tasks::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tasks_user")
                            .from(Tasks::Table, Tasks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_user_completed")
                    .table(Tasks::Table)
                    .col(Tasks::UserId)
                    .col(Tasks::Completed)
                    .col(Tasks::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Conversations::Id))
                    .col(string_len(Conversations::UserId, 64))
                    .col(string_len_null(Conversations::Title, 800))
                    .col(timestamp_with_time_zone_null(Conversations::BusyUntil))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .col(timestamp_with_time_zone(Conversations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_conversations_user")
                            .from(Conversations::Table, Conversations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversations_user_updated")
                    .table(Conversations::Table)
                    .col(Conversations::UserId)
                    .col(Conversations::UpdatedAt)
                    .col(Conversations::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Messages::Id))
                    .col(big_integer(Messages::ConversationId))
                    .col(string_len(Messages::UserId, 64))
                    .col(string_len(Messages::Role, 16))
                    .col(text(Messages::Content))
                    .col(json_null(Messages::ToolCalls))
                    .col(string_len(Messages::Status, 16).default("ok"))
                    .col(string_len_null(Messages::Feedback, 16))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_conversation")
                            .from(Messages::Table, Messages::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_conversation_id")
                    .table(Messages::Table)
                    .col(Messages::ConversationId)
                    .col(Messages::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(string_len_uniq(Sessions::TokenHash, 128))
                    .col(string_len(Sessions::UserId, 64))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(string_len_null(Sessions::IpAddress, 64))
                    .col(string_len_null(Sessions::UserAgent, 512))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jwks::Table)
                    .if_not_exists()
                    .col(string_len(Jwks::Id, 64).primary_key())
                    .col(string_len(Jwks::PublicKey, 128))
                    .col(text(Jwks::PrivateKey))
                    .col(timestamp_with_time_zone(Jwks::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    .if_not_exists()
                    .col(string_len(RateLimits::Key, 400).primary_key())
                    .col(big_integer(RateLimits::WindowStart))
                    .col(big_integer(RateLimits::Count))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RateLimits::Table.into_iden(),
            Jwks::Table.into_iden(),
            Sessions::Table.into_iden(),
            Messages::Table.into_iden(),
            Conversations::Table.into_iden(),
            Tasks::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
