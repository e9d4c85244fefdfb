//! The configuration's sections (zero2prod's `configuration.rs` style): one struct per concern,
//! each flattened into [`super::Config`]. Every field is an environment variable and a command-line
//! flag, documented in `.env.example` and the chart's values; the flag names are kept explicit so
//! that grouping the fields does not rename them.

use std::path::PathBuf;

use clap::{ArgAction, Args};
use secrecy::SecretString;
use url::Url;

use super::{LlmProvider, parse};

/// The HTTP server: its public address, browsers it trusts, request limits and the metrics listener.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Server")]
pub struct ServerSettings {
    /// Public base URL of this server; the issuer and audience of the tokens it signs.
    #[arg(
        id = "public_url",
        value_name = "PUBLIC_URL",
        long = "public-url",
        env = "BETTER_AUTH_URL",
        default_value = "http://localhost:8080",
        value_parser = parse::better_auth_url
    )]
    pub public_url: Url,

    /// Origins allowed to call the API from a browser (CORS), comma separated; empty = same origin only.
    #[arg(
        id = "cors_origins",
        value_name = "CORS_ORIGINS",
        long = "cors-origins",
        env = "CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Take the client address from X-Forwarded-For / X-Real-IP (only behind a trusted proxy).
    #[arg(
        id = "trust_proxy_headers",
        value_name = "TRUST_PROXY_HEADERS",
        long = "trust-proxy-headers",
        env = "TRUST_PROXY_HEADERS",
        default_value_t = false,
        action = ArgAction::Set
    )]
    pub trust_proxy_headers: bool,

    /// Largest accepted request body, bytes.
    #[arg(
        id = "max_body_bytes",
        value_name = "MAX_BODY_BYTES",
        long = "max-body-bytes",
        env = "MAX_BODY_BYTES",
        default_value_t = 64 * 1024
    )]
    pub max_body_bytes: usize,

    /// Serve Prometheus /metrics on this separate address (e.g. `0.0.0.0:9090`) and not on the main
    /// one; unset = /metrics on the main address.
    #[arg(
        id = "metrics_bind",
        value_name = "METRICS_BIND",
        long = "metrics-bind",
        env = "METRICS_BIND"
    )]
    pub metrics_bind: Option<String>,

    /// Domain key for OpenAI's hosted ChatKit web component; when set the UI uses it.
    #[arg(
        id = "chatkit_domain_key",
        value_name = "CHATKIT_DOMAIN_KEY",
        long = "chatkit-domain-key",
        env = "CHATKIT_DOMAIN_KEY"
    )]
    pub chatkit_domain_key: Option<String>,
}

/// The database: where it is, its pool and migrations.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user:pass@host:5432/db`.
    /// Default: an SQLite file in DATA_DIR.
    #[arg(
        id = "database_url",
        value_name = "DATABASE_URL",
        long = "database-url",
        env = "DATABASE_URL",
        hide_env_values = true,
        value_parser = parse::secret
    )]
    pub url: Option<SecretString>,

    /// Directory for the default SQLite database and the generated development secret.
    #[arg(
        id = "data_dir",
        value_name = "DATA_DIR",
        long = "data-dir",
        env = "DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,

    /// PostgreSQL schema to use (created if missing); default: the server's search_path.
    #[arg(
        id = "database_schema",
        value_name = "DATABASE_SCHEMA",
        long = "database-schema",
        env = "DATABASE_SCHEMA"
    )]
    pub schema: Option<String>,

    /// Maximum pooled database connections per process.
    #[arg(
        id = "db_max_connections",
        value_name = "DB_MAX_CONNECTIONS",
        long = "db-max-connections",
        env = "DB_MAX_CONNECTIONS",
        default_value_t = 16
    )]
    pub max_connections: u32,

    /// How long a request waits for a database connection before failing with 503.
    #[arg(
        id = "db_acquire_timeout_ms",
        value_name = "DB_ACQUIRE_TIMEOUT_MS",
        long = "db-acquire-timeout-ms",
        env = "DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 2000
    )]
    pub acquire_timeout_ms: u64,

    /// Apply pending migrations at startup.
    #[arg(
        id = "migrate_on_start",
        value_name = "MIGRATE_ON_START",
        long = "migrate-on-start",
        env = "MIGRATE_ON_START",
        default_value_t = true,
        action = ArgAction::Set
    )]
    pub migrate_on_start: bool,
}

/// Sign-in and tokens: the server secret, token lifetimes and sign-in rate limits.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Authentication")]
pub struct AuthSettings {
    /// Server secret: encrypts signing keys at rest and verifies HS256 tokens from a Better Auth
    /// frontend (shared-secret setup). Generated and kept in DATA_DIR in development when unset.
    #[arg(
        id = "better_auth_secret",
        value_name = "BETTER_AUTH_SECRET",
        long = "better-auth-secret",
        env = "BETTER_AUTH_SECRET",
        hide_env_values = true,
        value_parser = parse::secret
    )]
    pub secret: Option<SecretString>,

    /// Extra issuers accepted on HS256 tokens (e.g. your Better Auth frontend's URL), comma separated.
    #[arg(
        id = "trusted_issuers",
        value_name = "TRUSTED_ISSUERS",
        long = "trusted-issuers",
        env = "AUTH_TRUSTED_ISSUERS",
        value_delimiter = ','
    )]
    pub trusted_issuers: Vec<String>,

    /// Lifetime of access tokens (JWTs), seconds.
    #[arg(
        id = "access_token_ttl_secs",
        value_name = "ACCESS_TOKEN_TTL_SECS",
        long = "access-token-ttl-secs",
        env = "ACCESS_TOKEN_TTL_SECS",
        default_value_t = 900
    )]
    pub access_token_ttl_secs: u64,

    /// Lifetime of sign-in sessions, seconds.
    #[arg(
        id = "session_ttl_secs",
        value_name = "SESSION_TTL_SECS",
        long = "session-ttl-secs",
        env = "SESSION_TTL_SECS",
        default_value_t = 7 * 24 * 3600
    )]
    pub session_ttl_secs: u64,

    /// Sign-in attempts allowed per client address per window.
    #[arg(
        id = "signin_max_per_client",
        value_name = "SIGNIN_MAX_PER_CLIENT",
        long = "signin-max-per-client",
        env = "SIGNIN_MAX_PER_CLIENT",
        default_value_t = 20
    )]
    pub signin_max_per_client: i64,

    /// Failed sign-ins allowed per account and client per window (then 429 for that client only).
    #[arg(
        id = "signin_max_failures_per_account",
        value_name = "SIGNIN_MAX_FAILURES_PER_ACCOUNT",
        long = "signin-max-failures-per-account",
        env = "SIGNIN_MAX_FAILURES_PER_ACCOUNT",
        default_value_t = 5
    )]
    pub signin_max_failures_per_account: i64,

    /// Length of the sign-in rate-limit window, seconds.
    #[arg(
        id = "signin_window_secs",
        value_name = "SIGNIN_WINDOW_SECS",
        long = "signin-window-secs",
        env = "SIGNIN_WINDOW_SECS",
        default_value_t = 300
    )]
    pub signin_window_secs: i64,

    /// Lifetime of OAuth refresh tokens for MCP clients, seconds (each refresh rotates the token).
    #[arg(
        id = "oauth_refresh_token_ttl_secs",
        value_name = "OAUTH_REFRESH_TOKEN_TTL_SECS",
        long = "oauth-refresh-token-ttl-secs",
        env = "OAUTH_REFRESH_TOKEN_TTL_SECS",
        default_value_t = 30 * 24 * 3600
    )]
    pub oauth_refresh_token_ttl_secs: u64,

    /// Accept an https URL as `client_id` (OAuth Client ID Metadata Documents): the document is
    /// fetched from the client's site and validated, no registration needed.
    #[arg(
        id = "oauth_client_id_metadata_documents",
        value_name = "OAUTH_CLIENT_ID_METADATA_DOCUMENTS",
        long = "oauth-client-id-metadata-documents",
        env = "OAUTH_CLIENT_ID_METADATA_DOCUMENTS",
        default_value_t = true,
        action = ArgAction::Set
    )]
    pub oauth_client_id_metadata_documents: bool,

    /// Development and tests only: fetch client metadata documents from loopback, private and
    /// link-local addresses too, over plain http as well (off: public https addresses only).
    #[arg(
        id = "oauth_cimd_allow_private",
        value_name = "OAUTH_CIMD_ALLOW_PRIVATE",
        long = "oauth-cimd-allow-private",
        env = "OAUTH_CIMD_ALLOW_PRIVATE",
        default_value_t = false,
        action = ArgAction::Set
    )]
    pub oauth_cimd_allow_private: bool,
}

/// The model behind the chat agent, its bounds, and speech-to-text.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "LLM")]
pub struct LlmSettings {
    /// Which model the agent uses.
    #[arg(
        id = "llm_provider",
        value_name = "LLM_PROVIDER",
        long = "llm-provider",
        env = "LLM_PROVIDER",
        value_enum,
        default_value = "auto"
    )]
    pub provider: LlmProvider,

    /// API key for the OpenAI-compatible endpoint.
    #[arg(
        id = "openai_api_key",
        value_name = "OPENAI_API_KEY",
        long = "openai-api-key",
        env = "OPENAI_API_KEY",
        hide_env_values = true,
        value_parser = parse::secret
    )]
    pub api_key: Option<SecretString>,

    /// Base URL of the OpenAI-compatible API (OpenAI, Ollama, vLLM, LM Studio...).
    #[arg(
        id = "openai_base_url",
        value_name = "OPENAI_BASE_URL",
        long = "openai-base-url",
        env = "OPENAI_BASE_URL",
        default_value = "https://api.openai.com/v1",
        value_parser = parse::openai_base_url
    )]
    pub base_url: Url,

    /// Model id for chat completions.
    #[arg(
        id = "openai_model",
        value_name = "OPENAI_MODEL",
        long = "openai-model",
        env = "OPENAI_MODEL",
        default_value = "gpt-4o-mini"
    )]
    pub model: String,

    /// Bound on one LLM request, seconds.
    #[arg(
        id = "llm_timeout_secs",
        value_name = "LLM_TIMEOUT_SECS",
        long = "llm-timeout-secs",
        env = "LLM_TIMEOUT_SECS",
        default_value_t = 60
    )]
    pub timeout_secs: u64,

    /// Retries of a failed LLM request (5xx / connection errors).
    #[arg(
        id = "llm_max_retries",
        value_name = "LLM_MAX_RETRIES",
        long = "llm-max-retries",
        env = "LLM_MAX_RETRIES",
        default_value_t = 2
    )]
    pub max_retries: u32,

    /// Model round trips allowed in one chat turn.
    #[arg(
        id = "agent_max_turns",
        value_name = "AGENT_MAX_TURNS",
        long = "agent-max-turns",
        env = "AGENT_MAX_TURNS",
        default_value_t = 8
    )]
    pub agent_max_turns: usize,

    /// Messages of history sent to the model each turn.
    #[arg(
        id = "history_window",
        value_name = "HISTORY_WINDOW",
        long = "history-window",
        env = "HISTORY_WINDOW",
        default_value_t = 20
    )]
    pub history_window: usize,

    /// Speech-to-text model of the OpenAI-compatible API (its `/audio/transcriptions` route), used for
    /// voice input when the browser has no speech recognition of its own; empty = off. Only with
    /// the `openai` provider.
    #[arg(
        id = "transcribe_model",
        value_name = "TRANSCRIBE_MODEL",
        long = "transcribe-model",
        env = "TRANSCRIBE_MODEL",
        default_value = "whisper-1"
    )]
    pub transcribe_model: String,

    /// Largest accepted voice recording, bytes (the UI stops recording after 60 s).
    #[arg(
        id = "transcribe_max_bytes",
        value_name = "TRANSCRIBE_MAX_BYTES",
        long = "transcribe-max-bytes",
        env = "TRANSCRIBE_MAX_BYTES",
        default_value_t = 4 * 1024 * 1024
    )]
    pub transcribe_max_bytes: usize,
}

/// The MCP server: where the agent reaches it, and who may call `/mcp`.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "MCP")]
pub struct McpSettings {
    /// Streamable-HTTP URL of a separate MCP service; unset = in-process MCP.
    #[arg(
        id = "mcp_url",
        value_name = "MCP_URL",
        long = "mcp-url",
        env = "MCP_URL",
        value_parser = parse::mcp_url
    )]
    pub url: Option<Url>,

    /// Host header values the /mcp endpoint accepts (DNS-rebinding protection), comma separated.
    /// The host of BETTER_AUTH_URL, localhost and 127.0.0.1 are always allowed; `*` allows any.
    #[arg(
        id = "mcp_allowed_hosts",
        value_name = "MCP_ALLOWED_HOSTS",
        long = "mcp-allowed-hosts",
        env = "MCP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,

    /// Public URL of the MCP resource (the `aud` of MCP access tokens, advertised in its OAuth
    /// metadata); default: BETTER_AUTH_URL + `/mcp`. Set it when `todobot mcp` is reached elsewhere.
    #[arg(
        id = "mcp_public_url",
        value_name = "MCP_PUBLIC_URL",
        long = "mcp-public-url",
        env = "MCP_PUBLIC_URL",
        value_parser = parse::mcp_public_url
    )]
    pub public_url: Option<parse::OptionalUrl>,

    /// Browser origins allowed to call /mcp besides the app's own (comma separated); a request
    /// with any other `Origin` gets 403. Requests without `Origin` (non-browser clients) are allowed.
    #[arg(
        id = "mcp_allowed_origins",
        value_name = "MCP_ALLOWED_ORIGINS",
        long = "mcp-allowed-origins",
        env = "MCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
}

impl McpSettings {
    /// MCP_PUBLIC_URL when set to a URL (an empty value means unset).
    pub fn public_url(&self) -> Option<&Url> {
        self.public_url.as_ref().and_then(|u| u.0.as_ref())
    }
}
