//! Sign-up, sign-in, sessions and access-token verification, on SQLite and PostgreSQL.

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use common::{Db, SECRET, TestApp};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use todobot_server::auth::Claims;

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

const ADA_EMAIL: &str = "Ada.Lovelace@Example.com";
const ADA_PASSWORD: &str = "analytical engine";

/// A signed-up or signed-in user as the auth endpoints return it.
#[derive(Debug, Deserialize)]
struct AuthUserBody {
    id: String,
    email: String,
    name: String,
    #[serde(rename = "emailVerified")]
    email_verified: bool,
}

#[derive(Debug, Deserialize)]
struct SignUpBody {
    user: AuthUserBody,
}

#[derive(Debug, Deserialize)]
struct SignInBody {
    redirect: bool,
    token: String,
    user: AuthUserBody,
}

#[derive(Debug, Deserialize)]
struct SessionBody {
    user: AuthUserBody,
    session: SessionInfo,
}

#[derive(Debug, Deserialize)]
struct SessionInfo {
    #[serde(rename = "userId")]
    user_id: String,
}

#[derive(Debug, Deserialize)]
struct TokenBody {
    token: String,
}

/// Signs Ada up; returns her user id.
async fn sign_up_ada(app: &TestApp) -> String {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/sign-up/email",
            None,
            Some(json!({"name": "Ada", "email": ADA_EMAIL, "password": ADA_PASSWORD})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value::<SignUpBody>(body)
        .expect("sign-up body")
        .user
        .id
}

/// Signs Ada in; returns the sign-in answer.
async fn sign_in_ada(app: &TestApp, email: &str) -> SignInBody {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/sign-in/email",
            None,
            Some(json!({"email": email, "password": ADA_PASSWORD})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("sign-in body")
}

/// An access token for the session, fetched with the session cookie.
async fn jwt_with_cookie(app: &TestApp, session: &str) -> String {
    let res = app
        .client
        .get(app.url("/api/auth/token"))
        .header("cookie", format!("better-auth.session_token={session}"))
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 200);
    res.json::<TokenBody>().await.expect("token body").token
}

async fn sign_up_answers_with_the_session_in_headers_cookie_and_body(db: Db) {
    let app = TestApp::start(db).await;
    let res = app
        .client
        .post(app.url("/api/auth/sign-up/email"))
        .json(&json!({"name": "Ada", "email": ADA_EMAIL, "password": ADA_PASSWORD}))
        .send()
        .await
        .expect("sign-up request");
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-auth-token").is_some());
    assert!(res.headers().get("set-auth-jwt").is_some());
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .expect("set-cookie")
        .to_owned();
    assert!(cookie.starts_with("better-auth.session_token="), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    let body: SignUpBody = res.json().await.expect("sign-up body");
    assert_eq!(body.user.email, "ada.lovelace@example.com");
    assert_eq!(body.user.name, "Ada");
    assert!(!body.user.email_verified);
    app.finish().await;
}

async fn sign_in_matches_the_email_case_insensitively(db: Db) {
    let app = TestApp::start(db).await;
    let user_id = sign_up_ada(&app).await;
    let signin = sign_in_ada(&app, "ADA.lovelace@example.com").await;
    assert!(!signin.redirect);
    assert_eq!(signin.user.id, user_id);
    app.finish().await;
}

async fn a_session_works_as_bearer_token_and_as_cookie(db: Db) {
    let app = TestApp::start(db).await;
    let user_id = sign_up_ada(&app).await;
    let session = sign_in_ada(&app, ADA_EMAIL).await.token;
    let (status, got) = app
        .call(Method::GET, "/api/auth/get-session", Some(&session), None)
        .await;
    assert_eq!(status, 200);
    let got: SessionBody = serde_json::from_value(got).expect("session body");
    assert_eq!(got.user.id, user_id);
    assert_eq!(got.session.user_id, user_id);
    assert!(!jwt_with_cookie(&app, &session).await.is_empty());
    app.finish().await;
}

async fn the_access_token_is_an_eddsa_jwt_for_the_user_signed_by_a_published_key(db: Db) {
    let app = TestApp::start(db).await;
    let user_id = sign_up_ada(&app).await;
    let session = sign_in_ada(&app, ADA_EMAIL).await.token;
    let jwt = jwt_with_cookie(&app, &session).await;
    let mut parts = jwt.split('.').map(|p| {
        serde_json::from_slice::<Value>(&B64.decode(p).expect("base64")).expect("JSON part")
    });
    let (header, payload) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
    );
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(payload["sub"], user_id.as_str());
    assert!(payload["exp"].as_u64().expect("exp") <= now() + 900 + 5);
    let (_, jwks) = app.call(Method::GET, "/api/auth/jwks", None, None).await;
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == header["kid"] && k["crv"] == "Ed25519")
    );
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/{user_id}/tasks"),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(status, 200);
    app.finish().await;
}

async fn sign_out_revokes_the_session(db: Db) {
    let app = TestApp::start(db).await;
    sign_up_ada(&app).await;
    let session = sign_in_ada(&app, ADA_EMAIL).await.token;
    let (status, out) = app
        .call(Method::POST, "/api/auth/sign-out", Some(&session), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(out["success"], true);
    let (status, got) = app
        .call(Method::GET, "/api/auth/get-session", Some(&session), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(got, Value::Null);
    let (status, err) = app
        .call(Method::GET, "/api/auth/token", Some(&session), None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(err["code"], "UNAUTHORIZED");
    app.finish().await;
}

/// A client that holds only the access token (JWT) signs out with it: the token's own session
/// ends, so the token (and the session token) stop working; another session of the same user and
/// other users are untouched. Garbage as the bearer is still a plain 200 that ends nothing.
async fn sign_out_with_the_access_token_ends_its_session(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Jay").await;
    let other = app.sign_up("Kim").await;
    let second = app.sign_in(&user).await;
    let tasks = format!("/api/{}/tasks", user.id);
    assert_eq!(
        app.call(Method::GET, &tasks, Some(&user.jwt), None).await.0,
        200
    );
    for garbage in ["not-a-token", "a.b.c"] {
        let (status, out) = app
            .call(Method::POST, "/api/auth/sign-out", Some(garbage), None)
            .await;
        assert_eq!((status, out["success"].clone()), (200, Value::Bool(true)));
    }
    assert_eq!(
        app.call(Method::GET, &tasks, Some(&user.jwt), None).await.0,
        200
    );
    let (status, out) = app
        .call(Method::POST, "/api/auth/sign-out", Some(&user.jwt), None)
        .await;
    assert_eq!((status, out["success"].clone()), (200, Value::Bool(true)));
    let (status, err) = app.call(Method::GET, &tasks, Some(&user.jwt), None).await;
    assert_eq!((status, err["code"].clone()), (401, json!("UNAUTHORIZED")));
    let (status, got) = app
        .call(
            Method::GET,
            "/api/auth/get-session",
            Some(&user.session),
            None,
        )
        .await;
    assert_eq!((status, got), (200, Value::Null));
    // the user's other session and another user go on
    let (status, got) = app
        .call(Method::GET, "/api/auth/get-session", Some(&second), None)
        .await;
    assert_eq!((status, got["user"]["id"].clone()), (200, json!(user.id)));
    let other_tasks = format!("/api/{}/tasks", other.id);
    assert_eq!(
        app.call(Method::GET, &other_tasks, Some(&other.jwt), None)
            .await
            .0,
        200
    );
    app.finish().await;
}

async fn sign_up_errors(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Bob").await;
    let cases = [
        (
            json!({"name": "X", "email": user.email, "password": "another password"}),
            422,
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        ),
        (
            json!({"name": "X", "email": user.email.to_uppercase(), "password": "another password"}),
            422,
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        ),
        (
            json!({"name": "X", "email": "not-an-email", "password": "long enough"}),
            400,
            "INVALID_EMAIL",
        ),
        (
            json!({"name": "X", "email": "short@example.com", "password": "short"}),
            400,
            "PASSWORD_TOO_SHORT",
        ),
        (
            json!({"name": "X", "email": "long@example.com", "password": "x".repeat(129)}),
            400,
            "PASSWORD_TOO_LONG",
        ),
        (
            json!({"name": "  ", "email": "blank@example.com", "password": "long enough"}),
            422,
            "VALIDATION_ERROR",
        ),
        (
            json!({"email": "noname@example.com", "password": "long enough"}),
            422,
            "VALIDATION_ERROR",
        ),
    ];
    for (body, status, code) in cases {
        let (got, err) = app
            .call(
                Method::POST,
                "/api/auth/sign-up/email",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(got, status, "{body} -> {err}");
        assert_eq!(err["code"], code, "{body} -> {err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // malformed JSON
    let res = app
        .client
        .post(app.url("/api/auth/sign-up/email"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "INVALID_JSON");
    app.finish().await;
}

async fn wrong_password(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Carol").await;
    for (email, password) in [
        (user.email.as_str(), "wrong password"),
        ("nobody@example.com", "correct horse battery"),
    ] {
        let (status, err) = app
            .call(
                Method::POST,
                "/api/auth/sign-in/email",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(status, 401);
        assert_eq!(err["code"], "INVALID_EMAIL_OR_PASSWORD");
        // the same answer whether or not the account exists
        assert_eq!(err["message"], "Invalid email or password");
    }
    app.finish().await;
}

async fn sign_in_is_rate_limited(db: Db) {
    let app = TestApp::start_with(db, |c| {
        c.auth.signin_max_failures_per_account = 3;
        c.auth.signin_max_per_client = 8;
    })
    .await;
    let user = app.sign_up("Dave").await;
    let attempt = |password: &'static str| {
        let app = &app;
        let email = user.email.clone();
        async move {
            app.call(
                Method::POST,
                "/api/auth/sign-in/email",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await
        }
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong password").await.0, 401);
    }
    // the account is now locked for the window, even with the right password
    let (status, err) = attempt("correct horse battery").await;
    assert_eq!(status, 429, "{err}");
    assert_eq!(err["code"], "TOO_MANY_REQUESTS");
    // other accounts are unaffected until the client limit is reached
    let other = app.sign_up("Erin").await;
    app.sign_in(&other).await;
    // per-client limit: 8 attempts per window from this address (5 used so far)
    let mut statuses = vec![];
    for _ in 0..5 {
        let res = app
            .client
            .post(app.url("/api/auth/sign-in/email"))
            .json(&json!({"email": other.email, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            assert!(res.headers().get("retry-after").is_some());
        }
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    app.finish().await;
}

fn claims(sub: &str, exp: u64, iss: &str) -> Claims {
    Claims {
        sub: sub.to_owned(),
        iat: now(),
        exp,
        nbf: None,
        sid: None,
        iss: Some(iss.to_owned()),
        aud: Some(json!(iss)),
        email: None,
        name: None,
    }
}

/// Frank with a correctly signed token that works (and is now remembered as verified). Returns
/// the app, Frank, his task path, the server's issuer and the token.
async fn frank_with_a_good_token(db: Db) -> (TestApp, common::TestUser, String, String, String) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Frank").await;
    let path = format!("/api/{}/tasks", user.id);
    let iss = app.state.auth.issuer().to_owned();
    let good = app
        .state
        .auth
        .sign_claims(&claims(&user.id, now() + 600, &iss))
        .unwrap();
    assert_eq!(app.call(Method::GET, &path, Some(&good), None).await.0, 200);
    (app, user, path, iss, good)
}

async fn refuse_all(app: &TestApp, path: &str, bad: Vec<(&str, String)>) {
    for (what, token) in bad {
        let (status, err) = app.call(Method::GET, path, Some(&token), None).await;
        assert_eq!(status, 401, "{what} must be refused: {err}");
        assert_eq!(err["code"], "UNAUTHORIZED", "{what}");
    }
}

async fn forged_altered_expired_or_foreign_tokens_are_refused(db: Db) {
    let (app, user, path, iss, good) = frank_with_a_good_token(db).await;
    let auth = &app.state.auth;
    let mut bad: Vec<(&str, String)> = vec![];
    bad.push((
        "expired",
        auth.sign_claims(&claims(&user.id, now() - 120, &iss))
            .unwrap(),
    ));
    bad.push((
        "wrong issuer",
        auth.sign_claims(&claims(&user.id, now() + 600, "https://evil.example"))
            .unwrap(),
    ));
    // tampered payload: same signature, other subject
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&B64.decode(&parts[1]).unwrap()).unwrap();
    payload["exp"] = json!(now() + 99999);
    parts[1] = B64.encode(serde_json::to_vec(&payload).unwrap());
    bad.push(("tampered", parts.join(".")));
    // alg none
    let none_header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    bad.push(("alg none", format!("{none_header}.{}.", parts[1])));
    bad.push(("alg none, no dot", format!("{none_header}.{}", parts[1])));
    // a key we never issued, with our kid
    let header: Value =
        serde_json::from_slice(&B64.decode(good.split('.').next().unwrap()).unwrap()).unwrap();
    let rogue = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let der = rogue.to_pkcs8_der().unwrap();
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    h.kid = header["kid"].as_str().map(str::to_owned);
    let forged = jsonwebtoken::encode(
        &h,
        &claims(&user.id, now() + 600, &iss),
        &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
    )
    .unwrap();
    bad.push(("other key", forged));
    h.kid = Some("unknown-kid".into());
    bad.push((
        "unknown kid",
        jsonwebtoken::encode(
            &h,
            &claims(&user.id, now() + 600, &iss),
            &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
        )
        .unwrap(),
    ));
    // HS256 signed with the JWKS public key bytes (algorithm confusion)
    let (_, jwks) = app.call(Method::GET, "/api/auth/jwks", None, None).await;
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    for secret in [
        x.as_bytes().to_vec(),
        B64.decode(&x).unwrap(),
        b"wrong-secret-wrong-secret-wrong-secret".to_vec(),
    ] {
        bad.push((
            "hs256 confusion",
            jsonwebtoken::encode(
                &hs,
                &claims(&user.id, now() + 600, &iss),
                &jsonwebtoken::EncodingKey::from_secret(&secret),
            )
            .unwrap(),
        ));
    }
    bad.push(("garbage", "not.a.jwt".into()));
    bad.push(("session token as jwt", user.session.clone()));
    refuse_all(&app, &path, bad).await;
    app.finish().await;
}

async fn variants_of_a_remembered_token_are_refused_and_it_still_works(db: Db) {
    let (app, _user, path, _iss, good) = frank_with_a_good_token(db).await;
    let mut bad: Vec<(&str, String)> = vec![];
    // the good token is now remembered as verified: none of its variants may ride on that
    let (body, sig) = good.rsplit_once('.').unwrap();
    let mut sig = sig.to_owned().into_bytes();
    sig[3] = if sig[3] == b'A' { b'B' } else { b'A' };
    bad.push((
        "other signature",
        format!("{body}.{}", String::from_utf8(sig).unwrap()),
    ));
    bad.push(("no signature", format!("{body}.")));
    bad.push(("trailing junk", format!("{good}x")));

    refuse_all(&app, &path, bad).await;
    // ...and the remembered token itself still works
    assert_eq!(app.call(Method::GET, &path, Some(&good), None).await.0, 200);
    app.finish().await;
}

async fn an_expired_token_says_it_expired(db: Db) {
    let (app, user, path, iss, _good) = frank_with_a_good_token(db).await;
    let auth = &app.state.auth;
    // expired tokens say so, so clients know to refresh
    let expired = auth
        .sign_claims(&claims(&user.id, now() - 120, &iss))
        .unwrap();
    assert_eq!(
        app.call(Method::GET, &path, Some(&expired), None).await.1["message"],
        "Token expired."
    );
    app.finish().await;
}

async fn no_token_or_another_scheme_is_401_with_a_bearer_challenge(db: Db) {
    let (app, user, path, _iss, _good) = frank_with_a_good_token(db).await;
    // no token / wrong scheme
    assert_eq!(app.call(Method::GET, &path, None, None).await.0, 401);
    let res = app
        .client
        .get(app.url(&path))
        .header("authorization", format!("Basic {}", user.jwt))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    app.finish().await;
}

async fn better_auth_hs256_tokens(db: Db) {
    let app = TestApp::start(db).await;
    // a user that exists only in a Better Auth frontend sharing BETTER_AUTH_SECRET
    let sub = "ba_user_12345";
    let claims = json!({"sub": sub, "exp": now() + 600, "iat": now(), "email": "frontend@example.com", "name": "Front End", "iss": "http://todobot.test"});
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let (status, task) = app
        .call(
            Method::POST,
            &format!("/api/{sub}/tasks"),
            Some(&token),
            Some(json!({"title": "From the frontend"})),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    assert_eq!(task["id"], 1);
    let (status, tasks) = app
        .call(
            Method::GET,
            &format!("/api/{sub}/tasks"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    // an untrusted issuer is refused
    let mut other = claims.clone();
    other["iss"] = json!("https://evil.example");
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &other,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/api/{sub}/tasks"),
            Some(&token),
            None
        )
        .await
        .0,
        401
    );
    // a malformed subject is refused
    let mut odd = claims.clone();
    odd["sub"] = json!("../../etc/passwd");
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &odd,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        app.call(Method::GET, "/api/x/tasks", Some(&token), None)
            .await
            .0,
        401
    );
    app.finish().await;
}

async fn hs256_refused_without_configured_secret(db: Db) {
    let app = TestApp::start_with(db, |c| c.auth.secret = None).await;
    let claims = json!({"sub": "someone", "exp": now() + 600});
    // even signed with the generated development secret, HS256 is only honoured when configured
    let generated =
        std::fs::read_to_string(app.state.config.database.data_dir.join("auth-secret")).unwrap();
    for secret in [SECRET, generated.trim()] {
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            app.call(Method::GET, "/api/someone/tasks", Some(&token), None)
                .await
                .0,
            401
        );
    }
    app.finish().await;
}

async fn keys_persist_across_restarts(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Grace").await;
    let (_, before) = app.call(Method::GET, "/api/auth/jwks", None, None).await;
    let app = app.restart().await;
    let (_, after) = app.call(Method::GET, "/api/auth/jwks", None, None).await;
    assert_eq!(before, after, "the signing key is loaded, not regenerated");
    // a token issued before the restart still works, and so does the session
    assert_eq!(
        app.call(
            Method::GET,
            &format!("/api/{}/tasks", user.id),
            Some(&user.jwt),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        app.call(Method::GET, "/api/auth/token", Some(&user.session), None)
            .await
            .0,
        200
    );
    // private keys are stored encrypted
    let rows = app.state.store.signing_keys().await.unwrap();
    assert!(rows.iter().all(|r| r.private_key.starts_with("v1.")));
    app.finish().await;
}

/// Better Auth's `callbackURL` on sign-in: a path or a trusted origin comes back as `redirect: true`
/// with the URL; one that leads off-site is refused (and no session is started).
async fn sign_in_callback_url_redirects_only_on_site(db: Db) {
    let app = TestApp::start(db).await;
    let user = app.sign_up("Cal").await;
    let sign_in = |callback: &str| json!({"email": user.email, "password": "correct horse battery", "callbackURL": callback});
    for ok in ["/tasks?tab=open", "http://todobot.test/welcome"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/auth/sign-in/email",
                None,
                Some(sign_in(ok)),
            )
            .await;
        assert_eq!(status, 200, "{ok}: {body}");
        assert_eq!(
            (body["redirect"].as_bool(), body["url"].as_str()),
            (Some(true), Some(ok))
        );
    }
    for bad in [
        "https://evil.example/phish",
        "//evil.example",
        "javascript:alert(1)",
    ] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/auth/sign-in/email",
                None,
                Some(sign_in(bad)),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("INVALID_CALLBACKURL")),
            "{bad}"
        );
        assert!(body.get("token").is_none());
    }
    app.finish().await;
}

/// RFC 7519 makes `iat` optional: an HS256 token without it is accepted.
async fn hs256_tokens_without_iat_are_accepted(db: Db) {
    let app = TestApp::start(db).await;
    let sub = "ba_user_no_iat";
    let claims = json!({"sub": sub, "exp": now() + 600, "iss": "http://todobot.test"});
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/{sub}/tasks"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.finish().await;
}

db_tests!(
    sign_in_callback_url_redirects_only_on_site,
    hs256_tokens_without_iat_are_accepted,
    sign_up_answers_with_the_session_in_headers_cookie_and_body,
    sign_in_matches_the_email_case_insensitively,
    a_session_works_as_bearer_token_and_as_cookie,
    the_access_token_is_an_eddsa_jwt_for_the_user_signed_by_a_published_key,
    sign_out_revokes_the_session,
    sign_out_with_the_access_token_ends_its_session,
    sign_up_errors,
    wrong_password,
    sign_in_is_rate_limited,
    forged_altered_expired_or_foreign_tokens_are_refused,
    variants_of_a_remembered_token_are_refused_and_it_still_works,
    an_expired_token_says_it_expired,
    no_token_or_another_scheme_is_401_with_a_bearer_challenge,
    better_auth_hs256_tokens,
    hs256_refused_without_configured_secret,
    keys_persist_across_restarts,
);
