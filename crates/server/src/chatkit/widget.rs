//! The todo-list widget: a ListView with a checkbox per task and, under it, the task's priority,
//! due date (relative to now, in the user's time zone, overdue marked) and tags (see
//! [`super::task_meta`]). Toggling one sends `threads.custom_action` with
//! `{type: "todo.toggle", payload: {task_id}}`.
//!
//! A stored widget is a snapshot; whenever a thread is read (`threads.get_by_id`, `items.list`) its
//! widgets are re-rendered from the tasks' current state, so they agree with the task list even
//! after the tasks were changed elsewhere (REST, MCP, another thread).

use std::collections::HashMap;

use serde_json::{Value, json};
use todobot_agent::{ToolCallRecord, local::Clock};
use todobot_mcp::{TaskList, TaskSummary};
use todobot_store::{Message, MessageStatus, NewMessage, Role as MsgRole, StatusFilter};

use super::task_meta::{clock_for, copy_suffix, meta_row};
use crate::{AppState, auth::AuthUser, error::ApiResult};

pub const TOGGLE_ACTION: &str = "todo.toggle";

fn task_item(t: &TaskSummary, clock: &Clock) -> Value {
    let mut item = json!({
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
    });
    if let (Some(meta), Some(children)) = (meta_row(t, clock), item["children"].as_array_mut()) {
        children.push(meta);
    }
    item
}

fn heading(filter: StatusFilter) -> &'static str {
    match filter {
        StatusFilter::Pending => "Pending tasks",
        StatusFilter::Completed => "Completed tasks",
        StatusFilter::All => "Your tasks",
    }
}

pub fn todo_widget(filter: StatusFilter, tasks: &[TaskSummary], clock: &Clock) -> Value {
    let children: Vec<Value> = tasks.iter().map(|t| task_item(t, clock)).collect();
    list_view(filter, children)
}

fn list_view(filter: StatusFilter, children: Vec<Value>) -> Value {
    let heading = heading(filter);
    json!({
        "type": "ListView",
        "id": format!("todo-list:{}", filter.as_str()),
        "status": { "text": format!("{heading} ({})", children.len()) },
        "children": children,
    })
}

pub fn widget_copy_text(tasks: &[TaskSummary], clock: &Clock) -> String {
    tasks
        .iter()
        .map(|t| {
            format!(
                "[{}] {}. {}{}",
                if t.completed { "x" } else { " " },
                t.id,
                t.title,
                copy_suffix(t, clock)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a widget message stores: the widget and its plain-text copy.
pub fn widget_content(filter: StatusFilter, rows: &[TaskSummary], clock: &Clock) -> Value {
    json!({
        "widget": todo_widget(filter, rows, clock),
        "copy_text": widget_copy_text(rows, clock)
    })
}

/// The filter a stored widget message was made with (`all` when unknown).
pub fn widget_filter(widget: Option<&Message>) -> StatusFilter {
    widget
        .and_then(|w| serde_json::from_str::<Value>(&w.content).ok())
        .and_then(|v| {
            v["widget"]["id"]
                .as_str()?
                .strip_prefix("todo-list:")?
                .parse()
                .ok()
        })
        .unwrap_or_default()
}

/// The items a stored widget shows, in order, with the rows they were stored with.
fn stored_items(widget: &Value) -> Vec<(TaskSummary, Value)> {
    widget["children"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((stored_row(i)?, i.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn stored_row(row: &Value) -> Option<TaskSummary> {
    let id: i64 = row["key"].as_str()?.strip_prefix("task-")?.parse().ok()?;
    let checkbox = &row["children"][0];
    let label = checkbox["label"].as_str().unwrap_or("");
    let prefix = format!("{id}. ");
    Some(TaskSummary::new(
        id,
        label.strip_prefix(&prefix).unwrap_or(label).to_owned(),
        checkbox["defaultChecked"].as_bool().unwrap_or(false),
    ))
}

/// Re-renders a stored widget message from the tasks' current state: the same tasks, with their
/// current titles, completion, priority, due dates (relative to now) and tags (a task deleted
/// since keeps its stored item; the web UI marks it deleted, and ticking it answers that the task
/// is gone). Other messages are unchanged.
pub fn refresh(m: &mut Message, current: &HashMap<i64, TaskSummary>, clock: &Clock) {
    if m.role != MsgRole::Widget {
        return;
    }
    let Ok(stored) = serde_json::from_str::<Value>(&m.content) else {
        return;
    };
    let filter = widget_filter(Some(m));
    let (rows, items): (Vec<TaskSummary>, Vec<Value>) = stored_items(&stored["widget"])
        .into_iter()
        .map(|(row, item)| match current.get(&row.id) {
            Some(now) => (now.clone(), task_item(now, clock)),
            None => (row, item),
        })
        .unzip();
    m.content = json!({
        "widget": list_view(filter, items),
        "copy_text": widget_copy_text(&rows, clock)
    })
    .to_string();
}

/// The user's tasks now, by id, when `messages` hold a widget to refresh (one query per page).
pub async fn current_tasks(
    state: &AppState,
    user: &AuthUser,
    messages: &[Message],
) -> ApiResult<Option<HashMap<i64, TaskSummary>>> {
    if !messages.iter().any(|m| m.role == MsgRole::Widget) {
        return Ok(None);
    }
    let tasks = state
        .store
        .list_tasks(&user.id, StatusFilter::All, None, 0)
        .await?;
    Ok(Some(
        tasks
            .into_iter()
            .map(|t| (t.id, TaskSummary::from(&t)))
            .collect(),
    ))
}

/// Brings the widgets among `messages` up to date with the user's tasks.
pub async fn refresh_all(
    state: &AppState,
    user: &AuthUser,
    messages: &mut [Message],
) -> ApiResult<()> {
    if let Some(current) = current_tasks(state, user, messages).await? {
        let clock = clock_for(state, user).await;
        for m in messages.iter_mut() {
            refresh(m, &current, &clock);
        }
    }
    Ok(())
}

/// The widget to show after a turn whose last successful tool call listed tasks.
pub fn widget_for_turn(calls: &[ToolCallRecord]) -> Option<(StatusFilter, Vec<TaskSummary>)> {
    let last = calls.iter().rev().find(|c| !c.is_error)?;
    if last.name != "list_tasks" || calls.last().is_some_and(|c| c.name != "list_tasks") {
        return None;
    }
    let filter = last
        .arguments
        .get("status")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let rows = TaskList::rows_in(&last.result);
    (!rows.is_empty()).then_some((filter, rows))
}

pub async fn store_widget(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    filter: StatusFilter,
    rows: &[TaskSummary],
) -> ApiResult<Option<Message>> {
    let content = widget_content(filter, rows, &clock_for(state, user).await);
    Ok(state
        .store
        .append_message(
            &user.id,
            cid,
            NewMessage {
                role: MsgRole::Widget,
                content: content.to_string(),
                tool_calls: None,
                status: MessageStatus::Ok,
            },
        )
        .await?)
}
