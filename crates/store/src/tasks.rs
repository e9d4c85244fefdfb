use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    Store, StoreError,
    entity::{tasks, users},
    now,
    validate::{self, FieldErrors},
};

/// A task; `id` is numbered per user.
pub type Task = tasks::Model;

/// Which tasks a listing returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    Pending,
    Completed,
}

impl std::str::FromStr for StatusFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(StatusFilter::All),
            "pending" => Ok(StatusFilter::Pending),
            "completed" => Ok(StatusFilter::Completed),
            _ => Err("status must be one of all, pending, completed".into()),
        }
    }
}

/// A partial update. `description: Some(None)` clears the description.
#[derive(Clone, Debug, Default)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub completed: Option<bool>,
}

impl TaskPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.completed.is_none()
    }

    /// Validates and normalises every present field.
    pub fn validated(self) -> Result<TaskPatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = match self.title {
            Some(t) => errors.check("title", validate::title(&t)),
            None => None,
        };
        let description = match self.description {
            Some(d) => errors.check("description", validate::description(d.as_deref())),
            None => None,
        };
        errors.into_result()?;
        Ok(TaskPatch {
            title,
            description,
            completed: self.completed,
        })
    }
}

impl Store {
    /// Creates a task with the next number of this user. Concurrent creates never get the same id:
    /// the per-user counter is bumped by an `UPDATE ... RETURNING` that locks the user's row
    /// (PostgreSQL) or the database (SQLite) until the transaction commits.
    pub async fn create_task(
        &self,
        user_id: &str,
        title: &str,
        description: Option<&str>,
    ) -> Result<Task, StoreError> {
        let mut errors = FieldErrors::new();
        let title = errors.check("title", validate::title(title));
        let description = errors.check("description", validate::description(description));
        errors.into_result()?;
        let (Some(title), Some(description)) = (title, description) else {
            return Err(StoreError::Internal("validation state".into()));
        };

        let at = now();
        if self.backend() == crate::Backend::Postgres {
            // one round trip: the counter bump and the insert run as one statement (and so one
            // transaction); the UPDATE holds the user's row lock until it commits
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH next AS (UPDATE users SET last_task_id = last_task_id + 1 WHERE id = $1 \
                 RETURNING last_task_id) \
                 INSERT INTO tasks (user_id, id, title, description, completed, created_at, updated_at) \
                 SELECT $1, next.last_task_id, $2, $3, FALSE, $4, $4 FROM next \
                 RETURNING user_id, id, title, description, completed, created_at, updated_at",
                [user_id.into(), title.into(), description.into(), at.into()],
            );
            return tasks::Entity::find()
                .from_raw_sql(stmt)
                .one(&self.db)
                .await
                .map_err(StoreError::from)?
                .ok_or(StoreError::UserNotFound);
        }
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let bumped = users::Entity::update_many()
            .col_expr(
                users::Column::LastTaskId,
                Expr::col(users::Column::LastTaskId).add(1),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec_with_returning(&txn)
            .await
            .map_err(StoreError::from)?;
        let Some(user) = bumped.into_iter().next() else {
            return Err(StoreError::UserNotFound);
        };
        let task = tasks::Entity::insert(tasks::ActiveModel {
            user_id: Set(user_id.to_owned()),
            id: Set(user.last_task_id),
            title: Set(title),
            description: Set(description),
            completed: Set(false),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec_with_returning(&txn)
        .await
        .map_err(StoreError::from)?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(task)
    }

    /// The user's tasks in id order.
    pub async fn list_tasks(
        &self,
        user_id: &str,
        filter: StatusFilter,
        limit: Option<u64>,
        offset: u64,
    ) -> Result<Vec<Task>, StoreError> {
        let mut q = tasks::Entity::find().filter(tasks::Column::UserId.eq(user_id));
        q = match filter {
            StatusFilter::All => q,
            StatusFilter::Pending => q.filter(tasks::Column::Completed.eq(false)),
            StatusFilter::Completed => q.filter(tasks::Column::Completed.eq(true)),
        };
        // SQLite accepts OFFSET only after a LIMIT: an offset alone means "no limit"
        let limit = match (limit, offset) {
            (None, o) if o > 0 => Some(i64::MAX as u64),
            (l, _) => l,
        };
        q.order_by_asc(tasks::Column::Id)
            .limit(limit)
            .offset(if offset > 0 { Some(offset) } else { None })
            .all(&self.db)
            .await
            .map_err(StoreError::from)
    }

    pub async fn get_task(&self, user_id: &str, id: i64) -> Result<Option<Task>, StoreError> {
        tasks::Entity::find_by_id((user_id.to_owned(), id))
            .one(&self.db)
            .await
            .map_err(StoreError::from)
    }

    /// Applies a validated patch; `Ok(None)` when the user has no such task.
    pub async fn update_task(
        &self,
        user_id: &str,
        id: i64,
        patch: TaskPatch,
    ) -> Result<Option<Task>, StoreError> {
        let patch = patch.validated()?;
        if patch.is_empty() {
            return self.get_task(user_id, id).await;
        }
        let mut q = tasks::Entity::update_many()
            .col_expr(tasks::Column::UpdatedAt, Expr::value(now()))
            .filter(tasks::Column::UserId.eq(user_id))
            .filter(tasks::Column::Id.eq(id));
        if let Some(title) = patch.title {
            q = q.col_expr(tasks::Column::Title, Expr::value(title));
        }
        if let Some(description) = patch.description {
            q = q.col_expr(tasks::Column::Description, Expr::value(description));
        }
        if let Some(completed) = patch.completed {
            q = q.col_expr(tasks::Column::Completed, Expr::value(completed));
        }
        let rows = q
            .exec_with_returning(&self.db)
            .await
            .map_err(StoreError::from)?;
        Ok(rows.into_iter().next())
    }

    /// Sets `completed`, or flips it when `completed` is `None`, in one atomic statement.
    pub async fn set_task_completed(
        &self,
        user_id: &str,
        id: i64,
        completed: Option<bool>,
    ) -> Result<Option<Task>, StoreError> {
        let value = match completed {
            Some(c) => Expr::value(c),
            None => Expr::col(tasks::Column::Completed).not(),
        };
        let rows = tasks::Entity::update_many()
            .col_expr(tasks::Column::Completed, value)
            .col_expr(tasks::Column::UpdatedAt, Expr::value(now()))
            .filter(tasks::Column::UserId.eq(user_id))
            .filter(tasks::Column::Id.eq(id))
            .exec_with_returning(&self.db)
            .await
            .map_err(StoreError::from)?;
        Ok(rows.into_iter().next())
    }

    /// Deletes a task and returns it; `Ok(None)` when the user has no such task. Ids are not reused.
    pub async fn delete_task(&self, user_id: &str, id: i64) -> Result<Option<Task>, StoreError> {
        tasks::Entity::delete_many()
            .filter(tasks::Column::UserId.eq(user_id))
            .filter(tasks::Column::Id.eq(id))
            .exec_with_returning(&self.db)
            .await
            .map(|rows| rows.into_iter().next())
            .map_err(StoreError::from)
    }
}
