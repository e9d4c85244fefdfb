//! todobot's MCP server: the five task tools (`add_task`, `list_tasks`, `complete_task`,
//! `delete_task`, `update_task`) over the store, always bound to one authenticated user.
//!
//! The user comes from the transport, never from a tool argument: over HTTP the server's auth
//! layer verifies the bearer token and puts an [`McpUser`] in the request extensions; over stdio or
//! in-process the server is built for a fixed user. A `user_id` argument (accepted for the spec's
//! compatibility) must equal that user or the call fails.

mod client;
mod details;
mod params;
mod tools;

pub use client::{McpClient, McpClientError, ToolOutcome};
pub use params::{
    AddTaskParams, CompleteTaskParams, DeleteTaskParams, ListTasksParams, UpdateTaskParams,
};
/// The status filter of `list_tasks` (the store's one type, shared with REST and the planner).
pub use todobot_store::StatusFilter;
pub use tools::{ActionStatus, TaskActionResult, TaskList, TaskSummary, TodoTools};

/// The authenticated user of an MCP request, inserted into the HTTP request's extensions by the
/// server's auth layer after verifying the bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpUser(pub String);

/// Server name reported to MCP clients.
pub const SERVER_NAME: &str = "todobot";
