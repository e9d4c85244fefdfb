//! One paging rule for every conversation and message list, REST and ChatKit alike: no `limit`
//! gives the default, `0` is refused with the same 422 field error, above 100 is clamped to 100.

mod common;

use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};

async fn rest(app: &TestApp, u: &TestUser, path: &str) -> (u16, Value) {
    app.call(
        Method::GET,
        &format!("/api/{}/{path}", u.id),
        Some(&u.jwt),
        None,
    )
    .await
}

async fn chatkit(app: &TestApp, u: &TestUser, kind: &str, params: Value) -> (u16, Value) {
    let (status, raw) = app
        .chatkit(&u.jwt, json!({ "type": kind, "params": params }))
        .await;
    (
        status,
        serde_json::from_str(&raw).unwrap_or(Value::String(raw)),
    )
}

/// A user with 105 conversations (the first holding 105 messages) made through the store.
async fn user_with_many(app: &TestApp) -> (TestUser, i64) {
    let u = app.sign_up("Pager").await;
    let mut first = None;
    for i in 0..105 {
        let c = app
            .state
            .store
            .create_conversation(&u.id, Some(&format!("conversation {i}")))
            .await
            .expect("conversation");
        first.get_or_insert(c.id);
    }
    let cid = first.expect("one conversation");
    for i in 0..105 {
        app.state
            .store
            .append_message(
                &u.id,
                cid,
                todobot_store::NewMessage {
                    role: todobot_store::Role::User,
                    content: format!("message {i}"),
                    tool_calls: None,
                    status: todobot_store::MessageStatus::Ok,
                },
            )
            .await
            .expect("message")
            .expect("conversation exists");
    }
    (u, cid)
}

fn len(page: &Value) -> usize {
    page["data"].as_array().map_or(0, Vec::len)
}

async fn a_zero_limit_is_refused_the_same_way_everywhere(db: Db) {
    let app = TestApp::start(db).await;
    let (u, cid) = user_with_many(&app).await;
    let thread = format!("thr_{cid}");
    let answers = [
        rest(&app, &u, "conversations?limit=0").await,
        rest(&app, &u, &format!("conversations/{cid}/messages?limit=0")).await,
        chatkit(&app, &u, "threads.list", json!({"limit": 0})).await,
        chatkit(
            &app,
            &u,
            "items.list",
            json!({"thread_id": thread, "limit": 0}),
        )
        .await,
    ];
    let negative = rest(&app, &u, "conversations?limit=-3").await;
    let too_big = rest(&app, &u, "conversations?limit=9223372036854775808").await;
    // below 1 is the paging rule's 422; past a signed 64-bit integer is not a number (400, as
    // any unparsable query)
    assert_eq!(
        (negative.0, too_big.0),
        (422, 400),
        "{negative:?} {too_big:?}"
    );
    for (status, body) in &answers {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(body, &answers[0].1, "one error for one rule");
    }
    assert!(
        answers[0].1.to_string().contains("limit"),
        "{}",
        answers[0].1
    );
    app.finish().await;
}

async fn large_limits_are_clamped_to_100_everywhere(db: Db) {
    let app = TestApp::start(db).await;
    let (u, cid) = user_with_many(&app).await;
    let thread = format!("thr_{cid}");
    for limit in [101, 1000] {
        let (s, page) = rest(&app, &u, &format!("conversations?limit={limit}")).await;
        assert_eq!(
            (s, len(&page), page["has_more"].clone()),
            (200, 100, json!(true))
        );
        let (s, page) = rest(
            &app,
            &u,
            &format!("conversations/{cid}/messages?limit={limit}"),
        )
        .await;
        assert_eq!(
            (s, len(&page), page["has_more"].clone()),
            (200, 100, json!(true))
        );
        let (s, page) = chatkit(&app, &u, "threads.list", json!({"limit": limit})).await;
        assert_eq!(
            (s, len(&page), page["has_more"].clone()),
            (200, 100, json!(true))
        );
        let (s, page) = chatkit(
            &app,
            &u,
            "items.list",
            json!({"thread_id": thread, "limit": limit}),
        )
        .await;
        assert_eq!(
            (s, len(&page), page["has_more"].clone()),
            (200, 100, json!(true))
        );
    }
    app.finish().await;
}

async fn no_limit_gives_each_lists_default(db: Db) {
    let app = TestApp::start(db).await;
    let (u, cid) = user_with_many(&app).await;
    let thread = format!("thr_{cid}");
    assert_eq!(len(&rest(&app, &u, "conversations").await.1), 20);
    assert_eq!(
        len(&rest(&app, &u, &format!("conversations/{cid}/messages"))
            .await
            .1),
        100
    );
    assert_eq!(
        len(&chatkit(&app, &u, "threads.list", json!({})).await.1),
        20
    );
    assert_eq!(
        len(
            &chatkit(&app, &u, "items.list", json!({"thread_id": thread}))
                .await
                .1
        ),
        20
    );
    app.finish().await;
}

db_tests!(
    a_zero_limit_is_refused_the_same_way_everywhere,
    large_limits_are_clamped_to_100_everywhere,
    no_limit_gives_each_lists_default,
);
