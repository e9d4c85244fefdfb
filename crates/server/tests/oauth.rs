//! todobot as the OAuth 2.1 authorization server of its MCP resource, over real HTTP on SQLite and
//! PostgreSQL: discovery, registration, the code flow with PKCE and consent, tokens, refresh
//! rotation and reuse detection, revocation, personal access tokens, and /mcp's Origin check.

mod common;

use std::{collections::HashMap, sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use common::{Db, TestApp, TestUser};
use reqwest::{Method, StatusCode};
use rmcp::{
    ServiceExt,
    model::CallToolRequestParams,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:7777/callback";
const RESOURCE: &str = "http://todobot.test/mcp";
const VERIFIER: &str = "a-verifier-that-is-long-enough-for-pkce-0123456789abcdef";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// An application/x-www-form-urlencoded body.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", todobot_server::auth::oauth::encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn post_form(app: &TestApp, path: &str, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
}

fn challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

/// The query parameters of a URL (values are base64url or simple words in these tests).
fn query_of(url: &str) -> HashMap<String, String> {
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%20", " ")))
        .collect()
}

async fn register(app: &TestApp, redirect: &str) -> String {
    let res = app
        .client
        .post(app.url("/oauth/register"))
        .json(&json!({"client_name": "Test Client", "redirect_uris": [redirect],
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "none");
    body["client_id"].as_str().unwrap().to_owned()
}

fn auth_params(client_id: &str, redirect: &str, verifier: &str) -> HashMap<String, String> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("code_challenge", &challenge(verifier)),
        ("code_challenge_method", "S256"),
        ("state", "xyz-state"),
        ("scope", "mcp"),
        ("resource", RESOURCE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The user's answer on the consent page (session as bearer); returns where the browser goes.
async fn decide(
    app: &TestApp,
    user: &TestUser,
    params: &HashMap<String, String>,
    approve: bool,
) -> String {
    let res = app
        .client
        .post(app.url("/api/oauth/authorize"))
        .bearer_auth(&user.session)
        .json(&json!({"params": params, "approve": approve}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["redirect_to"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn code_for(app: &TestApp, user: &TestUser, client_id: &str, verifier: &str) -> String {
    let params = auth_params(client_id, REDIRECT, verifier);
    let to = decide(app, user, &params, true).await;
    assert!(to.starts_with(REDIRECT), "{to}");
    let q = query_of(&to);
    assert_eq!(q["state"], "xyz-state");
    q["code"].clone()
}

async fn token(app: &TestApp, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = post_form(app, "/oauth/token", pairs).send().await.unwrap();
    let status = res.status();
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn exchange(
    app: &TestApp,
    client_id: &str,
    code: &str,
    verifier: &str,
    redirect: &str,
) -> (StatusCode, Value) {
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", redirect),
            ("resource", RESOURCE),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// Status of an MCP initialize with this bearer token (and Origin).
async fn mcp_status(app: &TestApp, token: &str, origin: Option<&str>) -> u16 {
    let mut req = app
        .client
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(token)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}));
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn discovery(db: Db) {
    let app = TestApp::start(db).await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let (status, prm) = app.call(Method::GET, path, None, None).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(prm["resource"], RESOURCE);
        assert_eq!(prm["authorization_servers"], json!(["http://todobot.test"]));
    }
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let (status, asm) = app.call(Method::GET, path, None, None).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(asm["issuer"], "http://todobot.test");
        assert_eq!(asm["token_endpoint"], "http://todobot.test/oauth/token");
        assert_eq!(
            asm["registration_endpoint"],
            "http://todobot.test/oauth/register"
        );
        assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    }
    let (status, body) = app
        .call(Method::GET, "/.well-known/nothing-here", None, None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "NOT_FOUND");
    app.finish().await;

    // in local development the URLs follow the address the client used
    let app = TestApp::start_with(db, |c| {
        c.server.public_url = "http://localhost:8080".parse().expect("url")
    })
    .await;
    let (_, prm) = app
        .call(
            Method::GET,
            "/.well-known/oauth-protected-resource/mcp",
            None,
            None,
        )
        .await;
    assert_eq!(prm["resource"], format!("{}/mcp", app.base));
    assert_eq!(prm["authorization_servers"], json!([app.base.clone()]));
    let res = app
        .client
        .post(app.url("/mcp"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"].to_str().unwrap(),
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\", scope=\"mcp\"",
            app.base
        )
    );
    app.finish().await;
}

/// A token response of /oauth/token.
#[derive(Debug, serde::Deserialize)]
struct Tokens {
    token_type: String,
    scope: String,
    access_token: String,
    refresh_token: String,
}

/// A client Ann has connected through the code flow, and the tokens it got.
struct Grant {
    client_id: String,
    tokens: Tokens,
}

/// Registers a client, has `user` approve it and exchanges the code for tokens.
async fn grant(app: &TestApp, user: &TestUser) -> Grant {
    let client_id = register(app, REDIRECT).await;
    let code = code_for(app, user, &client_id, VERIFIER).await;
    let (status, tokens) = exchange(app, &client_id, &code, VERIFIER, REDIRECT).await;
    assert_eq!(status, 200, "{tokens}");
    let tokens = serde_json::from_value(tokens).expect("a token response");
    Grant { client_id, tokens }
}

/// Refreshes with `refresh_token`, expecting new tokens.
async fn refreshed(app: &TestApp, client_id: &str, refresh_token: &str) -> Tokens {
    let (status, tokens) = refresh(app, client_id, refresh_token).await;
    assert_eq!(status, 200, "{tokens}");
    serde_json::from_value(tokens).expect("a token response")
}

/// The client names of the user's connected OAuth clients.
async fn connections(app: &TestApp, user: &TestUser) -> Vec<String> {
    let (status, list) = app
        .call(
            Method::GET,
            "/api/account/connections",
            Some(&user.session),
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .expect("a connection list")
        .iter()
        .map(|c| c["client_name"].as_str().expect("client_name").to_owned())
        .collect()
}

/// Status of the user's task list read with this bearer token.
async fn rest_status(app: &TestApp, user: &TestUser, token: &str) -> u16 {
    let path = format!("/api/{}/tasks", user.id);
    app.call(Method::GET, &path, Some(token), None).await.0
}

async fn authorize_sends_the_browser_to_a_consent_page_only_signed_in_users_can_read(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let client_id = register(&app, REDIRECT).await;
    // the authorization endpoint checks the request and shows the consent page
    let params = auth_params(&client_id, REDIRECT, VERIFIER);
    let res = no_redirects()
        .get(app.url("/oauth/authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/oauth/consent.html?"), "{location}");
    // the page's API: who asks (signed-in users only)
    let query = location.split_once('?').unwrap().1;
    let path = format!("/api/oauth/authorize?{query}");
    let (status, _) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(status, 401);
    let res = app
        .client
        .get(app.url("/api/oauth/authorize"))
        .query(&params)
        .bearer_auth(&ann.session)
        .send()
        .await
        .unwrap();
    let about: Value = res.json().await.unwrap();
    assert_eq!(about["client_name"], "Test Client");
    assert_eq!(about["redirect_host"], "127.0.0.1:7777");
    app.finish().await;
}

async fn an_approved_code_gives_a_bearer_token_that_works_on_mcp_as_the_user(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let Grant { tokens, .. } = grant(&app, &ann).await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.scope, "mcp");
    // the token works on /mcp, with a real MCP client, as Ann
    let config = StreamableHttpClientTransportConfig::with_uri(Arc::<str>::from(app.url("/mcp")))
        .auth_header(tokens.access_token);
    let mcp = ()
        .serve(StreamableHttpClientTransport::with_client(
            reqwest::Client::new(),
            config,
        ))
        .await
        .unwrap();
    let args = json!({"title": "via oauth"}).as_object().cloned().unwrap();
    mcp.call_tool(CallToolRequestParams::new("add_task").with_arguments(args))
        .await
        .unwrap();
    mcp.cancel().await.unwrap();
    assert_eq!(app.tasks(&ann).await[0]["title"], "via oauth");
    app.finish().await;
}

async fn oauth_tokens_do_not_work_on_rest_nor_rest_tokens_on_mcp(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let Grant { tokens, .. } = grant(&app, &ann).await;
    assert_eq!(mcp_status(&app, &tokens.access_token, None).await, 200);
    // not on the REST API (another audience), nor REST tokens on /mcp
    assert_eq!(rest_status(&app, &ann, &tokens.access_token).await, 401);
    assert_eq!(mcp_status(&app, &ann.jwt, None).await, 401);
    app.finish().await;
}

async fn refresh_rotates_the_refresh_token_and_the_grant_stays_one_connection(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let Grant { client_id, tokens } = grant(&app, &ann).await;
    let rotated = refreshed(&app, &client_id, &tokens.refresh_token).await;
    assert_ne!(tokens.refresh_token, rotated.refresh_token);
    assert_eq!(mcp_status(&app, &rotated.access_token, None).await, 200);
    // the user sees the connection, once
    assert_eq!(connections(&app, &ann).await, ["Test Client"]);
    app.finish().await;
}

async fn replaying_a_rotated_refresh_token_revokes_the_whole_grant(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let Grant { client_id, tokens } = grant(&app, &ann).await;
    let rotated = refreshed(&app, &client_id, &tokens.refresh_token).await;

    let (status, err) = refresh(&app, &client_id, &tokens.refresh_token).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"], "invalid_grant");
    let (status, _) = refresh(&app, &client_id, &rotated.refresh_token).await;
    assert_eq!(status, 400, "the newer refresh token died with the grant");
    assert_eq!(
        mcp_status(&app, &tokens.access_token, None).await,
        401,
        "access tokens stop at once"
    );
    assert_eq!(
        mcp_status(&app, &rotated.access_token, None).await,
        401,
        "access tokens stop at once"
    );
    assert!(connections(&app, &ann).await.is_empty());
    app.finish().await;
}

async fn code_errors(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let client_id = register(&app, REDIRECT).await;

    // wrong PKCE verifier: refused, and the code is burnt
    let code = code_for(&app, &ann, &client_id, VERIFIER).await;
    let (status, err) = exchange(
        &app,
        &client_id,
        &code,
        "another-verifier-that-is-long-enough-0123456789abcdef",
        REDIRECT,
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert!(err["error_description"].as_str().unwrap().contains("PKCE"));
    let (status, _) = exchange(&app, &client_id, &code, VERIFIER, REDIRECT).await;
    assert_eq!(status, 400);

    // wrong redirect URI
    let code = code_for(&app, &ann, &client_id, VERIFIER).await;
    let (status, err) = exchange(
        &app,
        &client_id,
        &code,
        VERIFIER,
        "http://127.0.0.1:7777/other",
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // a reused code: refused, and the tokens of its first use are revoked
    let code = code_for(&app, &ann, &client_id, VERIFIER).await;
    let (status, tokens) = exchange(&app, &client_id, &code, VERIFIER, REDIRECT).await;
    assert_eq!(status, 200);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(mcp_status(&app, access, None).await, 200);
    let (status, err) = exchange(&app, &client_id, &code, VERIFIER, REDIRECT).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(mcp_status(&app, access, None).await, 401);

    // unknown client, unknown grant type, missing parameters, garbage codes
    let (status, err) = exchange(&app, "nope", "x", VERIFIER, REDIRECT).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, err) = token(
        &app,
        &[("grant_type", "password"), ("client_id", &client_id)],
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, err) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(err["error"], "invalid_request", "{status}");
    let (_, err) = exchange(&app, &client_id, "garbage", VERIFIER, REDIRECT).await;
    assert_eq!(err["error"], "invalid_grant");
    let (_, err) = refresh(&app, &client_id, "tbr_garbage").await;
    assert_eq!(err["error"], "invalid_grant");
    // another resource
    let code = code_for(&app, &ann, &client_id, VERIFIER).await;
    let (_, err) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT),
            ("resource", "https://elsewhere.example/mcp"),
        ],
    )
    .await;
    assert_eq!(err["error"], "invalid_target");
    // the OAuth error shape, and nothing else
    let keys: Vec<&String> = err.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["error", "error_description"]);
    app.finish().await;
}

async fn authorization_request_errors(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let client_id = register(&app, REDIRECT).await;
    let http = no_redirects();
    let get = |params: HashMap<String, String>| {
        let req = http.get(app.url("/oauth/authorize")).query(&params);
        async move { req.send().await.unwrap() }
    };
    // an unregistered redirect URI or client: an error here, never a redirect
    let mut p = auth_params(&client_id, "http://127.0.0.1:7777/evil", VERIFIER);
    let res = get(p.clone()).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    p.insert(
        "redirect_uri".into(),
        "https://evil.example/callback".into(),
    );
    assert_eq!(get(p.clone()).await.status(), 400);
    p = auth_params("unknown-client", REDIRECT, VERIFIER);
    assert_eq!(get(p).await.status(), 400);
    // loopback redirect URIs match on any port (RFC 8252)
    p = auth_params(&client_id, "http://127.0.0.1:9191/callback", VERIFIER);
    assert_eq!(get(p).await.status(), 303);
    // no PKCE, plain PKCE, another response type: back to the client with the error and state
    for (key, value, error) in [
        ("code_challenge", "", "invalid_request"),
        ("code_challenge_method", "plain", "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
        (
            "resource",
            "https://elsewhere.example/mcp",
            "invalid_target",
        ),
    ] {
        let mut p = auth_params(&client_id, REDIRECT, VERIFIER);
        p.insert(key.into(), value.into());
        let res = get(p).await;
        assert_eq!(res.status(), 303, "{key}");
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with(REDIRECT), "{to}");
        let q = query_of(&to);
        assert_eq!(
            (q["error"].as_str(), q["state"].as_str()),
            (error, "xyz-state"),
            "{key}"
        );
    }
    // the user says no
    let to = decide(
        &app,
        &ann,
        &auth_params(&client_id, REDIRECT, VERIFIER),
        false,
    )
    .await;
    let q = query_of(&to);
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("access_denied", "xyz-state")
    );
    assert!(!q.contains_key("code"));
    // the consent API with the session cookie: only from our own pages
    let cookie = format!("better-auth.session_token={}", ann.session);
    let body = json!({"params": auth_params(&client_id, REDIRECT, VERIFIER), "approve": true});
    let res = app
        .client
        .post(app.url("/api/oauth/authorize"))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.url("/api/oauth/authorize"))
        .header("cookie", &cookie)
        .header("origin", app.base.clone())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.finish().await;
}

async fn registration(db: Db) {
    let app = TestApp::start_with(db, |c| c.auth.signin_max_per_client = 4).await;
    let post = |body: Value| {
        let req = app.client.post(app.url("/oauth/register")).json(&body);
        async move {
            let res = req.send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (s, e) = post(json!({"redirect_uris": ["http://example.com/cb"]})).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_redirect_uri"))
    );
    let (s, e) = post(json!({"redirect_uris": []})).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_redirect_uri"))
    );
    let (s, e) = post(json!({"redirect_uris": ["https://ok.example/cb"], "token_endpoint_auth_method": "client_secret_basic"})).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_client_metadata"))
    );
    let (s, body) = post(json!({"redirect_uris": ["https://ok.example/cb"]})).await;
    assert_eq!(s, 201);
    assert_eq!(body["client_name"], "MCP client");
    assert!(body.get("client_secret").is_none());
    // rate limited per client address
    let (s, e) = post(json!({"redirect_uris": ["https://ok.example/cb"]})).await;
    assert_eq!((s, e["error"].as_str()), (429, Some("slow_down")));
    app.finish().await;
}

async fn revocation_and_expiry(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let client_id = register(&app, REDIRECT).await;
    // RFC 7009 revocation of the refresh token ends the grant
    let code = code_for(&app, &ann, &client_id, VERIFIER).await;
    let (_, t) = exchange(&app, &client_id, &code, VERIFIER, REDIRECT).await;
    let access = t["access_token"].as_str().unwrap();
    let res = post_form(
        &app,
        "/oauth/revoke",
        &[
            ("token", t["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(mcp_status(&app, access, None).await, 401);
    let res = post_form(&app, "/oauth/revoke", &[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "unknown tokens are not an error");

    // revoking the connection in the settings page
    let code = code_for(&app, &ann, &client_id, VERIFIER).await;
    let (_, t) = exchange(&app, &client_id, &code, VERIFIER, REDIRECT).await;
    let access = t["access_token"].as_str().unwrap();
    let (_, list) = app
        .call(
            Method::GET,
            "/api/account/connections",
            Some(&ann.session),
            None,
        )
        .await;
    let id = list[0]["id"].as_str().unwrap();
    let bob = app.sign_up("Bob").await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/account/connections/{id}"),
            Some(&bob.session),
            None,
        )
        .await;
    assert_eq!(status, 404, "not Bob's to revoke");
    assert_eq!(mcp_status(&app, access, None).await, 200);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/account/connections/{id}"),
            Some(&ann.session),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(mcp_status(&app, access, None).await, 401);
    let (_, err) = refresh(&app, &client_id, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(err["error"], "invalid_grant");

    // an expired access token
    let now = chrono::Utc::now().timestamp() as u64;
    let expired = app
        .state
        .auth
        .sign_mcp_claims(&todobot_server::auth::oauth::verify::McpClaims {
            sub: ann.id.clone(),
            iat: now - 3600,
            exp: now - 600,
            iss: "http://todobot.test".into(),
            aud: RESOURCE.into(),
            scope: "mcp".into(),
            client_id: None,
            gid: None,
        })
        .unwrap();
    let res = app
        .client
        .post(app.url("/mcp"))
        .bearer_auth(&expired)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    app.finish().await;
}

/// A personal access token as created: its id and the secret, shown this once.
#[derive(Debug, serde::Deserialize)]
struct CreatedPat {
    id: String,
    token: String,
}

/// POST /api/account/tokens with the user's session (or none).
async fn create_pat(app: &TestApp, session: Option<&str>, body: Value) -> (u16, Value) {
    app.call(Method::POST, "/api/account/tokens", session, Some(body))
        .await
}

/// A 30-day token named "Claude Desktop" for `user`.
async fn claude_desktop_pat(app: &TestApp, user: &TestUser) -> CreatedPat {
    let body = json!({"name": "Claude Desktop", "expires_in_days": 30});
    let (status, created) = create_pat(app, Some(&user.session), body).await;
    assert_eq!(status, 201, "{created}");
    serde_json::from_value(created).expect("a created token")
}

/// Status of DELETE /api/account/tokens/{id} with this session.
async fn revoke_pat(app: &TestApp, session: &str, id: &str) -> u16 {
    let path = format!("/api/account/tokens/{id}");
    app.call(Method::DELETE, &path, Some(session), None).await.0
}

async fn creating_a_personal_access_token_needs_a_session_a_name_and_a_positive_expiry(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let (status, _) = create_pat(&app, None, json!({"name": "x"})).await;
    assert_eq!(status, 401);
    let body = json!({"name": "x", "expires_in_days": 0});
    let (status, _) = create_pat(&app, Some(&ann.session), body).await;
    assert_eq!(status, 422);
    let (status, _) = create_pat(&app, Some(&ann.session), json!({"name": " "})).await;
    assert_eq!(status, 422);
    let (_, list) = app
        .call(Method::GET, "/api/account/tokens", Some(&ann.jwt), None)
        .await;
    assert_eq!(list, json!([]), "refused requests create nothing");
    app.finish().await;
}

async fn a_personal_access_token_is_listed_without_its_secret(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let pat = claude_desktop_pat(&app, &ann).await;
    assert!(pat.token.starts_with("tbp_"));
    let (_, list) = app
        .call(Method::GET, "/api/account/tokens", Some(&ann.jwt), None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Claude Desktop");
    assert!(!list.to_string().contains(&pat.token));
    assert!(list[0]["expires_at"].is_string());
    app.finish().await;
}

async fn a_personal_access_token_works_on_mcp_not_on_rest(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let pat = claude_desktop_pat(&app, &ann).await;
    assert_eq!(mcp_status(&app, &pat.token, None).await, 200);
    assert_eq!(rest_status(&app, &ann, &pat.token).await, 401);
    assert_eq!(mcp_status(&app, "tbp_made-up", None).await, 401);
    app.finish().await;
}

async fn the_cookie_token_api_refuses_foreign_pages(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let res = app
        .client
        .post(app.url("/api/account/tokens"))
        .header(
            "cookie",
            format!("better-auth.session_token={}", ann.session),
        )
        .header("origin", "http://evil.example")
        .json(&json!({"name": "csrf"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (_, list) = app
        .call(Method::GET, "/api/account/tokens", Some(&ann.jwt), None)
        .await;
    assert_eq!(list, json!([]), "the refused request created nothing");
    app.finish().await;
}

async fn only_the_owner_sees_and_revokes_a_token_and_revoking_stops_it_at_once(db: Db) {
    let app = TestApp::start(db).await;
    let ann = app.sign_up("Ann").await;
    let pat = claude_desktop_pat(&app, &ann).await;
    let bob = app.sign_up("Bob").await;
    let (_, list_b) = app
        .call(Method::GET, "/api/account/tokens", Some(&bob.session), None)
        .await;
    assert_eq!(list_b, json!([]));
    assert_eq!(revoke_pat(&app, &bob.session, &pat.id).await, 404);
    assert_eq!(
        mcp_status(&app, &pat.token, None).await,
        200,
        "Bob changed nothing"
    );
    assert_eq!(revoke_pat(&app, &ann.session, &pat.id).await, 204);
    assert_eq!(mcp_status(&app, &pat.token, None).await, 401);
    app.finish().await;
}

async fn origin_validation(db: Db) {
    let app = TestApp::start_with(db, |c| {
        c.mcp.allowed_origins = vec!["https://inspector.example".into()]
    })
    .await;
    let ann = app.sign_up("Ann").await;
    let token = app.mcp_token(&ann);
    assert_eq!(mcp_status(&app, &token, None).await, 200);
    assert_eq!(
        mcp_status(&app, &token, Some("http://evil.example")).await,
        403
    );
    assert_eq!(mcp_status(&app, &token, Some("null")).await, 403);
    assert_eq!(
        mcp_status(&app, &token, Some(&app.base)).await,
        200,
        "own origin"
    );
    assert_eq!(
        mcp_status(&app, &token, Some("http://todobot.test")).await,
        200,
        "public origin"
    );
    assert_eq!(
        mcp_status(&app, &token, Some("https://inspector.example")).await,
        200,
        "allow-listed"
    );
    app.finish().await;
}

db_tests!(
    discovery,
    authorize_sends_the_browser_to_a_consent_page_only_signed_in_users_can_read,
    an_approved_code_gives_a_bearer_token_that_works_on_mcp_as_the_user,
    oauth_tokens_do_not_work_on_rest_nor_rest_tokens_on_mcp,
    refresh_rotates_the_refresh_token_and_the_grant_stays_one_connection,
    replaying_a_rotated_refresh_token_revokes_the_whole_grant,
    code_errors,
    authorization_request_errors,
    registration,
    revocation_and_expiry,
    creating_a_personal_access_token_needs_a_session_a_name_and_a_positive_expiry,
    a_personal_access_token_is_listed_without_its_secret,
    a_personal_access_token_works_on_mcp_not_on_rest,
    the_cookie_token_api_refuses_foreign_pages,
    only_the_owner_sees_and_revokes_a_token_and_revoking_stops_it_at_once,
    origin_validation,
);
