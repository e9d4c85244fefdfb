//! What the stored conversation tells the planner about this turn: an open question it asked
//! (which task? delete it? what title?), the list it showed last, and what its last turn did.

use serde_json::Value;

use super::{
    Intent, TaskRef,
    parse::{parse, trim_message},
    pattern::{Pattern, pattern},
    refs::{number, ordinal},
};
use crate::{HistoryMessage, HistoryRole, ToolCallRecord};

pattern!(
    CLARIFY_QUESTION,
    r"^(?:which task do you mean\?|آپ کون سا کام کہہ رہے ہیں؟|aap kaun sa task keh rahe hain\?)|(?:which one did you mean\?|آپ کون سا کام کہہ رہے ہیں؟|aap kaun sa task keh rahe hain\?)$"
);
pattern!(CLARIFY_OPTION, r#"(?:task|کام) (\d+) ""#);
pattern!(
    CONFIRM_QUESTION,
    r#"^(?:delete task|کیا کام|task) (\d+) "[^"]*"(?:\?| حذف کر دوں؟| delete kar doon\?)"#
);
pattern!(
    TITLE_QUESTION,
    r"^(?:what should the new title of task|کام|task) (\d+) (?:be\?|کا نیا نام کیا ہو؟|ka naya naam kya ho\?)"
);
pattern!(LIST_LINE, r"(?m)^(\d+)\. ");
pattern!(TASK_MENTION, r"(?:task|کام) (\d+)\b");

/// A change the last turn made.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Change {
    pub tool: String,
    pub task_id: i64,
    pub title: String,
    pub completed: Option<bool>,
    /// An update_task that changed the title (not only details).
    pub renamed: bool,
}

#[derive(Default, Debug)]
pub(super) struct Context {
    /// The planner asked "which task?": the options and the request it was about.
    clarify: Option<(Vec<i64>, String)>,
    /// The planner asked to confirm deleting this task.
    pub confirm_delete: Option<i64>,
    /// The planner asked for a new title of this task.
    ask_title: Option<i64>,
    /// Task numbers of the last list shown, in order.
    pub last_list: Option<Vec<i64>>,
    /// The task the last turn acted on or named.
    pub last_task: Option<i64>,
    /// What the last turn changed.
    pub changes: Vec<Change>,
}

fn change(call: &ToolCallRecord) -> Option<Change> {
    if call.is_error
        || !matches!(
            call.name.as_str(),
            "add_task" | "complete_task" | "delete_task" | "update_task"
        )
    {
        return None;
    }
    let task_id = call
        .result
        .get("task_id")
        .and_then(Value::as_i64)
        .or_else(|| call.arguments.get("task_id").and_then(Value::as_i64))?;
    Some(Change {
        tool: call.name.clone(),
        task_id,
        title: call
            .result
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        completed: call.arguments.get("completed").and_then(Value::as_bool),
        renamed: call.arguments.get("title").is_some(),
    })
}

fn ids(re: &Pattern, text: &str) -> Vec<i64> {
    re.captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .collect()
}

impl Context {
    /// Reads the history (oldest first, ending with the new user message).
    pub fn from_history(history: &[HistoryMessage]) -> Context {
        let mut ctx = Context::default();
        let n = history.len();
        let earlier = &history[..n.saturating_sub(1)];
        let Some(prev) = earlier
            .last()
            .filter(|m| m.role == HistoryRole::Assistant && !m.failed)
        else {
            return ctx;
        };
        let text = prev.content.as_str();
        if CLARIFY_QUESTION.is_match(text)
            && let Some(original) = earlier
                .iter()
                .rev()
                .nth(1)
                .filter(|m| m.role == HistoryRole::User)
        {
            ctx.clarify = Some((ids(&CLARIFY_OPTION, text), original.content.clone()));
        }
        ctx.confirm_delete = CONFIRM_QUESTION
            .captures(text)
            .and_then(|c| c[1].parse().ok());
        ctx.ask_title = TITLE_QUESTION
            .captures(text)
            .and_then(|c| c[1].parse().ok());
        ctx.changes = prev.tool_calls.iter().filter_map(change).collect();
        let mentioned = ids(&TASK_MENTION, text);
        ctx.last_task = ctx
            .changes
            .last()
            .map(|c| c.task_id)
            .or_else(|| (mentioned.len() == 1).then(|| mentioned[0]));
        ctx.last_list = earlier
            .iter()
            .rev()
            .filter(|m| m.role == HistoryRole::Assistant)
            .take(5)
            .map(|m| ids(&LIST_LINE, &m.content))
            .find(|l| !l.is_empty());
        if ctx.last_task.is_none()
            && let Some(list) = &ctx.last_list
            && list.len() == 1
        {
            ctx.last_task = Some(list[0]);
        }
        ctx
    }

    /// The request this message completes, when it answers the planner's last question.
    pub fn follow_up(&self, text: &str) -> Option<Intent> {
        let text = trim_message(text);
        if let Some(id) = self.ask_title {
            let intent = parse(&text);
            if matches!(intent, Intent::Unknown | Intent::Add { .. }) && !text.is_empty() {
                let title = match intent {
                    Intent::Add { title, .. } => title,
                    _ => super::refs::unquote(&text),
                };
                return Some(Intent::Update {
                    target: TaskRef::Id(id),
                    title: Some(title),
                    description: None,
                });
            }
        }
        let (options, original) = self.clarify.as_ref()?;
        let chosen = if let Some(n) = number(&text) {
            n
        } else {
            let p = ordinal(&text)?;
            let idx = if p < 0 {
                options.len().checked_sub(1)?
            } else {
                usize::try_from(p - 1).ok()?
            };
            *options.get(idx)?
        };
        let target = TaskRef::Id(chosen);
        match parse(original) {
            Intent::SetCompleted { completed, .. } => {
                Some(Intent::SetCompleted { target, completed })
            }
            Intent::Delete { .. } => Some(Intent::Delete { target }),
            Intent::Ask { .. } => Some(Intent::Ask { target }),
            Intent::Set { change, .. } => Some(Intent::Set { target, change }),
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
}
