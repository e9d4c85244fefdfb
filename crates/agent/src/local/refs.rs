//! Task references ("task 3", "task three", "#5", "the first one", "it", "the milk task") and the
//! normalising of a message before parsing (Urdu digits, typos in the command verb).

use super::{TaskRef, matching::allowed_typos, matching::edit_distance, pattern::pattern};

const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

const ORDINALS: &[(&str, isize)] = &[
    ("first", 1),
    ("1st", 1),
    ("second", 2),
    ("2nd", 2),
    ("third", 3),
    ("3rd", 3),
    ("fourth", 4),
    ("4th", 4),
    ("fifth", 5),
    ("5th", 5),
    ("sixth", 6),
    ("6th", 6),
    ("seventh", 7),
    ("7th", 7),
    ("eighth", 8),
    ("8th", 8),
    ("ninth", 9),
    ("9th", 9),
    ("tenth", 10),
    ("10th", 10),
    ("last", -1),
];

pattern!(
    NUMBER_REF,
    r"^(?:(?:the|my)\s+)?(?:(?:task|todo|to-do|item|number|no\.?|#|kaam|کام|ٹاسک)\s*)?#?(?:number\s+|no\.?\s*|نمبر\s*)?(?P<n>\d{1,18})(?:\s+(?:task|item|one|number|nambar|نمبر))?$"
);
pattern!(
    NUMBER_WORD_REF,
    r"^(?:the\s+)?(?:task|todo|to-do|item|number|no\.?|#)\s*(?:number\s+)?(?P<w>[a-z]+)$"
);
pattern!(
    ORDINAL_REF,
    r"^(?:the\s+)?(?:very\s+)?(?P<o>[a-z0-9]+)(?:\s+(?:one|task|item|todo|entry))?(?:\s+(?:on|in) (?:the|my) list)?$"
);
pattern!(
    PRONOUN_REF,
    r"^(?:it|that|this|that one|this one|that task|this task|the same one|same one|the same task|ise|usay|use|اسے|اس کو|یہ|وہ)$"
);

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

/// A task number in a reference ("task 3", "#3", "no. 3", "task three").
pub(super) fn number(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if let Some(c) = NUMBER_REF.captures(raw) {
        return c["n"].parse().ok();
    }
    let c = NUMBER_WORD_REF.captures(raw)?;
    let w = c["w"].to_lowercase();
    NUMBER_WORDS
        .iter()
        .position(|n| *n == w)
        .and_then(|i| i64::try_from(i).ok())
        .filter(|n| *n > 0)
}

/// A position ("the first one" = 1, "the last one" = -1).
pub(super) fn ordinal(raw: &str) -> Option<isize> {
    let c = ORDINAL_REF.captures(raw.trim())?;
    let o = c["o"].to_lowercase();
    ORDINALS.iter().find(|(w, _)| *w == o).map(|(_, n)| *n)
}

pub(super) fn parse_ref(raw: &str) -> TaskRef {
    let raw = unquote(raw.trim());
    if let Some(n) = number(&raw) {
        return TaskRef::Id(n);
    }
    if PRONOUN_REF.is_match(&raw) {
        return TaskRef::Last;
    }
    if let Some(p) = ordinal(&raw) {
        return TaskRef::Position(p);
    }
    let mut text = raw.as_str();
    for prefix in ["the ", "my ", "that ", "this "] {
        if text.len() > prefix.len()
            && text
                .get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        {
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

/// Command verbs a typo of which is corrected ("delte" → "delete").
const VERBS: &[&str] = &[
    "add", "create", "delete", "remove", "complete", "finish", "mark", "rename", "change",
    "update", "show", "list", "reopen", "remind", "erase", "cancel", "uncheck", "display",
];

/// Words never treated as a typo of a verb.
const KEEP: &[&str] = &[
    "make", "made", "mask", "park", "marks", "show", "shop", "list", "lost", "last", "lust",
    "change", "chance", "charge", "range", "remote", "remained", "reply", "compete", "remember",
    "finish", "finnish", "added", "adds", "update", "upgrade", "cancel", "parcel", "create",
    "crate", "creates", "delete", "deletes", "delay", "remind", "rewind", "remain", "display",
    "disable", "erase", "raise", "read",
];

fn fix_word(w: &str) -> Option<&'static str> {
    let lower = w.to_lowercase();
    if matches!(lower.as_str(), "ad" | "addd" | "aad") {
        return Some("add");
    }
    let n = lower.chars().count();
    if n < 4 || KEEP.contains(&lower.as_str()) || VERBS.contains(&lower.as_str()) {
        return None;
    }
    VERBS
        .iter()
        .copied()
        .find(|v| v.len() >= 4 && edit_distance(&lower, v) <= allowed_typos(n.min(v.len())))
}

/// Urdu/Persian digits as ASCII digits, and a typo in the command verb corrected.
pub(super) fn normalise(text: &str) -> String {
    let digits: String = text
        .chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            _ => c,
        })
        .collect();
    let mut words: Vec<String> = digits.split(' ').map(str::to_owned).collect();
    let skip = [
        "please", "pls", "ok", "okay", "now", "and", "also", "then", "so",
    ];
    if let Some(first) = words
        .iter_mut()
        .find(|w| !skip.contains(&w.to_lowercase().as_str()))
        && let Some(fixed) = fix_word(first)
    {
        *first = fixed.to_owned();
    }
    words.join(" ")
}
