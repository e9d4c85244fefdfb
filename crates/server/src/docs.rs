//! /docs (Swagger UI) and /openapi.json, under a strict CSP.
//!
//! Swagger UI's files are embedded gzip-compressed (utoipa-swagger-ui's `gzip` feature: ~1 MB in
//! the binary instead of ~4.3 MB, bench/README.md "Binary size"). A client that accepts gzip gets
//! them as embedded, with `Content-Encoding: gzip`; any other client gets them decompressed here.

use std::io::Read;

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderMap, HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use flate2::read::GzDecoder;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::{AppState, error::ApiError, openapi};

/// Content-Security-Policy of the API docs (Swagger UI: its own scripts only, inline styles).
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The largest embedded Swagger UI file is ~1.5 MB decompressed.
const MAX_DECOMPRESSED: usize = 8 << 20;

/// /docs (Swagger UI) and /openapi.json, under a strict CSP.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi::document()))
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
