//! The agent's view of the task tools: anything that can list and call them — in todobot, an MCP
//! client session ([`McpClient`]) bound to the authenticated user.

use std::future::Future;

use serde_json::Value;
use todobot_mcp::{McpClient, McpClientError, ToolOutcome};

/// A tool as advertised to the model.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
}

/// The tools could not be reached (transport, server or database failure).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ToolError(pub String);

impl From<McpClientError> for ToolError {
    fn from(e: McpClientError) -> Self {
        ToolError(e.to_string())
    }
}

pub trait Tools: Sync {
    fn specs(&self) -> impl Future<Output = Result<Vec<ToolSpec>, ToolError>> + Send;
    /// Tool-level failures (unknown task, invalid input) are `Ok` with `is_error`.
    fn call(
        &self,
        name: &str,
        arguments: Value,
    ) -> impl Future<Output = Result<ToolOutcome, ToolError>> + Send;
}

impl Tools for McpClient {
    async fn specs(&self) -> Result<Vec<ToolSpec>, ToolError> {
        let tools = self.list_tools().await?;
        Ok(tools
            .into_iter()
            .map(|t| ToolSpec {
                name: t.name.to_string(),
                description: t.description.map(|d| d.to_string()).unwrap_or_default(),
                input_schema: Value::Object((*t.input_schema).clone()),
            })
            .collect())
    }

    async fn call(&self, name: &str, arguments: Value) -> Result<ToolOutcome, ToolError> {
        Ok(McpClient::call(self, name, arguments).await?)
    }
}
