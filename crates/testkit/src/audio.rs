//! [`MockTranscriber`]: a real HTTP server on 127.0.0.1 that answers OpenAI's
//! `POST /v1/audio/transcriptions` (multipart/form-data in, `{"text": …}` out) from a script, and
//! records each request's content type and raw multipart body.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;

/// One scripted answer of the transcription route.
#[derive(Clone, Debug)]
pub enum AudioReply {
    /// `{"text": …}`.
    Text(String),
    /// An HTTP error with an OpenAI-style error body.
    Status(u16, String),
}

/// A request the mock received.
#[derive(Clone, Debug)]
pub struct AudioRequest {
    pub content_type: String,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

impl AudioRequest {
    /// The value of the text field `name` of the multipart body, if present.
    pub fn field(&self, name: &str) -> Option<String> {
        let body = String::from_utf8_lossy(&self.body);
        let marker = format!("name=\"{name}\"");
        let start = body.find(&marker)?;
        let rest = &body[start..];
        let value_start = rest.find("\r\n\r\n")? + 4;
        let value = &rest[value_start..];
        let end = value.find("\r\n--")?;
        Some(value[..end].to_owned())
    }

    /// Whether the multipart body carries `bytes` (the uploaded file) unchanged.
    pub fn carries(&self, bytes: &[u8]) -> bool {
        !bytes.is_empty() && self.body.windows(bytes.len()).any(|w| w == bytes)
    }
}

#[derive(Default)]
struct Inner {
    script: VecDeque<AudioReply>,
    requests: Vec<AudioRequest>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Inner> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A local OpenAI-compatible audio transcription server.
pub struct MockTranscriber {
    addr: SocketAddr,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl MockTranscriber {
    pub async fn start() -> std::io::Result<Self> {
        let inner: Shared = Arc::default();
        let app = Router::new()
            .route("/v1/audio/transcriptions", post(transcriptions))
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

    /// Queues replies, answered in order (an empty script answers 500).
    pub fn push(&self, replies: impl IntoIterator<Item = AudioReply>) {
        lock(&self.inner).script.extend(replies);
    }

    pub fn requests(&self) -> Vec<AudioRequest> {
        lock(&self.inner).requests.clone()
    }
}

impl Drop for MockTranscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn transcriptions(State(inner): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let reply = {
        let mut inner = lock(&inner);
        inner.requests.push(AudioRequest {
            content_type: text(header::CONTENT_TYPE).unwrap_or_default(),
            authorization: text(header::AUTHORIZATION),
            body: body.to_vec(),
        });
        inner.script.pop_front()
    };
    let multipart =
        text(header::CONTENT_TYPE).is_some_and(|c| c.starts_with("multipart/form-data"));
    match reply {
        _ if !multipart => error(400, "expected multipart/form-data"),
        Some(AudioReply::Text(t)) => Json(json!({ "text": t })).into_response(),
        Some(AudioReply::Status(code, message)) => error(code, &message),
        None => error(500, "the mock transcriber has no scripted reply"),
    }
}

fn error(code: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({ "error": { "message": message, "type": "invalid_request_error", "code": null } })),
    )
        .into_response()
}
