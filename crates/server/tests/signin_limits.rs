//! Sign-in limits that stop guessing without letting a stranger lock the owner out: failures are
//! counted per (account, client) before the password is checked (atomic under concurrency), with a
//! slower global per-account backoff; the client address comes from X-Forwarded-For read from the
//! right (TRUSTED_PROXY_HOPS), so a spoofed left-most entry does not give a fresh identity.

mod common;

use common::{Db, TestApp};
use serde_json::json;

async fn behind_proxy(db: Db, global: i64) -> TestApp {
    TestApp::start_with(db, move |c| {
        c.server.trust_proxy_headers = true;
        c.resilience.trusted_proxy_hops = 1;
        c.auth.signin_max_failures_per_account = 5;
        c.auth.signin_max_per_client = 100;
        // a fixed window that cannot roll over during the test
        c.auth.signin_window_secs = 1_000_000_000;
        c.resilience.signin_max_failures_per_account_global = global;
    })
    .await
}

async fn sign_in(app: &TestApp, xff: &str, email: &str, password: &str) -> u16 {
    app.client
        .post(app.url("/api/auth/sign-in/email"))
        .header("x-forwarded-for", xff)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("sign-in")
        .status()
        .as_u16()
}

async fn the_owner_gets_in_while_an_attacker_is_limited(db: Db) {
    let app = behind_proxy(db, 50).await;
    let owner = app.sign_up("Owner").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(sign_in(&app, "203.0.113.7", &owner.email, "wrong password!").await);
    }
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(
        statuses[5..],
        [429; 3],
        "the attacker is limited: {statuses:?}"
    );
    // the owner, from another address, with the right password
    assert_eq!(
        sign_in(&app, "198.51.100.20", &owner.email, "correct horse battery").await,
        200
    );
    // and the attacker is still limited
    assert_eq!(
        sign_in(&app, "203.0.113.7", &owner.email, "correct horse battery").await,
        429
    );
    app.finish().await;
}

async fn concurrent_guesses_are_counted_before_checking(db: Db) {
    let app = behind_proxy(db, 50).await;
    let owner = app.sign_up("Target").await;
    let guesses = (0..15).map(|i| {
        let (client, url, email) = (
            app.client.clone(),
            app.url("/api/auth/sign-in/email"),
            owner.email.clone(),
        );
        async move {
            client
                .post(url)
                .header("x-forwarded-for", "203.0.113.9")
                .json(&json!({ "email": email, "password": format!("guess number {i}") }))
                .send()
                .await
                .expect("sign-in")
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked, 5, "exactly the limit was checked: {statuses:?}");
    assert_eq!(refused, 10, "{statuses:?}");
    app.finish().await;
}

async fn a_spoofed_leftmost_forwarded_for_does_not_change_the_key(db: Db) {
    let app = behind_proxy(db, 50).await;
    let owner = app.sign_up("Spoofed").await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        // the client prepends a fresh address each time; the proxy appends the real one
        let xff = format!("10.9.8.{i}, 203.0.113.50");
        statuses.push(sign_in(&app, &xff, &owner.email, "wrong password!").await);
    }
    assert_eq!(statuses[5..], [429; 3], "one identity: {statuses:?}");
    app.finish().await;
}

async fn many_clients_meet_the_global_backoff(db: Db) {
    let app = behind_proxy(db, 8).await;
    let owner = app.sign_up("Spread").await;
    let mut statuses = Vec::new();
    for i in 0..10 {
        let xff = format!("203.0.113.{}", 100 + i);
        statuses.push(sign_in(&app, &xff, &owner.email, "wrong password!").await);
    }
    assert_eq!(statuses[..8], [401; 8], "{statuses:?}");
    assert_eq!(statuses[8..], [429; 2], "global backoff: {statuses:?}");
    app.finish().await;
}

db_tests!(
    the_owner_gets_in_while_an_attacker_is_limited,
    concurrent_guesses_are_counted_before_checking,
    a_spoofed_leftmost_forwarded_for_does_not_change_the_key,
    many_clients_meet_the_global_backoff,
);
