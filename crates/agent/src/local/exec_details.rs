//! Carrying out the detail intents: a new task's priority/due date/repetition/tags, filtered and
//! ordered lists, and changes to one task's details — all through the MCP tools' new arguments.

use chrono::DateTime;
use serde_json::{Value, json};

use super::{
    Details, Query, SetDetails, StatusFilter, TaskList, TaskRef, TaskSummary,
    dates::When,
    exec::{Resolved, Turn, title_of},
    replies::{Lang, Say},
};
use crate::{AgentError, Tools};

impl<T: Tools> Turn<'_, T> {
    /// A due date as the tools take it: RFC 3339 with the user's offset.
    fn instant(&self, when: When) -> String {
        when.resolve(&self.clock)
            .with_timezone(&self.clock.tz)
            .to_rfc3339()
    }

    pub(super) fn detail_args(&self, args: &mut Value, d: &Details) {
        if let Some(p) = d.priority {
            args["priority"] = json!(p);
        }
        if !d.tags.is_empty() {
            args["tags"] = json!(d.tags);
        }
        if let Some(w) = d.due {
            args["due_at"] = json!(self.instant(w));
        }
        if let Some(r) = d.recurrence {
            args["recurrence"] = json!(r);
        }
    }

    /// "… High priority, due Fri 27 Nov 17:00, repeats weekly, tags: work." after a reply.
    pub(super) fn with_details(&self, reply: String, args: &Value) -> String {
        let mut parts = Vec::new();
        if let Some(p) = args.get("priority").and_then(Value::as_str) {
            parts.push(format!("{p} priority"));
        }
        match args.get("due_at").and_then(Value::as_str) {
            Some("") => parts.push("no due date".to_owned()),
            Some(due) => parts.push(format!("due {}", self.show(due))),
            None => {}
        }
        match args.get("recurrence").and_then(Value::as_str) {
            Some("none") => parts.push("no longer repeats".to_owned()),
            Some(r) => parts.push(format!("repeats {}", repeat_words(r))),
            None => {}
        }
        if let Some(tags) = args.get("tags").and_then(Value::as_array) {
            let tags: Vec<&str> = tags.iter().filter_map(Value::as_str).collect();
            parts.push(if tags.is_empty() {
                "no tags".to_owned()
            } else {
                format!("tags: {}", tags.join(", "))
            });
        }
        if parts.is_empty() {
            return reply;
        }
        let mut text = parts.join(", ");
        if let Some(first) = text.get(..1) {
            text = format!("{}{}", first.to_uppercase(), &text[1..]);
        }
        format!("{reply} {text}.")
    }

    /// "… It repeats: the next one is task 9, due Mon 7 Dec 17:00." after completing a recurring task.
    pub(super) fn with_next(&self, reply: String, result: &Value) -> String {
        let Some(next) = result.get("next_task_id").and_then(Value::as_i64) else {
            return reply;
        };
        match result.get("next_due_at").and_then(Value::as_str) {
            Some(due) => format!(
                "{reply} It repeats: the next one is task {next}, due {}.",
                self.show(due)
            ),
            None => format!("{reply} It repeats: the next one is task {next}."),
        }
    }

    fn show(&self, rfc3339: &str) -> String {
        DateTime::parse_from_rfc3339(rfc3339)
            .map(|d| self.clock.show(d.to_utc()))
            .unwrap_or_else(|_| rfc3339.to_owned())
    }

    /// A filtered, searched or ordered list.
    pub(super) async fn find(&mut self, q: &Query) -> Result<String, AgentError> {
        let mut args = json!({ "status": q.status.as_str() });
        if let Some(p) = q.priority {
            args["priority"] = json!(p);
        }
        if let Some(t) = &q.tag {
            args["tag"] = json!(t);
        }
        if let Some(s) = &q.search {
            args["search"] = json!(s);
        }
        if q.overdue {
            args["overdue"] = json!(true);
        }
        if let Some(range) = q.due {
            let (from, until) = range.bounds(&self.clock);
            args["due_after"] = json!(from.with_timezone(&self.clock.tz).to_rfc3339());
            args["due_before"] = json!(until.with_timezone(&self.clock.tz).to_rfc3339());
        }
        if let Some(s) = q.sort {
            args["sort"] = json!(s);
        }
        let out = self.call("list_tasks", args).await?;
        if out.is_error {
            return Ok(self.say(Say::Failed(&out.text)));
        }
        let rows = TaskList::rows_in(&out.value);
        Ok(self.render_found(q, &rows))
    }

    fn render_found(&self, q: &Query, rows: &[TaskSummary]) -> String {
        let mut what = Vec::new();
        if let Some(p) = q.priority {
            what.push(format!("{p} priority"));
        }
        let noun = match q.status {
            StatusFilter::Pending => "pending task",
            StatusFilter::Completed => "completed task",
            StatusFilter::All => "task",
        };
        let mut after = Vec::new();
        if let Some(t) = &q.tag {
            after.push(format!("tagged {t}"));
        }
        if let Some(s) = &q.search {
            after.push(format!("about \"{s}\""));
        }
        if q.overdue {
            after.push("overdue".to_owned());
        }
        if let Some(r) = q.due {
            after.push(format!("due {}", r.words()));
        }
        if let Some(s) = q.sort {
            after.push(format!("by {}", sort_words(s)));
        }
        let n = rows.len();
        let plural = if n == 1 { "" } else { "s" };
        let desc = [what.join(" "), format!("{noun}{plural}"), after.join(", ")]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if rows.is_empty() {
            return match self.lang {
                Lang::En => format!("No {desc}."),
                _ => self.say(Say::NoTasks),
            };
        }
        let lines: Vec<String> = rows.iter().map(|r| self.line(r, q.status)).collect();
        format!("{n} {desc}:\n{}", lines.join("\n"))
    }

    /// "3. Pay rent — high, due Fri 27 Nov 17:00 (overdue), #home".
    fn line(&self, r: &TaskSummary, status: StatusFilter) -> String {
        let mut extra = Vec::new();
        if r.priority != "medium" {
            extra.push(r.priority.clone());
        }
        if let Some(due) = &r.due_at {
            let late = if r.overdue { " (overdue)" } else { "" };
            extra.push(format!("due {}{late}", self.show(due)));
        }
        extra.extend(r.tags.iter().map(|t| format!("#{t}")));
        let tick = if r.completed && status == StatusFilter::All {
            " ✓"
        } else {
            ""
        };
        if extra.is_empty() {
            format!("{}. {}{tick}", r.id, r.title)
        } else {
            format!("{}. {}{tick} — {}", r.id, r.title, extra.join(", "))
        }
    }

    /// Priority, due date, repetition or tags of one task.
    pub(super) async fn set_details(
        &mut self,
        target: &TaskRef,
        change: &SetDetails,
    ) -> Result<String, AgentError> {
        let id = match self.resolve(target, None).await? {
            Resolved::Task(id) => id,
            Resolved::Reply(r) => return Ok(r),
        };
        let mut args = json!({ "task_id": id });
        if let Some(p) = change.priority {
            args["priority"] = json!(p);
        }
        match change.due {
            Some(Some(w)) => args["due_at"] = json!(self.instant(w)),
            Some(None) => args["due_at"] = json!(""),
            None => {}
        }
        match change.recurrence {
            Some(Some(r)) => args["recurrence"] = json!(r),
            Some(None) => args["recurrence"] = json!("none"),
            None => {}
        }
        if !change.add_tags.is_empty() || change.remove_tags.is_some() {
            let rows = self.list(StatusFilter::All).await?;
            let Some(row) = rows.iter().find(|r| r.id == id) else {
                return Ok(self.say(Say::NotFoundId(id)));
            };
            let mut tags = row.tags.clone();
            for t in &change.add_tags {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            match &change.remove_tags {
                Some(gone) if gone.is_empty() => tags.clear(),
                Some(gone) => tags.retain(|t| !gone.contains(t)),
                None => {}
            }
            if tags == row.tags {
                return Ok(self.say(Say::Unchanged(id, &row.title)));
            }
            args["tags"] = json!(tags);
        }
        let out = self.call("update_task", args.clone()).await?;
        if out.is_error {
            return Ok(self.tool_error_reply(id, &out));
        }
        let updated = self.say(Say::Updated(id, &title_of(&out)));
        Ok(self.with_details(updated, &args))
    }
}

fn repeat_words(rule: &str) -> &str {
    match rule {
        "weekdays" => "on weekdays",
        other => other,
    }
}

fn sort_words(key: &str) -> &str {
    match key {
        "due" => "due date",
        "created" => "date added",
        other => other,
    }
}
