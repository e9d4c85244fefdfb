//! The `local` model: a deterministic, offline planner for everyday task requests, in English,
//! Urdu and Roman Urdu.
//!
//! - `parse` (with `refs` for task references and `urdu`) turns a message into [`Intent`]s;
//! - `context` reads the stored conversation: the planner's open question (which task? delete it?
//!   what title?), the list it showed last and what its last turn changed;
//! - `matching` finds the task a title names — only when every content word matches;
//! - `exec` carries the intent out through the same MCP tools the LLM uses; `replies` words it.
//!
//! Safe first: nothing changes unless the request names exactly one task, questions never change
//! anything, and deleting a task named by its title waits for a "yes" in the next turn.

mod context;
mod dates;
mod details;
mod exec;
mod exec_details;
mod matching;
mod parse;
mod pattern;
mod refs;
mod replies;
#[cfg(test)]
mod tests;
mod urdu;
mod urdu_details;

use crate::{AgentError, EventSink, HistoryMessage, HistoryRole, Tools, TurnOutput};

use context::Context;
pub use dates::Clock;
pub use details::{Details, Query, SetDetails};
use exec::Turn;
pub use matching::match_score;
pub use parse::parse;
pub use replies::{Lang, completion_reply};
use todobot_mcp::{StatusFilter, TaskList, TaskSummary};

/// Every clarifying question (in English) starts with this, so the next turn can recognise an answer to it.
pub const CLARIFY_PREFIX: &str = "Which task do you mean?";

#[derive(Clone, Debug, PartialEq)]
pub enum TaskRef {
    /// "task 3", "#3", "task three".
    Id(i64),
    /// Words of the title ("the milk task").
    Text(String),
    /// A position in the list the planner showed last ("the first one" = 1, "the last one" = -1).
    Position(isize),
    /// "it", "that one": the task the last turn acted on or named.
    Last,
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    Add {
        title: String,
        description: Option<String>,
        /// Priority, due date, repetition and tags said with it.
        details: Details,
    },
    List(StatusFilter),
    /// A list with filters or an order ("what's due this week?", "show my high priority tasks").
    Find(Query),
    /// Priority, due date, repetition or tags of one task ("tag task 2 as work").
    Set {
        target: TaskRef,
        change: SetDetails,
    },
    SetCompleted {
        target: TaskRef,
        completed: bool,
    },
    Delete {
        target: TaskRef,
    },
    /// Neither title nor description: the user wants to rename but did not say to what (ask).
    Update {
        target: TaskRef,
        title: Option<String>,
        description: Option<String>,
    },
    /// A question about a task ("is task 3 done?"): answered, never acted on.
    Ask {
        target: TaskRef,
    },
    /// "yes" / "no" to the planner's question.
    Confirm(bool),
    /// Reverse what the last turn changed.
    Undo,
    /// "and task 3 too": the last action again, on another task.
    Too {
        target: TaskRef,
    },
    /// Several requests in one message, in order.
    Many(Vec<Intent>),
    Greet,
    Help,
    Unknown,
}

/// Runs one turn of the offline planner, with the current time in UTC.
#[tracing::instrument(name = "agent.local", skip_all)]
pub async fn run<T: Tools>(
    tools: &T,
    history: &[HistoryMessage],
    events: Option<&EventSink>,
) -> Result<TurnOutput, AgentError> {
    run_at(tools, history, events, Clock::utc_now()).await
}

/// Runs one turn of the offline planner; relative dates ("tomorrow", "friday") are read with
/// `clock` (now, and the user's time zone).
pub async fn run_at<T: Tools>(
    tools: &T,
    history: &[HistoryMessage],
    events: Option<&EventSink>,
    clock: Clock,
) -> Result<TurnOutput, AgentError> {
    let text = history
        .last()
        .filter(|m| m.role == HistoryRole::User)
        .map(|m| m.content.as_str())
        .unwrap_or("");
    let context = Context::from_history(history);
    let lang = Lang::detect(text);
    let intent = context.follow_up(text).unwrap_or_else(|| parse(text));
    let mut turn = Turn {
        tools,
        events,
        records: Vec::new(),
        context,
        lang,
        clock,
    };
    let reply = turn.execute(intent).await?;
    Ok(TurnOutput {
        reply,
        tool_calls: turn.records,
    })
}
