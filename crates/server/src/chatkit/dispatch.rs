//! One handler per ChatKit request type: the streaming ones start a turn or an action, the others
//! answer JSON.

use axum::{
    Json,
    body::Bytes,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use todobot_store::{Conversation, Message, MessageOrder, Role};

use super::{
    actions::stream_action,
    protocol::{
        self, ActionParams, AddMessageParams, CreateParams, DEFAULT_PAGE, Echo, FeedbackParams,
        ItemsListParams, ListParams, Request, RetryParams, ThreadParams, UpdateParams, cursor,
        echo_of, input_text, limit_of, order_of, parse_id, thread_id,
    },
    render::{items_page, page_json, thread_json},
    stream::{Turn, stream_turn},
    widget::{self, TOGGLE_ACTION},
};
use crate::{
    AppState,
    auth::AuthUser,
    chat::{self, TurnInput},
    error::{ApiError, ApiResult},
};

#[tracing::instrument(name = "chatkit.handle", skip_all, fields(user_id = %user.id, request = tracing::field::Empty))]
pub async fn handle(user: AuthUser, state: AppState, body: Bytes) -> ApiResult<Response> {
    let protocol::Parsed {
        kind,
        request,
        params: raw,
    } = protocol::parse(&body)?;
    tracing::Span::current().record("request", kind.as_str());
    match request {
        Request::ThreadsCreate { params } => {
            threads_create(state, user, params, echo_of(&raw)).await
        }
        Request::AddUserMessage { params } => {
            add_user_message(state, user, params, echo_of(&raw)).await
        }
        Request::RetryAfterItem { params } => retry_after_item(state, user, params).await,
        Request::CustomAction { params } => custom_action(state, user, params).await,
        Request::GetById { params } => get_by_id(&state, &user, params).await,
        Request::ThreadsList { params } => threads_list(&state, &user, params).await,
        Request::ItemsList { params } => items_list(&state, &user, params).await,
        Request::ThreadsUpdate { params } => threads_update(&state, &user, params).await,
        Request::ThreadsDelete { params } => threads_delete(&state, &user, params).await,
        Request::ItemsFeedback { params } => items_feedback(&state, &user, params).await,
        Request::Other if protocol::UNSUPPORTED.contains(&kind.as_str()) => Err(ApiError::client(
            StatusCode::BAD_REQUEST,
            "UNSUPPORTED_REQUEST",
            format!("todobot does not support {kind}."),
        )),
        Request::Other => Err(ApiError::client(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_REQUEST_TYPE",
            format!("Unknown ChatKit request type {kind:?}."),
        )),
    }
}

pub async fn load_thread(state: &AppState, user: &AuthUser, raw: &str) -> ApiResult<Conversation> {
    let id = parse_id(raw, "thr_").ok_or(ApiError::NotFound("thread"))?;
    state
        .store
        .get_conversation(&user.id, id)
        .await?
        .ok_or(ApiError::NotFound("thread"))
}

/// The message behind item id `raw` in the conversation, which must have `role`.
pub async fn load_item(
    state: &AppState,
    user: &AuthUser,
    conversation: &Conversation,
    raw: &str,
    role: Role,
    wrong_role: (&'static str, &'static str),
) -> ApiResult<Message> {
    let id = parse_id(raw, "msg_").ok_or(ApiError::NotFound("item"))?;
    let m = state
        .store
        .get_message(&user.id, conversation.id, id)
        .await?
        .ok_or(ApiError::NotFound("item"))?;
    if m.role != role {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            wrong_role.0,
            wrong_role.1,
        ));
    }
    Ok(m)
}

async fn threads_create(
    state: AppState,
    user: AuthUser,
    p: CreateParams,
    echo: Echo,
) -> ApiResult<Response> {
    let text = input_text(&p.input)?;
    let conversation = state.store.create_conversation(&user.id, None).await?;
    let created = json!({ "type": "thread.created", "thread": thread_json(&conversation, None) });
    let turn = Turn {
        input: TurnInput::Message(text),
        echo,
        prelude: vec![created],
    };
    Ok(stream_turn(state, user, conversation, turn))
}

async fn add_user_message(
    state: AppState,
    user: AuthUser,
    p: AddMessageParams,
    echo: Echo,
) -> ApiResult<Response> {
    let text = input_text(&p.input)?;
    let conversation = load_thread(&state, &user, &p.thread_id).await?;
    let turn = Turn {
        input: TurnInput::Message(text),
        echo,
        prelude: vec![],
    };
    Ok(stream_turn(state, user, conversation, turn))
}

async fn retry_after_item(state: AppState, user: AuthUser, p: RetryParams) -> ApiResult<Response> {
    let conversation = load_thread(&state, &user, &p.thread_id).await?;
    let message_id = load_item(
        &state,
        &user,
        &conversation,
        &p.item_id,
        Role::User,
        ("NOT_A_USER_MESSAGE", "Only a user message can be retried."),
    )
    .await?
    .id;
    let turn = Turn {
        input: TurnInput::Retry { message_id },
        echo: Echo::default(),
        prelude: vec![],
    };
    Ok(stream_turn(state, user, conversation, turn))
}

async fn custom_action(state: AppState, user: AuthUser, p: ActionParams) -> ApiResult<Response> {
    let conversation = load_thread(&state, &user, &p.thread_id).await?;
    if p.action.kind != TOGGLE_ACTION {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNKNOWN_ACTION",
            format!("Unknown action {:?}.", p.action.kind),
        ));
    }
    let task_id = p
        .action
        .payload
        .get("task_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::field("action.payload.task_id", "task_id is required"))?;
    let completed = p.action.payload.get("completed").and_then(Value::as_bool);
    let widget = match &p.item_id {
        Some(raw) => Some(
            load_item(
                &state,
                &user,
                &conversation,
                raw,
                Role::Widget,
                ("NOT_A_WIDGET", "Actions apply to widget items."),
            )
            .await?,
        ),
        None => None,
    };
    Ok(stream_action(
        state,
        user,
        conversation,
        widget,
        task_id,
        completed,
    ))
}

async fn get_by_id(state: &AppState, user: &AuthUser, p: ThreadParams) -> ApiResult<Response> {
    let c = load_thread(state, user, &p.thread_id).await?;
    let mut rows = state
        .store
        .list_messages(&user.id, c.id, MessageOrder::Asc, None, DEFAULT_PAGE + 1)
        .await?;
    widget::refresh_all(state, user, &mut rows).await?;
    let items = items_page(rows, DEFAULT_PAGE);
    Ok(Json(thread_json(&c, Some(items))).into_response())
}

async fn threads_list(state: &AppState, user: &AuthUser, p: ListParams) -> ApiResult<Response> {
    let limit = limit_of(p.limit)?;
    let order = order_of(p.order.as_deref())?;
    let after = cursor(p.after.as_deref(), "thr_")?;
    let mut rows = state
        .store
        .list_conversations(&user.id, order, after, limit + 1)
        .await?;
    let has_more = chat::truncate_page(&mut rows, limit);
    let after = has_more
        .then(|| rows.last().map(|c| thread_id(c.id)))
        .flatten();
    let data = rows.iter().map(|c| thread_json(c, None)).collect();
    Ok(Json(page_json(data, has_more, after)).into_response())
}

async fn items_list(state: &AppState, user: &AuthUser, p: ItemsListParams) -> ApiResult<Response> {
    let c = load_thread(state, user, &p.thread_id).await?;
    let limit = limit_of(p.limit)?;
    let order = order_of(p.order.as_deref())?;
    let after = cursor(p.after.as_deref(), "msg_")?;
    let mut rows = state
        .store
        .list_messages(&user.id, c.id, order, after, limit + 1)
        .await?;
    widget::refresh_all(state, user, &mut rows).await?;
    Ok(Json(items_page(rows, limit)).into_response())
}

async fn threads_update(state: &AppState, user: &AuthUser, p: UpdateParams) -> ApiResult<Response> {
    let c = load_thread(state, user, &p.thread_id).await?;
    let c = state
        .store
        .rename_conversation(&user.id, c.id, &p.title)
        .await?
        .ok_or(ApiError::NotFound("thread"))?;
    Ok(Json(thread_json(&c, None)).into_response())
}

async fn threads_delete(state: &AppState, user: &AuthUser, p: ThreadParams) -> ApiResult<Response> {
    let c = load_thread(state, user, &p.thread_id).await?;
    state.store.delete_conversation(&user.id, c.id).await?;
    Ok(Json(json!({})).into_response())
}

async fn items_feedback(
    state: &AppState,
    user: &AuthUser,
    p: FeedbackParams,
) -> ApiResult<Response> {
    let c = load_thread(state, user, &p.thread_id).await?;
    if p.kind != "positive" && p.kind != "negative" {
        return Err(ApiError::field("kind", "kind must be positive or negative"));
    }
    let ids: Vec<i64> = p
        .item_ids
        .iter()
        .map(|i| parse_id(i, "msg_").ok_or(ApiError::NotFound("item")))
        .collect::<ApiResult<_>>()?;
    state
        .store
        .set_message_feedback(&user.id, c.id, &ids, &p.kind)
        .await?;
    Ok(Json(json!({})).into_response())
}
