//! Widget actions: ticking a task's checkbox completes or reopens it through the MCP tools, updates
//! the stored widget and adds a short assistant reply.

use axum::response::Response;
use serde_json::{Value, json};
use todobot_agent::{ToolCallRecord, Tools};
use todobot_mcp::{McpClient, StatusFilter, TaskList, TaskSummary};
use todobot_store::{Conversation, Message, MessageStatus, NewMessage, Role as MsgRole};
use tokio::sync::mpsc;

use super::{
    protocol::item_id,
    stream::{Frames, emit_assistant, error_event, progress, send, sse_response, stream_options},
    task_meta::clock_for,
    widget::{widget_content, widget_filter},
};
use crate::{AppState, auth::AuthUser, chat, error::ApiError};

pub fn stream_action(
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
        let lease = match chat::acquire_turn_for_action(&state, &user.id, cid).await {
            Ok(lease) => lease,
            Err(e) => {
                send(&tx, error_event(&ApiError::from(e).body().message, true));
                return;
            }
        };
        run_action(&state, &user, cid, widget, task_id, completed, &tx).await;
        lease.release().await;
    });
    sse_response(rx)
}

#[tracing::instrument(name = "chatkit.action", skip_all, fields(user_id = %user.id, conversation_id = cid))]
async fn run_action(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    widget: Option<Message>,
    task_id: i64,
    completed: Option<bool>,
    tx: &Frames,
) {
    send(tx, stream_options());
    send(tx, progress("Updating the task…"));
    let client = match chat::open_tools(state, user).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(detail = %e.detail, "tools unavailable for a widget action");
            send(tx, error_event(e.user_message(), true));
            return;
        }
    };
    let outcome = toggle(&client, task_id, completed).await;
    let filter = widget_filter(widget.as_ref());
    let refreshed = client
        .call("list_tasks", json!({ "status": filter }))
        .await
        .ok()
        .filter(|o| !o.is_error)
        .map(|o| TaskList::rows_in(&o.value));
    client.close().await;
    let (reply, calls) = match outcome {
        Ok(r) => r,
        Err(e) => {
            send(
                tx,
                error_event(
                    "Sorry — your tasks are unavailable right now. Please try again shortly.",
                    true,
                ),
            );
            tracing::warn!(error = %e, "widget action failed");
            return;
        }
    };
    // the widget now shows the new state (stored, so a reload shows it too)
    if let (Some(w), Some(rows)) = (&widget, refreshed) {
        update_widget(state, user, cid, w, filter, &rows, tx).await;
    }
    store_reply(state, user, cid, reply, &calls, tx).await;
}

async fn update_widget(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    w: &Message,
    filter: StatusFilter,
    rows: &[TaskSummary],
    tx: &Frames,
) {
    let content = widget_content(filter, rows, &clock_for(state, user).await);
    match state
        .store
        .update_message_content(&user.id, cid, w.id, content.to_string())
        .await
    {
        Ok(_) => send(
            tx,
            json!({
                "type": "thread.item.updated", "item_id": item_id(w.id),
                "update": { "type": "widget.root.updated", "widget": content["widget"] }
            }),
        ),
        Err(e) => tracing::warn!(error = %e, "could not store the updated widget"),
    }
}

async fn store_reply(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    reply: String,
    calls: &[ToolCallRecord],
    tx: &Frames,
) {
    match state
        .store
        .append_message(
            &user.id,
            cid,
            NewMessage {
                role: MsgRole::Assistant,
                content: reply,
                tool_calls: Some(serde_json::to_value(calls).unwrap_or(Value::Null)),
                status: MessageStatus::Ok,
            },
        )
        .await
    {
        Ok(Some(m)) => emit_assistant(tx, &m),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not store the action reply");
            send(
                tx,
                error_event(
                    "The task was updated, but the reply could not be saved.",
                    false,
                ),
            );
        }
    }
}

fn record(n: usize, name: &str, arguments: Value, result: Value, is_error: bool) -> ToolCallRecord {
    ToolCallRecord {
        id: format!("call_action_{n}"),
        name: name.into(),
        arguments,
        result,
        is_error,
    }
}

/// Completes or reopens a task through the MCP tools; `None` flips its current state in one
/// atomic statement (`toggle`), so two quick clicks can never both read the same old state.
async fn toggle(
    client: &McpClient,
    task_id: i64,
    completed: Option<bool>,
) -> Result<(String, Vec<ToolCallRecord>), todobot_agent::ToolError> {
    let mut calls = Vec::new();
    let args = match completed {
        Some(c) => json!({ "task_id": task_id, "completed": c }),
        None => json!({ "task_id": task_id, "toggle": true }),
    };
    let out = Tools::call(client, "complete_task", args.clone()).await?;
    let result = if out.is_error {
        json!({ "error": out.text })
    } else {
        out.value.clone()
    };
    calls.push(record(
        calls.len() + 1,
        "complete_task",
        args,
        result,
        out.is_error,
    ));
    let title = out.value.get("title").and_then(Value::as_str).unwrap_or("");
    let target = out.value.get("status").and_then(Value::as_str) == Some("completed");
    let reply = if out.is_error {
        format!("I couldn't update task {task_id}: {}", out.text)
    } else {
        todobot_agent::local::completion_reply(task_id, title, target)
    };
    Ok((reply, calls))
}
