//! ChatKit behaviours that follow the official server and web component: widgets shown from the
//! tasks' current state when a thread is loaded, list limits clamped, the echoed user item keeping
//! its tags and quoted text. (Event shapes are validated against openai-chatkit by tests/chatkit.)

mod common;

use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};

/// The `data:` frames of a streamed ChatKit answer.
fn events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|f| f.trim().strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("event JSON"))
        .collect()
}

async fn ask(app: &TestApp, u: &TestUser, thread: Option<&str>, text: &str) -> Vec<Value> {
    let input = json!({"content": [{"type": "input_text", "text": text}], "attachments": []});
    let body = match thread {
        Some(t) => {
            json!({"type": "threads.add_user_message", "params": {"thread_id": t, "input": input}})
        }
        None => json!({"type": "threads.create", "params": {"input": input}}),
    };
    let (status, text) = app.chatkit(&u.jwt, body).await;
    assert_eq!(status, 200, "{text}");
    events(&text)
}

async fn json_request(app: &TestApp, u: &TestUser, kind: &str, params: Value) -> Value {
    let (status, text) = app
        .chatkit(&u.jwt, json!({"type": kind, "params": params}))
        .await;
    assert_eq!(status, 200, "{kind}: {text}");
    serde_json::from_str(&text).expect("JSON")
}

fn checked(widget: &Value) -> Vec<(String, bool)> {
    widget["children"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let b = &r["children"][0];
            (
                b["label"].as_str().unwrap_or("").to_owned(),
                b["defaultChecked"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

async fn loaded_widgets_show_the_current_task_state(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Wes").await;
    app.create_task(&u, "Buy milk").await;
    app.create_task(&u, "Call mom").await;
    let evts = ask(&app, &u, None, "show me all my tasks").await;
    let thread = evts[0]["thread"]["id"]
        .as_str()
        .expect("thread id")
        .to_owned();
    let widget = evts
        .iter()
        .find(|e| e["type"] == "thread.item.done" && e["item"]["type"] == "widget")
        .expect("widget")["item"]
        .clone();
    assert_eq!(
        checked(&widget["widget"]),
        [("1. Buy milk".into(), false), ("2. Call mom".into(), false)]
    );
    // changed elsewhere: completed over REST, another renamed, a third deleted
    let path = format!("/api/{}/tasks", u.id);
    for (id, body) in [
        (1, json!({"completed": true})),
        (2, json!({"title": "Call mom tonight"})),
    ] {
        let (status, res) = app
            .call(
                Method::PUT,
                &format!("{path}/{id}"),
                Some(&u.jwt),
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "{res}");
    }
    let items = json_request(
        &app,
        &u,
        "items.list",
        json!({"thread_id": thread, "order": "asc"}),
    )
    .await;
    let thread_json =
        json_request(&app, &u, "threads.get_by_id", json!({"thread_id": thread})).await;
    for page in [&items, &thread_json["items"]] {
        let shown = page["data"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == widget["id"])
            .expect("the widget item");
        assert_eq!(
            checked(&shown["widget"]),
            [
                ("1. Buy milk".into(), true),
                ("2. Call mom tonight".into(), false)
            ]
        );
        assert!(
            shown["copy_text"]
                .as_str()
                .unwrap_or("")
                .contains("[x] 1. Buy milk")
        );
    }
    let (status, _) = app
        .call(Method::DELETE, &format!("{path}/2"), Some(&u.jwt), None)
        .await;
    assert_eq!(status, 204);
    let items = json_request(
        &app,
        &u,
        "items.list",
        json!({"thread_id": thread, "order": "asc"}),
    )
    .await;
    let shown = items["data"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == widget["id"])
        .expect("the widget item")
        .clone();
    // a task deleted since keeps its row as stored (the UI marks it deleted)
    assert_eq!(
        checked(&shown["widget"]),
        [("1. Buy milk".into(), true), ("2. Call mom".into(), false)]
    );
    app.finish().await;
}

async fn list_limits_are_clamped(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Lim").await;
    let evts = ask(&app, &u, None, "add a task to buy milk").await;
    let thread = evts[0]["thread"]["id"].clone();
    for limit in [101, 200, 100_000] {
        let page = json_request(&app, &u, "threads.list", json!({"limit": limit})).await;
        assert_eq!(page["data"].as_array().map(Vec::len), Some(1), "{limit}");
        let items = json_request(
            &app,
            &u,
            "items.list",
            json!({"thread_id": thread, "limit": limit}),
        )
        .await;
        assert_eq!(items["data"].as_array().map(Vec::len), Some(2), "{limit}");
    }
    app.finish().await;
}

async fn the_echoed_user_item_keeps_tags_and_quoted_text(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Tag").await;
    let text = json!({"type": "input_text", "text": "add a task to buy milk for"});
    let tag = json!({"type": "input_tag", "id": "list-1", "text": "groceries", "data": {}, "interactive": false});
    let body = json!({"type": "threads.create", "params": {"input": {
        "content": [text, tag], "attachments": [], "quoted_text": "we are out of milk"
    }}});
    let (status, raw) = app.chatkit(&u.jwt, body).await;
    assert_eq!(status, 200, "{raw}");
    let evts = events(&raw);
    let echo = &evts[1]["item"];
    assert_eq!(echo["type"], "user_message");
    assert_eq!(echo["content"], json!([text, tag]));
    assert_eq!(echo["quoted_text"], "we are out of milk");
    assert_eq!(app.tasks(&u).await.len(), 1);
    app.finish().await;
}

db_tests!(
    loaded_widgets_show_the_current_task_state,
    list_limits_are_clamped,
    the_echoed_user_item_keeps_tags_and_quoted_text,
);
