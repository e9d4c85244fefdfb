//! Fuzzy matching of a title reference against the user's task titles.

use serde_json::Value;

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
pub(super) struct TaskRow {
    pub id: i64,
    pub title: String,
    pub completed: bool,
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
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
