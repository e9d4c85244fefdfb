//! Threads, items and pages as ChatKit JSON.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use todobot_store::{Conversation, Message, MessageStatus, Role};

use super::protocol::{item_id, thread_id};
use crate::chat;

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn thread_json(c: &Conversation, items: Option<Value>) -> Value {
    let mut t = json!({
        "id": thread_id(c.id),
        "created_at": ts(c.created_at),
        "status": { "type": "active" },
        "items": items.unwrap_or_else(|| json!({ "data": [], "has_more": false })),
    });
    if let Some(title) = &c.title {
        t["title"] = json!(title);
    }
    t
}

pub fn output_text(text: &str) -> Value {
    json!({ "type": "output_text", "text": text, "annotations": [] })
}

/// A stored message as a ChatKit thread item (`None` for messages ChatKit does not show).
pub fn item_json(m: &Message) -> Option<Value> {
    let base = |kind: &str| {
        json!({
            "type": kind,
            "id": item_id(m.id),
            "thread_id": thread_id(m.conversation_id),
            "created_at": ts(m.created_at),
        })
    };
    match m.role {
        Role::User => {
            let mut v = base("user_message");
            v["content"] = json!([{ "type": "input_text", "text": m.content }]);
            v["attachments"] = json!([]);
            v["inference_options"] = json!({});
            Some(v)
        }
        // a reply still being written is shown by the stream that writes it
        Role::Assistant if m.status == MessageStatus::Streaming => None,
        Role::Assistant => {
            let mut v = base("assistant_message");
            v["content"] = json!([output_text(&m.content)]);
            Some(v)
        }
        Role::Widget => {
            let stored: Value = serde_json::from_str(&m.content).ok()?;
            let mut v = base("widget");
            v["widget"] = stored.get("widget")?.clone();
            if let Some(copy) = stored.get("copy_text").and_then(Value::as_str) {
                v["copy_text"] = json!(copy);
            }
            Some(v)
        }
    }
}

pub fn page_json(items: Vec<Value>, has_more: bool, after: Option<String>) -> Value {
    let mut p = json!({ "data": items, "has_more": has_more });
    if let Some(a) = after {
        p["after"] = json!(a);
    }
    p
}

/// A page of items from `limit + 1` rows (the extra row tells whether there is more).
pub fn items_page(mut rows: Vec<Message>, limit: u64) -> Value {
    let has_more = chat::truncate_page(&mut rows, limit);
    let after = has_more
        .then(|| rows.last().map(|m| item_id(m.id)))
        .flatten();
    let data = rows.iter().filter_map(item_json).collect();
    page_json(data, has_more, after)
}
