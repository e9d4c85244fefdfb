//! todobot's HTTP server. [`run`] is the whole application: give it a configuration, a bound
//! listener and a shutdown signal (tests run it on port 0).

pub mod api;
pub mod auth;
pub mod chat;
pub mod chatkit;
pub mod config;
pub mod cors;
mod docs;
pub mod error;
pub mod extract;
pub mod health;
pub mod http_server;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod web;

use std::{future::Future, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRef},
    http::{HeaderName, HeaderValue, header},
    routing::get,
};
use todobot_store::{DbOptions, Store};
use tokio::net::TcpListener;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

pub use crate::http_server::HttpLimits;
use crate::{
    auth::AuthService,
    config::{Config, ExposeSecret},
};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: Arc<AuthService>,
    pub config: Arc<Config>,
    /// The chat agent (holds no conversation state).
    pub agent: Arc<todobot_agent::Agent>,
}

impl FromRef<AppState> for Arc<AuthService> {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(s: &AppState) -> Self {
        s.store.clone()
    }
}

/// Opens the database named by the configuration (creating the SQLite directory when needed).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.effective_database_url();
    let url = url.expose_secret();
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let file = path.split('?').next().unwrap_or(path);
        if let Some(dir) = Path::new(file)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create database directory {}", dir.display()))?;
        }
    }
    let mut opts = DbOptions::new(url);
    opts.max_connections = config.database.max_connections;
    opts.acquire_timeout = Duration::from_millis(config.database.acquire_timeout_ms.max(100));
    opts.schema = config.database.schema.clone();
    let r = &config.resilience;
    opts.statement_timeout =
        (r.db_statement_timeout_ms > 0).then(|| Duration::from_millis(r.db_statement_timeout_ms));
    opts.busy_timeout = Duration::from_millis(r.db_busy_timeout_ms);
    let store = Store::connect(&opts)
        .await
        .context("cannot connect to the database")?;
    Ok(store)
}

/// Why the database is not ready yet (worth waiting for).
#[derive(Debug, thiserror::Error)]
#[error("the database schema is not migrated yet (pending: {0:?}); run `todobot migrate`")]
struct SchemaPending(Vec<String>);

/// Opens the database and brings it up to date (MIGRATE_ON_START) or waits until it is, retrying
/// with a logged, growing backoff for up to DB_WAIT_SECS while the database is unreachable or not
/// migrated yet — so `serve` and `mcp` converge whatever order they start in.
pub async fn open_store_waiting(config: &Config) -> anyhow::Result<Store> {
    let wait = Duration::from_secs(config.resilience.db_wait_secs);
    let deadline = std::time::Instant::now() + wait;
    let mut delay = Duration::from_millis(250);
    loop {
        let attempt = async {
            let store = open_store(config).await?;
            if config.database.migrate_on_start {
                store.migrate().await.context("database migration failed")?;
            } else {
                let pending = store.pending_migrations().await?;
                if !pending.is_empty() {
                    return Err(SchemaPending(pending).into());
                }
            }
            anyhow::Ok(store)
        }
        .await;
        match attempt {
            Ok(store) => return Ok(store),
            Err(e) if worth_waiting(&e) && std::time::Instant::now() < deadline => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    retry_in_ms = delay.as_millis() as u64,
                    "database not ready yet; waiting (DB_WAIT_SECS)"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Unreachable database, unmigrated schema, or a unique violation from processes creating the same
/// catalog entries at once (e.g. the migrations table, `CREATE TABLE IF NOT EXISTS` racing on
/// PostgreSQL): conditions that fix themselves as the system starts.
fn worth_waiting(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<SchemaPending>().is_some()
            || c.downcast_ref::<todobot_store::StoreError>()
                .is_some_and(|s| {
                    s.is_unavailable() || matches!(s, todobot_store::StoreError::Conflict(_))
                })
    })
}

/// The server secret: BETTER_AUTH_SECRET, or in development one generated once and kept in DATA_DIR.
pub fn resolve_secret(config: &Config) -> anyhow::Result<String> {
    if let Some(s) = &config.auth.secret {
        return Ok(s.expose_secret().to_owned());
    }
    if config.is_production() {
        anyhow::bail!("APP_ENV=production requires BETTER_AUTH_SECRET");
    }
    let path = config.database.data_dir.join("auth-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    std::fs::create_dir_all(&config.database.data_dir)
        .with_context(|| format!("cannot create {}", config.database.data_dir.display()))?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    write_private_file(&path, &secret)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a development secret (set BETTER_AUTH_SECRET in production)");
    Ok(secret)
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents.as_bytes())
}

/// Which process this is: the full web server, or the MCP service alone (verifies tokens only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Web,
    McpOnly,
}

/// Builds the state of `todobot serve`.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    build_state_for(config, Role::Web).await
}

/// Builds the application state: validates configuration, connects, migrates, loads keys.
pub async fn build_state_for(config: Config, role: Role) -> anyhow::Result<AppState> {
    config.validate().map_err(anyhow::Error::msg)?;
    let secret = resolve_secret(&config)?;
    let store = open_store_waiting(&config).await?;
    let auth = AuthService::new(store.clone(), &config, &secret, role == Role::Web)
        .await
        .context("cannot load signing keys")?;
    let agent = chat::build_agent(&config)?;
    Ok(AppState {
        store,
        auth: Arc::new(auth),
        config: Arc::new(config),
        agent: Arc::new(agent),
    })
}

pub use docs::DOCS_CSP;

/// The full router of `todobot serve`.
pub fn router(state: AppState) -> Router {
    metrics::handle();
    let api = Router::new()
        .merge(auth::routes::router())
        .merge(api::tasks::router())
        .merge(api::chat::router())
        .merge(api::transcribe::router(&state.config))
        .merge(chatkit::router())
        .merge(auth::oauth::pat::router())
        .route("/api/config", get(web::public_config));
    let mut app = Router::new()
        .merge(api)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    if metrics_bind(&state.config).is_none() {
        app = app.route("/metrics", get(metrics::render));
    }
    let mut app = app.merge(docs::router()).fallback(web::fallback);
    if let Some(cors) = cors::app_layer(&state.config) {
        app = app.layer(cors);
    }
    // merged after the app's CORS layer: each brings its own policy (see `cors`)
    let app = app
        .merge(mcp::router(&state))
        .merge(auth::oauth::public_router())
        .merge(auth::oauth::consent_router())
        .layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            auth::csrf::guard,
        ))
        .layer(DefaultBodyLimit::max(state.config.server.max_body_bytes))
        .layer(axum::middleware::from_fn(metrics::track));
    let request_id = HeaderName::from_static("x-request-id");
    app.layer(SetResponseHeaderLayer::if_not_present(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(PropagateRequestIdLayer::new(request_id.clone()))
    .layer(
        TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }),
    )
    .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
    .with_state(state)
}

/// Serves `router` on `listener` with the default [`HttpLimits`] until `shutdown` resolves, then
/// lets in-flight requests finish.
pub async fn serve_router(
    router: Router,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_router_with(router, listener, HttpLimits::default(), shutdown).await
}

/// Serves `router` on `listener` with `limits` (connection bound, header/body/idle timeouts,
/// shutdown deadline) until `shutdown` resolves.
pub async fn serve_router_with(
    router: Router,
    listener: TcpListener,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let upkeep = metrics::spawn_upkeep();
    let result = http_server::serve(router, listener, limits, shutdown)
        .await
        .context("server error");
    upkeep.abort();
    result
}

/// METRICS_BIND, when set (not blank): /metrics is served there and not on the main address.
pub fn metrics_bind(config: &Config) -> Option<&str> {
    config
        .server
        .metrics_bind
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

/// Binds the separate metrics listener when METRICS_BIND is set.
pub async fn bind_metrics(config: &Config) -> anyhow::Result<Option<TcpListener>> {
    let Some(addr) = metrics_bind(config) else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on METRICS_BIND {addr}"))?;
    Ok(Some(listener))
}

/// Serves `app` on `listener` and, when given, /metrics alone on `metrics`, both until `shutdown`
/// resolves (then in-flight requests finish).
pub async fn serve_with_metrics(
    app: Router,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use futures::FutureExt;
    let Some(metrics_listener) = metrics else {
        return serve_router_with(app, listener, limits, shutdown).await;
    };
    tracing::info!(addr = ?metrics_listener.local_addr().ok(), "serving /metrics on its own listener");
    let shutdown = shutdown.shared();
    let metrics_app = Router::new().route("/metrics", get(metrics::render));
    let metrics_shutdown = shutdown.clone();
    let metrics_limits = limits.clone();
    let metrics_server = async move {
        http_server::serve(
            metrics_app,
            metrics_listener,
            metrics_limits,
            metrics_shutdown,
        )
        .await
        .context("metrics server error")
    };
    let (main, metrics) = tokio::join!(
        serve_router_with(app, listener, limits, shutdown),
        metrics_server
    );
    main.and(metrics)
}

/// Runs `todobot serve`: builds the application and serves it until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let metrics_listener = bind_metrics(&config).await?;
    let state = build_state(config).await?;
    let url = listener
        .local_addr()
        .map(|a| open_url(&a))
        .unwrap_or_else(|_| "(unknown address)".to_owned());
    let model = state.agent.model_name().to_owned();
    let assistant = if model == "local" {
        "the offline planner (no LLM configured)".to_owned()
    } else {
        format!("model {model} at {}", state.config.llm.base_url)
    };
    tracing::info!(
        url = %url,
        model = %model,
        database = ?state.store.backend(),
        startup_ms = started.elapsed().as_millis() as u64,
        "todobot is ready: listening on {url} (open this URL); the assistant uses {assistant}"
    );
    let store = state.store.clone();
    let limits = HttpLimits::from_config(&state.config);
    let result =
        serve_with_metrics(router(state), listener, metrics_listener, limits, shutdown).await;
    let _ = store.close().await;
    tracing::info!("todobot stopped");
    result
}

/// The URL to open for a listening address (a wildcard address is reached through localhost).
pub fn open_url(addr: &std::net::SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_unspecified() {
        format!("http://localhost:{}", addr.port())
    } else if ip.is_ipv6() {
        format!("http://[{ip}]:{}", addr.port())
    } else {
        format!("http://{ip}:{}", addr.port())
    }
}

/// Selects rustls' ring crypto provider for every outgoing TLS connection (LLM API, MCP service).
/// Idempotent.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
