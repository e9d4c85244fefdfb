//! Parsing one message into [`Intent`]s.

use super::{
    Details, Intent, StatusFilter, TaskRef,
    details::{parse_find, parse_set, priority_slot, remind_every, split_details},
    pattern::pattern,
    refs::{self, normalise, parse_ref, unquote},
    urdu, urdu_details,
};

const POLITE: &str = r"^(?:(?:hey|hi|ok|okay|so|and|also|then|now)[,!]?\s+)*(?:(?:please|pls|can you|could you|would you|will you|kindly)\s+)*";

pattern!(
    ADD,
    &format!(
        r"{POLITE}(?:add|create|make|put|new|insert|write down|jot down|note down)\s+(?:(?:a|an|another|one|more|new)\s+)*(?:(?:task|todo|to-do|to do|item|reminder|entry)s?\b)?\s*(?:(?:to|for|called|named|titled|saying|that says)\b|:|-)?\s*(?P<title>.+?)(?:\s+(?:to|on|in|onto)\s+(?:my|the)\s+(?:todo |to-do |to do |task )?(?:list|tasks|todos))?$"
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
        r"{POLITE}(?:change|rename|update|edit|modify|retitle)\s+(?:the\s+(?:title|name)\s+(?:of|for)\s+)?(?P<target>.+?)(?:'s\s+(?:title|name))?\s+(?:to|as|into|:)\s*(?P<new>.+)$"
    )
);
pattern!(
    LIST_START,
    r"^(?:(?:please|pls|can you|could you|would you)\s+)*(?:show|list|display|see|view|print|give|tell|get|what|what's|whats|which|how many|do i have|anything|check)\b"
);
pattern!(
    LIST_WORDS,
    r"\b(?:tasks?|todos?|to-dos?|list|pending|completed|done|finished|left|remaining|agenda|plate|schedule|everything)\b"
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
    ADD_NOTE,
    &format!(
        r"{POLITE}(?:add|put|attach|write|leave)\s+(?:a\s+|the\s+)?(?:note|description|details|comment)\s+(?:to|on|for)\s+(?P<target>.+?)\s*(?::|saying|that says|-|,)\s*(?P<new>.+)$"
    )
);
pattern!(
    ADD_WHOLE,
    &format!(r"{POLITE}(?P<title>(?:set up|schedule|book|organi[sz]e|arrange)\s+.+)$")
);
pattern!(
    RENAME_BARE,
    &format!(
        r"{POLITE}(?:rename|retitle|change the (?:title|name) of|change the name of)\s+(?P<target>.+)$"
    )
);
pattern!(
    QUESTION,
    r"^(?:(?:is|are|was|were|did|does|do i|have i|has|had i)\b|.*\b(?:check|see|tell me|know|find out|verify)\s+(?:if|whether)\s+)"
);
pattern!(
    QUESTION_LEAD,
    r"^(?:.*\b(?:check|see|tell me|know|find out|verify)\s+(?:if|whether)\s+|is|are|was|were|did|does|has|have|had)\s*(?:i\s+(?:already\s+)?)?(?:(?:finished|completed|done with|done|finish|complete|do)\s+)?"
);
pattern!(
    QUESTION_TAIL,
    r"(?:\s+(?:is|are|was|has been|been))?(?:\s+(?:already|yet|now|still))?(?:\s+(?:done|complete|completed|finished|pending|open|finish|complete))?(?:\s+(?:already|yet))?$"
);
pattern!(
    LIST_QUESTION,
    r"^(?:(?:any|anything|all|my|tasks?|todos?|everything|pending|left|there|still|to do|i|have|do)\s*)+$"
);
pattern!(TASK_WORD, r"\b(?:task|todo|to-do|item|reminder)s?\b");
pattern!(
    YES,
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|confirm|confirmed|do it|go ahead|yes please|yes,? delete it|please do|correct|right|ہاں|جی|جی ہاں|ہاں جی|haan|han|haa|ji|ji haan|jee)$"
);
pattern!(
    NO,
    r"^(?:no|nope|nah|don'?t|do not|cancel|stop|keep it|never ?mind|no thanks|نہیں|nahi|nahin|na|mat karo)$"
);
pattern!(
    UNDO,
    r"^(?:(?:please|pls|oops|oh no|wait)[,!]?\s+)*(?:undo|revert|reverse|take back|roll back)(?:\s+(?:that|it|this|the last (?:one|change|thing)|what you (?:just )?did))?(?:\s+please)?$|^(?:wapas karo|wapas kar do|undo karo|undo kar do|واپس کرو|واپس کر دو)$"
);
pattern!(
    TOO,
    r"^(?:(?:and|also|plus)\s+)?(?P<target>.+?)\s+(?:too|as well|also)$|^(?:and|also|plus)\s+(?P<target2>(?:task|no\.?|number|#)\s*\S+|#\d+)$"
);
pattern!(
    STATEMENT,
    r"^(?:(?:ok|okay|so|yay|great)[,!]?\s+)?i\s+(?:just\s+|already\s+|finally\s+)?(?P<verb>[a-z]+ed|bought|paid|went|wrote|sent|made|took|got|met|fed|ran|brought|gave|sold|told|found|swept|ate|drove)\s+(?P<rest>.+)$"
);
pattern!(
    CLAUSE_SPLIT,
    r"\s*[,;]\s*(?:and\s+)?(?:then\s+|also\s+)?|\s+and\s+(?:then\s+|also\s+)?|\s+then\s+"
);
pattern!(
    VERB_START,
    r"^(?:please\s+)?(?:add|create|mark|complete|finish|delete|remove|rename|change|update|show|list|tick|check off|reopen|uncheck|remind me|tag|untag)\b"
);

pattern!(
    DESCRIPTION_SPLIT,
    r"\s*(?:,\s*|\s+)(?:with (?:the )?(?:description|details|note)|described as|description:|details:|note:)\s*:?\s*"
);

/// Verbs of statements that are not about having done a task.
const NOT_DONE_VERBS: &[&str] = &[
    "need",
    "needed",
    "wanted",
    "added",
    "created",
    "deleted",
    "decided",
    "started",
    "forgot",
    "planned",
    "scheduled",
    "tried",
    "hoped",
    "wished",
    "wondered",
    "liked",
    "loved",
    "hated",
    "used",
    "asked",
    "renamed",
    "changed",
    "updated",
    "removed",
    "moved",
    "noticed",
];

pub(super) fn trim_message(text: &str) -> String {
    text.trim()
        .trim_end_matches(['.', '!', '?', ' ', '۔', '؟'])
        .trim()
        .to_owned()
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

/// Parses one message: one intent, or several for "add X and mark task 2 done".
pub fn parse(message: &str) -> Intent {
    let text = normalise(&trim_message(message));
    let clauses = split_clauses(&text);
    if clauses.len() > 1 {
        let intents: Vec<Intent> = clauses.iter().map(|c| parse_one(c)).collect();
        if intents.iter().all(|i| *i != Intent::Unknown) {
            return Intent::Many(intents);
        }
    }
    parse_one(&text)
}

/// Splits "add X and mark task 2 done" before each later command verb.
fn split_clauses(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut start = 0;
    for m in CLAUSE_SPLIT.find_iter(text) {
        let rest = &text[m.end()..];
        if m.start() > start && VERB_START.is_match(rest) {
            parts.push(text[start..m.start()].to_owned());
            start = m.end();
        }
    }
    parts.push(text[start..].to_owned());
    parts
}

fn parse_one(text: &str) -> Intent {
    let text = trim_message(text);
    if text.is_empty() {
        return Intent::Unknown;
    }
    if let Some(intent) = urdu_details::parse(&text) {
        return intent;
    }
    if let Some(intent) = urdu::parse(&text) {
        return intent;
    }
    if let Some(intent) = parse_set(&text) {
        return intent;
    }
    if let Some(query) = parse_find(&text, list_status(&text)) {
        return Intent::Find(query);
    }
    if let Some(intent) = parse_conversational(&text) {
        return intent;
    }
    if let Some(intent) = parse_update(&text) {
        return intent;
    }
    if let Some(intent) = parse_state(&text) {
        return intent;
    }
    if let Some(c) = DELETE.captures(&text) {
        return Intent::Delete {
            target: parse_ref(&c["target"]),
        };
    }
    if let Some(intent) = parse_done(&text) {
        return intent;
    }
    if LIST_START.is_match(&text) && (LIST_WORDS.is_match(&text) || PENDING_WORDS.is_match(&text))
        || is_bare_list(&text)
    {
        return Intent::List(list_status(&text));
    }
    parse_add(&text)
}

/// Help, greetings, yes/no, undo, "task 3 too", and questions (which never change anything).
fn parse_conversational(text: &str) -> Option<Intent> {
    if HELP.is_match(text) {
        return Some(Intent::Help);
    }
    if YES.is_match(text) {
        return Some(Intent::Confirm(true));
    }
    if NO.is_match(text) {
        return Some(Intent::Confirm(false));
    }
    if GREETING.is_match(text) {
        return Some(Intent::Greet);
    }
    if UNDO.is_match(text) {
        return Some(Intent::Undo);
    }
    if let Some(c) = TOO.captures(text) {
        let raw = c.name("target").or_else(|| c.name("target2"))?.as_str();
        let target = parse_ref(raw);
        let short_words = raw.split_whitespace().count() <= 4 && parse_one(raw) == Intent::Unknown;
        if matches!(target, TaskRef::Id(_) | TaskRef::Position(_))
            || matches!(target, TaskRef::Text(_)) && short_words
        {
            return Some(Intent::Too { target });
        }
    }
    if QUESTION.is_match(text) {
        let lead = QUESTION_LEAD.find(text).map_or(0, |m| m.end());
        let rest = QUESTION_TAIL.remove_first(&text[lead..]).trim().to_owned();
        if rest.is_empty()
            || LIST_QUESTION.is_match(&rest)
            || text.to_lowercase().contains("anything")
        {
            return Some(Intent::List(list_status(text)));
        }
        return Some(Intent::Ask {
            target: parse_ref(&rest),
        });
    }
    None
}

fn parse_update(text: &str) -> Option<Intent> {
    if let Some(c) = ADD_NOTE
        .captures(text)
        .or_else(|| UPDATE_DESCRIPTION.captures(text))
        .or_else(|| UPDATE_DESCRIPTION_2.captures(text))
    {
        return Some(Intent::Update {
            target: parse_ref(&c["target"]),
            title: None,
            description: Some(unquote(&c["new"])),
        });
    }
    if MARK.is_match(text) {
        return None;
    }
    if let Some(c) = UPDATE_TITLE.captures(text) {
        let (title, description) = split_description(&c["new"]);
        if !title.is_empty() && names_a_task(text, &c["target"]) {
            return Some(Intent::Update {
                target: parse_ref(&c["target"]),
                title: Some(title),
                description,
            });
        }
    }
    let c = RENAME_BARE.captures(text)?;
    Some(Intent::Update {
        target: parse_ref(&c["target"]),
        title: None,
        description: None,
    })
}

/// "change X to Y" renames only when X is clearly a task ("task 3", "the milk task", a quoted
/// title) or the verb is "rename": "change the budget to 5000" is not a rename of a budget task.
fn names_a_task(text: &str, target: &str) -> bool {
    let lower = text.to_lowercase();
    let target = target.to_lowercase();
    lower.contains("rename")
        || lower.contains("retitle")
        || lower.contains("title")
        || lower.contains("name")
        || refs::number(&target).is_some()
        || TASK_WORD.is_match(&target)
        || target.starts_with(['"', '\'', '“', '‘'])
}

fn parse_state(text: &str) -> Option<Intent> {
    if let Some(c) = MARK.captures(text) {
        let state = c["state"].to_lowercase();
        let completed = matches!(
            state.as_str(),
            "complete" | "completed" | "done" | "finished"
        );
        return Some(Intent::SetCompleted {
            target: parse_ref(&c["target"]),
            completed,
        });
    }
    let c = REOPEN.captures(text)?;
    Some(Intent::SetCompleted {
        target: parse_ref(&c["target"]),
        completed: false,
    })
}

fn parse_done(text: &str) -> Option<Intent> {
    if let Some(c) = COMPLETE
        .captures(text)
        .or_else(|| FINISHED.captures(text))
        .or_else(|| IS_DONE.captures(text))
    {
        return Some(Intent::SetCompleted {
            target: parse_ref(&c["target"]),
            completed: true,
        });
    }
    let c = STATEMENT.captures(text)?;
    let verb = c["verb"].to_lowercase();
    if NOT_DONE_VERBS.contains(&verb.as_str()) {
        return None;
    }
    Some(Intent::SetCompleted {
        target: TaskRef::Text(format!("{verb} {}", &c["rest"])),
        completed: true,
    })
}

fn parse_add(text: &str) -> Intent {
    if let Some(intent) = remind_every(text) {
        return intent;
    }
    if let Some((priority, rest)) = priority_slot(text) {
        return match parse_add(&rest) {
            Intent::Add {
                title,
                description,
                mut details,
            } => {
                details.priority = Some(priority);
                Intent::Add {
                    title,
                    description,
                    details,
                }
            }
            other => other,
        };
    }
    if let Some(c) = ADD_WHOLE.captures(text) {
        let (title, details) = split_details(&c["title"]);
        return Intent::Add {
            title,
            description: None,
            details,
        };
    }
    let Some(c) = ADD.captures(text).or_else(|| REMEMBER.captures(text)) else {
        return Intent::Unknown;
    };
    let raw = c["title"].trim();
    let (title, description) = split_description(raw);
    // a title in quotes is the user's exact words
    let (title, details) = if raw.starts_with(['"', '“']) && raw.ends_with(['"', '”']) {
        (title, Details::default())
    } else {
        split_details(&title)
    };
    if title.is_empty() {
        return Intent::Unknown;
    }
    let items = split_items(&title);
    if description.is_none() && items.len() > 1 {
        return Intent::Many(
            items
                .into_iter()
                .map(|title| Intent::Add {
                    title,
                    description: None,
                    details: details.clone(),
                })
                .collect(),
        );
    }
    Intent::Add {
        title,
        description,
        details,
    }
}

/// "milk and eggs" → two items; "call mom and dad" stays one (the parts differ in shape), and so
/// does a long sentence.
pub(super) fn split_items(title: &str) -> Vec<String> {
    let parts: Vec<String> = title
        .split(", and ")
        .flat_map(|p| p.split(" and "))
        .flat_map(|p| p.split(", "))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return vec![title.to_owned()];
    }
    let words = |p: &String| p.split_whitespace().count();
    let all_single = parts.iter().all(|p| words(p) == 1);
    // short verb phrases ("buy stamps and post the letter"); a long sentence stays one task
    let all_multi = parts.iter().all(|p| (2..=3).contains(&words(p)));
    if all_single || all_multi {
        parts
    } else {
        vec![title.to_owned()]
    }
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

pub(super) fn list_status(text: &str) -> StatusFilter {
    let t = text.to_lowercase();
    if t.contains(" all ") || t.starts_with("all ") || t.contains("everything") {
        return StatusFilter::All;
    }
    if PENDING_WORDS.is_match(&t) {
        StatusFilter::Pending
    } else if COMPLETED_WORDS.is_match(&t) {
        StatusFilter::Completed
    } else {
        StatusFilter::All
    }
}
