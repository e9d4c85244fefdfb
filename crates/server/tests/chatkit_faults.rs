//! ChatKit streams when the model fails: the failure is stored and streamed as an assistant message,
//! followed by an `error` event allowing a retry; `threads.retry_after_item` then answers properly.
//! (Every event shape is validated against the official models by tests/chatkit.)

mod common;

use common::{Db, TestApp};
use serde_json::{Value, json};
use todobot_server::config::{LlmProvider, SecretString};
use todobot_testkit::{MockLlm, Reply};

fn events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|f| f.trim().strip_prefix("data: "))
        .map(|j| serde_json::from_str(j).expect("event json"))
        .collect()
}

async fn stream(app: &TestApp, token: &str, body: Value) -> Vec<Value> {
    let (status, text) = app.chatkit(token, body).await;
    assert_eq!(status, 200, "{text}");
    events(&text)
}

async fn model_failure_streams_an_error_and_retry_recovers(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    let base = mock.base_url();
    let app = TestApp::start_with(db, move |c| {
        c.llm.provider = LlmProvider::Openai;
        c.llm.base_url = base.parse().expect("mock LLM url");
        c.llm.api_key = Some(SecretString::from("test-key"));
        c.llm.max_retries = 0;
        c.llm.timeout_secs = 5;
    })
    .await;
    let u = app.sign_up("Kit").await;
    mock.push([Reply::Status(503, "overloaded".into())]);
    let input = json!({"content": [{"type": "input_text", "text": "add a task to buy milk"}], "attachments": [], "inference_options": {}});
    let evts = stream(
        &app,
        &u.jwt,
        json!({"type": "threads.create", "params": {"input": input}}),
    )
    .await;
    let kinds: Vec<&str> = evts.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds[0], "thread.created");
    assert_eq!(
        kinds[1], "thread.item.done",
        "the user's message is stored and shown"
    );
    let error = evts
        .iter()
        .find(|e| e["type"] == "error")
        .expect("error event");
    assert_eq!(error["code"], "custom");
    assert_eq!(error["allow_retry"], true);
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("saved")
    );
    assert!(
        !error.to_string().contains("overloaded"),
        "no upstream detail"
    );
    let thread = evts[0]["thread"]["id"].as_str().expect("thread").to_owned();
    let user_item = evts[1]["item"]["id"].as_str().expect("item").to_owned();

    // retry: the failed reply is replaced by a real one
    mock.push([
        Reply::tool("add_task", json!({"title": "buy milk"})),
        Reply::text("Added \"buy milk\"."),
    ]);
    let evts = stream(
        &app,
        &u.jwt,
        json!({"type": "threads.retry_after_item", "params": {"thread_id": thread, "item_id": user_item}}),
    )
    .await;
    assert!(evts.iter().all(|e| e["type"] != "error"), "{evts:?}");
    assert!(evts.iter().any(|e| e["type"] == "progress_update"));
    let done: Vec<&Value> = evts
        .iter()
        .filter(|e| e["type"] == "thread.item.done" && e["item"]["type"] == "assistant_message")
        .collect();
    assert_eq!(done[0]["item"]["content"][0]["text"], "Added \"buy milk\".");
    let (status, items) = app
        .chatkit(
            &u.jwt,
            json!({"type": "items.list", "params": {"thread_id": thread, "order": "asc"}}),
        )
        .await;
    assert_eq!(status, 200);
    let items: Value = serde_json::from_str(&items).expect("json");
    let kinds: Vec<&str> = items["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|i| i["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["user_message", "assistant_message"],
        "one message, one (good) reply"
    );
    assert_eq!(app.tasks(&u).await.len(), 1);
    app.finish().await;
}

db_tests!(model_failure_streams_an_error_and_retry_recovers);
