//! POST /api/{user_id}/chat with `Accept: text/event-stream`: the same turn as the JSON mode,
//! reported as it happens. Server-sent events, in order:
//!
//! - `start` `{conversation_id, user_message_id, message_id}` once the user's message is stored
//!   (`message_id` is the reply's id);
//! - `delta` `{text}` for each piece of the reply as the model writes it;
//! - `reset` `{}` when the text so far was not the reply (the model went on to use tools);
//! - `tool_call` `{name, arguments}` when a tool starts, `tool_result` `{name, arguments, result,
//!   is_error}` when it is done;
//! - `done` `{conversation_id, user_message_id, message_id, response, tool_calls}`, or `error`
//!   `{code, message, conversation_id, message_id?}` — the last event.
//!
//! The turn runs in its own task: everything is stored before `done`, and a client that goes away
//! mid-stream does not stop it (the reply is stored all the same).

use std::convert::Infallible;

use axum::{
    body::{Body, Bytes},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use todobot_agent::AgentEvent;
use todobot_store::Conversation;
use tokio::sync::{mpsc, oneshot};

use super::chat::ToolCallDto;
use crate::{
    AppState,
    auth::AuthUser,
    chat::{self, TurnInput, TurnResult, TurnStarted},
};

type Events = mpsc::UnboundedSender<(&'static str, Value)>;

fn send(tx: &Events, name: &'static str, data: Value) {
    // a client that went away does not stop the turn
    let _ = tx.send((name, data));
}

/// True when the client asked for server-sent events.
pub fn wants_stream(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/event-stream"))
}

pub fn stream_chat(
    state: AppState,
    user: AuthUser,
    conversation: Conversation,
    text: String,
) -> Response {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move { run(state, user, conversation, text, tx).await });
    let frames = futures::stream::unfold(rx, |mut rx| async move {
        let (name, data) = rx.recv().await?;
        let frame = format!("event: {name}\ndata: {data}\n\n");
        Some((Ok::<_, Infallible>(Bytes::from(frame)), rx))
    });
    let mut res = Body::from_stream(frames).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

#[tracing::instrument(name = "api.chat_stream", skip_all, fields(user_id = %user.id, conversation_id = conversation.id))]
async fn run(
    state: AppState,
    user: AuthUser,
    conversation: Conversation,
    text: String,
    tx: Events,
) {
    let cid = conversation.id;
    let (started_tx, started_rx) = oneshot::channel::<TurnStarted>();
    let (agent_tx, mut agent_rx) = mpsc::unbounded_channel::<AgentEvent>();
    let turn = tokio::spawn(async move {
        let agent = state.agent.clone();
        let input = TurnInput::Message(text);
        let events = Some(&agent_tx);
        chat::run_turn(
            &state,
            &agent,
            &user,
            conversation,
            input,
            events,
            Some(started_tx),
        )
        .await
    });
    let mut reply_id = None;
    if let Ok(s) = started_rx.await {
        reply_id = Some(s.reply_id);
        let ids = json!({ "conversation_id": cid, "user_message_id": s.user_message.id, "message_id": s.reply_id });
        send(&tx, "start", ids);
    }
    while let Some(ev) = agent_rx.recv().await {
        forward(&tx, ev);
    }
    match turn.await {
        Ok(Ok(result)) => finish(&tx, result),
        Ok(Err(e)) => {
            let mut body =
                serde_json::to_value(crate::error::ApiError::from(e).body()).unwrap_or(Value::Null);
            body["conversation_id"] = json!(cid);
            if let Some(id) = reply_id {
                body["message_id"] = json!(id);
            }
            send(&tx, "error", body);
        }
        Err(e) => {
            tracing::error!(error = %e, "chat turn task failed");
            let body = crate::error::ApiError::internal(e.to_string()).body();
            send(
                &tx,
                "error",
                serde_json::to_value(body).unwrap_or(Value::Null),
            );
        }
    }
}

fn forward(tx: &Events, ev: AgentEvent) {
    match ev {
        AgentEvent::TextDelta(text) => send(tx, "delta", json!({ "text": text })),
        AgentEvent::TextReset => send(tx, "reset", json!({})),
        AgentEvent::ToolStarted { name, arguments } => send(
            tx,
            "tool_call",
            json!({ "name": name, "arguments": arguments }),
        ),
        AgentEvent::ToolFinished(r) => send(
            tx,
            "tool_result",
            json!({ "name": r.name, "arguments": r.arguments, "result": r.result, "is_error": r.is_error }),
        ),
    }
}

fn finish(tx: &Events, result: TurnResult) {
    let cid = result.conversation.id;
    if let Some(kind) = result.failure {
        let err = chat::failure_error(kind, &result.reply.content);
        let mut body = serde_json::to_value(err.body()).unwrap_or(Value::Null);
        body["conversation_id"] = json!(cid);
        body["message_id"] = json!(result.reply.id);
        send(tx, "error", body);
        return;
    }
    let calls: Vec<ToolCallDto> = result.tool_calls.into_iter().map(Into::into).collect();
    send(
        tx,
        "done",
        json!({
            "conversation_id": cid,
            "user_message_id": result.user_message.id,
            "message_id": result.reply.id,
            "response": result.reply.content,
            "tool_calls": calls,
        }),
    );
}
