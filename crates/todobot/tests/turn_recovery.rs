//! kill -9 in the middle of a chat turn (an OOM kill, a node drain): the conversation is not left
//! locked. A new process on the same database answers the next message in that conversation as
//! soon as the dead turn's lease lapses (TURN_LEASE_SECS, 15 s by default), well under 30 s.
//! Runs on SQLite, and on PostgreSQL with --include-ignored and TEST_DATABASE_URL.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use todobot_testkit::{MockLlm, Reply};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(dir: &PathBuf, db: &[(String, String)], mock: &MockLlm) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_todobot"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("DATA_DIR", dir)
        .env(
            "BETTER_AUTH_SECRET",
            "turn-recovery-secret-0123456789abcdefghij",
        )
        .env("LLM_PROVIDER", "openai")
        .env("OPENAI_API_KEY", "test-key")
        .env("OPENAI_BASE_URL", mock.base_url())
        .env("LLM_TIMEOUT_SECS", "60")
        .env("LLM_MAX_RETRIES", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in db {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn todobot");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn post_chat(base: &str, user_id: &str, jwt: &str, body: Value) -> reqwest::Response {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
        .post(format!("{base}/api/{user_id}/chat"))
        .bearer_auth(jwt)
        .json(&body)
        .send()
        .await
        .expect("chat request")
}

/// A signed-up user of a running server: id and access token.
struct User {
    id: String,
    jwt: String,
}

async fn sign_up(base: &str) -> User {
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/auth/sign-up/email"))
        .json(&json!({"name": "Nine", "email": "nine@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("sign up");
    assert_eq!(res.status(), 200);
    let user: Value = res.json().await.expect("json");
    let session = user["token"].as_str().expect("token");
    let token: Value = client
        .get(format!("{base}/api/auth/token"))
        .bearer_auth(session)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    User {
        id: user["user"]["id"].as_str().expect("id").to_owned(),
        jwt: token["token"].as_str().expect("jwt").to_owned(),
    }
}

/// Sends a streamed turn (its reply row is reserved before the model answers) in the background.
fn send_streamed(base: &str, user: &User, cid: i64, text: &str) -> tokio::task::JoinHandle<()> {
    let url = format!("{base}/api/{}/chat", user.id);
    let (jwt, body) = (
        user.jwt.clone(),
        json!({"message": text, "conversation_id": cid}),
    );
    tokio::spawn(async move {
        let _ = reqwest::Client::new()
            .post(url)
            .bearer_auth(&jwt)
            .header("accept", "text/event-stream")
            .json(&body)
            .send()
            .await;
    })
}

fn kill_9(server: &mut Server) {
    let status = Command::new("kill")
        .args(["-KILL", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let _ = server.child.wait();
}

/// The conversation's messages as (role, status, content), oldest first.
async fn transcript(base: &str, user: &User, cid: i64) -> Vec<(String, String, String)> {
    let page: Value = reqwest::Client::new()
        .get(format!(
            "{base}/api/{}/conversations/{cid}/messages",
            user.id
        ))
        .bearer_auth(&user.jwt)
        .send()
        .await
        .expect("messages")
        .json()
        .await
        .expect("json");
    let text = |m: &Value, k: &str| m[k].as_str().unwrap_or_default().to_owned();
    page["data"]
        .as_array()
        .expect("messages page")
        .iter()
        .map(|m| (text(m, "role"), text(m, "status"), text(m, "content")))
        .collect()
}

async fn killed_mid_turn_then_next_turn_answers(db: Vec<(String, String)>) {
    todobot_server::install_tls_provider();
    let mock = MockLlm::start().await.expect("mock");
    let dir = std::env::temp_dir().join(format!("todobot-kill9-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut first = start(&dir, &db, &mock).await;
    let user = sign_up(&first.base).await;
    mock.push([Reply::text("hello")]);
    let res = post_chat(&first.base, &user.id, &user.jwt, json!({"message": "hi"})).await;
    assert_eq!(res.status(), 200);
    let cid = res.json::<Value>().await.expect("json")["conversation_id"]
        .as_i64()
        .expect("cid");

    // the next turn stalls in the model; the process is killed while it holds the conversation
    mock.push([Reply::Delayed(
        Duration::from_secs(600),
        Box::new(Reply::text("never")),
    )]);
    let stalled = send_streamed(&first.base, &user, cid, "stall");
    while mock.request_count() < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    kill_9(&mut first);
    stalled.abort();

    let second = start(&dir, &db, &mock).await;
    mock.set_fallback(Reply::text("back again"));
    let started = Instant::now();
    let body = json!({"message": "still there?", "conversation_id": cid});
    let res = post_chat(&second.base, &user.id, &user.jwt, body).await;
    let waited = started.elapsed();
    assert_eq!(res.status(), 200, "the next message is answered normally");
    assert_eq!(
        res.json::<Value>().await.expect("json")["response"],
        "back again"
    );
    assert!(
        waited < Duration::from_secs(30),
        "answered within 30 s of the crash: {waited:?}"
    );
    eprintln!("answered {waited:?} after the kill -9");

    // the killed turn's message is kept, and its reserved reply no longer claims to be streaming:
    // it says it was interrupted
    let messages = transcript(&second.base, &user, cid).await;
    assert!(
        messages.iter().all(|(_, status, _)| status != "streaming"),
        "{messages:?}"
    );
    let stall = messages
        .iter()
        .position(|(role, _, content)| role == "user" && content == "stall")
        .expect("the killed turn's message is kept");
    let (role, status, content) = &messages[stall + 1];
    assert_eq!(
        (role.as_str(), status.as_str()),
        ("assistant", "error"),
        "{messages:?}"
    );
    assert_eq!(content, todobot_server::chat::INTERRUPTED_REPLY);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_turn_sqlite() {
    killed_mid_turn_then_next_turn_answers(vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
async fn kill_9_mid_turn_postgres() {
    let url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("this PostgreSQL test needs TEST_DATABASE_URL");
    let schema = format!(
        "todobot_test_{}_{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple()
    );
    killed_mid_turn_then_next_turn_answers(vec![
        ("DATABASE_URL".into(), url.clone()),
        ("DATABASE_SCHEMA".into(), schema.clone()),
    ])
    .await;
    if let Ok(store) = todobot_store::Store::connect(&todobot_store::DbOptions::new(url)).await {
        let _ = store
            .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await;
    }
}
