use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::{Store, StoreError, entity::users, now};

/// A registered user.
pub type User = users::Model;

/// What sign-up supplies; the email must already be validated and normalised.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub image: Option<String>,
}

impl Store {
    /// Creates a user with a fresh UUID. A taken email is a [`StoreError::Conflict`].
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let at = now();
        let model = users::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            email: Set(new.email),
            name: Set(new.name),
            password_hash: Set(new.password_hash),
            email_verified: Set(false),
            image: Set(new.image),
            last_task_id: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            timezone: Set(None),
            locale: Set(None),
        };
        Ok(users::Entity::insert(model)
            .exec_with_returning(&self.db)
            .await?)
    }

    pub async fn find_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(users::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        Ok(users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(&self.db)
            .await?)
    }

    /// Makes sure a user known only from an external token (Better Auth's shared-secret setup) has a
    /// row, so its tasks have an owner. Such users have no password and cannot sign in here.
    pub async fn ensure_external_user(
        &self,
        id: &str,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), StoreError> {
        if self.find_user(id).await?.is_some() {
            return Ok(());
        }
        let placeholder = format!("{id}@external.invalid");
        let candidate = email
            .and_then(|e| crate::validate::email(e).ok())
            .unwrap_or_else(|| placeholder.clone());
        let display = name
            .and_then(|n| crate::validate::name(n).ok())
            .unwrap_or_else(|| candidate.split('@').next().unwrap_or("user").to_owned());
        for email in [candidate, placeholder] {
            let at = now();
            let model = users::ActiveModel {
                id: Set(id.to_owned()),
                email: Set(email),
                name: Set(display.clone()),
                password_hash: Set(None),
                email_verified: Set(false),
                image: Set(None),
                last_task_id: Set(0),
                created_at: Set(at),
                updated_at: Set(at),
                timezone: Set(None),
                locale: Set(None),
            };
            match users::Entity::insert(model)
                .on_conflict_do_nothing_on([users::Column::Id])
                .exec_without_returning(&self.db)
                .await
                .map_err(StoreError::from)
            {
                Ok(_) => return Ok(()),
                // the email belongs to another account: fall back to the placeholder address
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict(
            "could not provision external user".into(),
        ))
    }

    /// The user's time zone (UTC when unset or no longer known).
    pub async fn user_timezone(&self, user_id: &str) -> Result<chrono_tz::Tz, StoreError> {
        let user = users::Entity::find_by_id(user_id.to_owned())
            .one(&self.db)
            .await?;
        Ok(user
            .and_then(|u| u.timezone)
            .and_then(|name| crate::parse_timezone(&name).ok())
            .unwrap_or(chrono_tz::Tz::UTC))
    }

    /// Sets the user's IANA time zone (validated by the caller with `parse_timezone`).
    pub async fn set_user_timezone(
        &self,
        user_id: &str,
        tz: chrono_tz::Tz,
    ) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(
                users::Column::Timezone,
                sea_orm::sea_query::Expr::value(tz.name()),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The user's chosen UI language, if any.
    pub async fn user_locale(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        let user = users::Entity::find_by_id(user_id.to_owned())
            .one(&self.db)
            .await?;
        Ok(user.and_then(|u| u.locale))
    }

    /// Keeps the user's UI language (validated by the caller against the shipped catalogues).
    pub async fn set_user_locale(&self, user_id: &str, locale: &str) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(
                users::Column::Locale,
                sea_orm::sea_query::Expr::value(locale),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
