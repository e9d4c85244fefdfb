//! SIGTERM: the real binary stops accepting, lets in-flight requests (here a chat turn waiting on a
//! slow model) finish and store their results, then exits 0.

use std::{
    process::{Command, Stdio},
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish() {
    todobot_server::install_tls_provider();
    let mock = MockLlm::start().await.expect("mock");
    mock.push([Reply::Delayed(
        Duration::from_millis(1500),
        Box::new(Reply::text("Still here: nothing was lost.")),
    )]);
    let port = free_port();
    let dir =
        std::env::temp_dir().join(format!("todobot-sigterm-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_todobot"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("DATA_DIR", &dir)
        .env("LLM_PROVIDER", "openai")
        .env("OPENAI_API_KEY", "test-key")
        .env("OPENAI_BASE_URL", mock.base_url())
        .env("LLM_TIMEOUT_SECS", "10")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn todobot");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let started = Instant::now();
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = client
        .post(format!("{base}/api/auth/sign-up/email"))
        .json(&json!({"name": "Term", "email": "term@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("sign up");
    let jwt = res.headers()["set-auth-jwt"]
        .to_str()
        .expect("jwt")
        .to_owned();
    let user: Value = res.json().await.expect("json");
    let user_id = user["user"]["id"].as_str().expect("id").to_owned();

    let chat = {
        let client = client.clone();
        let url = format!("{base}/api/{user_id}/chat");
        let jwt = jwt.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(jwt)
                .json(&json!({"message": "are you still there?"}))
                .send()
                .await
        })
    };
    // the turn is waiting on the model: now stop the server
    while mock.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());

    let res = chat
        .await
        .expect("join")
        .expect("the in-flight request completed");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["response"], "Still here: nothing was lost.");

    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        if let Some(code) = child.try_wait().expect("wait") {
            break code;
        }
        assert!(
            Instant::now() < deadline,
            "todobot did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(code.success(), "clean exit: {code:?}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer accepting connections"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM while clients hold half-sent requests (headers, a body) and a chat turn waits on a model
/// that never answers: the process still exits within SHUTDOWN_TIMEOUT_SECS (plus a margin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_half_open_requests_exits_within_the_deadline() {
    use tokio::io::AsyncWriteExt;
    todobot_server::install_tls_provider();
    let mock = MockLlm::start().await.expect("mock");
    mock.set_fallback(Reply::Delayed(
        Duration::from_secs(600),
        Box::new(Reply::text("never")),
    ));
    let port = free_port();
    let dir =
        std::env::temp_dir().join(format!("todobot-sigterm-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_todobot"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("DATA_DIR", &dir)
        .env("LLM_PROVIDER", "openai")
        .env("OPENAI_API_KEY", "test-key")
        .env("OPENAI_BASE_URL", mock.base_url())
        .env("LLM_TIMEOUT_SECS", "600")
        .env("SHUTDOWN_TIMEOUT_SECS", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn todobot");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = client
        .post(format!("{base}/api/auth/sign-up/email"))
        .json(&json!({"name": "Half", "email": "half@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("sign up");
    let jwt = res.headers()["set-auth-jwt"]
        .to_str()
        .expect("jwt")
        .to_owned();
    let user: Value = res.json().await.expect("json");
    let user_id = user["user"]["id"].as_str().expect("id").to_owned();
    let stuck_turn = {
        let url = format!("{base}/api/{user_id}/chat");
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(jwt)
                .json(&json!({"message": "hello?"}))
                .send()
                .await
        })
    };
    let addr = format!("127.0.0.1:{port}");
    let mut half_headers = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    half_headers
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut half_body = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    half_body
        .write_all(b"POST /api/auth/sign-in/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
        .await
        .expect("write");
    while mock.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let term = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let code = loop {
        if let Some(code) = child.try_wait().expect("wait") {
            break code;
        }
        assert!(
            term.elapsed() < Duration::from_secs(8),
            "todobot did not exit within the shutdown deadline"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(code.success(), "clean exit: {code:?}");
    assert!(
        term.elapsed() >= Duration::from_secs(2),
        "the in-flight turn had its grace period: {:?}",
        term.elapsed()
    );
    stuck_turn.abort();
    drop((half_headers, half_body));
    let _ = std::fs::remove_dir_all(&dir);
}
