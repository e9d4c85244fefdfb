//! `todobot mcp --stdio --user EMAIL`, driven by rmcp's client over a child process's stdio.

use std::path::PathBuf;

use rmcp::{
    ServiceExt,
    model::{CallToolRequestParams, CallToolResult, ContentBlock},
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use serde_json::{Value, json};
use todobot_server::config::{Config, SecretString};
use todobot_store::{NewUser, Store};

const SECRET: &str = "stdio-test-secret-0123456789-abcdefghijklmnop";

struct Env {
    dir: PathBuf,
    vars: Vec<(&'static str, String)>,
    store: Store,
    schema: Option<String>,
}

async fn setup(postgres: bool) -> Env {
    let dir = std::env::temp_dir().join(format!("todobot-stdio-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut vars = vec![
        ("DATA_DIR", dir.display().to_string()),
        ("BETTER_AUTH_SECRET", SECRET.to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let mut config = Config::from_args(["--data-dir", dir.to_str().unwrap()]).unwrap();
    config.auth.secret = Some(SecretString::from(SECRET));
    let mut schema = None;
    if postgres {
        let url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .expect("this PostgreSQL test needs TEST_DATABASE_URL");
        let name = format!(
            "todobot_test_{}_{}",
            chrono::Utc::now().timestamp(),
            uuid::Uuid::new_v4().simple()
        );
        config.database.url = Some(SecretString::from(url.clone()));
        config.database.schema = Some(name.clone());
        vars.push(("DATABASE_URL", url));
        vars.push(("DATABASE_SCHEMA", name.clone()));
        schema = Some(name);
    } else {
        config.database.url = None;
    }
    let state = todobot_server::build_state(config).await.unwrap();
    Env {
        dir,
        vars,
        store: state.store,
        schema,
    }
}

impl Env {
    fn command(&self, email: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_todobot"));
        cmd.args(["mcp", "--stdio", "--user", email]);
        cmd.env_remove("DATABASE_URL")
            .env_remove("DATABASE_SCHEMA")
            .env_remove("OPENAI_API_KEY");
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    async fn finish(self) {
        if let Some(schema) = &self.schema {
            let _ = self
                .store
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await;
        }
        let _ = self.store.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn value_of(r: &CallToolResult) -> Value {
    r.structured_content.clone().unwrap_or_else(|| {
        r.content
            .iter()
            .find_map(|c| match c {
                ContentBlock::Text(t) => serde_json::from_str(&t.text).ok(),
                _ => None,
            })
            .unwrap_or(Value::Null)
    })
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

async fn stdio_session(postgres: bool) {
    let env = setup(postgres).await;
    let ann = env
        .store
        .create_user(NewUser {
            email: "ann@example.com".into(),
            name: "Ann".into(),
            password_hash: None,
            image: None,
        })
        .await
        .unwrap();
    let bob = env
        .store
        .create_user(NewUser {
            email: "bob@example.com".into(),
            name: "Bob".into(),
            password_hash: None,
            image: None,
        })
        .await
        .unwrap();
    env.store
        .create_task(&bob.id, "Bob's task", None)
        .await
        .unwrap();

    let cmd = env.command("Ann@Example.com");
    let client =
        ().serve(TokioChildProcess::new(cmd.configure(|_| {})).unwrap())
            .await
            .expect("stdio handshake");
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 5);
    let call = |name: &'static str, args: Value| {
        let client = &client;
        async move {
            client
                .call_tool(
                    CallToolRequestParams::new(name)
                        .with_arguments(args.as_object().cloned().unwrap_or_default()),
                )
                .await
                .unwrap()
        }
    };
    let r = call("add_task", json!({"title": "Write report"})).await;
    assert_eq!(
        value_of(&r),
        json!({"task_id": 1, "status": "created", "title": "Write report"})
    );
    call("add_task", json!({"title": "Call mom"})).await;
    let r = call("complete_task", json!({"task_id": 1})).await;
    assert_eq!(value_of(&r)["status"], "completed");
    let r = call(
        "update_task",
        json!({"task_id": 2, "title": "Call mom tonight"}),
    )
    .await;
    assert_eq!(value_of(&r)["title"], "Call mom tonight");
    let r = call("list_tasks", json!({"status": "pending"})).await;
    assert_eq!(
        value_of(&r),
        json!({"tasks": [{"id": 2, "title": "Call mom tonight", "completed": false, "priority": "medium", "tags": [], "overdue": false}]})
    );
    let r = call("delete_task", json!({"task_id": 1})).await;
    assert_eq!(value_of(&r)["status"], "deleted");
    // another user's id is refused; another user's tasks are out of reach
    let r = call("list_tasks", json!({"user_id": bob.id})).await;
    assert_eq!(r.is_error, Some(true));
    assert!(text_of(&r).contains("Access denied"));
    let r = call("delete_task", json!({"task_id": 5})).await;
    assert_eq!(r.is_error, Some(true));
    client.cancel().await.unwrap();

    // the database holds exactly what the tools did
    let ann_tasks = env
        .store
        .list_tasks(&ann.id, Default::default(), None, 0)
        .await
        .unwrap();
    assert_eq!(ann_tasks.len(), 1);
    assert_eq!(ann_tasks[0].title, "Call mom tonight");
    let bob_tasks = env
        .store
        .list_tasks(&bob.id, Default::default(), None, 0)
        .await
        .unwrap();
    assert_eq!(bob_tasks.len(), 1);
    assert_eq!(bob_tasks[0].title, "Bob's task");

    // an unknown account is refused at startup with a clear message
    let out = env.command("nobody@example.com").output().await.unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no todobot account"), "{stderr}");
    assert!(out.stdout.is_empty(), "stdout carries only the protocol");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_sqlite() {
    stdio_session(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
async fn stdio_postgres() {
    stdio_session(true).await;
}
