//! Follow-ups: answers to the planner's own questions.

use super::{
    CLARIFY_PREFIX, Intent, TaskRef,
    parse::{CLARIFY_OPTION, NUMBER_REF, ORDINAL, parse, trim_message},
};
use crate::{HistoryMessage, HistoryRole};

/// If the previous assistant message asked which task was meant and this message answers it,
/// the original request with the chosen task.
pub(super) fn answer_to_clarification(history: &[HistoryMessage], text: &str) -> Option<Intent> {
    let n = history.len();
    if n < 3 {
        return None;
    }
    let question = &history[n - 2];
    let original = &history[n - 3];
    if question.role != HistoryRole::Assistant
        || !question.content.starts_with(CLARIFY_PREFIX)
        || original.role != HistoryRole::User
    {
        return None;
    }
    let options: Vec<i64> = CLARIFY_OPTION
        .captures_iter(&question.content)
        .filter_map(|c| c[1].parse().ok())
        .collect();
    let text = trim_message(text);
    let chosen = if let Some(c) = NUMBER_REF.captures(&text) {
        c["n"].parse().ok()?
    } else if let Some(c) = ORDINAL.captures(&text) {
        let idx = match c["o"].to_lowercase().as_str() {
            "first" | "1st" => 0,
            "second" | "2nd" => 1,
            "third" | "3rd" => 2,
            "fourth" | "4th" => 3,
            "fifth" | "5th" => 4,
            _ => options.len().checked_sub(1)?,
        };
        *options.get(idx)?
    } else {
        return None;
    };
    let target = TaskRef::Id(chosen);
    match parse(&original.content) {
        Intent::SetCompleted { completed, .. } => Some(Intent::SetCompleted { target, completed }),
        Intent::Delete { .. } => Some(Intent::Delete { target }),
        Intent::Update {
            title, description, ..
        } => Some(Intent::Update {
            target,
            title,
            description,
        }),
        _ => None,
    }
}
