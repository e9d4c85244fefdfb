//! MCP client sessions used by the agent: in-process (a real MCP session over an in-memory pipe to
//! a [`TodoTools`] server for one user) or Streamable HTTP to a separate MCP service.

use std::{sync::Arc, time::Duration};

use rmcp::{
    RoleClient, ServiceError, ServiceExt,
    model::{CallToolRequestParams, CallToolResult, ContentBlock, Tool},
    service::RunningService,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::Value;
use todobot_store::Store;

use crate::TodoTools;

#[derive(Debug, thiserror::Error)]
pub enum McpClientError {
    /// The MCP server could not be reached or the session broke.
    #[error("MCP transport error: {0}")]
    Transport(String),
    /// The server answered the call with a protocol error (e.g. its database is unavailable).
    #[error("MCP server error: {0}")]
    Server(String),
    #[error("MCP call timed out")]
    Timeout,
}

/// The result of a tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutcome {
    /// The structured result (or the text parsed as JSON, or the text itself as a JSON string).
    pub value: Value,
    /// The text rendering the server gave.
    pub text: String,
    /// The tool reported a failure (bad input, unknown task...); `text` says why.
    pub is_error: bool,
}

impl ToolOutcome {
    fn from_result(result: CallToolResult) -> Self {
        let texts: Vec<String> = result
            .content
            .iter()
            .filter_map(|c| match c {
                ContentBlock::Text(t) => Some(t.text.clone()),
                _ => None,
            })
            .collect();
        let is_error = result.is_error.unwrap_or(false);
        // Peers on protocol versions before 2026-07-28 get non-object results as a leading JSON
        // text block instead of structured content.
        let value = match result.structured_content {
            Some(v) => v,
            None => texts
                .first()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .unwrap_or_else(|| Value::String(texts.join("\n"))),
        };
        let text = texts
            .iter()
            .find(|t| serde_json::from_str::<Value>(t).is_err())
            .cloned()
            .unwrap_or_else(|| texts.join("\n"));
        ToolOutcome {
            value,
            text,
            is_error,
        }
    }
}

/// Size of each direction of the in-process pipe. Messages larger than this still pass (it is a stream);
/// a small buffer keeps a chat turn's memory low when many run at once.
const IN_PROCESS_BUFFER: usize = 16 * 1024;

/// One MCP client session.
pub struct McpClient {
    service: RunningService<RoleClient, ()>,
    timeout: Duration,
}

fn transport_err(e: impl std::fmt::Display) -> McpClientError {
    McpClientError::Transport(e.to_string())
}

impl McpClient {
    /// An in-process session with the task tools of `user_id`: the same MCP protocol, over a pipe.
    pub async fn in_process(store: Store, user_id: &str) -> Result<Self, McpClientError> {
        let (client_io, server_io) = tokio::io::duplex(IN_PROCESS_BUFFER);
        let server = TodoTools::for_user(store, user_id);
        tokio::spawn(async move {
            match server.serve(server_io).await {
                Ok(running) => {
                    let _ = running.waiting().await;
                }
                Err(e) => tracing::warn!(error = %e, "in-process MCP server failed to start"),
            }
        });
        let service = ().serve(client_io).await.map_err(transport_err)?;
        Ok(Self {
            service,
            timeout: Duration::from_secs(30),
        })
    }

    /// A Streamable-HTTP session with the MCP service at `url`, authenticated with `token`.
    pub async fn connect_http(
        url: &str,
        token: &str,
        timeout: Duration,
    ) -> Result<Self, McpClientError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(transport_err)?;
        let config = StreamableHttpClientTransportConfig::with_uri(Arc::<str>::from(url))
            .auth_header(token.to_owned());
        let transport = StreamableHttpClientTransport::with_client(http, config);
        let service = tokio::time::timeout(timeout, ().serve(transport))
            .await
            .map_err(|_| McpClientError::Timeout)?
            .map_err(transport_err)?;
        Ok(Self { service, timeout })
    }

    /// The server's tools (names, descriptions, input and output schemas).
    pub async fn list_tools(&self) -> Result<Vec<Tool>, McpClientError> {
        tokio::time::timeout(self.timeout, self.service.list_all_tools())
            .await
            .map_err(|_| McpClientError::Timeout)?
            .map_err(service_err)
    }

    /// Calls a tool. Tool-level failures are `Ok` with `is_error`; transport/server failures are `Err`.
    pub async fn call(&self, name: &str, arguments: Value) -> Result<ToolOutcome, McpClientError> {
        let args = match arguments {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => {
                return Ok(ToolOutcome {
                    value: Value::Null,
                    text: format!("Arguments must be a JSON object, got {other}"),
                    is_error: true,
                });
            }
        };
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(args);
        let result = tokio::time::timeout(self.timeout, self.service.call_tool(params))
            .await
            .map_err(|_| McpClientError::Timeout)?;
        match result {
            Ok(r) => Ok(ToolOutcome::from_result(r)),
            // invalid arguments (schema mismatch) or unknown tool: the model can correct itself
            Err(ServiceError::McpError(e))
                if e.code == rmcp::model::ErrorCode::INVALID_PARAMS
                    || e.code == rmcp::model::ErrorCode::METHOD_NOT_FOUND =>
            {
                Ok(ToolOutcome {
                    value: Value::Null,
                    text: e.message.to_string(),
                    is_error: true,
                })
            }
            Err(e) => Err(service_err(e)),
        }
    }

    /// Ends the session.
    pub async fn close(mut self) {
        let _ = self
            .service
            .close_with_timeout(Duration::from_secs(2))
            .await;
    }
}

fn service_err(e: ServiceError) -> McpClientError {
    match e {
        ServiceError::McpError(e) => McpClientError::Server(e.message.to_string()),
        ServiceError::Timeout { .. } => McpClientError::Timeout,
        other => McpClientError::Transport(other.to_string()),
    }
}
