//! /docs (Swagger UI) and /openapi.json, under a strict CSP.
//!
//! Swagger UI's files are embedded gzip-compressed (build.rs takes the ones the page loads from the
//! vendored Swagger UI release: ~0.5 MB in the binary, bench/README.md "Binary size"). A client that
//! accepts gzip gets them as embedded, with `Content-Encoding: gzip`; any other client gets them
//! decompressed here. /openapi.json is the document generated from the handlers' annotations, kept in
//! crates/server/openapi.json (a test checks it is up to date), so the binary carries 44 KB of JSON
//! instead of the ~0.7 MB of code that builds it.

use std::io::Read;

use axum::{
    Router,
    body::Body,
    extract::{Path, Request},
    http::{HeaderMap, HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use flate2::read::GzDecoder;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{AppState, error::ApiError, openapi};

/// Content-Security-Policy of the API docs (Swagger UI: its own scripts only, inline styles).
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The largest embedded Swagger UI file is ~1.5 MB decompressed.
const MAX_DECOMPRESSED: usize = 8 << 20;

/// Swagger UI's files under /docs/ (name, content type, gzip-compressed bytes), as build.rs wrote them.
const FILES: &[(&str, &str, &[u8])] = &include!(concat!(env!("OUT_DIR"), "/swagger-ui/files.rs"));

/// Swagger UI's start script: the document at /openapi.json in the standalone layout.
const INITIALIZER: &str = r##"window.onload = function() {
  window.ui = SwaggerUIBundle({
    "dom_id": "#swagger-ui",
    "url": "/openapi.json",
    "deepLinking": true,
    "layout": "StandaloneLayout",
    presets: [
      SwaggerUIBundle.presets.apis,
      SwaggerUIStandalonePreset
    ],
    plugins: [
      SwaggerUIBundle.plugins.DownloadUrl
    ],
  });
};
"##;

/// /docs (Swagger UI) and /openapi.json, under a strict CSP.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(|| async { Redirect::to("/docs/") }))
        .route("/docs/", get(|| async { swagger_file("index.html") }))
        .route(
            "/docs/{*file}",
            get(|Path(file): Path<String>| async move { swagger_file(&file) }),
        )
        .layer(middleware::from_fn(gunzip_unless_accepted))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi::JSON).into_response()
}

/// One of Swagger UI's files, gzip-compressed (the middleware decompresses it for clients that need it).
fn swagger_file(name: &str) -> Response {
    if name == "swagger-initializer.js" {
        return ([(header::CONTENT_TYPE, "text/javascript")], INITIALIZER).into_response();
    }
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, gz)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            *gz,
        )
            .into_response(),
        None => ApiError::NotFound("File").into_response(),
    }
}

/// Passes gzip-encoded responses through to clients that accept gzip and decompresses them for the
/// others; either way the response varies by Accept-Encoding.
async fn gunzip_unless_accepted(req: Request, next: Next) -> Response {
    let accepted = accepts_gzip(req.headers());
    let res = next.run(req).await;
    let gzipped = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let mut res = if gzipped && !accepted {
        gunzip(res)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    } else {
        res
    };
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

/// Whether Accept-Encoding lists gzip (or `*`) with a non-zero quality.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

async fn gunzip(res: Response) -> Result<Response, ApiError> {
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_DECOMPRESSED)
        .await
        .map_err(ApiError::internal)?;
    let mut plain = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(&bytes[..])
        .take(MAX_DECOMPRESSED as u64)
        .read_to_end(&mut plain)
        .map_err(ApiError::internal)?;
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, Body::from(plain)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn gzip_is_accepted_only_when_listed_with_a_non_zero_quality() {
        assert!(accepts_gzip(&with("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&HeaderMap::new()));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&with("br, gzip;q=0")));
    }
}
