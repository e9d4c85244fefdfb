//! Priority, due date, repetition and tags in plain words: said with a new task ("add a high
//! priority task to pay rent due friday"), asked about ("what's due this week?", "show my high
//! priority tasks", "find tasks about the report", "sort by due date") or changed ("tag task 2 as
//! work", "set task 3 priority to high", "task 4 is due tomorrow").
//!
//! Conservative by rule — a title keeps its words unless they are clearly a detail:
//! - only the **end** of a title is read for details, and only in these shapes: "due/by/on/before
//!   <date>", a self-dating phrase ("tomorrow", "today", "tonight", "next friday", "this friday",
//!   "in 3 days", "at 5pm"), "every <day|weekday|week|month|monday…>", "repeat(ing) daily/…",
//!   "(with) high/low/medium priority", "tagged <words>" or trailing "#tags";
//!   a bare weekday or month date ("buy friday snacks", "buy snacks friday") stays in the title,
//!   and so do "weekly"/"daily" on their own ("call the weekly standup organiser");
//! - a date phrase written with capitals ("watch The Day After Tomorrow") is part of a title, and
//!   so is everything in a quoted title;
//! - what is left must still be a title (at least one word), or nothing is taken.

use super::{
    Intent, StatusFilter, TaskRef,
    dates::{Day, Range, WEEKDAY, When, parse_when, self_marking},
    pattern::{Captures, pattern},
    refs::{parse_ref, unquote},
};

/// Details said with a new task.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details {
    pub priority: Option<&'static str>,
    pub due: Option<When>,
    pub recurrence: Option<&'static str>,
    pub tags: Vec<String>,
}

impl Details {
    pub fn is_empty(&self) -> bool {
        *self == Details::default()
    }
}

/// A filtered or ordered list.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub status: StatusFilter,
    pub priority: Option<&'static str>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub due: Option<Range>,
    pub overdue: bool,
    pub sort: Option<&'static str>,
}

/// A change to one task's details. `due: Some(None)` removes the due date, `recurrence:
/// Some(None)` stops the repetition, `remove_tags: Some([])` removes every tag.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetDetails {
    pub priority: Option<&'static str>,
    pub due: Option<Option<When>>,
    pub recurrence: Option<Option<&'static str>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Option<Vec<String>>,
}

const POLITE: &str = r"^(?:(?:hey|hi|ok|okay|so|and|also|then|now)[,!]?\s+)*(?:(?:please|pls|can you|could you|would you|will you|kindly)\s+)*";
const PRIO: &str = r"(?:high|low|medium|normal|top|urgent)";
const TAGS: &str = r"#?[\w-]+(?:(?:\s*,\s*|\s+and\s+|\s+)#?[\w-]+)*";
const RECUR: &str = r"(?:daily|weekly|monthly|every\s+(?:day|weekday|week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|on\s+weekdays|weekdays)";

pattern!(
    PRIORITY_ADD,
    &format!(
        r"{POLITE}(?P<verb>add|create|make|new)\s+(?:(?:a|an|another|one|new)\s+)*(?:(?P<p>{PRIO})[- ]priority|(?P<u>urgent|important))\s+(?:task|todo|to-do|item|reminder)s?\b\s*(?:to|for|:|-|called|named|titled)?\s*(?P<title>.+)$"
    )
);
pattern!(
    REMIND_EVERY,
    &format!(
        r"{POLITE}(?:remind me|add a (?:recurring |repeating )?(?:task|reminder))\s+(?P<r>every\s+(?:day|weekday|week|month|{WEEKDAY}))(?:\s+(?:at\s+)?(?P<time>\d{{1,2}}(?::\d{{2}})?\s*(?:am|pm)|\d{{1,2}}:\d{{2}}))?\s+to\s+(?P<title>.+)$"
    )
);
pattern!(
    REMIND_WHEN,
    &format!(r"{POLITE}remind me\s+(?P<when>.+?)\s+to\s+(?P<title>.+)$")
);
pattern!(
    TAIL_PRIORITY,
    &format!(
        r"(?:\s*,\s*|\s+)(?:(?:with|as|at)\s+)?(?:a\s+)?(?P<p>{PRIO})[- ]priority$|\s*\((?P<p2>{PRIO})(?:[- ]priority)?\)$|\s*,\s*(?:priority\s*:?\s*)(?P<p3>{PRIO})$"
    )
);
pattern!(
    TAIL_TAGS,
    r"(?:\s*,\s*|\s+)(?:tagged|tags?:|with (?:the )?tags?|labell?ed)\s+(?P<tags>#?[\w-]+(?:(?:\s*,\s*|\s+and\s+)#?[\w-]+)*)$|(?P<hash>(?:\s+#[a-z][\w-]*)+)$"
);
pattern!(
    TAIL_RECUR,
    &format!(
        r"(?:\s*,\s*|\s+)(?:(?:repeat(?:s|ing)?|recurring)\s+(?P<r1>daily|weekly|monthly|every\s+\w+|on weekdays)|(?P<r2>(?:every|each)\s+(?:day|weekday|week|month|{WEEKDAY}))(?:\s+(?:at\s+)?(?P<time>\d{{1,2}}(?::\d{{2}})?\s*(?:am|pm)|\d{{1,2}}:\d{{2}}))?)$"
    )
);
pattern!(DUE_MARKER, r"^(?:due|by|on|before)$");
pattern!(
    FIND_START,
    r"^(?:(?:please|pls|can you|could you)\s+)*(?:show|list|display|view|give|get|what|what's|whats|which|do i have|anything|any|is there anything|are there any|is anything|are any|tell me|how many)\b"
);
pattern!(
    OVERDUE,
    r"\b(?:overdue|late|past due|past their due date)\b"
);
pattern!(
    DUE_RANGE,
    r"\bdue\b(?:\s+(?P<r>today|tomorrow|this week|next week|soon|this weekend|in the next (?:7|seven) days))?"
);
pattern!(
    PRIORITY_WORD,
    &format!(r"\b(?P<p>{PRIO})[- ]priority\b|\b(?P<u>urgent|important)\b")
);
pattern!(
    TAG_WORD,
    r"\b(?:tagged|with (?:the )?tag|labell?ed)\s+#?(?P<tag>[\w-]+)|(?:^|\s)#(?P<hash>[\w-]+)"
);
pattern!(
    SORT_BY,
    r"^(?:(?:please|pls|can you|could you)\s+)*(?:sort|order|arrange)\s+(?:(?:my|the|all|them|it)\s+)*(?:tasks?\s+|todos?\s+|list\s+)?by\s+(?P<key>.+?)(?:\s+(?P<ord>first|asc|desc|ascending|descending))?$|\b(?:sorted|ordered|sort|order)\s+by\s+(?P<key2>due dates?|due|deadlines?|priority|importance|titles?|names?|creation|created|newest|oldest)(?:\s+(?P<ord2>first|asc|desc|ascending|descending))?"
);
pattern!(
    SEARCH,
    r"^(?:(?:please|pls|can you|could you)\s+)*(?:find|search(?:\s+for)?|look\s+(?:for|up)|show(?:\s+me)?|list|any)\s+(?:(?:my|all|the|me)\s+)*(?:tasks?|todos?|items?)\s+(?:about|mentioning|containing|matching|related to|regarding|that mention|with the words?)\s+(?P<q>.+)$|^(?:(?:please|pls|can you|could you)\s+)*(?:find|search(?:\s+(?:my\s+)?(?:tasks\s+)?for)?|look\s+for)\s+(?P<q2>.+)$"
);

pattern!(
    SET_TAG,
    &format!(
        r"{POLITE}tag\s+(?P<target>.+?)\s+(?:as|with)\s+(?P<tags>{TAGS})$|{POLITE}(?:add|put)\s+(?:the\s+)?tags?\s+(?P<tags2>{TAGS})\s+(?:to|on)\s+(?P<target2>.+)$"
    )
);
pattern!(
    SET_UNTAG,
    &format!(
        r"{POLITE}untag\s+(?P<tags>{TAGS})\s+from\s+(?P<target>.+)$|{POLITE}remove\s+(?:the\s+)?(?:tags?\s+(?P<tags2>{TAGS})|(?P<tags3>#?[\w-]+)\s+tag)\s+from\s+(?P<target2>.+)$|{POLITE}(?:untag\s+|remove\s+(?:all\s+)?(?:the\s+)?tags\s+from\s+)(?P<target3>.+)$"
    )
);
pattern!(
    SET_PRIORITY,
    &format!(
        r"{POLITE}(?:set|change|make|mark|update|put)\s+(?:the\s+)?priority\s+(?:of|for|on)\s+(?P<target>.+?)\s+(?:to|as|at)\s+(?P<p>{PRIO})(?:[- ]priority)?$|{POLITE}(?:set|change|update|make)\s+(?P<target2>.+?)(?:'s)?\s+priority\s+(?:to\s+|as\s+)?(?P<p2>{PRIO})$|{POLITE}(?:make|mark|set|flag)\s+(?P<target3>.+?)\s+(?:as\s+|to\s+)?(?:a\s+)?(?P<p3>{PRIO})[- ]priority$|^(?P<target4>.+?)\s+is\s+(?:now\s+)?(?:a\s+)?(?P<p4>{PRIO})[- ]priority$"
    )
);
pattern!(
    SET_DUE,
    &format!(
        r"{POLITE}(?:set|change|move|update|make)\s+(?:the\s+)?(?:due date|deadline)\s+(?:of|for|on)\s+(?P<target>.+?)\s+(?:to|as)\s+(?P<when>.+)$|{POLITE}(?:set|change|update)\s+(?P<target2>.+?)(?:'s)?\s+(?:due date|deadline)\s+(?:to\s+)?(?P<when2>.+)$|^(?P<target3>.+?)\s+(?:is|are)\s+(?:now\s+)?due\s+(?P<when3>.+)$|{POLITE}make\s+(?P<target4>.+?)\s+due\s+(?P<when4>.+)$|{POLITE}(?:move|reschedule|postpone|push)\s+(?P<target5>.+?)\s+(?:to|till|until)\s+(?P<when5>.+)$"
    )
);
pattern!(
    CLEAR_DUE,
    r"^(?:(?:please|pls|can you|could you)\s+)*(?:remove|clear|delete|drop)\s+(?:the\s+)?(?:due date|deadline)\s+(?:of|from|for|on)\s+(?P<target>.+)$|^(?P<target2>.+?)\s+(?:has|is)\s+no (?:longer )?(?:due date|deadline|due)$"
);
pattern!(
    SET_RECUR,
    &format!(
        r"{POLITE}(?:make|set)\s+(?P<target>.+?)\s+(?:to\s+)?(?:repeat|recur)s?\s+(?P<r>{RECUR})$|^(?P<target2>.+?)\s+(?:repeats|recurs|should repeat)\s+(?P<r2>{RECUR})$|{POLITE}(?:stop repeating|don'?t repeat|stop)\s+(?P<target3>.+?)(?:\s+(?:from\s+)?repeating)?$"
    )
);
pattern!(
    COMMAND_START,
    r"^(?:add|create|make|put|new|insert|remind|remember|note|i|we|please|can|could|would|show|list|what|what's|whats|which|when|how|is|are|any|anything|do|does|delete|remove|mark|complete|rename|change)\b"
);

fn priority(word: &str) -> &'static str {
    match word.to_lowercase().as_str() {
        "high" | "top" | "urgent" | "important" => "high",
        "low" => "low",
        _ => "medium",
    }
}

fn recurrence(phrase: &str) -> Option<(&'static str, Option<Day>)> {
    let p = phrase.to_lowercase();
    let p = p
        .trim_start_matches("every ")
        .trim_start_matches("each ")
        .trim_start_matches("on ")
        .trim();
    Some(match p {
        "daily" | "day" => ("daily", None),
        "weekly" | "week" => ("weekly", None),
        "monthly" | "month" => ("monthly", None),
        "weekday" | "weekdays" => ("weekdays", None),
        other => {
            let when = parse_when(other)?;
            match when.day {
                Some(d @ Day::Weekday { .. }) if when.time.is_none() => ("weekly", Some(d)),
                _ => return None,
            }
        }
    })
}

fn tags_of(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .map(|t| t.trim().trim_start_matches('#').to_lowercase())
        .filter(|t| !t.is_empty() && t != "and")
        .collect()
}

fn has_capitals(phrase: &str) -> bool {
    phrase.split_whitespace().any(|w| {
        w.chars().any(char::is_uppercase)
            && parse_when(&w.to_lowercase())
                .is_none_or(|d| !matches!(d.day, Some(Day::Weekday { .. })))
            && !is_month(w)
            && !w.to_lowercase().ends_with("am")
            && !w.to_lowercase().ends_with("pm")
    })
}

fn is_month(word: &str) -> bool {
    let w = word.to_lowercase();
    [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .any(|m| w.starts_with(m))
        && w.chars().all(char::is_alphabetic)
}

/// A due date at the end of a title: `(title before it, when)`.
fn tail_due(title: &str) -> Option<(String, When)> {
    let words: Vec<&str> = title.split_whitespace().collect();
    for i in 1..words.len() {
        let phrase = words[i..].join(" ");
        let marker = DUE_MARKER.is_match(words[i - 1]);
        if !marker && !self_marking(&phrase) {
            continue;
        }
        let Some(when) = parse_when(&phrase) else {
            continue;
        };
        let mut keep = if marker { i - 1 } else { i };
        if has_capitals(&words[keep..].join(" ")) {
            continue;
        }
        // "due on friday", "prepare slides for tomorrow"
        while keep > 0
            && matches!(
                words[keep - 1].to_lowercase().as_str(),
                "due" | "for" | "is" | "it's" | "which" | "that"
            )
        {
            keep -= 1;
        }
        let rest = words[..keep].join(" ");
        let rest = rest.trim_end_matches([',', '-', ' ']).trim().to_owned();
        if !rest.is_empty() {
            return Some((rest, when));
        }
    }
    None
}

/// Takes details off the end of a new task's title (see the module's rules).
pub(super) fn split_details(title: &str) -> (String, Details) {
    let original = title.trim().to_owned();
    let mut title = original.clone();
    let mut details = Details::default();
    if title.starts_with(['"', '\'', '“', '‘']) {
        return (unquote(&title), details);
    }
    loop {
        let before = title.clone();
        if details.priority.is_none()
            && let Some(c) = TAIL_PRIORITY.captures(&title)
        {
            let p = c.name("p").or(c.name("p2")).or(c.name("p3"));
            details.priority = p.map(|p| priority(p.as_str()));
            title = title[..c.get(0).map_or(title.len(), |m| m.start())].to_owned();
        }
        if details.tags.is_empty()
            && let Some(c) = TAIL_TAGS.captures(&title)
        {
            let raw = c.name("tags").or(c.name("hash")).map_or("", |m| m.as_str());
            details.tags = tags_of(raw);
            title = title[..c.get(0).map_or(title.len(), |m| m.start())].to_owned();
        }
        if details.recurrence.is_none()
            && let Some(c) = TAIL_RECUR.captures(&title)
            && let Some((rule, day)) =
                recurrence(c.name("r1").or(c.name("r2")).map_or("", |m| m.as_str()))
        {
            details.recurrence = Some(rule);
            let time = c
                .name("time")
                .and_then(|t| parse_when(t.as_str()))
                .and_then(|w| w.time);
            if day.is_some() || time.is_some() {
                details.due = Some(When { day, time });
            }
            title = title[..c.get(0).map_or(title.len(), |m| m.start())].to_owned();
        }
        if details.due.is_none()
            && let Some((rest, when)) = tail_due(&title)
        {
            details.due = Some(when);
            title = rest;
        }
        title = title
            .trim()
            .trim_end_matches([',', ';', '-'])
            .trim()
            .to_owned();
        if title == before {
            break;
        }
    }
    if title.is_empty() {
        return (unquote(&original), Details::default());
    }
    (unquote(&title), details)
}

/// "add a high priority task to X": the priority, and the message without it.
pub(super) fn priority_slot(text: &str) -> Option<(&'static str, String)> {
    let c = PRIORITY_ADD.captures(text)?;
    let p = c.name("p").or(c.name("u"))?;
    Some((priority(p.as_str()), format!("add {}", &c["title"])))
}

/// "remind me every monday to water the plants".
pub(super) fn remind_every(text: &str) -> Option<Intent> {
    let Some(c) = REMIND_EVERY.captures(text) else {
        return remind_when(text);
    };
    let (rule, day) = recurrence(&c["r"])?;
    let (title, mut details) = split_details(&c["title"]);
    if title.is_empty() {
        return None;
    }
    let time = c
        .name("time")
        .and_then(|t| parse_when(t.as_str()))
        .and_then(|w| w.time);
    details.recurrence = Some(rule);
    if details.due.is_none() && (day.is_some() || time.is_some()) {
        details.due = Some(When { day, time });
    }
    Some(Intent::Add {
        title,
        description: None,
        details,
    })
}

/// "remind me tomorrow at 9am to call mom", "remind me on friday to pay rent".
fn remind_when(text: &str) -> Option<Intent> {
    let c = REMIND_WHEN.captures(text)?;
    let raw = c["when"].trim();
    let when = parse_when(raw.strip_prefix("on ").unwrap_or(raw))?;
    let (title, mut details) = split_details(&c["title"]);
    if title.is_empty() {
        return None;
    }
    details.due = Some(when);
    Some(Intent::Add {
        title,
        description: None,
        details,
    })
}

fn sort_key(raw: &str) -> Option<&'static str> {
    let k = raw.to_lowercase();
    let k = k.trim_start_matches("the ").trim();
    Some(match k {
        "due date" | "due dates" | "due" | "deadline" | "deadlines" | "date" | "dates" => "due",
        "priority" | "importance" => "priority",
        "title" | "titles" | "name" | "names" | "alphabet" => "title",
        "creation" | "created" | "date created" | "newest" | "oldest" => "created",
        _ => return None,
    })
}

/// A list with filters, a search, or an order; `None` when the message asks for none of them.
pub(super) fn parse_find(text: &str, status: StatusFilter) -> Option<Query> {
    let mut q = Query {
        status,
        priority: None,
        tag: None,
        search: None,
        due: None,
        overdue: false,
        sort: None,
    };
    if let Some(c) = SEARCH.captures(text) {
        let raw = c.name("q").or(c.name("q2"))?.as_str();
        let words: Vec<&str> = raw
            .split_whitespace()
            .filter(|w| !matches!(w.to_lowercase().as_str(), "the" | "a" | "an" | "my"))
            .collect();
        if words.is_empty() {
            return None;
        }
        q.search = Some(unquote(&words.join(" ")));
        return Some(q);
    }
    if let Some(c) = SORT_BY.captures(text) {
        q.sort = Some(sort_key(c.name("key").or(c.name("key2"))?.as_str())?);
        if SORT_BY.find(text).is_some_and(|m| m.start() == 0) {
            return Some(q);
        }
    }
    if !FIND_START.is_match(text) {
        return None;
    }
    let lower = text.to_lowercase();
    q.overdue = OVERDUE.is_match(&lower);
    if let Some(c) = DUE_RANGE.captures(&lower) {
        q.due = Some(match c.name("r").map(|r| r.as_str()) {
            Some("today") => Range::Today,
            Some("tomorrow") => Range::Tomorrow,
            Some("this week") | Some("this weekend") => Range::ThisWeek,
            Some("next week") => Range::NextWeek,
            _ => Range::Soon,
        });
    }
    if let Some(c) = PRIORITY_WORD.captures(&lower) {
        q.priority = c.name("p").or(c.name("u")).map(|p| priority(p.as_str()));
    }
    if let Some(c) = TAG_WORD.captures(&lower) {
        q.tag = c
            .name("tag")
            .or(c.name("hash"))
            .map(|t| t.as_str().to_owned());
    }
    if q.overdue || q.due.is_some() {
        q.status = StatusFilter::Pending;
        q.sort = q.sort.or(Some("due"));
    }
    let any = q.overdue || q.due.is_some() || q.priority.is_some() || q.tag.is_some();
    (any || q.sort.is_some()).then_some(q)
}

/// A target a detail change may act on: a task reference, not the start of another command
/// ("add pay rent which is due friday" is an add, not a change to a rent task).
fn target(raw: &str) -> Option<TaskRef> {
    let raw = raw.trim();
    if raw.is_empty() || COMMAND_START.is_match(raw) || raw.split_whitespace().count() > 6 {
        return None;
    }
    Some(parse_ref(raw))
}

fn set(raw_target: &str, change: SetDetails) -> Option<Intent> {
    Some(Intent::Set {
        target: target(raw_target)?,
        change,
    })
}

fn due_phrase(raw: &str) -> Option<When> {
    let raw = raw.trim();
    let raw = ["on ", "by ", "for "]
        .iter()
        .find_map(|p| raw.strip_prefix(p))
        .unwrap_or(raw);
    parse_when(raw)
}

/// "tag task 2 as work", "set task 3 priority to high", "task 4 is due tomorrow", …
pub(super) fn parse_set(text: &str) -> Option<Intent> {
    let g = |c: &Captures<'_>, names: &[&str]| {
        names
            .iter()
            .find_map(|n| c.name(n))
            .map(|m| m.as_str().to_owned())
    };
    if let Some(c) = SET_UNTAG.captures(text) {
        let tags = g(&c, &["tags", "tags2", "tags3"]).map_or_else(Vec::new, |t| tags_of(&t));
        let change = SetDetails {
            remove_tags: Some(tags),
            ..SetDetails::default()
        };
        return set(&g(&c, &["target", "target2", "target3"])?, change);
    }
    if let Some(c) = SET_TAG.captures(text) {
        let change = SetDetails {
            add_tags: tags_of(&g(&c, &["tags", "tags2"])?),
            ..SetDetails::default()
        };
        return set(&g(&c, &["target", "target2"])?, change);
    }
    if let Some(c) = SET_PRIORITY.captures(text) {
        let change = SetDetails {
            priority: Some(priority(&g(&c, &["p", "p2", "p3", "p4"])?)),
            ..SetDetails::default()
        };
        return set(
            &g(&c, &["target", "target2", "target3", "target4"])?,
            change,
        );
    }
    if let Some(c) = CLEAR_DUE.captures(text) {
        let change = SetDetails {
            due: Some(None),
            ..SetDetails::default()
        };
        return set(&g(&c, &["target", "target2"])?, change);
    }
    if let Some(c) = SET_RECUR.captures(text) {
        let stop = c.name("target3").is_some();
        let rule = match g(&c, &["r", "r2"]) {
            Some(r) => Some(recurrence(&r)?),
            None => None,
        };
        let change = SetDetails {
            recurrence: Some(rule.map(|r| r.0)),
            due: rule.and_then(|r| r.1).map(|day| {
                Some(When {
                    day: Some(day),
                    time: None,
                })
            }),
            ..SetDetails::default()
        };
        if stop && !text.to_lowercase().contains("repeat") {
            return None;
        }
        return set(&g(&c, &["target", "target2", "target3"])?, change);
    }
    let c = SET_DUE.captures(text)?;
    let when = due_phrase(&g(&c, &["when", "when2", "when3", "when4", "when5"])?)?;
    let change = SetDetails {
        due: Some(Some(when)),
        ..SetDetails::default()
    };
    set(
        &g(&c, &["target", "target2", "target3", "target4", "target5"])?,
        change,
    )
}
