//! The MCP server over Streamable HTTP, driven by rmcp's own client, on SQLite and PostgreSQL.

mod common;

use std::{collections::HashMap, sync::Arc, time::Duration};

use common::{Db, TestApp, TestUser};
use reqwest::Method;
use rmcp::{
    ServiceExt,
    model::{CallToolRequestParams, CallToolResult, ContentBlock},
    service::RunningService,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};

async fn connect(app: &TestApp, token: &str) -> RunningService<rmcp::RoleClient, ()> {
    let config = StreamableHttpClientTransportConfig::with_uri(Arc::<str>::from(app.url("/mcp")))
        .auth_header(token.to_owned());
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
    ().serve(transport).await.expect("MCP client connects")
}

/// The result value: structured content, or (legacy protocol versions) the JSON text block.
fn value_of(r: &CallToolResult) -> Value {
    if let Some(v) = &r.structured_content {
        return v.clone();
    }
    r.content
        .iter()
        .find_map(|c| match c {
            ContentBlock::Text(t) => serde_json::from_str(&t.text).ok(),
            _ => None,
        })
        .unwrap_or(Value::Null)
}

fn text_of(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn call(
    client: &RunningService<rmcp::RoleClient, ()>,
    name: &str,
    args: Value,
) -> CallToolResult {
    let params = CallToolRequestParams::new(name.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    client.call_tool(params).await.expect("tools/call answered")
}

async fn task(app: &TestApp, user: &TestUser, id: i64) -> (u16, Value) {
    app.call(
        Method::GET,
        &format!("/api/{}/tasks/{id}", user.id),
        Some(&user.jwt),
        None,
    )
    .await
}

async fn tools_are_listed_with_schemas(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let client = connect(&app, &app.mcp_token(&a)).await;
    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("todobot")
    );
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "add_task",
            "complete_task",
            "delete_task",
            "list_tasks",
            "update_task"
        ]
    );
    for t in &tools {
        assert!(
            t.description.as_deref().is_some_and(|d| d.len() > 10),
            "{} described",
            t.name
        );
        let schema = serde_json::to_value(t.input_schema.as_ref()).unwrap();
        assert_eq!(schema["type"], "object", "{}", t.name);
        assert!(
            schema["properties"]["user_id"].is_object(),
            "{} accepts user_id",
            t.name
        );
    }
    let by_name = |n: &str| tools.iter().find(|t| t.name == n).unwrap();
    let add = serde_json::to_value(by_name("add_task").input_schema.as_ref()).unwrap();
    assert_eq!(add["required"], json!(["title"]));
    let complete = serde_json::to_value(by_name("complete_task").input_schema.as_ref()).unwrap();
    assert!(
        complete["required"]
            .as_array()
            .unwrap()
            .contains(&json!("task_id"))
    );
    let list = serde_json::to_value(by_name("list_tasks").input_schema.as_ref()).unwrap();
    assert!(list.to_string().contains("pending") && list.to_string().contains("completed"));
    // output schemas on every tool, list_tasks' an object (so every protocol version gets it)
    let out = serde_json::to_value(
        by_name("list_tasks")
            .output_schema
            .as_ref()
            .expect("output schema"),
    )
    .unwrap();
    assert_eq!(out["type"], "object");
    assert_eq!(out["properties"]["tasks"]["type"], "array");
    for n in ["add_task", "complete_task", "delete_task", "update_task"] {
        let out = serde_json::to_value(by_name(n).output_schema.as_ref().expect("output schema"))
            .unwrap();
        assert!(out.to_string().contains("task_id"), "{n}: {out}");
    }
    client.cancel().await.unwrap();
    app.finish().await;
}

/// Ann connected over MCP with two tasks added through it: 1 "Buy groceries" (description
/// "milk"), 2 "Pay bills".
async fn ann_with_two_tasks(db: Db) -> (TestApp, TestUser, RunningService<rmcp::RoleClient, ()>) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let client = connect(&app, &app.mcp_token(&a)).await;
    call(
        &client,
        "add_task",
        json!({"title": "Buy groceries", "description": "milk"}),
    )
    .await;
    call(&client, "add_task", json!({"title": "Pay bills"})).await;
    (app, a, client)
}

async fn add_task_creates_the_task_in_the_database(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let client = connect(&app, &app.mcp_token(&a)).await;
    let r = call(
        &client,
        "add_task",
        json!({"title": "Buy groceries", "description": "milk"}),
    )
    .await;
    assert_eq!(r.is_error, Some(false));
    assert_eq!(
        value_of(&r),
        json!({"task_id": 1, "status": "created", "title": "Buy groceries"})
    );
    assert!(text_of(&r).contains("Buy groceries"));
    let (status, t) = task(&app, &a, 1).await;
    assert_eq!(status, 200);
    assert_eq!(t["description"], "milk");

    client.cancel().await.expect("close client");
    app.finish().await;
}

async fn list_tasks_returns_every_task_and_filters_by_status(db: Db) {
    let (app, _, client) = ann_with_two_tasks(db).await;
    let r = call(&client, "list_tasks", json!({})).await;
    assert_eq!(
        value_of(&r),
        json!({"tasks": [{"id": 1, "title": "Buy groceries", "completed": false, "priority": "medium", "tags": [], "overdue": false}, {"id": 2, "title": "Pay bills", "completed": false, "priority": "medium", "tags": [], "overdue": false}]})
    );

    call(&client, "complete_task", json!({"task_id": 1})).await;
    let r = call(&client, "list_tasks", json!({"status": "pending"})).await;
    assert_eq!(
        value_of(&r),
        json!({"tasks": [{"id": 2, "title": "Pay bills", "completed": false, "priority": "medium", "tags": [], "overdue": false}]})
    );
    let r = call(&client, "list_tasks", json!({"status": "completed"})).await;
    assert_eq!(
        value_of(&r),
        json!({"tasks": [{"id": 1, "title": "Buy groceries", "completed": true, "priority": "medium", "tags": [], "overdue": false}]})
    );
    client.cancel().await.expect("close client");
    app.finish().await;
}

async fn complete_task_completes_and_reopens_in_the_database(db: Db) {
    let (app, a, client) = ann_with_two_tasks(db).await;
    let r = call(&client, "complete_task", json!({"task_id": 1})).await;
    assert_eq!(
        value_of(&r),
        json!({"task_id": 1, "status": "completed", "title": "Buy groceries"})
    );
    assert_eq!(task(&app, &a, 1).await.1["completed"], true);
    // reopen
    let r = call(
        &client,
        "complete_task",
        json!({"task_id": 1, "completed": false}),
    )
    .await;
    assert_eq!(value_of(&r)["status"], "reopened");
    assert_eq!(task(&app, &a, 1).await.1["completed"], false);

    client.cancel().await.expect("close client");
    app.finish().await;
}

async fn update_task_changes_the_title_and_description(db: Db) {
    let (app, a, client) = ann_with_two_tasks(db).await;
    let r = call(
        &client,
        "update_task",
        json!({"task_id": 2, "title": "Pay electricity bill", "description": "before Friday"}),
    )
    .await;
    assert_eq!(
        value_of(&r),
        json!({"task_id": 2, "status": "updated", "title": "Pay electricity bill"})
    );
    let (_, t) = task(&app, &a, 2).await;
    assert_eq!(
        (t["title"].as_str(), t["description"].as_str()),
        (Some("Pay electricity bill"), Some("before Friday"))
    );

    client.cancel().await.expect("close client");
    app.finish().await;
}

async fn delete_task_removes_the_task(db: Db) {
    let (app, a, client) = ann_with_two_tasks(db).await;
    let r = call(&client, "delete_task", json!({"task_id": 2})).await;
    assert_eq!(
        value_of(&r),
        json!({"task_id": 2, "status": "deleted", "title": "Pay bills"})
    );
    assert_eq!(task(&app, &a, 2).await.0, 404);

    client.cancel().await.expect("close client");
    app.finish().await;
}

async fn tool_errors_are_reported_as_tool_errors_and_change_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let client = connect(&app, &app.mcp_token(&a)).await;
    call(&client, "add_task", json!({"title": "Buy groceries"})).await;
    // errors are tool errors, not crashes, and change nothing
    for (name, args, needle) in [
        ("complete_task", json!({"task_id": 99}), "not found"),
        ("delete_task", json!({"task_id": 99}), "not found"),
        (
            "update_task",
            json!({"task_id": 99, "title": "x"}),
            "not found",
        ),
        ("update_task", json!({"task_id": 1}), "Nothing to update"),
        ("add_task", json!({"title": ""}), "title"),
        ("add_task", json!({"title": "x".repeat(201)}), "200"),
        (
            "update_task",
            json!({"task_id": 1, "description": "d".repeat(1001)}),
            "1000",
        ),
    ] {
        let r = call(&client, name, args.clone()).await;
        assert_eq!(r.is_error, Some(true), "{name} {args}");
        assert!(text_of(&r).contains(needle), "{name}: {}", text_of(&r));
    }
    // arguments of the wrong shape are refused by the protocol layer
    let params = CallToolRequestParams::new("complete_task")
        .with_arguments(json!({"task_id": "one"}).as_object().cloned().unwrap());
    let outcome = client.call_tool(params).await;
    assert!(
        outcome.is_err() || outcome.as_ref().is_ok_and(|r| r.is_error == Some(true)),
        "{outcome:?}"
    );
    let tasks = app.tasks(&a).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["title"], "Buy groceries");
    client.cancel().await.expect("close client");
    app.finish().await;
}

async fn a_token_never_reaches_another_users_tasks(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Alice").await;
    let b = app.sign_up("Bob").await;
    app.create_task(&b, "Bob's private task").await;
    app.create_task(&b, "Bob's other task").await;
    app.create_task(&a, "Alice's task").await;
    let client = connect(&app, &app.mcp_token(&a)).await;

    // naming B's user_id is refused for every tool
    for (name, args) in [
        ("add_task", json!({"user_id": b.id, "title": "planted"})),
        ("list_tasks", json!({"user_id": b.id})),
        ("complete_task", json!({"user_id": b.id, "task_id": 1})),
        ("delete_task", json!({"user_id": b.id, "task_id": 1})),
        (
            "update_task",
            json!({"user_id": b.id, "task_id": 1, "title": "hacked"}),
        ),
    ] {
        let r = call(&client, name, args).await;
        assert_eq!(r.is_error, Some(true), "{name}");
        assert!(
            text_of(&r).contains("Access denied"),
            "{name}: {}",
            text_of(&r)
        );
        assert!(!text_of(&r).contains("Bob's"), "{name} leaks nothing");
    }
    // B's task ids reach only A's own tasks: A has task 1 only; 2 is B's and invisible
    for (name, args) in [
        ("complete_task", json!({"task_id": 2})),
        ("delete_task", json!({"task_id": 2})),
        ("update_task", json!({"task_id": 2, "title": "hacked"})),
    ] {
        let r = call(&client, name, args).await;
        assert_eq!(r.is_error, Some(true), "{name}");
        assert!(text_of(&r).contains("not found"));
    }
    // A's own user_id is fine; list shows only A's tasks
    let r = call(&client, "list_tasks", json!({"user_id": a.id})).await;
    assert_eq!(
        value_of(&r),
        json!({"tasks": [{"id": 1, "title": "Alice's task", "completed": false, "priority": "medium", "tags": [], "overdue": false}]})
    );
    // acting on "task 1" touches A's task 1, not B's
    call(&client, "complete_task", json!({"task_id": 1})).await;
    call(
        &client,
        "update_task",
        json!({"task_id": 1, "title": "Alice renamed"}),
    )
    .await;
    let b_tasks = app.tasks(&b).await;
    assert_eq!(b_tasks.len(), 2);
    assert_eq!(b_tasks[0]["title"], "Bob's private task");
    assert_eq!(b_tasks[0]["completed"], false);
    assert_eq!(b_tasks[1]["title"], "Bob's other task");
    client.cancel().await.unwrap();

    // B's own token sees B's tasks
    let client_b = connect(&app, &app.mcp_token(&b)).await;
    let r = call(&client_b, "list_tasks", json!({})).await;
    assert_eq!(value_of(&r)["tasks"].as_array().unwrap().len(), 2);
    client_b.cancel().await.unwrap();
    app.finish().await;
}

async fn unauthenticated_and_foreign_host_requests_are_refused(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let mcp = app.mcp_token(&a);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
    let post = |token: Option<&str>, host: Option<&str>| {
        let mut req = app
            .client
            .post(app.url("/mcp"))
            .header("accept", "application/json, text/event-stream")
            .json(&init);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(h) = host {
            req = req.header("host", h);
        }
        req.send()
    };
    let res = post(None, None).await.unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        challenge.starts_with(
            "Bearer resource_metadata=\"http://todobot.test/.well-known/oauth-protected-resource/mcp\""
        ),
        "{challenge}"
    );
    assert_eq!(
        post(Some(&a.jwt), None).await.unwrap().status(),
        401,
        "a REST access token is not for the MCP resource"
    );
    assert_eq!(post(Some("not-a-token"), None).await.unwrap().status(), 401);
    assert_eq!(
        post(Some(&a.session), None).await.unwrap().status(),
        401,
        "a session token is not an access token"
    );
    let res = post(Some(&mcp), Some("evil.example.com")).await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "FORBIDDEN_HOST");
    let res = post(Some(&mcp), Some("localhost.evil.example.com:80"))
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // the configured public host and loopback are accepted
    assert_eq!(
        post(Some(&mcp), Some("todobot.test"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(post(Some(&mcp), None).await.unwrap().status(), 200);

    // the rmcp client without a token cannot even initialize
    let transport = StreamableHttpClientTransport::with_client(
        reqwest::Client::new(),
        StreamableHttpClientTransportConfig::with_uri(Arc::<str>::from(app.url("/mcp"))),
    );
    assert!(
        tokio::time::timeout(Duration::from_secs(10), ().serve(transport))
            .await
            .expect("no hang")
            .is_err()
    );
    // nor with a foreign Host header
    let mut headers = HashMap::new();
    headers.insert(
        http::HeaderName::from_static("host"),
        http::HeaderValue::from_static("evil.example.com"),
    );
    let config = StreamableHttpClientTransportConfig::with_uri(Arc::<str>::from(app.url("/mcp")))
        .auth_header(mcp.clone())
        .custom_headers(headers);
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
    assert!(
        tokio::time::timeout(Duration::from_secs(10), ().serve(transport))
            .await
            .expect("no hang")
            .is_err()
    );
    app.finish().await;
}

async fn allowed_hosts_are_configurable(db: Db) {
    let app = TestApp::start_with(db, |c| {
        c.mcp.allowed_hosts = vec!["todo.example.com".into()]
    })
    .await;
    let a = app.sign_up("Ann").await;
    let status = |host: &'static str| {
        let app = &app;
        let jwt = app.mcp_token(&a);
        async move {
            app.client
                .post(app.url("/mcp"))
                .header("accept", "application/json, text/event-stream")
                .header("host", host)
                .bearer_auth(jwt)
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("todo.example.com").await, 200);
    assert_eq!(status("todo.example.com:443").await, 200);
    assert_eq!(status("other.example.com").await, 403);
    app.finish().await;
}

/// Stateless MCP: two servers on one database serve one user at once; what a client writes through
/// one replica, a client of the other reads, and the other way round.
async fn two_replicas_on_one_database_serve_the_same_user(db: Db) {
    let app1 = TestApp::start(db).await;
    let a = app1.sign_up("Ann").await;
    let app2 = app1.replica().await;
    let client1 = connect(&app1, &app1.mcp_token(&a)).await;
    let client2 = connect(&app2, &app2.mcp_token(&a)).await;
    call(&client1, "add_task", json!({"title": "Via replica 1"})).await;
    let titles = |r: &CallToolResult| -> Vec<String> {
        value_of(r)["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|t| t["title"].as_str().expect("title").to_owned())
            .collect()
    };
    let r = call(&client2, "list_tasks", json!({})).await;
    assert_eq!(titles(&r), ["Via replica 1"]);
    call(&client2, "add_task", json!({"title": "Via replica 2"})).await;
    let r = call(&client1, "list_tasks", json!({})).await;
    assert_eq!(titles(&r), ["Via replica 1", "Via replica 2"]);
    client1.cancel().await.expect("close client 1");
    client2.cancel().await.expect("close client 2");
    app2.finish().await;
    app1.finish().await;
}

/// Nothing of MCP lives in the server's memory: after a restart a new client sees the tasks.
async fn a_restarted_server_serves_the_tasks_to_a_new_client(db: Db) {
    let app1 = TestApp::start(db).await;
    let a = app1.sign_up("Ann").await;
    let client = connect(&app1, &app1.mcp_token(&a)).await;
    call(&client, "add_task", json!({"title": "Before restart"})).await;
    let app2 = app1.restart().await;
    // a new client against the restarted server keeps working; nothing lived in memory
    let client2 = connect(&app2, &app2.mcp_token(&a)).await;
    let r = call(&client2, "list_tasks", json!({})).await;
    assert_eq!(
        value_of(&r),
        json!({"tasks": [{"id": 1, "title": "Before restart", "completed": false, "priority": "medium", "tags": [], "overdue": false}]})
    );
    drop(client);
    client2.cancel().await.unwrap();
    app2.finish().await;
}

/// Each tool offers exactly its own parameters, in a closed schema without nullable type arrays.
async fn input_schemas_are_exact_per_tool(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let client = connect(&app, &app.mcp_token(&a)).await;
    let tools = client.list_all_tools().await.unwrap();
    let props = |n: &str| -> (Vec<String>, Value) {
        let t = tools.iter().find(|t| t.name == n).expect("tool");
        let schema = serde_json::to_value(t.input_schema.as_ref()).unwrap();
        let mut keys: Vec<String> = schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        (keys, schema)
    };
    let expect = [
        (
            "add_task",
            vec![
                "description",
                "due_at",
                "priority",
                "recurrence",
                "tags",
                "title",
                "user_id",
            ],
        ),
        (
            "list_tasks",
            vec![
                "due_after",
                "due_before",
                "order",
                "overdue",
                "priority",
                "search",
                "sort",
                "status",
                "tag",
                "user_id",
            ],
        ),
        ("complete_task", vec!["completed", "task_id", "user_id"]),
        ("delete_task", vec!["task_id", "user_id"]),
        (
            "update_task",
            vec![
                "description",
                "due_at",
                "priority",
                "recurrence",
                "tags",
                "task_id",
                "title",
                "user_id",
            ],
        ),
    ];
    for (name, want) in expect {
        let (keys, schema) = props(name);
        assert_eq!(keys, want, "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}: {schema}");
        assert!(!schema.to_string().contains("\"null\""), "{name}: {schema}");
    }
    client.cancel().await.unwrap();
    app.finish().await;
}

/// Unknown arguments are a tool error (nothing is dropped silently, nothing changes); a task
/// number given as a digit string works; list_tasks' result is structured content.
async fn arguments_are_checked_and_task_ids_may_be_strings(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let client = connect(&app, &app.mcp_token(&a)).await;
    let r = call(
        &client,
        "add_task",
        json!({"title": "Buy milk", "colour": "red"}),
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    assert!(text_of(&r).contains("colour"), "{}", text_of(&r));
    assert!(app.tasks(&a).await.is_empty(), "nothing was created");
    let r = call(
        &client,
        "delete_task",
        json!({"task_id": 1, "completed": true}),
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    assert!(text_of(&r).contains("completed"));

    call(&client, "add_task", json!({"title": "Buy milk"})).await;
    let r = call(&client, "complete_task", json!({"task_id": "1"})).await;
    assert_eq!(r.is_error, Some(false), "{}", text_of(&r));
    assert_eq!(value_of(&r)["status"], "completed");
    let r = call(&client, "list_tasks", json!({})).await;
    assert_eq!(
        r.structured_content,
        Some(
            json!({"tasks": [{"id": 1, "title": "Buy milk", "completed": true, "priority": "medium", "tags": [], "overdue": false}]})
        )
    );
    let params = CallToolRequestParams::new("delete_task").with_arguments(
        json!({"task_id": "one"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    match client.call_tool(params).await {
        Ok(r) => assert_eq!(r.is_error, Some(true), "a word is not a task number"),
        Err(e) => assert!(e.to_string().contains("task_id"), "{e}"),
    }
    assert_eq!(app.tasks(&a).await.len(), 1);
    client.cancel().await.unwrap();
    app.finish().await;
}

db_tests!(
    input_schemas_are_exact_per_tool,
    arguments_are_checked_and_task_ids_may_be_strings,
    tools_are_listed_with_schemas,
    add_task_creates_the_task_in_the_database,
    list_tasks_returns_every_task_and_filters_by_status,
    complete_task_completes_and_reopens_in_the_database,
    update_task_changes_the_title_and_description,
    delete_task_removes_the_task,
    tool_errors_are_reported_as_tool_errors_and_change_nothing,
    a_token_never_reaches_another_users_tasks,
    unauthenticated_and_foreign_host_requests_are_refused,
    allowed_hosts_are_configurable,
    two_replicas_on_one_database_serve_the_same_user,
    a_restarted_server_serves_the_tasks_to_a_new_client,
);

/// Priority, tags, due dates and repetition through the MCP tools: set, filtered, sorted, a wrong
/// value refused as a tool error, and a recurring task's next occurrence reported on completion.
async fn task_details_through_the_tools(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let client = connect(&app, &app.mcp_token(&a)).await;
    let r = call(
        &client,
        "add_task",
        json!({"title": "Pay rent", "priority": "high", "tags": ["Money"], "due_at": "2030-01-31T09:00:00+05:00", "recurrence": "monthly"}),
    )
    .await;
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    assert!(text_of(&r).contains("high priority"), "{}", text_of(&r));
    call(
        &client,
        "add_task",
        json!({"title": "Water plants", "tags": ["home"]}),
    )
    .await;
    let r = call(
        &client,
        "add_task",
        json!({"title": "x", "priority": "urgent"}),
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    assert!(text_of(&r).contains("priority"), "{}", text_of(&r));
    assert_eq!(
        app.tasks(&a).await.len(),
        2,
        "the refused call created nothing"
    );

    let r = call(&client, "list_tasks", json!({"tag": "money"})).await;
    let tasks = value_of(&r)["tasks"].clone();
    assert_eq!(tasks.as_array().map(Vec::len), Some(1), "{tasks}");
    assert_eq!(tasks[0]["priority"], "high");
    assert_eq!(tasks[0]["tags"], json!(["money"]));
    assert_eq!(tasks[0]["recurrence"], "monthly");
    let r = call(
        &client,
        "list_tasks",
        json!({"sort": "priority", "search": "plants rent"}),
    )
    .await;
    assert_eq!(value_of(&r)["tasks"], json!([]), "every word must occur");
    let r = call(&client, "list_tasks", json!({"sort": "due"})).await;
    let ids: Vec<i64> = value_of(&r)["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    assert_eq!(ids, [1, 2], "dated first");

    let r = call(
        &client,
        "update_task",
        json!({"task_id": 2, "priority": "low", "due_at": "2030-02-01T10:00:00Z"}),
    )
    .await;
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    let r = call(&client, "complete_task", json!({"task_id": 1})).await;
    let done = value_of(&r);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["next_task_id"], 3);
    assert!(
        text_of(&r).contains("next one is task 3"),
        "{}",
        text_of(&r)
    );
    let next = app
        .tasks(&a)
        .await
        .into_iter()
        .find(|t| t["id"] == 3)
        .expect("next occurrence");
    assert_eq!(
        (next["title"].as_str(), next["completed"].as_bool()),
        (Some("Pay rent"), Some(false))
    );
    client.cancel().await.unwrap();
    app.finish().await;
}

db_tests!(task_details_through_the_tools);
