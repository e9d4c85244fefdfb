//! The chat-completions request messages: the system prompt, stored history replayed in the
//! chat-completions shape, tool results, and tool schemas as the model sees them.

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, FunctionCall,
};
use serde_json::Value;

use crate::{HistoryMessage, HistoryRole, ToolCallRecord};

pub(crate) fn system(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
        content: ChatCompletionRequestSystemMessageContent::Text(text.to_owned()),
        name: None,
    })
}

pub(crate) fn user(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
        content: ChatCompletionRequestUserMessageContent::Text(text.to_owned()),
        name: None,
    })
}

pub(crate) fn assistant(
    text: Option<String>,
    calls: Option<Vec<ChatCompletionMessageToolCalls>>,
) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
        content: text.map(ChatCompletionRequestAssistantMessageContent::Text),
        tool_calls: calls,
        ..Default::default()
    })
}

pub(crate) fn tool_result(id: &str, content: String) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
        content: ChatCompletionRequestToolMessageContent::Text(content),
        tool_call_id: id.to_owned(),
    })
}

/// What the model sees as a tool's result.
pub(crate) fn result_text(record: &ToolCallRecord) -> String {
    serde_json::to_string(&record.result).unwrap_or_else(|_| "null".to_owned())
}

/// Replays stored history in the chat-completions shape: each assistant message's tool calls and
/// results come before its text.
pub(crate) fn history_messages(history: &[HistoryMessage]) -> Vec<ChatCompletionRequestMessage> {
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
pub(crate) fn model_schema(mut schema: Value) -> Value {
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
