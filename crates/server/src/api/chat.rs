//! Stateless chat: POST /api/{user_id}/chat, and reading conversations back.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use todobot_store::{Message, MessageOrder, validate};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::AuthUser,
    chat::{self, TurnInput},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Continue this conversation; omit to start a new one.
    #[serde(default)]
    pub conversation_id: Option<i64>,
    /// What you want, in plain language (1..8000 characters, not blank).
    #[schema(
        min_length = 1,
        max_length = 8000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"
    )]
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ToolCallDto {
    pub name: String,
    pub arguments: Value,
    pub result: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatResponse {
    pub conversation_id: i64,
    /// The assistant's reply.
    pub response: String,
    /// The MCP tool calls the assistant made, in order, with their results.
    pub tool_calls: Vec<ToolCallDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDto {
    pub id: i64,
    pub title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationPage {
    pub data: Vec<ConversationDto>,
    pub has_more: bool,
    /// Pass as `after` to get the next page.
    pub after: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    /// `user`, `assistant` or `widget`.
    pub role: String,
    pub content: String,
    pub tool_calls: Vec<ToolCallDto>,
    /// `ok`, `error` for an assistant message reporting a failed turn, or `streaming` while a
    /// streamed reply is being written.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    pub data: Vec<MessageDto>,
    pub has_more: bool,
    pub after: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, at least 1 (default 20 for conversations, 100 for messages); larger than 100
    /// is clamped to 100.
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// Cursor: the last id of the previous page.
    pub after: Option<i64>,
    /// `asc` or `desc` (default: newest first for conversations, oldest first for messages)
    #[param(value_type = Option<OrderParam>)]
    pub order: Option<String>,
}

impl PageQuery {
    fn parse(
        &self,
        default_limit: u64,
        default_order: MessageOrder,
    ) -> ApiResult<(u64, MessageOrder)> {
        let limit = chat::page_limit(self.limit, default_limit)?;
        let order = match self.order.as_deref() {
            None => default_order,
            Some("asc") => MessageOrder::Asc,
            Some("desc") => MessageOrder::Desc,
            Some(_) => return Err(ApiError::field("order", "order must be asc or desc")),
        };
        Ok((limit, order))
    }
}

/// Listing order (documentation of the `order` query parameter).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum OrderParam {
    Asc,
    Desc,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{user_id}/chat", post(chat))
        .route("/api/{user_id}/conversations", get(list_conversations))
        .route(
            "/api/{user_id}/conversations/{id}",
            get(get_conversation).delete(delete_conversation),
        )
        .route(
            "/api/{user_id}/conversations/{id}/messages",
            get(list_messages),
        )
}

impl From<todobot_agent::ToolCallRecord> for ToolCallDto {
    fn from(c: todobot_agent::ToolCallRecord) -> Self {
        ToolCallDto {
            name: c.name,
            arguments: c.arguments,
            result: c.result,
        }
    }
}

fn tool_dtos(m: &Message) -> Vec<ToolCallDto> {
    chat::stored_tool_calls(m)
        .into_iter()
        .map(ToolCallDto::from)
        .collect()
}

/// Send a chat message.
///
/// The message is stored before the assistant runs; the reply and every tool call are stored before
/// this returns. When the model fails, the reply is an error status whose message says what
/// happened; the `x-conversation-id` header names the conversation (new or existing).
///
/// With `Accept: text/event-stream` the answer is a stream of server-sent events instead: `start`
/// (ids), `delta` (reply text as it is written), `reset`, `tool_call`, `tool_result`, then `done`
/// (the JSON mode's body plus `message_id` and `user_message_id`) or `error`. Everything is stored
/// before the stream ends, and the turn finishes even if the client disconnects.
#[utoipa::path(post, path = "/api/{user_id}/chat", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The assistant's reply (or, with Accept: text/event-stream, its events)", body = ChatResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such conversation", body = ErrorBody),
        (status = 409, description = "The conversation is busy with another message", body = ErrorBody),
        (status = 422, description = "Empty or too long message", body = ErrorBody),
        (status = 429, description = "The language model is rate limiting", body = ErrorBody),
        (status = 502, description = "The language model failed or sent an invalid response", body = ErrorBody),
        (status = 503, description = "Tasks unavailable (database or MCP service down)", body = ErrorBody),
        (status = 504, description = "The language model timed out", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.chat", skip_all, fields(user_id = %user.id))]
pub async fn chat(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<ChatRequest>,
) -> ApiResult<Response> {
    user.require_self(&user_id)?;
    let text = validate::message(&req.message).map_err(|e| ApiError::field("message", e))?;
    let conversation = match req.conversation_id {
        Some(id) => state
            .store
            .get_conversation(&user.id, id)
            .await?
            .ok_or(ApiError::NotFound("conversation"))?,
        None => {
            state
                .store
                .create_conversation(&user.id, Some(&chat::title_from(&text)))
                .await?
        }
    };
    let cid = conversation.id;
    let with_id = |mut res: Response| {
        if let Ok(v) = HeaderValue::from_str(&cid.to_string()) {
            res.headers_mut().insert("x-conversation-id", v);
        }
        res
    };
    if super::chat_stream::wants_stream(&headers) {
        let res = super::chat_stream::stream_chat(state, user, conversation, text);
        return Ok(with_id(res));
    }
    // The turn runs in its own task: if the client goes away it still finishes, stores its reply
    // and releases the conversation.
    let turn = {
        let state = state.clone();
        let user = user.clone();
        tokio::spawn(async move {
            let agent = state.agent.clone();
            chat::run_turn(
                &state,
                &agent,
                &user,
                conversation,
                TurnInput::Message(text),
                None,
                None,
            )
            .await
        })
    };
    let result = match turn.await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return Ok(with_id(ApiError::from(e).into_response())),
        Err(e) => return Err(ApiError::internal(format!("chat turn task failed: {e}"))),
    };
    if let Some(kind) = result.failure {
        return Ok(with_id(
            chat::failure_error(kind, &result.reply.content).into_response(),
        ));
    }
    let body = ChatResponse {
        conversation_id: cid,
        response: result.reply.content,
        tool_calls: result
            .tool_calls
            .into_iter()
            .map(ToolCallDto::from)
            .collect(),
    };
    Ok(with_id(Json(body).into_response()))
}

fn conversation_dto(c: todobot_store::Conversation) -> ConversationDto {
    ConversationDto {
        id: c.id,
        title: c.title,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// List your conversations (newest first by default).
#[utoipa::path(get, path = "/api/{user_id}/conversations", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), PageQuery),
    responses(
        (status = 200, description = "A page of conversations", body = ConversationPage),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 422, description = "Bad paging parameters", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.list_conversations", skip_all, fields(user_id = %user.id))]
pub async fn list_conversations(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ConversationPage>> {
    user.require_self(&user_id)?;
    let (limit, order) = q.parse(20, MessageOrder::Desc)?;
    let mut rows = state
        .store
        .list_conversations(&user.id, order, q.after, limit + 1)
        .await?;
    let has_more = chat::truncate_page(&mut rows, limit);
    let after = rows.last().map(|c| c.id);
    Ok(Json(ConversationPage {
        data: rows.into_iter().map(conversation_dto).collect(),
        has_more,
        after,
    }))
}

/// Get one conversation.
#[utoipa::path(get, path = "/api/{user_id}/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation", body = ConversationDto),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such conversation", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.get_conversation", skip_all, fields(user_id = %user.id, conversation_id = id))]
pub async fn get_conversation(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
) -> ApiResult<Json<ConversationDto>> {
    user.require_self(&user_id)?;
    let c = state
        .store
        .get_conversation(&user.id, id)
        .await?
        .ok_or(ApiError::NotFound("conversation"))?;
    Ok(Json(conversation_dto(c)))
}

/// Delete a conversation and its messages.
#[utoipa::path(delete, path = "/api/{user_id}/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such conversation", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.delete_conversation", skip_all, fields(user_id = %user.id, conversation_id = id))]
pub async fn delete_conversation(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    user.require_self(&user_id)?;
    if state.store.delete_conversation(&user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("conversation"))
    }
}

/// Read a conversation's messages (oldest first by default), with the tool calls of each reply.
#[utoipa::path(get, path = "/api/{user_id}/conversations/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Conversation id"), PageQuery),
    responses(
        (status = 200, description = "A page of messages", body = MessagePage),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "user_id is not you", body = ErrorBody),
        (status = 404, description = "You have no such conversation", body = ErrorBody),
        (status = 422, description = "Bad paging parameters", body = ErrorBody),
    ))]
#[tracing::instrument(name = "api.list_messages", skip_all, fields(user_id = %user.id, conversation_id = id))]
pub async fn list_messages(
    user: AuthUser,
    State(state): State<AppState>,
    ApiPath((user_id, id)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<MessagePage>> {
    user.require_self(&user_id)?;
    let (limit, order) = q.parse(100, MessageOrder::Asc)?;
    state
        .store
        .get_conversation(&user.id, id)
        .await?
        .ok_or(ApiError::NotFound("conversation"))?;
    let mut rows = state
        .store
        .list_messages(&user.id, id, order, q.after, limit + 1)
        .await?;
    let has_more = chat::truncate_page(&mut rows, limit);
    let after = rows.last().map(|m| m.id);
    Ok(Json(MessagePage {
        data: rows
            .into_iter()
            .map(|m| MessageDto {
                id: m.id,
                tool_calls: tool_dtos(&m),
                role: m.role.as_str().to_owned(),
                content: m.content,
                status: m.status.as_str().to_owned(),
                created_at: m.created_at,
            })
            .collect(),
        has_more,
        after,
    }))
}
