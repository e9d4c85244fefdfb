//! /docs serves Swagger UI's files as embedded, gzip-compressed, to clients that accept gzip, and
//! decompressed to the others; /docs loads its bundle and initializer, which points at /openapi.json.

mod common;

use std::io::Read;

use common::{Db, TestApp};

/// (status, content-encoding, vary, body) of GET `path` with the given Accept-Encoding.
async fn get(app: &TestApp, path: &str, accept: Option<&str>) -> (u16, String, String, Vec<u8>) {
    let mut req = app.client.get(app.url(path));
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    let res = req.send().await.expect("docs file");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (encoding, vary) = (header("content-encoding"), header("vary"));
    let status = res.status().as_u16();
    let body = res.bytes().await.expect("body").to_vec();
    (status, encoding, vary, body)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

async fn swagger_ui_is_gzip_only_for_clients_that_accept_it(db: Db) {
    let app = TestApp::start(db).await;
    let bundle = "/docs/swagger-ui-bundle.js";
    let (status, encoding, vary, plain) = get(&app, bundle, None).await;
    assert_eq!((status, encoding.as_str()), (200, ""));
    assert!(vary.contains("accept-encoding"), "{vary}");
    assert!(plain.len() > 500_000, "the whole bundle: {}", plain.len());
    assert!(String::from_utf8_lossy(&plain[..4096]).contains("function"));
    let (status, encoding, _, identity) = get(&app, bundle, Some("identity")).await;
    assert_eq!((status, encoding.as_str()), (200, ""));
    assert_eq!(identity, plain);
    let (status, encoding, vary, gz) = get(&app, bundle, Some("gzip, deflate, br")).await;
    assert_eq!((status, encoding.as_str()), (200, "gzip"));
    assert!(vary.contains("accept-encoding"), "{vary}");
    assert!(
        gz.len() < plain.len() / 2,
        "{} of {}",
        gz.len(),
        plain.len()
    );
    assert_eq!(gunzip(&gz), plain);

    let (status, _, _, page) = get(&app, "/docs/", None).await;
    let page = String::from_utf8_lossy(&page).into_owned();
    assert_eq!(status, 200);
    for file in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        assert!(page.contains(file), "{file} in {page}");
    }
    let (status, _, _, init) = get(&app, "/docs/swagger-initializer.js", Some("gzip")).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&init).contains("/openapi.json"));
    app.finish().await;
}

db_tests!(swagger_ui_is_gzip_only_for_clients_that_accept_it);
