//! The user's time zone reaches both models (issue 16): loaded from the store by the signed-in
//! user's id at the start of each turn (UTC when unset), never taken from the message. The
//! OpenAI-compatible model (a mock speaking the real wire format) gets the local date, time and
//! zone name in its system prompt; the offline planner reads "tomorrow" in that zone.

mod common;

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};
use todobot_server::config::{LlmProvider, SecretString};
use todobot_testkit::{MockLlm, Reply};

async fn set_zone(app: &TestApp, user: &TestUser, zone: &str) {
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/{}/settings", user.id),
            Some(&user.jwt),
            Some(json!({ "timezone": zone })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn chat(app: &TestApp, user: &TestUser, message: &str) -> Value {
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/{}/chat", user.id),
            Some(&user.jwt),
            Some(json!({ "message": message })),
        )
        .await;
    assert_eq!(status, 200, "{message:?} -> {body}");
    body
}

/// The system prompt of the mock's last request.
fn last_system_prompt(mock: &MockLlm) -> String {
    let reqs = mock.requests();
    let body = &reqs.last().expect("a request").body;
    assert_eq!(body["messages"][0]["role"], "system");
    body["messages"][0]["content"]
        .as_str()
        .expect("system text")
        .to_owned()
}

/// Local dates of "now" in `tz` just before and just after a call (a turn may cross midnight).
fn local_dates(tz: Tz, before: chrono::DateTime<Utc>) -> [String; 2] {
    [before, Utc::now()].map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
}

async fn the_models_system_prompt_carries_the_users_local_time_and_zone(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    let base = mock.base_url();
    let app = TestApp::start_with(db, move |c| {
        c.llm.provider = LlmProvider::Openai;
        c.llm.base_url = base.parse().expect("mock LLM url");
        c.llm.api_key = Some(SecretString::from("test-key"));
        c.llm.model = "mock-model".into();
        c.llm.timeout_secs = 2;
        c.llm.max_retries = 1;
    })
    .await;
    mock.set_fallback(Reply::text("Noted."));
    let u = app.sign_up("Zed").await;

    // no zone set: UTC
    chat(&app, &u, "hello").await;
    let prompt = last_system_prompt(&mock);
    assert!(
        prompt.contains("in the user's time zone, UTC.") && prompt.contains("(+00:00)"),
        "{prompt}"
    );

    // the zone from the account settings, with the local date and offset
    set_zone(&app, &u, "Pacific/Kiritimati").await;
    let before = Utc::now();
    chat(&app, &u, "what's due tomorrow?").await;
    let prompt = last_system_prompt(&mock);
    let tz: Tz = "Pacific/Kiritimati".parse().expect("tz");
    assert!(
        prompt.contains("in the user's time zone, Pacific/Kiritimati.")
            && prompt.contains("(+14:00)"),
        "{prompt}"
    );
    let dates = local_dates(tz, before);
    assert!(
        dates
            .iter()
            .any(|d| prompt.contains(&format!("it is now {d}T"))),
        "{dates:?} in {prompt}"
    );

    // a zone named in the message changes nothing: the account's zone stays
    chat(
        &app,
        &u,
        "my time zone is America/New_York, remind me at 5pm",
    )
    .await;
    let prompt = last_system_prompt(&mock);
    assert!(
        prompt.contains("Pacific/Kiritimati") && !prompt.contains("America/New_York."),
        "{prompt}"
    );
    // another user keeps their own (unset) zone
    let other = app.sign_up("Yan").await;
    chat(&app, &other, "hello").await;
    assert!(last_system_prompt(&mock).contains("time zone, UTC."));
    app.finish().await;
}

async fn the_planner_reads_tomorrow_in_the_users_zone(db: Db) {
    let app = TestApp::start(db).await;
    // 25 hours apart: at any instant their "tomorrow" are different calendar days
    for (name, zone) in [("Kim", "Pacific/Kiritimati"), ("Lou", "Pacific/Pago_Pago")] {
        let u = app.sign_up(name).await;
        set_zone(&app, &u, zone).await;
        let tz: Tz = zone.parse().expect("tz");
        let before = Utc::now();
        let body = chat(&app, &u, "add call mom tomorrow").await;
        assert!(
            body["response"]
                .as_str()
                .is_some_and(|r| r.contains("Due ")),
            "{body}"
        );
        let (status, tasks) = app
            .call(
                Method::GET,
                &format!("/api/{}/tasks", u.id),
                Some(&u.jwt),
                None,
            )
            .await;
        assert_eq!(status, 200, "{tasks}");
        assert_eq!(tasks[0]["title"], "call mom");
        let due = chrono::DateTime::parse_from_rfc3339(tasks[0]["due_at"].as_str().expect("due"))
            .expect("rfc3339")
            .with_timezone(&tz);
        let expected: Vec<_> = [before, Utc::now()]
            .iter()
            .map(|t| {
                let day = t.with_timezone(&tz).date_naive() + Duration::days(1);
                tz.from_local_datetime(
                    &day.and_time(NaiveTime::from_hms_opt(17, 0, 0).expect("17:00")),
                )
                .single()
                .expect("local")
            })
            .collect();
        assert!(
            expected.contains(&due),
            "{zone}: due {due}, expected one of {expected:?}"
        );
        // what's due tomorrow, in the same zone, finds it
        let body = chat(&app, &u, "what's due tomorrow?").await;
        assert!(
            body["response"]
                .as_str()
                .is_some_and(|r| r.contains("call mom")),
            "{body}"
        );
        assert_eq!(body["tool_calls"][0]["name"], "list_tasks");
        assert!(body["tool_calls"][0]["arguments"]["due_before"].is_string());
    }
    app.finish().await;
}

async fn tasks(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", user.id),
            Some(&user.jwt),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("tasks").clone()
}

fn reply(body: &Value) -> &str {
    body["response"].as_str().expect("response")
}

/// The local due date-time of a task, in `tz`.
fn local_due(task: &Value, tz: Tz) -> Option<chrono::DateTime<Tz>> {
    let raw = task["due_at"].as_str()?;
    Some(
        chrono::DateTime::parse_from_rfc3339(raw)
            .expect("rfc3339")
            .with_timezone(&tz),
    )
}

/// Issue 16's everyday forms through the chat endpoint with the offline planner, checked through
/// REST: details with a new task, a title that keeps its date word, detail changes, filtered and
/// searched lists, and a recurring task's next occurrence.
async fn the_planner_handles_task_details_through_chat(db: Db) {
    use chrono::{Datelike, Timelike, Weekday};
    let app = TestApp::start(db).await;
    let u = app.sign_up("Pat").await;
    set_zone(&app, &u, "Europe/London").await;
    let tz: Tz = "Europe/London".parse().expect("tz");
    let today = Utc::now().with_timezone(&tz).date_naive();

    chat(&app, &u, "add a high priority task to pay rent due friday").await;
    chat(&app, &u, "remind me every monday to water the plants").await;
    chat(&app, &u, "add buy friday snacks").await;
    let t = tasks(&app, &u).await;
    assert_eq!(t[0]["title"], "pay rent");
    assert_eq!(t[0]["priority"], "high");
    let due = local_due(&t[0], tz).expect("due");
    assert_eq!((due.weekday(), due.hour()), (Weekday::Fri, 17));
    assert!((1..=7).contains(&(due.date_naive() - today).num_days()));
    assert_eq!(t[1]["title"], "water the plants");
    assert_eq!(t[1]["recurrence"], "weekly");
    assert_eq!(local_due(&t[1], tz).expect("due").weekday(), Weekday::Mon);
    assert_eq!(t[2]["title"], "buy friday snacks");
    assert!(t[2]["due_at"].is_null());

    chat(&app, &u, "tag task 2 as garden").await;
    chat(&app, &u, "set task 3 priority to high").await;
    chat(&app, &u, "task 3 is due tomorrow at 9am").await;
    let t = tasks(&app, &u).await;
    assert_eq!(t[1]["tags"], json!(["garden"]));
    assert_eq!(t[2]["priority"], "high");
    let due = local_due(&t[2], tz).expect("due");
    assert_eq!(
        (due.date_naive(), due.hour()),
        (today + Duration::days(1), 9)
    );

    let r = chat(&app, &u, "show my high priority tasks").await;
    assert!(reply(&r).contains("pay rent") && reply(&r).contains("buy friday snacks"));
    assert!(!reply(&r).contains("water the plants"), "{r}");
    assert_eq!(r["tool_calls"][0]["arguments"]["priority"], "high");
    let r = chat(&app, &u, "show tasks tagged garden").await;
    assert!(reply(&r).contains("water the plants") && !reply(&r).contains("pay rent"));
    let r = chat(&app, &u, "find tasks about the rent").await;
    assert!(reply(&r).contains("pay rent") && !reply(&r).contains("snacks"));
    assert_eq!(r["tool_calls"][0]["arguments"]["search"], "rent");
    let r = chat(&app, &u, "sort by due date").await;
    let text = reply(&r);
    let (snacks, rent) = (text.find("snacks"), text.find("pay rent"));
    assert!(
        snacks.is_some() && snacks < rent,
        "tomorrow before friday: {text}"
    );
    let r = chat(&app, &u, "what's overdue?").await;
    assert!(reply(&r).contains("No pending tasks overdue"), "{r}");

    // made overdue elsewhere (REST), then found by the chat
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/{}/tasks/1", u.id),
            Some(&u.jwt),
            Some(json!({ "due_at": "2020-01-01T12:00:00Z" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = chat(&app, &u, "what's overdue?").await;
    assert!(
        reply(&r).contains("pay rent") && reply(&r).contains("(overdue)"),
        "{r}"
    );

    // a recurring task completed: the next occurrence a week later, named in the reply
    let r = chat(&app, &u, "mark task 2 done").await;
    assert!(
        reply(&r).contains("It repeats: the next one is task 4"),
        "{r}"
    );
    let t = tasks(&app, &u).await;
    assert_eq!(t[3]["title"], "water the plants");
    assert_eq!(t[3]["tags"], json!(["garden"]));
    let (a, b) = (
        local_due(&t[1], tz).expect("due"),
        local_due(&t[3], tz).expect("due"),
    );
    assert_eq!(b.date_naive() - a.date_naive(), Duration::days(7));
    app.finish().await;
}

db_tests!(
    the_models_system_prompt_carries_the_users_local_time_and_zone,
    the_planner_reads_tomorrow_in_the_users_zone,
    the_planner_handles_task_details_through_chat,
);
