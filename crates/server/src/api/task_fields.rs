//! The task fields beyond title and description (priority, tags, due date, recurrence) as the REST
//! API reads them: parsed into the store's types with a field error per bad value.

use chrono::{DateTime, Utc};
use todobot_store::{
    Priority, Recurrence, SortKey, StatusFilter, TaskQuery, validate::FieldErrors,
};
use utoipa::ToSchema;

use super::chat::OrderParam;

/// Task priority.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum PriorityParam {
    Low,
    Medium,
    High,
}

/// How a task repeats: completing it creates the next occurrence.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RecurrenceParam {
    Daily,
    Weekdays,
    Weekly,
    Monthly,
}

/// Listing order key.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum SortParam {
    Created,
    Due,
    Priority,
    Title,
}

pub fn priority(errors: &mut FieldErrors, raw: Option<&str>) -> Option<Priority> {
    errors.check("priority", raw?.parse::<Priority>())
}

pub fn recurrence(errors: &mut FieldErrors, raw: Option<&str>) -> Option<Recurrence> {
    errors.check("recurrence", raw?.parse::<Recurrence>())
}

/// An RFC 3339 instant (`2026-12-01T17:00:00+05:00`).
pub fn instant(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<DateTime<Utc>> {
    errors.check(field, todobot_store::parse_instant(field, raw?))
}

/// Query parameters of GET /api/{user_id}/tasks (`tag` and `priority` repeatable or comma separated).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `all` (default), `pending` or `completed`.
    #[param(value_type = Option<StatusFilter>)]
    pub status: Option<String>,
    /// Only these priorities.
    #[serde(default)]
    #[param(value_type = Option<Vec<PriorityParam>>, style = Form, explode = true)]
    pub priority: Vec<String>,
    /// Only tasks with every one of these tags.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>, style = Form, explode = true)]
    pub tag: Vec<String>,
    /// Words to find in title or description (case-insensitive; every word must occur).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Due before this RFC 3339 instant.
    #[param(value_type = Option<String>, format = DateTime)]
    pub due_before: Option<String>,
    /// Due at or after this RFC 3339 instant.
    #[param(value_type = Option<String>, format = DateTime)]
    pub due_after: Option<String>,
    /// Only pending tasks past their due date.
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// `created` (default), `due` (undated last), `priority` or `title`.
    #[param(value_type = Option<SortParam>)]
    pub sort: Option<String>,
    /// `asc` or `desc`; default ascending, but high priority first when sorting by priority.
    #[param(value_type = Option<OrderParam>)]
    pub order: Option<String>,
    /// At most this many tasks (1..=1000); default all.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Skip this many tasks.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub offset: Option<u64>,
}

/// Parameters that take a value refuse an empty one (`?due_before=`), which the form decoder would
/// otherwise read as absent; only `q` may be empty (no search).
pub fn refuse_empty(raw: &str) -> Result<(), FieldErrors> {
    const NEEDS_VALUE: [&str; 10] = [
        "status",
        "priority",
        "tag",
        "due_before",
        "due_after",
        "overdue",
        "sort",
        "order",
        "limit",
        "offset",
    ];
    let mut errors = FieldErrors::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if value.is_empty() && NEEDS_VALUE.contains(&key) {
            errors.add(key, format!("{key} needs a value"));
        }
    }
    errors.into_result()
}

/// Values of a repeatable parameter, each possibly comma separated.
fn values(raw: &[String]) -> impl Iterator<Item = &str> {
    raw.iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// A number in range (one that is not a number at all is a malformed query: 400).
fn number(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<u64>,
    range: std::ops::RangeInclusive<u64>,
) -> Option<u64> {
    let n = raw?;
    let checked = if range.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{field} must be from {} to {}",
            range.start(),
            range.end()
        ))
    };
    errors.check(field, checked)
}

fn flag(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> bool {
    match raw.map(str::trim) {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(_) => {
            errors.add(field, format!("{field} must be true or false"));
            false
        }
    }
}

impl ListParams {
    /// The store query, or every problem as a field error.
    pub fn into_query(self) -> Result<TaskQuery, FieldErrors> {
        let mut e = FieldErrors::new();
        let status = self
            .status
            .as_deref()
            .unwrap_or("all")
            .parse::<StatusFilter>();
        let status = e.check("status", status).unwrap_or_default();
        let priorities = values(&self.priority)
            .filter_map(|p| e.check("priority", p.parse::<Priority>()))
            .collect();
        let tags = values(&self.tag)
            .filter_map(|t| e.check("tag", todobot_store::normalize_tag(t)))
            .collect();
        let search = self
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty());
        if search.as_ref().is_some_and(|q| q.chars().count() > 200) {
            e.add("q", "q has at most 200 characters");
        }
        let due_before = instant(&mut e, "due_before", self.due_before.as_deref());
        let due_after = instant(&mut e, "due_after", self.due_after.as_deref());
        let overdue = flag(&mut e, "overdue", self.overdue.as_deref());
        let sort = self
            .sort
            .as_deref()
            .map(|s| e.check("sort", s.parse::<SortKey>()));
        let descending = match self.order.as_deref() {
            None => None,
            Some("asc") => Some(false),
            Some("desc") => Some(true),
            Some(_) => {
                e.add("order", "order must be asc or desc");
                None
            }
        };
        let limit = number(&mut e, "limit", self.limit, 1..=1000);
        let offset = number(&mut e, "offset", self.offset, 0..=i64::MAX as u64);
        e.into_result()?;
        Ok(TaskQuery {
            status,
            priorities,
            tags,
            search,
            due_before,
            due_after,
            overdue,
            sort: sort.flatten().unwrap_or_default(),
            descending,
            limit,
            offset: offset.unwrap_or(0),
        })
    }
}
