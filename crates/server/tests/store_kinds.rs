//! The store's typed columns and the database errors it recognises by kind (sea-orm's `SqlErr`),
//! never by message text, on SQLite and PostgreSQL.

mod common;

use common::{Db, TestApp};
use sea_orm::{ConnectionTrait, Statement};
use todobot_store::{MessageOrder, MessageStatus, NewMessage, Role, StoreError};

async fn a_conversation_for_a_deleted_user_is_user_not_found(db: Db) {
    let app = TestApp::start(db).await;
    let err = app
        .state
        .store
        .create_conversation("no-such-user", None)
        .await
        .expect_err("a conversation needs an existing user");
    assert!(matches!(err, StoreError::UserNotFound), "{err:?}");
    app.finish().await;
}

fn message(role: Role, status: MessageStatus) -> NewMessage {
    NewMessage {
        role,
        content: format!("{role:?} {status:?}"),
        tool_calls: None,
        status,
    }
}

async fn message_roles_and_statuses_are_stored_as_their_names(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("roles").await;
    let store = &app.state.store;
    let cid = store
        .create_conversation(&user.id, None)
        .await
        .expect("conversation")
        .id;
    let cases = [
        (Role::User, MessageStatus::Ok),
        (Role::Assistant, MessageStatus::Error),
        (Role::Widget, MessageStatus::Ok),
        (Role::Assistant, MessageStatus::Streaming),
    ];
    let mut ids = Vec::new();
    for (role, status) in cases {
        let m = store
            .append_message(&user.id, cid, message(role, status))
            .await
            .expect("append")
            .expect("conversation exists");
        ids.push(m.id);
    }
    // finishing the streamed reply matches on its role
    let wrong_role = store
        .complete_message(
            &user.id,
            cid,
            ids[3],
            message(Role::User, MessageStatus::Ok),
        )
        .await
        .expect("complete");
    assert!(
        wrong_role.is_none(),
        "a user message is not the reserved reply"
    );
    let done = store
        .complete_message(
            &user.id,
            cid,
            ids[3],
            message(Role::Assistant, MessageStatus::Ok),
        )
        .await
        .expect("complete")
        .expect("the reserved reply");
    assert_eq!(done.status, MessageStatus::Ok);

    let read: Vec<(Role, MessageStatus)> = store
        .list_messages(&user.id, cid, MessageOrder::Asc, None, 10)
        .await
        .expect("messages")
        .into_iter()
        .map(|m| (m.role, m.status))
        .collect();
    assert_eq!(
        read,
        [
            (Role::User, MessageStatus::Ok),
            (Role::Assistant, MessageStatus::Error),
            (Role::Widget, MessageStatus::Ok),
            (Role::Assistant, MessageStatus::Ok),
        ]
    );
    // the columns hold the plain names (no database enum type, no migration)
    let conn = store.connection();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT role, status FROM messages WHERE conversation_id = {cid} ORDER BY id"),
        ))
        .await
        .expect("raw select");
    let raw: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "role").expect("role"),
                r.try_get::<String>("", "status").expect("status"),
            )
        })
        .collect();
    let names = |(a, b): (&str, &str)| (a.to_owned(), b.to_owned());
    assert_eq!(
        raw,
        [
            names(("user", "ok")),
            names(("assistant", "error")),
            names(("widget", "ok")),
            names(("assistant", "ok")),
        ]
    );
    app.finish().await;
}

db_tests!(
    a_conversation_for_a_deleted_user_is_user_not_found,
    message_roles_and_statuses_are_stored_as_their_names,
);
