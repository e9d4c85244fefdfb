//! OAuth Client ID Metadata Documents over real HTTP on SQLite and PostgreSQL: a client whose
//! `client_id` is the URL of its metadata document (served here by a small local HTTP server)
//! authorizes, gets and refreshes tokens and calls /mcp without registering; bad documents,
//! redirects, oversized answers and private addresses (without the development setting) are
//! refused with a clear OAuth error.

mod common;

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode as AxStatus, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use common::{Db, TestApp, TestUser};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:7777/callback";
const RESOURCE: &str = "http://todobot.test/mcp";
const VERIFIER: &str = "a-verifier-that-is-long-enough-for-pkce-0123456789abcdef";

/// The client's own site: serves metadata documents (good and bad ones) and counts fetches.
struct ClientSite {
    base: String,
    fetches: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Site {
    base: String,
    fetches: Arc<AtomicUsize>,
}

async fn document(State(site): State<Site>, Path(name): Path<String>) -> Response {
    site.fetches.fetch_add(1, Ordering::SeqCst);
    let url = format!("{}/{name}", site.base);
    let mut doc = json!({
        "client_id": url,
        "client_name": "Metadata Client",
        "client_uri": site.base,
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    match name.as_str() {
        "good.json" => {}
        "fresh.json" => {
            return ([(header::CACHE_CONTROL, "no-store")], axum::Json(doc)).into_response();
        }
        "wrong-id.json" => doc["client_id"] = json!(format!("{}/good.json", site.base)),
        "secret.json" => doc["token_endpoint_auth_method"] = json!("client_secret_basic"),
        "bad-redirect.json" => doc["redirect_uris"] = json!(["http://evil.example/cb"]),
        "not-json.json" => return "<!doctype html><p>hello".into_response(),
        "big.json" => doc["padding"] = json!("x".repeat(6000)),
        "moved.json" => {
            return (
                AxStatus::FOUND,
                [(header::LOCATION, format!("{}/good.json", site.base))],
            )
                .into_response();
        }
        _ => return AxStatus::NOT_FOUND.into_response(),
    }
    axum::Json(doc).into_response()
}

impl ClientSite {
    async fn start() -> ClientSite {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let fetches = Arc::new(AtomicUsize::new(0));
        let site = Site {
            base: base.clone(),
            fetches: fetches.clone(),
        };
        let app = Router::new()
            .route("/{name}", get(document))
            .with_state(site);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ClientSite { base, fetches }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn params(client_id: &str, redirect: &str) -> HashMap<String, String> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        (
            "code_challenge",
            &B64.encode(Sha256::digest(VERIFIER.as_bytes())),
        ),
        ("code_challenge_method", "S256"),
        ("state", "s1"),
        ("resource", RESOURCE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn query(p: &HashMap<String, String>) -> String {
    p.iter()
        .map(|(k, v)| format!("{k}={}", todobot_server::auth::oauth::encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// GET /oauth/authorize without following redirects: status, Location, JSON body.
async fn authorize(app: &TestApp, p: &HashMap<String, String>) -> (u16, String, Value) {
    let res = no_redirects()
        .get(app.url(&format!("/oauth/authorize?{}", query(p))))
        .send()
        .await
        .expect("authorize");
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, location, res.json().await.unwrap_or(Value::Null))
}

async fn token(app: &TestApp, pairs: &[(&str, &str)]) -> (u16, Value) {
    let body = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", todobot_server::auth::oauth::encode_component(v)))
        .collect::<Vec<_>>()
        .join("&");
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn mcp_status(app: &TestApp, access: &str) -> u16 {
    app.client
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(access)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .expect("mcp")
        .status()
        .as_u16()
}

/// Consent (describe, then Allow) as the signed-in user; returns the authorization code.
async fn consent(app: &TestApp, user: &TestUser, p: &HashMap<String, String>) -> String {
    let (status, about) = app
        .call(
            Method::GET,
            &format!("/api/oauth/authorize?{}", query(p)),
            Some(&user.session),
            None,
        )
        .await;
    assert_eq!(status, 200, "{about}");
    assert_eq!(about["client_name"], "Metadata Client");
    assert_eq!(about["client_host"], "127.0.0.1");
    assert_eq!(about["client_id"], p["client_id"]);
    let (status, body) = app
        .call(
            Method::POST,
            "/api/oauth/authorize",
            Some(&user.session),
            Some(json!({"params": p, "approve": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let to = body["redirect_to"].as_str().expect("redirect_to");
    assert!(to.starts_with(REDIRECT), "{to}");
    let code = to
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .expect("code");
    code.to_owned()
}

async fn the_code_flow_with_a_metadata_document(db: Db) {
    let site = ClientSite::start().await;
    let app = TestApp::start_with(db, |c| c.auth.oauth_cimd_allow_private = true).await;
    let (_, asm) = app
        .call(
            Method::GET,
            "/.well-known/oauth-authorization-server",
            None,
            None,
        )
        .await;
    assert_eq!(asm["client_id_metadata_document_supported"], true);
    let ann = app.sign_up("Ann").await;
    let client_id = site.url("good.json");
    let p = params(&client_id, REDIRECT);

    let (status, location, body) = authorize(&app, &p).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.starts_with("/oauth/consent.html?"), "{location}");
    let code = consent(&app, &ann, &p).await;
    assert_eq!(site.fetches(), 1, "the document is cached between requests");

    let (status, tokens) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT),
            ("resource", RESOURCE),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().expect("access");
    assert_eq!(mcp_status(&app, access).await, 200);

    // another client cannot use the code's refresh token; the right one refreshes
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, refreshed) = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", refresh),
        ],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let access = refreshed["access_token"].as_str().expect("access");
    assert_eq!(mcp_status(&app, access).await, 200);

    // the user sees the client by the name its document gives, and can revoke it
    let (status, list) = app
        .call(
            Method::GET,
            "/api/account/connections",
            Some(&ann.session),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["client_name"], "Metadata Client");
    let id = list[0]["id"].as_str().expect("id");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/account/connections/{id}"),
            Some(&ann.session),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(mcp_status(&app, access).await, 401);

    // a second authorization of the same client: same stored client, document from the cache
    let code = consent(&app, &ann, &p).await;
    assert!(!code.is_empty());
    assert_eq!(site.fetches(), 1);

    // a document served with `Cache-Control: no-store` is fetched for every request
    let p = params(&site.url("fresh.json"), REDIRECT);
    let (status, _, body) = authorize(&app, &p).await;
    assert_eq!(status, 303, "{body}");
    consent(&app, &ann, &p).await;
    assert_eq!(
        site.fetches(),
        1 + 3,
        "authorize, describe and decide each fetched it"
    );
    app.finish().await;
}

/// The authorization request is refused on the spot (never redirected to an untrusted URI).
async fn refused(app: &TestApp, client_id: &str, redirect: &str, why: &str) {
    let (status, location, body) = authorize(app, &params(client_id, redirect)).await;
    assert!(
        (400..500).contains(&status),
        "{client_id}: {status} {location} {body}"
    );
    assert!(location.is_empty(), "{client_id}: redirected to {location}");
    assert!(
        body["error"] == "invalid_client" || body["error"] == "invalid_request",
        "{body}"
    );
    let description = body["error_description"].as_str().unwrap_or("");
    assert!(description.contains(why), "{client_id}: {description}");
}

async fn bad_documents_are_refused(db: Db) {
    let site = ClientSite::start().await;
    let app = TestApp::start_with(db, |c| c.auth.oauth_cimd_allow_private = true).await;
    refused(&app, &site.url("wrong-id.json"), REDIRECT, "client_id").await;
    refused(
        &app,
        &site.url("secret.json"),
        REDIRECT,
        "token_endpoint_auth_method",
    )
    .await;
    refused(
        &app,
        &site.url("bad-redirect.json"),
        REDIRECT,
        "redirect URI",
    )
    .await;
    refused(&app, &site.url("not-json.json"), REDIRECT, "JSON").await;
    refused(&app, &site.url("big.json"), REDIRECT, "5 KiB").await;
    refused(&app, &site.url("moved.json"), REDIRECT, "redirects").await;
    refused(&app, &site.url("missing.json"), REDIRECT, "HTTP 404").await;
    // redirect URIs of a document match exactly (no loopback port leeway)
    let other_port = "http://127.0.0.1:7778/callback";
    refused(&app, &site.url("good.json"), other_port, "redirect_uri").await;
    refused(&app, &format!("{}/", site.base), REDIRECT, "path").await;
    // invalid documents are not cached: each attempt fetched again
    let before = site.fetches();
    refused(&app, &site.url("wrong-id.json"), REDIRECT, "client_id").await;
    assert_eq!(site.fetches(), before + 1);
    // the token endpoint knows no client that never passed authorization
    let (status, body) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &site.url("wrong-id.json")),
            ("code", "x"),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    app.finish().await;
}

async fn private_addresses_are_refused_by_default(db: Db) {
    let site = ClientSite::start().await;
    let app = TestApp::start(db).await;
    // plain http and loopback literals, and names that resolve to loopback, are never fetched
    refused(&app, &site.url("good.json"), REDIRECT, "https").await;
    let port = site.base.rsplit(':').next().expect("port");
    refused(
        &app,
        &format!("https://127.0.0.1:{port}/good.json"),
        REDIRECT,
        "private",
    )
    .await;
    refused(
        &app,
        "https://169.254.169.254/latest/meta-data",
        REDIRECT,
        "private",
    )
    .await;
    refused(
        &app,
        &format!("https://localhost:{port}/good.json"),
        REDIRECT,
        "address not allowed",
    )
    .await;
    assert_eq!(site.fetches(), 0);
    app.finish().await;

    // turned off: a URL client_id is an unknown client, and discovery says so
    let app = TestApp::start_with(db, |c| {
        c.auth.oauth_client_id_metadata_documents = false;
        c.auth.oauth_cimd_allow_private = true;
    })
    .await;
    let (_, asm) = app
        .call(
            Method::GET,
            "/.well-known/oauth-authorization-server",
            None,
            None,
        )
        .await;
    assert_eq!(asm["client_id_metadata_document_supported"], false);
    refused(&app, &site.url("good.json"), REDIRECT, "Unknown client_id").await;
    assert_eq!(site.fetches(), 0);
    app.finish().await;
}

async fn fetches_per_host_are_limited(db: Db) {
    let site = ClientSite::start().await;
    let app = TestApp::start_with(db, |c| c.auth.oauth_cimd_allow_private = true).await;
    // a document that may not be cached: every authorization request fetches it
    let p = params(&site.url("fresh.json"), REDIRECT);
    let limit = todobot_server::auth::oauth::cimd::MAX_FETCHES_PER_HOST as usize;
    for _ in 0..limit {
        let (status, _, body) = authorize(&app, &p).await;
        assert_eq!(status, 303, "{body}");
    }
    let (status, location, body) = authorize(&app, &p).await;
    assert_eq!(status, 429, "{body}");
    assert!(location.is_empty());
    assert_eq!(body["error"], "slow_down");
    assert_eq!(site.fetches(), limit, "no fetch past the limit");
    app.finish().await;
}

db_tests!(
    fetches_per_host_are_limited,
    the_code_flow_with_a_metadata_document,
    bad_documents_are_refused,
    private_addresses_are_refused_by_default,
);
