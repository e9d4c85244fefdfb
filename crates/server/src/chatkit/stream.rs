//! A chat turn as ChatKit stream events (`text/event-stream`, one `data: <json>` frame per event).

use std::{convert::Infallible, sync::Arc};

use axum::{
    body::{Body, Bytes},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use todobot_agent::{AgentEvent, FailureKind};
use todobot_store::{Conversation, Message};
use tokio::sync::{mpsc, oneshot};

use super::{
    protocol::{Echo, item_id, thread_id},
    render::{item_json, output_text, thread_json, ts},
    widget::{store_widget, widget_for_turn},
};
use crate::{
    AppState,
    auth::AuthUser,
    chat::{self, TurnInput, TurnResult, TurnStarted},
};

pub type Frames = mpsc::UnboundedSender<Value>;

/// Sends one event; a client that went away does not stop the turn.
pub fn send(tx: &Frames, event: Value) {
    let _ = tx.send(event);
}

pub fn sse_response(rx: mpsc::UnboundedReceiver<Value>) -> Response {
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        let frame = format!("data: {}\n\n", event);
        Some((Ok::<_, Infallible>(Bytes::from(frame)), rx))
    });
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

pub fn stream_options() -> Value {
    json!({ "type": "stream_options", "stream_options": { "allow_cancel": false } })
}

pub fn progress(text: &str) -> Value {
    json!({ "type": "progress_update", "icon": "check-circle", "text": text })
}

fn progress_text(name: &str) -> &'static str {
    match name {
        "add_task" => "Adding the task…",
        "list_tasks" => "Looking at your tasks…",
        "complete_task" => "Updating the task…",
        "delete_task" => "Deleting the task…",
        "update_task" => "Updating the task…",
        _ => "Working…",
    }
}

pub fn error_event(message: &str, allow_retry: bool) -> Value {
    json!({ "type": "error", "code": "custom", "message": message, "allow_retry": allow_retry })
}

fn part_update(id: &str, update: Value) -> Value {
    json!({ "type": "thread.item.updated", "item_id": id, "update": update })
}

/// Streams a stored assistant message the way ChatKit expects: added, content part, text deltas,
/// part done, item done.
pub fn emit_assistant(tx: &Frames, m: &Message) {
    let id = item_id(m.id);
    let mut item = item_json(m).unwrap_or(Value::Null);
    item["content"] = json!([]);
    send(tx, json!({ "type": "thread.item.added", "item": item }));
    send(
        tx,
        part_update(
            &id,
            json!({ "type": "assistant_message.content_part.added", "content_index": 0, "content": output_text("") }),
        ),
    );
    for delta in chunks(&m.content) {
        send(
            tx,
            part_update(
                &id,
                json!({ "type": "assistant_message.content_part.text_delta", "content_index": 0, "delta": delta }),
            ),
        );
    }
    send(
        tx,
        part_update(
            &id,
            json!({ "type": "assistant_message.content_part.done", "content_index": 0, "content": output_text(&m.content) }),
        ),
    );
    send(
        tx,
        json!({ "type": "thread.item.done", "item": item_json(m) }),
    );
}

/// Splits text into word-sized deltas (whitespace kept) that concatenate back to it.
fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        cur.push(ch);
        if ch.is_whitespace() && cur.trim().chars().count() >= 1 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A turn to stream: what starts it, how to echo the user's input, and events to send first.
pub struct Turn {
    pub input: TurnInput,
    pub echo: Echo,
    pub prelude: Vec<Value>,
}

pub fn stream_turn(
    state: AppState,
    user: AuthUser,
    conversation: Conversation,
    turn: Turn,
) -> Response {
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    for e in turn.prelude {
        send(&tx, e);
    }
    // The turn runs to completion even if the client goes away: its results are stored.
    tokio::spawn(async move {
        run_stream_turn(&state, &user, conversation, turn.input, turn.echo, &tx).await;
    });
    sse_response(rx)
}

/// The user's item as echoed: the parts as sent (tags too) and the quoted text.
fn echoed_user_item(m: &Message, echo: Echo) -> Option<Value> {
    let mut item = item_json(m)?;
    if !echo.content.is_empty() {
        item["content"] = Value::Array(echo.content);
    }
    if let Some(q) = echo.quoted_text {
        item["quoted_text"] = json!(q);
    }
    Some(item)
}

#[tracing::instrument(name = "chatkit.turn", skip_all, fields(user_id = %user.id, conversation_id = conversation.id))]
async fn run_stream_turn(
    state: &AppState,
    user: &AuthUser,
    conversation: Conversation,
    input: TurnInput,
    echo: Echo,
    tx: &Frames,
) {
    let cid = conversation.id;
    let had_title = conversation.title.is_some();
    let first_text = match &input {
        TurnInput::Message(t) => Some(t.clone()),
        TurnInput::Retry { .. } => None,
    };
    let is_retry = matches!(input, TurnInput::Retry { .. });
    let (started_tx, started_rx) = oneshot::channel::<TurnStarted>();
    let (agent_tx, agent_rx) = mpsc::unbounded_channel::<AgentEvent>();
    let agent: Arc<_> = state.agent.clone();
    let turn = {
        let state = state.clone();
        let user = user.clone();
        tokio::spawn(async move {
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
        })
    };
    // the user's message, once stored, then the stream options
    let mut live = None;
    if let Ok(started) = started_rx.await {
        if !is_retry && let Some(item) = echoed_user_item(&started.user_message, echo) {
            send(tx, json!({ "type": "thread.item.done", "item": item }));
        }
        live = Some(LiveReply::new(started.reply_id, cid));
    }
    send(tx, stream_options());
    forward_events(agent_rx, live.as_mut(), tx).await;
    match turn.await {
        Ok(Ok(result)) => finish_turn(state, user, &result, live.as_ref(), tx).await,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "ChatKit turn failed");
            send(
                tx,
                error_event(&crate::error::ApiError::from(e).body().message, true),
            );
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "chat turn task failed");
            send(
                tx,
                error_event("Something went wrong on our side. Please try again.", true),
            );
            return;
        }
    }
    if !had_title && let Some(text) = first_text {
        set_title(state, user, cid, &text, tx).await;
    }
}

/// The assistant item shown while the model writes it (the reply's reserved id).
struct LiveReply {
    id: String,
    thread_id: String,
    open: bool,
}

impl LiveReply {
    fn new(reply_id: i64, cid: i64) -> Self {
        Self {
            id: item_id(reply_id),
            thread_id: thread_id(cid),
            open: false,
        }
    }

    fn delta(&mut self, tx: &Frames, delta: &str) {
        if !self.open {
            self.open = true;
            let item = json!({
                "type": "assistant_message", "id": self.id, "thread_id": self.thread_id,
                "created_at": ts(chrono::Utc::now()), "content": [],
            });
            send(tx, json!({ "type": "thread.item.added", "item": item }));
            send(
                tx,
                part_update(
                    &self.id,
                    json!({ "type": "assistant_message.content_part.added", "content_index": 0, "content": output_text("") }),
                ),
            );
        }
        send(
            tx,
            part_update(
                &self.id,
                json!({ "type": "assistant_message.content_part.text_delta", "content_index": 0, "delta": delta }),
            ),
        );
    }

    /// The streamed text was not the reply after all (the model went on to call tools).
    fn reset(&mut self, tx: &Frames) {
        if self.open {
            self.open = false;
            send(
                tx,
                json!({ "type": "thread.item.removed", "item_id": self.id }),
            );
        }
    }

    /// Ends the item with the stored reply.
    fn finish(&self, tx: &Frames, m: &Message) {
        send(
            tx,
            part_update(
                &self.id,
                json!({ "type": "assistant_message.content_part.done", "content_index": 0, "content": output_text(&m.content) }),
            ),
        );
        send(
            tx,
            json!({ "type": "thread.item.done", "item": item_json(m) }),
        );
    }
}

/// Text as it is written and tool progress, until the turn ends.
async fn forward_events(
    mut agent_rx: mpsc::UnboundedReceiver<AgentEvent>,
    mut live: Option<&mut LiveReply>,
    tx: &Frames,
) {
    while let Some(ev) = agent_rx.recv().await {
        match (ev, live.as_deref_mut()) {
            (AgentEvent::TextDelta(d), Some(live)) => live.delta(tx, &d),
            (AgentEvent::TextReset, Some(live)) => live.reset(tx),
            (AgentEvent::ToolStarted { name, .. }, _) => send(tx, progress(progress_text(&name))),
            _ => {}
        }
    }
}

/// The reply (and the task widget, when the turn listed tasks).
async fn finish_turn(
    state: &AppState,
    user: &AuthUser,
    result: &TurnResult,
    live: Option<&LiveReply>,
    tx: &Frames,
) {
    match live {
        Some(live) if live.open => live.finish(tx, &result.reply),
        _ => emit_assistant(tx, &result.reply),
    }
    if let Some(kind) = result.failure {
        // the stored error reply is part of the thread; the error event lets the UI offer a retry
        let retry = !matches!(kind, FailureKind::BadResponse);
        send(tx, error_event(&result.reply.content, retry));
        return;
    }
    let cid = result.conversation.id;
    if let Some((filter, rows)) = widget_for_turn(&result.tool_calls) {
        match store_widget(state, user, cid, filter, &rows).await {
            Ok(Some(w)) => send(
                tx,
                json!({ "type": "thread.item.done", "item": item_json(&w) }),
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not store the task widget"),
        }
    }
}

async fn set_title(state: &AppState, user: &AuthUser, cid: i64, text: &str, tx: &Frames) {
    match state
        .store
        .rename_conversation(&user.id, cid, &chat::title_from(text))
        .await
    {
        Ok(Some(c)) => send(
            tx,
            json!({ "type": "thread.updated", "thread": thread_json(&c, None) }),
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not set the thread title"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_concatenate_to_the_text() {
        for text in [
            "",
            "Hi",
            "You have 2 tasks:\n1. a\n2. b ✓",
            "  spaced  out  ",
        ] {
            assert_eq!(chunks(text).concat(), text);
        }
        assert!(chunks("one two three").len() >= 3);
    }
}
