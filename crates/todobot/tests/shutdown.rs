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
