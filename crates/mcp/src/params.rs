//! The tools' arguments: one struct per tool with exactly its parameters, and the input schema
//! clients see — `additionalProperties: false`, optional fields simply not required (no nullable
//! `type` arrays). Unknown arguments are kept aside so the tool can refuse them with a clear tool
//! error instead of dropping them; `task_id` is accepted as an integer or a string of digits.

use std::sync::Arc;

use rmcp::{
    handler::server::common::schema_for_type,
    model::JsonObject,
    schemars::{self, JsonSchema},
};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use todobot_store::StatusFilter;

/// Arguments a call gave that the tool does not have.
pub type Extra = Map<String, Value>;

/// Task priority, for the schema (the tool reads the value as text and answers a wrong one with a
/// tool error).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PriorityArg {
    Low,
    Medium,
    High,
}

/// How a task repeats (schema only).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecurrenceArg {
    Daily,
    Weekdays,
    Weekly,
    Monthly,
}

/// Listing order key (schema only).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortArg {
    Created,
    Due,
    Priority,
    Title,
}

/// Listing direction (schema only).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderArg {
    Asc,
    Desc,
}

/// Arguments of `add_task`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddTaskParams {
    /// Optional. If given it must be the signed-in user's id; you can only manage your own tasks.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Short title of the task, 1 to 200 characters.
    pub title: String,
    /// Optional longer description, up to 1000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Optional: low, medium (default) or high.
    #[serde(default)]
    #[schemars(with = "Option<PriorityArg>")]
    pub priority: Option<String>,
    /// Optional tags (up to 10 short words, e.g. ["work", "errands"]).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Optional due date-time, RFC 3339 with an offset (e.g. 2026-12-04T17:00:00+05:00).
    #[serde(default)]
    pub due_at: Option<String>,
    /// Optional repetition: completing the task creates the next one.
    #[serde(default)]
    #[schemars(with = "Option<RecurrenceArg>")]
    pub recurrence: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Arguments of `list_tasks`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListTasksParams {
    /// Optional. If given it must be the signed-in user's id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// "all" (default), "pending" or "completed".
    #[serde(default)]
    pub status: Option<StatusFilter>,
    /// Only tasks of this priority.
    #[serde(default)]
    #[schemars(with = "Option<PriorityArg>")]
    pub priority: Option<String>,
    /// Only tasks with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// Words to find in titles and descriptions (every word must occur).
    #[serde(default)]
    pub search: Option<String>,
    /// Only tasks due before this RFC 3339 date-time.
    #[serde(default)]
    pub due_before: Option<String>,
    /// Only tasks due at or after this RFC 3339 date-time.
    #[serde(default)]
    pub due_after: Option<String>,
    /// true: only pending tasks past their due date.
    #[serde(default)]
    pub overdue: Option<bool>,
    /// Order: created (default), due (undated last), priority (high first) or title.
    #[serde(default)]
    #[schemars(with = "Option<SortArg>")]
    pub sort: Option<String>,
    /// asc or desc.
    #[serde(default)]
    #[schemars(with = "Option<OrderArg>")]
    pub order: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Arguments of `complete_task`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CompleteTaskParams {
    /// Optional. If given it must be the signed-in user's id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The task's number, as shown by list_tasks.
    #[serde(deserialize_with = "task_id")]
    #[schemars(with = "i64")]
    pub task_id: i64,
    /// false reopens a completed task (default true).
    #[serde(default)]
    pub completed: Option<bool>,
    /// Flip the current state in one atomic statement (the todo widget's checkbox; not offered to
    /// models, which say what they want).
    #[serde(default)]
    #[schemars(skip)]
    pub toggle: bool,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Arguments of `delete_task`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteTaskParams {
    /// Optional. If given it must be the signed-in user's id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The task's number, as shown by list_tasks.
    #[serde(deserialize_with = "task_id")]
    #[schemars(with = "i64")]
    pub task_id: i64,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// Arguments of `update_task`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateTaskParams {
    /// Optional. If given it must be the signed-in user's id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The task's number, as shown by list_tasks.
    #[serde(deserialize_with = "task_id")]
    #[schemars(with = "i64")]
    pub task_id: i64,
    /// New title, 1 to 200 characters.
    #[serde(default)]
    pub title: Option<String>,
    /// New description, up to 1000 characters; an empty string removes it.
    #[serde(default)]
    pub description: Option<String>,
    /// New priority.
    #[serde(default)]
    #[schemars(with = "Option<PriorityArg>")]
    pub priority: Option<String>,
    /// New tags, replacing the old ones ([] removes them all).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// New due date-time (RFC 3339 with an offset); an empty string removes it.
    #[serde(default)]
    pub due_at: Option<String>,
    /// New repetition; "none" stops it.
    #[serde(default)]
    pub recurrence: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: Extra,
}

/// A task number given as `3` or `"3"` (small models often quote numbers).
fn task_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Int(n) => Ok(n),
        Raw::Text(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(serde::de::Error::custom)
            } else {
                Err(serde::de::Error::custom(format!(
                    "task_id must be a task number (an integer), got {s:?}"
                )))
            }
        }
    }
}

/// The refusal for arguments the tool does not take (`None` when there are none).
pub fn unknown_arguments(tool: &str, extra: &Extra, accepted: &[&str]) -> Option<String> {
    if extra.is_empty() {
        return None;
    }
    let names: Vec<&str> = extra.keys().map(String::as_str).collect();
    Some(format!(
        "Unknown argument(s) for {tool}: {}. {tool} accepts only: {}. Nothing was changed.",
        names.join(", "),
        accepted.join(", ")
    ))
}

/// The input schema of `T` as clients see it: a closed object whose optional fields are simply
/// not required.
pub fn input_schema<T: JsonSchema + std::any::Any>() -> Arc<JsonObject> {
    let mut schema = (*schema_for_type::<T>()).clone();
    schema.remove("title");
    schema.remove("description");
    schema.insert("additionalProperties".into(), Value::Bool(false));
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        for prop in props.values_mut() {
            drop_null(prop);
        }
    }
    Arc::new(schema)
}

/// Removes `null` from a property's `type` array or `anyOf`/`oneOf` alternatives.
fn drop_null(prop: &mut Value) {
    let Some(obj) = prop.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".into(), only);
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(alts)) = obj.get_mut(key) else {
            continue;
        };
        alts.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
        if alts.len() == 1 {
            let only = alts.remove(0);
            obj.remove(key);
            if let Value::Object(only) = only {
                for (k, v) in only {
                    obj.entry(k).or_insert(v);
                }
            }
        }
    }
    if obj.get("default") == Some(&Value::Null) {
        obj.remove("default");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema_of<T: JsonSchema + std::any::Any>() -> Value {
        Value::Object((*input_schema::<T>()).clone())
    }

    #[test]
    fn schemas_are_closed_and_have_no_nullable_types() {
        for s in [
            schema_of::<AddTaskParams>(),
            schema_of::<ListTasksParams>(),
            schema_of::<CompleteTaskParams>(),
            schema_of::<DeleteTaskParams>(),
            schema_of::<UpdateTaskParams>(),
        ] {
            assert_eq!(s["additionalProperties"], json!(false), "{s}");
            let text = s.to_string();
            assert!(!text.contains("\"null\""), "nullable type in {s}");
            assert!(s["properties"].get("extra").is_none(), "{s}");
        }
        let delete = schema_of::<DeleteTaskParams>();
        assert!(delete["properties"].get("completed").is_none());
        assert_eq!(delete["properties"]["task_id"]["type"], json!("integer"));
        assert_eq!(delete["required"], json!(["task_id"]));
    }

    #[test]
    fn task_id_may_be_a_digit_string_and_unknown_arguments_are_kept_aside() {
        let p: DeleteTaskParams =
            serde_json::from_value(json!({"task_id": " 12 ", "priority": "high"})).expect("valid");
        assert_eq!(p.task_id, 12);
        assert!(
            unknown_arguments("delete_task", &p.extra, &["task_id"])
                .is_some_and(|m| m.contains("priority"))
        );
        assert!(serde_json::from_value::<DeleteTaskParams>(json!({"task_id": "three"})).is_err());
        assert!(serde_json::from_value::<DeleteTaskParams>(json!({"task_id": "-1"})).is_err());
    }
}
