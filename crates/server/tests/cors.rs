//! CORS over real HTTP, by kind of endpoint: the public OAuth endpoints (discovery, token,
//! registration, revocation) answer any origin without credentials, so browser-based MCP clients
//! such as the Inspector's web UI can sign in; /mcp allows exactly the origins its Origin check
//! accepts; /oauth/authorize and the consent API are never CORS-enabled; the app's API keeps
//! CORS_ORIGINS with credentials. (No storage involved: SQLite only.)

mod common;

use common::{Db, TestApp};
use reqwest::{Method, Response};
use serde_json::json;

const INSPECTOR: &str = "http://localhost:6274";
const APP_ORIGIN: &str = "https://app.example";
const FOREIGN: &str = "https://evil.example";

async fn start() -> TestApp {
    TestApp::start_with(Db::Sqlite, |c| {
        c.server.cors_origins = vec![APP_ORIGIN.into()];
        c.mcp.allowed_origins = vec![INSPECTOR.into()];
    })
    .await
}

fn header(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
}

async fn preflight(
    app: &TestApp,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("preflight")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_oauth_endpoints_answer_any_origin_without_credentials() {
    let app = start().await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let pre = preflight(&app, path, INSPECTOR, "GET", "mcp-protocol-version").await;
        assert!(pre.status().is_success(), "{path}: {}", pre.status());
        assert_eq!(
            header(&pre, "access-control-allow-origin").as_deref(),
            Some("*"),
            "{path}"
        );
        let res = app
            .client
            .get(app.url(path))
            .header("origin", FOREIGN)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            header(&res, "access-control-allow-origin").as_deref(),
            Some("*"),
            "{path}"
        );
        assert_eq!(
            header(&res, "access-control-allow-credentials"),
            None,
            "{path}"
        );
    }
    for path in ["/oauth/token", "/oauth/register", "/oauth/revoke"] {
        // even an origin of CORS_ORIGINS gets `*` without credentials here
        for origin in [INSPECTOR, APP_ORIGIN] {
            let pre = preflight(&app, path, origin, "POST", "content-type").await;
            assert!(pre.status().is_success(), "{path}: {}", pre.status());
            assert_eq!(
                header(&pre, "access-control-allow-origin").as_deref(),
                Some("*"),
                "{path}"
            );
            assert_eq!(
                header(&pre, "access-control-allow-credentials"),
                None,
                "{path}"
            );
            let methods = header(&pre, "access-control-allow-methods").unwrap_or_default();
            assert!(methods.contains("post"), "{path}: {methods}");
            let allowed = header(&pre, "access-control-allow-headers").unwrap_or_default();
            assert!(allowed.contains("content-type"), "{path}: {allowed}");
        }
    }
    // real answers carry the header too, errors included (the client can read the OAuth error)
    let res = app
        .client
        .post(app.url("/oauth/register"))
        .header("origin", INSPECTOR)
        .json(&json!({"client_name": "Inspector", "redirect_uris": ["http://localhost:6274/oauth/callback"],
            "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 201);
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .header("origin", INSPECTOR)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=authorization_code")
        .send()
        .await
        .expect("token");
    assert_eq!(res.status(), 400);
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_and_consent_are_not_cors_enabled() {
    let app = start().await;
    for path in ["/oauth/authorize", "/api/oauth/authorize"] {
        for origin in [INSPECTOR, APP_ORIGIN, FOREIGN] {
            let pre = preflight(&app, path, origin, "POST", "content-type").await;
            assert_eq!(
                header(&pre, "access-control-allow-origin"),
                None,
                "{path} {origin}"
            );
            let res = app
                .client
                .get(app.url(path))
                .header("origin", origin)
                .send()
                .await
                .expect("get");
            assert_eq!(
                header(&res, "access-control-allow-origin"),
                None,
                "{path} {origin}"
            );
        }
    }
    // the rest of the API keeps CORS_ORIGINS, with credentials (the session cookie)
    let pre = preflight(&app, "/api/tasks", APP_ORIGIN, "POST", "content-type").await;
    assert_eq!(
        header(&pre, "access-control-allow-origin").as_deref(),
        Some(APP_ORIGIN)
    );
    assert_eq!(
        header(&pre, "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let pre = preflight(&app, "/api/tasks", INSPECTOR, "POST", "content-type").await;
    assert_eq!(header(&pre, "access-control-allow-origin"), None);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_cors_follows_the_origin_allow_list() {
    let app = start().await;
    let ann = app.sign_up("Ann").await;
    let token = app.mcp_token(&ann);
    // the origins the Origin check accepts: MCP_ALLOWED_ORIGINS, CORS_ORIGINS, the app's own
    for origin in [INSPECTOR, APP_ORIGIN, "http://todobot.test"] {
        let pre = preflight(
            &app,
            "/mcp",
            origin,
            "POST",
            "authorization, content-type, mcp-protocol-version",
        )
        .await;
        assert!(pre.status().is_success(), "{origin}: {}", pre.status());
        assert_eq!(
            header(&pre, "access-control-allow-origin").as_deref(),
            Some(origin),
            "{origin}"
        );
        let allowed = header(&pre, "access-control-allow-headers").unwrap_or_default();
        assert!(
            allowed.contains("authorization") && allowed.contains("mcp-protocol-version"),
            "{allowed}"
        );
        // without a token: a 401 whose WWW-Authenticate the browser client may read
        let res = app
            .client
            .post(app.url("/mcp"))
            .header("origin", origin)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
            .send()
            .await
            .expect("mcp");
        assert_eq!(res.status(), 401);
        assert_eq!(
            header(&res, "access-control-allow-origin").as_deref(),
            Some(origin)
        );
        let exposed = header(&res, "access-control-expose-headers").unwrap_or_default();
        assert!(exposed.contains("www-authenticate"), "{exposed}");
        let res = app
            .client
            .post(app.url("/mcp"))
            .header("origin", origin)
            .header("accept", "application/json, text/event-stream")
            .bearer_auth(&token)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
            .send()
            .await
            .expect("mcp");
        assert_eq!(res.status(), 200, "{origin}");
        assert_eq!(
            header(&res, "access-control-allow-origin").as_deref(),
            Some(origin)
        );
        assert_eq!(header(&res, "access-control-allow-credentials"), None);
    }
    // a foreign origin: no CORS grant, and the Origin check answers 403
    let pre = preflight(&app, "/mcp", FOREIGN, "POST", "authorization").await;
    assert_eq!(header(&pre, "access-control-allow-origin"), None);
    let res = app
        .client
        .post(app.url("/mcp"))
        .header("origin", FOREIGN)
        .bearer_auth(&token)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .expect("mcp");
    assert_eq!(res.status(), 403);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standalone_mcp_service_has_the_same_policy() {
    let app = start().await;
    // `todobot mcp`'s router, on the same state, served on its own port
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = todobot_server::mcp::mcp_only_router(app.state.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let ask = |path: &str, origin: &str| {
        app.client
            .request(Method::OPTIONS, format!("{base}{path}"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let pre = ask("/.well-known/oauth-protected-resource/mcp", FOREIGN)
        .await
        .expect("preflight");
    assert_eq!(
        header(&pre, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let pre = ask("/mcp", INSPECTOR).await.expect("preflight");
    assert_eq!(
        header(&pre, "access-control-allow-origin").as_deref(),
        Some(INSPECTOR)
    );
    let pre = ask("/mcp", FOREIGN).await.expect("preflight");
    assert_eq!(header(&pre, "access-control-allow-origin"), None);
    server.abort();
    app.finish().await;
}
