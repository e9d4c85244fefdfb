use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Alias, Condition, Expr, ExprTrait, OnConflict},
};

use crate::{Store, StoreError, entity::rate_limits};

fn window_start(now_unix: i64, window_secs: i64) -> i64 {
    let w = Ord::max(window_secs, 1);
    now_unix - now_unix.rem_euclid(w)
}

impl Store {
    /// Counts one hit against `key` in the current fixed window of `window_secs` and returns the
    /// hits so far in that window (including this one). Shared by every replica through the database.
    pub async fn rate_limit_hit(
        &self,
        key: &str,
        window_secs: i64,
        now_unix: i64,
    ) -> Result<i64, StoreError> {
        let start = window_start(now_unix, window_secs);
        let excluded = Alias::new("excluded");
        let same_window = Condition::all().add(ExprTrait::eq(
            Expr::col((rate_limits::Entity, rate_limits::Column::WindowStart)),
            Expr::col((excluded.clone(), rate_limits::Column::WindowStart)),
        ));
        let row = rate_limits::Entity::insert(rate_limits::ActiveModel {
            key: Set(key.to_owned()),
            window_start: Set(start),
            count: Set(1),
        })
        .on_conflict(
            OnConflict::column(rate_limits::Column::Key)
                .value(
                    rate_limits::Column::Count,
                    Expr::case(
                        same_window,
                        Expr::col((rate_limits::Entity, rate_limits::Column::Count)).add(1),
                    )
                    .finally(Expr::val(1)),
                )
                .value(
                    rate_limits::Column::WindowStart,
                    Expr::col((excluded, rate_limits::Column::WindowStart)),
                )
                .to_owned(),
        )
        .exec_with_returning(&self.db)
        .await?;
        Ok(row.count)
    }

    /// Hits recorded against `key` in the current window, without counting a new one.
    pub async fn rate_limit_count(
        &self,
        key: &str,
        window_secs: i64,
        now_unix: i64,
    ) -> Result<i64, StoreError> {
        let start = window_start(now_unix, window_secs);
        let row = rate_limits::Entity::find()
            .filter(rate_limits::Column::Key.eq(key))
            .filter(rate_limits::Column::WindowStart.eq(start))
            .one(&self.db)
            .await?;
        Ok(row.map(|r| r.count).unwrap_or(0))
    }

    /// Forgets the hits against `key` (e.g. failed sign-ins after a successful one).
    pub async fn rate_limit_reset(&self, key: &str) -> Result<(), StoreError> {
        Ok(rate_limits::Entity::delete_many()
            .filter(rate_limits::Column::Key.eq(key))
            .exec(&self.db)
            .await
            .map(|_| ())?)
    }

    /// Takes back one hit counted against `key` in the current window (an attempt that turned out
    /// not to be a failure).
    pub async fn rate_limit_refund(
        &self,
        key: &str,
        window_secs: i64,
        now_unix: i64,
    ) -> Result<(), StoreError> {
        let start = window_start(now_unix, window_secs);
        Ok(rate_limits::Entity::update_many()
            .col_expr(
                rate_limits::Column::Count,
                Expr::col(rate_limits::Column::Count).sub(1),
            )
            .filter(rate_limits::Column::Key.eq(key))
            .filter(rate_limits::Column::WindowStart.eq(start))
            .filter(rate_limits::Column::Count.gt(0))
            .exec(&self.db)
            .await
            .map(|_| ())?)
    }
}
