//! The todo-list widget: a ListView with a checkbox per task. Toggling one sends
//! `threads.custom_action` with `{type: "todo.toggle", payload: {task_id}}`.

use serde_json::{Value, json};
use todobot_agent::ToolCallRecord;
use todobot_store::{Message, NewMessage, Role as MsgRole};

use crate::{AppState, auth::AuthUser, error::ApiResult};

pub const TOGGLE_ACTION: &str = "todo.toggle";

#[derive(Clone, Debug, PartialEq)]
pub struct TaskRow {
    pub id: i64,
    pub title: String,
    pub completed: bool,
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
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn task_item(t: &TaskRow) -> Value {
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
}

pub fn todo_widget(filter: &str, tasks: &[TaskRow]) -> Value {
    let heading = match filter {
        "pending" => "Pending tasks",
        "completed" => "Completed tasks",
        _ => "Your tasks",
    };
    let children: Vec<Value> = tasks.iter().map(task_item).collect();
    json!({
        "type": "ListView",
        "id": format!("todo-list:{filter}"),
        "status": { "text": format!("{heading} ({})", tasks.len()) },
        "children": children,
    })
}

pub fn widget_copy_text(tasks: &[TaskRow]) -> String {
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

/// What a widget message stores: the widget and its plain-text copy.
pub fn widget_content(filter: &str, rows: &[TaskRow]) -> Value {
    json!({ "widget": todo_widget(filter, rows), "copy_text": widget_copy_text(rows) })
}

/// The filter a stored widget message was made with (`all` when unknown).
pub fn widget_filter(widget: Option<&Message>) -> String {
    widget
        .and_then(|w| serde_json::from_str::<Value>(&w.content).ok())
        .and_then(|v| v["widget"]["id"].as_str().map(str::to_owned))
        .and_then(|id| id.strip_prefix("todo-list:").map(str::to_owned))
        .unwrap_or_else(|| "all".to_owned())
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
    let content = widget_content(filter, rows);
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
