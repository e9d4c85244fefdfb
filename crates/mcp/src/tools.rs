use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    handler::server::{common::schema_for_output, router::tool::ToolRouter, wrapper::Parameters},
    model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig},
    schemars::{self, JsonSchema},
    service::RequestContext,
    tool, tool_handler, tool_router,
};
use serde::{Deserialize, Serialize};
use todobot_store::{Priority, StatusFilter, Store, StoreError, Task};

use crate::{
    McpUser,
    params::{
        AddTaskParams, CompleteTaskParams, DeleteTaskParams, ListTasksParams, UpdateTaskParams,
        input_schema, unknown_arguments,
    },
};

const ADD_ARGS: [&str; 7] = [
    "title",
    "description",
    "priority",
    "tags",
    "due_at",
    "recurrence",
    "user_id",
];
const UPDATE_ARGS: [&str; 8] = [
    "task_id",
    "title",
    "description",
    "priority",
    "tags",
    "due_at",
    "recurrence",
    "user_id",
];
const LIST_ARGS: [&str; 10] = [
    "status",
    "priority",
    "tag",
    "search",
    "due_before",
    "due_after",
    "overdue",
    "sort",
    "order",
    "user_id",
];

/// What happened to the task.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    Created,
    Completed,
    Reopened,
    Deleted,
    Updated,
}

/// Result of add/complete/delete/update. Optional fields are absent rather than null, so the
/// output schemas have no nullable `type` arrays (which the Inspector flags as unportable).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct TaskActionResult {
    pub task_id: i64,
    pub status: ActionStatus,
    pub title: String,
    /// Completing a recurring task created its next occurrence: that task's number…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64")]
    pub next_task_id: Option<i64>,
    /// …and its due date-time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub next_due_at: Option<String>,
}

/// One entry of `list_tasks`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct TaskSummary {
    pub id: i64,
    pub title: String,
    pub completed: bool,
    /// low, medium or high.
    #[serde(default = "medium")]
    pub priority: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// RFC 3339, when the task has a due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub due_at: Option<String>,
    /// daily, weekdays, weekly or monthly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub recurrence: Option<String>,
    /// Pending and past its due date.
    #[serde(default)]
    pub overdue: bool,
}

fn medium() -> String {
    "medium".into()
}

impl TaskSummary {
    /// A summary of only what a list shows (medium priority, no tags, no due date).
    pub fn new(id: i64, title: String, completed: bool) -> Self {
        Self {
            id,
            title,
            completed,
            priority: medium(),
            tags: Vec::new(),
            due_at: None,
            recurrence: None,
            overdue: false,
        }
    }
}

impl From<&Task> for TaskSummary {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id,
            title: t.title.clone(),
            completed: t.completed,
            priority: Priority::from_rank(t.priority).as_str().to_owned(),
            tags: todobot_store::decode_tags(&t.tags),
            due_at: t.due_at.map(|d| d.to_rfc3339()),
            recurrence: t.recurrence.clone(),
            overdue: !t.completed && t.due_at.is_some_and(|d| d < chrono::Utc::now()),
        }
    }
}

/// Result of `list_tasks`: an object (so every protocol version carries it as structured content).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct TaskList {
    pub tasks: Vec<TaskSummary>,
}

impl TaskList {
    /// The tasks in a `list_tasks` result as a client received it (`{"tasks": [...]}`, or a bare
    /// array from older servers); entries that are not tasks are skipped. The one reading of a
    /// listing for the planner and the ChatKit widget.
    pub fn rows_in(value: &serde_json::Value) -> Vec<TaskSummary> {
        value
            .get("tasks")
            .and_then(serde_json::Value::as_array)
            .or_else(|| value.as_array())
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| TaskSummary::deserialize(r).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The task tools, bound either to a fixed user (stdio, in-process) or to the user the HTTP auth
/// layer attached to each request.
#[derive(Clone)]
pub struct TodoTools {
    store: Store,
    fixed_user: Option<String>,
    tool_router: ToolRouter<Self>,
}

fn tool_error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

fn structured<T: Serialize>(value: &T, text: String) -> Result<CallToolResult, ErrorData> {
    let json = serde_json::to_value(value)
        .map_err(|e| ErrorData::internal_error(format!("serialization failed: {e}"), None))?;
    let mut result = CallToolResult::structured(json);
    result.content = vec![ContentBlock::text(text)];
    Ok(result)
}

/// Store failures: bad input and missing rows become tool errors the model can act on; an
/// unreachable database is a protocol error so callers can tell "try again later".
fn store_failure(tool: &str, e: StoreError) -> Result<CallToolResult, ErrorData> {
    metrics::counter!("todobot_mcp_tool_calls_total", "tool" => tool.to_owned(), "outcome" => "error").increment(1);
    match e {
        StoreError::Validation(fields) => Ok(tool_error(format!("Invalid input: {fields}"))),
        StoreError::UserNotFound => Ok(tool_error("Your account no longer exists.")),
        StoreError::Unavailable(detail) => {
            tracing::warn!(%detail, tool, "database unavailable during tool call");
            Err(ErrorData::internal_error(
                "The task database is temporarily unavailable. Please try again shortly.",
                None,
            ))
        }
        other => {
            tracing::error!(error = %other, tool, "tool call failed");
            Err(ErrorData::internal_error("Internal error.", None))
        }
    }
}

/// A tool error for arguments the tool does not take.
fn refuse_unknown(
    tool: &str,
    extra: &crate::params::Extra,
    accepted: &[&str],
) -> Option<CallToolResult> {
    let message = unknown_arguments(tool, extra, accepted)?;
    metrics::counter!("todobot_mcp_tool_calls_total", "tool" => tool.to_owned(), "outcome" => "error").increment(1);
    Some(tool_error(message))
}

fn not_found(tool: &str, task_id: i64) -> CallToolResult {
    metrics::counter!("todobot_mcp_tool_calls_total", "tool" => tool.to_owned(), "outcome" => "not_found").increment(1);
    tool_error(format!(
        "Task {task_id} not found. Use list_tasks to see your tasks and their numbers."
    ))
}

fn ok(tool: &str) {
    metrics::counter!("todobot_mcp_tool_calls_total", "tool" => tool.to_owned(), "outcome" => "ok")
        .increment(1);
}

fn action(task: &Task, status: ActionStatus) -> TaskActionResult {
    TaskActionResult {
        task_id: task.id,
        status,
        title: task.title.clone(),
        next_task_id: None,
        next_due_at: None,
    }
}

#[tool_router(router = tool_router)]
impl TodoTools {
    /// Tools whose user is taken from each HTTP request ([`McpUser`] extension).
    pub fn for_requests(store: Store) -> Self {
        Self {
            store,
            fixed_user: None,
            tool_router: Self::tool_router(),
        }
    }

    /// Tools acting for one user (stdio and in-process transports).
    pub fn for_user(store: Store, user_id: impl Into<String>) -> Self {
        Self {
            store,
            fixed_user: Some(user_id.into()),
            tool_router: Self::tool_router(),
        }
    }

    /// The authenticated user of this call, and a refusal when a `user_id` argument names anyone else.
    fn user(
        &self,
        ctx: &RequestContext<RoleServer>,
        claimed: Option<&str>,
    ) -> Result<Result<String, CallToolResult>, ErrorData> {
        let user = match &self.fixed_user {
            Some(u) => u.clone(),
            None => ctx
                .extensions
                .get::<http::request::Parts>()
                .and_then(|p| p.extensions.get::<McpUser>())
                .map(|u| u.0.clone())
                .ok_or_else(|| ErrorData::invalid_request("Not authenticated.", None))?,
        };
        tracing::Span::current().record("user_id", user.as_str());
        if let Some(claimed) = claimed.map(str::trim).filter(|c| !c.is_empty())
            && claimed != user
        {
            tracing::warn!(%user, "tool call named another user_id; refused");
            return Ok(Err(tool_error(
                "Access denied: user_id does not match the signed-in user. You can only manage your own tasks.",
            )));
        }
        Ok(Ok(user))
    }

    #[tool(
        description = "Create a new task for the signed-in user, optionally with a priority, tags, a due date-time and a repetition. Returns the new task's number.",
        input_schema = input_schema::<AddTaskParams>(),
        output_schema = schema_for_output::<TaskActionResult>()
    )]
    #[tracing::instrument(name = "mcp.tool", skip_all, fields(tool = "add_task", user_id = tracing::field::Empty))]
    pub async fn add_task(
        &self,
        Parameters(p): Parameters<AddTaskParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Some(refusal) = refuse_unknown("add_task", &p.extra, &ADD_ARGS) {
            return Ok(refusal);
        }
        let details = match crate::details::for_add(&p) {
            Ok(d) => d,
            Err(message) => {
                return Ok(tool_error(format!(
                    "Invalid input: {message}. Nothing was changed."
                )));
            }
        };
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        match self
            .store
            .create_task_with(&user, &p.title, p.description.as_deref(), details)
            .await
        {
            Ok(task) => {
                ok("add_task");
                metrics::counter!("todobot_tasks_created_total", "via" => "mcp").increment(1);
                structured(
                    &action(&task, ActionStatus::Created),
                    format!(
                        "Created task {}: {}{}",
                        task.id,
                        task.title,
                        crate::details::describe(&task)
                    ),
                )
            }
            Err(e) => store_failure("add_task", e),
        }
    }

    #[tool(
        description = "List the signed-in user's tasks (id, title, completed, priority, tags, due date, repetition), optionally filtered by status, priority, tag, search words or due dates (overdue=true for late ones), and sorted.",
        input_schema = input_schema::<ListTasksParams>(),
        output_schema = schema_for_output::<TaskList>()
    )]
    #[tracing::instrument(name = "mcp.tool", skip_all, fields(tool = "list_tasks", user_id = tracing::field::Empty))]
    pub async fn list_tasks(
        &self,
        Parameters(p): Parameters<ListTasksParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Some(refusal) = refuse_unknown("list_tasks", &p.extra, &LIST_ARGS) {
            return Ok(refusal);
        }
        let query = match crate::details::for_list(&p) {
            Ok(q) => q,
            Err(message) => return Ok(tool_error(format!("Invalid input: {message}."))),
        };
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        let status = p.status.unwrap_or_default();
        match self.store.query_tasks(&user, &query).await {
            Ok(tasks) => {
                ok("list_tasks");
                let items: Vec<TaskSummary> = tasks.iter().map(TaskSummary::from).collect();
                let which = match status {
                    StatusFilter::All => "",
                    StatusFilter::Pending => "pending ",
                    StatusFilter::Completed => "completed ",
                };
                let text = if items.is_empty() {
                    format!("No {which}tasks.")
                } else {
                    let lines: Vec<String> = tasks
                        .iter()
                        .map(|t| {
                            format!(
                                "{}. [{}] {}{}",
                                t.id,
                                if t.completed { "x" } else { " " },
                                t.title,
                                crate::details::describe(t)
                            )
                        })
                        .collect();
                    format!("{} {which}task(s):\n{}", items.len(), lines.join("\n"))
                };
                structured(&TaskList { tasks: items }, text)
            }
            Err(e) => store_failure("list_tasks", e),
        }
    }

    #[tool(
        description = "Mark one of the signed-in user's tasks as completed (pass completed=false to reopen it).",
        input_schema = input_schema::<CompleteTaskParams>(),
        output_schema = schema_for_output::<TaskActionResult>()
    )]
    #[tracing::instrument(name = "mcp.tool", skip_all, fields(tool = "complete_task", user_id = tracing::field::Empty))]
    pub async fn complete_task(
        &self,
        Parameters(p): Parameters<CompleteTaskParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let accepted = ["task_id", "completed", "user_id"];
        if p.toggle && p.completed.is_some() {
            return Ok(tool_error("Give either completed or toggle, not both."));
        }
        if let Some(refusal) = refuse_unknown("complete_task", &p.extra, &accepted) {
            return Ok(refusal);
        }
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        // toggle: the flip happens in the database in one statement (no read-then-write race)
        let wanted = (!p.toggle).then(|| p.completed.unwrap_or(true));
        match self.store.complete_task(&user, p.task_id, wanted).await {
            Ok(Some(done)) => {
                ok("complete_task");
                let task = &done.task;
                let (status, verb) = if task.completed {
                    (ActionStatus::Completed, "Completed")
                } else {
                    (ActionStatus::Reopened, "Reopened")
                };
                let mut result = action(task, status);
                let mut text = format!("{verb} task {}: {}", task.id, task.title);
                if let Some(next) = &done.next {
                    result.next_task_id = Some(next.id);
                    result.next_due_at = next.due_at.map(|d| d.to_rfc3339());
                    text.push_str(&format!(
                        ". It repeats: the next one is task {}{}",
                        next.id,
                        crate::details::describe(next)
                    ));
                }
                structured(&result, text)
            }
            Ok(None) => Ok(not_found("complete_task", p.task_id)),
            Err(e) => store_failure("complete_task", e),
        }
    }

    #[tool(
        description = "Delete one of the signed-in user's tasks permanently.",
        input_schema = input_schema::<DeleteTaskParams>(),
        output_schema = schema_for_output::<TaskActionResult>()
    )]
    #[tracing::instrument(name = "mcp.tool", skip_all, fields(tool = "delete_task", user_id = tracing::field::Empty))]
    pub async fn delete_task(
        &self,
        Parameters(p): Parameters<DeleteTaskParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Some(refusal) = refuse_unknown("delete_task", &p.extra, &["task_id", "user_id"]) {
            return Ok(refusal);
        }
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        match self.store.delete_task(&user, p.task_id).await {
            Ok(Some(task)) => {
                ok("delete_task");
                structured(
                    &action(&task, ActionStatus::Deleted),
                    format!("Deleted task {}: {}", task.id, task.title),
                )
            }
            Ok(None) => Ok(not_found("delete_task", p.task_id)),
            Err(e) => store_failure("delete_task", e),
        }
    }

    #[tool(
        description = "Change the title, description, priority, tags, due date-time or repetition of one of the signed-in user's tasks.",
        input_schema = input_schema::<UpdateTaskParams>(),
        output_schema = schema_for_output::<TaskActionResult>()
    )]
    #[tracing::instrument(name = "mcp.tool", skip_all, fields(tool = "update_task", user_id = tracing::field::Empty))]
    pub async fn update_task(
        &self,
        Parameters(p): Parameters<UpdateTaskParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Some(refusal) = refuse_unknown("update_task", &p.extra, &UPDATE_ARGS) {
            return Ok(refusal);
        }
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        let patch = match crate::details::for_update(&p) {
            Ok(patch) => patch,
            Err(message) => {
                return Ok(tool_error(format!(
                    "Invalid input: {message}. Nothing was changed."
                )));
            }
        };
        if patch.is_empty() {
            return Ok(tool_error(
                "Nothing to update: give a new title, description, priority, tags, due_at or recurrence.",
            ));
        }
        match self.store.update_task(&user, p.task_id, patch).await {
            Ok(Some(task)) => {
                ok("update_task");
                structured(
                    &action(&task, ActionStatus::Updated),
                    format!(
                        "Updated task {}: {}{}",
                        task.id,
                        task.title,
                        crate::details::describe(&task)
                    ),
                )
            }
            Ok(None) => Ok(not_found("update_task", p.task_id)),
            Err(e) => store_failure("update_task", e),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TodoTools {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new(crate::SERVER_NAME, env!("CARGO_PKG_VERSION"));
        info.instructions = Some(
            "todobot task tools for the signed-in user. Tasks are numbered per user (task 3 is \
             the user's third task). To act on a task named in words, call list_tasks first and \
             use the matching id."
                .into(),
        );
        info
    }
}
