//! The ChatKit requests todobot understands: one enum tagged by `type`, each variant with its
//! `params`, plus the id and paging rules they share.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use todobot_store::{MessageOrder, validate};

use crate::error::{ApiError, ApiResult};

pub const DEFAULT_PAGE: u64 = 20;

/// The envelope every request shares; read first, so a malformed body is told apart from bad params.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub kind: String,
}

/// A ChatKit request. Unknown types land in [`Request::Other`] (answered by name).
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    #[serde(rename = "threads.create")]
    ThreadsCreate { params: CreateParams },
    #[serde(rename = "threads.add_user_message")]
    AddUserMessage { params: AddMessageParams },
    #[serde(rename = "threads.retry_after_item")]
    RetryAfterItem { params: RetryParams },
    #[serde(rename = "threads.custom_action")]
    CustomAction { params: ActionParams },
    #[serde(rename = "threads.get_by_id")]
    GetById { params: ThreadParams },
    #[serde(rename = "threads.list")]
    ThreadsList { params: ListParams },
    #[serde(rename = "items.list")]
    ItemsList { params: ItemsListParams },
    #[serde(rename = "threads.update")]
    ThreadsUpdate { params: UpdateParams },
    #[serde(rename = "threads.delete")]
    ThreadsDelete { params: ThreadParams },
    #[serde(rename = "items.feedback")]
    ItemsFeedback { params: FeedbackParams },
    #[serde(other)]
    Other,
}

/// Request types of the protocol todobot deliberately does not implement.
pub const UNSUPPORTED: &[&str] = &[
    "attachments.create",
    "attachments.delete",
    "input.transcribe",
    "threads.add_client_tool_output",
    "threads.add_structured_input",
    "threads.sync_custom_action",
];

#[derive(Debug, Deserialize)]
pub struct InputContent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Deserialize)]
pub struct UserInput {
    pub content: Vec<InputContent>,
    #[serde(default)]
    pub attachments: Vec<Value>,
}

/// What the echoed user item shows besides the text: the parts as sent (tags included) and the
/// quoted text. The official web component replaces its copy of the message with the echo.
#[derive(Clone, Debug, Default)]
pub struct Echo {
    pub content: Vec<Value>,
    pub quoted_text: Option<String>,
}

/// The echo of an input: its `input_text`/`input_tag` parts, as sent, and its quoted text.
pub fn echo_of(raw_params: &Value) -> Echo {
    let input = &raw_params["input"];
    let content = input["content"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter(|p| matches!(p["type"].as_str(), Some("input_text" | "input_tag")))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let quoted_text = input["quoted_text"]
        .as_str()
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    Echo {
        content,
        quoted_text,
    }
}

#[derive(Debug, Deserialize)]
pub struct CreateParams {
    pub input: UserInput,
}

#[derive(Debug, Deserialize)]
pub struct AddMessageParams {
    pub thread_id: String,
    pub input: UserInput,
}

#[derive(Debug, Deserialize)]
pub struct ThreadParams {
    pub thread_id: String,
}

#[derive(Debug, Deserialize)]
pub struct RetryParams {
    pub thread_id: String,
    pub item_id: String,
}

#[derive(Debug, Deserialize)]
pub struct ActionParams {
    pub thread_id: String,
    #[serde(default)]
    pub item_id: Option<String>,
    pub action: ActionBody,
}

#[derive(Debug, Deserialize)]
pub struct ActionBody {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub payload: Value,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub order: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ItemsListParams {
    pub thread_id: String,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub order: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateParams {
    pub thread_id: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct FeedbackParams {
    pub thread_id: String,
    pub item_ids: Vec<String>,
    pub kind: String,
}

/// A parsed request, with its type name and its raw params.
pub struct Parsed {
    pub kind: String,
    pub request: Request,
    pub params: Value,
}

/// Reads a request: 400 for a body that is not a ChatKit request, 422 for bad params.
pub fn parse(body: &[u8]) -> ApiResult<Parsed> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("INVALID_REQUEST", format!("Malformed ChatKit request: {e}"))
    })?;
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("INVALID_REQUEST", format!("Malformed ChatKit request: {e}"))
    })?;
    // a request without params is read as `params: null`, like any other params that do not fit
    if let Some(obj) = value.as_object_mut() {
        obj.entry("params").or_insert(Value::Null);
    }
    let params = value["params"].clone();
    let request = serde_json::from_value(value).map_err(|e| {
        ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_PARAMS",
            format!("Invalid params: {e}"),
        )
    })?;
    Ok(Parsed {
        kind: envelope.kind,
        request,
        params,
    })
}

pub fn thread_id(id: i64) -> String {
    format!("thr_{id}")
}

pub fn item_id(id: i64) -> String {
    format!("msg_{id}")
}

pub fn parse_id(raw: &str, prefix: &str) -> Option<i64> {
    raw.strip_prefix(prefix)?.parse().ok().filter(|n| *n > 0)
}

/// The user's text; tags count as text (their label is what the user picked).
pub fn input_text(input: &UserInput) -> ApiResult<String> {
    if !input.attachments.is_empty() {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ATTACHMENTS_UNSUPPORTED",
            "Attachments are not supported.",
        ));
    }
    let text = input
        .content
        .iter()
        .filter(|c| c.kind == "input_text" || c.kind == "input_tag")
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    validate::message(&text).map_err(|e| ApiError::field("input", e))
}

pub fn order_of(raw: Option<&str>) -> ApiResult<MessageOrder> {
    match raw {
        None | Some("desc") => Ok(MessageOrder::Desc),
        Some("asc") => Ok(MessageOrder::Asc),
        Some(_) => Err(ApiError::field("order", "order must be asc or desc")),
    }
}

/// A page size, by the same rule as the REST lists ([`crate::chat::page_limit`]).
pub fn limit_of(raw: Option<i64>) -> ApiResult<u64> {
    crate::chat::page_limit(raw, DEFAULT_PAGE)
}

/// A pagination cursor (`after`): an id with the given prefix.
pub fn cursor(after: Option<&str>, prefix: &str) -> ApiResult<Option<i64>> {
    after
        .map(|a| parse_id(a, prefix).ok_or_else(|| ApiError::field("after", "unknown cursor")))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        assert_eq!(parse_id(&thread_id(42), "thr_"), Some(42));
        assert_eq!(parse_id("thr_x", "thr_"), None);
        assert_eq!(parse_id("msg_1", "thr_"), None);
        assert_eq!(parse_id("thr_-1", "thr_"), None);
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(limit_of(None).ok(), Some(DEFAULT_PAGE));
        assert!(limit_of(Some(0)).is_err());
        assert!(limit_of(Some(-5)).is_err());
        assert_eq!(limit_of(Some(7)).ok(), Some(7));
        assert_eq!(limit_of(Some(200)).ok(), Some(crate::chat::MAX_PAGE));
    }

    #[test]
    fn requests_are_told_apart_by_type() {
        let p = parse(br#"{"type":"threads.delete","params":{"thread_id":"thr_1"}}"#)
            .expect("valid request");
        assert_eq!(p.kind, "threads.delete");
        assert!(
            matches!(p.request, Request::ThreadsDelete { params } if params.thread_id == "thr_1")
        );
        let p = parse(br#"{"type":"input.transcribe","params":{}}"#).expect("known shape");
        assert!(matches!(p.request, Request::Other));
        assert!(parse(br#"{"type":"threads.delete"}"#).is_err());
        assert!(parse(b"[1]").is_err());
    }
}
