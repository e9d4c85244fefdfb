//! The planner's replies, in the language the user wrote in: English, Urdu (Urdu script) or
//! Roman Urdu. Task lists keep one shape in every language ("3. Buy milk") so a later turn can
//! read positions back from them.

use super::{StatusFilter, TaskSummary, urdu};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    /// Urdu in Urdu script.
    Ur,
    /// Urdu written in Latin letters.
    Roman,
}

impl Lang {
    /// The language of a message.
    pub fn detect(text: &str) -> Lang {
        if text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)) {
            Lang::Ur
        } else if urdu::is_roman(text) {
            Lang::Roman
        } else {
            Lang::En
        }
    }
}

/// One thing to say.
pub(super) enum Say<'a> {
    Added(i64, &'a str),
    Completed(i64, &'a str),
    Reopened(i64, &'a str),
    Deleted(i64, &'a str),
    Renamed(i64, &'a str),
    Described(i64, &'a str),
    /// Priority, due date, repetition or tags changed.
    Updated(i64, &'a str),
    /// Nothing to change (the tag was not there).
    Unchanged(i64, &'a str),
    NotFoundId(i64),
    Failed(&'a str),
    NoTasks,
    NoMatch(&'a str, &'a [TaskSummary]),
    Clarify(&'a str, &'a [&'a TaskSummary]),
    ConfirmDelete(i64, &'a str),
    Kept(i64),
    NothingToConfirm,
    AskTitle(i64),
    Status(i64, &'a str, bool),
    WhichOne,
    NoList,
    NothingToUndo,
    CantUndoRename(i64),
    /// Priority, due date, repetition or tags changed: say what to set instead.
    CantUndoDetails(i64),
    Greet,
    Help,
    Unknown,
}

fn options(lang: Lang, rows: &[&TaskSummary]) -> String {
    let word = if lang == Lang::Ur { "کام" } else { "task" };
    rows.iter()
        .take(8)
        .map(|r| format!("{word} {} \"{}\"", r.id, r.title))
        .collect::<Vec<_>>()
        .join(", ")
}

fn listing(rows: &[TaskSummary]) -> String {
    rows.iter()
        .take(8)
        .map(|r| format!("{}. {}", r.id, r.title))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn say(lang: Lang, what: Say<'_>) -> String {
    match lang {
        Lang::En => english(what),
        Lang::Ur => urdu::say_urdu(what),
        Lang::Roman => urdu::say_roman(what),
    }
}

fn english(what: Say<'_>) -> String {
    match what {
        Say::Added(id, t) => format!("I've added \"{t}\" to your tasks (task {id})."),
        Say::Completed(id, t) => completion_reply(id, t, true),
        Say::Reopened(id, t) => completion_reply(id, t, false),
        Say::Deleted(id, t) => format!("I deleted task {id} \"{t}\"."),
        Say::Renamed(id, t) => format!("I updated task {id}: it's now \"{t}\"."),
        Say::Described(id, t) => format!("I updated the description of task {id} \"{t}\"."),
        Say::Updated(id, t) => format!("I updated task {id} \"{t}\":"),
        Say::Unchanged(id, t) => format!("Task {id} \"{t}\" already has those tags; nothing changed."),
        Say::NotFoundId(id) => {
            format!("I couldn't find task {id}. Say \"show my tasks\" to see your task numbers.")
        }
        Say::Failed(why) => format!("I couldn't do that: {why}"),
        Say::NoTasks => "You don't have any tasks yet. Try \"add a task to buy groceries\".".into(),
        Say::NoMatch(q, rows) => format!(
            "I couldn't find a task matching \"{q}\". Your tasks: {}. Which one did you mean?",
            listing(rows)
        ),
        Say::Clarify(q, rows) => format!(
            "Which task do you mean? I found {} tasks matching \"{q}\": {}. Reply with the task number.",
            rows.len(),
            options(Lang::En, rows)
        ),
        Say::ConfirmDelete(id, t) => format!(
            "Delete task {id} \"{t}\"? Reply \"yes\" to delete it or \"no\" to keep it."
        ),
        Say::Kept(id) => format!("OK, I kept task {id}."),
        Say::NothingToConfirm => {
            "There's nothing waiting for a yes or no. What would you like to do?".into()
        }
        Say::AskTitle(id) => format!("What should the new title of task {id} be?"),
        Say::Status(id, t, true) => format!("Yes — task {id} \"{t}\" is done."),
        Say::Status(id, t, false) => format!("Task {id} \"{t}\" is not done yet."),
        Say::WhichOne => {
            "Which task do you mean? Say its number, e.g. \"task 2\" (\"show my tasks\" lists them)."
                .into()
        }
        Say::NoList => {
            "Which list do you mean? Say \"show my tasks\" first, then \"the first one\".".into()
        }
        Say::NothingToUndo => "There's nothing for me to undo from my last reply.".into(),
        Say::CantUndoDetails(id) => format!(
            "I can't undo that change by myself; tell me the priority, due date or tags task {id} should have."
        ),
        Say::CantUndoRename(id) => format!(
            "I can't undo a rename by myself; say \"rename task {id} to …\" with the old title."
        ),
        Say::Greet => "Hi! I can add, list, complete, rename and delete your tasks. Try \"add a task to buy groceries\" or \"what's pending?\".".into(),
        Say::Help => HELP_TEXT.into(),
        Say::Unknown => format!("Sorry, I didn't understand that. {HELP_TEXT}"),
    }
}

/// The reply to completing (`completed`) or reopening a task, in English: the one wording of the
/// planner and the ChatKit widget's checkbox.
pub fn completion_reply(id: i64, title: &str, completed: bool) -> String {
    if completed {
        format!("Done! I marked task {id} \"{title}\" as complete.")
    } else {
        format!("I reopened task {id} \"{title}\"; it's pending again.")
    }
}

pub(super) const HELP_TEXT: &str = "Here's what I can do:\n\
- add a task: \"add a task to buy groceries\" or \"remind me to pay bills\"\n\
- show tasks: \"show me all my tasks\", \"what's pending?\", \"what have I completed?\"\n\
- complete: \"mark task 3 as complete\" or \"I finished buying groceries\"\n\
- rename: \"change task 1 to 'Call mom tonight'\"\n\
- delete: \"delete the meeting task\"\n\
- details: \"add a high priority task to pay rent due friday\", \"remind me every monday to water the plants\", \
\"tag task 2 as work\", \"task 4 is due tomorrow at 5pm\"\n\
- find: \"what's due this week?\", \"what's overdue?\", \"find tasks about the report\", \"sort by due date\"";

pub(super) fn render_list(lang: Lang, status: StatusFilter, rows: &[TaskSummary]) -> String {
    if lang != Lang::En {
        return urdu::render_list(lang, status, rows);
    }
    if rows.is_empty() {
        return match status {
            StatusFilter::All => {
                "You don't have any tasks yet. Try \"add a task to buy groceries\".".into()
            }
            StatusFilter::Pending => "Nothing pending — you're all caught up!".into(),
            StatusFilter::Completed => "You haven't completed any tasks yet.".into(),
        };
    }
    let n = rows.len();
    let s = if n == 1 { "" } else { "s" };
    let head = match status {
        StatusFilter::All => format!("You have {n} task{s}:"),
        StatusFilter::Pending => format!("You have {n} pending task{s}:"),
        StatusFilter::Completed => format!("You've completed {n} task{s}:"),
    };
    format!("{head}\n{}", lines(status, rows))
}

/// "3. Buy milk" lines (✓ after completed tasks in a full list).
pub(super) fn lines(status: StatusFilter, rows: &[TaskSummary]) -> String {
    rows.iter()
        .map(|r| {
            let tick = if r.completed && status == StatusFilter::All {
                " ✓"
            } else {
                ""
            };
            format!("{}. {}{tick}", r.id, r.title)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn listing_for(rows: &[TaskSummary]) -> String {
    listing(rows)
}

pub(super) fn options_for(lang: Lang, rows: &[&TaskSummary]) -> String {
    options(lang, rows)
}
