//! HTTP limits: slow clients (slowloris) are disconnected once the header timeout passes and never
//! hold more than HTTP_MAX_CONNECTIONS connections; a trickled body gets 408; idle keep-alive
//! connections are closed; normal clients are still served.

mod common;

use std::time::{Duration, Instant};

use common::{Db, TestApp};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

async fn limited(db: Db) -> TestApp {
    TestApp::start_with(db, |c| {
        c.resilience.http_header_timeout_secs = 1;
        c.resilience.http_body_timeout_secs = 1;
        c.resilience.http_idle_timeout_secs = 2;
        c.resilience.http_max_connections = 32;
    })
    .await
}

/// Reads until the server closes the connection (or `within` passes); true when it closed.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

async fn slowloris_is_disconnected(db: Db) {
    let app = limited(db).await;
    let started = Instant::now();
    // 100 clients send headers a few bytes at a time, never finishing
    let mut attackers = Vec::new();
    for _ in 0..100 {
        let addr = addr(&app);
        attackers.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.ok()?;
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if s.write_all(b"X-a: b\r\n").await.is_err() {
                    return Some(true);
                }
                let mut buf = [0u8; 64];
                if let Ok(Ok(0)) =
                    tokio::time::timeout(Duration::from_millis(1), s.read(&mut buf)).await
                {
                    return Some(true);
                }
            }
            Some(false)
        }));
    }
    // a normal client is still served meanwhile (at worst after a slot frees up)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(res.status(), 200);
    let mut cut = 0;
    for a in attackers {
        if a.await.expect("join") == Some(true) {
            cut += 1;
        }
    }
    assert_eq!(cut, 100, "every slow client was disconnected");
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "disconnected within a few header timeouts: {:?}",
        started.elapsed()
    );
    app.finish().await;
}

async fn connections_are_bounded(db: Db) {
    let app = limited(db).await;
    // 32 idle connections take every slot; the 33rd is not served until one is freed
    let mut idle = Vec::new();
    for _ in 0..32 {
        idle.push(TcpStream::connect(addr(&app)).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr(&app)).await.expect("connect");
    extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(500), extra.read_to_end(&mut buf)).await;
    assert!(
        early.is_err(),
        "the 33rd connection waits while 32 are open"
    );
    drop(idle);
    let served = tokio::time::timeout(Duration::from_secs(5), extra.read_to_end(&mut buf)).await;
    assert!(served.is_ok(), "served once slots were freed");
    assert!(
        String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    app.finish().await;
}

async fn slow_bodies_get_408_and_idle_connections_close(db: Db) {
    let app = limited(db).await;
    let mut s = TcpStream::connect(addr(&app)).await.expect("connect");
    s.write_all(
        b"POST /api/auth/sign-in/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"",
    )
    .await
    .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answered within the body timeout")
        .expect("read");
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(head.contains("REQUEST_TIMEOUT"), "{head}");

    // a finished keep-alive connection left idle is closed after the idle timeout
    let mut s = TcpStream::connect(addr(&app)).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let n = s.read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let idle_from = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_secs(6)).await,
        "idle connection closed"
    );
    assert!(
        idle_from.elapsed() >= Duration::from_millis(1500),
        "not before the idle timeout: {:?}",
        idle_from.elapsed()
    );
    app.finish().await;
}

db_tests!(
    slowloris_is_disconnected,
    connections_are_bounded,
    slow_bodies_get_408_and_idle_connections_close,
);
