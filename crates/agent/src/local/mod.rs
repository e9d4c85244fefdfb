//! The `local` model: a deterministic, offline planner for everyday task requests.
//!
//! It understands adding ("add a task to…", "remind me to…", "I need to remember to…"), listing
//! (all / pending / completed), completing and reopening, deleting and renaming, with tasks named
//! by number ("task 3") or by title (fuzzy: "I finished buying groceries" finds "Buy groceries").
//! When a title matches several tasks it asks which one, and the next message ("2", "task 5",
//! "the first one") completes the request. It acts only through the same MCP tools as the LLM.

mod exec;
mod followup;
mod matching;
mod parse;
mod replies;
#[cfg(test)]
mod tests;

use crate::{AgentError, EventSink, HistoryMessage, HistoryRole, Tools, TurnOutput};

use exec::Turn;
use followup::answer_to_clarification;
pub use matching::match_score;
pub use parse::parse;

/// Every clarifying question starts with this, so the next turn can recognise an answer to it.
pub const CLARIFY_PREFIX: &str = "Which task do you mean?";

#[derive(Clone, Debug, PartialEq)]
pub enum TaskRef {
    Id(i64),
    Text(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStatus {
    All,
    Pending,
    Completed,
}

impl ListStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ListStatus::All => "all",
            ListStatus::Pending => "pending",
            ListStatus::Completed => "completed",
        }
    }
}

/// What the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    Add {
        title: String,
        description: Option<String>,
    },
    List(ListStatus),
    SetCompleted {
        target: TaskRef,
        completed: bool,
    },
    Delete {
        target: TaskRef,
    },
    Update {
        target: TaskRef,
        title: Option<String>,
        description: Option<String>,
    },
    Greet,
    Help,
    Unknown,
}

/// Runs one turn of the offline planner.
pub async fn run<T: Tools>(
    tools: &T,
    history: &[HistoryMessage],
    events: Option<&EventSink>,
) -> Result<TurnOutput, AgentError> {
    let text = history
        .last()
        .filter(|m| m.role == HistoryRole::User)
        .map(|m| m.content.as_str())
        .unwrap_or("");
    let intent = answer_to_clarification(history, text).unwrap_or_else(|| parse(text));
    let mut turn = Turn {
        tools,
        events,
        records: Vec::new(),
    };
    let reply = turn.execute(intent).await?;
    Ok(TurnOutput {
        reply,
        tool_calls: turn.records,
    })
}
