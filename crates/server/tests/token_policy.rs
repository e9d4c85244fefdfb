//! Access tokens: `nbf` is checked; a token carries its session (`sid`) and is refused as soon as
//! that session signs out, even though its signature check is cached. Password policy (NIST
//! 800-63B spirit) with Better Auth's error shape. A strict CSP on /docs.

mod common;

use common::{Db, TestApp};
use reqwest::Method;
use serde_json::json;
use todobot_server::auth::Claims;

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

async fn a_signed_out_sessions_token_is_refused_at_once(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Leaving").await;
    let path = format!("/api/{}/tasks", user.id);
    // used once: its verification is now cached
    assert_eq!(
        app.call(Method::GET, &path, Some(&user.jwt), None).await.0,
        200
    );
    let replica = app.replica().await;
    assert_eq!(
        replica
            .call(Method::GET, &path, Some(&user.jwt), None)
            .await
            .0,
        200
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/api/auth/sign-out",
            Some(&user.session),
            None,
        )
        .await;
    assert_eq!(status, 200);
    for a in [&app, &replica] {
        let (status, body) = a.call(Method::GET, &path, Some(&user.jwt), None).await;
        assert_eq!(status, 401, "{body}");
    }
    // another session of the same user is unaffected
    let res = app
        .client
        .post(app.url("/api/auth/sign-in/email"))
        .json(&json!({"email": user.email, "password": "correct horse battery"}))
        .send()
        .await
        .expect("sign in");
    let jwt = res.headers()["set-auth-jwt"]
        .to_str()
        .expect("jwt")
        .to_owned();
    assert_eq!(app.call(Method::GET, &path, Some(&jwt), None).await.0, 200);
    replica.finish().await;
    app.finish().await;
}

/// The REST list checks the token's session in its own statement (one round trip): an ended
/// session is still 401 whether the list has rows, none, or the request is otherwise refused.
async fn a_signed_out_sessions_token_cannot_list(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Lister").await;
    let other = app.sign_up("Other").await;
    let path = format!("/api/{}/tasks", user.id);
    for title in ["one", "two"] {
        let (status, _) = app
            .call(
                Method::POST,
                &path,
                Some(&user.jwt),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let replica = app.replica().await;
    let rows = format!("{path}?status=pending");
    let none = format!("{path}?status=completed");
    let bad = format!("{path}?status=sideways");
    let foreign = format!("/api/{}/tasks", other.id);
    for a in [&app, &replica] {
        let (status, body) = a.call(Method::GET, &rows, Some(&user.jwt), None).await;
        assert_eq!(
            (status, body.as_array().map(Vec::len)),
            (200, Some(2)),
            "{body}"
        );
        let (status, body) = a.call(Method::GET, &none, Some(&user.jwt), None).await;
        assert_eq!((status, body), (200, json!([])));
        assert_eq!(
            a.call(Method::GET, &bad, Some(&user.jwt), None).await.0,
            422
        );
        assert_eq!(
            a.call(Method::GET, &foreign, Some(&user.jwt), None).await.0,
            403
        );
    }
    let (status, _) = app
        .call(
            Method::POST,
            "/api/auth/sign-out",
            Some(&user.session),
            None,
        )
        .await;
    assert_eq!(status, 200);
    for a in [&replica, &app] {
        for p in [&rows, &none, &bad, &foreign] {
            let (status, body) = a.call(Method::GET, p, Some(&user.jwt), None).await;
            assert_eq!(status, 401, "{p}: {body}");
            assert_eq!(body["code"], "UNAUTHORIZED", "{p}: {body}");
        }
    }
    // the other user's session is unaffected
    let (status, body) = app
        .call(Method::GET, &foreign, Some(&other.jwt), None)
        .await;
    assert_eq!((status, body), (200, json!([])));
    replica.finish().await;
    app.finish().await;
}

async fn not_yet_valid_tokens_are_refused(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Early").await;
    let iss = app.state.auth.issuer().to_owned();
    let claims = |nbf: u64| Claims {
        sub: user.id.clone(),
        iat: now(),
        exp: now() + 900,
        nbf: Some(nbf),
        sid: None,
        iss: Some(iss.clone()),
        aud: Some(json!(iss)),
        email: None,
        name: None,
    };
    let path = format!("/api/{}/tasks", user.id);
    let early = app
        .state
        .auth
        .sign_claims(&claims(now() + 600))
        .expect("sign");
    assert_eq!(
        app.call(Method::GET, &path, Some(&early), None).await.0,
        401
    );
    let fine = app.state.auth.sign_claims(&claims(now())).expect("sign");
    assert_eq!(app.call(Method::GET, &path, Some(&fine), None).await.0, 200);
    app.finish().await;
}

async fn weak_passwords_are_refused(db: Db) {
    let app = TestApp::start(db).await;
    let email = format!("weak-{}@example.com", uuid::Uuid::new_v4().simple());
    for (password, code) in [
        ("password", "PASSWORD_COMPROMISED"),
        ("12345678", "PASSWORD_COMPROMISED"),
        ("iloveyou1", "PASSWORD_COMPROMISED"),
        ("        ", "PASSWORD_TOO_WEAK"),
        (email.as_str(), "PASSWORD_TOO_WEAK"),
        ("seven77", "PASSWORD_TOO_SHORT"),
    ] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/auth/sign-up/email",
                None,
                Some(json!({"name": "Weak", "email": email, "password": password})),
            )
            .await;
        assert_eq!(status, 400, "{password}: {body}");
        assert_eq!(body["code"], code, "{password}: {body}");
        assert!(body["message"].is_string());
    }
    let (status, _) = app
        .call(
            Method::POST,
            "/api/auth/sign-up/email",
            None,
            Some(json!({"name": "Weak", "email": email, "password": "purple tuesday kettle"})),
        )
        .await;
    assert_eq!(status, 200, "nothing was created by the refused attempts");
    app.finish().await;
}

async fn docs_have_a_strict_csp(db: Db) {
    let app = TestApp::start(db).await;
    let res = app
        .client
        .get(app.url("/docs/"))
        .send()
        .await
        .expect("docs");
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    app.finish().await;
}

db_tests!(
    a_signed_out_sessions_token_is_refused_at_once,
    a_signed_out_sessions_token_cannot_list,
    not_yet_valid_tokens_are_refused,
    weak_passwords_are_refused,
    docs_have_a_strict_csp,
);
