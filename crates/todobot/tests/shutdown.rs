//! SIGTERM: the real binary stops accepting, lets in-flight requests (here a chat turn waiting on a
//! slow model) finish and store their results, then exits 0.

use std::{
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use todobot_testkit::{MockLlm, Reply};
use tokio::{io::AsyncWriteExt, net::TcpStream, task::JoinHandle};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `todobot serve` as a child process on SQLite in a fresh data directory, its model the mock.
/// Killed and its directory removed when dropped (a failing test leaves nothing behind).
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
    client: reqwest::Client,
}

/// A signed-up user of the running server.
struct User {
    id: String,
    jwt: String,
}

impl Server {
    /// Spawns the binary with `extra` environment on top of the base settings and waits until
    /// /readyz answers 200.
    async fn start(mock: &MockLlm, extra: &[(&str, &str)]) -> Server {
        todobot_server::install_tls_provider();
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("todobot-sigterm-{}", uuid::Uuid::new_v4().simple()));
        let child = Command::new(env!("CARGO_BIN_EXE_todobot"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", &dir)
            .env("LLM_PROVIDER", "openai")
            .env("OPENAI_API_KEY", "test-key")
            .env("OPENAI_BASE_URL", mock.base_url())
            .envs(extra.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn todobot");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        let server = Server {
            child,
            port,
            dir,
            client,
        };
        server.wait_ready().await;
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_ready(&self) {
        let started = Instant::now();
        while self
            .client
            .get(self.url("/readyz"))
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
    }

    async fn sign_up(&self, name: &str, email: &str) -> User {
        let res = self
            .client
            .post(self.url("/api/auth/sign-up/email"))
            .json(&json!({"name": name, "email": email, "password": "correct horse battery"}))
            .send()
            .await
            .expect("sign up");
        let jwt = res.headers()["set-auth-jwt"]
            .to_str()
            .expect("jwt")
            .to_owned();
        let body: Value = res.json().await.expect("json");
        let id = body["user"]["id"].as_str().expect("id").to_owned();
        User { id, jwt }
    }

    /// Sends a chat message in the background; the answer arrives when the turn ends.
    fn chat(&self, user: &User, message: &str) -> JoinHandle<reqwest::Result<reqwest::Response>> {
        let request = self
            .client
            .post(self.url(&format!("/api/{}/chat", user.id)))
            .bearer_auth(&user.jwt)
            .json(&json!({ "message": message }));
        tokio::spawn(request.send())
    }

    /// A raw connection that has sent `bytes` (an unfinished request) and stays open.
    async fn half_open(&self, bytes: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        stream.write_all(bytes).await.expect("write");
        stream
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit, failing after `within`.
    async fn exit_within(&mut self, within: Duration, what: &str) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(code) = self.child.try_wait().expect("wait") {
                return code;
            }
            assert!(Instant::now() < deadline, "{what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits until the model has been asked (the chat turn is in flight).
async fn wait_for_the_model_call(mock: &MockLlm) {
    while mock.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish() {
    let mock = MockLlm::start().await.expect("mock");
    mock.push([Reply::Delayed(
        Duration::from_millis(1500),
        Box::new(Reply::text("Still here: nothing was lost.")),
    )]);
    let mut server = Server::start(&mock, &[("LLM_TIMEOUT_SECS", "10")]).await;
    let user = server.sign_up("Term", "term@example.com").await;
    let chat = server.chat(&user, "are you still there?");
    // the turn is waiting on the model: now stop the server
    wait_for_the_model_call(&mock).await;
    server.sigterm();

    let res = chat
        .await
        .expect("join")
        .expect("the in-flight request completed");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["response"], "Still here: nothing was lost.");

    let code = server
        .exit_within(
            Duration::from_secs(15),
            "todobot did not exit after SIGTERM",
        )
        .await;
    assert!(code.success(), "clean exit: {code:?}");
    assert!(
        server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .is_err(),
        "no longer accepting connections"
    );
}

/// SIGTERM while clients hold half-sent requests (headers, a body) and a chat turn waits on a model
/// that never answers: the process still exits within SHUTDOWN_TIMEOUT_SECS (plus a margin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_half_open_requests_exits_within_the_deadline() {
    let mock = MockLlm::start().await.expect("mock");
    mock.set_fallback(Reply::Delayed(
        Duration::from_secs(600),
        Box::new(Reply::text("never")),
    ));
    let env = [("LLM_TIMEOUT_SECS", "600"), ("SHUTDOWN_TIMEOUT_SECS", "3")];
    let mut server = Server::start(&mock, &env).await;
    let user = server.sign_up("Half", "half@example.com").await;
    let stuck_turn = server.chat(&user, "hello?");
    let half_headers = server
        .half_open(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await;
    let half_body = server
        .half_open(b"POST /api/auth/sign-in/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{")
        .await;
    wait_for_the_model_call(&mock).await;

    let term = Instant::now();
    server.sigterm();
    let code = server
        .exit_within(
            Duration::from_secs(8),
            "todobot did not exit within the shutdown deadline",
        )
        .await;
    assert!(code.success(), "clean exit: {code:?}");
    assert!(
        term.elapsed() >= Duration::from_secs(2),
        "the in-flight turn had its grace period: {:?}",
        term.elapsed()
    );
    stuck_turn.abort();
    drop((half_headers, half_body));
}
