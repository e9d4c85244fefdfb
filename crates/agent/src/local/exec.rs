//! Carrying out an [`Intent`] through the task tools. Nothing changes unless the request names
//! exactly one task; deleting a task named by its title waits for a "yes".

use serde_json::{Value, json};

use super::{
    Details, Intent, StatusFilter, TaskList, TaskRef, TaskSummary,
    context::Context,
    dates::Clock,
    matching::candidates,
    replies::{Lang, Say, render_list, say},
};
use crate::{AgentError, EventSink, FailureKind, ToolCallRecord, ToolOutcome, Tools, call_tool};

pub(super) struct Turn<'a, T: Tools> {
    pub tools: &'a T,
    pub events: Option<&'a EventSink>,
    pub records: Vec<ToolCallRecord>,
    pub context: Context,
    pub lang: Lang,
    pub clock: Clock,
}

pub(super) enum Resolved {
    Task(i64),
    Reply(String),
}

pub(super) fn title_of(outcome: &ToolOutcome) -> String {
    outcome
        .value
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

impl<'a, T: Tools> Turn<'a, T> {
    pub(super) fn say(&self, what: Say<'_>) -> String {
        say(self.lang, what)
    }

    pub(super) async fn call(
        &mut self,
        name: &str,
        args: Value,
    ) -> Result<ToolOutcome, AgentError> {
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

    pub(super) async fn list(
        &mut self,
        status: StatusFilter,
    ) -> Result<Vec<TaskSummary>, AgentError> {
        let out = self
            .call("list_tasks", json!({ "status": status.as_str() }))
            .await?;
        Ok(TaskList::rows_in(&out.value))
    }

    /// Finds the one task a reference names, or the reply to give when it can't.
    pub(super) async fn resolve(
        &mut self,
        target: &TaskRef,
        want_completed: Option<bool>,
    ) -> Result<Resolved, AgentError> {
        let query = match target {
            TaskRef::Id(id) => return Ok(Resolved::Task(*id)),
            TaskRef::Last => {
                return Ok(match self.context.last_task {
                    Some(id) => Resolved::Task(id),
                    None => Resolved::Reply(self.say(Say::WhichOne)),
                });
            }
            TaskRef::Position(p) => return Ok(self.position(*p)),
            TaskRef::Text(q) => q.clone(),
        };
        let rows = self.list(StatusFilter::All).await?;
        if rows.is_empty() {
            return Ok(Resolved::Reply(self.say(Say::NoTasks)));
        }
        let found = candidates(&query, &rows, want_completed);
        Ok(match found.as_slice() {
            [one] => Resolved::Task(one.id),
            [] => Resolved::Reply(self.say(Say::NoMatch(&query, &rows))),
            many => Resolved::Reply(self.say(Say::Clarify(&query, many))),
        })
    }

    fn position(&self, p: isize) -> Resolved {
        let Some(list) = &self.context.last_list else {
            return Resolved::Reply(self.say(Say::NoList));
        };
        let idx = if p < 0 {
            list.len().checked_sub(1)
        } else {
            usize::try_from(p - 1).ok()
        };
        match idx.and_then(|i| list.get(i)) {
            Some(id) => Resolved::Task(*id),
            None => Resolved::Reply(self.say(Say::WhichOne)),
        }
    }

    pub(super) fn tool_error_reply(&self, id: i64, outcome: &ToolOutcome) -> String {
        if outcome.text.to_lowercase().contains("not found") {
            self.say(Say::NotFoundId(id))
        } else {
            self.say(Say::Failed(&outcome.text))
        }
    }

    pub(super) async fn execute(&mut self, intent: Intent) -> Result<String, AgentError> {
        match intent {
            Intent::Many(intents) => {
                let mut replies = Vec::new();
                for i in intents {
                    replies.push(Box::pin(self.execute(i)).await?);
                }
                Ok(replies.join("\n"))
            }
            Intent::Add {
                title,
                description,
                details,
            } => self.add(&title, description.as_deref(), &details).await,
            Intent::Find(query) => self.find(&query).await,
            Intent::Set { target, change } => self.set_details(&target, &change).await,
            Intent::List(status) => {
                let rows = self.list(status).await?;
                Ok(render_list(self.lang, status, &rows))
            }
            Intent::SetCompleted { target, completed } => {
                self.set_completed(&target, completed).await
            }
            Intent::Delete { target } => self.delete(&target).await,
            Intent::Update {
                target,
                title,
                description,
            } => self.update(&target, title, description).await,
            Intent::Ask { target } => self.ask(&target).await,
            Intent::Confirm(yes) => self.confirm(yes).await,
            Intent::Undo => self.undo().await,
            Intent::Too { target } => self.too(target).await,
            Intent::Greet => Ok(self.say(Say::Greet)),
            Intent::Help => Ok(self.say(Say::Help)),
            Intent::Unknown => Ok(self.say(Say::Unknown)),
        }
    }

    async fn add(
        &mut self,
        title: &str,
        description: Option<&str>,
        details: &Details,
    ) -> Result<String, AgentError> {
        let mut args = json!({ "title": title });
        if let Some(d) = description {
            args["description"] = json!(d);
        }
        self.detail_args(&mut args, details);
        let out = self.call("add_task", args.clone()).await?;
        if out.is_error {
            return Ok(self.say(Say::Failed(&out.text)));
        }
        let id = out
            .value
            .get("task_id")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let added = self.say(Say::Added(id, &title_of(&out)));
        Ok(self.with_details(added, &args))
    }

    async fn set_completed(
        &mut self,
        target: &TaskRef,
        completed: bool,
    ) -> Result<String, AgentError> {
        let id = match self.resolve(target, Some(completed)).await? {
            Resolved::Task(id) => id,
            Resolved::Reply(r) => return Ok(r),
        };
        self.complete_id(id, completed).await
    }

    async fn complete_id(&mut self, id: i64, completed: bool) -> Result<String, AgentError> {
        let out = self
            .call(
                "complete_task",
                json!({ "task_id": id, "completed": completed }),
            )
            .await?;
        if out.is_error {
            return Ok(self.tool_error_reply(id, &out));
        }
        let title = title_of(&out);
        Ok(if completed {
            let done = self.say(Say::Completed(id, &title));
            self.with_next(done, &out.value)
        } else {
            self.say(Say::Reopened(id, &title))
        })
    }

    async fn delete(&mut self, target: &TaskRef) -> Result<String, AgentError> {
        let id = match self.resolve(target, None).await? {
            Resolved::Task(id) => id,
            Resolved::Reply(r) => return Ok(r),
        };
        if let TaskRef::Text(_) = target {
            // named by its title: ask first (the title was looked up, so this is the user's task)
            let rows = TaskList::rows_in(
                &self
                    .records
                    .last()
                    .map(|r| r.result.clone())
                    .unwrap_or_default(),
            );
            let title = rows
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.title.clone())
                .unwrap_or_default();
            return Ok(self.say(Say::ConfirmDelete(id, &title)));
        }
        self.delete_id(id).await
    }

    async fn delete_id(&mut self, id: i64) -> Result<String, AgentError> {
        let out = self.call("delete_task", json!({ "task_id": id })).await?;
        if out.is_error {
            return Ok(self.tool_error_reply(id, &out));
        }
        Ok(self.say(Say::Deleted(id, &title_of(&out))))
    }

    async fn update(
        &mut self,
        target: &TaskRef,
        title: Option<String>,
        description: Option<String>,
    ) -> Result<String, AgentError> {
        let id = match self.resolve(target, None).await? {
            Resolved::Task(id) => id,
            Resolved::Reply(r) => return Ok(r),
        };
        if title.is_none() && description.is_none() {
            return Ok(self.say(Say::AskTitle(id)));
        }
        let mut args = json!({ "task_id": id });
        if let Some(t) = &title {
            args["title"] = json!(t);
        }
        if let Some(d) = &description {
            args["description"] = json!(d);
        }
        let out = self.call("update_task", args).await?;
        if out.is_error {
            return Ok(self.tool_error_reply(id, &out));
        }
        Ok(match title {
            Some(_) => self.say(Say::Renamed(id, &title_of(&out))),
            None => self.say(Say::Described(id, &title_of(&out))),
        })
    }

    /// A question about a task: looked up, never changed.
    async fn ask(&mut self, target: &TaskRef) -> Result<String, AgentError> {
        let id = match self.resolve(target, None).await? {
            Resolved::Task(id) => id,
            Resolved::Reply(r) => return Ok(r),
        };
        let rows = match self.records.last().filter(|r| r.name == "list_tasks") {
            Some(r) => TaskList::rows_in(&r.result),
            None => self.list(StatusFilter::All).await?,
        };
        Ok(match rows.iter().find(|r| r.id == id) {
            Some(r) => self.say(Say::Status(r.id, &r.title, r.completed)),
            None => self.say(Say::NotFoundId(id)),
        })
    }

    async fn confirm(&mut self, yes: bool) -> Result<String, AgentError> {
        match (self.context.confirm_delete, yes) {
            (Some(id), true) => self.delete_id(id).await,
            (Some(id), false) => Ok(self.say(Say::Kept(id))),
            (None, _) => Ok(self.say(Say::NothingToConfirm)),
        }
    }

    /// Reverses the changes of the last turn, newest first.
    async fn undo(&mut self) -> Result<String, AgentError> {
        let changes = std::mem::take(&mut self.context.changes);
        if changes.is_empty() {
            return Ok(self.say(Say::NothingToUndo));
        }
        let mut replies = Vec::new();
        for c in changes.iter().rev() {
            replies.push(match c.tool.as_str() {
                "add_task" => self.delete_id(c.task_id).await?,
                "delete_task" => self.add(&c.title, None, &Details::default()).await?,
                "complete_task" => {
                    self.complete_id(c.task_id, !c.completed.unwrap_or(true))
                        .await?
                }
                "update_task" if !c.renamed => self.say(Say::CantUndoDetails(c.task_id)),
                _ => self.say(Say::CantUndoRename(c.task_id)),
            });
        }
        Ok(replies.join("\n"))
    }

    /// "and task 3 too": the last change again, on another task.
    async fn too(&mut self, target: TaskRef) -> Result<String, AgentError> {
        let Some(last) = self.context.changes.last().cloned() else {
            return Ok(self.say(Say::Unknown));
        };
        let intent = match last.tool.as_str() {
            "complete_task" => Intent::SetCompleted {
                target,
                completed: last.completed.unwrap_or(true),
            },
            "delete_task" => Intent::Delete { target },
            "add_task" => match target {
                TaskRef::Text(title) => Intent::Add {
                    title,
                    description: None,
                    details: Details::default(),
                },
                _ => return Ok(self.say(Say::Unknown)),
            },
            _ => return Ok(self.say(Say::Unknown)),
        };
        Box::pin(self.execute(intent)).await
    }
}
