//! Test utilities shared by todobot's crates.
//!
//! [`MockLlm`] is a real HTTP server on 127.0.0.1 that answers `POST /v1/chat/completions` (and
//! `/chat/completions`) in OpenAI's wire format, from a script of replies: text, tool calls,
//! HTTP errors, hangs and malformed bodies. It records every request it receives.
//!
//! A request with `"stream": true` is answered as the real API streams: `text/event-stream` with
//! one `data: <chat.completion.chunk>` frame per word of text (tool calls: id and name first, the
//! arguments in pieces), a usage chunk when `stream_options.include_usage` is set, then
//! `data: [DONE]`. [`MockLlm::set_chunk_delay`] spaces the frames out (a model that takes its time).

pub mod audio;

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A final assistant message.
    Text(String),
    /// Tool calls: (function name, raw arguments string — may be invalid JSON on purpose).
    ToolCalls(Vec<(String, String)>),
    /// An HTTP error with an OpenAI-style error body.
    Status(u16, String),
    /// Never answers (until the client gives up).
    Hang,
    /// A 200 response whose body is not a chat completion.
    Malformed(String),
    /// Another reply, after a delay (a slow model).
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    pub fn text(t: impl Into<String>) -> Self {
        Reply::Text(t.into())
    }

    /// One tool call with JSON arguments.
    pub fn tool(name: &str, args: Value) -> Self {
        Reply::ToolCalls(vec![(name.to_owned(), args.to_string())])
    }
}

/// A request the mock received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub body: Value,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Reply>,
    fallback: Option<Reply>,
    requests: Vec<Recorded>,
    counter: u64,
    chunk_delay: Duration,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Inner> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A local OpenAI-compatible chat-completions server.
pub struct MockLlm {
    addr: SocketAddr,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl MockLlm {
    pub async fn start() -> std::io::Result<Self> {
        let inner: Shared = Arc::default();
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .route("/chat/completions", post(completions))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, inner, task })
    }

    /// Base URL to configure as OPENAI_BASE_URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues replies, answered in order.
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.inner).script.extend(replies);
    }

    /// The reply given when the script is empty (default: a 500 error, so a test notices).
    pub fn set_fallback(&self, reply: Reply) {
        lock(&self.inner).fallback = Some(reply);
    }

    /// The pause between two frames of a streamed answer (default none).
    pub fn set_chunk_delay(&self, delay: Duration) {
        lock(&self.inner).chunk_delay = delay;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.inner).requests.clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.inner).requests.len()
    }

    /// Replies still queued.
    pub fn pending(&self) -> usize {
        lock(&self.inner).script.len()
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn completion(n: u64, model: &str, message: Value, finish: &str) -> Value {
    json!({
        "id": format!("chatcmpl-mock{n}"),
        "object": "chat.completion",
        "created": 1_764_000_000u64,
        "model": model,
        "system_fingerprint": "fp_mock",
        "choices": [{ "index": 0, "message": message, "logprobs": null, "finish_reason": finish }],
        "usage": { "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15 }
    })
}

async fn completions(State(inner): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let (reply, n, model) = match record(&inner, &headers, &body) {
        Ok(r) => r,
        Err(res) => return *res,
    };
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        let usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
        let delay = lock(&inner).chunk_delay;
        let stream = StreamSpec { usage, delay };
        return respond_stream(reply, n, model, stream).await;
    }
    respond(reply, n, &model).await
}

type RecordedReply = (Option<Reply>, u64, String);

#[derive(Clone, Copy)]
struct StreamSpec {
    usage: bool,
    delay: Duration,
}

fn chunk(n: u64, model: &str, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": format!("chatcmpl-mock{n}"),
        "object": "chat.completion.chunk",
        "created": 1_764_000_000u64,
        "model": model,
        "system_fingerprint": "fp_mock",
        "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
    })
}

/// Word-sized pieces (whitespace kept with the word before it) that concatenate to `text`.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if !ch.is_whitespace() && cur.ends_with(char::is_whitespace) {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The chunks of a streamed text answer.
fn text_chunks(n: u64, model: &str, text: &str) -> Vec<Value> {
    let mut out = vec![chunk(
        n,
        model,
        json!({"role": "assistant", "content": ""}),
        None,
    )];
    for w in words(text) {
        out.push(chunk(n, model, json!({"content": w}), None));
    }
    out.push(chunk(n, model, json!({}), Some("stop")));
    out
}

/// The chunks of streamed tool calls: each call's id and name, then its arguments in thirds.
fn tool_chunks(n: u64, model: &str, calls: &[(String, String)]) -> Vec<Value> {
    let mut out = vec![chunk(
        n,
        model,
        json!({"role": "assistant", "content": null}),
        None,
    )];
    for (i, (name, args)) in calls.iter().enumerate() {
        out.push(chunk(n, model, json!({"tool_calls": [{"index": i, "id": format!("call_mock{n}_{i}"), "type": "function", "function": {"name": name, "arguments": ""}}]}), None));
        let chars: Vec<char> = args.chars().collect();
        let third = chars.len().div_ceil(3).max(1);
        for piece in chars.chunks(third) {
            let piece: String = piece.iter().collect();
            out.push(chunk(
                n,
                model,
                json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}),
                None,
            ));
        }
    }
    out.push(chunk(n, model, json!({}), Some("tool_calls")));
    out
}

fn respond_stream(
    reply: Option<Reply>,
    n: u64,
    model: String,
    spec: StreamSpec,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
    Box::pin(async move {
        let mut chunks = match reply {
            Some(Reply::Text(t)) => text_chunks(n, &model, &t),
            Some(Reply::ToolCalls(calls)) => tool_chunks(n, &model, &calls),
            Some(Reply::Delayed(delay, inner)) => {
                tokio::time::sleep(delay).await;
                return respond_stream(Some(*inner), n, model, spec).await;
            }
            other => return respond(other, n, &model).await,
        };
        if spec.usage {
            chunks.push(json!({
                "id": format!("chatcmpl-mock{n}"), "object": "chat.completion.chunk",
                "created": 1_764_000_000u64, "model": model, "choices": [],
                "usage": { "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15 }
            }));
        }
        let mut frames: Vec<String> = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
        frames.push("data: [DONE]\n\n".to_owned());
        let body = futures::stream::unfold(
            (frames.into_iter(), true),
            move |(mut it, first)| async move {
                let frame = it.next()?;
                if !first && !spec.delay.is_zero() {
                    tokio::time::sleep(spec.delay).await;
                }
                Some((Ok::<_, std::convert::Infallible>(frame), (it, false)))
            },
        );
        (
            [
                (header::CONTENT_TYPE, "text/event-stream"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            axum::body::Body::from_stream(body),
        )
            .into_response()
    })
}

fn record(inner: &Shared, headers: &HeaderMap, body: &str) -> Result<RecordedReply, Box<Response>> {
    let body: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            return Err(Box::new(
                (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": {"message": format!("invalid JSON: {e}"), "type": "invalid_request_error", "param": null, "code": null}})),
                )
                    .into_response(),
            ));
        }
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("mock")
        .to_owned();
    let (reply, n) = {
        let mut g = lock(inner);
        g.requests.push(Recorded {
            body: body.clone(),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        g.counter += 1;
        let reply = g.script.pop_front().or_else(|| g.fallback.clone());
        (reply, g.counter)
    };
    Ok((reply, n, model))
}

fn respond(
    reply: Option<Reply>,
    n: u64,
    model: &str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send + '_>> {
    Box::pin(async move {
        match reply {
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"message": "mock script exhausted", "type": "server_error", "param": null, "code": null}})),
        )
            .into_response(),
        Some(Reply::Text(t)) => Json(completion(
            n,
            model,
            json!({"role": "assistant", "content": t, "refusal": null, "annotations": []}),
            "stop",
        ))
        .into_response(),
        Some(Reply::ToolCalls(calls)) => {
            let calls: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, (name, args))| {
                    json!({"id": format!("call_mock{n}_{i}"), "type": "function",
                           "function": {"name": name, "arguments": args}})
                })
                .collect();
            Json(completion(
                n,
                model,
                json!({"role": "assistant", "content": null, "tool_calls": calls, "refusal": null}),
                "tool_calls",
            ))
            .into_response()
        }
        Some(Reply::Status(code, message)) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Json(json!({"error": {"message": message, "type": if code == 429 { "rate_limit_exceeded" } else { "server_error" }, "param": null, "code": null}})),
        )
            .into_response(),
        Some(Reply::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Reply::Malformed(raw)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            raw,
        )
            .into_response(),
        Some(Reply::Delayed(delay, inner)) => {
            tokio::time::sleep(delay).await;
            respond(Some(*inner), n, model).await
        }
    }
    })
}

/// A TCP proxy a test can take down and bring back, to simulate a database outage without touching
/// the real server: while down, every open connection is cut and new ones are closed at once.
pub struct TcpProxy {
    addr: SocketAddr,
    down: Arc<std::sync::atomic::AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (gen_tx, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(gen_tx);
        let (d, g) = (down.clone(), generation.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if d.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut = g.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Ok(Self {
            addr,
            down,
            generation,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts every connection and refuses new ones until [`TcpProxy::up`].
    pub fn down(&self) {
        self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn up(&self) {
        self.down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_concatenate_to_the_text() {
        for t in ["", "Hi", "one two  three\n4", " lead"] {
            assert_eq!(words(t).concat(), t);
        }
        assert_eq!(words("a b c").len(), 3);
    }
}
