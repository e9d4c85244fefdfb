//! The offline planner against its corpus (tests/corpus/*.txt): every phrasing runs through the
//! real MCP tools on a real SQLite store, from its starting tasks; the mutating tool calls and the
//! tasks afterwards must be exactly the expected ones, and — zero tolerance — no task other than
//! the ones the case names may change.
//!
//! Corpus format, one case per line:
//! `@tasks Buy milk | Call mom | x Team meeting` sets the starting tasks of the cases below it
//! (numbered from 1; `x ` marks a completed one). A case is `message >> next message => ops`,
//! where ops are `;`-separated: `add TITLE`, `complete N`, `reopen N`, `delete N`,
//! `title N NEW`, `desc N TEXT`, `set N {DETAILS}` (priority, tags, due date, repetition), or `-`
//! for no change; `add TITLE {DETAILS}` adds with details; `next TITLE {DETAILS}` is the next
//! occurrence the store creates when a recurring task is completed. DETAILS are `key=value` words:
//! `priority=high`, `tags=work+home`, `due=2026-11-27T17:00+05:00` (or `due=none`),
//! `recurrence=weekly` (or `none`). A starting task may carry them too (`Pay rent {due=…}`).
//! `~ TEXT` after the ops requires the last reply to contain TEXT (`~ !TEXT`: not contain); there
//! may be several.
//!
//! Every turn runs at a fixed instant in the user's time zone: `@clock 2026-11-25T10:00:00Z
//! Asia/Karachi` (the default: a Wednesday, 15:00 in Karachi) changes it for the cases below.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use todobot_agent::{HistoryMessage, ToolCallRecord, local};
use todobot_mcp::McpClient;
use todobot_store::{DbOptions, NewUser, StatusFilter, Store, TaskDetails, decode_tags};

/// Priority, tags, due date and repetition, as `key=value` words in a stable order.
type Details = BTreeMap<String, String>;

#[derive(Clone, Debug, PartialEq)]
struct TaskState {
    title: String,
    description: Option<String>,
    completed: bool,
    details: Details,
}

/// A due date written in the corpus or sent by the planner, as a UTC minute.
fn norm_due(raw: &str) -> String {
    if raw.is_empty() || raw == "none" {
        return "none".into();
    }
    DateTime::parse_from_rfc3339(raw)
        .or_else(|_| DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M%:z"))
        .map(|d| d.with_timezone(&Utc).format("%Y-%m-%dT%H:%MZ").to_string())
        .unwrap_or_else(|_| format!("bad date {raw}"))
}

/// `Title {k=v k=v}` → the title and its details.
fn split_details(text: &str) -> (String, Details) {
    let Some((title, rest)) = text.split_once(" {") else {
        return (text.trim().to_owned(), Details::new());
    };
    let details = rest
        .trim_end_matches('}')
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let v = if k == "due" {
                norm_due(v)
            } else {
                v.to_owned()
            };
            (k.to_owned(), v)
        })
        .collect();
    (title.trim().to_owned(), details)
}

fn show_details(d: &Details) -> String {
    if d.is_empty() {
        return String::new();
    }
    let words: Vec<String> = d.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(" {{{}}}", words.join(" "))
}

/// The details a tool call's arguments set.
fn arg_details(args: &serde_json::Value) -> Details {
    let mut d = Details::new();
    if let Some(p) = args.get("priority").and_then(|v| v.as_str()) {
        d.insert("priority".into(), p.to_owned());
    }
    if let Some(t) = args.get("tags").and_then(|v| v.as_array()) {
        let tags: Vec<&str> = t.iter().filter_map(|v| v.as_str()).collect();
        d.insert(
            "tags".into(),
            if tags.is_empty() {
                "none".into()
            } else {
                tags.join("+")
            },
        );
    }
    if let Some(due) = args.get("due_at").and_then(|v| v.as_str()) {
        d.insert("due".into(), norm_due(due));
    }
    if let Some(r) = args.get("recurrence").and_then(|v| v.as_str()) {
        d.insert("recurrence".into(), r.to_owned());
    }
    d
}

/// Details applied to a task's state (`none` removes; medium is the default priority).
fn apply_details(state: &mut Details, change: &Details) {
    for (k, v) in change {
        if v == "none" || (k == "priority" && v == "medium") {
            state.remove(k);
        } else {
            state.insert(k.clone(), v.clone());
        }
    }
}

type State = BTreeMap<i64, TaskState>;

#[derive(Debug)]
struct Case {
    file: String,
    line: usize,
    start: Vec<(String, bool)>,
    clock: local::Clock,
    messages: Vec<String>,
    ops: Vec<String>,
    reply_checks: Vec<String>,
}

fn default_clock() -> local::Clock {
    clock_of("2026-11-25T10:00:00Z Asia/Karachi").unwrap_or_else(local::Clock::utc_now)
}

fn clock_of(spec: &str) -> Option<local::Clock> {
    let (now, tz) = spec.trim().split_once(' ')?;
    Some(local::Clock::new(
        DateTime::parse_from_rfc3339(now).ok()?.with_timezone(&Utc),
        tz.trim().parse().ok()?,
    ))
}

fn parse_corpus(file: &str, text: &str) -> Vec<Case> {
    let mut start = Vec::new();
    let mut clock = default_clock();
    let mut cases = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(spec) = line.strip_prefix("@clock") {
            clock = clock_of(spec).unwrap_or_else(|| panic!("{file}:{}: bad @clock", i + 1));
            continue;
        }
        if let Some(tasks) = line.strip_prefix("@tasks") {
            start = tasks
                .split('|')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| match t.strip_prefix("x ") {
                    Some(done) => (done.to_owned(), true),
                    None => (t.to_owned(), false),
                })
                .collect();
            continue;
        }
        let (messages, expected) = line
            .split_once("=>")
            .unwrap_or_else(|| panic!("{file}:{}: no =>", i + 1));
        let mut parts = expected.split('~');
        let ops = parts.next().unwrap_or("");
        let reply_checks = parts.map(|r| r.trim().to_owned()).collect();
        cases.push(Case {
            file: file.to_owned(),
            line: i + 1,
            start: start.clone(),
            clock,
            messages: messages.split(">>").map(|m| m.trim().to_owned()).collect(),
            ops: ops
                .split(';')
                .map(str::trim)
                .filter(|o| !o.is_empty() && *o != "-")
                .map(str::to_owned)
                .collect(),
            reply_checks,
        });
    }
    cases
}

/// The expected state after `ops`, the expected mutating calls (as text), and the ids they touch.
fn apply(start: &State, ops: &[String]) -> (State, Vec<String>, Vec<i64>) {
    let mut state = start.clone();
    let mut calls = Vec::new();
    let mut touched = Vec::new();
    let mut next = start.keys().max().copied().unwrap_or(0) + 1;
    for op in ops {
        let (verb, rest) = op.split_once(' ').unwrap_or((op, ""));
        let (id, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        let id: i64 = id.parse().unwrap_or(0);
        match verb {
            "add" | "next" => {
                let (title, added) = split_details(rest);
                let mut details = Details::new();
                apply_details(&mut details, &added);
                // `next`: the next occurrence of a recurring task, created by the store (no call)
                if verb == "add" {
                    calls.push(format!("add_task {title}{}", show_details(&added)));
                }
                state.insert(
                    next,
                    TaskState {
                        title,
                        description: None,
                        completed: false,
                        details,
                    },
                );
                next += 1;
            }
            "set" => {
                let (_, change) = split_details(&format!("task {arg}"));
                if let Some(t) = state.get_mut(&id) {
                    apply_details(&mut t.details, &change);
                }
                calls.push(format!("update_task {id}{}", show_details(&change)));
                touched.push(id);
            }
            "complete" | "reopen" => {
                let done = verb == "complete";
                if let Some(t) = state.get_mut(&id) {
                    t.completed = done;
                }
                calls.push(format!("complete_task {id} {done}"));
                touched.push(id);
            }
            "delete" => {
                state.remove(&id);
                calls.push(format!("delete_task {id}"));
                touched.push(id);
            }
            "title" | "desc" => {
                if let Some(t) = state.get_mut(&id) {
                    if verb == "title" {
                        t.title = arg.to_owned();
                    } else {
                        t.description = Some(arg.to_owned());
                    }
                }
                calls.push(format!("update_task {id} {verb} {arg}"));
                touched.push(id);
            }
            other => panic!("unknown op {other}"),
        }
    }
    (state, calls, touched)
}

fn call_text(r: &ToolCallRecord) -> Option<String> {
    let id = r
        .arguments
        .get("task_id")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    let s = |k: &str| {
        r.arguments
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    Some(match r.name.as_str() {
        "add_task" => format!(
            "add_task {}{}",
            s("title"),
            show_details(&arg_details(&r.arguments))
        ),
        "complete_task" => format!(
            "complete_task {id} {}",
            r.arguments
                .get("completed")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true)
        ),
        "delete_task" => format!("delete_task {id}"),
        "update_task" if r.arguments.get("title").is_some() => {
            format!("update_task {id} title {}", s("title"))
        }
        "update_task" if r.arguments.get("description").is_some() => {
            format!("update_task {id} desc {}", s("description"))
        }
        "update_task" => format!(
            "update_task {id}{}",
            show_details(&arg_details(&r.arguments))
        ),
        _ => return None,
    })
}

async fn state_of(store: &Store, user: &str) -> State {
    store
        .list_tasks(user, StatusFilter::All, None, 0)
        .await
        .expect("list")
        .into_iter()
        .map(|t| {
            let mut details = Details::new();
            match t.priority {
                0 => details.insert("priority".into(), "low".into()),
                2 => details.insert("priority".into(), "high".into()),
                _ => None,
            };
            let tags = decode_tags(&t.tags);
            if !tags.is_empty() {
                details.insert("tags".into(), tags.join("+"));
            }
            if let Some(due) = t.due_at {
                details.insert("due".into(), norm_due(&due.to_rfc3339()));
            }
            if let Some(r) = t.recurrence {
                details.insert("recurrence".into(), r);
            }
            (
                t.id,
                TaskState {
                    title: t.title,
                    description: t.description,
                    completed: t.completed,
                    details,
                },
            )
        })
        .collect()
}

/// Runs one case; `Err` says what went wrong, and whether an unintended task changed.
async fn run_case(store: &Store, n: usize, case: &Case) -> Result<(), (bool, String)> {
    let user = store
        .create_user(NewUser {
            email: format!("corpus{n}@example.com"),
            name: "Corpus".into(),
            password_hash: None,
            image: None,
        })
        .await
        .expect("user");
    for (text, done) in &case.start {
        let (title, d) = split_details(text);
        let details = TaskDetails {
            priority: d
                .get("priority")
                .map_or(Ok(Default::default()), |p| p.parse())
                .expect("priority"),
            tags: d
                .get("tags")
                .map(|t| t.split('+').map(str::to_owned).collect())
                .unwrap_or_default(),
            due_at: d.get("due").map(|due| {
                DateTime::parse_from_rfc3339(&due.replace('Z', ":00Z"))
                    .expect("due")
                    .with_timezone(&Utc)
            }),
            recurrence: d.get("recurrence").map(|r| r.parse().expect("recurrence")),
        };
        let t = store
            .create_task_with(&user.id, &title, None, details)
            .await
            .expect("task");
        if *done {
            store
                .set_task_completed(&user.id, t.id, Some(true))
                .await
                .expect("complete");
        }
    }
    let start = state_of(store, &user.id).await;
    let client = McpClient::in_process(store.clone(), &user.id)
        .await
        .expect("mcp");
    let mut history = Vec::new();
    let mut calls = Vec::new();
    let mut reply = String::new();
    for m in &case.messages {
        history.push(HistoryMessage::user(m.clone()));
        let out = local::run_at(&client, &history, None, case.clock)
            .await
            .map_err(|e| (false, format!("turn failed: {e}")))?;
        calls.extend(
            out.tool_calls
                .iter()
                .filter(|r| !r.is_error)
                .filter_map(call_text),
        );
        reply = out.reply.clone();
        history.push(HistoryMessage::assistant(out.reply, out.tool_calls));
    }
    let (expected, expected_calls, touched) = apply(&start, &case.ops);
    let after = state_of(store, &user.id).await;
    let stray: Vec<i64> = start
        .keys()
        .filter(|id| !touched.contains(id) && after.get(id) != start.get(id))
        .copied()
        .collect();
    if !stray.is_empty() {
        return Err((
            true,
            format!("UNINTENDED change to tasks {stray:?}; calls {calls:?}; reply {reply:?}"),
        ));
    }
    if calls != expected_calls || after != expected {
        return Err((
            false,
            format!("calls {calls:?}, expected {expected_calls:?}; reply {reply:?}"),
        ));
    }
    for want in &case.reply_checks {
        let ok = match want.strip_prefix('!') {
            Some(not) => !reply.contains(not.trim()),
            None => reply.contains(want.as_str()),
        };
        if !ok {
            return Err((false, format!("reply {reply:?} fails the check {want:?}")));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_phrasing_acts_exactly_as_expected_and_never_on_another_task() {
    let dir = std::env::temp_dir().join(format!(
        "todobot-corpus-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("corpus.db").display());
    let store = Store::connect(&DbOptions::new(url)).await.expect("store");
    store.migrate().await.expect("migrate");

    let corpus_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&corpus_dir)
        .expect("corpus dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        cases.extend(parse_corpus(
            &name,
            &std::fs::read_to_string(f).expect("read corpus"),
        ));
    }
    let (mut failures, mut unintended) = (Vec::new(), 0);
    let mut per_file: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (n, case) in cases.iter().enumerate() {
        let entry = per_file.entry(case.file.clone()).or_default();
        entry.0 += 1;
        match run_case(&store, n, case).await {
            Ok(()) => entry.1 += 1,
            Err((stray, why)) => {
                unintended += usize::from(stray);
                failures.push(format!(
                    "{}:{} {:?}: {why}",
                    case.file, case.line, case.messages
                ));
            }
        }
    }
    println!("planner corpus: {} phrasings", cases.len());
    for (file, (total, ok)) in &per_file {
        println!("  {file}: {ok}/{total} as expected");
    }
    println!("  actions on an unintended task: {unintended}");
    for f in &failures {
        println!("  FAIL {f}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(cases.len() >= 200, "the corpus has {} cases", cases.len());
    assert_eq!(unintended, 0, "the planner acted on an unintended task");
    assert!(
        failures.is_empty(),
        "{} corpus cases failed",
        failures.len()
    );
}
