//! Matching a title reference against the user's task titles — safe first: a task matches only
//! when every content word of the reference matches one of its title words (fuzzy per word, so
//! typos pass but "Call dad" never finds "Call mom").

use serde_json::Value;

const STOPWORDS: &[&str] = &[
    "the", "a", "an", "my", "to", "task", "tasks", "todo", "todos", "item", "for", "of", "and",
    "on", "in", "with", "one", "about", "that", "this", "some", "up", "at", "it", "is", "as",
    "thing", "reminder", // Urdu and Roman Urdu function words
    "کا", "کی", "کے", "والا", "والی", "والے", "کام", "ٹاسک", "کو", "میرا", "میری", "میرے", "ka",
    "ki", "ke", "wala", "wali", "wale", "kaam", "ko", "mera", "meri", "mere",
];

/// Past forms people use in statements ("I bought milk") and their base.
const IRREGULAR: &[(&str, &str)] = &[
    ("bought", "buy"),
    ("paid", "pay"),
    ("went", "go"),
    ("wrote", "write"),
    ("written", "write"),
    ("sent", "send"),
    ("made", "make"),
    ("took", "take"),
    ("taken", "take"),
    ("got", "get"),
    ("met", "meet"),
    ("fed", "feed"),
    ("did", "do"),
    ("done", "do"),
    ("ran", "run"),
    ("brought", "bring"),
    ("gave", "give"),
    ("sold", "sell"),
    ("told", "tell"),
    ("found", "find"),
    ("left", "leave"),
    ("kept", "keep"),
    ("swept", "sweep"),
    ("ate", "eat"),
    ("drove", "drive"),
    ("picked", "pick"),
    ("called", "call"),
];

fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    if let Some((_, base)) = IRREGULAR.iter().find(|(past, _)| *past == w) {
        return (*base).to_owned();
    }
    let n = w.chars().count();
    for (suffix, min) in [("ing", 6), ("ies", 5), ("es", 5), ("ed", 5), ("s", 4)] {
        if n >= min && w.is_ascii() && w.ends_with(suffix) {
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

/// The content words of a text, stemmed.
pub(super) fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// Optimal-string-alignment distance (a swap of two neighbours counts as one edit).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Edits allowed for a word of this length: none below 4 characters, 1 from 4, 2 from 8.
pub(super) fn allowed_typos(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn word_matches(q: &str, t: &str) -> bool {
    if q == t {
        return true;
    }
    let len = q.chars().count().min(t.chars().count());
    edit_distance(q, t) <= allowed_typos(len)
}

/// Whether every content word of `query` matches a word of `title`.
pub(super) fn names(query: &str, title: &str) -> bool {
    let q = tokens(query);
    let t = tokens(title);
    !q.is_empty() && q.iter().all(|qw| t.iter().any(|tw| word_matches(qw, tw)))
}

/// How well `query` names a task titled `title` (0..=1): 0 unless every content word matches;
/// then higher for titles the query covers more completely.
pub fn match_score(query: &str, title: &str) -> f64 {
    if !names(query, title) {
        return 0.0;
    }
    let q = tokens(query).len() as f64;
    let t = tokens(title).len().max(1) as f64;
    0.5 + 0.5 * (q / t).min(1.0)
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct TaskRow {
    pub id: i64,
    pub title: String,
    pub completed: bool,
    pub priority: String,
    pub tags: Vec<String>,
    pub due_at: Option<String>,
    pub overdue: bool,
}

pub(super) fn task_rows(value: &Value) -> Vec<TaskRow> {
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
                        priority: r
                            .get("priority")
                            .and_then(Value::as_str)
                            .unwrap_or("medium")
                            .to_owned(),
                        tags: r
                            .get("tags")
                            .and_then(Value::as_array)
                            .map(|t| {
                                t.iter()
                                    .filter_map(|v| v.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        due_at: r.get("due_at").and_then(Value::as_str).map(str::to_owned),
                        overdue: r.get("overdue").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The tasks a title reference names. `want_completed` (the state the action would set) narrows
/// several candidates to those the action would change, when that leaves exactly one.
pub(super) fn candidates<'a>(
    query: &str,
    rows: &'a [TaskRow],
    want_completed: Option<bool>,
) -> Vec<&'a TaskRow> {
    let all: Vec<&TaskRow> = rows.iter().filter(|r| names(query, &r.title)).collect();
    if all.len() <= 1 {
        return all;
    }
    // a title the reference names exactly (every title word too) beats longer titles
    let exact: Vec<&TaskRow> = all
        .iter()
        .copied()
        .filter(|r| names(&r.title, query))
        .collect();
    if exact.len() == 1 {
        return exact;
    }
    if let Some(want) = want_completed {
        let changing: Vec<&TaskRow> = all
            .iter()
            .copied()
            .filter(|r| r.completed != want)
            .collect();
        if changing.len() == 1 {
            return changing;
        }
    }
    all
}
