//! The real binary as a container runs it: /metrics on its own listener when METRICS_BIND is set
//! (and not on the main port), `.env` loading (the real environment wins), and `todobot probe`
//! failing on unknown API and well-known paths.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running `todobot` process and its data directory, both removed on drop.
struct Proc {
    child: Child,
    dir: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("todobot-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Starts `todobot <args>` with only PATH, DATA_DIR and `env` set, in `cwd` (default: its data dir).
fn spawn(tag: &str, args: &[&str], env: &[(&str, String)], cwd: Option<&Path>) -> Proc {
    let dir = temp_dir(tag);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_todobot"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", &dir)
        .env("RUST_LOG", "warn")
        .current_dir(cwd.unwrap_or(&dir))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn todobot");
    Proc { child, dir }
}

fn client() -> reqwest::Client {
    todobot_server::install_tls_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn wait_ready(proc: &mut Proc, base: &str) {
    let client = client();
    let started = Instant::now();
    loop {
        let status = client.get(format!("{base}/readyz")).send().await;
        if status.map(|r| r.status().as_u16()).ok() == Some(200) {
            return;
        }
        if let Some(code) = proc.child.try_wait().expect("try_wait") {
            panic!("todobot exited before it was ready: {code:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "todobot did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn get(url: &str) -> (u16, String) {
    let res = client().get(url).send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

/// Both roles (`serve` and `mcp`): /metrics answers on METRICS_BIND, 404 (JSON) on the main port,
/// and the metrics listener serves nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_port_only() {
    for role in ["serve", "mcp"] {
        let (port, metrics_port) = (free_port(), free_port());
        let mut proc = spawn(
            "metrics",
            &[role],
            &[
                ("BIND", format!("127.0.0.1:{port}")),
                ("METRICS_BIND", format!("127.0.0.1:{metrics_port}")),
            ],
            None,
        );
        let (base, metrics) = (
            format!("http://127.0.0.1:{port}"),
            format!("http://127.0.0.1:{metrics_port}"),
        );
        wait_ready(&mut proc, &base).await;
        let (status, body) = get(&format!("{metrics}/metrics")).await;
        assert_eq!(status, 200, "{role}: {body}");
        assert!(
            body.contains("todobot_http_requests_total"),
            "{role}: {body}"
        );
        let (status, body) = get(&format!("{base}/metrics")).await;
        assert_eq!(status, 404, "{role}: /metrics on the main port: {body}");
        let err: Value = serde_json::from_str(&body).expect("JSON 404");
        assert_eq!(err["code"], "NOT_FOUND", "{role}");
        for path in ["/healthz", "/", "/api/config"] {
            let (status, _) = get(&format!("{metrics}{path}")).await;
            assert_eq!(status, 404, "{role}: {path} on the metrics port");
        }
    }
}

/// Without METRICS_BIND, /metrics stays on the main port (`cargo run` unchanged).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_stay_on_the_main_port_by_default() {
    let port = free_port();
    let mut proc = spawn(
        "metrics-default",
        &["serve"],
        &[("BIND", format!("127.0.0.1:{port}"))],
        None,
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&mut proc, &base).await;
    let (status, body) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert!(body.contains("todobot_http_requests_total"));
}

/// `.env` in the working directory configures the binary; variables in the real environment win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dotenv_is_loaded_and_the_environment_wins() {
    let port = free_port();
    let cwd = temp_dir("dotenv-cwd");
    std::fs::write(
        cwd.join(".env"),
        format!(
            "# as copied from .env.example\nBIND=127.0.0.1:{port}\nCORS_ORIGINS=\n\
             CHATKIT_DOMAIN_KEY=from-dotenv\nLOG_FORMAT=json\n"
        ),
    )
    .expect("write .env");
    let mut proc = spawn(
        "dotenv",
        &["serve"],
        &[("CHATKIT_DOMAIN_KEY", "from-environment".to_owned())],
        Some(&cwd),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&mut proc, &base).await; // BIND came from .env
    let (status, body) = get(&format!("{base}/api/config")).await;
    assert_eq!(status, 200);
    let config: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(config["chatkit_domain_key"], "from-environment");
    drop(proc);
    let _ = std::fs::remove_dir_all(&cwd);
}

/// A malformed `.env` stops startup with a message instead of being half applied.
#[test]
fn malformed_dotenv_is_an_error() {
    let cwd = temp_dir("dotenv-bad");
    std::fs::write(cwd.join(".env"), "BIND='127.0.0.1:1\n").expect("write .env");
    let out = Command::new(env!("CARGO_BIN_EXE_todobot"))
        .args(["probe", "http://127.0.0.1:1/"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(&cwd)
        .output()
        .expect("run todobot");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot load .env"), "{stderr}");
    let _ = std::fs::remove_dir_all(&cwd);
}

/// `todobot probe` (container health checks, `helm test`) exits non-zero for unknown API and
/// well-known paths instead of accepting the UI's 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_fails_on_unknown_api_paths() {
    let port = free_port();
    let mut proc = spawn(
        "probe",
        &["serve"],
        &[("BIND", format!("127.0.0.1:{port}"))],
        None,
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&mut proc, &base).await;
    let probe = |path: &str| {
        Command::new(env!("CARGO_BIN_EXE_todobot"))
            .args(["probe", &format!("{base}{path}")])
            .env_clear()
            .current_dir(&proc.dir)
            .output()
            .expect("run probe")
            .status
            .success()
    };
    assert!(probe("/healthz"));
    assert!(probe("/readyz"));
    for path in [
        "/api/nope",
        "/api",
        "/.well-known/nope",
        "/.well-known/oauth-nope",
    ] {
        assert!(!probe(path), "probe {path} must fail");
    }
    // the OAuth discovery documents of the MCP resource are real JSON answers now
    assert!(probe("/.well-known/oauth-authorization-server"));
}
