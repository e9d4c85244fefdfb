//! The planner's replies.

use super::{ListStatus, matching::TaskRow};

pub(super) const HELP_TEXT: &str = "Here's what I can do:\n\
- add a task: \"add a task to buy groceries\" or \"remind me to pay bills\"\n\
- show tasks: \"show me all my tasks\", \"what's pending?\", \"what have I completed?\"\n\
- complete: \"mark task 3 as complete\" or \"I finished buying groceries\"\n\
- rename: \"change task 1 to 'Call mom tonight'\"\n\
- delete: \"delete the meeting task\"";

pub(super) fn render_list(status: ListStatus, rows: &[TaskRow]) -> String {
    if rows.is_empty() {
        return match status {
            ListStatus::All => {
                "You don't have any tasks yet. Try \"add a task to buy groceries\".".into()
            }
            ListStatus::Pending => "Nothing pending — you're all caught up!".into(),
            ListStatus::Completed => "You haven't completed any tasks yet.".into(),
        };
    }
    let n = rows.len();
    let head = match status {
        ListStatus::All => format!("You have {n} task{}:", if n == 1 { "" } else { "s" }),
        ListStatus::Pending => format!(
            "You have {n} pending task{}:",
            if n == 1 { "" } else { "s" }
        ),
        ListStatus::Completed => format!(
            "You've completed {n} task{}:",
            if n == 1 { "" } else { "s" }
        ),
    };
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}. {}{}",
                r.id,
                r.title,
                if r.completed && status == ListStatus::All {
                    " ✓"
                } else {
                    ""
                }
            )
        })
        .collect();
    format!("{head}\n{}", lines.join("\n"))
}
