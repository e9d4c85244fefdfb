//! The web UI's session cookie: CSRF safety of cookie-authenticated state-changing requests (a
//! trusted Origin is required), a live bearer session winning over a stale cookie, `Secure` on
//! https deployments, and the cookie renewed with the sliding session. SQLite and PostgreSQL.

mod common;

use common::{Db, TestApp, TestUser};
use reqwest::{Method, header};
use serde_json::{Value, json};

fn cookie(session: &str) -> String {
    format!("theme=dark; better-auth.session_token={session}")
}

/// POST /api/auth/sign-out with the given headers; returns status and body.
async fn sign_out(app: &TestApp, headers: &[(&str, String)]) -> (u16, Value) {
    let mut req = app.client.post(app.url("/api/auth/sign-out"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.expect("sign-out");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The user id of the session a bearer session token names (None when it is not live).
async fn session_user(app: &TestApp, session: &str) -> Option<String> {
    let (status, body) = app
        .call(Method::GET, "/api/auth/get-session", Some(session), None)
        .await;
    assert_eq!(status, 200);
    body["user"]["id"].as_str().map(str::to_owned)
}

/// Carol signed up on a server whose CORS_ORIGINS trusts https://front.example.
async fn carol(db: Db) -> (TestApp, TestUser) {
    let app = TestApp::start_with(db, |c| {
        c.server.cors_origins = vec!["https://front.example/".into()];
    })
    .await;
    let user = app.sign_up("Carol").await;
    (app, user)
}

async fn cookie_sign_out_from_a_foreign_or_missing_origin_is_refused(db: Db) {
    let (app, user) = carol(db).await;
    let session = user.session.clone();
    let c = cookie(&session);

    // refused: a foreign page, a foreign referrer, no origin at all, the opaque "null" origin
    let refused = [
        (
            vec![
                ("cookie", c.clone()),
                ("origin", "https://evil.example".into()),
            ],
            "INVALID_ORIGIN",
        ),
        (
            vec![
                ("cookie", c.clone()),
                ("origin", format!("{}.evil.example", app.base)),
            ],
            "INVALID_ORIGIN",
        ),
        (
            vec![
                ("cookie", c.clone()),
                ("referer", "https://evil.example/page".into()),
            ],
            "INVALID_ORIGIN",
        ),
        (vec![("cookie", c.clone())], "MISSING_OR_NULL_ORIGIN"),
        (
            vec![("cookie", c.clone()), ("origin", "null".into())],
            "MISSING_OR_NULL_ORIGIN",
        ),
    ];
    for (headers, code) in refused {
        let (status, body) = sign_out(&app, &headers).await;
        assert_eq!(status, 403, "{headers:?}: {body}");
        assert_eq!(body["code"], code, "{headers:?}");
        assert!(body["message"].is_string());
        assert_eq!(
            session_user(&app, &session).await.as_deref(),
            Some(user.id.as_str()),
            "a refused sign-out changes nothing"
        );
    }

    app.finish().await;
}

async fn cookie_sign_out_from_a_trusted_origin_or_referrer_succeeds(db: Db) {
    let (app, user) = carol(db).await;
    // accepted: the app's own origin (the host it was reached at), BETTER_AUTH_URL, CORS_ORIGINS,
    // a same-origin referrer
    let own = app.base.clone();
    for origin_header in [
        ("origin", own.clone()),
        ("origin", "http://todobot.test".to_owned()),
        ("origin", "https://front.example".to_owned()),
        ("referer", format!("{own}/some/page")),
    ] {
        let session = app.sign_in(&user).await;
        let (status, body) =
            sign_out(&app, &[("cookie", cookie(&session)), origin_header.clone()]).await;
        assert_eq!(status, 200, "{origin_header:?}: {body}");
        assert_eq!(body["success"], true);
        assert_eq!(
            session_user(&app, &session).await,
            None,
            "{origin_header:?}"
        );
    }

    app.finish().await;
}

async fn bearer_requests_are_unaffected_by_the_origin(db: Db) {
    let (app, user) = carol(db).await;
    // bearer-authenticated requests are unaffected by the origin (a page cannot set the header
    // cross-site without passing CORS), with or without the cookie
    let session = app.sign_in(&user).await;
    let (status, _) = sign_out(
        &app,
        &[
            ("authorization", format!("Bearer {session}")),
            ("cookie", cookie(&user.session)),
            ("origin", "https://evil.example".into()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(session_user(&app, &session).await, None);
    let res = app
        .client
        .post(app.url(&format!("/api/{}/tasks", user.id)))
        .bearer_auth(&user.jwt)
        .header("cookie", cookie(&user.session))
        .header("origin", "https://evil.example")
        .json(&json!({"title": "from an API client"}))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 201);
    app.finish().await;
}

async fn bearer_only_routes_ignore_the_session_cookie(db: Db) {
    let (app, user) = carol(db).await;
    // bearer-only routes ignore the cookie: without a token they answer 401, whatever the origin
    for (path, body) in [
        (
            "/chatkit".to_owned(),
            json!({"type": "threads.list", "params": {}}),
        ),
        (format!("/api/{}/tasks", user.id), json!({"title": "x"})),
    ] {
        let res = app
            .client
            .post(app.url(&path))
            .header("cookie", cookie(&user.session))
            .json(&body)
            .send()
            .await
            .expect("bearer-only");
        assert_eq!(res.status(), 401, "{path}");
    }
    app.finish().await;
}

async fn reads_with_the_session_cookie_need_no_origin(db: Db) {
    let (app, user) = carol(db).await;
    // reads with the cookie need no origin
    let res = app
        .client
        .get(app.url("/api/auth/token"))
        .header("cookie", cookie(&user.session))
        .send()
        .await
        .expect("token");
    assert_eq!(res.status(), 200);
    app.finish().await;
}

async fn foreign_pages_cannot_sign_in(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Dave").await;
    let body = json!({"email": user.email, "password": "correct horse battery"});
    let attempt = |origin: Option<&str>| {
        let mut req = app
            .client
            .post(app.url("/api/auth/sign-in/email"))
            .json(&body);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let res = attempt(Some("https://evil.example"))
        .await
        .expect("sign-in");
    assert_eq!(res.status(), 403);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(
        res.json::<Value>().await.expect("json")["code"],
        "INVALID_ORIGIN"
    );
    let res = app
        .client
        .post(app.url("/api/auth/sign-up/email"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "X", "email": "x-csrf@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("sign-up");
    assert_eq!(res.status(), 403);
    // the app's own page, and non-browser clients (no Origin), sign in
    assert_eq!(attempt(Some(&app.base)).await.expect("own").status(), 200);
    assert_eq!(attempt(None).await.expect("cli").status(), 200);
    app.finish().await;
}

async fn bearer_session_wins_over_stale_cookie(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.sign_up("Alice").await;
    let b = app.sign_up("Bob").await;
    let get = |bearer: String, cookie_value: String, path: &'static str| {
        app.client
            .get(app.url(path))
            .bearer_auth(bearer)
            .header("cookie", cookie_value)
            .send()
    };
    // a stale (signed-out, unknown) cookie does not hide a valid bearer session
    for stale in ["bogus-token", "", "x.y"] {
        let res = get(a.session.clone(), cookie(stale), "/api/auth/get-session")
            .await
            .expect("get-session");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["user"]["id"], a.id.as_str(), "stale cookie {stale:?}");
        let res = get(a.session.clone(), cookie(stale), "/api/auth/token")
            .await
            .expect("token");
        assert_eq!(res.status(), 200, "stale cookie {stale:?}");
    }
    // a valid bearer wins over another valid cookie; a bearer that is no session (an access JWT,
    // garbage) falls back to the cookie
    let body: Value = get(
        a.session.clone(),
        cookie(&b.session),
        "/api/auth/get-session",
    )
    .await
    .expect("both")
    .json()
    .await
    .expect("json");
    assert_eq!(body["user"]["id"], a.id.as_str());
    for not_a_session in [a.jwt.clone(), "garbage".to_owned()] {
        let body: Value = get(not_a_session, cookie(&b.session), "/api/auth/get-session")
            .await
            .expect("fallback")
            .json()
            .await
            .expect("json");
        assert_eq!(body["user"]["id"], b.id.as_str());
    }
    // sign-out with both ends the bearer's session, not the cookie's
    let (status, _) = sign_out(
        &app,
        &[
            ("authorization", format!("Bearer {}", a.session)),
            ("cookie", cookie(&b.session)),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(session_user(&app, &a.session).await, None);
    assert_eq!(session_user(&app, &b.session).await, Some(b.id.clone()));
    app.finish().await;
}

fn set_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn cookie_is_secure_on_https_and_renewed(db: Db) {
    // http (local development): HttpOnly, SameSite=Lax, not Secure
    let app = TestApp::start(db).await;
    let user = app.sign_up("Erin").await;
    let res = app
        .client
        .get(app.url("/api/auth/get-session"))
        .header("cookie", cookie(&user.session))
        .send()
        .await
        .expect("get-session");
    let renewed = set_cookie(&res).expect("a cookie session is renewed");
    assert!(renewed.starts_with(&format!("better-auth.session_token={}", user.session)));
    assert!(renewed.contains("HttpOnly") && renewed.contains("SameSite=Lax"));
    assert!(!renewed.contains("Secure"), "{renewed}");
    let max_age: u64 = renewed
        .split("Max-Age=")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .and_then(|n| n.parse().ok())
        .expect("Max-Age");
    assert!(max_age > 600_000 && max_age <= 604_800, "{max_age}");
    // a bearer session gets no cookie
    let res = app
        .client
        .get(app.url("/api/auth/token"))
        .bearer_auth(&user.session)
        .send()
        .await
        .expect("token");
    assert_eq!(res.status(), 200);
    assert_eq!(set_cookie(&res), None);
    app.finish().await;

    // https: Secure on every cookie, set and cleared
    let app = TestApp::start_with(db, |c| {
        c.server.public_url = "https://todo.example.com".parse().expect("url")
    })
    .await;
    let res = app
        .client
        .post(app.url("/api/auth/sign-up/email"))
        .json(&json!({"name": "F", "email": "f-secure@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("sign-up");
    let set = set_cookie(&res).expect("cookie");
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
    let session = res.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let res = app
        .client
        .post(app.url("/api/auth/sign-out"))
        .header("cookie", cookie(&session))
        .header("origin", "https://todo.example.com")
        .send()
        .await
        .expect("sign-out");
    assert_eq!(res.status(), 200);
    let cleared = set_cookie(&res).expect("cleared");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("; Secure"),
        "{cleared}"
    );
    app.finish().await;
}

db_tests!(
    cookie_sign_out_from_a_foreign_or_missing_origin_is_refused,
    cookie_sign_out_from_a_trusted_origin_or_referrer_succeeds,
    bearer_requests_are_unaffected_by_the_origin,
    bearer_only_routes_ignore_the_session_cookie,
    reads_with_the_session_cookie_need_no_origin,
    foreign_pages_cannot_sign_in,
    bearer_session_wins_over_stale_cookie,
    cookie_is_secure_on_https_and_renewed,
);
