//! POST /chatkit: the ChatKit server protocol (as defined by OpenAI's `openai-chatkit` 1.6 package),
//! so OpenAI's ChatKit web component — and todobot's own UI — can talk to todobot.
//!
//! Threads are todobot conversations (`thr_<id>`), items are its stored messages (`msg_<id>`): one
//! store, whichever endpoint wrote them. Streaming requests answer `text/event-stream` with
//! `data: <json>` frames; the others answer JSON. See docs/chatkit-protocol.md.

use std::{convert::Infallible, sync::Arc};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use todobot_agent::{AgentEvent, FailureKind, ToolCallRecord, Tools};
use todobot_store::{Conversation, Message, MessageOrder, NewMessage, Role as MsgRole, validate};
use tokio::sync::{mpsc, oneshot};

use crate::{
    AppState,
    auth::AuthUser,
    chat::{self, TurnInput},
    error::{ApiError, ApiResult},
};

const DEFAULT_PAGE: u64 = 20;
const MAX_PAGE: u64 = 100;
const TOGGLE_ACTION: &str = "todo.toggle";

pub fn router() -> Router<AppState> {
    Router::new().route("/chatkit", post(chatkit))
}

// ------------------------------------------------------------------------------------------------
// ids and JSON shapes

fn thread_id(id: i64) -> String {
    format!("thr_{id}")
}

fn item_id(id: i64) -> String {
    format!("msg_{id}")
}

fn parse_id(raw: &str, prefix: &str) -> Option<i64> {
    raw.strip_prefix(prefix)?.parse().ok().filter(|n| *n > 0)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn thread_json(c: &Conversation, items: Option<Value>) -> Value {
    let mut t = json!({
        "id": thread_id(c.id),
        "created_at": ts(c.created_at),
        "status": { "type": "active" },
        "items": items.unwrap_or_else(|| json!({ "data": [], "has_more": false })),
    });
    if let Some(title) = &c.title {
        t["title"] = json!(title);
    }
    t
}

fn output_text(text: &str) -> Value {
    json!({ "type": "output_text", "text": text, "annotations": [] })
}

/// A stored message as a ChatKit thread item (`None` for messages ChatKit does not show).
fn item_json(m: &Message) -> Option<Value> {
    let base = |kind: &str| {
        json!({
            "type": kind,
            "id": item_id(m.id),
            "thread_id": thread_id(m.conversation_id),
            "created_at": ts(m.created_at),
        })
    };
    match m.role.as_str() {
        "user" => {
            let mut v = base("user_message");
            v["content"] = json!([{ "type": "input_text", "text": m.content }]);
            v["attachments"] = json!([]);
            v["inference_options"] = json!({});
            Some(v)
        }
        "assistant" => {
            let mut v = base("assistant_message");
            v["content"] = json!([output_text(&m.content)]);
            Some(v)
        }
        "widget" => {
            let stored: Value = serde_json::from_str(&m.content).ok()?;
            let mut v = base("widget");
            v["widget"] = stored.get("widget")?.clone();
            if let Some(copy) = stored.get("copy_text").and_then(Value::as_str) {
                v["copy_text"] = json!(copy);
            }
            Some(v)
        }
        _ => None,
    }
}

fn page_json(items: Vec<Value>, has_more: bool, after: Option<String>) -> Value {
    let mut p = json!({ "data": items, "has_more": has_more });
    if let Some(a) = after {
        p["after"] = json!(a);
    }
    p
}

#[derive(Clone, Debug, PartialEq)]
struct TaskRow {
    id: i64,
    title: String,
    completed: bool,
}

fn task_rows(v: &Value) -> Vec<TaskRow> {
    v.as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    Some(TaskRow {
                        id: r.get("id")?.as_i64()?,
                        title: r.get("title")?.as_str()?.to_owned(),
                        completed: r.get("completed")?.as_bool()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The todo-list widget: a ListView with a checkbox per task. Toggling one sends
/// `threads.custom_action` with `{type: "todo.toggle", payload: {task_id}}`.
fn todo_widget(filter: &str, tasks: &[TaskRow]) -> Value {
    let heading = match filter {
        "pending" => "Pending tasks",
        "completed" => "Completed tasks",
        _ => "Your tasks",
    };
    let children: Vec<Value> = tasks
        .iter()
        .map(|t| {
            json!({
                "type": "ListViewItem",
                "key": format!("task-{}", t.id),
                "children": [{
                    "type": "Checkbox",
                    "name": format!("task-{}", t.id),
                    "label": format!("{}. {}", t.id, t.title),
                    "defaultChecked": t.completed,
                    "onChangeAction": {
                        "type": TOGGLE_ACTION,
                        "payload": { "task_id": t.id },
                        "handler": "server",
                        "loadingBehavior": "self",
                        "streaming": true
                    }
                }]
            })
        })
        .collect();
    json!({
        "type": "ListView",
        "id": format!("todo-list:{filter}"),
        "status": { "text": format!("{heading} ({})", tasks.len()) },
        "children": children,
    })
}

fn widget_copy_text(tasks: &[TaskRow]) -> String {
    tasks
        .iter()
        .map(|t| {
            format!(
                "[{}] {}. {}",
                if t.completed { "x" } else { " " },
                t.id,
                t.title
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The widget to show after a turn whose last successful tool call listed tasks.
fn widget_for_turn(calls: &[ToolCallRecord]) -> Option<(String, Vec<TaskRow>)> {
    let last = calls.iter().rev().find(|c| !c.is_error)?;
    if last.name != "list_tasks" || calls.last().is_some_and(|c| c.name != "list_tasks") {
        return None;
    }
    let filter = last
        .arguments
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| matches!(*s, "pending" | "completed"))
        .unwrap_or("all")
        .to_owned();
    let rows = task_rows(&last.result);
    (!rows.is_empty()).then_some((filter, rows))
}

// ------------------------------------------------------------------------------------------------
// requests

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    params: Value,
    #[allow(dead_code)]
    #[serde(default)]
    metadata: Value,
}

#[derive(Debug, Deserialize)]
struct InputContent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
struct UserInput {
    content: Vec<InputContent>,
    #[serde(default)]
    attachments: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct CreateParams {
    input: UserInput,
}

#[derive(Debug, Deserialize)]
struct AddMessageParams {
    thread_id: String,
    input: UserInput,
}

#[derive(Debug, Deserialize)]
struct ThreadParams {
    thread_id: String,
}

#[derive(Debug, Deserialize)]
struct RetryParams {
    thread_id: String,
    item_id: String,
}

#[derive(Debug, Deserialize)]
struct ActionParams {
    thread_id: String,
    #[serde(default)]
    item_id: Option<String>,
    action: ActionBody,
}

#[derive(Debug, Deserialize)]
struct ActionBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    payload: Value,
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    order: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ItemsListParams {
    thread_id: String,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    order: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UpdateParams {
    thread_id: String,
    title: String,
}

#[derive(Debug, Deserialize)]
struct FeedbackParams {
    thread_id: String,
    item_ids: Vec<String>,
    kind: String,
}

fn params<T: serde::de::DeserializeOwned>(v: Value) -> ApiResult<T> {
    serde_json::from_value(v).map_err(|e| {
        ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_PARAMS",
            format!("Invalid params: {e}"),
        )
    })
}

fn input_text(input: &UserInput) -> ApiResult<String> {
    if !input.attachments.is_empty() {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ATTACHMENTS_UNSUPPORTED",
            "Attachments are not supported.",
        ));
    }
    let text = input
        .content
        .iter()
        .filter(|c| c.kind == "input_text" || c.kind == "input_tag")
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    validate::message(&text).map_err(|e| ApiError::field("input", e))
}

fn order_of(raw: Option<&str>) -> ApiResult<MessageOrder> {
    match raw {
        None | Some("desc") => Ok(MessageOrder::Desc),
        Some("asc") => Ok(MessageOrder::Asc),
        Some(_) => Err(ApiError::field("order", "order must be asc or desc")),
    }
}

fn limit_of(raw: Option<u64>) -> ApiResult<u64> {
    match raw {
        None | Some(0) => Ok(DEFAULT_PAGE),
        Some(n) if n <= MAX_PAGE => Ok(n),
        Some(_) => Err(ApiError::field("limit", "limit must be at most 100")),
    }
}

async fn load_thread(state: &AppState, user: &AuthUser, raw: &str) -> ApiResult<Conversation> {
    let id = parse_id(raw, "thr_").ok_or(ApiError::NotFound("thread"))?;
    state
        .store
        .get_conversation(&user.id, id)
        .await?
        .ok_or(ApiError::NotFound("thread"))
}

/// The message behind item id `raw` in the conversation, which must have `role`.
async fn load_item(
    state: &AppState,
    user: &AuthUser,
    conversation: &Conversation,
    raw: &str,
    role: &str,
    wrong_role: (&'static str, &'static str),
) -> ApiResult<Message> {
    let id = parse_id(raw, "msg_").ok_or(ApiError::NotFound("item"))?;
    let m = state
        .store
        .get_message(&user.id, conversation.id, id)
        .await?
        .ok_or(ApiError::NotFound("item"))?;
    if m.role != role {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            wrong_role.0,
            wrong_role.1,
        ));
    }
    Ok(m)
}

/// A pagination cursor (`after`): an id with the given prefix.
fn cursor(after: Option<&str>, prefix: &str) -> ApiResult<Option<i64>> {
    after
        .map(|a| parse_id(a, prefix).ok_or_else(|| ApiError::field("after", "unknown cursor")))
        .transpose()
}

/// Handles one ChatKit request.
pub async fn chatkit(
    user: AuthUser,
    State(state): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return crate::extract::payload_too_large().into_response();
    };
    match handle(user, state, body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn handle(user: AuthUser, state: AppState, body: Bytes) -> ApiResult<Response> {
    let envelope: Envelope = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("INVALID_REQUEST", format!("Malformed ChatKit request: {e}"))
    })?;
    let p = envelope.params;
    match envelope.kind.as_str() {
        // ---- streaming
        "threads.create" => {
            let p: CreateParams = params(p)?;
            let text = input_text(&p.input)?;
            let conversation = state.store.create_conversation(&user.id, None).await?;
            let created =
                json!({ "type": "thread.created", "thread": thread_json(&conversation, None) });
            Ok(stream_turn(
                state,
                user,
                conversation,
                TurnInput::Message(text),
                vec![created],
            ))
        }
        "threads.add_user_message" => {
            let p: AddMessageParams = params(p)?;
            let text = input_text(&p.input)?;
            let conversation = load_thread(&state, &user, &p.thread_id).await?;
            Ok(stream_turn(
                state,
                user,
                conversation,
                TurnInput::Message(text),
                vec![],
            ))
        }
        "threads.retry_after_item" => {
            let p: RetryParams = params(p)?;
            let conversation = load_thread(&state, &user, &p.thread_id).await?;
            let message_id = load_item(
                &state,
                &user,
                &conversation,
                &p.item_id,
                "user",
                ("NOT_A_USER_MESSAGE", "Only a user message can be retried."),
            )
            .await?
            .id;
            Ok(stream_turn(
                state,
                user,
                conversation,
                TurnInput::Retry { message_id },
                vec![],
            ))
        }
        "threads.custom_action" => {
            let p: ActionParams = params(p)?;
            let conversation = load_thread(&state, &user, &p.thread_id).await?;
            if p.action.kind != TOGGLE_ACTION {
                return Err(ApiError::client(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "UNKNOWN_ACTION",
                    format!("Unknown action {:?}.", p.action.kind),
                ));
            }
            let task_id = p
                .action
                .payload
                .get("task_id")
                .and_then(Value::as_i64)
                .ok_or_else(|| ApiError::field("action.payload.task_id", "task_id is required"))?;
            let completed = p.action.payload.get("completed").and_then(Value::as_bool);
            let widget = match &p.item_id {
                Some(raw) => Some(
                    load_item(
                        &state,
                        &user,
                        &conversation,
                        raw,
                        "widget",
                        ("NOT_A_WIDGET", "Actions apply to widget items."),
                    )
                    .await?,
                ),
                None => None,
            };
            Ok(stream_action(
                state,
                user,
                conversation,
                widget,
                task_id,
                completed,
            ))
        }
        // ---- JSON
        "threads.get_by_id" => {
            let p: ThreadParams = params(p)?;
            let c = load_thread(&state, &user, &p.thread_id).await?;
            let rows = state
                .store
                .list_messages(&user.id, c.id, MessageOrder::Asc, None, DEFAULT_PAGE + 1)
                .await?;
            let items = items_page(rows, DEFAULT_PAGE);
            Ok(Json(thread_json(&c, Some(items))).into_response())
        }
        "threads.list" => {
            let p: ListParams = params(p)?;
            let limit = limit_of(p.limit)?;
            let order = order_of(p.order.as_deref())?;
            let after = cursor(p.after.as_deref(), "thr_")?;
            let mut rows = state
                .store
                .list_conversations(&user.id, order, after, limit + 1)
                .await?;
            let has_more = chat::truncate_page(&mut rows, limit);
            let after = has_more
                .then(|| rows.last().map(|c| thread_id(c.id)))
                .flatten();
            let data = rows.iter().map(|c| thread_json(c, None)).collect();
            Ok(Json(page_json(data, has_more, after)).into_response())
        }
        "items.list" => {
            let p: ItemsListParams = params(p)?;
            let c = load_thread(&state, &user, &p.thread_id).await?;
            let limit = limit_of(p.limit)?;
            let order = order_of(p.order.as_deref())?;
            let after = cursor(p.after.as_deref(), "msg_")?;
            let rows = state
                .store
                .list_messages(&user.id, c.id, order, after, limit + 1)
                .await?;
            Ok(Json(items_page(rows, limit)).into_response())
        }
        "threads.update" => {
            let p: UpdateParams = params(p)?;
            let c = load_thread(&state, &user, &p.thread_id).await?;
            let c = state
                .store
                .rename_conversation(&user.id, c.id, &p.title)
                .await?
                .ok_or(ApiError::NotFound("thread"))?;
            Ok(Json(thread_json(&c, None)).into_response())
        }
        "threads.delete" => {
            let p: ThreadParams = params(p)?;
            let c = load_thread(&state, &user, &p.thread_id).await?;
            state.store.delete_conversation(&user.id, c.id).await?;
            Ok(Json(json!({})).into_response())
        }
        "items.feedback" => {
            let p: FeedbackParams = params(p)?;
            let c = load_thread(&state, &user, &p.thread_id).await?;
            if p.kind != "positive" && p.kind != "negative" {
                return Err(ApiError::field("kind", "kind must be positive or negative"));
            }
            let ids: Vec<i64> = p
                .item_ids
                .iter()
                .map(|i| parse_id(i, "msg_").ok_or(ApiError::NotFound("item")))
                .collect::<ApiResult<_>>()?;
            state
                .store
                .set_message_feedback(&user.id, c.id, &ids, &p.kind)
                .await?;
            Ok(Json(json!({})).into_response())
        }
        "attachments.create"
        | "attachments.delete"
        | "input.transcribe"
        | "threads.add_client_tool_output"
        | "threads.add_structured_input"
        | "threads.sync_custom_action" => Err(ApiError::client(
            StatusCode::BAD_REQUEST,
            "UNSUPPORTED_REQUEST",
            format!("todobot does not support {}.", envelope.kind),
        )),
        other => Err(ApiError::client(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_REQUEST_TYPE",
            format!("Unknown ChatKit request type {other:?}."),
        )),
    }
}

/// A page of items from `limit + 1` rows (the extra row tells whether there is more).
fn items_page(mut rows: Vec<Message>, limit: u64) -> Value {
    let has_more = chat::truncate_page(&mut rows, limit);
    let after = has_more
        .then(|| rows.last().map(|m| item_id(m.id)))
        .flatten();
    let data = rows.iter().filter_map(item_json).collect();
    page_json(data, has_more, after)
}

// ------------------------------------------------------------------------------------------------
// streaming

type Frames = mpsc::UnboundedSender<Value>;

fn sse_response(rx: mpsc::UnboundedReceiver<Value>) -> Response {
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

/// Streams a stored assistant message the way ChatKit expects: added, content part, text deltas,
/// part done, item done.
fn emit_assistant(tx: &Frames, m: &Message) {
    let id = item_id(m.id);
    let mut item = item_json(m).unwrap_or(Value::Null);
    item["content"] = json!([]);
    let _ = tx.send(json!({ "type": "thread.item.added", "item": item }));
    let _ = tx.send(json!({
        "type": "thread.item.updated", "item_id": id,
        "update": { "type": "assistant_message.content_part.added", "content_index": 0, "content": output_text("") }
    }));
    for delta in chunks(&m.content) {
        let _ = tx.send(json!({
            "type": "thread.item.updated", "item_id": id,
            "update": { "type": "assistant_message.content_part.text_delta", "content_index": 0, "delta": delta }
        }));
    }
    let _ = tx.send(json!({
        "type": "thread.item.updated", "item_id": id,
        "update": { "type": "assistant_message.content_part.done", "content_index": 0, "content": output_text(&m.content) }
    }));
    let _ = tx.send(json!({ "type": "thread.item.done", "item": item_json(m) }));
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

async fn store_widget(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    filter: &str,
    rows: &[TaskRow],
) -> ApiResult<Option<Message>> {
    let content =
        json!({ "widget": todo_widget(filter, rows), "copy_text": widget_copy_text(rows) });
    Ok(state
        .store
        .append_message(
            &user.id,
            cid,
            NewMessage {
                role: MsgRole::Widget,
                content: content.to_string(),
                tool_calls: None,
                status: "ok",
            },
        )
        .await?)
}

fn error_event(message: &str, allow_retry: bool) -> Value {
    json!({ "type": "error", "code": "custom", "message": message, "allow_retry": allow_retry })
}

fn stream_turn(
    state: AppState,
    user: AuthUser,
    conversation: Conversation,
    input: TurnInput,
    prelude: Vec<Value>,
) -> Response {
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    for e in prelude {
        let _ = tx.send(e);
    }
    // The turn runs to completion even if the client goes away: its results are stored.
    tokio::spawn(async move {
        run_stream_turn(&state, &user, conversation, input, &tx).await;
    });
    sse_response(rx)
}

async fn run_stream_turn(
    state: &AppState,
    user: &AuthUser,
    conversation: Conversation,
    input: TurnInput,
    tx: &Frames,
) {
    let cid = conversation.id;
    let had_title = conversation.title.is_some();
    let first_text = match &input {
        TurnInput::Message(t) => Some(t.clone()),
        TurnInput::Retry { .. } => None,
    };
    let is_retry = matches!(input, TurnInput::Retry { .. });
    let (user_tx, user_rx) = oneshot::channel::<Message>();
    let (agent_tx, mut agent_rx) = mpsc::unbounded_channel::<AgentEvent>();
    let agent: Arc<_> = state.agent.clone();
    let turn = {
        let state = state.clone();
        let user = user.clone();
        tokio::spawn(async move {
            chat::run_turn(
                &state,
                &agent,
                &user,
                conversation,
                input,
                Some(&agent_tx),
                Some(user_tx),
            )
            .await
        })
    };
    // the user's message, once stored, then the stream options
    if let Ok(m) = user_rx.await
        && !is_retry
        && let Some(item) = item_json(&m)
    {
        let _ = tx.send(json!({ "type": "thread.item.done", "item": item }));
    }
    let _ =
        tx.send(json!({ "type": "stream_options", "stream_options": { "allow_cancel": false } }));
    while let Some(ev) = agent_rx.recv().await {
        if let AgentEvent::ToolStarted { name, .. } = ev {
            let _ = tx.send(json!({ "type": "progress_update", "icon": "check-circle", "text": progress_text(&name) }));
        }
    }
    let result = match turn.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "chat turn task failed");
            let _ = tx.send(error_event(
                "Something went wrong on our side. Please try again.",
                true,
            ));
            return;
        }
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            let body = e.body();
            tracing::warn!(error = %e, "ChatKit turn failed");
            let _ = tx.send(error_event(&body.message, true));
            return;
        }
    };
    if let Some(kind) = result.failure {
        // the stored error reply is part of the thread; the error event lets the UI offer a retry
        emit_assistant(tx, &result.reply);
        let retry = !matches!(kind, FailureKind::BadResponse);
        let _ = tx.send(error_event(&result.reply.content, retry));
    } else {
        emit_assistant(tx, &result.reply);
        if let Some((filter, rows)) = widget_for_turn(&result.tool_calls) {
            match store_widget(state, user, cid, &filter, &rows).await {
                Ok(Some(w)) => {
                    let _ = tx.send(json!({ "type": "thread.item.done", "item": item_json(&w) }));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not store the task widget"),
            }
        }
    }
    if !had_title && let Some(text) = first_text {
        match state
            .store
            .rename_conversation(&user.id, cid, &chat::title_from(&text))
            .await
        {
            Ok(Some(c)) => {
                let _ =
                    tx.send(json!({ "type": "thread.updated", "thread": thread_json(&c, None) }));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not set the thread title"),
        }
    }
}

fn stream_action(
    state: AppState,
    user: AuthUser,
    conversation: Conversation,
    widget: Option<Message>,
    task_id: i64,
    completed: Option<bool>,
) -> Response {
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    tokio::spawn(async move {
        let cid = conversation.id;
        if let Err(e) = chat::acquire_turn_for_action(&state, &user.id, cid).await {
            let _ = tx.send(error_event(&e.body().message, true));
            return;
        }
        run_action(&state, &user, cid, widget, task_id, completed, &tx).await;
        if let Err(e) = state.store.release_turn(&user.id, cid).await {
            tracing::warn!(error = %e, "could not release the turn lease");
        }
    });
    sse_response(rx)
}

async fn run_action(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    widget: Option<Message>,
    task_id: i64,
    completed: Option<bool>,
    tx: &Frames,
) {
    let _ =
        tx.send(json!({ "type": "stream_options", "stream_options": { "allow_cancel": false } }));
    let _ = tx.send(
        json!({ "type": "progress_update", "icon": "check-circle", "text": "Updating the task…" }),
    );
    let client = match chat::open_tools(state, user).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(detail = %e.detail, "tools unavailable for a widget action");
            let _ = tx.send(error_event(e.user_message(), true));
            return;
        }
    };
    let outcome = toggle(&client, task_id, completed).await;
    let filter = widget
        .as_ref()
        .and_then(|w| serde_json::from_str::<Value>(&w.content).ok())
        .and_then(|v| v["widget"]["id"].as_str().map(str::to_owned))
        .and_then(|id| id.strip_prefix("todo-list:").map(str::to_owned))
        .unwrap_or_else(|| "all".to_owned());
    let refreshed = client
        .call("list_tasks", json!({ "status": filter }))
        .await
        .ok()
        .filter(|o| !o.is_error)
        .map(|o| task_rows(&o.value));
    client.close().await;
    let (reply, calls) = match outcome {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(error_event(
                "Sorry — your tasks are unavailable right now. Please try again shortly.",
                true,
            ));
            tracing::warn!(error = %e, "widget action failed");
            return;
        }
    };
    // the widget now shows the new state (stored, so a reload shows it too)
    if let (Some(w), Some(rows)) = (&widget, refreshed) {
        let content =
            json!({ "widget": todo_widget(&filter, &rows), "copy_text": widget_copy_text(&rows) });
        match state
            .store
            .update_message_content(&user.id, cid, w.id, content.to_string())
            .await
        {
            Ok(_) => {
                let _ = tx.send(json!({
                    "type": "thread.item.updated", "item_id": item_id(w.id),
                    "update": { "type": "widget.root.updated", "widget": content["widget"] }
                }));
            }
            Err(e) => tracing::warn!(error = %e, "could not store the updated widget"),
        }
    }
    match state
        .store
        .append_message(
            &user.id,
            cid,
            NewMessage {
                role: MsgRole::Assistant,
                content: reply,
                tool_calls: Some(serde_json::to_value(&calls).unwrap_or(Value::Null)),
                status: "ok",
            },
        )
        .await
    {
        Ok(Some(m)) => emit_assistant(tx, &m),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not store the action reply");
            let _ = tx.send(error_event(
                "The task was updated, but the reply could not be saved.",
                false,
            ));
        }
    }
}

/// Completes or reopens a task through the MCP tools; `None` flips its current state.
async fn toggle(
    client: &todobot_mcp::McpClient,
    task_id: i64,
    completed: Option<bool>,
) -> Result<(String, Vec<ToolCallRecord>), todobot_agent::ToolError> {
    let mut calls = Vec::new();
    let target = match completed {
        Some(c) => c,
        None => {
            let all = Tools::call(client, "list_tasks", json!({ "status": "all" })).await?;
            calls.push(ToolCallRecord {
                id: format!("call_action_{}", calls.len() + 1),
                name: "list_tasks".into(),
                arguments: json!({ "status": "all" }),
                result: all.value.clone(),
                is_error: all.is_error,
            });
            !task_rows(&all.value)
                .iter()
                .find(|t| t.id == task_id)
                .is_some_and(|t| t.completed)
        }
    };
    let args = json!({ "task_id": task_id, "completed": target });
    let out = Tools::call(client, "complete_task", args.clone()).await?;
    calls.push(ToolCallRecord {
        id: format!("call_action_{}", calls.len() + 1),
        name: "complete_task".into(),
        arguments: args,
        result: if out.is_error {
            json!({ "error": out.text })
        } else {
            out.value.clone()
        },
        is_error: out.is_error,
    });
    let title = out.value.get("title").and_then(Value::as_str).unwrap_or("");
    let reply = if out.is_error {
        format!("I couldn't update task {task_id}: {}", out.text)
    } else if target {
        format!("Done! I marked task {task_id} \"{title}\" as complete.")
    } else {
        format!("I reopened task {task_id} \"{title}\"; it's pending again.")
    };
    Ok((reply, calls))
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

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        assert_eq!(parse_id(&thread_id(42), "thr_"), Some(42));
        assert_eq!(parse_id("thr_x", "thr_"), None);
        assert_eq!(parse_id("msg_1", "thr_"), None);
        assert_eq!(parse_id("thr_-1", "thr_"), None);
    }
}
