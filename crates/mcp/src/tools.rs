use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    handler::server::{common::schema_for_output, router::tool::ToolRouter, wrapper::Parameters},
    model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig},
    schemars::{self, JsonSchema},
    service::RequestContext,
    tool, tool_handler, tool_router,
};
use serde::{Deserialize, Serialize};
use todobot_store::{StatusFilter, Store, StoreError, Task, TaskPatch};

use crate::{
    McpUser,
    params::{
        AddTaskParams, CompleteTaskParams, DeleteTaskParams, ListTasksParams, StatusParam,
        UpdateTaskParams, input_schema, unknown_arguments,
    },
};

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

/// Result of add/complete/delete/update.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct TaskActionResult {
    pub task_id: i64,
    pub status: ActionStatus,
    pub title: String,
}

/// One entry of `list_tasks`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct TaskSummary {
    pub id: i64,
    pub title: String,
    pub completed: bool,
}

/// Result of `list_tasks`: an object (so every protocol version carries it as structured content).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct TaskList {
    pub tasks: Vec<TaskSummary>,
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
        description = "Create a new task for the signed-in user. Returns the new task's number.",
        input_schema = input_schema::<AddTaskParams>(),
        output_schema = schema_for_output::<TaskActionResult>()
    )]
    pub async fn add_task(
        &self,
        Parameters(p): Parameters<AddTaskParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Some(refusal) =
            refuse_unknown("add_task", &p.extra, &["title", "description", "user_id"])
        {
            return Ok(refusal);
        }
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        match self
            .store
            .create_task(&user, &p.title, p.description.as_deref())
            .await
        {
            Ok(task) => {
                ok("add_task");
                metrics::counter!("todobot_tasks_created_total", "via" => "mcp").increment(1);
                structured(
                    &action(&task, ActionStatus::Created),
                    format!("Created task {}: {}", task.id, task.title),
                )
            }
            Err(e) => store_failure("add_task", e),
        }
    }

    #[tool(
        description = "List the signed-in user's tasks (id, title, completed), optionally only pending or completed ones.",
        input_schema = input_schema::<ListTasksParams>(),
        output_schema = schema_for_output::<TaskList>()
    )]
    pub async fn list_tasks(
        &self,
        Parameters(p): Parameters<ListTasksParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Some(refusal) = refuse_unknown("list_tasks", &p.extra, &["status", "user_id"]) {
            return Ok(refusal);
        }
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        let status = p.status.unwrap_or_default();
        let filter = match status {
            StatusParam::All => StatusFilter::All,
            StatusParam::Pending => StatusFilter::Pending,
            StatusParam::Completed => StatusFilter::Completed,
        };
        match self.store.list_tasks(&user, filter, None, 0).await {
            Ok(tasks) => {
                ok("list_tasks");
                let items: Vec<TaskSummary> = tasks
                    .iter()
                    .map(|t| TaskSummary {
                        id: t.id,
                        title: t.title.clone(),
                        completed: t.completed,
                    })
                    .collect();
                let which = match status {
                    StatusParam::All => "",
                    StatusParam::Pending => "pending ",
                    StatusParam::Completed => "completed ",
                };
                let text = if items.is_empty() {
                    format!("No {which}tasks.")
                } else {
                    let lines: Vec<String> = items
                        .iter()
                        .map(|t| {
                            format!(
                                "{}. [{}] {}",
                                t.id,
                                if t.completed { "x" } else { " " },
                                t.title
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
    pub async fn complete_task(
        &self,
        Parameters(p): Parameters<CompleteTaskParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let accepted = ["task_id", "completed", "user_id"];
        if let Some(refusal) = refuse_unknown("complete_task", &p.extra, &accepted) {
            return Ok(refusal);
        }
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        let completed = p.completed.unwrap_or(true);
        match self
            .store
            .set_task_completed(&user, p.task_id, Some(completed))
            .await
        {
            Ok(Some(task)) => {
                ok("complete_task");
                let (status, verb) = if completed {
                    (ActionStatus::Completed, "Completed")
                } else {
                    (ActionStatus::Reopened, "Reopened")
                };
                structured(
                    &action(&task, status),
                    format!("{verb} task {}: {}", task.id, task.title),
                )
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
        description = "Change the title and/or description of one of the signed-in user's tasks.",
        input_schema = input_schema::<UpdateTaskParams>(),
        output_schema = schema_for_output::<TaskActionResult>()
    )]
    pub async fn update_task(
        &self,
        Parameters(p): Parameters<UpdateTaskParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let accepted = ["task_id", "title", "description", "user_id"];
        if let Some(refusal) = refuse_unknown("update_task", &p.extra, &accepted) {
            return Ok(refusal);
        }
        let user = match self.user(&ctx, p.user_id.as_deref())? {
            Ok(u) => u,
            Err(refusal) => return Ok(refusal),
        };
        if p.title.is_none() && p.description.is_none() {
            return Ok(tool_error(
                "Nothing to update: give a new title and/or description.",
            ));
        }
        let patch = TaskPatch {
            title: p.title,
            description: p.description.map(Some),
            ..TaskPatch::default()
        };
        match self.store.update_task(&user, p.task_id, patch).await {
            Ok(Some(task)) => {
                ok("update_task");
                structured(
                    &action(&task, ActionStatus::Updated),
                    format!("Updated task {}: {}", task.id, task.title),
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
