//! The `openai` model: chat completions with tool calling against any OpenAI-compatible endpoint.
//!
//! Each round is requested with `stream: true` (and `stream_options.include_usage`): text is
//! reported to the turn's event sink as it arrives, tool calls are assembled from their deltas.

mod errors;
mod messages;
mod stream;

use std::time::Duration;

use async_openai::{
    Client,
    config::OpenAIConfig,
    middleware::{ReqwestService, retry::OpenAIRetryLayer},
    types::chat::{
        ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
        ChatCompletionRequestMessage, ChatCompletionStreamOptions, ChatCompletionTool,
        ChatCompletionTools, CreateChatCompletionRequest, FunctionCall, FunctionObject,
    },
};
use serde_json::Value;

use self::{
    errors::{RequestFailure, classify},
    messages::{assistant, history_messages, model_schema, result_text, system, tool_result},
    stream::{Round, StreamedCall, read_round},
};
use crate::{
    AgentError, AgentEvent, EventSink, FailureKind, HistoryMessage, OpenAiConfig, ToolCallRecord,
    Tools, TurnOutput, call_tool, prompt::SYSTEM_PROMPT,
};

pub(crate) struct OpenAiModel {
    client: Client<OpenAIConfig>,
    model: String,
}

/// The state of a turn in progress: the conversation so far and the calls made.
struct Turn<'a> {
    messages: Vec<ChatCompletionRequestMessage>,
    records: Vec<ToolCallRecord>,
    events: Option<&'a EventSink>,
}

impl Turn<'_> {
    fn fail(&self, f: RequestFailure) -> AgentError {
        AgentError {
            kind: f.kind,
            detail: f.detail,
            tool_calls: self.records.clone(),
        }
    }
}

impl OpenAiModel {
    pub(crate) fn new(c: OpenAiConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(c.timeout)
            .connect_timeout(c.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let mut config = OpenAIConfig::new().with_api_base(c.base_url.trim_end_matches('/'));
        if let Some(key) = &c.api_key {
            config = config.with_api_key(key.clone());
        }
        Ok(Self {
            // async-openai's retry layer: 429 (honouring Retry-After, but not insufficient_quota),
            // 5xx and connection errors, with exponential backoff; timeouts are not retried.
            client: Client::with_config(config).with_http_service(
                tower::ServiceBuilder::new()
                    .layer(OpenAIRetryLayer::new(c.max_retries as usize))
                    .service(ReqwestService::new(http)),
            ),
            model: c.model,
        })
    }

    pub(crate) fn model(&self) -> &str {
        &self.model
    }

    /// One streamed model round.
    #[tracing::instrument(name = "agent.model_round", skip_all, fields(model = %self.model))]
    async fn round(
        &self,
        turn: &Turn<'_>,
        tools: &[ChatCompletionTools],
    ) -> Result<Round, RequestFailure> {
        let request = CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: turn.messages.clone(),
            tools: Some(tools.to_vec()),
            stream: Some(true),
            stream_options: Some(ChatCompletionStreamOptions {
                include_usage: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        let stream = self
            .client
            .chat()
            .create_stream(request)
            .await
            .map_err(classify)?;
        read_round(stream, turn.events).await
    }

    #[tracing::instrument(name = "agent.openai", skip_all, fields(model = %self.model))]
    pub(crate) async fn run<T: Tools>(
        &self,
        tools: &T,
        history: &[HistoryMessage],
        events: Option<&EventSink>,
        max_turns: usize,
        clock: &crate::local::Clock,
    ) -> Result<TurnOutput, AgentError> {
        let tool_defs = tool_definitions(tools).await?;
        let mut messages = vec![system(&crate::prompt::with_clock(SYSTEM_PROMPT, clock))];
        messages.extend(history_messages(history));
        let mut turn = Turn {
            messages,
            records: Vec::new(),
            events,
        };
        for _round in 0..max_turns {
            let round = self
                .round(&turn, &tool_defs)
                .await
                .map_err(|f| turn.fail(f))?;
            let calls = round.tool_calls();
            if calls.is_empty() {
                return final_reply(round, turn);
            }
            if !round.text.is_empty()
                && let Some(tx) = events
            {
                // text said before tool calls is not the reply
                let _ = tx.send(AgentEvent::TextReset);
            }
            run_calls(tools, &mut turn, round.text, calls).await?;
        }
        tracing::warn!(max_turns, "agent turn limit reached");
        Ok(TurnOutput {
            reply: max_turns_reply(max_turns, &turn.records),
            tool_calls: turn.records,
        })
    }
}

/// The tools, as function definitions for the model.
async fn tool_definitions<T: Tools>(tools: &T) -> Result<Vec<ChatCompletionTools>, AgentError> {
    let specs = tools
        .specs()
        .await
        .map_err(|e| AgentError::new(FailureKind::ToolsUnavailable, e.0))?;
    Ok(specs
        .into_iter()
        .map(|s| {
            ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: s.name,
                    description: Some(s.description),
                    parameters: Some(model_schema(s.input_schema)),
                    strict: None,
                },
            })
        })
        .collect())
}

/// The reply of a round without tool calls.
fn final_reply(round: Round, turn: Turn<'_>) -> Result<TurnOutput, AgentError> {
    let text = if round.text.trim().is_empty() {
        round.refusal
    } else {
        round.text
    };
    let text = text.trim().to_owned();
    if text.is_empty() {
        if turn.records.is_empty() {
            return Err(turn.fail(RequestFailure {
                kind: FailureKind::BadResponse,
                detail: "empty completion".into(),
            }));
        }
        return Ok(TurnOutput {
            reply: "Done.".into(),
            tool_calls: turn.records,
        });
    }
    Ok(TurnOutput {
        reply: text,
        tool_calls: turn.records,
    })
}

/// Runs a round's tool calls in order, adding the calls and their results to the conversation.
async fn run_calls<T: Tools>(
    tools: &T,
    turn: &mut Turn<'_>,
    text: String,
    calls: Vec<StreamedCall>,
) -> Result<(), AgentError> {
    let as_sent = calls
        .iter()
        .map(|c| {
            ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                id: c.id.clone(),
                function: FunctionCall {
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                },
            })
        })
        .collect();
    let text = (!text.is_empty()).then_some(text);
    turn.messages.push(assistant(text, Some(as_sent)));
    for call in calls {
        let record = run_call(tools, turn, call).await?;
        turn.messages
            .push(tool_result(&record.id, result_text(&record)));
        turn.records.push(record);
    }
    Ok(())
}

async fn run_call<T: Tools>(
    tools: &T,
    turn: &Turn<'_>,
    call: StreamedCall,
) -> Result<ToolCallRecord, AgentError> {
    let raw = if call.arguments.trim().is_empty() {
        "{}"
    } else {
        &call.arguments
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(args @ Value::Object(_)) => {
            match call_tool(tools, call.id, &call.name, args, turn.events).await {
                Ok((record, _)) => Ok(record),
                Err(e) => Err(turn.fail(RequestFailure {
                    kind: FailureKind::ToolsUnavailable,
                    detail: e.0,
                })),
            }
        }
        _ => Ok(ToolCallRecord {
            id: call.id,
            name: call.name,
            arguments: Value::String(call.arguments),
            result: serde_json::json!({
                "error": "The arguments were not a valid JSON object; call the tool again with valid JSON arguments."
            }),
            is_error: true,
        }),
    }
}

/// The tools that only read.
const READ_ONLY_TOOLS: &[&str] = &["list_tasks"];

/// What to say when the turn ran out of rounds: whether anything was changed.
fn max_turns_reply(max_turns: usize, records: &[ToolCallRecord]) -> String {
    let changed = records
        .iter()
        .any(|r| !r.is_error && !READ_ONLY_TOOLS.contains(&r.name.as_str()));
    let what = if changed {
        "Some changes were made (see the tool calls). "
    } else {
        "No changes were made. "
    };
    format!(
        "Sorry — I couldn't finish that within {max_turns} steps. {what}Please try rephrasing your request."
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rec(name: &str, is_error: bool) -> ToolCallRecord {
        ToolCallRecord {
            id: "c".into(),
            name: name.into(),
            arguments: json!({}),
            result: json!({}),
            is_error,
        }
    }

    #[test]
    fn max_turns_reply_says_whether_anything_changed() {
        let reads = [rec("list_tasks", false), rec("add_task", true)];
        assert!(max_turns_reply(3, &reads).contains("No changes were made"));
        let writes = [rec("list_tasks", false), rec("add_task", false)];
        assert!(max_turns_reply(3, &writes).contains("Some changes were made"));
    }
}
