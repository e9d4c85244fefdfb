//! The `openai` model: chat completions with tool calling against any OpenAI-compatible endpoint.

use std::time::Duration;

use async_openai::{
    Client,
    config::OpenAIConfig,
    error::OpenAIError,
    middleware::{ReqwestService, retry::OpenAIRetryLayer},
    types::chat::{
        ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
        ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
        ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
        ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
        ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
        ChatCompletionRequestUserMessageContent, ChatCompletionTool, ChatCompletionTools,
        CreateChatCompletionRequest, CreateChatCompletionResponse, FunctionCall, FunctionObject,
    },
};
use serde_json::Value;

use crate::{
    AgentError, EventSink, FailureKind, HistoryMessage, HistoryRole, OpenAiConfig, ToolCallRecord,
    Tools, TurnOutput, call_tool, prompt::SYSTEM_PROMPT,
};

pub(crate) struct OpenAiModel {
    client: Client<OpenAIConfig>,
    model: String,
}

/// What one failed request means for the turn.
struct RequestFailure {
    kind: FailureKind,
    detail: String,
}

fn classify(e: OpenAIError) -> RequestFailure {
    match e {
        OpenAIError::Reqwest(e) if e.is_timeout() => RequestFailure {
            kind: FailureKind::Timeout,
            detail: e.to_string(),
        },
        OpenAIError::Reqwest(e) => {
            let status = e.status().map(|s| s.as_u16());
            match status {
                Some(429) => RequestFailure {
                    kind: FailureKind::RateLimited,
                    detail: e.to_string(),
                },
                Some(s) if s < 500 => RequestFailure {
                    kind: FailureKind::BadResponse,
                    detail: e.to_string(),
                },
                _ if e.is_decode() => RequestFailure {
                    kind: FailureKind::BadResponse,
                    detail: e.to_string(),
                },
                _ => RequestFailure {
                    kind: FailureKind::Unavailable,
                    detail: e.to_string(),
                },
            }
        }
        OpenAIError::ApiError(api) => {
            let code = api.status_code.as_u16();
            let kind = match code {
                429 => FailureKind::RateLimited,
                408 | 504 => FailureKind::Timeout,
                // 5xx, or 4xx: our request or credentials are wrong
                _ => FailureKind::Unavailable,
            };
            RequestFailure {
                kind,
                detail: format!("HTTP {code}: {}", api.api_error.message),
            }
        }
        OpenAIError::JSONDeserialize(e, body) => RequestFailure {
            kind: FailureKind::BadResponse,
            detail: format!(
                "{e}; body starts {:?}",
                body.chars().take(200).collect::<String>()
            ),
        },
        OpenAIError::StreamError(e) => RequestFailure {
            kind: FailureKind::BadResponse,
            detail: e.to_string(),
        },
        other => RequestFailure {
            kind: FailureKind::Unavailable,
            detail: other.to_string(),
        },
    }
}

fn system(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
        content: ChatCompletionRequestSystemMessageContent::Text(text.to_owned()),
        name: None,
    })
}

fn user(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
        content: ChatCompletionRequestUserMessageContent::Text(text.to_owned()),
        name: None,
    })
}

fn assistant(
    text: Option<String>,
    calls: Option<Vec<ChatCompletionMessageToolCalls>>,
) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
        content: text.map(ChatCompletionRequestAssistantMessageContent::Text),
        tool_calls: calls,
        ..Default::default()
    })
}

fn tool_result(id: &str, content: String) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
        content: ChatCompletionRequestToolMessageContent::Text(content),
        tool_call_id: id.to_owned(),
    })
}

/// What the model sees as a tool's result.
fn result_text(record: &ToolCallRecord) -> String {
    serde_json::to_string(&record.result).unwrap_or_else(|_| "null".to_owned())
}

/// Replays stored history in the chat-completions shape: each assistant message's tool calls and
/// results come before its text.
fn history_messages(history: &[HistoryMessage]) -> Vec<ChatCompletionRequestMessage> {
    let mut out = Vec::with_capacity(history.len() * 2);
    for m in history {
        match m.role {
            HistoryRole::User => out.push(user(&m.content)),
            HistoryRole::Assistant => {
                if !m.tool_calls.is_empty() {
                    let calls = m
                        .tool_calls
                        .iter()
                        .map(|c| {
                            ChatCompletionMessageToolCalls::Function(
                                ChatCompletionMessageToolCall {
                                    id: c.id.clone(),
                                    function: FunctionCall {
                                        name: c.name.clone(),
                                        arguments: match &c.arguments {
                                            Value::String(raw) => raw.clone(),
                                            v => v.to_string(),
                                        },
                                    },
                                },
                            )
                        })
                        .collect();
                    out.push(assistant(None, Some(calls)));
                    for c in &m.tool_calls {
                        out.push(tool_result(&c.id, result_text(c)));
                    }
                }
                if !m.failed && !m.content.is_empty() {
                    out.push(assistant(Some(m.content.clone()), None));
                }
            }
        }
    }
    out
}

/// Identity comes from the token, never from the model: `user_id` is not offered to it.
fn model_schema(mut schema: Value) -> Value {
    if let Some(obj) = schema.as_object_mut() {
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.remove("user_id");
        }
        if let Some(req) = obj.get_mut("required").and_then(Value::as_array_mut) {
            req.retain(|v| v != "user_id");
        }
    }
    schema
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

    async fn complete(
        &self,
        request: &CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, RequestFailure> {
        self.client
            .chat()
            .create(request.clone())
            .await
            .map_err(classify)
    }

    pub(crate) async fn run<T: Tools>(
        &self,
        tools: &T,
        history: &[HistoryMessage],
        events: Option<&EventSink>,
        max_turns: usize,
    ) -> Result<TurnOutput, AgentError> {
        let specs = tools
            .specs()
            .await
            .map_err(|e| AgentError::new(FailureKind::ToolsUnavailable, e.0))?;
        let tool_defs: Vec<ChatCompletionTools> = specs
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
            .collect();
        let mut messages = vec![system(SYSTEM_PROMPT)];
        messages.extend(history_messages(history));
        let mut records: Vec<ToolCallRecord> = Vec::new();
        let fail = |kind, detail: String, records: &Vec<ToolCallRecord>| AgentError {
            kind,
            detail,
            tool_calls: records.clone(),
        };

        for _round in 0..max_turns {
            let request = CreateChatCompletionRequest {
                model: self.model.clone(),
                messages: messages.clone(),
                tools: Some(tool_defs.clone()),
                ..Default::default()
            };
            let response = self
                .complete(&request)
                .await
                .map_err(|f| fail(f.kind, f.detail, &records))?;
            let Some(choice) = response.choices.into_iter().next() else {
                return Err(fail(
                    FailureKind::BadResponse,
                    "completion without choices".into(),
                    &records,
                ));
            };
            let message = choice.message;
            let calls = message.tool_calls.clone().unwrap_or_default();
            if calls.is_empty() {
                let text = message
                    .content
                    .or(message.refusal)
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                if text.is_empty() {
                    if records.is_empty() {
                        return Err(fail(
                            FailureKind::BadResponse,
                            "empty completion".into(),
                            &records,
                        ));
                    }
                    return Ok(TurnOutput {
                        reply: "Done.".into(),
                        tool_calls: records,
                    });
                }
                return Ok(TurnOutput {
                    reply: text,
                    tool_calls: records,
                });
            }
            messages.push(assistant(message.content.clone(), Some(calls.clone())));
            for call in calls {
                let (id, name, raw_args) = match call {
                    ChatCompletionMessageToolCalls::Function(f) => {
                        (f.id, f.function.name, f.function.arguments)
                    }
                    ChatCompletionMessageToolCalls::Custom(c) => {
                        (c.id, c.custom_tool.name, c.custom_tool.input)
                    }
                };
                let record = match serde_json::from_str::<Value>(if raw_args.trim().is_empty() {
                    "{}"
                } else {
                    &raw_args
                }) {
                    Ok(args @ Value::Object(_)) => {
                        match call_tool(tools, id.clone(), &name, args, events).await {
                            Ok((record, _)) => record,
                            Err(e) => {
                                return Err(fail(FailureKind::ToolsUnavailable, e.0, &records));
                            }
                        }
                    }
                    _ => ToolCallRecord {
                        id: id.clone(),
                        name: name.clone(),
                        arguments: Value::String(raw_args.clone()),
                        result: serde_json::json!({
                            "error": "The arguments were not a valid JSON object; call the tool again with valid JSON arguments."
                        }),
                        is_error: true,
                    },
                };
                messages.push(tool_result(&id, result_text(&record)));
                records.push(record);
            }
        }
        tracing::warn!(max_turns, "agent turn limit reached");
        Ok(TurnOutput {
            reply: format!(
                "Sorry — I couldn't finish that within {max_turns} steps. {}Please try rephrasing your request.",
                if records.iter().any(|r| !r.is_error) {
                    "Some changes were made (see the tool calls). "
                } else {
                    ""
                }
            ),
            tool_calls: records,
        })
    }
}
