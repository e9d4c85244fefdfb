//! The MCP endpoint: Streamable HTTP at /mcp, stateless (no sessions held in memory, so any
//! replica answers any request), behind Host validation and the same bearer-token check as the API.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use axum::{
    Router,
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use rmcp::{
    ServiceExt,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
    },
};
use todobot_mcp::{McpUser, TodoTools};
use tokio::net::TcpListener;

use crate::{
    AppState,
    auth::{AuthService, TokenError, csrf, oauth},
    config::Config,
    error::ApiError,
    health, metrics,
};

/// Host check: `*` allows any host; an entry with a port must match exactly, one without matches
/// any port of that host.
pub fn host_allowed(allowed: &[String], host_header: Option<&str>) -> bool {
    if allowed.iter().any(|h| h == "*") {
        return true;
    }
    let Some(host) = host_header.map(|h| h.trim().to_ascii_lowercase()) else {
        return false;
    };
    let bare = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_owned()
    };
    allowed.iter().any(|a| *a == host || *a == bare)
}

#[derive(Clone)]
struct Guard {
    auth: Arc<AuthService>,
    config: Arc<Config>,
    allowed_hosts: Arc<Vec<String>>,
    allowed_origins: Arc<Vec<String>>,
}

/// Origin check of the MCP transport (2025-11-25): a browser `Origin` must be the app's own, a
/// trusted one (BETTER_AUTH_URL, CORS_ORIGINS) or listed in MCP_ALLOWED_ORIGINS; requests without
/// `Origin` (non-browser clients) pass.
fn origin_allowed(req: &Request, allowed: &[String]) -> bool {
    if !req.headers().contains_key(header::ORIGIN) {
        return true;
    }
    csrf::check_origin(req.headers(), req.uri(), allowed).is_ok()
}

/// A 401 that tells OAuth clients where to discover how to get a token (RFC 9728 §5.1).
fn unauthorized(g: &Guard, headers: &axum::http::HeaderMap, e: TokenError) -> Response {
    let mut res = ApiError::from(e).into_response();
    if res.status() == axum::http::StatusCode::UNAUTHORIZED {
        let url = oauth::metadata::resource_metadata_url(&g.config, headers);
        let error = if e == TokenError::Missing {
            String::new()
        } else {
            ", error=\"invalid_token\"".to_owned()
        };
        let value = format!(
            "Bearer resource_metadata=\"{url}\", scope=\"{}\"{error}",
            oauth::SCOPE
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    res
}

async fn guard(State(g): State<Guard>, mut req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    if !host_allowed(&g.allowed_hosts, host.as_deref()) {
        tracing::warn!(host = ?host, "MCP request with a disallowed Host header refused");
        return ApiError::client(
            axum::http::StatusCode::FORBIDDEN,
            "FORBIDDEN_HOST",
            "This Host is not allowed for MCP (set MCP_ALLOWED_HOSTS).",
        )
        .into_response();
    }
    if !origin_allowed(&req, &g.allowed_origins) {
        tracing::warn!("MCP request from a foreign Origin refused");
        return ApiError::client(
            axum::http::StatusCode::FORBIDDEN,
            "FORBIDDEN_ORIGIN",
            "This Origin is not allowed for MCP (set MCP_ALLOWED_ORIGINS).",
        )
        .into_response();
    }
    match g.auth.authenticate_mcp(&g.config, req.headers()).await {
        Ok(principal) => {
            req.extensions_mut().insert(McpUser(principal.user_id));
            next.run(req).await
        }
        Err(e) => unauthorized(&g, req.headers(), e),
    }
}

/// The /mcp routes (to merge into a router whose state is [`AppState`]).
pub fn router(state: &AppState) -> Router<AppState> {
    let allowed = state.config.allowed_mcp_hosts();
    let mut config = StreamableHttpServerConfig::default();
    config.legacy_session_mode = false;
    config.json_response = true;
    config.max_request_body_bytes = state.config.server.max_body_bytes.max(16 * 1024);
    config = if allowed.iter().any(|h| h == "*") {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(allowed.clone())
    };
    let store = state.store.clone();
    let service = StreamableHttpService::new(
        move || Ok(TodoTools::for_requests(store.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let mut origins = csrf::trusted_origins(
        state.config.server.public_url.as_str(),
        &state.config.server.cors_origins,
    );
    origins.extend(csrf::trusted_origins(
        &oauth::configured_resource(&state.config),
        &state.config.mcp.allowed_origins,
    ));
    let origins = Arc::new(origins);
    let g = Guard {
        auth: state.auth.clone(),
        config: state.config.clone(),
        allowed_hosts: Arc::new(allowed),
        allowed_origins: origins.clone(),
    };
    // CORS outside the guard: a preflight carries no token, and the origins are the guard's own
    Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(g, guard))
        .layer(crate::cors::mcp_layer(origins))
}

/// Runs `todobot mcp`: the MCP service alone (its own Deployment), with health and metrics.
pub async fn run_http(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics_listener = crate::bind_metrics(&config).await?;
    let state = crate::build_state_for(config, crate::Role::McpOnly).await?;
    tracing::info!(addr = ?listener.local_addr().ok(), "todobot MCP service is ready");
    let store = state.store.clone();
    let limits = crate::HttpLimits::from_config(&state.config);
    let app = mcp_only_router(state);
    let result = crate::serve_with_metrics(app, listener, metrics_listener, limits, shutdown).await;
    let _ = store.close().await;
    result
}

/// The router of `todobot mcp`.
pub fn mcp_only_router(state: AppState) -> Router {
    metrics::handle();
    let mut app = Router::new()
        .merge(router(&state))
        .merge(oauth::metadata::resource_router().layer(crate::cors::public_layer()))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    if crate::metrics_bind(&state.config).is_none() {
        app = app.route("/metrics", get(metrics::render));
    }
    app.fallback(|| async { ApiError::NotFound("route").into_response() })
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}

/// Runs `todobot mcp --stdio --user EMAIL`: one local user's tools over stdin/stdout.
pub async fn run_stdio(config: Config, email: &str) -> anyhow::Result<()> {
    config.validate().map_err(anyhow::Error::msg)?;
    let store = crate::open_store(&config).await?;
    if config.database.migrate_on_start {
        store.migrate().await.context("database migration failed")?;
    }
    let email = todobot_store::validate::email(email).map_err(anyhow::Error::msg)?;
    let user = store
        .find_user_by_email(&email)
        .await?
        .with_context(|| format!("no todobot account with email {email}; sign up first"))?;
    tracing::info!(user_id = %user.id, "serving MCP over stdio");
    let running = TodoTools::for_user(store.clone(), user.id)
        .serve(rmcp::transport::stdio())
        .await
        .context("MCP stdio handshake failed")?;
    running
        .waiting()
        .await
        .context("MCP stdio session failed")?;
    let _ = store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn hosts() {
        let allowed = vec![
            "localhost".to_owned(),
            "todo.example.com".to_owned(),
            "api.example.com:8443".to_owned(),
            "[::1]".to_owned(),
        ];
        assert!(host_allowed(&allowed, Some("localhost:8080")));
        assert!(host_allowed(&allowed, Some("TODO.example.com")));
        assert!(host_allowed(&allowed, Some("api.example.com:8443")));
        assert!(!host_allowed(&allowed, Some("api.example.com:9999")));
        assert!(host_allowed(&allowed, Some("[::1]:8080")));
        assert!(!host_allowed(&allowed, Some("evil.com")));
        assert!(!host_allowed(&allowed, Some("localhost.evil.com")));
        assert!(!host_allowed(&allowed, None));
        assert!(host_allowed(&["*".to_owned()], Some("anything")));
    }
}
