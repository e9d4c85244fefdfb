//! One streamed model round: chat-completion chunks (`stream: true`) assembled into the round's
//! text and tool calls. Text is reported as it arrives; tool calls are assembled by their `index`
//! (the id and name come once, the arguments in pieces that concatenate).

use std::collections::BTreeMap;

use async_openai::types::chat::{
    ChatCompletionMessageToolCallChunk, CompletionUsage, CreateChatCompletionStreamResponse,
};
use futures::StreamExt;

use super::errors::{RequestFailure, classify};
use crate::{AgentEvent, EventSink, FailureKind};

/// A tool call as assembled from its chunks.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StreamedCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// What the model said in one round.
#[derive(Debug, Default)]
pub(crate) struct Round {
    pub text: String,
    pub refusal: String,
    pub calls: BTreeMap<u32, StreamedCall>,
    pub usage: Option<CompletionUsage>,
    /// Chunks that carried a choice (none at all means the answer was not a completion stream).
    pub choices_seen: usize,
}

impl Round {
    /// Folds one chunk in; text deltas go to `events` at once.
    pub fn absorb(
        &mut self,
        chunk: CreateChatCompletionStreamResponse,
        events: Option<&EventSink>,
    ) {
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        // only the first choice is used (todobot never asks for n > 1)
        let Some(choice) = chunk.choices.into_iter().find(|c| c.index == 0) else {
            return;
        };
        self.choices_seen += 1;
        let delta = choice.delta;
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            if let Some(tx) = events {
                let _ = tx.send(AgentEvent::TextDelta(text.clone()));
            }
            self.text.push_str(&text);
        }
        if let Some(refusal) = delta.refusal {
            self.refusal.push_str(&refusal);
        }
        for part in delta.tool_calls.unwrap_or_default() {
            self.absorb_call(part);
        }
    }

    fn absorb_call(&mut self, part: ChatCompletionMessageToolCallChunk) {
        let call = self.calls.entry(part.index).or_default();
        if let Some(id) = part.id.filter(|id| !id.is_empty()) {
            call.id = id;
        }
        if let Some(f) = part.function {
            if let Some(name) = f.name {
                // some servers repeat the name on every chunk, others send it once
                if call.name != name {
                    call.name.push_str(&name);
                }
            }
            if let Some(args) = f.arguments {
                call.arguments.push_str(&args);
            }
        }
    }

    /// The round's tool calls in index order; a call without an id gets one.
    pub fn tool_calls(&self) -> Vec<StreamedCall> {
        self.calls
            .iter()
            .map(|(i, c)| StreamedCall {
                id: if c.id.is_empty() {
                    format!("call_{i}")
                } else {
                    c.id.clone()
                },
                ..c.clone()
            })
            .collect()
    }
}

/// Reads a completion stream to its end.
pub(crate) async fn read_round(
    mut stream: async_openai::types::chat::ChatCompletionResponseStream,
    events: Option<&EventSink>,
) -> Result<Round, RequestFailure> {
    let mut round = Round::default();
    while let Some(chunk) = stream.next().await {
        round.absorb(chunk.map_err(classify)?, events);
    }
    if round.choices_seen == 0 {
        return Err(RequestFailure {
            kind: FailureKind::BadResponse,
            detail: "completion stream without choices".into(),
        });
    }
    if let Some(u) = &round.usage {
        tracing::debug!(
            prompt_tokens = u.prompt_tokens,
            completion_tokens = u.completion_tokens,
            "model usage"
        );
        metrics::counter!("todobot_llm_tokens_total", "kind" => "prompt")
            .increment(u64::from(u.prompt_tokens));
        metrics::counter!("todobot_llm_tokens_total", "kind" => "completion")
            .increment(u64::from(u.completion_tokens));
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chunk(delta: serde_json::Value) -> CreateChatCompletionStreamResponse {
        serde_json::from_value(json!({
            "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": null }]
        }))
        .expect("valid chunk")
    }

    #[test]
    fn tool_call_deltas_are_assembled_by_index() {
        let mut r = Round::default();
        for d in [
            json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "add_task", "arguments": ""}}]}),
            json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "list_tasks", "arguments": "{\"sta"}}]}),
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"title\":"}}]}),
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"milk\"}"}}]}),
            json!({"tool_calls": [{"index": 1, "function": {"arguments": "tus\":\"all\"}"}}]}),
        ] {
            r.absorb(chunk(d), None);
        }
        let calls = r.tool_calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("call_a", "add_task")
        );
        assert_eq!(calls[0].arguments, r#"{"title":"milk"}"#);
        assert_eq!(calls[1].name, "list_tasks");
        assert_eq!(calls[1].arguments, r#"{"status":"all"}"#);
    }

    #[test]
    fn text_deltas_are_reported_as_they_come() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut r = Round::default();
        r.absorb(
            chunk(json!({"role": "assistant", "content": ""})),
            Some(&tx),
        );
        r.absorb(chunk(json!({"content": "Hel"})), Some(&tx));
        r.absorb(chunk(json!({"content": "lo"})), Some(&tx));
        assert_eq!(r.text, "Hello");
        let mut got = Vec::new();
        while let Ok(AgentEvent::TextDelta(t)) = rx.try_recv() {
            got.push(t);
        }
        assert_eq!(got, ["Hel", "lo"]);
    }

    #[test]
    fn usage_comes_from_the_last_chunk() {
        let mut r = Round::default();
        let last: CreateChatCompletionStreamResponse = serde_json::from_value(json!({
            "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        }))
        .expect("valid chunk");
        r.absorb(last, None);
        assert_eq!(r.usage.map(|u| u.total_tokens), Some(10));
        assert_eq!(r.choices_seen, 0);
    }
}
