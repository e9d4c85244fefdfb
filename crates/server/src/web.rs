//! The browser UI: files under `web/` are embedded in the binary at build time and served at `/`.

use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, error::ApiError};

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../web/"]
#[exclude = "*.md"]
#[exclude = ".*"]
struct Assets;

/// Public, non-secret settings the UI needs before signing in.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicConfig {
    /// When set, the UI loads OpenAI's ChatKit web component with this domain key.
    pub chatkit_domain_key: Option<String>,
    pub version: &'static str,
    /// Languages of the UI catalogues embedded in this build (`web/i18n/<locale>.json`).
    pub locales: Vec<String>,
    /// Whether POST /api/{user_id}/transcriptions turns recorded speech into text (voice input for
    /// browsers without speech recognition).
    pub transcription: bool,
}

/// The locales of the embedded UI catalogues: adding a language is adding its file.
pub(crate) fn ui_locales() -> Vec<String> {
    let mut out: Vec<String> = Assets::iter()
        .filter_map(|path| {
            path.strip_prefix("i18n/")
                .and_then(|f| f.strip_suffix(".json"))
                .filter(|l| !l.contains('/'))
                .map(str::to_owned)
        })
        .collect();
    out.sort();
    out
}

/// UI settings.
#[utoipa::path(get, path = "/api/config", tag = "operations",
    responses((status = 200, description = "Public UI configuration", body = PublicConfig)))]
pub async fn public_config(State(state): State<AppState>) -> Json<PublicConfig> {
    Json(PublicConfig {
        chatkit_domain_key: chatkit_domain_key(&state).map(str::to_owned),
        version: env!("CARGO_PKG_VERSION"),
        locales: ui_locales(),
        transcription: crate::api::transcribe::available(&state.config),
    })
}

/// The configured ChatKit domain key; empty or blank counts as unset (strict CSP, built-in UI).
fn chatkit_domain_key(state: &AppState) -> Option<&str> {
    let key = state.config.server.chatkit_domain_key.as_deref()?.trim();
    (!key.is_empty()).then_some(key)
}

fn content_security_policy(chatkit: bool) -> &'static str {
    if chatkit {
        "default-src 'self'; script-src 'self' https://cdn.platform.openai.com; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data: https:; \
         connect-src 'self' https://*.openai.com; frame-src https://cdn.platform.openai.com https://*.openai.com; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    } else {
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    }
}

fn serve_asset(path: &str, headers: &HeaderMap, chatkit: bool) -> Option<Response> {
    let file = Assets::get(path)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.data.into_owned().into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(content_security_policy(chatkit)),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Some(res)
}

/// Fallback: UI files for GET/HEAD outside /api, `index.html` for client-side routes, JSON 404s
/// otherwise (unknown /api, /mcp, /chatkit and /.well-known paths, and /metrics when it is served
/// on METRICS_BIND, included: probes and clients see a 404 rather than the UI).
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/').to_owned();
    let is_api = path.starts_with("api/")
        || path == "api"
        || path.starts_with("mcp")
        || path.starts_with("chatkit")
        || path.starts_with(".well-known")
        || path == "metrics";
    if (req.method() == Method::GET || req.method() == Method::HEAD) && !is_api {
        let chatkit = chatkit_domain_key(&state).is_some();
        let wanted = if path.is_empty() {
            "index.html"
        } else {
            path.as_str()
        };
        if let Some(res) = serve_asset(wanted, req.headers(), chatkit) {
            return res;
        }
        // client-side routes (no file extension) get the app shell
        if !wanted.rsplit('/').next().unwrap_or("").contains('.')
            && let Some(res) = serve_asset("index.html", req.headers(), chatkit)
        {
            return res;
        }
    }
    ApiError::NotFound("route").into_response()
}
