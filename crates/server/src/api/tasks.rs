//! REST task API: /api/{user_id}/tasks. Every route needs a valid access token whose subject is
//! `{user_id}`; every query is scoped to that user.

use axum::{
    Json, Router,
    extract::{RawQuery, State},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, patch},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use todobot_store::{Priority, Task, TaskDetails, TaskPatch, TaskQuery, validate::FieldErrors};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::{AuthUser, TokenError, deferred::DeferredSession},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery, OptionalJson},
};

use super::task_fields::{self, ListParams, PriorityParam, RecurrenceParam};

/// A task. `id` is numbered per user: "task 3" is the user's third task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = PriorityParam)]
    pub priority: &'static str,
    /// Normalised tags (lower case, `-` for spaces).
    pub tags: Vec<String>,
    pub due_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<RecurrenceParam>)]
    pub recurrence: Option<String>,
    /// When it was completed (null while pending).
    pub completed_at: Option<DateTime<Utc>>,
    /// Pending and past its due date.
    pub overdue: bool,
}

impl From<Task> for TaskDto {
    fn from(t: Task) -> Self {
        let overdue = !t.completed && t.due_at.is_some_and(|d| d < Utc::now());
        Self {
            id: t.id,
            user_id: t.user_id,
            title: t.title,
            description: t.description,
            completed: t.completed,
            created_at: t.created_at,
            updated_at: t.updated_at,
            priority: Priority::from_rank(t.priority).as_str(),
            tags: todobot_store::decode_tags(&t.tags),
            due_at: t.due_at,
            recurrence: t.recurrence,
            completed_at: t.completed_at,
            overdue,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskRequest {
    /// 1 to 200 characters (surrounding whitespace is trimmed), one line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
    )]
    pub title: String,
    /// Up to 1000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// Default `medium`.
    #[serde(default)]
    #[schema(value_type = Option<PriorityParam>)]
    pub priority: Option<String>,
    /// Up to 10 tags of 1..32 letters, digits, `-` or `_` (normalised to lower case).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub tags: Option<Vec<String>>,
    /// RFC 3339 date-time.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<RecurrenceParam>)]
    pub recurrence: Option<String>,
}

impl CreateTaskRequest {
    fn details(&self) -> Result<TaskDetails, FieldErrors> {
        let mut e = FieldErrors::new();
        let priority = task_fields::priority(&mut e, self.priority.as_deref());
        let due_at = task_fields::instant(&mut e, "due_at", self.due_at.as_deref());
        let recurrence = task_fields::recurrence(&mut e, self.recurrence.as_deref());
        let tags = match &self.tags {
            Some(t) => e
                .check("tags", todobot_store::normalize_tags(t))
                .unwrap_or_default(),
            None => Vec::new(),
        };
        e.into_result()?;
        Ok(TaskDetails {
            priority: priority.unwrap_or_default(),
            tags,
            due_at,
            recurrence,
        })
    }
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Fields to change; absent fields stay as they are, `description: null` clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTaskRequest {
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub completed: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<PriorityParam>)]
    pub priority: Option<String>,
    /// Replaces the tags (`[]` removes them all).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub tags: Option<Vec<String>>,
    /// RFC 3339 date-time; `null` removes the due date.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Option<String>>,
    /// `null` stops the repetition.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<RecurrenceParam>)]
    pub recurrence: Option<Option<String>>,
}

impl UpdateTaskRequest {
    fn patch(self) -> Result<TaskPatch, FieldErrors> {
        let mut e = FieldErrors::new();
        let priority = task_fields::priority(&mut e, self.priority.as_deref());
        let due_at = self
            .due_at
            .map(|d| d.and_then(|d| task_fields::instant(&mut e, "due_at", Some(&d))));
        let recurrence = self
            .recurrence
            .map(|r| r.and_then(|r| task_fields::recurrence(&mut e, Some(&r))));
        e.into_result()?;
        Ok(TaskPatch {
            title: self.title,
            description: self.description,
            completed: self.completed,
            priority,
            tags: self.tags,
            due_at,
            recurrence,
        })
    }
}

/// Optional body of PATCH .../complete: set the state instead of toggling it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTaskRequest {
    #[serde(default)]
    pub completed: Option<bool>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{user_id}/tasks", get(list_tasks).post(create_task))
        .route("/api/{user_id}/tasks/due", get(due_tasks))
        .route(
            "/api/{user_id}/settings",
            get(get_settings).put(put_settings),
        )
        .route(
            "/api/{user_id}/tasks/{id}",
            get(get_task).put(update_task).delete(delete_task),
        )
        .route("/api/{user_id}/tasks/{id}/complete", patch(complete_task))
}

fn not_found() -> ApiError {
    ApiError::NotFound("task")
}

/// List your tasks.
#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id (the token's subject)"), ListParams),
    responses(
        (status = 200, description = "Matching tasks, in the requested order (ties by task number)", body = Vec<TaskDto>),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 422, description = "Invalid filter, sort or paging", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.list_tasks", skip_all, fields(user_id = %auth.user().id))]
pub async fn list_tasks(
    auth: DeferredSession,
    State(state): State<AppState>,
    path: Result<ApiPath<String>, ApiError>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Vec<TaskDto>>> {
    let query = match list_query(auth.user(), path, raw) {
        Ok(query) => query,
        Err(e) => {
            // an ended session is 401 before any other answer, as with `AuthUser`
            auth.check(&state.auth).await?;
            return Err(e);
        }
    };
    let user_id = &auth.user().id;
    // the session check rides in the list statement: one round trip (bench/README.md)
    let tasks = match auth.session_id() {
        Some(sid) => state
            .store
            .query_tasks_in_session(user_id, sid, &query)
            .await?
            .ok_or(TokenError::Revoked)?,
        None => state.store.query_tasks(user_id, &query).await?,
    };
    Ok(Json(tasks.into_iter().map(TaskDto::from).collect()))
}

/// The list's query from the path and the query string, for `user` only.
fn list_query(
    user: &AuthUser,
    path: Result<ApiPath<String>, ApiError>,
    raw: Option<String>,
) -> Result<TaskQuery, ApiError> {
    let ApiPath(user_id) = path?;
    user.require_self(&user_id)?;
    let raw = raw.unwrap_or_default();
    task_fields::refuse_empty(&raw).map_err(ApiError::Validation)?;
    let params: ListParams = serde_html_form::from_str(&raw).map_err(|e| {
        ApiError::bad_request("INVALID_QUERY", format!("Invalid query string: {e}"))
    })?;
    params.into_query().map_err(ApiError::Validation)
}

/// Create a task.
#[utoipa::path(post, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    request_body = CreateTaskRequest,
    responses(
        (status = 201, description = "Created", body = TaskDto),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Title not 1..200 characters, description over 1000", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.create_task", skip_all, fields(user_id = %user.id))]
pub async fn create_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(req): ApiJson<CreateTaskRequest>,
) -> ApiResult<impl IntoResponse> {
    user.require_self(&user_id)?;
    let details = req.details().map_err(ApiError::Validation)?;
    let task = state
        .store
        .create_task_with(&user.id, &req.title, req.description.as_deref(), details)
        .await?;
    metrics::counter!("todobot_tasks_created_total", "via" => "rest").increment(1);
    Ok((StatusCode::CREATED, Json(TaskDto::from(task))))
}

/// Get one task.
#[utoipa::path(get, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task number")),
    responses(
        (status = 200, description = "The task", body = TaskDto),
        (status = 400, description = "Malformed task id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such task", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.get_task", skip_all, fields(user_id = %user.id, task_id = id))]
pub async fn get_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<TaskDto>> {
    user.require_self(&user_id)?;
    let task = state
        .store
        .get_task(&user.id, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task.into()))
}

/// Update a task's title, description and/or completion.
#[utoipa::path(put, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task number")),
    request_body = UpdateTaskRequest,
    responses(
        (status = 200, description = "The updated task", body = TaskDto),
        (status = 400, description = "Malformed JSON or task id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such task", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields, or no field given", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.update_task", skip_all, fields(user_id = %user.id, task_id = id))]
pub async fn update_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
    ApiJson(req): ApiJson<UpdateTaskRequest>,
) -> ApiResult<Json<TaskDto>> {
    user.require_self(&user_id)?;
    let patch = req.patch().map_err(ApiError::Validation)?;
    if patch.is_empty() {
        return Err(ApiError::field(
            "body",
            "provide at least one of title, description, completed, priority, tags, due_at, recurrence",
        ));
    }
    let task = state
        .store
        .update_task(&user.id, id, patch)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task.into()))
}

/// Delete a task. Its number is not reused.
#[utoipa::path(delete, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task number")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed task id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such task", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.delete_task", skip_all, fields(user_id = %user.id, task_id = id))]
pub async fn delete_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    user.require_self(&user_id)?;
    state
        .store
        .delete_task(&user.id, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Toggle a task's completion (or set it with `{"completed": true|false}`).
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task number")),
    request_body(content = Option<CompleteTaskRequest>, description = "Optional; without it the state toggles"),
    responses(
        (status = 200, description = "The task after the change; `next` is the next occurrence a recurring task got", body = CompletionDto),
        (status = 400, description = "Malformed JSON or task id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such task", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.complete_task", skip_all, fields(user_id = %user.id, task_id = id))]
pub async fn complete_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
    OptionalJson(req): OptionalJson<CompleteTaskRequest>,
) -> ApiResult<Json<CompletionDto>> {
    user.require_self(&user_id)?;
    let done = state
        .store
        .complete_task(&user.id, id, req.completed)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(CompletionDto {
        task: done.task.into(),
        next: done.next.map(TaskDto::from),
    }))
}

/// A completion: the task, plus the next occurrence when it repeats.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionDto {
    #[serde(flatten)]
    pub task: TaskDto,
    /// The new task created for the next occurrence of a recurring task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<TaskDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// Pending tasks due within this many hours from now (1..=720, default 24); overdue ones too.
    #[param(minimum = 1, maximum = 720)]
    pub within_hours: Option<u32>,
}

/// Overdue and due-soon tasks (for reminders), soonest first.
#[utoipa::path(get, path = "/api/{user_id}/tasks/due", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), DueQuery),
    responses(
        (status = 200, description = "Pending tasks due before now + within_hours, overdue first", body = Vec<TaskDto>),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 422, description = "within_hours out of range", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.due_tasks", skip_all, fields(user_id = %user.id))]
pub async fn due_tasks(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> ApiResult<Json<Vec<TaskDto>>> {
    user.require_self(&user_id)?;
    let hours = q.within_hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::field(
            "within_hours",
            "within_hours must be from 1 to 720",
        ));
    }
    let query = todobot_store::TaskQuery {
        status: todobot_store::StatusFilter::Pending,
        due_before: Some(Utc::now() + chrono::Duration::hours(i64::from(hours))),
        sort: todobot_store::SortKey::Due,
        ..Default::default()
    };
    let tasks = state.store.query_tasks(&user.id, &query).await?;
    Ok(Json(tasks.into_iter().map(TaskDto::from).collect()))
}

/// The user's settings: the time zone of due dates and repetitions, and the UI language.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskSettings {
    /// IANA time zone name, e.g. `Asia/Karachi` (UTC until set; the web UI sends the browser's).
    #[schema(example = "Asia/Karachi")]
    pub timezone: String,
    /// The UI language the user chose (one of /api/config `locales`); null = the browser's.
    pub locale: Option<String>,
}

/// Settings to change (at least one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    #[serde(default)]
    #[schema(example = "Asia/Karachi", max_length = 64)]
    pub timezone: Option<String>,
    #[serde(default)]
    #[schema(example = "ur", max_length = 16)]
    pub locale: Option<String>,
}

async fn settings_of(state: &AppState, user_id: &str) -> ApiResult<TaskSettings> {
    let tz = state.store.user_timezone(user_id).await?;
    let locale = state.store.user_locale(user_id).await?;
    Ok(TaskSettings {
        timezone: tz.name().to_owned(),
        locale,
    })
}

/// Your time zone (UTC until set) and UI language.
#[utoipa::path(get, path = "/api/{user_id}/settings", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    responses(
        (status = 200, description = "Settings", body = TaskSettings),
        (status = 400, description = "Malformed path", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.get_settings", skip_all, fields(user_id = %user.id))]
pub async fn get_settings(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<Json<TaskSettings>> {
    user.require_self(&user_id)?;
    Ok(Json(settings_of(&state, &user.id).await?))
}

/// Set your time zone and/or UI language.
#[utoipa::path(put, path = "/api/{user_id}/settings", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    request_body = SettingsUpdate,
    responses(
        (status = 200, description = "Saved", body = TaskSettings),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Unknown time zone or language", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.put_settings", skip_all, fields(user_id = %user.id))]
pub async fn put_settings(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(req): ApiJson<SettingsUpdate>,
) -> ApiResult<Json<TaskSettings>> {
    user.require_self(&user_id)?;
    let mut errors = FieldErrors::new();
    let tz = req
        .timezone
        .as_deref()
        .and_then(|t| errors.check("timezone", todobot_store::parse_timezone(t)));
    let locale = req.locale.as_deref().map(str::trim).and_then(|l| {
        let known = crate::web::ui_locales().iter().any(|k| k == l);
        let checked = if known {
            Ok(l.to_owned())
        } else {
            Err(format!(
                "locale must be one of {}",
                crate::web::ui_locales().join(", ")
            ))
        };
        errors.check("locale", checked)
    });
    if req.timezone.is_none() && req.locale.is_none() {
        errors.add("body", "give timezone and/or locale");
    }
    errors.into_result().map_err(ApiError::Validation)?;
    if let Some(tz) = tz {
        state.store.set_user_timezone(&user.id, tz).await?;
    }
    if let Some(locale) = locale {
        state.store.set_user_locale(&user.id, &locale).await?;
    }
    Ok(Json(settings_of(&state, &user.id).await?))
}
