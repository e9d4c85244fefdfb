//! Test harness: runs the real server (`todobot_server::run`'s pieces) on 127.0.0.1:0 against a
//! fresh SQLite file or a fresh PostgreSQL schema (when TEST_DATABASE_URL is set).
#![allow(dead_code)]

pub mod tasks;

use std::{path::PathBuf, time::Duration};

use serde_json::{Value, json};
use todobot_server::{AppState, config::Config};
use tokio::{sync::oneshot, task::JoinHandle};

pub const SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL tests use, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The PostgreSQL URL for a PostgreSQL test. PostgreSQL tests are `#[ignore]`d (so a run without
/// PostgreSQL lists them as ignored, never as passed) and run with `--include-ignored`: asked to run
/// without TEST_DATABASE_URL, they fail instead of passing without testing anything.
pub fn require_pg() -> String {
    pg_url().expect("this PostgreSQL test needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)")
}

/// Generates `mod <test> { sqlite, postgres }` test functions that call `async fn <test>(Db)`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
            async fn postgres() {
                $crate::common::require_pg();
                super::$name($crate::common::Db::Postgres).await;
            }
        }
    )*};
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: Db,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    dir: PathBuf,
    schema: Option<String>,
}

/// A signed-up user with a session and an access token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub session: String,
    pub jwt: String,
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Drops test schemas left behind (by crashed runs) more than an hour ago.
async fn drop_stale_schemas(url: &str) {
    let Ok(store) = todobot_store::Store::connect(&todobot_store::DbOptions::new(url)).await else {
        return;
    };
    use sea_orm::{ConnectionTrait, Statement};
    let rows = store
        .connection()
        .query_all_raw(Statement::from_string(
            store.connection().get_database_backend(),
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'todobot_test_%'".to_owned(),
        ))
        .await
        .unwrap_or_default();
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "nspname") else {
            continue;
        };
        let ts = name
            .strip_prefix("todobot_test_")
            .and_then(|r| r.split('_').next())
            .and_then(|t| t.parse::<i64>().ok());
        if ts.is_some_and(|t| t < cutoff) {
            let _ = store
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .await;
        }
    }
    let _ = store.close().await;
}

impl TestApp {
    pub async fn start(db: Db) -> TestApp {
        Self::start_with(db, |_| {}).await
    }

    /// Starts the server with the test configuration, adjusted by `tweak`.
    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> TestApp {
        todobot_server::install_tls_provider();
        let dir = std::env::temp_dir().join(unique("todobot-test"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut config = Config::from_args(["--data-dir", dir.to_str().expect("utf8 path")])
            .expect("default config");
        config.auth.secret = Some(todobot_server::config::SecretString::from(SECRET));
        config.server.public_url = "http://todobot.test".parse().expect("url");
        config.llm.api_key = None;
        config.llm.provider = todobot_server::config::LlmProvider::Local;
        config.mcp.url = None;
        config.server.cors_origins = vec![];
        config.server.trust_proxy_headers = false;
        let mut schema = None;
        match db {
            Db::Sqlite => config.database.url = None,
            Db::Postgres => {
                let url = require_pg();
                drop_stale_schemas(&url).await;
                let name = unique("todobot_test");
                config.database.url = Some(todobot_server::config::SecretString::from(url));
                config.database.schema = Some(name.clone());
                schema = Some(name);
            }
        }
        tweak(&mut config);
        Self::start_config(db, config, dir, schema).await
    }

    async fn start_config(db: Db, config: Config, dir: PathBuf, schema: Option<String>) -> TestApp {
        let state = todobot_server::build_state(config)
            .await
            .expect("app state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let router = todobot_server::router(state.clone());
        let limits = todobot_server::HttpLimits::from_config(&state.config);
        let server = tokio::spawn(todobot_server::serve_router_with(
            router,
            listener,
            limits,
            async move {
                let _ = rx.await;
            },
        ));
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            state,
            db,
            shutdown: Some(tx),
            server: Some(server),
            dir,
            schema,
        }
    }

    /// Stops the server (graceful) and starts a new one on the same database, like a restart or
    /// another replica.
    pub async fn restart(mut self) -> TestApp {
        self.stop_server().await;
        let mut config = (*self.state.config).clone();
        config.database.migrate_on_start = true;
        let dir = std::mem::take(&mut self.dir);
        let schema = self.schema.take();
        let db = self.db;
        drop(self);
        Self::start_config(db, config, dir, schema).await
    }

    /// Another server on the same database and configuration (a second replica). Its `finish`
    /// leaves the database to this one.
    pub async fn replica(&self) -> TestApp {
        let mut config = (*self.state.config).clone();
        config.database.migrate_on_start = false;
        let dir = std::env::temp_dir().join(unique("todobot-replica"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        if self.db == Db::Sqlite {
            // same SQLite file as the first server
            config.database.url = Some(self.state.config.effective_database_url());
        }
        Self::start_config(self.db, config, dir, None).await
    }

    /// Stops the server but keeps its database (for `finish` later).
    pub async fn stop(&mut self) {
        self.stop_server().await;
    }

    async fn stop_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }

    /// Stops the server and removes the test database.
    pub async fn finish(mut self) {
        self.stop_server().await;
        if let Some(schema) = self.schema.take() {
            let _ = self
                .state
                .store
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await;
        }
        let _ = self.state.store.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn sign_up(&self, name: &str) -> TestUser {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let res = self
            .client
            .post(self.url("/api/auth/sign-up/email"))
            .json(&json!({"name": name, "email": email, "password": "correct horse battery"}))
            .send()
            .await
            .expect("sign-up request");
        assert_eq!(res.status(), 200, "sign-up failed");
        let body: Value = res.json().await.expect("sign-up json");
        let session = body["token"].as_str().expect("session token").to_owned();
        let id = body["user"]["id"].as_str().expect("user id").to_owned();
        let jwt = self.jwt_for_session(&session).await;
        TestUser {
            id,
            email,
            session,
            jwt,
        }
    }

    /// An access token for the MCP resource (the chat's own kind: no OAuth grant behind it).
    pub fn mcp_token(&self, user: &TestUser) -> String {
        self.state
            .auth
            .issue_mcp_token(
                &user.id,
                &todobot_server::auth::oauth::configured_resource(&self.state.config),
                None,
                None,
                Duration::from_secs(900),
            )
            .expect("mcp token")
    }

    /// A new session for `user` (signed in with the sign-up password); its bearer session token.
    pub async fn sign_in(&self, user: &TestUser) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/auth/sign-in/email",
                None,
                Some(json!({"email": user.email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().expect("session token").to_owned()
    }

    pub async fn jwt_for_session(&self, session: &str) -> String {
        let res = self
            .client
            .get(self.url("/api/auth/token"))
            .bearer_auth(session)
            .send()
            .await
            .expect("token request");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("token json");
        body["token"].as_str().expect("jwt").to_owned()
    }

    /// Sends a request with a bearer token; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// Sends a ChatKit request; returns the status and the raw body (JSON, or `data:` frames).
    pub async fn chatkit(&self, token: &str, body: Value) -> (u16, String) {
        let res = self
            .client
            .post(self.url("/chatkit"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("chatkit request");
        let status = res.status().as_u16();
        (status, res.text().await.unwrap_or_default())
    }

    pub async fn create_task(&self, user: &TestUser, title: &str) -> Value {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/api/{}/tasks", user.id),
                Some(&user.jwt),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(status, 201, "create task: {body}");
        body
    }

    pub async fn tasks(&self, user: &TestUser) -> Vec<Value> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/{}/tasks", user.id),
                Some(&user.jwt),
                None,
            )
            .await;
        assert_eq!(status, 200, "list tasks: {body}");
        body.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
