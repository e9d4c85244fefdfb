//! The REST task API, on SQLite and PostgreSQL.

mod common;

use common::{Db, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

async fn task_lifecycle(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Ann").await;
    let base = format!("/api/{}/tasks", u.id);

    let (status, created) = app
        .call(
            Method::POST,
            &base,
            Some(&u.jwt),
            Some(json!({"title": "  Buy groceries ", "description": "milk, eggs"})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["id"], 1);
    assert_eq!(created["title"], "Buy groceries");
    assert_eq!(created["description"], "milk, eggs");
    assert_eq!(created["completed"], false);
    assert_eq!(created["user_id"], u.id.as_str());
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    app.create_task(&u, "Pay bills").await;
    app.create_task(&u, "Call mom").await;

    let (status, one) = app
        .call(Method::GET, &format!("{base}/2"), Some(&u.jwt), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["title"], "Pay bills");

    // toggle complete twice, then set explicitly
    let (status, done) = app
        .call(
            Method::PATCH,
            &format!("{base}/2/complete"),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(done["completed"], true);
    let (_, undone) = app
        .call(
            Method::PATCH,
            &format!("{base}/2/complete"),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(undone["completed"], false);
    let (_, set) = app
        .call(
            Method::PATCH,
            &format!("{base}/2/complete"),
            Some(&u.jwt),
            Some(json!({"completed": true})),
        )
        .await;
    assert_eq!(set["completed"], true);
    let (_, set) = app
        .call(
            Method::PATCH,
            &format!("{base}/2/complete"),
            Some(&u.jwt),
            Some(json!({"completed": true})),
        )
        .await;
    assert_eq!(set["completed"], true, "setting is idempotent");

    // filters
    let ids = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let (_, all) = app.call(Method::GET, &base, Some(&u.jwt), None).await;
    assert_eq!(ids(&all), vec![1, 2, 3]);
    let (_, pending) = app
        .call(
            Method::GET,
            &format!("{base}?status=pending"),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(ids(&pending), vec![1, 3]);
    let (_, completed) = app
        .call(
            Method::GET,
            &format!("{base}?status=completed"),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(ids(&completed), vec![2]);
    let (_, page) = app
        .call(
            Method::GET,
            &format!("{base}?limit=2&offset=1"),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(ids(&page), vec![2, 3]);

    // update: partial, clear description, change completion
    let (status, up) = app
        .call(
            Method::PUT,
            &format!("{base}/1"),
            Some(&u.jwt),
            Some(json!({"title": "Buy groceries and fruit"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(up["title"], "Buy groceries and fruit");
    assert_eq!(up["description"], "milk, eggs");
    let (_, up) = app
        .call(
            Method::PUT,
            &format!("{base}/1"),
            Some(&u.jwt),
            Some(json!({"description": null, "completed": true})),
        )
        .await;
    assert_eq!(up["description"], Value::Null);
    assert_eq!(up["completed"], true);
    assert_ne!(up["updated_at"], created["updated_at"]);

    // delete; the number is not reused
    let (status, body) = app
        .call(Method::DELETE, &format!("{base}/3"), Some(&u.jwt), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(body, Value::Null);
    assert_eq!(
        app.call(Method::GET, &format!("{base}/3"), Some(&u.jwt), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("{base}/3"), Some(&u.jwt), None)
            .await
            .0,
        404
    );
    let next = app.create_task(&u, "Next").await;
    assert_eq!(next["id"], 4);
    app.finish().await;
}

async fn validation_errors_change_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Val").await;
    let base = format!("/api/{}/tasks", u.id);
    app.create_task(&u, "Original").await;
    let long_title = "t".repeat(201);
    let long_desc = "d".repeat(1001);
    let cases = [
        (Method::POST, base.clone(), json!({"title": ""}), "title"),
        (Method::POST, base.clone(), json!({"title": "   "}), "title"),
        (
            Method::POST,
            base.clone(),
            json!({"title": long_title}),
            "title",
        ),
        (
            Method::POST,
            base.clone(),
            json!({"title": "ok", "description": long_desc}),
            "description",
        ),
        (
            Method::POST,
            base.clone(),
            json!({"description": "no title"}),
            "title",
        ),
        (Method::POST, base.clone(), json!({"title": 42}), "title"),
        (
            Method::POST,
            base.clone(),
            json!({"title": "ok", "titel": "typo"}),
            "titel",
        ),
        (
            Method::POST,
            base.clone(),
            json!({"title": "nul\u{0}byte"}),
            "title",
        ),
        (
            Method::PUT,
            format!("{base}/1"),
            json!({"title": ""}),
            "title",
        ),
        (
            Method::PUT,
            format!("{base}/1"),
            json!({"title": "fine", "description": long_desc}),
            "description",
        ),
        (Method::PUT, format!("{base}/1"), json!({}), "body"),
        (
            Method::PUT,
            format!("{base}/1"),
            json!({"completed": "yes"}),
            "completed",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, err) = app
            .call(method.clone(), &path, Some(&u.jwt), Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{method} {body} -> {err}");
        assert_eq!(err["code"], "VALIDATION_ERROR");
        assert!(
            err["fields"][field].is_string(),
            "{body} should flag {field}: {err}"
        );
    }
    // exactly 200 / 1000 characters (multi-byte) are fine
    let (status, _) = app
        .call(
            Method::POST,
            &base,
            Some(&u.jwt),
            Some(json!({"title": "é".repeat(200), "description": "ü".repeat(1000)})),
        )
        .await;
    assert_eq!(status, 201);
    // nothing else was written
    let tasks = app.tasks(&u).await;
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["title"], "Original");
    // bad status filter, malformed JSON, wrong content type, bad ids
    assert_eq!(
        app.call(
            Method::GET,
            &format!("{base}?status=done"),
            Some(&u.jwt),
            None
        )
        .await
        .0,
        422
    );
    assert_eq!(
        app.call(Method::GET, &format!("{base}?limit=0"), Some(&u.jwt), None)
            .await
            .0,
        422
    );
    assert_eq!(
        app.call(
            Method::GET,
            &format!("{base}?limit=abc"),
            Some(&u.jwt),
            None
        )
        .await
        .0,
        400
    );
    let res = app
        .client
        .post(app.url(&base))
        .bearer_auth(&u.jwt)
        .header("content-type", "application/json")
        .body("{\"title\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "INVALID_JSON");
    let res = app
        .client
        .post(app.url(&base))
        .bearer_auth(&u.jwt)
        .body("{\"title\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(
        app.call(Method::GET, &format!("{base}/abc"), Some(&u.jwt), None)
            .await
            .0,
        400
    );
    assert_eq!(
        app.call(
            Method::GET,
            &format!("{base}/99999999999999999999"),
            Some(&u.jwt),
            None
        )
        .await
        .0,
        400
    );
    assert_eq!(
        app.call(Method::GET, &format!("{base}/0"), Some(&u.jwt), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.call(Method::GET, &format!("{base}/-1"), Some(&u.jwt), None)
            .await
            .0,
        404
    );
    // oversized body
    let huge = json!({"title": "x", "description": "y".repeat(100_000)});
    let (status, err) = app
        .call(Method::POST, &base, Some(&u.jwt), Some(huge))
        .await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(app.tasks(&u).await.len(), 2);
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
    task_lifecycle,
    validation_errors_change_nothing,
    every_route_needs_a_token,
    users_are_isolated,
    concurrent_creates_get_distinct_ids,
    health_docs_and_errors,
);
