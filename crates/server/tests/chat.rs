//! Chat: the stateless chat endpoint with the offline planner and with an OpenAI-compatible model
//! (a local mock server speaking the real wire format), history, restarts, concurrency, failures.

mod common;

use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};
use todobot_server::config::{LlmProvider, SecretString};
use todobot_testkit::{MockLlm, Reply};

async fn say(
    app: &TestApp,
    user: &TestUser,
    conversation: Option<i64>,
    message: &str,
) -> (u16, Value) {
    let mut body = json!({ "message": message });
    if let Some(c) = conversation {
        body["conversation_id"] = json!(c);
    }
    app.call(
        Method::POST,
        &format!("/api/{}/chat", user.id),
        Some(&user.jwt),
        Some(body),
    )
    .await
}

/// Sends a message that must succeed; returns (conversation id, reply, tool calls).
async fn chat_ok(
    app: &TestApp,
    user: &TestUser,
    conversation: Option<i64>,
    message: &str,
) -> (i64, String, Vec<Value>) {
    let (status, body) = say(app, user, conversation, message).await;
    assert_eq!(status, 200, "{message:?} -> {body}");
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["conversation_id", "response", "tool_calls"],
        "exact response shape"
    );
    (
        body["conversation_id"].as_i64().expect("conversation_id"),
        body["response"].as_str().expect("response").to_owned(),
        body["tool_calls"].as_array().expect("tool_calls").clone(),
    )
}

async fn messages(app: &TestApp, user: &TestUser, conversation: i64) -> Vec<Value> {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations/{conversation}/messages", user.id),
            Some(&user.jwt),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().expect("data").clone()
}

fn titles(tasks: &[Value]) -> Vec<String> {
    tasks
        .iter()
        .map(|t| t["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn task(tasks: &[Value], id: i64) -> Option<&Value> {
    tasks.iter().find(|t| t["id"] == id)
}

fn names(calls: &[Value]) -> Vec<&str> {
    calls.iter().filter_map(|c| c["name"].as_str()).collect()
}

/// Ada's conversation with the offline planner after three adds: 1 "buy groceries", 2 "pay bills",
/// 3 "prepare the meeting slides". Returns the app, Ada and the conversation id.
async fn ada_with_three_tasks(db: Db) -> (TestApp, TestUser, i64) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Ada").await;
    let (c, _, _) = chat_ok(&app, &u, None, "Add a task to buy groceries").await;
    chat_ok(&app, &u, Some(c), "I need to remember to pay bills").await;
    chat_ok(
        &app,
        &u,
        Some(c),
        "Add a task to prepare the meeting slides",
    )
    .await;
    (app, u, c)
}

async fn the_planner_adds_tasks_said_in_several_ways_and_records_the_turns(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Ada").await;
    let (c, reply, calls) = chat_ok(&app, &u, None, "Add a task to buy groceries").await;
    assert!(reply.contains("buy groceries"), "{reply}");
    assert_eq!(names(&calls), ["add_task"]);
    assert_eq!(calls[0]["result"]["status"], "created");
    assert_eq!(calls[0]["arguments"]["title"], "buy groceries");
    assert_eq!(titles(&app.tasks(&u).await), ["buy groceries"]);

    let (_, reply, _) = chat_ok(&app, &u, Some(c), "I need to remember to pay bills").await;
    assert!(reply.contains("pay bills"), "{reply}");
    chat_ok(
        &app,
        &u,
        Some(c),
        "Add a task to prepare the meeting slides",
    )
    .await;
    assert_eq!(
        titles(&app.tasks(&u).await),
        ["buy groceries", "pay bills", "prepare the meeting slides"]
    );

    // every turn is in the conversation, in order, with its tool calls
    // everything is in the conversation, in order, with tool calls
    let msgs = messages(&app, &u, c).await;
    assert_eq!(msgs.len(), 2 * 3);
    assert_eq!(msgs[0]["role"], "user");
    assert_eq!(msgs[0]["content"], "Add a task to buy groceries");
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["tool_calls"][0]["name"], "add_task");
    app.finish().await;
}

async fn the_planner_lists_all_pending_and_completed_tasks(db: Db) {
    let (app, u, c) = ada_with_three_tasks(db).await;
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "Show me all my tasks").await;
    assert_eq!(names(&calls), ["list_tasks"]);
    assert_eq!(calls[0]["arguments"]["status"], "all");
    for t in ["buy groceries", "pay bills", "prepare the meeting slides"] {
        assert!(reply.contains(t), "{reply}");
    }

    chat_ok(&app, &u, Some(c), "Mark task 2 as complete").await;
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "What's pending?").await;
    assert_eq!(calls[0]["arguments"]["status"], "pending");
    assert!(
        reply.contains("buy groceries") && !reply.contains("pay bills"),
        "{reply}"
    );

    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "What have I completed?").await;
    assert_eq!(calls[0]["arguments"]["status"], "completed");
    assert!(
        reply.contains("pay bills") && !reply.contains("buy groceries"),
        "{reply}"
    );

    app.finish().await;
}

async fn the_planner_completes_tasks_by_number_and_by_title(db: Db) {
    let (app, u, c) = ada_with_three_tasks(db).await;
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "Mark task 2 as complete").await;
    assert_eq!(names(&calls), ["complete_task"]);
    assert!(reply.contains("pay bills"), "{reply}");
    assert_eq!(
        task(&app.tasks(&u).await, 2).expect("task 2")["completed"],
        true
    );

    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "I finished buying groceries").await;
    assert_eq!(names(&calls), ["list_tasks", "complete_task"]);
    assert_eq!(calls[1]["arguments"]["task_id"], 1);
    assert!(reply.contains("buy groceries"), "{reply}");
    assert_eq!(
        task(&app.tasks(&u).await, 1).expect("task 1")["completed"],
        true
    );

    app.finish().await;
}

async fn the_planner_asks_before_deleting_by_title_and_yes_deletes(db: Db) {
    let (app, u, c) = ada_with_three_tasks(db).await;
    // deleting by title asks first; the "yes" of the next turn deletes
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "Delete the meeting task").await;
    assert_eq!(names(&calls), ["list_tasks"]);
    assert!(reply.contains("prepare the meeting slides"), "{reply}");
    assert!(
        task(&app.tasks(&u).await, 3).is_some(),
        "kept until confirmed"
    );
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "yes").await;
    assert_eq!(names(&calls), ["delete_task"]);
    assert!(reply.contains("prepare the meeting slides"), "{reply}");
    assert!(task(&app.tasks(&u).await, 3).is_none());

    app.finish().await;
}

async fn the_planner_renames_a_task_by_number(db: Db) {
    let (app, u, c) = ada_with_three_tasks(db).await;
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "Change task 1 to 'Call mom tonight'").await;
    assert_eq!(names(&calls), ["update_task"]);
    assert!(reply.contains("Call mom tonight"), "{reply}");
    assert_eq!(
        task(&app.tasks(&u).await, 1).expect("task 1")["title"],
        "Call mom tonight"
    );

    app.finish().await;
}

async fn unknown_task_numbers_and_titles_are_explained_and_change_nothing(db: Db) {
    let (app, u, c) = ada_with_three_tasks(db).await;
    // unknown task numbers and titles are explained, nothing changes
    let before = app.tasks(&u).await;
    let (_, reply, _) = chat_ok(&app, &u, Some(c), "Delete task 99").await;
    assert!(reply.contains("couldn't find task 99"), "{reply}");
    let (_, reply, _) = chat_ok(&app, &u, Some(c), "I finished walking the dog").await;
    assert!(reply.contains("couldn't find"), "{reply}");
    assert_eq!(app.tasks(&u).await, before);

    app.finish().await;
}

async fn an_ambiguous_title_gets_a_question_and_the_answer_picks_the_task(db: Db) {
    let (app, u, c) = ada_with_three_tasks(db).await;
    // only the two tasks added below mention a meeting
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/{}/tasks/3", u.id),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // an ambiguous title gets a question back, and the answer completes the request
    chat_ok(&app, &u, Some(c), "add a task to book team meeting room").await; // 4
    chat_ok(&app, &u, Some(c), "remind me to send meeting notes").await; // 5
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "delete the meeting task").await;
    assert!(reply.starts_with("Which task do you mean?"), "{reply}");
    assert!(
        reply.contains("task 4") && reply.contains("task 5"),
        "{reply}"
    );
    assert_eq!(names(&calls), ["list_tasks"]);
    assert_eq!(app.tasks(&u).await.len(), 4, "nothing deleted while asking");
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "the second one").await;
    assert_eq!(names(&calls), ["delete_task"]);
    assert_eq!(calls[0]["arguments"]["task_id"], 5);
    assert!(reply.contains("send meeting notes"), "{reply}");
    assert!(task(&app.tasks(&u).await, 5).is_none());
    assert!(task(&app.tasks(&u).await, 4).is_some());

    app.finish().await;
}

async fn the_planner_reopens_a_completed_task(db: Db) {
    let (app, u, c) = ada_with_three_tasks(db).await;
    chat_ok(&app, &u, Some(c), "Mark task 2 as complete").await;
    // reopening
    chat_ok(&app, &u, Some(c), "mark task 2 as not done").await;
    assert_eq!(
        task(&app.tasks(&u).await, 2).expect("task 2")["completed"],
        false
    );

    app.finish().await;
}

fn openai_app_config(mock: &MockLlm) -> impl FnOnce(&mut todobot_server::config::Config) {
    let base = mock.base_url();
    move |c| {
        c.llm.provider = LlmProvider::Openai;
        c.llm.base_url = base.parse().expect("mock LLM url");
        c.llm.api_key = Some(SecretString::from("test-key"));
        c.llm.model = "mock-model".into();
        c.llm.timeout_secs = 2;
        c.llm.max_retries = 1;
    }
}

async fn openai_model_calls_tools_over_several_steps(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    let app = TestApp::start_with(db, openai_app_config(&mock)).await;
    let u = app.sign_up("Bo").await;
    app.create_task(&u, "Buy milk").await;
    app.create_task(&u, "Team meeting at 10").await;

    mock.push([
        Reply::tool("list_tasks", json!({"status": "all"})),
        Reply::tool("delete_task", json!({"task_id": 2})),
        Reply::text("I deleted task 2 \"Team meeting at 10\"."),
    ]);
    let (c, reply, calls) = chat_ok(&app, &u, None, "Delete the meeting task").await;
    assert_eq!(reply, "I deleted task 2 \"Team meeting at 10\".");
    assert_eq!(names(&calls), ["list_tasks", "delete_task"]);
    assert_eq!(
        calls[0]["result"]["tasks"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(calls[1]["result"]["status"], "deleted");
    assert_eq!(titles(&app.tasks(&u).await), ["Buy milk"]);

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer test-key"));
    let first = &reqs[0].body;
    assert_eq!(first["model"], "mock-model");
    assert_eq!(first["messages"][0]["role"], "system");
    assert_eq!(first["messages"][1]["role"], "user");
    assert_eq!(first["messages"][1]["content"], "Delete the meeting task");
    let tools = first["tools"].as_array().expect("tools");
    let mut tool_names: Vec<&str> = tools
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    tool_names.sort_unstable();
    assert_eq!(
        tool_names,
        [
            "add_task",
            "complete_task",
            "delete_task",
            "list_tasks",
            "update_task"
        ]
    );
    for t in tools {
        assert_eq!(t["type"], "function");
        assert!(
            t["function"]["parameters"]["properties"]
                .get("user_id")
                .is_none(),
            "identity is never offered to the model: {t}"
        );
    }
    // step 2 carries the assistant's tool call and the tool result
    let second = reqs[1].body["messages"].as_array().expect("messages");
    let n = second.len();
    assert_eq!(second[n - 2]["role"], "assistant");
    assert_eq!(
        second[n - 2]["tool_calls"][0]["function"]["name"],
        "list_tasks"
    );
    assert_eq!(second[n - 1]["role"], "tool");
    assert_eq!(
        second[n - 1]["tool_call_id"],
        second[n - 2]["tool_calls"][0]["id"]
    );
    assert!(
        second[n - 1]["content"]
            .as_str()
            .unwrap_or("")
            .contains("Team meeting at 10")
    );

    // the next turn replays the stored tool calls as history
    mock.push([Reply::text("You have one task left: Buy milk.")]);
    chat_ok(&app, &u, Some(c), "what's left?").await;
    let replay = mock.requests()[3].body["messages"].clone();
    let roles: Vec<&str> = replay
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["role"].as_str())
        .collect();
    assert_eq!(
        roles,
        [
            "system",
            "user",
            "assistant",
            "tool",
            "tool",
            "assistant",
            "user"
        ]
    );
    app.finish().await;
}

async fn history_sent_to_the_model_is_a_bounded_window(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    let app = TestApp::start_with(db, |c| {
        openai_app_config(&mock)(c);
        c.llm.history_window = 6;
    })
    .await;
    let u = app.sign_up("Cy").await;
    mock.set_fallback(Reply::text("Noted."));
    let mut c = None;
    for i in 0..12 {
        let (id, _, _) = chat_ok(&app, &u, c, &format!("message number {i}")).await;
        c = Some(id);
    }
    let reqs = mock.requests();
    let sizes: Vec<usize> = reqs
        .iter()
        .map(|r| r.body["messages"].as_array().map_or(0, Vec::len))
        .collect();
    // system prompt + at most 6 stored messages, however long the conversation gets
    assert!(sizes.iter().all(|&n| n <= 7), "{sizes:?}");
    assert_eq!(*sizes.last().expect("requests"), 7);
    let last = &reqs.last().expect("last").body["messages"];
    assert_eq!(last[6]["content"], "message number 11");
    assert_eq!(messages(&app, &u, c.expect("conversation")).await.len(), 24);
    app.finish().await;
}

async fn a_restart_between_messages_loses_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Di").await;
    let (c, _, _) = chat_ok(&app, &u, None, "add a task to water the plants").await;
    let app = app.restart().await;
    let (c2, reply, _) = chat_ok(&app, &u, Some(c), "show me all my tasks").await;
    assert_eq!(c2, c);
    assert!(reply.contains("water the plants"), "{reply}");
    let msgs = messages(&app, &u, c).await;
    let contents: Vec<&str> = msgs.iter().filter_map(|m| m["content"].as_str()).collect();
    assert_eq!(contents.len(), 4);
    assert_eq!(contents[0], "add a task to water the plants");
    assert_eq!(contents[2], "show me all my tasks");
    // the conversation list shows it
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations", u.id),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["data"][0]["id"], c);
    assert_eq!(page["data"][0]["title"], "add a task to water the plants");
    app.finish().await;
}

async fn concurrent_messages_to_one_conversation_keep_order(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Ed").await;
    let (c, _, _) = chat_ok(&app, &u, None, "hello").await;
    let sends = (0..6).map(|i| {
        let app = &app;
        let u = &u;
        async move { say(app, u, Some(c), &format!("add a task to item {i}")).await }
    });
    for (status, body) in futures::future::join_all(sends).await {
        assert_eq!(status, 200, "{body}");
    }
    let msgs = messages(&app, &u, c).await;
    assert_eq!(msgs.len(), 14);
    // every reply directly follows its own message: turns never interleave
    for pair in msgs.chunks(2).skip(1) {
        assert_eq!(pair[0]["role"], "user");
        assert_eq!(pair[1]["role"], "assistant");
        let asked = pair[0]["content"].as_str().expect("content");
        let item = asked.trim_start_matches("add a task to ");
        assert!(
            pair[1]["content"].as_str().expect("reply").contains(item),
            "{asked} -> {}",
            pair[1]["content"]
        );
    }
    assert_eq!(app.tasks(&u).await.len(), 6);
    app.finish().await;
}

async fn another_users_conversation_is_not_found(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Ann").await;
    let b = app.sign_up("Ben").await;
    let (c, _, _) = chat_ok(&app, &a, None, "add a task to secret plan").await;

    let (status, body) = say(&app, &b, Some(c), "show me all my tasks").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "NOT_FOUND");
    for (method, path) in [
        (Method::GET, format!("/api/{}/conversations/{c}", b.id)),
        (
            Method::GET,
            format!("/api/{}/conversations/{c}/messages", b.id),
        ),
        (Method::DELETE, format!("/api/{}/conversations/{c}", b.id)),
    ] {
        let (status, body) = app.call(method, &path, Some(&b.jwt), None).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.to_string().contains("secret plan"));
    }
    // B's URL with A's id is forbidden, A's URL with B's token too
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/{}/chat", a.id),
            Some(&b.jwt),
            Some(json!({"message": "show me all my tasks"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/{}/chat", a.id),
            None,
            Some(json!({"message": "hi"})),
        )
        .await;
    assert_eq!(status, 401);
    // B's own listing is empty and A's conversation is untouched
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations", b.id),
            Some(&b.jwt),
            None,
        )
        .await;
    assert_eq!(page["data"], json!([]));
    assert_eq!(messages(&app, &a, c).await.len(), 2);
    assert_eq!(titles(&app.tasks(&a).await), ["secret plan"]);
    assert!(app.tasks(&b).await.is_empty());
    app.finish().await;
}

async fn bad_chat_input_is_rejected_and_changes_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Flo").await;
    let path = format!("/api/{}/chat", u.id);
    for (body, want) in [
        (json!({"message": ""}), 422),
        (json!({"message": "   "}), 422),
        (json!({"message": "x".repeat(8001)}), 422),
        (json!({}), 422),
        (json!({"message": 5}), 422),
        (json!({"message": "hi", "conversation_id": "abc"}), 422),
        (json!({"message": "hi", "user_id": "someone-else"}), 422),
    ] {
        let (status, resp) = app
            .call(Method::POST, &path, Some(&u.jwt), Some(body.clone()))
            .await;
        assert_eq!(status, want, "{body} -> {resp}");
        assert!(resp["code"].is_string(), "{resp}");
    }
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&u.jwt)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 400);
    let (status, _) = say(&app, &u, Some(987_654), "hello").await;
    assert_eq!(status, 404);
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations", u.id),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(page["data"], json!([]), "no conversation was created");
    // paging parameters are validated
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/{}/conversations?limit=0", u.id),
            Some(&u.jwt),
            None,
        )
        .await;
    assert_eq!(status, 422);
    app.finish().await;
}

/// 500, 429, a hanging model and a malformed body: each a clear error, the message kept, and the
/// conversation still one reply per message.
async fn llm_failures_give_clear_errors_and_keep_the_message(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    let app = TestApp::start_with(db, openai_app_config(&mock)).await;
    let u = app.sign_up("Gus").await;

    // 500 on every attempt (1 retry) -> 502, the message is kept, an error reply is stored
    mock.push([
        Reply::Status(500, "boom".into()),
        Reply::Status(500, "boom".into()),
    ]);
    let res = app
        .client
        .post(app.url(&format!("/api/{}/chat", u.id)))
        .bearer_auth(&u.jwt)
        .json(&json!({"message": "add a task to call the bank"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 502);
    let c: i64 = res
        .headers()
        .get("x-conversation-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("x-conversation-id");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "LLM_UNAVAILABLE");
    assert!(body["message"].as_str().expect("message").contains("saved"));
    assert!(
        !body.to_string().contains("boom"),
        "no upstream detail leaks"
    );
    assert_eq!(mock.request_count(), 2, "retried once");
    let msgs = messages(&app, &u, c).await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["content"], "add a task to call the bank");
    assert_eq!(msgs[1]["status"], "error");

    // rate limited
    mock.push([
        Reply::Status(429, "slow down".into()),
        Reply::Status(429, "slow down".into()),
    ]);
    let (status, body) = say(&app, &u, Some(c), "try again").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("LLM_RATE_LIMITED"))
    );

    // hanging model -> bounded wait (2 s timeout, not retried) -> 504
    mock.push([Reply::Hang]);
    let started = std::time::Instant::now();
    let (status, body) = say(&app, &u, Some(c), "are you there?").await;
    assert_eq!((status, body["code"].as_str()), (504, Some("LLM_TIMEOUT")));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // a body that is not a chat completion -> 502
    mock.push([Reply::Malformed("{\"choices\": \"nope\"".into())]);
    let (status, body) = say(&app, &u, Some(c), "hello?").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("LLM_BAD_RESPONSE"))
    );

    assert_user_reply_pairs(&messages(&app, &u, c).await, 4);
    app.finish().await;
}

/// Every user message has exactly one reply after it.
fn assert_user_reply_pairs(msgs: &[Value], turns: usize) {
    assert_eq!(msgs.len(), 2 * turns);
    for pair in msgs.chunks(2) {
        assert_eq!(
            (pair[0]["role"].as_str(), pair[1]["role"].as_str()),
            (Some("user"), Some("assistant"))
        );
    }
}

async fn bad_tool_calls_are_fed_back_and_endless_tool_loops_are_cut_off(db: Db) {
    let mock = MockLlm::start().await.expect("mock");
    let app = TestApp::start_with(db, openai_app_config(&mock)).await;
    let u = app.sign_up("Gus").await;

    // malformed tool-call arguments are fed back; the model corrects itself
    mock.push([
        Reply::ToolCalls(vec![(
            "add_task".into(),
            "{\"title\": \"call the ba".into(),
        )]),
        Reply::tool("add_task", json!({"title": "call the bank"})),
        Reply::text("Added \"call the bank\"."),
    ]);
    let (c, reply, calls) = chat_ok(&app, &u, None, "add a task to call the bank").await;
    assert_eq!(reply, "Added \"call the bank\".");
    assert_eq!(calls.len(), 2);
    assert!(calls[0]["result"]["error"].is_string());
    assert_eq!(calls[1]["result"]["status"], "created");
    assert_eq!(titles(&app.tasks(&u).await), ["call the bank"]);

    // a model that never stops calling tools is cut off at the turn limit
    mock.set_fallback(Reply::tool("list_tasks", json!({})));
    let (_, reply, calls) = chat_ok(&app, &u, Some(c), "loop forever").await;
    assert!(reply.contains("couldn't finish"), "{reply}");
    assert!(
        reply.contains("No changes were made"),
        "only reads happened: {reply}"
    );
    assert_eq!(calls.len(), app.state.config.llm.agent_max_turns);

    // the conversation stayed consistent: every user message has exactly one reply after it
    assert_user_reply_pairs(&messages(&app, &u, c).await, 2);
    app.finish().await;
}

async fn chat_through_a_separate_mcp_service(db: Db) {
    let mut mcp = TestApp::start(db).await;
    let mcp_config = (*mcp.state.config).clone();
    let mcp_url = format!("{}/mcp", mcp.base);
    let web = TestApp::start_with(db, move |c| {
        *c = mcp_config;
        c.mcp.url = Some(mcp_url.parse().expect("mcp url"));
    })
    .await;
    let u = web.sign_up("Hal").await;
    let (c, reply, calls) = chat_ok(&web, &u, None, "add a task to renew passport").await;
    assert!(reply.contains("renew passport"), "{reply}");
    assert_eq!(calls[0]["result"]["status"], "created");
    // the MCP service wrote it: visible through its REST API with the same token
    assert_eq!(titles(&mcp.tasks(&u).await), ["renew passport"]);

    // the MCP service goes away: clear 503, the message is kept
    mcp.stop().await;
    let (status, body) = say(&web, &u, Some(c), "show me all my tasks").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("TOOLS_UNAVAILABLE")),
        "{body}"
    );
    let msgs = messages(&web, &u, c).await;
    assert_eq!(msgs[2]["content"], "show me all my tasks");
    web.finish().await;
    mcp.finish().await;
}

async fn a_conversation_deleted_before_its_turn_is_not_waited_for(db: Db) {
    let app = TestApp::start(db).await;
    let u = app.sign_up("Ida").await;
    let (c, _, _) = chat_ok(&app, &u, None, "hello").await;
    let conversation = app
        .state
        .store
        .get_conversation(&u.id, c)
        .await
        .expect("get")
        .expect("exists");
    assert!(
        app.state
            .store
            .delete_conversation(&u.id, c)
            .await
            .expect("delete")
    );
    let user = todobot_server::auth::AuthUser {
        id: u.id.clone(),
        email: None,
        name: None,
    };
    let started = std::time::Instant::now();
    let result = todobot_server::chat::run_turn(
        &app.state,
        &app.state.agent,
        &user,
        conversation,
        todobot_server::chat::TurnInput::Message("add a task to ghost".into()),
        None,
        None,
    )
    .await;
    assert!(matches!(
        result,
        Err(todobot_server::chat::TurnError::ConversationNotFound)
    ));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "no waiting on a lease"
    );
    assert!(app.tasks(&u).await.is_empty());
    app.finish().await;
}

db_tests!(
    a_conversation_deleted_before_its_turn_is_not_waited_for,
    the_planner_adds_tasks_said_in_several_ways_and_records_the_turns,
    the_planner_lists_all_pending_and_completed_tasks,
    the_planner_completes_tasks_by_number_and_by_title,
    the_planner_asks_before_deleting_by_title_and_yes_deletes,
    the_planner_renames_a_task_by_number,
    unknown_task_numbers_and_titles_are_explained_and_change_nothing,
    an_ambiguous_title_gets_a_question_and_the_answer_picks_the_task,
    the_planner_reopens_a_completed_task,
    openai_model_calls_tools_over_several_steps,
    history_sent_to_the_model_is_a_bounded_window,
    a_restart_between_messages_loses_nothing,
    concurrent_messages_to_one_conversation_keep_order,
    another_users_conversation_is_not_found,
    bad_chat_input_is_rejected_and_changes_nothing,
    llm_failures_give_clear_errors_and_keep_the_message,
    bad_tool_calls_are_fed_back_and_endless_tool_loops_are_cut_off,
    chat_through_a_separate_mcp_service,
);
