use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    Store, StoreError,
    entity::{sessions, tasks},
    now,
    sessions::live_session,
    task_details::{self, Priority, Recurrence, SortKey, TaskDetails},
    validate::{self, FieldErrors},
};

/// A task; `id` is numbered per user.
pub type Task = tasks::Model;

/// Which tasks to list: the one status filter of the REST API, the MCP tools and the planner
/// (`all`, `pending` or `completed` on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "schemars",
    derive(schemars::JsonSchema),
    schemars(rename = "StatusParam", description = "Which tasks to list.")
)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(as = StatusParam, description = "Which tasks to list by completion.")
)]
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

impl StatusFilter {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Pending => "pending",
            StatusFilter::Completed => "completed",
        }
    }
}

/// A partial update. `description: Some(None)` clears the description (same for due date and
/// recurrence); `tags: Some(vec![])` removes every tag.
#[derive(Clone, Debug, Default)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    pub tags: Option<Vec<String>>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub recurrence: Option<Option<Recurrence>>,
}

impl TaskPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.completed.is_none()
            && self.priority.is_none()
            && self.tags.is_none()
            && self.due_at.is_none()
            && self.recurrence.is_none()
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
        let tags = match self.tags {
            Some(t) => errors.check("tags", task_details::normalize_tags(&t)),
            None => None,
        };
        errors.into_result()?;
        Ok(TaskPatch {
            title,
            description,
            completed: self.completed,
            priority: self.priority,
            tags,
            due_at: self.due_at,
            recurrence: self.recurrence,
        })
    }
}

/// A listing: filters, search, sort and paging. Every filter narrows (AND): a task matches any of
/// `priorities`, and has every one of `tags`.
#[derive(Clone, Debug, Default)]
pub struct TaskQuery {
    pub status: StatusFilter,
    /// Any of these priorities (empty: all).
    pub priorities: Vec<Priority>,
    /// Every one of these tags (normalised).
    pub tags: Vec<String>,
    /// Words searched in title and description, case-insensitively (each must occur).
    pub search: Option<String>,
    pub due_before: Option<DateTime<Utc>>,
    pub due_after: Option<DateTime<Utc>>,
    /// Pending and due before now.
    pub overdue: bool,
    pub sort: SortKey,
    /// `None`: the key's natural order (created/due/title ascending, priority high first).
    pub descending: Option<bool>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// A completion and, for a recurring task, the next occurrence it created.
#[derive(Clone, Debug)]
pub struct Completion {
    pub task: Task,
    pub next: Option<Task>,
}

/// `%`, `_` and `\` taken literally in a LIKE pattern (escape character `\`).
fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The statement of [`Store::query_tasks`]: `user_id`'s tasks matching `query`, in its order.
fn select_tasks(user_id: &str, query: &TaskQuery) -> sea_orm::Select<tasks::Entity> {
    use sea_orm::{
        Order,
        sea_query::{Func, LikeExpr},
    };
    let mut q = tasks::Entity::find().filter(tasks::Column::UserId.eq(user_id));
    q = match query.status {
        StatusFilter::All => q,
        StatusFilter::Pending => q.filter(tasks::Column::Completed.eq(false)),
        StatusFilter::Completed => q.filter(tasks::Column::Completed.eq(true)),
    };
    if !query.priorities.is_empty() {
        q = q.filter(tasks::Column::Priority.is_in(query.priorities.iter().map(|p| p.rank())));
    }
    for tag in &query.tags {
        let pattern = format!("%,{},%", like_literal(tag));
        q = q.filter(tasks::Column::Tags.like(LikeExpr::new(pattern).escape('\\')));
    }
    for word in query.search.iter().flat_map(|s| s.split_whitespace()) {
        let pattern = format!("%{}%", like_literal(&word.to_lowercase()));
        let title = Expr::expr(Func::lower(Expr::col(tasks::Column::Title)))
            .like(LikeExpr::new(pattern.clone()).escape('\\'));
        let description = Expr::expr(Func::lower(Expr::col(tasks::Column::Description)))
            .like(LikeExpr::new(pattern).escape('\\'));
        q = q.filter(title.or(description));
    }
    if let Some(before) = query.due_before {
        q = q.filter(tasks::Column::DueAt.lt(before));
    }
    if let Some(after) = query.due_after {
        q = q.filter(tasks::Column::DueAt.gte(after));
    }
    if query.overdue {
        q = q
            .filter(tasks::Column::Completed.eq(false))
            .filter(tasks::Column::DueAt.lt(now()));
    }
    let natural_desc = query.sort == SortKey::Priority;
    let order = if query.descending.unwrap_or(natural_desc) {
        Order::Desc
    } else {
        Order::Asc
    };
    q = match query.sort {
        SortKey::Created => q,
        // tasks without a due date last, whichever the direction
        SortKey::Due => q
            .order_by(Expr::col(tasks::Column::DueAt).is_null(), Order::Asc)
            .order_by(tasks::Column::DueAt, order.clone()),
        SortKey::Priority => q.order_by(tasks::Column::Priority, order.clone()),
        SortKey::Title => q.order_by(Func::lower(Expr::col(tasks::Column::Title)), order.clone()),
    };
    let id_order = if query.sort == SortKey::Created {
        order
    } else {
        Order::Asc
    };
    // SQLite accepts OFFSET only after a LIMIT: an offset alone means "no limit"
    let limit = match (query.limit, query.offset) {
        (None, o) if o > 0 => Some(i64::MAX as u64),
        (l, _) => l,
    };
    q.order_by(tasks::Column::Id, id_order)
        .limit(limit)
        .offset((query.offset > 0).then_some(query.offset))
}

impl Store {
    /// Creates a task with the next number of this user (see [`Store::create_task_with`]).
    #[tracing::instrument(name = "store.create_task", level = "debug", skip_all, fields(user_id = %user_id))]
    pub async fn create_task(
        &self,
        user_id: &str,
        title: &str,
        description: Option<&str>,
    ) -> Result<Task, StoreError> {
        self.create_task_with(user_id, title, description, TaskDetails::default())
            .await
    }

    /// [`Store::create_task`] with priority, tags, due date and recurrence.
    ///
    /// The number is taken first ([`Store::next_task_number`], its own short transaction), then the
    /// task is inserted: concurrent creates of one user queue only for the counter bump, not for each
    /// other's insert and commit. Numbers are never handed out twice; an insert that fails after the
    /// bump (e.g. the user was deleted meanwhile) leaves a gap.
    #[tracing::instrument(name = "store.create_task_with", level = "debug", skip_all, fields(user_id = %user_id))]
    pub async fn create_task_with(
        &self,
        user_id: &str,
        title: &str,
        description: Option<&str>,
        details: TaskDetails,
    ) -> Result<Task, StoreError> {
        let mut errors = FieldErrors::new();
        let title = errors.check("title", validate::title(title));
        let description = errors.check("description", validate::description(description));
        let tags = errors.check("tags", task_details::normalize_tags(&details.tags));
        errors.into_result()?;
        let (Some(title), Some(description), Some(tags)) = (title, description, tags) else {
            return Err(StoreError::Internal("validation state".into()));
        };
        let id = self.next_task_number(user_id).await?;
        let at = now();
        let task = tasks::ActiveModel {
            user_id: Set(user_id.to_owned()),
            id: Set(id),
            title: Set(title),
            description: Set(description),
            completed: Set(false),
            created_at: Set(at),
            updated_at: Set(at),
            priority: Set(details.priority.rank()),
            tags: Set(task_details::encode_tags(&tags)),
            due_at: Set(details.due_at),
            recurrence: Set(details.recurrence.map(|r| r.as_str().to_owned())),
            completed_at: Set(None),
        };
        Ok(tasks::Entity::insert(task)
            .exec_with_returning(&self.db)
            .await?)
    }

    /// Hands out the user's next task number: one `UPDATE ... RETURNING` in autocommit, so the
    /// user's counter row (PostgreSQL) or the write lock (SQLite) is held for that statement only.
    ///
    /// On PostgreSQL the bump commits without waiting for its WAL flush (`synchronous_commit` off for
    /// this one transaction): otherwise each of a user's concurrent creates would wait for the
    /// previous one's disk flush while holding the row lock. No number can be handed out twice after
    /// a crash: the insert that uses a number is written to the WAL after the bump and commits
    /// synchronously, which flushes the WAL up to it, bump included; a bump lost in a crash belongs
    /// to no durable task.
    async fn next_task_number(&self, user_id: &str) -> Result<i64, StoreError> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)) \
                 UPDATE users SET last_task_id = last_task_id + 1 FROM async_commit WHERE id = $1 \
                 RETURNING last_task_id"
            }
            _ => {
                "UPDATE users SET last_task_id = last_task_id + 1 WHERE id = ? RETURNING last_task_id"
            }
        };
        let stmt = Statement::from_sql_and_values(backend, sql, [user_id.into()]);
        let row = self
            .db
            .query_one_raw(stmt)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        Ok(row.try_get::<i64>("", "last_task_id")?)
    }

    /// The user's tasks in id order.
    #[tracing::instrument(name = "store.list_tasks", level = "debug", skip_all, fields(user_id = %user_id))]
    pub async fn list_tasks(
        &self,
        user_id: &str,
        filter: StatusFilter,
        limit: Option<u64>,
        offset: u64,
    ) -> Result<Vec<Task>, StoreError> {
        let query = TaskQuery {
            status: filter,
            limit,
            offset,
            ..TaskQuery::default()
        };
        self.query_tasks(user_id, &query).await
    }

    /// The user's tasks matching `query`, in its order (ties broken by task number: stable paging).
    #[tracing::instrument(name = "store.query_tasks", level = "debug", skip_all, fields(user_id = %user_id))]
    pub async fn query_tasks(
        &self,
        user_id: &str,
        query: &TaskQuery,
    ) -> Result<Vec<Task>, StoreError> {
        Ok(select_tasks(user_id, query).all(&self.db).await?)
    }

    /// [`Store::query_tasks`] for a request whose access token is bound to the session
    /// `session_id`; `None` when that session is not live (signed out, revoked, expired, or not
    /// `user_id`'s).
    ///
    /// The session check is part of the list statement (`AND EXISTS (SELECT 1 FROM sessions ...)`),
    /// so a list takes one database round trip instead of two (and one pooled-connection release,
    /// which sqlx follows with a ping round trip). An empty result is ambiguous (no tasks, or no
    /// live session): the session is then checked on its own.
    #[tracing::instrument(name = "store.query_tasks_in_session", level = "debug", skip_all, fields(user_id = %user_id))]
    pub async fn query_tasks_in_session(
        &self,
        user_id: &str,
        session_id: &str,
        query: &TaskQuery,
    ) -> Result<Option<Vec<Task>>, StoreError> {
        use sea_orm::sea_query::Query;
        let live = Query::select()
            .expr(Expr::val(1))
            .from(sessions::Entity)
            .cond_where(live_session(user_id, session_id))
            .to_owned();
        let tasks = select_tasks(user_id, query)
            .filter(Expr::exists(live))
            .all(&self.db)
            .await?;
        if !tasks.is_empty() || self.session_active(user_id, session_id).await? {
            return Ok(Some(tasks));
        }
        Ok(None)
    }

    #[tracing::instrument(name = "store.get_task", level = "debug", skip_all, fields(user_id = %user_id, task_id = id))]
    pub async fn get_task(&self, user_id: &str, id: i64) -> Result<Option<Task>, StoreError> {
        Ok(tasks::Entity::find_by_id((user_id.to_owned(), id))
            .one(&self.db)
            .await?)
    }

    /// Applies a validated patch; `Ok(None)` when the user has no such task.
    #[tracing::instrument(name = "store.update_task", level = "debug", skip_all, fields(user_id = %user_id, task_id = id))]
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
            q = q.col_expr(
                tasks::Column::CompletedAt,
                completed_at_expr(Some(completed)),
            );
        }
        if let Some(priority) = patch.priority {
            q = q.col_expr(tasks::Column::Priority, Expr::value(priority.rank()));
        }
        if let Some(tags) = patch.tags {
            q = q.col_expr(
                tasks::Column::Tags,
                Expr::value(task_details::encode_tags(&tags)),
            );
        }
        if let Some(due_at) = patch.due_at {
            q = q.col_expr(tasks::Column::DueAt, Expr::value(due_at));
        }
        if let Some(recurrence) = patch.recurrence {
            q = q.col_expr(
                tasks::Column::Recurrence,
                Expr::value(recurrence.map(|r| r.as_str().to_owned())),
            );
        }
        let rows = q.exec_with_returning(&self.db).await?;
        Ok(rows.into_iter().next())
    }

    /// Sets `completed`, or flips it when `completed` is `None`, in one atomic statement.
    #[tracing::instrument(name = "store.set_task_completed", level = "debug", skip_all, fields(user_id = %user_id, task_id = id))]
    pub async fn set_task_completed(
        &self,
        user_id: &str,
        id: i64,
        completed: Option<bool>,
    ) -> Result<Option<Task>, StoreError> {
        Ok(self
            .complete_task(user_id, id, completed)
            .await?
            .map(|c| c.task))
    }

    /// [`Store::set_task_completed`], and when a recurring task becomes completed, its next
    /// occurrence (a new pending task, due per the rule in the user's time zone).
    #[tracing::instrument(name = "store.complete_task", level = "debug", skip_all, fields(user_id = %user_id, task_id = id))]
    pub async fn complete_task(
        &self,
        user_id: &str,
        id: i64,
        completed: Option<bool>,
    ) -> Result<Option<Completion>, StoreError> {
        let Some(task) = self.flip_completed(user_id, id, completed).await? else {
            return Ok(None);
        };
        let rule = task
            .recurrence
            .as_deref()
            .and_then(|r| r.parse::<Recurrence>().ok());
        let next = match rule {
            Some(rule) if task.completed => Some(self.next_occurrence(&task, rule).await?),
            _ => None,
        };
        Ok(Some(Completion { task, next }))
    }

    async fn next_occurrence(&self, task: &Task, rule: Recurrence) -> Result<Task, StoreError> {
        let tz = self.user_timezone(&task.user_id).await?;
        let from = task.due_at.or(task.completed_at).unwrap_or_else(now);
        let mut due = rule.next_after(from, tz);
        // a long-overdue task comes back in the future, not in the past
        while due < now() {
            due = rule.next_after(due, tz);
        }
        let details = TaskDetails {
            priority: Priority::from_rank(task.priority),
            tags: task_details::decode_tags(&task.tags),
            due_at: Some(due),
            recurrence: Some(rule),
        };
        self.create_task_with(
            &task.user_id,
            &task.title,
            task.description.as_deref(),
            details,
        )
        .await
    }

    async fn flip_completed(
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
            .col_expr(tasks::Column::CompletedAt, completed_at_expr(completed))
            .col_expr(tasks::Column::UpdatedAt, Expr::value(now()))
            .filter(tasks::Column::UserId.eq(user_id))
            .filter(tasks::Column::Id.eq(id))
            .exec_with_returning(&self.db)
            .await?;
        Ok(rows.into_iter().next())
    }

    /// Deletes a task and returns it; `Ok(None)` when the user has no such task. Ids are not reused.
    #[tracing::instrument(name = "store.delete_task", level = "debug", skip_all, fields(user_id = %user_id, task_id = id))]
    pub async fn delete_task(&self, user_id: &str, id: i64) -> Result<Option<Task>, StoreError> {
        Ok(tasks::Entity::delete_many()
            .filter(tasks::Column::UserId.eq(user_id))
            .filter(tasks::Column::Id.eq(id))
            .exec_with_returning(&self.db)
            .await
            .map(|rows| rows.into_iter().next())?)
    }
}

/// `completed_at` for a completion change: now when it becomes completed, NULL when reopened; for a
/// toggle, decided by the row's current state (every expression of an UPDATE sees the old row).
fn completed_at_expr(completed: Option<bool>) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::CaseStatement;
    match completed {
        Some(true) => Expr::value(Some(now())),
        Some(false) => Expr::value(Option::<DateTime<Utc>>::None),
        None => CaseStatement::new()
            .case(
                Expr::col(tasks::Column::Completed).eq(false),
                Expr::value(Some(now())),
            )
            .finally(Expr::value(Option::<DateTime<Utc>>::None))
            .into(),
    }
}
