//! OAuth 2.1 for the MCP resource (clients, grants, refresh tokens) and personal access tokens.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Id,
    Name,
    RedirectUris,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthGrants {
    Table,
    Id,
    UserId,
    ClientId,
    Scope,
    Resource,
    CodeHash,
    CodeChallenge,
    RedirectUri,
    CodeExpiresAt,
    CodeUsed,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthRefreshTokens {
    Table,
    TokenHash,
    GrantId,
    Used,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PersonalAccessTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Hint,
    Scope,
    ExpiresAt,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, col: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(col)
        .if_not_exists()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthClients::Table)
                    .if_not_exists()
                    .col(string_len(OauthClients::Id, 64).primary_key())
                    .col(string_len(OauthClients::Name, 200))
                    .col(text(OauthClients::RedirectUris))
                    .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthGrants::Table)
                    .if_not_exists()
                    .col(string_len(OauthGrants::Id, 64).primary_key())
                    .col(string_len(OauthGrants::UserId, 64))
                    .col(string_len(OauthGrants::ClientId, 64))
                    .col(string_len(OauthGrants::Scope, 200))
                    .col(string_len(OauthGrants::Resource, 500))
                    .col(string_len_uniq(OauthGrants::CodeHash, 64))
                    .col(string_len(OauthGrants::CodeChallenge, 128))
                    .col(text(OauthGrants::RedirectUri))
                    .col(timestamp_with_time_zone(OauthGrants::CodeExpiresAt))
                    .col(boolean(OauthGrants::CodeUsed).default(false))
                    .col(timestamp_with_time_zone(OauthGrants::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_oauth_grants_user",
                        (OauthGrants::Table, OauthGrants::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_oauth_grants_client",
                        (OauthGrants::Table, OauthGrants::ClientId),
                        (OauthClients::Table, OauthClients::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_oauth_grants_user",
                OauthGrants::Table,
                OauthGrants::UserId,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthRefreshTokens::Table)
                    .if_not_exists()
                    .col(string_len(OauthRefreshTokens::TokenHash, 64).primary_key())
                    .col(string_len(OauthRefreshTokens::GrantId, 64))
                    .col(boolean(OauthRefreshTokens::Used).default(false))
                    .col(timestamp_with_time_zone(OauthRefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone(OauthRefreshTokens::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_oauth_refresh_grant",
                        (OauthRefreshTokens::Table, OauthRefreshTokens::GrantId),
                        (OauthGrants::Table, OauthGrants::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_oauth_refresh_grant",
                OauthRefreshTokens::Table,
                OauthRefreshTokens::GrantId,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PersonalAccessTokens::Table)
                    .if_not_exists()
                    .col(string_len(PersonalAccessTokens::Id, 64).primary_key())
                    .col(string_len(PersonalAccessTokens::UserId, 64))
                    .col(string_len(PersonalAccessTokens::Name, 100))
                    .col(string_len_uniq(PersonalAccessTokens::TokenHash, 64))
                    .col(string_len(PersonalAccessTokens::Hint, 16))
                    .col(string_len(PersonalAccessTokens::Scope, 100))
                    .col(timestamp_with_time_zone_null(
                        PersonalAccessTokens::ExpiresAt,
                    ))
                    .col(timestamp_with_time_zone(PersonalAccessTokens::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_pat_user",
                        (PersonalAccessTokens::Table, PersonalAccessTokens::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_pat_user",
                PersonalAccessTokens::Table,
                PersonalAccessTokens::UserId,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PersonalAccessTokens::Table.into_iden(),
            OauthRefreshTokens::Table.into_iden(),
            OauthGrants::Table.into_iden(),
            OauthClients::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
