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
use todobot_store::{Message, NewMessage, Priority, Role as MsgRole, StatusFilter, decode_tags};

use super::task_meta::{clock_for, copy_suffix, meta_row};
use crate::{AppState, auth::AuthUser, error::ApiResult};

pub const TOGGLE_ACTION: &str = "todo.toggle";

#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    pub id: i64,
    pub title: String,
    pub completed: bool,
    /// low, medium or high.
    pub priority: String,
    pub tags: Vec<String>,
    /// RFC 3339.
    pub due_at: Option<String>,
}

impl TaskRow {
    fn plain(id: i64, title: String, completed: bool) -> Self {
        Self {
            id,
            title,
            completed,
            priority: "medium".into(),
            tags: Vec::new(),
            due_at: None,
        }
    }
}

/// The tasks in a `list_tasks` result (`{"tasks": [...]}`; a bare array from older servers).
pub fn task_rows(v: &Value) -> Vec<TaskRow> {
    v.get("tasks")
        .and_then(Value::as_array)
        .or_else(|| v.as_array())
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    Some(TaskRow {
                        id: r.get("id")?.as_i64()?,
                        title: r.get("title")?.as_str()?.to_owned(),
                        completed: r.get("completed")?.as_bool()?,
                        priority: r
                            .get("priority")
                            .and_then(Value::as_str)
                            .unwrap_or("medium")
                            .to_owned(),
                        tags: r
                            .get("tags")
                            .and_then(Value::as_array)
                            .map(|t| {
                                t.iter()
                                    .filter_map(|v| v.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        due_at: r.get("due_at").and_then(Value::as_str).map(str::to_owned),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn task_item(t: &TaskRow, clock: &Clock) -> Value {
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

fn heading(filter: &str) -> &'static str {
    match filter {
        "pending" => "Pending tasks",
        "completed" => "Completed tasks",
        _ => "Your tasks",
    }
}

pub fn todo_widget(filter: &str, tasks: &[TaskRow], clock: &Clock) -> Value {
    let children: Vec<Value> = tasks.iter().map(|t| task_item(t, clock)).collect();
    list_view(filter, children)
}

fn list_view(filter: &str, children: Vec<Value>) -> Value {
    let heading = heading(filter);
    json!({
        "type": "ListView",
        "id": format!("todo-list:{filter}"),
        "status": { "text": format!("{heading} ({})", children.len()) },
        "children": children,
    })
}

pub fn widget_copy_text(tasks: &[TaskRow], clock: &Clock) -> String {
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
pub fn widget_content(filter: &str, rows: &[TaskRow], clock: &Clock) -> Value {
    json!({
        "widget": todo_widget(filter, rows, clock),
        "copy_text": widget_copy_text(rows, clock)
    })
}

/// The filter a stored widget message was made with (`all` when unknown).
pub fn widget_filter(widget: Option<&Message>) -> String {
    widget
        .and_then(|w| serde_json::from_str::<Value>(&w.content).ok())
        .and_then(|v| v["widget"]["id"].as_str().map(str::to_owned))
        .and_then(|id| id.strip_prefix("todo-list:").map(str::to_owned))
        .unwrap_or_else(|| "all".to_owned())
}

/// The items a stored widget shows, in order, with the rows they were stored with.
fn stored_items(widget: &Value) -> Vec<(TaskRow, Value)> {
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

fn stored_row(row: &Value) -> Option<TaskRow> {
    let id: i64 = row["key"].as_str()?.strip_prefix("task-")?.parse().ok()?;
    let checkbox = &row["children"][0];
    let label = checkbox["label"].as_str().unwrap_or("");
    let prefix = format!("{id}. ");
    Some(TaskRow::plain(
        id,
        label.strip_prefix(&prefix).unwrap_or(label).to_owned(),
        checkbox["defaultChecked"].as_bool().unwrap_or(false),
    ))
}

/// Re-renders a stored widget message from the tasks' current state: the same tasks, with their
/// current titles, completion, priority, due dates (relative to now) and tags (a task deleted
/// since keeps its stored item; the web UI marks it deleted, and ticking it answers that the task
/// is gone). Other messages are unchanged.
pub fn refresh(m: &mut Message, current: &HashMap<i64, TaskRow>, clock: &Clock) {
    if m.role != "widget" {
        return;
    }
    let Ok(stored) = serde_json::from_str::<Value>(&m.content) else {
        return;
    };
    let filter = widget_filter(Some(m));
    let (rows, items): (Vec<TaskRow>, Vec<Value>) = stored_items(&stored["widget"])
        .into_iter()
        .map(|(row, item)| match current.get(&row.id) {
            Some(now) => (now.clone(), task_item(now, clock)),
            None => (row, item),
        })
        .unzip();
    m.content = json!({
        "widget": list_view(&filter, items),
        "copy_text": widget_copy_text(&rows, clock)
    })
    .to_string();
}

/// The user's tasks now, by id, when `messages` hold a widget to refresh (one query per page).
pub async fn current_tasks(
    state: &AppState,
    user: &AuthUser,
    messages: &[Message],
) -> ApiResult<Option<HashMap<i64, TaskRow>>> {
    if !messages.iter().any(|m| m.role == "widget") {
        return Ok(None);
    }
    let tasks = state
        .store
        .list_tasks(&user.id, StatusFilter::All, None, 0)
        .await?;
    Ok(Some(
        tasks
            .into_iter()
            .map(|t| {
                let row = TaskRow {
                    id: t.id,
                    title: t.title,
                    completed: t.completed,
                    priority: Priority::from_rank(t.priority).as_str().to_owned(),
                    tags: decode_tags(&t.tags),
                    due_at: t.due_at.map(|d| d.to_rfc3339()),
                };
                (t.id, row)
            })
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
pub fn widget_for_turn(calls: &[ToolCallRecord]) -> Option<(String, Vec<TaskRow>)> {
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

pub async fn store_widget(
    state: &AppState,
    user: &AuthUser,
    cid: i64,
    filter: &str,
    rows: &[TaskRow],
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
                status: "ok",
            },
        )
        .await?)
}
