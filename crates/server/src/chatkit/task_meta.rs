//! A task's priority, due date and tags as the todo widget shows them under its checkbox: a
//! priority badge, the due date relative to now in the user's time zone ("Due tomorrow 17:00",
//! "Overdue · was due Tue 24 Nov 17:00"), and tag badges. Rendered whenever the widget is sent or
//! read, so "tomorrow" and "overdue" are always as of now.

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Value, json};
use todobot_agent::local::Clock;

use crate::{AppState, auth::AuthUser};
use todobot_mcp::TaskSummary;

/// Tags shown per row (the rest are counted: "+2").
const MAX_TAG_BADGES: usize = 3;

/// Now, in the user's time zone (UTC when unset or unreadable).
pub async fn clock_for(state: &AppState, user: &AuthUser) -> Clock {
    let tz = state
        .store
        .user_timezone(&user.id)
        .await
        .unwrap_or(chrono_tz::Tz::UTC);
    Clock::new(Utc::now(), tz)
}

fn due_instant(row: &TaskSummary) -> Option<DateTime<Utc>> {
    let raw = row.due_at.as_deref()?;
    DateTime::parse_from_rfc3339(raw).ok().map(|d| d.to_utc())
}

/// Whether the task is past its due date and not done.
pub fn overdue(row: &TaskSummary, clock: &Clock) -> bool {
    !row.completed && due_instant(row).is_some_and(|d| d < clock.now)
}

/// "Due today 17:00", "Due tomorrow 09:30", "Due Fri 17:00", "Due 3 Dec 17:00", "Overdue · was due …".
pub fn due_text(row: &TaskSummary, clock: &Clock) -> Option<String> {
    let due = due_instant(row)?;
    let local = due.with_timezone(&clock.tz);
    let today = clock.now.with_timezone(&clock.tz).date_naive();
    let days = (local.date_naive() - today).num_days();
    let time = local.format("%H:%M");
    let when = match days {
        0 => format!("today {time}"),
        1 => format!("tomorrow {time}"),
        -1 => format!("yesterday {time}"),
        2..=6 => format!("{} {time}", local.format("%a")),
        _ if local.date_naive().year() != today.year() => {
            format!("{} {time}", local.format("%a %-d %b %Y"))
        }
        _ => format!("{} {time}", local.format("%a %-d %b")),
    };
    Some(if overdue(row, clock) {
        format!("Overdue · was due {when}")
    } else {
        format!("Due {when}")
    })
}

/// The row under a task's checkbox: priority, due date and tags (or nothing for a plain task).
pub fn meta_row(row: &TaskSummary, clock: &Clock) -> Option<Value> {
    let mut children = Vec::new();
    if row.priority != "medium" {
        let color = if row.priority == "high" {
            "danger"
        } else {
            "secondary"
        };
        children.push(json!({
            "type": "Badge", "label": format!("{} priority", row.priority),
            "color": color, "size": "sm"
        }));
    }
    if let Some(text) = due_text(row, clock) {
        let color = if overdue(row, clock) {
            "danger"
        } else {
            "secondary"
        };
        children.push(json!({ "type": "Caption", "value": text, "color": color, "size": "sm" }));
    }
    for tag in row.tags.iter().take(MAX_TAG_BADGES) {
        children.push(json!({
            "type": "Badge", "label": format!("#{tag}"), "color": "info",
            "variant": "outline", "size": "sm"
        }));
    }
    if row.tags.len() > MAX_TAG_BADGES {
        children.push(json!({
            "type": "Caption", "value": format!("+{}", row.tags.len() - MAX_TAG_BADGES), "size": "sm"
        }));
    }
    (!children.is_empty())
        .then(|| json!({ "type": "Row", "gap": 2, "wrap": "wrap", "children": children }))
}

/// "high priority, due tomorrow 17:00, #home" for the widget's plain-text copy.
pub fn copy_suffix(row: &TaskSummary, clock: &Clock) -> String {
    let mut parts = Vec::new();
    if row.priority != "medium" {
        parts.push(format!("{} priority", row.priority));
    }
    if let Some(t) = due_text(row, clock) {
        parts.push(t);
    }
    parts.extend(row.tags.iter().map(|t| format!("#{t}")));
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(due: Option<&str>, completed: bool) -> TaskSummary {
        TaskSummary {
            id: 1,
            title: "Pay rent".into(),
            completed,
            priority: "high".into(),
            tags: vec!["home".into(), "money".into(), "a".into(), "b".into()],
            due_at: due.map(str::to_owned),
            recurrence: None,
            overdue: false,
        }
    }

    #[test]
    fn due_dates_read_relative_to_now_in_the_users_zone() {
        // Wednesday 25 Nov 2026 22:30 UTC = Thursday 03:30 in Karachi
        let now = Utc
            .with_ymd_and_hms(2026, 11, 25, 22, 30, 0)
            .single()
            .expect("now");
        let karachi = Clock::new(now, "Asia/Karachi".parse().expect("tz"));
        let utc = Clock::new(now, chrono_tz::Tz::UTC);
        let r = row(Some("2026-11-26T12:00:00Z"), false);
        assert_eq!(due_text(&r, &karachi).as_deref(), Some("Due today 17:00"));
        assert_eq!(due_text(&r, &utc).as_deref(), Some("Due tomorrow 12:00"));
        let late = row(Some("2026-11-24T12:00:00Z"), false);
        assert_eq!(
            due_text(&late, &karachi).as_deref(),
            Some("Overdue · was due Tue 24 Nov 17:00")
        );
        let done = row(Some("2026-11-24T12:00:00Z"), true);
        assert_eq!(
            due_text(&done, &karachi).as_deref(),
            Some("Due Tue 24 Nov 17:00")
        );
        assert_eq!(due_text(&row(None, false), &karachi), None);
        let meta = meta_row(&late, &karachi).expect("meta");
        let kids = meta["children"].as_array().expect("children");
        assert_eq!(kids[0]["label"], "high priority");
        assert_eq!(kids[1]["color"], "danger");
        assert_eq!(kids[2]["label"], "#home");
        assert_eq!(kids.last().expect("last")["value"], "+1");
        assert_eq!(
            copy_suffix(&late, &karachi),
            " (high priority, Overdue · was due Tue 24 Nov 17:00, #home, #money, #a, #b)"
        );
    }
}
