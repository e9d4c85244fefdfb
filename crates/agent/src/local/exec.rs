//! Carrying out an [`Intent`] through the task tools.

use serde_json::{Value, json};

use super::{
    CLARIFY_PREFIX, Intent, ListStatus, TaskRef,
    matching::{TaskRow, match_score, task_rows},
    replies::{HELP_TEXT, render_list},
};
use crate::{AgentError, EventSink, FailureKind, ToolCallRecord, Tools, call_tool};

pub(super) struct Turn<'a, T: Tools> {
    pub tools: &'a T,
    pub events: Option<&'a EventSink>,
    pub records: Vec<ToolCallRecord>,
}

enum Resolved {
    Task(i64),
    Reply(String),
}

impl<'a, T: Tools> Turn<'a, T> {
    async fn call(&mut self, name: &str, args: Value) -> Result<crate::ToolOutcome, AgentError> {
        let id = format!("call_local_{}", self.records.len() + 1);
        match call_tool(self.tools, id, name, args, self.events).await {
            Ok((record, outcome)) => {
                self.records.push(record);
                Ok(outcome)
            }
            Err(e) => Err(AgentError {
                kind: FailureKind::ToolsUnavailable,
                detail: e.0,
                tool_calls: self.records.clone(),
            }),
        }
    }

    async fn list(&mut self, status: ListStatus) -> Result<Vec<TaskRow>, AgentError> {
        let out = self
            .call("list_tasks", json!({ "status": status.as_str() }))
            .await?;
        Ok(task_rows(&out.value))
    }

    /// Finds the task a reference names, or the reply to give when it can't.
    async fn resolve(
        &mut self,
        target: &TaskRef,
        prefer_pending: Option<bool>,
    ) -> Result<Resolved, AgentError> {
        let query = match target {
            TaskRef::Id(id) => return Ok(Resolved::Task(*id)),
            TaskRef::Text(q) => q.clone(),
        };
        let rows = self.list(ListStatus::All).await?;
        if rows.is_empty() {
            return Ok(Resolved::Reply(
                "You don't have any tasks yet. Try \"add a task to buy groceries\".".into(),
            ));
        }
        let mut scored: Vec<(f64, &TaskRow)> = rows
            .iter()
            .map(|r| (match_score(&query, &r.title), r))
            .filter(|(s, _)| *s >= 0.45)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        let Some(&(best, _)) = scored.first() else {
            return Ok(Resolved::Reply(format!(
                "I couldn't find a task matching \"{query}\". Your tasks: {}. Which one did you mean?",
                rows.iter()
                    .take(8)
                    .map(|r| format!("{}. {}", r.id, r.title))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        };
        let mut top: Vec<&TaskRow> = scored
            .iter()
            .filter(|(s, _)| best - *s < 0.05)
            .map(|(_, r)| *r)
            .collect();
        if top.len() > 1
            && let Some(want_pending) = prefer_pending
        {
            let preferred: Vec<&TaskRow> = top
                .iter()
                .copied()
                .filter(|r| r.completed != want_pending)
                .collect();
            if !preferred.is_empty() {
                top = preferred;
            }
        }
        if top.len() == 1 {
            return Ok(Resolved::Task(top[0].id));
        }
        top.sort_by_key(|r| r.id);
        Ok(Resolved::Reply(format!(
            "{CLARIFY_PREFIX} I found {} tasks matching \"{query}\": {}. Reply with the task number.",
            top.len(),
            top.iter()
                .take(8)
                .map(|r| format!("task {} \"{}\"", r.id, r.title))
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    fn title_of(outcome: &crate::ToolOutcome) -> String {
        outcome
            .value
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    }

    fn tool_error_reply(id: i64, outcome: &crate::ToolOutcome) -> String {
        if outcome.text.to_lowercase().contains("not found") {
            format!("I couldn't find task {id}. Say \"show my tasks\" to see your task numbers.")
        } else {
            format!("I couldn't do that: {}", outcome.text)
        }
    }

    pub(super) async fn execute(&mut self, intent: Intent) -> Result<String, AgentError> {
        match intent {
            Intent::Add { title, description } => {
                let mut args = json!({ "title": title });
                if let Some(d) = &description {
                    args["description"] = json!(d);
                }
                let out = self.call("add_task", args).await?;
                if out.is_error {
                    return Ok(format!("I couldn't add that task: {}", out.text));
                }
                let id = out.value.get("task_id").and_then(Value::as_i64).unwrap_or(0);
                Ok(format!(
                    "I've added \"{}\" to your tasks (task {id}).",
                    Self::title_of(&out)
                ))
            }
            Intent::List(status) => {
                let rows = self.list(status).await?;
                Ok(render_list(status, &rows))
            }
            Intent::SetCompleted { target, completed } => {
                let id = match self.resolve(&target, Some(completed)).await? {
                    Resolved::Task(id) => id,
                    Resolved::Reply(r) => return Ok(r),
                };
                let out = self
                    .call("complete_task", json!({ "task_id": id, "completed": completed }))
                    .await?;
                if out.is_error {
                    return Ok(Self::tool_error_reply(id, &out));
                }
                let title = Self::title_of(&out);
                Ok(if completed {
                    format!("Done! I marked task {id} \"{title}\" as complete.")
                } else {
                    format!("I reopened task {id} \"{title}\"; it's pending again.")
                })
            }
            Intent::Delete { target } => {
                let id = match self.resolve(&target, None).await? {
                    Resolved::Task(id) => id,
                    Resolved::Reply(r) => return Ok(r),
                };
                let out = self.call("delete_task", json!({ "task_id": id })).await?;
                if out.is_error {
                    return Ok(Self::tool_error_reply(id, &out));
                }
                Ok(format!("I deleted task {id} \"{}\".", Self::title_of(&out)))
            }
            Intent::Update {
                target,
                title,
                description,
            } => {
                let id = match self.resolve(&target, None).await? {
                    Resolved::Task(id) => id,
                    Resolved::Reply(r) => return Ok(r),
                };
                let mut args = json!({ "task_id": id });
                if let Some(t) = &title {
                    args["title"] = json!(t);
                }
                if let Some(d) = &description {
                    args["description"] = json!(d);
                }
                let out = self.call("update_task", args).await?;
                if out.is_error {
                    return Ok(Self::tool_error_reply(id, &out));
                }
                Ok(match (title, description) {
                    (Some(_), _) => format!(
                        "I updated task {id}: it's now \"{}\".",
                        Self::title_of(&out)
                    ),
                    _ => format!(
                        "I updated the description of task {id} \"{}\".",
                        Self::title_of(&out)
                    ),
                })
            }
            Intent::Greet => Ok(
                "Hi! I can add, list, complete, rename and delete your tasks. Try \"add a task to buy groceries\" or \"what's pending?\"."
                    .into(),
            ),
            Intent::Help => Ok(HELP_TEXT.into()),
            Intent::Unknown => Ok(format!(
                "Sorry, I didn't understand that. {HELP_TEXT}"
            )),
        }
    }
}
