//! The REST task API, on SQLite and PostgreSQL.

mod common;

use common::{Db, TestApp, TestUser, tasks::ErrorBody};
use reqwest::Method;
use serde_json::{Value, json};

/// A user with three tasks: 1 "Buy groceries" (with a description), 2 "Pay bills", 3 "Call mom".
async fn three_tasks(db: Db) -> (TestApp, TestUser) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Ann").await;
    let tasks = app.tasks_of(&u);
    tasks
        .create(json!({"title": "Buy groceries", "description": "milk, eggs"}))
        .await;
    tasks.create(json!({"title": "Pay bills"})).await;
    tasks.create(json!({"title": "Call mom"})).await;
    (app, u)
}

async fn creating_a_task_trims_the_title_and_returns_it(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Ann").await;
    let created = app
        .tasks_of(&u)
        .create(json!({"title": "  Buy groceries ", "description": "milk, eggs"}))
        .await;
    assert_eq!(created.id, 1);
    assert_eq!(created.title, "Buy groceries");
    assert_eq!(created.description.as_deref(), Some("milk, eggs"));
    assert!(!created.completed);
    assert_eq!(created.user_id, u.id);
    assert!(created.created_at.ends_with('Z'), "{}", created.created_at);
    app.finish().await;
}

async fn a_task_is_read_by_its_number(db: Db) {
    let (app, u) = three_tasks(db).await;
    assert_eq!(app.tasks_of(&u).get(2).await.title, "Pay bills");
    app.finish().await;
}

async fn complete_without_a_body_toggles(db: Db) {
    let (app, u) = three_tasks(db).await;
    let tasks = app.tasks_of(&u);
    assert!(tasks.complete(2, None).await.completed);
    assert!(!tasks.complete(2, None).await.completed);
    app.finish().await;
}

async fn complete_with_a_body_sets_the_state_idempotently(db: Db) {
    let (app, u) = three_tasks(db).await;
    let tasks = app.tasks_of(&u);
    assert!(tasks.complete(2, Some(true)).await.completed);
    assert!(
        tasks.complete(2, Some(true)).await.completed,
        "setting is idempotent"
    );
    app.finish().await;
}

async fn status_filters_and_paging_select_tasks_in_order(db: Db) {
    let (app, u) = three_tasks(db).await;
    let tasks = app.tasks_of(&u);
    tasks.complete(2, Some(true)).await;
    assert_eq!(tasks.ids("").await, vec![1, 2, 3]);
    assert_eq!(tasks.ids("?status=pending").await, vec![1, 3]);
    assert_eq!(tasks.ids("?status=completed").await, vec![2]);
    assert_eq!(tasks.ids("?limit=2&offset=1").await, vec![2, 3]);
    app.finish().await;
}

async fn an_update_changes_only_the_given_fields(db: Db) {
    let (app, u) = three_tasks(db).await;
    let tasks = app.tasks_of(&u);
    let before = tasks.get(1).await;
    let up = tasks
        .update(1, json!({"title": "Buy groceries and fruit"}))
        .await;
    assert_eq!(up.title, "Buy groceries and fruit");
    assert_eq!(up.description.as_deref(), Some("milk, eggs"));
    // null clears the description; completion can change too
    let up = tasks
        .update(1, json!({"description": null, "completed": true}))
        .await;
    assert_eq!(up.description, None);
    assert!(up.completed);
    assert_ne!(up.updated_at, before.updated_at);
    app.finish().await;
}

async fn a_deleted_task_is_gone_and_its_number_is_not_reused(db: Db) {
    let (app, u) = three_tasks(db).await;
    let tasks = app.tasks_of(&u);
    let (status, body) = tasks.send(Method::DELETE, "/3", None).await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    assert_eq!(tasks.status(Method::GET, "/3", None).await, 404);
    assert_eq!(tasks.status(Method::DELETE, "/3", None).await, 404);
    assert_eq!(tasks.create(json!({"title": "Next"})).await.id, 4);
    app.finish().await;
}

/// The titles of the user's tasks, in order.
async fn titles(app: &TestApp, u: &TestUser) -> Vec<String> {
    app.tasks_of(u)
        .list("")
        .await
        .into_iter()
        .map(|t| t.title)
        .collect()
}

async fn invalid_task_bodies_are_refused_naming_the_field_and_change_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Val").await;
    let tasks = app.tasks_of(&u);
    tasks.create(json!({"title": "Original"})).await;
    let long_title = "t".repeat(201);
    let long_desc = "d".repeat(1001);
    let cases = [
        (Method::POST, "", json!({"title": ""}), "title"),
        (Method::POST, "", json!({"title": "   "}), "title"),
        (Method::POST, "", json!({"title": long_title}), "title"),
        (
            Method::POST,
            "",
            json!({"title": "ok", "description": long_desc}),
            "description",
        ),
        (
            Method::POST,
            "",
            json!({"description": "no title"}),
            "title",
        ),
        (Method::POST, "", json!({"title": 42}), "title"),
        (
            Method::POST,
            "",
            json!({"title": "ok", "titel": "typo"}),
            "titel",
        ),
        (Method::POST, "", json!({"title": "nul\u{0}byte"}), "title"),
        (Method::PUT, "/1", json!({"title": ""}), "title"),
        (
            Method::PUT,
            "/1",
            json!({"title": "fine", "description": long_desc}),
            "description",
        ),
        (Method::PUT, "/1", json!({}), "body"),
        (Method::PUT, "/1", json!({"completed": "yes"}), "completed"),
    ];
    for (method, suffix, body, field) in cases {
        let (status, err) = tasks
            .refused(method.clone(), suffix, Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{method} {body}");
        assert_eq!(err.code, "VALIDATION_ERROR");
        assert!(
            err.fields.get(field).is_some_and(Value::is_string),
            "{body} should flag {field}: {err:?}"
        );
    }
    // nothing was written or changed
    assert_eq!(titles(&app, &u).await, ["Original"]);
    app.finish().await;
}

async fn titles_and_descriptions_at_the_length_limits_are_accepted(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Val").await;
    // exactly 200 / 1000 characters (multi-byte) are fine
    let task = app
        .tasks_of(&u)
        .create(json!({"title": "é".repeat(200), "description": "ü".repeat(1000)}))
        .await;
    assert_eq!(task.title.chars().count(), 200);
    app.finish().await;
}

async fn bad_list_parameters_are_refused(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Val").await;
    let tasks = app.tasks_of(&u);
    assert_eq!(tasks.status(Method::GET, "?status=done", None).await, 422);
    assert_eq!(tasks.status(Method::GET, "?limit=0", None).await, 422);
    assert_eq!(tasks.status(Method::GET, "?limit=abc", None).await, 400);
    app.finish().await;
}

async fn malformed_json_and_a_wrong_content_type_are_refused(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Val").await;
    let url = app.url(&app.tasks_of(&u).path(""));
    let res = app
        .client
        .post(&url)
        .bearer_auth(&u.jwt)
        .header("content-type", "application/json")
        .body("{\"title\":")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 400);
    let err: ErrorBody = res.json().await.expect("error body");
    assert_eq!(err.code, "INVALID_JSON");
    let res = app
        .client
        .post(&url)
        .bearer_auth(&u.jwt)
        .body("{\"title\":\"x\"}")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 415);
    assert!(titles(&app, &u).await.is_empty(), "nothing was written");
    app.finish().await;
}

async fn malformed_task_numbers_are_400_and_absent_ones_404(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Val").await;
    let tasks = app.tasks_of(&u);
    assert_eq!(tasks.status(Method::GET, "/abc", None).await, 400);
    assert_eq!(
        tasks
            .status(Method::GET, "/99999999999999999999", None)
            .await,
        400
    );
    assert_eq!(tasks.status(Method::GET, "/0", None).await, 404);
    assert_eq!(tasks.status(Method::GET, "/-1", None).await, 404);
    app.finish().await;
}

async fn an_oversized_body_is_refused_and_changes_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Val").await;
    let tasks = app.tasks_of(&u);
    tasks.create(json!({"title": "Original"})).await;
    let huge = json!({"title": "x", "description": "y".repeat(100_000)});
    let (status, err) = tasks.send(Method::POST, "", Some(huge)).await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(titles(&app, &u).await, ["Original"]);
    app.finish().await;
}

async fn every_route_needs_a_token(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Nat").await;
    app.create_task(&u, "Mine").await;
    let base = format!("/api/{}/tasks", u.id);
    let routes = [
        (Method::GET, base.clone(), None),
        (Method::POST, base.clone(), Some(json!({"title": "x"}))),
        (Method::GET, format!("{base}/1"), None),
        (
            Method::PUT,
            format!("{base}/1"),
            Some(json!({"title": "x"})),
        ),
        (Method::DELETE, format!("{base}/1"), None),
        (Method::PATCH, format!("{base}/1/complete"), None),
    ];
    for (method, path, body) in &routes {
        let (status, err) = app.call(method.clone(), path, None, body.clone()).await;
        assert_eq!(status, 401, "{method} {path}");
        assert_eq!(err["code"], "UNAUTHORIZED");
        let (status, _) = app
            .call(method.clone(), path, Some("garbage"), body.clone())
            .await;
        assert_eq!(status, 401, "{method} {path}");
    }
    let tasks = app.tasks(&u).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["title"], "Mine");
    assert_eq!(tasks[0]["completed"], false);
    app.finish().await;
}

async fn users_are_isolated(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Alice").await;
    let b = app.sign_up("Bob").await;
    app.create_task(&b, "Bob's secret task").await;
    app.create_task(&b, "Bob's second task").await;
    app.create_task(&a, "Alice's task").await;

    // A's token on B's URLs: 403 on every route
    let b_base = format!("/api/{}/tasks", b.id);
    for (method, path, body) in [
        (Method::GET, b_base.clone(), None),
        (
            Method::POST,
            b_base.clone(),
            Some(json!({"title": "planted"})),
        ),
        (Method::GET, format!("{b_base}/1"), None),
        (
            Method::PUT,
            format!("{b_base}/1"),
            Some(json!({"title": "hacked"})),
        ),
        (Method::DELETE, format!("{b_base}/1"), None),
        (Method::PATCH, format!("{b_base}/1/complete"), None),
    ] {
        let (status, err) = app.call(method.clone(), &path, Some(&a.jwt), body).await;
        assert_eq!(status, 403, "{method} {path}: {err}");
        assert_eq!(err["code"], "FORBIDDEN");
        assert!(!err.to_string().contains("secret"));
    }
    // A's token on A's URLs with B's task ids: 404 (A has only task 1; B's task 2 is invisible)
    let a_base = format!("/api/{}/tasks", a.id);
    for (method, path, body) in [
        (Method::GET, format!("{a_base}/2"), None),
        (
            Method::PUT,
            format!("{a_base}/2"),
            Some(json!({"title": "hacked"})),
        ),
        (Method::DELETE, format!("{a_base}/2"), None),
        (Method::PATCH, format!("{a_base}/2/complete"), None),
    ] {
        let (status, _) = app.call(method.clone(), &path, Some(&a.jwt), body).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    // task 1 exists for both; A's operations on "1" touch only A's task 1
    app.call(
        Method::PUT,
        &format!("{a_base}/1"),
        Some(&a.jwt),
        Some(json!({"title": "Alice renamed"})),
    )
    .await;
    app.call(
        Method::PATCH,
        &format!("{a_base}/1/complete"),
        Some(&a.jwt),
        None,
    )
    .await;
    let a_tasks = app.tasks(&a).await;
    assert_eq!(a_tasks.len(), 1);
    assert_eq!(a_tasks[0]["title"], "Alice renamed");
    let b_tasks = app.tasks(&b).await;
    assert_eq!(b_tasks.len(), 2);
    assert_eq!(b_tasks[0]["title"], "Bob's secret task");
    assert_eq!(b_tasks[0]["completed"], false);
    assert!(b_tasks.iter().all(|t| t["user_id"] == b.id.as_str()));
    // deleting A's task 1 leaves B's task 1 alone
    assert_eq!(
        app.call(Method::DELETE, &format!("{a_base}/1"), Some(&a.jwt), None)
            .await
            .0,
        204
    );
    assert_eq!(app.tasks(&b).await.len(), 2);
    app.finish().await;
}

async fn concurrent_creates_get_distinct_ids(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Racer").await;
    let other = app.sign_up("Other").await;
    let n = 40;
    let app_ref = &app;
    let mut futs = Vec::new();
    for i in 0..n {
        let (who, title) = if i % 4 == 0 {
            (&other, format!("other {i}"))
        } else {
            (&u, format!("task {i}"))
        };
        futs.push(async move {
            let (status, body) = app_ref
                .call(
                    Method::POST,
                    &format!("/api/{}/tasks", who.id),
                    Some(&who.jwt),
                    Some(json!({"title": title})),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            (who.id.clone(), body["id"].as_i64().unwrap())
        });
    }
    let results = futures::future::join_all(futs).await;
    let mut mine: Vec<i64> = results
        .iter()
        .filter(|(w, _)| *w == u.id)
        .map(|(_, id)| *id)
        .collect();
    let mut theirs: Vec<i64> = results
        .iter()
        .filter(|(w, _)| *w == other.id)
        .map(|(_, id)| *id)
        .collect();
    mine.sort();
    theirs.sort();
    assert_eq!(mine, (1..=30).collect::<Vec<_>>());
    assert_eq!(theirs, (1..=10).collect::<Vec<_>>());
    assert_eq!(app.tasks(&u).await.len(), 30);
    app.finish().await;
}

async fn health_docs_and_errors(db: Db) {
    let app = TestApp::start(db).await;
    let (status, h) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((status, h["status"].as_str()), (200, Some("ok")));
    let (status, r) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!((status, r["database"].as_str()), (200, Some("ok")));
    let (status, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in [
        "/api/{user_id}/tasks",
        "/api/{user_id}/tasks/{id}",
        "/api/{user_id}/tasks/{id}/complete",
        "/api/auth/sign-up/email",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("swagger"));
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("todobot_http_requests_total")
    );
    let (status, err) = app.call(Method::GET, "/api/nope", None, None).await;
    assert_eq!((status, err["code"].as_str()), (404, Some("NOT_FOUND")));
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(res.headers().get("x-request-id").is_some());
    app.finish().await;
}

db_tests!(
    creating_a_task_trims_the_title_and_returns_it,
    a_task_is_read_by_its_number,
    complete_without_a_body_toggles,
    complete_with_a_body_sets_the_state_idempotently,
    status_filters_and_paging_select_tasks_in_order,
    an_update_changes_only_the_given_fields,
    a_deleted_task_is_gone_and_its_number_is_not_reused,
    invalid_task_bodies_are_refused_naming_the_field_and_change_nothing,
    titles_and_descriptions_at_the_length_limits_are_accepted,
    bad_list_parameters_are_refused,
    malformed_json_and_a_wrong_content_type_are_refused,
    malformed_task_numbers_are_400_and_absent_ones_404,
    an_oversized_body_is_refused_and_changes_nothing,
    every_route_needs_a_token,
    users_are_isolated,
    concurrent_creates_get_distinct_ids,
    health_docs_and_errors,
);
