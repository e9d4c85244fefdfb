//! Priority, tags, due date, repetition, search and sort as the tools take them: strings checked
//! here, so that a wrong value is a tool error the model can correct (nothing is changed).

use chrono::{DateTime, Utc};
use todobot_store::{Priority, Recurrence, SortKey, Task, TaskDetails, TaskQuery};

use crate::params::{AddTaskParams, ListTasksParams, UpdateTaskParams};

fn priority(raw: Option<&str>) -> Result<Option<Priority>, String> {
    raw.map(str::parse).transpose()
}

fn instant(field: &str, raw: &str) -> Result<DateTime<Utc>, String> {
    todobot_store::parse_instant(field, raw)
}

fn tags(raw: Option<&Vec<String>>) -> Result<Option<Vec<String>>, String> {
    raw.map(|t| todobot_store::normalize_tags(t)).transpose()
}

/// The details of a new task.
pub fn for_add(p: &AddTaskParams) -> Result<TaskDetails, String> {
    Ok(TaskDetails {
        priority: priority(p.priority.as_deref())?.unwrap_or_default(),
        tags: tags(p.tags.as_ref())?.unwrap_or_default(),
        due_at: p
            .due_at
            .as_deref()
            .map(|d| instant("due_at", d))
            .transpose()?,
        recurrence: p
            .recurrence
            .as_deref()
            .map(str::parse::<Recurrence>)
            .transpose()?,
    })
}

/// The patch of an update (title and description included).
pub fn for_update(p: &UpdateTaskParams) -> Result<todobot_store::TaskPatch, String> {
    let due_at = match p.due_at.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(d) => Some(Some(instant("due_at", d)?)),
    };
    let recurrence = match p.recurrence.as_deref().map(str::trim) {
        None => None,
        Some("" | "none") => Some(None),
        Some(r) => Some(Some(r.parse::<Recurrence>()?)),
    };
    Ok(todobot_store::TaskPatch {
        title: p.title.clone(),
        description: p.description.clone().map(Some),
        completed: None,
        priority: priority(p.priority.as_deref())?,
        tags: tags(p.tags.as_ref())?,
        due_at,
        recurrence,
    })
}

/// The store query of a listing.
pub fn for_list(p: &ListTasksParams) -> Result<TaskQuery, String> {
    let status = p.status.unwrap_or_default();
    let descending = match p.order.as_deref() {
        None => None,
        Some("asc") => Some(false),
        Some("desc") => Some(true),
        Some(_) => return Err("order must be asc or desc".into()),
    };
    Ok(TaskQuery {
        status,
        priorities: priority(p.priority.as_deref())?.into_iter().collect(),
        tags: p
            .tag
            .as_deref()
            .map(todobot_store::normalize_tag)
            .transpose()?
            .into_iter()
            .collect(),
        search: p
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        due_before: p
            .due_before
            .as_deref()
            .map(|d| instant("due_before", d))
            .transpose()?,
        due_after: p
            .due_after
            .as_deref()
            .map(|d| instant("due_after", d))
            .transpose()?,
        overdue: p.overdue.unwrap_or(false),
        sort: p
            .sort
            .as_deref()
            .map(str::parse::<SortKey>)
            .transpose()?
            .unwrap_or_default(),
        descending,
        limit: None,
        offset: 0,
    })
}

/// " (high, due 2026-12-04 12:00 UTC, every week, #work)" — the details worth a mention in a
/// tool's text result; empty for a plain task.
pub fn describe(task: &Task) -> String {
    let mut parts = Vec::new();
    let p = Priority::from_rank(task.priority);
    if p != Priority::Medium {
        parts.push(format!("{} priority", p.as_str()));
    }
    if let Some(due) = task.due_at {
        let late = !task.completed && due < Utc::now();
        parts.push(format!(
            "{}due {}",
            if late { "overdue, " } else { "" },
            due.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if let Some(r) = &task.recurrence {
        parts.push(format!("repeats {r}"));
    }
    for t in todobot_store::decode_tags(&task.tags) {
        parts.push(format!("#{t}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}
