//! Turn leases and the per-conversation queue: turns of one conversation run one at a time, in
//! arrival order, across replicas; a lease is renewed while its turn runs (heartbeat) and taken
//! over once its holder stops renewing it (a crash, a lost database connection).

mod common;

use std::time::{Duration, Instant};

use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};
use todobot_server::config::{LlmProvider, SecretString};
use todobot_store::MessageOrder;
use todobot_testkit::{MockLlm, Reply};

fn openai(mock: &MockLlm, lease_secs: u64) -> impl FnOnce(&mut todobot_server::config::Config) {
    let base = mock.base_url();
    move |c| {
        c.llm.provider = LlmProvider::Openai;
        c.llm.base_url = base.parse().expect("mock LLM url");
        c.llm.api_key = Some(SecretString::from("test-key"));
        c.llm.model = "mock-model".into();
        c.llm.timeout_secs = 10;
        c.llm.max_retries = 0;
        c.resilience.turn_lease_secs = lease_secs;
    }
}

async fn chat(app: &TestApp, user: &TestUser, cid: Option<i64>, text: &str) -> (u16, Value) {
    let mut body = json!({ "message": text });
    if let Some(cid) = cid {
        body["conversation_id"] = json!(cid);
    }
    app.call(
        Method::POST,
        &format!("/api/{}/chat", user.id),
        Some(&user.jwt),
        Some(body),
    )
    .await
}

/// The conversation's messages as (role, content), oldest first.
async fn transcript(app: &TestApp, user: &TestUser, cid: i64) -> Vec<(String, String)> {
    app.state
        .store
        .list_messages(&user.id, cid, MessageOrder::Asc, None, 500)
        .await
        .expect("messages")
        .into_iter()
        .map(|m| (m.role.as_str().to_owned(), m.content))
        .collect()
}

/// Turns sent 150 ms apart, alternately to two replicas, while each takes 400 ms: stored in the
/// order they were sent, each user message followed by its own reply.
async fn queued_turns_keep_their_order(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    mock.set_fallback(Reply::Delayed(
        Duration::from_millis(400),
        Box::new(Reply::text("done")),
    ));
    let app = TestApp::start_with(db, openai(&mock, 15)).await;
    let replica = app.replica().await;
    let user = app.sign_up("Order").await;
    let (status, body) = chat(&app, &user, None, "start").await;
    assert_eq!(status, 200, "{body}");
    let cid = body["conversation_id"].as_i64().expect("conversation id");
    let mut expected = vec!["start".to_owned()];
    for round in 0..3 {
        let mut turns = Vec::new();
        for i in 1..=4 {
            let text = format!("round {round} #{i}");
            expected.push(text.clone());
            let target = if i % 2 == 0 { &replica } else { &app };
            let (client, url, jwt) = (
                target.client.clone(),
                target.url(&format!("/api/{}/chat", user.id)),
                user.jwt.clone(),
            );
            turns.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(jwt)
                    .json(&json!({ "message": text, "conversation_id": cid }))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }));
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        for t in turns {
            assert_eq!(t.await.expect("join").expect("request"), 200);
        }
    }
    let messages = transcript(&app, &user, cid).await;
    let users: Vec<String> = messages
        .iter()
        .filter(|(r, _)| r == "user")
        .map(|(_, c)| c.clone())
        .collect();
    assert_eq!(users, expected, "turns stored in arrival order");
    for pair in messages.chunks(2) {
        assert_eq!(pair[0].0, "user", "{messages:?}");
        assert_eq!(
            pair[1].0, "assistant",
            "turns never interleave: {messages:?}"
        );
    }
    replica.finish().await;
    app.finish().await;
}

/// A turn that outlives its lease keeps it by renewing it: the next turn waits for it to finish.
async fn a_long_turn_keeps_its_lease(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    let app = TestApp::start_with(db, openai(&mock, 3)).await;
    let user = app.sign_up("Long").await;
    mock.push([Reply::text("first")]);
    let (status, body) = chat(&app, &user, None, "one").await;
    assert_eq!(status, 200, "{body}");
    let cid = body["conversation_id"].as_i64().expect("cid");
    mock.push([
        Reply::Delayed(Duration::from_secs(5), Box::new(Reply::text("slow"))),
        Reply::text("fast"),
    ]);
    let slow = {
        let (client, url, jwt) = (
            app.client.clone(),
            app.url(&format!("/api/{}/chat", user.id)),
            user.jwt.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(jwt)
                .json(&json!({ "message": "two", "conversation_id": cid }))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    while mock.request_count() < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = chat(&app, &user, Some(cid), "three").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"], "fast");
    assert_eq!(slow.await.expect("join").expect("request"), 200);
    let contents: Vec<String> = transcript(&app, &user, cid)
        .await
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(contents, ["one", "first", "two", "slow", "three", "fast"]);
    app.finish().await;
}

/// A holder that stopped renewing (it crashed, or lost the database before releasing) holds the
/// conversation only until its lease lapses; then the next turn takes over and is answered.
async fn a_dead_holders_lease_is_taken_over(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    mock.set_fallback(Reply::text("answered"));
    let app = TestApp::start_with(db, openai(&mock, 3)).await;
    let user = app.sign_up("Stale").await;
    let (status, body) = chat(&app, &user, None, "hello").await;
    assert_eq!(status, 200, "{body}");
    let cid = body["conversation_id"].as_i64().expect("cid");
    // a turn whose process died: its ticket is held for 3 s and never renewed nor released
    let lapses = todobot_store::now() + chrono::Duration::seconds(3);
    app.state
        .store
        .enqueue_turn(&user.id, cid, lapses)
        .await
        .expect("ticket");
    let started = Instant::now();
    let (status, body) = chat(&app, &user, Some(cid), "anyone there?").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"], "answered");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(10),
        "answered once the dead lease lapsed: {waited:?}"
    );
    app.finish().await;
}

db_tests!(
    queued_turns_keep_their_order,
    a_long_turn_keeps_its_lease,
    a_dead_holders_lease_is_taken_over,
);
