//! todobot's agent: turns a user's message into task-tool calls and a friendly reply.
//!
//! Two models share one contract ([`Agent::run_turn`]): `openai` drives any OpenAI-compatible
//! chat-completions endpoint with tool calling, and `local` is a deterministic offline planner.
//! Both reach tasks only through [`Tools`] — in todobot, an MCP client session bound to the
//! authenticated user — so the agent can never act for anyone else.

pub mod local;
mod openai;
mod prompt;
mod tools;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

pub use prompt::SYSTEM_PROMPT;
pub use todobot_mcp::ToolOutcome;
pub use tools::{ToolError, ToolSpec, Tools};

/// One tool call the agent made during a turn, with its result (stored with the reply).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    pub id: String,
    pub name: String,
    pub arguments: Value,
    pub result: Value,
    #[serde(default)]
    pub is_error: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryRole {
    User,
    Assistant,
}

/// A message of the conversation as stored (oldest first); the last one is the new user message.
#[derive(Clone, Debug)]
pub struct HistoryMessage {
    pub role: HistoryRole,
    pub content: String,
    /// Tool calls made while producing an assistant message.
    pub tool_calls: Vec<ToolCallRecord>,
    /// An assistant message that reports a failed turn (its text is not shown to the model).
    pub failed: bool,
}

impl HistoryMessage {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: HistoryRole::User,
            content: content.into(),
            tool_calls: Vec::new(),
            failed: false,
        }
    }

    pub fn assistant(content: impl Into<String>, tool_calls: Vec<ToolCallRecord>) -> Self {
        Self {
            role: HistoryRole::Assistant,
            content: content.into(),
            tool_calls,
            failed: false,
        }
    }
}

/// Progress of a turn, for streaming UIs.
#[derive(Clone, Debug)]
pub enum AgentEvent {
    /// A piece of the reply, as the model produces it.
    TextDelta(String),
    /// The text streamed so far was not the reply (the model went on to call tools): drop it.
    TextReset,
    ToolStarted {
        name: String,
        arguments: Value,
    },
    ToolFinished(ToolCallRecord),
}

/// Where a turn reports its progress (optional).
pub type EventSink = UnboundedSender<AgentEvent>;

/// A finished turn.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnOutput {
    pub reply: String,
    pub tool_calls: Vec<ToolCallRecord>,
}

/// Why a turn failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The model did not answer in time.
    Timeout,
    /// The model's provider is rate limiting us.
    RateLimited,
    /// The model's provider could not be reached or failed (5xx, connection refused...).
    Unavailable,
    /// The model answered with something that is not a valid chat completion.
    BadResponse,
    /// The task tools (MCP server / database) are unavailable.
    ToolsUnavailable,
}

/// A failed turn. `tool_calls` holds the calls that did run before the failure (their effects are real).
#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct AgentError {
    pub kind: FailureKind,
    /// Internal detail, for logs only.
    pub detail: String,
    pub tool_calls: Vec<ToolCallRecord>,
}

impl AgentError {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            tool_calls: Vec::new(),
        }
    }

    /// What to tell the user.
    pub fn user_message(&self) -> &'static str {
        match self.kind {
            FailureKind::Timeout => {
                "Sorry — the assistant took too long to answer. Your message is saved; please try again."
            }
            FailureKind::RateLimited => {
                "Sorry — the assistant is busy right now (rate limited). Your message is saved; please try again in a moment."
            }
            FailureKind::Unavailable => {
                "Sorry — I couldn't reach the assistant's language model. Your message is saved; please try again."
            }
            FailureKind::BadResponse => {
                "Sorry — the assistant's language model sent a response I couldn't understand. Your message is saved; please try again."
            }
            FailureKind::ToolsUnavailable => {
                "Sorry — your tasks are unavailable right now. Your message is saved; please try again shortly."
            }
        }
    }
}

/// Settings of an OpenAI-compatible model.
#[derive(Clone, Debug)]
pub struct OpenAiConfig {
    /// e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama).
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    /// Bound on one chat-completions request.
    pub timeout: Duration,
    /// Retries of a request that failed with 5xx, 429 or a connection error.
    pub max_retries: u32,
}

#[derive(Clone, Debug)]
pub enum ModelConfig {
    /// The deterministic offline planner.
    Local,
    OpenAi(OpenAiConfig),
}

#[derive(Clone, Debug)]
pub struct AgentConfig {
    pub model: ModelConfig,
    /// Model round trips allowed in one turn.
    pub max_turns: usize,
}

enum Engine {
    Local,
    OpenAi(Box<openai::OpenAiModel>),
}

/// The agent. Cheap to share (`Arc`); holds no conversation state.
pub struct Agent {
    engine: Engine,
    max_turns: usize,
}

impl Agent {
    pub fn new(config: AgentConfig) -> Result<Self, String> {
        let engine = match config.model {
            ModelConfig::Local => Engine::Local,
            ModelConfig::OpenAi(c) => Engine::OpenAi(Box::new(openai::OpenAiModel::new(c)?)),
        };
        Ok(Self {
            engine,
            max_turns: config.max_turns.max(1),
        })
    }

    /// `local` or the OpenAI-compatible model id.
    pub fn model_name(&self) -> &str {
        match &self.engine {
            Engine::Local => "local",
            Engine::OpenAi(m) => m.model(),
        }
    }

    /// Runs one turn: `history` is the conversation's recent window, oldest first, ending with the
    /// new user message. Every tool call goes through `tools`. Dates are read in UTC.
    pub async fn run_turn<T: Tools>(
        &self,
        tools: &T,
        history: &[HistoryMessage],
        events: Option<&EventSink>,
    ) -> Result<TurnOutput, AgentError> {
        self.run_turn_at(tools, history, events, local::Clock::utc_now())
            .await
    }

    /// [`Agent::run_turn`] at `clock`: the current instant and the user's time zone (from the
    /// store, never from the message), in which both models read "today", "tomorrow", "friday".
    pub async fn run_turn_at<T: Tools>(
        &self,
        tools: &T,
        history: &[HistoryMessage],
        events: Option<&EventSink>,
        clock: local::Clock,
    ) -> Result<TurnOutput, AgentError> {
        match &self.engine {
            Engine::Local => {
                let out = local::run_at(tools, history, events, clock).await?;
                // the planner answers at once: its reply goes out in word-sized deltas
                if let Some(tx) = events {
                    for piece in word_pieces(&out.reply) {
                        let _ = tx.send(AgentEvent::TextDelta(piece));
                    }
                }
                Ok(out)
            }
            Engine::OpenAi(m) => m.run(tools, history, events, self.max_turns, &clock).await,
        }
    }
}

/// Word-sized pieces (each with the whitespace after it) that concatenate back to `text`.
fn word_pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if !ch.is_whitespace() && cur.ends_with(char::is_whitespace) {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Calls a tool, reporting progress, and records the call. Transport failures become `Err`.
#[tracing::instrument(name = "agent.tool_call", skip_all, fields(tool = name))]
pub(crate) async fn call_tool<T: Tools>(
    tools: &T,
    id: String,
    name: &str,
    arguments: Value,
    events: Option<&EventSink>,
) -> Result<(ToolCallRecord, ToolOutcome), ToolError> {
    if let Some(tx) = events {
        let _ = tx.send(AgentEvent::ToolStarted {
            name: name.to_owned(),
            arguments: arguments.clone(),
        });
    }
    let outcome = tools.call(name, arguments.clone()).await?;
    tracing::info!(is_error = outcome.is_error, "tool call");
    let result = if outcome.is_error {
        serde_json::json!({ "error": outcome.text })
    } else {
        outcome.value.clone()
    };
    let record = ToolCallRecord {
        id,
        name: name.to_owned(),
        arguments,
        result,
        is_error: outcome.is_error,
    };
    if let Some(tx) = events {
        let _ = tx.send(AgentEvent::ToolFinished(record.clone()));
    }
    Ok((record, outcome))
}

#[cfg(test)]
mod tests {
    #[test]
    fn word_pieces_concatenate_to_the_text() {
        for t in ["", "Hi", "Added task 1: buy milk.\n2. b", "  spaced  "] {
            assert_eq!(super::word_pieces(t).concat(), t);
        }
        assert_eq!(super::word_pieces("one two three").len(), 3);
    }
}
