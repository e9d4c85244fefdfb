//! Voice input: POST /api/{user_id}/transcriptions against a local OpenAI-compatible transcription
//! server speaking the real wire format (multipart in, `{"text"}` out).

mod common;

use common::{Db, TestApp, TestUser};
use serde_json::Value;
use todobot_server::config::{LlmProvider, SecretString};
use todobot_testkit::audio::{AudioReply, MockTranscriber};

/// A few bytes that stand for a recording (the server passes them through unread).
const AUDIO: &[u8] = b"\x1aE\xdf\xa3 fake webm recording \x00\x01\x02";

async fn app_with(mock: &MockTranscriber, max_bytes: usize) -> TestApp {
    let base = mock.base_url();
    TestApp::start_with(Db::Sqlite, move |c| {
        c.llm.provider = LlmProvider::Openai;
        c.llm.api_key = Some(SecretString::from("sk-test-transcribe"));
        c.llm.base_url = base.parse().expect("mock LLM url");
        c.llm.transcribe_max_bytes = max_bytes;
    })
    .await
}

async fn post_audio(
    app: &TestApp,
    user: &TestUser,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/{}/transcriptions{query}", user.id)))
        .bearer_auth(&user.jwt)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_comes_back_as_text_and_reaches_the_api_as_multipart() {
    let mock = MockTranscriber::start().await.expect("mock");
    mock.push([AudioReply::Text("  کل دودھ لینا ہے  ".into())]);
    let app = app_with(&mock, 1024 * 1024).await;
    let user = app.sign_up("Voice").await;

    let (status, body) = post_audio(
        &app,
        &user,
        "?language=ur",
        "audio/webm;codecs=opus",
        AUDIO.to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["text"], "کل دودھ لینا ہے");

    let sent = mock.requests();
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert!(
        req.content_type
            .starts_with("multipart/form-data; boundary="),
        "{}",
        req.content_type
    );
    assert_eq!(
        req.authorization.as_deref(),
        Some("Bearer sk-test-transcribe")
    );
    assert_eq!(req.field("model").as_deref(), Some("whisper-1"));
    assert_eq!(req.field("language").as_deref(), Some("ur"));
    assert_eq!(req.field("response_format").as_deref(), Some("json"));
    assert!(
        req.carries(AUDIO),
        "the recording is passed through unchanged"
    );
    assert!(String::from_utf8_lossy(&req.body).contains("filename=\"speech.webm\""));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_recording_gets_413_and_never_reaches_the_api() {
    let mock = MockTranscriber::start().await.expect("mock");
    let app = app_with(&mock, 1000).await;
    let user = app.sign_up("Voice").await;
    let (status, body) = post_audio(&app, &user, "", "audio/ogg", vec![7u8; 1001]).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "AUDIO_TOO_LARGE");
    assert!(mock.requests().is_empty());
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_failure_is_a_502_without_upstream_details() {
    let mock = MockTranscriber::start().await.expect("mock");
    mock.push([AudioReply::Status(
        500,
        "secret upstream stack trace".into(),
    )]);
    let app = app_with(&mock, 1024 * 1024).await;
    let user = app.sign_up("Voice").await;
    let (status, body) = post_audio(&app, &user, "", "audio/webm", AUDIO.to_vec()).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["code"], "TRANSCRIPTION_FAILED");
    assert!(!body.to_string().contains("secret upstream"), "{body}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_before_calling_the_api() {
    let mock = MockTranscriber::start().await.expect("mock");
    let app = app_with(&mock, 1024 * 1024).await;
    let user = app.sign_up("Voice").await;
    let other = app.sign_up("Other").await;

    let (status, body) = post_audio(&app, &user, "", "text/plain", AUDIO.to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("UNSUPPORTED_AUDIO"))
    );
    let (status, body) = post_audio(&app, &user, "", "audio/webm", Vec::new()).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("EMPTY_AUDIO")));
    let (status, _) = post_audio(&app, &user, "?language=urdu", "audio/webm", AUDIO.to_vec()).await;
    assert_eq!(status, 422);
    // someone else's path: identity comes from the token only
    let res = app
        .client
        .post(app.url(&format!("/api/{}/transcriptions", other.id)))
        .bearer_auth(&user.jwt)
        .header("content-type", "audio/webm")
        .body(AUDIO.to_vec())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 403);
    let res = app
        .client
        .post(app.url(&format!("/api/{}/transcriptions", user.id)))
        .header("content-type", "audio/webm")
        .body(AUDIO.to_vec())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
    assert!(mock.requests().is_empty());
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_api_there_is_no_transcription_and_the_ui_is_told() {
    let app = TestApp::start(Db::Sqlite).await; // the offline planner: no OpenAI-compatible API
    let user = app.sign_up("Voice").await;
    let config: Value = app
        .client
        .get(app.url("/api/config"))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(config["transcription"], false);
    assert!(
        config["locales"]
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x == "ur"))
    );
    let (status, body) = post_audio(&app, &user, "", "audio/webm", AUDIO.to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("TRANSCRIPTION_UNAVAILABLE"))
    );
    app.finish().await;
}
