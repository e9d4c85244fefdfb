//! One chat turn, shared by the REST chat endpoint and the ChatKit endpoint.
//!
//! Stateless: the conversation is reloaded from the database on every turn. Order of writes:
//! take the conversation's turn lease (so two turns of one conversation never interleave, on any
//! replica) → store the user's message → load a bounded history window → run the agent with an MCP
//! client session bound to the user → store the reply with every tool call and result → release.
//! A failed turn still stores the user's message and an assistant message saying what went wrong.

mod error;
mod lease;

use crate::config::ExposeSecret;
use std::{sync::Arc, time::Duration};

use axum::http::StatusCode;
use serde_json::Value;
use todobot_agent::{
    Agent, AgentConfig, AgentError, EventSink, FailureKind, HistoryMessage, HistoryRole,
    ModelConfig, OpenAiConfig, ToolCallRecord,
};
use todobot_mcp::McpClient;
use todobot_store::{Conversation, Message, MessageStatus, NewMessage, Role as MsgRole};
use tokio::sync::oneshot;

use crate::{
    AppState,
    auth::AuthUser,
    config::{Config, LlmProvider},
    error::ApiError,
};

pub use error::TurnError;
pub use lease::{TurnLease, lease_length};

/// Builds the agent the configuration asks for.
pub fn build_agent(config: &Config) -> anyhow::Result<Agent> {
    let model = match config.resolved_llm_provider() {
        LlmProvider::Openai => ModelConfig::OpenAi(OpenAiConfig {
            base_url: crate::config::trimmed(&config.llm.base_url).to_owned(),
            api_key: config
                .llm
                .api_key
                .as_ref()
                .map(|k| k.expose_secret().to_owned())
                .filter(|k| !k.trim().is_empty()),
            model: config.llm.model.clone(),
            timeout: Duration::from_secs(config.llm.timeout_secs.max(1)),
            max_retries: config.llm.max_retries,
        }),
        _ => ModelConfig::Local,
    };
    Agent::new(AgentConfig {
        model,
        max_turns: config.llm.agent_max_turns.max(1),
    })
    .map_err(anyhow::Error::msg)
}

/// The outcome of a turn.
pub struct TurnResult {
    pub conversation: Conversation,
    pub user_message: Message,
    /// The stored assistant message (status `ok`, or `error` for a failed turn).
    pub reply: Message,
    pub tool_calls: Vec<ToolCallRecord>,
    pub failure: Option<FailureKind>,
}

/// Waits for the conversation's turn lease (public for actions that change a conversation);
/// give it back with [`TurnLease::release`].
pub async fn acquire_turn_for_action(
    state: &AppState,
    user_id: &str,
    conversation_id: i64,
) -> Result<TurnLease, TurnError> {
    lease::acquire(state, user_id, conversation_id).await
}

/// The most rows one page of conversations, messages, threads or items holds.
pub const MAX_PAGE: u64 = 100;

/// The one paging rule of every conversation and message list, REST and ChatKit alike: no
/// `limit` gives the list's default, below 1 is refused (422), and anything above [`MAX_PAGE`] is
/// clamped to it (as the official ChatKit server passes any limit through). A limit outside a
/// signed 64-bit integer is not a number the API takes (refused while parsing).
pub fn page_limit(raw: Option<i64>, default: u64) -> Result<u64, ApiError> {
    match raw {
        None => Ok(default.min(MAX_PAGE)),
        Some(n) if n < 1 => Err(ApiError::field(
            "limit",
            "limit must be at least 1 (pages hold at most 100)",
        )),
        Some(n) => Ok(u64::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE)),
    }
}

/// Cuts a page read with `limit + 1` rows down to `limit`; true when there were more.
pub fn truncate_page<T>(rows: &mut Vec<T>, limit: u64) -> bool {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    more
}

/// A conversation title from its first message.
pub fn title_from(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title = title.trim_end().to_owned();
        title.push('…');
    }
    if title.is_empty() {
        "New conversation".to_owned()
    } else {
        title
    }
}

/// The stored messages of the history window, in the agent's shape.
pub fn to_history(messages: &[Message]) -> Vec<HistoryMessage> {
    messages
        .iter()
        .filter_map(|m| match m.role {
            MsgRole::User => Some(HistoryMessage::user(m.content.clone())),
            MsgRole::Assistant => Some(HistoryMessage {
                role: HistoryRole::Assistant,
                content: m.content.clone(),
                tool_calls: stored_tool_calls(m),
                failed: m.status != MessageStatus::Ok,
            }),
            MsgRole::Widget => None,
        })
        .collect()
}

/// The tool calls stored with a message.
pub fn stored_tool_calls(m: &Message) -> Vec<ToolCallRecord> {
    m.tool_calls
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// Opens an MCP client session for the user: over Streamable HTTP with a freshly minted access
/// token when MCP_URL names a separate service, else in-process.
pub async fn open_tools(state: &AppState, user: &AuthUser) -> Result<McpClient, AgentError> {
    match &state.config.mcp.url {
        Some(url) => {
            let token = state
                .auth
                .issue_mcp_token(
                    &user.id,
                    &crate::auth::oauth::configured_resource(&state.config),
                    None,
                    None,
                    Duration::from_secs(300),
                )
                .map_err(|e| AgentError::new(FailureKind::ToolsUnavailable, e.to_string()))?;
            McpClient::connect_http(url.as_str(), &token, Duration::from_secs(15))
                .await
                .map_err(|e| AgentError::new(FailureKind::ToolsUnavailable, e.to_string()))
        }
        None => McpClient::in_process(state.store.clone(), &user.id)
            .await
            .map_err(|e| AgentError::new(FailureKind::ToolsUnavailable, e.to_string())),
    }
}

/// The HTTP error for a failed turn.
pub fn failure_error(kind: FailureKind, message: &str) -> ApiError {
    let (status, code) = match kind {
        FailureKind::Timeout => (StatusCode::GATEWAY_TIMEOUT, "LLM_TIMEOUT"),
        FailureKind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "LLM_RATE_LIMITED"),
        FailureKind::Unavailable => (StatusCode::BAD_GATEWAY, "LLM_UNAVAILABLE"),
        FailureKind::BadResponse => (StatusCode::BAD_GATEWAY, "LLM_BAD_RESPONSE"),
        FailureKind::ToolsUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "TOOLS_UNAVAILABLE"),
    };
    ApiError::Upstream {
        status,
        code,
        message: message.to_owned(),
    }
}

/// What starts a turn.
pub enum TurnInput {
    /// A new user message.
    Message(String),
    /// Answer again the existing user message `message_id` (its later messages are removed).
    Retry { message_id: i64 },
}

/// Sent to a streaming caller once the turn has started: the stored user message and the id the
/// reply will have (the reply row is reserved, status `streaming`, and completed at the end).
#[derive(Clone, Debug)]
pub struct TurnStarted {
    pub user_message: Message,
    pub reply_id: i64,
}

/// Runs one turn in `conversation` (which must be the user's). A caller that streams passes
/// `started`: it learns the reply's id before the model answers.
/// Traced as `chat.turn` with the user and conversation: every agent step and tool call of the turn
/// is logged inside it.
#[tracing::instrument(name = "chat.turn", skip_all, fields(user_id = %user.id, conversation_id = conversation.id))]
pub async fn run_turn(
    state: &AppState,
    agent: &Arc<Agent>,
    user: &AuthUser,
    conversation: Conversation,
    input: TurnInput,
    events: Option<&EventSink>,
    started: Option<oneshot::Sender<TurnStarted>>,
) -> Result<TurnResult, TurnError> {
    let cid = conversation.id;
    // released on every path: explicitly here, or by the guard's drop if this future is dropped
    let lease = lease::acquire(state, &user.id, cid).await?;
    let result = turn_locked(state, agent, user, conversation, input, events, started).await;
    lease.release().await;
    result
}

/// The user's message: a new one stored, or the retried one (its later messages removed).
async fn user_message(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    input: TurnInput,
) -> Result<Message, TurnError> {
    match input {
        TurnInput::Message(text) => state
            .store
            .append_message(
                &user.id,
                cid,
                new_message(MsgRole::User, text, None, MessageStatus::Ok),
            )
            .await?
            .ok_or(TurnError::ConversationNotFound),
        TurnInput::Retry { message_id } => {
            let m = state
                .store
                .get_message(&user.id, cid, message_id)
                .await?
                .filter(|m| m.role == MsgRole::User)
                .ok_or(TurnError::MessageNotFound)?;
            state
                .store
                .delete_messages_after(&user.id, cid, message_id)
                .await?;
            Ok(m)
        }
    }
}

fn new_message(
    role: MsgRole,
    content: String,
    tool_calls: Option<Value>,
    status: MessageStatus,
) -> NewMessage {
    NewMessage {
        role,
        content,
        tool_calls,
        status,
    }
}

/// What the agent produced: the reply text, its tool calls, the message status and the failure.
type Outcome = (
    String,
    Vec<ToolCallRecord>,
    MessageStatus,
    Option<FailureKind>,
);

#[tracing::instrument(name = "agent.run", skip_all, fields(user_id = %user.id, conversation_id = cid, model = agent.model_name()))]
async fn run_agent(
    state: &AppState,
    agent: &Arc<Agent>,
    user: &AuthUser,
    cid: i64,
    history: &[HistoryMessage],
    events: Option<&EventSink>,
) -> Outcome {
    let started = std::time::Instant::now();
    let outcome = match open_tools(state, user).await {
        Ok(client) => {
            // the user's time zone from the store (UTC when unset), never from the message
            let tz = match state.store.user_timezone(&user.id).await {
                Ok(tz) => tz,
                Err(e) => {
                    tracing::warn!(error = %e, "time zone unavailable; using UTC");
                    chrono_tz::Tz::UTC
                }
            };
            let clock = todobot_agent::local::Clock::new(chrono::Utc::now(), tz);
            let r = agent.run_turn_at(&client, history, events, clock).await;
            client.close().await;
            r
        }
        Err(e) => Err(e),
    };
    let model = agent.model_name().to_owned();
    metrics::histogram!("todobot_chat_turn_seconds", "model" => if model == "local" { "local" } else { "openai" })
        .record(started.elapsed().as_secs_f64());
    match outcome {
        Ok(out) => (out.reply, out.tool_calls, MessageStatus::Ok, None),
        Err(e) => {
            tracing::warn!(kind = ?e.kind, detail = %e.detail, conversation_id = cid, "chat turn failed");
            metrics::counter!("todobot_chat_failures_total", "kind" => format!("{:?}", e.kind))
                .increment(1);
            (
                e.user_message().to_owned(),
                e.tool_calls,
                MessageStatus::Error,
                Some(e.kind),
            )
        }
    }
}

/// What a reply cut off by a crash (its turn died while writing it) says from the next turn on.
pub const INTERRUPTED_REPLY: &str = "Sorry — this reply was interrupted before it finished (the server restarted). Your message is saved; please send it again.";

async fn turn_locked(
    state: &AppState,
    agent: &Arc<Agent>,
    user: &AuthUser,
    conversation: Conversation,
    input: TurnInput,
    events: Option<&EventSink>,
    started: Option<oneshot::Sender<TurnStarted>>,
) -> Result<TurnResult, TurnError> {
    let cid = conversation.id;
    // holding the lease: a reply still `streaming` belongs to a turn that died mid-reply
    let interrupted = state
        .store
        .fail_interrupted_replies(&user.id, cid, INTERRUPTED_REPLY)
        .await?;
    if interrupted > 0 {
        tracing::warn!(
            conversation_id = cid,
            interrupted,
            "replies of a turn that died were marked failed"
        );
    }
    let user_message = user_message(state, user, cid, input).await?;
    let window = state
        .store
        .recent_messages(&user.id, cid, state.config.llm.history_window.max(1) as u64)
        .await?;
    let history = to_history(&window);
    // a streaming caller gets the reply's id now: reserve its row (after reading the history)
    let reserved = match started {
        Some(tx) => {
            let placeholder = new_message(
                MsgRole::Assistant,
                String::new(),
                None,
                MessageStatus::Streaming,
            );
            let reply = state
                .store
                .append_message(&user.id, cid, placeholder)
                .await?
                .ok_or(TurnError::ConversationNotFound)?;
            let _ = tx.send(TurnStarted {
                user_message: user_message.clone(),
                reply_id: reply.id,
            });
            Some(reply.id)
        }
        None => None,
    };
    let (content, tool_calls, status, failure) =
        run_agent(state, agent, user, cid, &history, events).await;
    let tool_json =
        (!tool_calls.is_empty()).then(|| serde_json::to_value(&tool_calls).unwrap_or(Value::Null));
    let reply = new_message(MsgRole::Assistant, content, tool_json, status);
    let reply = match reserved {
        Some(id) => {
            state
                .store
                .complete_message(&user.id, cid, id, reply)
                .await?
        }
        None => state.store.append_message(&user.id, cid, reply).await?,
    }
    .ok_or(TurnError::ConversationNotFound)?;
    let conversation = state
        .store
        .get_conversation(&user.id, cid)
        .await?
        .unwrap_or(conversation);
    Ok(TurnResult {
        conversation,
        user_message,
        reply,
        tool_calls,
        failure,
    })
}
