//! Test utilities shared by todobot's crates.
//!
//! [`MockLlm`] is a real HTTP server on 127.0.0.1 that answers `POST /v1/chat/completions` (and
//! `/chat/completions`) in OpenAI's wire format, from a script of replies: text, tool calls,
//! HTTP errors, hangs and malformed bodies. It records every request it receives.

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
    respond(reply, n, &model).await
}

type RecordedReply = (Option<Reply>, u64, String);

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
