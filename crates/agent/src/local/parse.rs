//! Parsing one message into an [`Intent`].

use std::sync::LazyLock;

use regex::Regex;

use super::{Intent, ListStatus, TaskRef};

fn re(pattern: &str) -> Regex {
    // patterns are constants; a typo is caught by the unit tests
    Regex::new(&format!("(?i){pattern}")).unwrap_or_else(|e| panic!("bad pattern {pattern}: {e}"))
}

macro_rules! pattern {
    ($name:ident, $p:expr) => {
        pub(super) static $name: LazyLock<Regex> = LazyLock::new(|| re($p));
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

pub(super) fn trim_message(text: &str) -> String {
    text.trim()
        .trim_end_matches(['.', '!', '?', ' '])
        .trim()
        .to_owned()
}

/// Removes matching quotes around a title the user quoted.
pub(super) fn unquote(s: &str) -> String {
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

pub(super) fn parse_ref(raw: &str) -> TaskRef {
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

pub(super) fn split_description(title: &str) -> (String, Option<String>) {
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
