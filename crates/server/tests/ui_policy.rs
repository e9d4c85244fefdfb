//! The page's Content-Security-Policy follows CHATKIT_DOMAIN_KEY (empty or blank = unset = strict),
//! and unknown API / well-known paths are JSON 404s rather than the UI shell.

mod common;

use common::{Db, TestApp};
use reqwest::Method;
use serde_json::Value;

const OPENAI_CDN: &str = "cdn.platform.openai.com";

async fn page_csp(app: &TestApp, path: &str) -> String {
    let res = app.client.get(app.url(path)).send().await.expect("page");
    assert_eq!(res.status(), 200, "{path}");
    res.headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a CSP header")
        .to_owned()
}

async fn public_key(app: &TestApp) -> Value {
    let (status, config) = app.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(status, 200);
    config["chatkit_domain_key"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_chatkit_key_keeps_the_strict_policy() {
    for key in [None, Some(""), Some("   ")] {
        let app = TestApp::start_with(Db::Sqlite, |c| {
            c.server.chatkit_domain_key = key.map(str::to_owned)
        })
        .await;
        for path in ["/", "/index.html", "/some/client/route"] {
            let csp = page_csp(&app, path).await;
            assert!(!csp.contains(OPENAI_CDN), "{key:?} {path}: {csp}");
            assert!(csp.contains("script-src 'self';"), "{key:?}: {csp}");
        }
        assert_eq!(public_key(&app).await, Value::Null, "{key:?}");
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatkit_key_allows_the_openai_component() {
    let app = TestApp::start_with(Db::Sqlite, |c| {
        c.server.chatkit_domain_key = Some("domain_pk_test".into())
    })
    .await;
    let csp = page_csp(&app, "/").await;
    assert!(csp.contains(OPENAI_CDN), "{csp}");
    assert_eq!(public_key(&app).await, "domain_pk_test");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_and_well_known_paths_are_json_404s() {
    let app = TestApp::start(Db::Sqlite).await;
    for path in [
        "/api/nope",
        "/api",
        "/api/auth/nope",
        "/.well-known/nope",
        "/.well-known/oauth-protected-resource/x",
        "/chatkit/nope",
    ] {
        for method in [Method::GET, Method::HEAD] {
            let res = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .expect("request");
            assert_eq!(res.status(), 404, "{method} {path}");
            let ct = res.headers()[reqwest::header::CONTENT_TYPE].clone();
            assert!(
                ct.to_str().unwrap_or("").starts_with("application/json"),
                "{path}: {ct:?}"
            );
            if method == Method::GET {
                let body: Value = res.json().await.expect("JSON body");
                assert_eq!(body["code"], "NOT_FOUND", "{path}");
            }
        }
    }
    // client-side routes of the UI still get the app shell
    let res = app
        .client
        .get(app.url("/tasks/3"))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), 200);
    app.finish().await;
}
