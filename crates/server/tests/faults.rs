//! Fault tolerance: the database going away under load (through a TCP proxy the test controls,
//! so the shared PostgreSQL server is never stopped), and slow or failing language models.

mod common;

use std::{
    net::{SocketAddr, ToSocketAddrs},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use common::{Db, TestApp};
use reqwest::Method;
use serde_json::json;
use todobot_server::config::SecretString;
use todobot_testkit::TcpProxy;

/// host:port of a postgres:// URL, and the URL with another authority.
fn split_authority(url: &str) -> (String, String, String) {
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let (auth_part, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (creds, hostport) = match auth_part.rsplit_once('@') {
        Some((c, h)) => (format!("{c}@"), h.to_owned()),
        None => (String::new(), auth_part.to_owned()),
    };
    let hostport = if hostport.contains(':') {
        hostport
    } else {
        format!("{hostport}:5432")
    };
    (format!("{scheme}://{creds}"), hostport, path.to_owned())
}

#[derive(Default)]
struct Load {
    acked: Vec<String>,
    statuses: Vec<(u16, Duration)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "PostgreSQL: needs TEST_DATABASE_URL, run with --include-ignored"]
async fn database_outage_fails_fast_then_recovers_without_losing_acknowledged_writes() {
    let url = common::require_pg();
    let (prefix, hostport, path) = split_authority(&url);
    let upstream: SocketAddr = hostport
        .to_socket_addrs()
        .expect("resolve")
        .next()
        .expect("address");
    let proxy = TcpProxy::start(upstream).await.expect("proxy");
    let proxied = format!("{prefix}{}{path}", proxy.addr());
    let app = TestApp::start_with(Db::Postgres, move |c| {
        c.database.url = Some(SecretString::from(proxied));
        c.database.acquire_timeout_ms = 500;
    })
    .await;
    let user = app.sign_up("Outage").await;

    let stop = Arc::new(AtomicBool::new(false));
    let load = Arc::new(Mutex::new(Load::default()));
    let writer = {
        let (stop, load) = (stop.clone(), load.clone());
        let client = app.client.clone();
        let url = app.url(&format!("/api/{}/tasks", user.id));
        let jwt = user.jwt.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let title = format!("write {i}");
                let started = Instant::now();
                let status = match client
                    .post(&url)
                    .bearer_auth(&jwt)
                    .json(&json!({ "title": title }))
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await
                {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                {
                    let mut l = load.lock().expect("lock");
                    l.statuses.push((status, started.elapsed()));
                    if status == 201 {
                        l.acked.push(title);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    tokio::time::sleep(Duration::from_millis(800)).await;
    proxy.down();
    let outage_started = load.lock().expect("lock").statuses.len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, body) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        status, 503,
        "readiness fails while the database is down: {body}"
    );
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/{}/tasks", user.id),
            Some(&user.jwt),
            None,
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");

    proxy.up();
    let recovered = Instant::now();
    loop {
        let (status, _) = app.call(Method::GET, "/readyz", None, None).await;
        if status == 200 {
            break;
        }
        assert!(
            recovered.elapsed() < Duration::from_secs(20),
            "did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // writes succeed again by themselves
    let before = load.lock().expect("lock").acked.len();
    let deadline = Instant::now() + Duration::from_secs(20);
    while load.lock().expect("lock").acked.len() < before + 5 {
        assert!(Instant::now() < deadline, "writes did not resume");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.expect("writer");

    let (statuses, acked) = {
        let l = load.lock().expect("lock");
        (l.statuses.clone(), l.acked.clone())
    };
    let during: Vec<(u16, Duration)> = statuses[outage_started..].to_vec();
    assert!(
        during.iter().any(|(s, _)| *s == 503),
        "the outage was observed: {during:?}"
    );
    for (status, took) in &statuses {
        assert!(
            matches!(status, 201 | 503),
            "only success or 503, got {status}"
        );
        if *status == 503 {
            assert!(*took < Duration::from_secs(3), "503 came fast: {took:?}");
        }
    }
    // every acknowledged write is there
    let stored: Vec<String> = app
        .tasks(&user)
        .await
        .iter()
        .filter_map(|t| t["title"].as_str().map(str::to_owned))
        .collect();
    for title in &acked {
        assert!(
            stored.contains(title),
            "acknowledged write {title:?} was lost"
        );
    }
    app.finish().await;
}
