//! Token streaming: the model is asked to stream (`stream: true`, usage included), its text reaches
//! ChatKit and the REST chat's SSE mode as it is written, everything is stored before a stream ends,
//! and a client that disconnects mid-stream does not lose the turn. The model is the testkit mock
//! speaking the real streaming wire format, with a delay between chunks.

mod common;

use std::time::{Duration, Instant};

use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};
use todobot_server::config::{LlmProvider, SecretString};
use todobot_testkit::{MockLlm, Reply};

/// Ten words, one chunk each, 300 ms apart: the model takes about 3.5 s to finish.
const SLOW_ANSWER: &str = "Here are your tasks for today, one by one, in order.";
const CHUNK_DELAY: Duration = Duration::from_millis(300);

fn openai(mock: &MockLlm) -> impl FnOnce(&mut todobot_server::config::Config) {
    let base = mock.base_url();
    move |c| {
        c.llm.provider = LlmProvider::Openai;
        c.llm.base_url = base.parse().expect("mock LLM url");
        c.llm.api_key = Some(SecretString::from("test-key"));
        c.llm.model = "mock-model".into();
        c.llm.timeout_secs = 20;
        c.llm.max_retries = 0;
    }
}

/// Reads a streamed response frame by frame (`data:` lines, with their `event:` name if any),
/// noting when each arrived.
struct Frames {
    res: reqwest::Response,
    buf: String,
    started: Instant,
}

impl Frames {
    fn new(res: reqwest::Response, started: Instant) -> Self {
        Self {
            res,
            buf: String::new(),
            started,
        }
    }

    /// The next frame: (event name, data, time since the request started).
    async fn next(&mut self) -> Option<(String, Value, Duration)> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(n) = line.strip_prefix("event: ") {
                        name = n.to_owned();
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data.push_str(d);
                    }
                }
                let data = serde_json::from_str(&data).expect("frame data is JSON");
                return Some((name, data, self.started.elapsed()));
            }
            let chunk = self.res.chunk().await.expect("stream readable")?;
            self.buf
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }

    async fn all(mut self) -> Vec<(String, Value, Duration)> {
        let mut out = Vec::new();
        while let Some(f) = self.next().await {
            out.push(f);
        }
        out
    }
}

async fn chat_stream(app: &TestApp, user: &TestUser, message: &str) -> Frames {
    let started = Instant::now();
    let res = app
        .client
        .post(app.url(&format!("/api/{}/chat", user.id)))
        .bearer_auth(&user.jwt)
        .header("accept", "text/event-stream")
        .json(&json!({ "message": message }))
        .send()
        .await
        .expect("chat request");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    Frames::new(res, started)
}

async fn messages(app: &TestApp, user: &TestUser, conversation: i64) -> Vec<Value> {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations/{conversation}/messages", user.id),
            Some(&user.jwt),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().expect("data").clone()
}

fn update_type(data: &Value) -> &str {
    data["update"]["type"].as_str().unwrap_or("")
}

async fn chatkit_text_arrives_while_the_model_is_still_writing(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    mock.set_chunk_delay(CHUNK_DELAY);
    mock.push([Reply::text(SLOW_ANSWER)]);
    let app = TestApp::start_with(db, openai(&mock)).await;
    let u = app.sign_up("Ada").await;
    let started = Instant::now();
    let input =
        json!({"content": [{"type": "input_text", "text": "what's on today?"}], "attachments": []});
    let res = app
        .client
        .post(app.url("/chatkit"))
        .bearer_auth(&u.jwt)
        .json(&json!({"type": "threads.create", "params": {"input": input}}))
        .send()
        .await
        .expect("chatkit request");
    let frames = Frames::new(res, started).all().await;
    let deltas: Vec<&(String, Value, Duration)> = frames
        .iter()
        .filter(|(_, d, _)| update_type(d) == "assistant_message.content_part.text_delta")
        .collect();
    let first = deltas.first().expect("text deltas").2;
    let last = frames.last().expect("frames").2;
    assert!(
        first < Duration::from_millis(1500) && last > Duration::from_millis(3000),
        "first delta after {first:?}, stream ended after {last:?}"
    );
    let text: String = deltas
        .iter()
        .filter_map(|(_, d, _)| d["update"]["delta"].as_str())
        .collect();
    assert_eq!(text, SLOW_ANSWER);
    // one item from added to done, under the id it is stored with
    let added = frames
        .iter()
        .find(|(_, d, _)| d["type"] == "thread.item.added")
        .expect("item added");
    let done = frames
        .iter()
        .find(|(_, d, _)| {
            d["type"] == "thread.item.done" && d["item"]["type"] == "assistant_message"
        })
        .expect("item done");
    assert_eq!(added.1["item"]["id"], done.1["item"]["id"]);
    assert_eq!(done.1["item"]["content"][0]["text"], SLOW_ANSWER);
    let thread = frames[0].1["thread"]["id"].clone();
    let (_, items) = app
        .chatkit(
            &u.jwt,
            json!({"type": "items.list", "params": {"thread_id": thread, "order": "asc"}}),
        )
        .await;
    let items: Value = serde_json::from_str(&items).expect("json");
    assert_eq!(items["data"][1]["id"], done.1["item"]["id"]);
    assert_eq!(items["data"][1]["content"][0]["text"], SLOW_ANSWER);
    // the model was asked to stream, with usage
    let body = &mock.requests()[0].body;
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    app.finish().await;
}

async fn rest_sse_reports_the_turn_as_it_happens(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    mock.set_chunk_delay(Duration::from_millis(20));
    mock.push([
        Reply::tool(
            "add_task",
            json!({"title": "Buy oat milk", "description": "2 litres"}),
        ),
        Reply::text("Added task 1: Buy oat milk."),
    ]);
    let app = TestApp::start_with(db, openai(&mock)).await;
    let u = app.sign_up("Bea").await;
    let frames = chat_stream(&app, &u, "add oat milk").await.all().await;
    let names: Vec<&str> = frames.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"start"));
    assert_eq!(names.last(), Some(&"done"));
    let tc = names
        .iter()
        .position(|n| *n == "tool_call")
        .expect("tool_call");
    let tr = names
        .iter()
        .position(|n| *n == "tool_result")
        .expect("tool_result");
    let first_delta = names.iter().position(|n| *n == "delta").expect("delta");
    assert!(tc < tr && tr < first_delta, "{names:?}");
    let start = &frames[0].1;
    let done = &frames.last().expect("done").1;
    assert_eq!(done["message_id"], start["message_id"]);
    assert_eq!(done["user_message_id"], start["user_message_id"]);
    assert_eq!(done["response"], "Added task 1: Buy oat milk.");
    assert_eq!(done["tool_calls"][0]["arguments"]["title"], "Buy oat milk");
    assert_eq!(
        done["tool_calls"][0]["arguments"]["description"],
        "2 litres"
    );
    let text: String = frames
        .iter()
        .filter(|(n, _, _)| n == "delta")
        .filter_map(|(_, d, _)| d["text"].as_str())
        .collect();
    assert_eq!(text, "Added task 1: Buy oat milk.");
    // stored before the stream ended, under the announced ids
    let c = done["conversation_id"].as_i64().expect("conversation id");
    let msgs = messages(&app, &u, c).await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["id"], done["user_message_id"]);
    assert_eq!(msgs[1]["id"], done["message_id"]);
    assert_eq!(msgs[1]["status"], "ok");
    assert_eq!(msgs[1]["content"], "Added task 1: Buy oat milk.");
    assert_eq!(msgs[1]["tool_calls"][0]["name"], "add_task");
    assert_eq!(app.tasks(&u).await[0]["description"], "2 litres");
    app.finish().await;
}

async fn a_client_that_disconnects_mid_stream_does_not_lose_the_turn(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    mock.set_chunk_delay(CHUNK_DELAY);
    mock.push([Reply::text(SLOW_ANSWER)]);
    let app = TestApp::start_with(db, openai(&mock)).await;
    let u = app.sign_up("Cy").await;
    let mut frames = chat_stream(&app, &u, "tell me slowly").await;
    let (_, start, _) = frames.next().await.expect("start");
    loop {
        let (name, _, _) = frames.next().await.expect("a delta before the end");
        if name == "delta" {
            break;
        }
    }
    drop(frames); // the client goes away while the model is still writing
    let c = start["conversation_id"].as_i64().expect("conversation id");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let msgs = messages(&app, &u, c).await;
        if msgs.len() == 2 && msgs[1]["status"] == "ok" {
            assert_eq!(msgs[1]["content"], SLOW_ANSWER);
            assert_eq!(msgs[1]["id"], start["message_id"]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the turn was not finished: {msgs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.finish().await;
}

async fn the_offline_planner_streams_its_reply_too(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Di").await;
    let frames = chat_stream(&app, &u, "add a task to water the plants")
        .await
        .all()
        .await;
    let names: Vec<&str> = frames.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"start"));
    assert_eq!(names.last(), Some(&"done"));
    let text: String = frames
        .iter()
        .filter(|(n, _, _)| n == "delta")
        .filter_map(|(_, d, _)| d["text"].as_str())
        .collect();
    let done = &frames.last().expect("done").1;
    assert_eq!(text, done["response"].as_str().expect("response"));
    assert!(text.contains("water the plants"), "{text}");
    // the JSON mode is unchanged
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/{}/chat", u.id),
            Some(&u.jwt),
            Some(json!({"message": "show my tasks"})),
        )
        .await;
    assert_eq!(status, 200);
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["conversation_id", "response", "tool_calls"]);
    app.finish().await;
}

async fn a_failed_model_ends_the_stream_with_an_error_event(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    mock.push([Reply::Status(500, "boom".into())]);
    let app = TestApp::start_with(db, openai(&mock)).await;
    let u = app.sign_up("Ed").await;
    let frames = chat_stream(&app, &u, "hello").await.all().await;
    let (name, data, _) = frames.last().expect("frames");
    assert_eq!(name, "error");
    assert_eq!(data["code"], "LLM_UNAVAILABLE");
    assert!(!data.to_string().contains("boom"));
    let c = data["conversation_id"].as_i64().expect("conversation id");
    let msgs = messages(&app, &u, c).await;
    assert_eq!(msgs[1]["status"], "error");
    assert_eq!(msgs[1]["id"], data["message_id"]);
    app.finish().await;
}

db_tests!(
    chatkit_text_arrives_while_the_model_is_still_writing,
    rest_sse_reports_the_turn_as_it_happens,
    a_client_that_disconnects_mid_stream_does_not_lose_the_turn,
    the_offline_planner_streams_its_reply_too,
    a_failed_model_ends_the_stream_with_an_error_event,
);
