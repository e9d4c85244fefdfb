//! REST task API: /api/{user_id}/tasks. Every route needs a valid access token whose subject is
//! `{user_id}`; every query is scoped to that user.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::IntoResponse,
    routing::{get, patch},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use todobot_store::{StatusFilter, Task, TaskPatch, validate::FieldErrors};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::AuthUser,
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery, OptionalJson},
};

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
}

impl From<Task> for TaskDto {
    fn from(t: Task) -> Self {
        Self {
            id: t.id,
            user_id: t.user_id,
            title: t.title,
            description: t.description,
            completed: t.completed,
            created_at: t.created_at,
            updated_at: t.updated_at,
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
}

/// Optional body of PATCH .../complete: set the state instead of toggling it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteTaskRequest {
    #[serde(default)]
    pub completed: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTasksQuery {
    /// `all` (default), `pending` or `completed`.
    #[param(value_type = Option<StatusParam>)]
    pub status: Option<String>,
    /// At most this many tasks (1..=1000); default all.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Skip this many tasks.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub offset: Option<u64>,
}

/// Which tasks to list (documentation of the `status` query parameter).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum StatusParam {
    All,
    Pending,
    Completed,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{user_id}/tasks", get(list_tasks).post(create_task))
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
    params(("user_id" = String, Path, description = "Your user id (the token's subject)"), ListTasksQuery),
    responses(
        (status = 200, description = "Tasks in id order", body = Vec<TaskDto>),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 422, description = "Invalid status filter or paging", body = ErrorBody),
    ))]
pub async fn list_tasks(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListTasksQuery>,
) -> ApiResult<Json<Vec<TaskDto>>> {
    user.require_self(&user_id)?;
    let mut errors = FieldErrors::new();
    let filter = errors
        .check(
            "status",
            q.status.as_deref().unwrap_or("all").parse::<StatusFilter>(),
        )
        .unwrap_or_default();
    if let Some(limit) = q.limit
        && !(1..=1000).contains(&limit)
    {
        errors.add("limit", "limit must be between 1 and 1000");
    }
    if q.offset.is_some_and(|o| o > i64::MAX as u64) {
        errors.add("offset", "offset is too large");
    }
    errors.into_result()?;
    let tasks = state
        .store
        .list_tasks(&user.id, filter, q.limit, q.offset.unwrap_or(0))
        .await?;
    Ok(Json(tasks.into_iter().map(TaskDto::from).collect()))
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
pub async fn create_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(req): ApiJson<CreateTaskRequest>,
) -> ApiResult<impl IntoResponse> {
    user.require_self(&user_id)?;
    let task = state
        .store
        .create_task(&user.id, &req.title, req.description.as_deref())
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
pub async fn update_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
    ApiJson(req): ApiJson<UpdateTaskRequest>,
) -> ApiResult<Json<TaskDto>> {
    user.require_self(&user_id)?;
    let patch = TaskPatch {
        title: req.title,
        description: req.description,
        completed: req.completed,
    };
    if patch.is_empty() {
        return Err(ApiError::field(
            "body",
            "provide at least one of title, description, completed",
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
        (status = 200, description = "The task after the change", body = TaskDto),
        (status = 400, description = "Malformed JSON or task id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such task", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn complete_task(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
    OptionalJson(req): OptionalJson<CompleteTaskRequest>,
) -> ApiResult<Json<TaskDto>> {
    user.require_self(&user_id)?;
    let task = state
        .store
        .set_task_completed(&user.id, id, req.completed)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(task.into()))
}
