//! POST /chatkit: the ChatKit server protocol (as defined by OpenAI's `openai-chatkit` 1.6 package),
//! so OpenAI's ChatKit web component — and todobot's own UI — can talk to todobot.
//!
//! Threads are todobot conversations (`thr_<id>`), items are its stored messages (`msg_<id>`): one
//! store, whichever endpoint wrote them. Streaming requests answer `text/event-stream` with
//! `data: <json>` frames; the others answer JSON. See docs/chatkit-protocol.md.
//!
//! - [`protocol`]: the request types (one enum, tagged by `type`) and their parameters;
//! - [`dispatch`]: one handler per request type;
//! - [`render`]: threads, items and pages as ChatKit JSON;
//! - [`widget`]: the todo-list widget;
//! - [`stream`]: a chat turn as ChatKit stream events;
//! - [`actions`]: widget actions (ticking a task).

mod actions;
mod dispatch;
mod protocol;
mod render;
mod stream;
mod task_meta;
mod widget;

use axum::{
    Router,
    body::Bytes,
    extract::State,
    response::{IntoResponse, Response},
    routing::post,
};

use crate::{AppState, auth::AuthUser};

pub fn router() -> Router<AppState> {
    Router::new().route("/chatkit", post(chatkit))
}

/// Handles one ChatKit request.
#[tracing::instrument(name = "chatkit.chatkit", skip_all, fields(user_id = %user.id))]
pub async fn chatkit(
    user: AuthUser,
    State(state): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return crate::extract::payload_too_large().into_response();
    };
    match dispatch::handle(user, state, body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}
