//! Tracing spans: a chat turn's tool call is logged inside spans naming the user, the conversation
//! and the tool, and no span carries the message text or the caller's token.

mod common;

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex, OnceLock},
};

use common::{Db, TestApp};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
    span::{Attributes, Id, Record},
};
use tracing_subscriber::{
    Layer, filter::Targets, layer::Context, prelude::*, registry::LookupSpan,
};

db_tests!(a_tool_call_is_logged_with_user_conversation_and_tool);

type FieldMap = BTreeMap<String, String>;

#[derive(Clone, Debug)]
struct CapturedSpan {
    name: &'static str,
    fields: FieldMap,
}

#[derive(Clone, Debug)]
struct CapturedEvent {
    fields: FieldMap,
    /// The spans the event happened in, outermost first.
    scope: Vec<CapturedSpan>,
}

#[derive(Default)]
struct Captured {
    events: Vec<CapturedEvent>,
    closed_spans: Vec<CapturedSpan>,
}

/// A layer keeping every span's fields and every event with the spans around it.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct SpanFields(FieldMap);

struct Visitor<'a>(&'a mut FieldMap);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

fn snapshot<S: for<'a> LookupSpan<'a>>(
    span: &tracing_subscriber::registry::SpanRef<'_, S>,
) -> CapturedSpan {
    CapturedSpan {
        name: span.name(),
        fields: span
            .extensions()
            .get::<SpanFields>()
            .map(|f| f.0.clone())
            .unwrap_or_default(),
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = FieldMap::new();
        attrs.record(&mut Visitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut Visitor(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = FieldMap::new();
        event.record(&mut Visitor(&mut fields));
        let scope = ctx
            .event_scope(event)
            .map(|s| s.from_root().map(|span| snapshot(&span)).collect())
            .unwrap_or_default();
        if let Ok(mut c) = self.0.lock() {
            c.events.push(CapturedEvent { fields, scope });
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Ok(mut c) = self.0.lock()
        {
            c.closed_spans.push(snapshot(&span));
        }
    }
}

/// The process-wide capture (installed once: both database variants share it, each test looks only
/// at its own user's records).
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let targets = Targets::new()
            .with_target("todobot_server", tracing::Level::DEBUG)
            .with_target("todobot_agent", tracing::Level::DEBUG)
            .with_target("todobot_mcp", tracing::Level::DEBUG)
            .with_target("todobot_store", tracing::Level::DEBUG);
        tracing_subscriber::registry()
            .with(capture.clone().with_filter(targets))
            .try_init()
            .expect("install the capturing subscriber");
        capture
    })
}

#[derive(Debug, Deserialize)]
struct ChatReply {
    conversation_id: i64,
    tool_calls: Vec<ToolCall>,
}

#[derive(Debug, Deserialize)]
struct ToolCall {
    name: String,
}

fn field<'a>(span: &'a CapturedSpan, name: &str) -> Option<&'a str> {
    span.fields.get(name).map(String::as_str)
}

async fn a_tool_call_is_logged_with_user_conversation_and_tool(db: Db) {
    let capture = capture();
    let app = TestApp::start(db).await;
    let user = app.sign_up("Traced").await;
    let message = "Add a task to feed the zebra";
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/{}/chat", user.id),
            Some(&user.jwt),
            Some(json!({ "message": message })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let reply: ChatReply = serde_json::from_value(body).expect("chat reply");
    assert_eq!(reply.tool_calls.len(), 1);
    assert_eq!(reply.tool_calls[0].name, "add_task");
    let cid = reply.conversation_id.to_string();

    let (events, closed) = {
        let c = capture.0.lock().expect("capture");
        (c.events.clone(), c.closed_spans.clone())
    };
    let ours = |s: &CapturedSpan| field(s, "user_id") == Some(user.id.as_str());
    // the tool call's log line sits in the turn's span (user, conversation) and the call's (tool)
    let logged = events.iter().find(|e| {
        e.fields.get("message").map(String::as_str) == Some("tool call")
            && e.scope.iter().any(|s| {
                s.name == "chat.turn" && ours(s) && field(s, "conversation_id") == Some(&cid)
            })
    });
    let logged = logged.expect("a `tool call` event inside this user's chat.turn span");
    let call = logged
        .scope
        .iter()
        .find(|s| s.name == "agent.tool_call")
        .expect("agent.tool_call span");
    assert_eq!(field(call, "tool"), Some("add_task"));
    assert_eq!(
        logged.fields.get("is_error").map(String::as_str),
        Some("false")
    );
    assert!(
        logged.scope.iter().any(|s| s.name == "agent.run"
            && ours(s)
            && field(s, "conversation_id") == Some(&cid)
            && field(s, "model") == Some("local")),
        "{:?}",
        logged.scope
    );
    // the REST handler, the MCP tool and the store calls are traced with the user too
    let has = |name: &str| closed.iter().any(|s| s.name == name && ours(s));
    assert!(has("api.chat"), "api.chat span");
    assert!(
        closed
            .iter()
            .any(|s| s.name == "mcp.tool" && ours(s) && field(s, "tool") == Some("add_task")),
        "mcp.tool span"
    );
    assert!(has("store.create_task_with"), "store span");
    assert!(
        closed.iter().any(|s| s.name == "store.append_message"
            && ours(s)
            && field(s, "conversation_id") == Some(&cid)),
        "store span with the conversation"
    );
    // no span field carries the message text or a credential
    for span in closed.iter().chain(events.iter().flat_map(|e| &e.scope)) {
        for value in span.fields.values() {
            assert!(!value.contains("zebra"), "message text in {span:?}");
            assert!(!value.contains(&user.jwt), "token in {span:?}");
            assert!(!value.contains(&user.session), "session in {span:?}");
        }
    }
    app.finish().await;
}
