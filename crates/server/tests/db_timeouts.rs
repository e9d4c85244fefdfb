//! A stuck database gives 503 within DB_STATEMENT_TIMEOUT_MS, not a hang, and the pool recovers:
//! a network partition to PostgreSQL (a proxy that stops forwarding without closing anything) and
//! a locked SQLite database (DB_BUSY_TIMEOUT_MS).

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use common::{Db, TestApp};
use reqwest::Method;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// A TCP proxy that can stop forwarding (packets "dropped": connections stay open, bytes wait).
struct StallingProxy {
    port: u16,
    stalled: Arc<AtomicBool>,
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl StallingProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stalled = Arc::new(AtomicBool::new(false));
        let s = stalled.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let s = s.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::join!(pump(cr, sw, s.clone()), pump(sr, cw, s));
                });
            }
        });
        Self { port, stalled }
    }
}

fn via_proxy(url: &str, port: u16) -> String {
    // postgres://user@host:port/db -> same with 127.0.0.1:<proxy port>
    let (scheme, rest) = url.split_once("://").expect("url");
    let (auth_host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = auth_host
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}127.0.0.1:{port}/{path}")
}

fn upstream_of(url: &str) -> String {
    let rest = url.split_once("://").expect("url").1;
    let host = rest.split('/').next().unwrap_or(rest);
    let host = host.rsplit('@').next().unwrap_or(host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
async fn partition_gives_503_within_the_statement_timeout_then_recovers() {
    let url = common::require_pg();
    let proxy = StallingProxy::start(upstream_of(&url)).await;
    let proxied = via_proxy(&url, proxy.port);
    let app = TestApp::start_with(Db::Postgres, move |c| {
        c.database.url = Some(todobot_server::config::SecretString::from(proxied));
        c.resilience.db_statement_timeout_ms = 1500;
        c.database.acquire_timeout_ms = 1000;
    })
    .await;
    let user = app.sign_up("Partition").await;
    app.create_task(&user, "before").await;

    proxy.stalled.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", user.id),
            Some(&user.jwt),
            None,
        )
        .await;
    let took = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE", "{body}");
    assert!(
        took < Duration::from_secs(4),
        "503 within the bound: {took:?}"
    );
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/{}/tasks", user.id),
            Some(&user.jwt),
            Some(json!({"title": "during"})),
        )
        .await;
    assert_eq!(status, 503);

    proxy.stalled.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = app
            .call(
                Method::GET,
                &format!("/api/{}/tasks", user.id),
                Some(&user.jwt),
                None,
            )
            .await;
        if status == 200 {
            assert_eq!(body[0]["title"], "before");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the pool recovered: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.create_task(&user, "after").await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_database_gives_503_within_the_busy_timeout() {
    let app = TestApp::start_with(Db::Sqlite, |c| {
        c.resilience.db_busy_timeout_ms = 500;
        c.resilience.db_statement_timeout_ms = 2000;
    })
    .await;
    let user = app.sign_up("Locked").await;
    // another process holds the write lock
    let mut opts = todobot_store::DbOptions::new(
        todobot_server::config::ExposeSecret::expose_secret(
            &app.state.config.effective_database_url(),
        )
        .to_owned(),
    );
    opts.max_connections = 1;
    let holder = todobot_store::Store::connect(&opts).await.expect("connect");
    holder
        .execute_unprepared("BEGIN IMMEDIATE")
        .await
        .expect("lock");
    let started = Instant::now();
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/{}/tasks", user.id),
            Some(&user.jwt),
            Some(json!({"title": "blocked"})),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    holder.execute_unprepared("ROLLBACK").await.expect("unlock");
    app.create_task(&user, "free again").await;
    let _ = holder.close().await;
    app.finish().await;
}
