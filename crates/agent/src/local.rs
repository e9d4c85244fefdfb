//! The `local` model: a deterministic, offline planner for everyday task requests.
//!
//! It understands adding ("add a task to…", "remind me to…", "I need to remember to…"), listing
//! (all / pending / completed), completing and reopening, deleting and renaming, with tasks named
//! by number ("task 3") or by title (fuzzy: "I finished buying groceries" finds "Buy groceries").
//! When a title matches several tasks it asks which one, and the next message ("2", "task 5",
//! "the first one") completes the request. It acts only through the same MCP tools as the LLM.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use crate::{
    AgentError, EventSink, FailureKind, HistoryMessage, HistoryRole, ToolCallRecord, Tools,
    TurnOutput, call_tool,
};

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
    fn as_str(self) -> &'static str {
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

fn re(pattern: &str) -> Regex {
    // patterns are constants; a typo is caught by the unit tests
    Regex::new(&format!("(?i){pattern}")).unwrap_or_else(|e| panic!("bad pattern {pattern}: {e}"))
}

macro_rules! pattern {
    ($name:ident, $p:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| re($p));
    };
}

const POLITE: &str = r"^(?:(?:hey|hi|ok|okay|so|and|also|then|now)[,!]?\s+)*(?:(?:please|pls|can you|could you|would you|will you|kindly)\s+)*";

pattern!(
    ADD,
    &format!(
        r"{POLITE}(?:add|create|make|put|new|insert|write down|jot down|note down)\s+(?:(?:a|an|another|one|more|new)\s+)*(?:task|todo|to-do|to do|item|reminder|entry)?s?\s*(?:to|for|:|-|called|named|titled|saying|that says)?\s*(?P<title>.+?)(?:\s+(?:to|on|in|onto)\s+(?:my|the)\s+(?:todo |to-do |to do |task )?(?:list|tasks|todos))?$"
    )
);
pattern!(
    REMEMBER,
    &format!(
        r"{POLITE}(?:remind me to|remember to|don'?t (?:let me )?forget to|note to self:?|i (?:really )?(?:need|have|want|got|must|should) to (?:remember to |not forget to )?|i'?ve got to |i gotta |i must (?:remember to )?|i should )\s*(?P<title>.+)$"
    )
);
pattern!(
    MARK,
    &format!(
        r"{POLITE}(?:mark|set|flag|tick|check|put)\s+(?:off\s+)?(?P<target>.+?)\s+(?:as\s+|to\s+)?(?P<state>complete|completed|done|finished|not done|not complete|not completed|not finished|incomplete|uncompleted|undone|pending|open|todo|to do|unfinished)$"
    )
);
pattern!(
    COMPLETE,
    &format!(
        r"{POLITE}(?:complete|finish|tick off|check off|cross off|close|resolve)\s+(?P<target>.+)$"
    )
);
pattern!(
    FINISHED,
    r"^(?:(?:ok|okay|so|yay|great)[,!]?\s+)?i(?:'ve| have|'m| am)?\s+(?:just\s+|already\s+|finally\s+)?(?:finished|completed|done with|done|did|accomplished|taken care of|took care of)\s+(?P<target>.+)$"
);
pattern!(
    IS_DONE,
    r"^(?P<target>.+?)\s+(?:is|are|was|has been)\s+(?:now\s+)?(?:done|complete|completed|finished)$"
);
pattern!(
    REOPEN,
    &format!(r"{POLITE}(?:reopen|re-open|uncheck|untick|unmark|undo|restore)\s+(?P<target>.+)$")
);
pattern!(
    DELETE,
    &format!(
        r"{POLITE}(?:delete|remove|drop|erase|cancel|scrap|trash|discard|get rid of|forget about|forget)\s+(?P<target>.+?)(?:\s+from\s+(?:my|the)\s+(?:todo |to-do |task )?(?:list|tasks|todos))?$"
    )
);
pattern!(
    UPDATE_DESCRIPTION,
    &format!(
        r"{POLITE}(?:change|update|set|edit|modify|make)\s+(?:the\s+)?(?:description|details|notes?)\s+(?:of|for|on)\s+(?P<target>.+?)\s+(?:to|as|:)\s*(?P<new>.+)$"
    )
);
pattern!(
    UPDATE_DESCRIPTION_2,
    &format!(
        r"{POLITE}(?:change|update|set|edit|modify)\s+(?P<target>.+?)(?:'s)?\s+(?:description|details|notes?)\s+(?:to|as|:)\s*(?P<new>.+)$"
    )
);
pattern!(
    UPDATE_TITLE,
    &format!(
        r"{POLITE}(?:change|rename|update|edit|modify|retitle|set)\s+(?:the\s+(?:title|name)\s+(?:of|for)\s+)?(?P<target>.+?)(?:'s\s+(?:title|name))?\s+(?:to|as|into|:)\s*(?P<new>.+)$"
    )
);
pattern!(
    LIST_START,
    r"^(?:(?:please|pls|can you|could you|would you)\s+)*(?:show|list|display|see|view|print|give|tell|get|what|what's|whats|which|how many|do i have|anything|check)\b"
);
pattern!(
    LIST_WORDS,
    r"\b(?:tasks?|todos?|to-dos?|list|pending|completed|done|finished|left|remaining|agenda|plate|schedule)\b"
);
pattern!(
    PENDING_WORDS,
    r"\b(?:pending|open|left|remaining|incomplete|unfinished|outstanding|not (?:yet )?(?:done|completed|complete|finished)|still (?:need|have) to|(?:need|have) to do|to do|todo|undone|active)\b"
);
pattern!(
    COMPLETED_WORDS,
    r"\b(?:completed|complete|done|finished|accomplished|checked off|ticked off)\b"
);
pattern!(
    GREETING,
    r"^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|yo|thanks|thank you|thx|cheers)\b[\s!.,a-z]*$"
);
pattern!(
    HELP,
    r"^(?:help|\?|what can you do|how does this work|how do i use (?:this|you)|commands)\b"
);
pattern!(
    NUMBER_REF,
    r"^(?:(?:the|my)\s+)?(?:(?:task|todo|to-do|item|number|no\.?|#)\s*)?#?(?P<n>\d{1,18})(?:\s+(?:task|item|one))?$"
);
pattern!(
    DESCRIPTION_SPLIT,
    r"\s*(?:,\s*|\s+)(?:with (?:the )?(?:description|details|note)|described as|description:|details:|note:)\s*:?\s*"
);
pattern!(CLARIFY_OPTION, r#"task (\d+) ""#);
pattern!(
    ORDINAL,
    r"^(?:the\s+)?(?P<o>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)(?:\s+one)?$"
);

fn trim_message(text: &str) -> String {
    text.trim()
        .trim_end_matches(['.', '!', '?', ' '])
        .trim()
        .to_owned()
}

/// Removes matching quotes around a title the user quoted.
fn unquote(s: &str) -> String {
    let s = s.trim();
    for (open, close) in [('"', '"'), ('\'', '\''), ('“', '”'), ('‘', '’'), ('`', '`')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close))
            && !inner.trim().is_empty()
        {
            return inner.trim().to_owned();
        }
    }
    s.to_owned()
}

fn parse_ref(raw: &str) -> TaskRef {
    let raw = unquote(raw.trim());
    if let Some(c) = NUMBER_REF.captures(&raw)
        && let Ok(n) = c["n"].parse()
    {
        return TaskRef::Id(n);
    }
    let mut text = raw.as_str();
    for prefix in ["the ", "my ", "that ", "this "] {
        if text.len() > prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix) {
            text = &text[prefix.len()..];
        }
    }
    for suffix in [" task", " todo", " item", " one", " reminder"] {
        if text.len() > suffix.len()
            && text.is_char_boundary(text.len() - suffix.len())
            && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        {
            text = &text[..text.len() - suffix.len()];
        }
    }
    TaskRef::Text(unquote(text))
}

fn split_description(title: &str) -> (String, Option<String>) {
    match DESCRIPTION_SPLIT.find(title) {
        Some(m) if m.start() > 0 => {
            let description = unquote(&title[m.end()..]);
            (
                unquote(&title[..m.start()]),
                (!description.is_empty()).then_some(description),
            )
        }
        _ => (unquote(title), None),
    }
}

/// Parses one message.
pub fn parse(message: &str) -> Intent {
    let text = trim_message(message);
    if text.is_empty() {
        return Intent::Unknown;
    }
    if HELP.is_match(&text) {
        return Intent::Help;
    }
    if GREETING.is_match(&text) {
        return Intent::Greet;
    }
    if let Some(c) = UPDATE_DESCRIPTION
        .captures(&text)
        .or_else(|| UPDATE_DESCRIPTION_2.captures(&text))
    {
        return Intent::Update {
            target: parse_ref(&c["target"]),
            title: None,
            description: Some(unquote(&c["new"])),
        };
    }
    if let Some(c) = MARK.captures(&text) {
        let state = c["state"].to_lowercase();
        let completed = matches!(
            state.as_str(),
            "complete" | "completed" | "done" | "finished"
        );
        return Intent::SetCompleted {
            target: parse_ref(&c["target"]),
            completed,
        };
    }
    if let Some(c) = REOPEN.captures(&text) {
        return Intent::SetCompleted {
            target: parse_ref(&c["target"]),
            completed: false,
        };
    }
    if let Some(c) = UPDATE_TITLE.captures(&text) {
        // "set task 3 as done" was handled above; here the new text is a title
        let (title, description) = split_description(&c["new"]);
        if !title.is_empty() {
            return Intent::Update {
                target: parse_ref(&c["target"]),
                title: Some(title),
                description,
            };
        }
    }
    if let Some(c) = DELETE.captures(&text) {
        return Intent::Delete {
            target: parse_ref(&c["target"]),
        };
    }
    if let Some(c) = COMPLETE
        .captures(&text)
        .or_else(|| FINISHED.captures(&text))
        .or_else(|| IS_DONE.captures(&text))
    {
        return Intent::SetCompleted {
            target: parse_ref(&c["target"]),
            completed: true,
        };
    }
    if LIST_START.is_match(&text) && (LIST_WORDS.is_match(&text) || PENDING_WORDS.is_match(&text))
        || is_bare_list(&text)
    {
        return Intent::List(list_status(&text));
    }
    if let Some(c) = ADD.captures(&text).or_else(|| REMEMBER.captures(&text)) {
        let (title, description) = split_description(&c["title"]);
        if !title.is_empty() {
            return Intent::Add { title, description };
        }
    }
    Intent::Unknown
}

fn is_bare_list(text: &str) -> bool {
    let t = text.to_lowercase();
    matches!(
        t.as_str(),
        "tasks"
            | "my tasks"
            | "all tasks"
            | "all my tasks"
            | "list"
            | "todo"
            | "todos"
            | "my list"
            | "my todo list"
            | "pending"
            | "pending tasks"
            | "completed"
            | "completed tasks"
            | "done"
    )
}

fn list_status(text: &str) -> ListStatus {
    let t = text.to_lowercase();
    if t.contains(" all ") || t.starts_with("all ") || t.contains("everything") {
        return ListStatus::All;
    }
    if PENDING_WORDS.is_match(&t) {
        ListStatus::Pending
    } else if COMPLETED_WORDS.is_match(&t) {
        ListStatus::Completed
    } else {
        ListStatus::All
    }
}

// ---------------------------------------------------------------------------------------------
// fuzzy title matching

const STOPWORDS: &[&str] = &[
    "the", "a", "an", "my", "to", "task", "tasks", "todo", "item", "for", "of", "and", "on", "in",
    "with", "one", "about", "that", "this", "some", "up", "at",
];

fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    let n = w.chars().count();
    for (suffix, min) in [("ing", 6), ("ies", 5), ("es", 5), ("ed", 5), ("s", 4)] {
        if n >= min && w.ends_with(suffix) {
            let base = &w[..w.len() - suffix.len()];
            return if suffix == "ies" {
                format!("{base}y")
            } else {
                base.to_owned()
            };
        }
    }
    w
}

fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn word_matches(q: &str, t: &str) -> bool {
    if q == t {
        return true;
    }
    let (ql, tl) = (q.chars().count(), t.chars().count());
    if ql >= 4 && tl >= 4 && (q.starts_with(t) || t.starts_with(q)) {
        return true;
    }
    ql >= 5 && tl >= 5 && edit_distance(q, t) <= 1
}

/// How well `query` names a task titled `title` (0..=1).
pub fn match_score(query: &str, title: &str) -> f64 {
    let q = tokens(query);
    let t = tokens(title);
    if q.is_empty() || t.is_empty() {
        return 0.0;
    }
    let hits = q
        .iter()
        .filter(|qw| t.iter().any(|tw| word_matches(qw, tw)))
        .count();
    let coverage = hits as f64 / q.len() as f64;
    // tie-break towards titles the query covers more completely
    let precision = hits as f64 / t.len() as f64;
    coverage * 0.9 + precision.min(1.0) * 0.1
}

#[derive(Clone, Debug)]
struct TaskRow {
    id: i64,
    title: String,
    completed: bool,
}

fn task_rows(value: &Value) -> Vec<TaskRow> {
    value
        .as_array()
        .or_else(|| value.get("tasks").and_then(Value::as_array))
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    Some(TaskRow {
                        id: r.get("id")?.as_i64()?,
                        title: r.get("title")?.as_str()?.to_owned(),
                        completed: r.get("completed").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// execution

struct Turn<'a, T: Tools> {
    tools: &'a T,
    events: Option<&'a EventSink>,
    records: Vec<ToolCallRecord>,
}

enum Resolved {
    Task(i64),
    Reply(String),
}

impl<'a, T: Tools> Turn<'a, T> {
    async fn call(&mut self, name: &str, args: Value) -> Result<crate::ToolOutcome, AgentError> {
        let id = format!("call_local_{}", self.records.len() + 1);
        match call_tool(self.tools, id, name, args, self.events).await {
            Ok((record, outcome)) => {
                self.records.push(record);
                Ok(outcome)
            }
            Err(e) => Err(AgentError {
                kind: FailureKind::ToolsUnavailable,
                detail: e.0,
                tool_calls: self.records.clone(),
            }),
        }
    }

    async fn list(&mut self, status: ListStatus) -> Result<Vec<TaskRow>, AgentError> {
        let out = self
            .call("list_tasks", json!({ "status": status.as_str() }))
            .await?;
        Ok(task_rows(&out.value))
    }

    /// Finds the task a reference names, or the reply to give when it can't.
    async fn resolve(
        &mut self,
        target: &TaskRef,
        prefer_pending: Option<bool>,
    ) -> Result<Resolved, AgentError> {
        let query = match target {
            TaskRef::Id(id) => return Ok(Resolved::Task(*id)),
            TaskRef::Text(q) => q.clone(),
        };
        let rows = self.list(ListStatus::All).await?;
        if rows.is_empty() {
            return Ok(Resolved::Reply(
                "You don't have any tasks yet. Try \"add a task to buy groceries\".".into(),
            ));
        }
        let mut scored: Vec<(f64, &TaskRow)> = rows
            .iter()
            .map(|r| (match_score(&query, &r.title), r))
            .filter(|(s, _)| *s >= 0.45)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        let Some(&(best, _)) = scored.first() else {
            return Ok(Resolved::Reply(format!(
                "I couldn't find a task matching \"{query}\". Your tasks: {}. Which one did you mean?",
                rows.iter()
                    .take(8)
                    .map(|r| format!("{}. {}", r.id, r.title))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        };
        let mut top: Vec<&TaskRow> = scored
            .iter()
            .filter(|(s, _)| best - *s < 0.05)
            .map(|(_, r)| *r)
            .collect();
        if top.len() > 1
            && let Some(want_pending) = prefer_pending
        {
            let preferred: Vec<&TaskRow> = top
                .iter()
                .copied()
                .filter(|r| r.completed != want_pending)
                .collect();
            if !preferred.is_empty() {
                top = preferred;
            }
        }
        if top.len() == 1 {
            return Ok(Resolved::Task(top[0].id));
        }
        top.sort_by_key(|r| r.id);
        Ok(Resolved::Reply(format!(
            "{CLARIFY_PREFIX} I found {} tasks matching \"{query}\": {}. Reply with the task number.",
            top.len(),
            top.iter()
                .take(8)
                .map(|r| format!("task {} \"{}\"", r.id, r.title))
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    fn title_of(outcome: &crate::ToolOutcome) -> String {
        outcome
            .value
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    }

    fn tool_error_reply(id: i64, outcome: &crate::ToolOutcome) -> String {
        if outcome.text.to_lowercase().contains("not found") {
            format!("I couldn't find task {id}. Say \"show my tasks\" to see your task numbers.")
        } else {
            format!("I couldn't do that: {}", outcome.text)
        }
    }

    async fn execute(&mut self, intent: Intent) -> Result<String, AgentError> {
        match intent {
            Intent::Add { title, description } => {
                let mut args = json!({ "title": title });
                if let Some(d) = &description {
                    args["description"] = json!(d);
                }
                let out = self.call("add_task", args).await?;
                if out.is_error {
                    return Ok(format!("I couldn't add that task: {}", out.text));
                }
                let id = out.value.get("task_id").and_then(Value::as_i64).unwrap_or(0);
                Ok(format!(
                    "I've added \"{}\" to your tasks (task {id}).",
                    Self::title_of(&out)
                ))
            }
            Intent::List(status) => {
                let rows = self.list(status).await?;
                Ok(render_list(status, &rows))
            }
            Intent::SetCompleted { target, completed } => {
                let id = match self.resolve(&target, Some(completed)).await? {
                    Resolved::Task(id) => id,
                    Resolved::Reply(r) => return Ok(r),
                };
                let out = self
                    .call("complete_task", json!({ "task_id": id, "completed": completed }))
                    .await?;
                if out.is_error {
                    return Ok(Self::tool_error_reply(id, &out));
                }
                let title = Self::title_of(&out);
                Ok(if completed {
                    format!("Done! I marked task {id} \"{title}\" as complete.")
                } else {
                    format!("I reopened task {id} \"{title}\"; it's pending again.")
                })
            }
            Intent::Delete { target } => {
                let id = match self.resolve(&target, None).await? {
                    Resolved::Task(id) => id,
                    Resolved::Reply(r) => return Ok(r),
                };
                let out = self.call("delete_task", json!({ "task_id": id })).await?;
                if out.is_error {
                    return Ok(Self::tool_error_reply(id, &out));
                }
                Ok(format!("I deleted task {id} \"{}\".", Self::title_of(&out)))
            }
            Intent::Update {
                target,
                title,
                description,
            } => {
                let id = match self.resolve(&target, None).await? {
                    Resolved::Task(id) => id,
                    Resolved::Reply(r) => return Ok(r),
                };
                let mut args = json!({ "task_id": id });
                if let Some(t) = &title {
                    args["title"] = json!(t);
                }
                if let Some(d) = &description {
                    args["description"] = json!(d);
                }
                let out = self.call("update_task", args).await?;
                if out.is_error {
                    return Ok(Self::tool_error_reply(id, &out));
                }
                Ok(match (title, description) {
                    (Some(_), _) => format!(
                        "I updated task {id}: it's now \"{}\".",
                        Self::title_of(&out)
                    ),
                    _ => format!(
                        "I updated the description of task {id} \"{}\".",
                        Self::title_of(&out)
                    ),
                })
            }
            Intent::Greet => Ok(
                "Hi! I can add, list, complete, rename and delete your tasks. Try \"add a task to buy groceries\" or \"what's pending?\"."
                    .into(),
            ),
            Intent::Help => Ok(HELP_TEXT.into()),
            Intent::Unknown => Ok(format!(
                "Sorry, I didn't understand that. {HELP_TEXT}"
            )),
        }
    }
}

const HELP_TEXT: &str = "Here's what I can do:\n\
- add a task: \"add a task to buy groceries\" or \"remind me to pay bills\"\n\
- show tasks: \"show me all my tasks\", \"what's pending?\", \"what have I completed?\"\n\
- complete: \"mark task 3 as complete\" or \"I finished buying groceries\"\n\
- rename: \"change task 1 to 'Call mom tonight'\"\n\
- delete: \"delete the meeting task\"";

fn render_list(status: ListStatus, rows: &[TaskRow]) -> String {
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

/// If the previous assistant message asked which task was meant and this message answers it,
/// the original request with the chosen task.
fn answer_to_clarification(history: &[HistoryMessage], text: &str) -> Option<Intent> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn add(t: &str) -> Intent {
        Intent::Add {
            title: t.into(),
            description: None,
        }
    }

    #[test]
    fn parses_the_spec_commands() {
        assert_eq!(parse("Add a task to buy groceries"), add("buy groceries"));
        assert_eq!(parse("I need to remember to pay bills"), add("pay bills"));
        assert_eq!(parse("Show me all my tasks"), Intent::List(ListStatus::All));
        assert_eq!(parse("What's pending?"), Intent::List(ListStatus::Pending));
        assert_eq!(
            parse("What have I completed?"),
            Intent::List(ListStatus::Completed)
        );
        assert_eq!(
            parse("Mark task 3 as complete"),
            Intent::SetCompleted {
                target: TaskRef::Id(3),
                completed: true
            }
        );
        assert_eq!(
            parse("I finished buying groceries"),
            Intent::SetCompleted {
                target: TaskRef::Text("buying groceries".into()),
                completed: true
            }
        );
        assert_eq!(
            parse("Delete the meeting task"),
            Intent::Delete {
                target: TaskRef::Text("meeting".into())
            }
        );
        assert_eq!(
            parse("Change task 1 to 'Call mom tonight'"),
            Intent::Update {
                target: TaskRef::Id(1),
                title: Some("Call mom tonight".into()),
                description: None
            }
        );
    }

    #[test]
    fn parses_everyday_variants() {
        assert_eq!(parse("add buy milk to my list"), add("buy milk"));
        assert_eq!(
            parse("please add task: call the plumber"),
            add("call the plumber")
        );
        assert_eq!(
            parse("Remind me to water the plants."),
            add("water the plants")
        );
        assert_eq!(
            parse("create a todo for dentist appointment"),
            add("dentist appointment")
        );
        assert_eq!(
            parse("add a task to buy groceries with description milk, eggs"),
            Intent::Add {
                title: "buy groceries".into(),
                description: Some("milk, eggs".into())
            }
        );
        assert_eq!(parse("list my tasks"), Intent::List(ListStatus::All));
        assert_eq!(
            parse("what do I still have to do?"),
            Intent::List(ListStatus::Pending)
        );
        assert_eq!(
            parse("show completed tasks"),
            Intent::List(ListStatus::Completed)
        );
        assert_eq!(parse("tasks"), Intent::List(ListStatus::All));
        assert_eq!(
            parse("task 2 is done"),
            Intent::SetCompleted {
                target: TaskRef::Id(2),
                completed: true
            }
        );
        assert_eq!(
            parse("complete #4"),
            Intent::SetCompleted {
                target: TaskRef::Id(4),
                completed: true
            }
        );
        assert_eq!(
            parse("mark task 5 as not done"),
            Intent::SetCompleted {
                target: TaskRef::Id(5),
                completed: false
            }
        );
        assert_eq!(
            parse("reopen task 2"),
            Intent::SetCompleted {
                target: TaskRef::Id(2),
                completed: false
            }
        );
        assert_eq!(
            parse("remove task 7"),
            Intent::Delete {
                target: TaskRef::Id(7)
            }
        );
        assert_eq!(
            parse("rename the groceries task to buy food"),
            Intent::Update {
                target: TaskRef::Text("groceries".into()),
                title: Some("buy food".into()),
                description: None
            }
        );
        assert_eq!(
            parse("change the description of task 2 to bring the slides"),
            Intent::Update {
                target: TaskRef::Id(2),
                title: None,
                description: Some("bring the slides".into())
            }
        );
        assert_eq!(parse("hello!"), Intent::Greet);
        assert_eq!(unquote("“"), "“");
        assert_eq!(unquote("'"), "'");
        assert_eq!(parse("add “"), add("“"));
        assert_eq!(parse("help"), Intent::Help);
        assert_eq!(parse("the weather is nice"), Intent::Unknown);
    }

    #[test]
    fn fuzzy_matching_prefers_the_closest_title() {
        assert!(match_score("buying groceries", "Buy groceries") > 0.9);
        assert!(match_score("meeting", "Team meeting at 10") > 0.45);
        assert!(match_score("meeting", "Buy groceries") < 0.45);
        assert!(
            match_score("grocries", "Buy groceries") > 0.45,
            "one typo is fine"
        );
        assert!(
            match_score("buy groceries", "Buy groceries")
                > match_score("buy groceries", "Buy groceries for the party")
        );
    }

    #[test]
    fn clarification_answers_complete_the_original_request() {
        let history = vec![
            HistoryMessage::user("delete the meeting task"),
            HistoryMessage::assistant(
                format!(
                    "{CLARIFY_PREFIX} I found 2 tasks matching \"meeting\": task 2 \"Team meeting\", task 5 \"Meeting with Bob\". Reply with the task number."
                ),
                vec![],
            ),
            HistoryMessage::user("the second one"),
        ];
        assert_eq!(
            answer_to_clarification(&history, "the second one"),
            Some(Intent::Delete {
                target: TaskRef::Id(5)
            })
        );
        assert_eq!(
            answer_to_clarification(&history, "task 2"),
            Some(Intent::Delete {
                target: TaskRef::Id(2)
            })
        );
        assert_eq!(answer_to_clarification(&history, "show my tasks"), None);
    }
}
