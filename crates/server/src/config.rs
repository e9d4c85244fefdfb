//! Runtime configuration: environment variables (12-factor), each also a command-line flag.
//! Every variable is documented in `.env.example` at the repository root.

use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

use clap::{ArgAction, Args, ValueEnum};

mod resilience;
pub use resilience::Resilience;

/// A secret value: never printed by `Debug`/`Display`, only readable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LlmProvider {
    /// `openai` when OPENAI_API_KEY is set, else `local`.
    Auto,
    /// Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, LM Studio).
    Openai,
    /// The deterministic offline planner.
    Local,
}

/// Configuration shared by `todobot serve` and `todobot mcp`.
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// `production` refuses to start without a real BETTER_AUTH_SECRET.
    #[arg(long, env = "APP_ENV", value_enum, default_value = "development")]
    pub app_env: AppEnv,

    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user:pass@host:5432/db`.
    /// Default: an SQLite file in DATA_DIR.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,

    /// Directory for the default SQLite database and the generated development secret.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// PostgreSQL schema to use (created if missing); default: the server's search_path.
    #[arg(long, env = "DATABASE_SCHEMA")]
    pub database_schema: Option<String>,

    /// Maximum pooled database connections per process.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// How long a request waits for a database connection before failing with 503.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2000)]
    pub db_acquire_timeout_ms: u64,

    /// Apply pending migrations at startup.
    #[arg(long, env = "MIGRATE_ON_START", default_value_t = true, action = ArgAction::Set)]
    pub migrate_on_start: bool,

    /// Server secret: encrypts signing keys at rest and verifies HS256 tokens from a Better Auth
    /// frontend (shared-secret setup). Generated and kept in DATA_DIR in development when unset.
    #[arg(long, env = "BETTER_AUTH_SECRET", hide_env_values = true)]
    pub better_auth_secret: Option<Secret>,

    /// Public base URL of this server; the issuer and audience of the tokens it signs.
    #[arg(long, env = "BETTER_AUTH_URL", default_value = "http://localhost:8080")]
    pub public_url: String,

    /// Extra issuers accepted on HS256 tokens (e.g. your Better Auth frontend's URL), comma separated.
    #[arg(long, env = "AUTH_TRUSTED_ISSUERS", value_delimiter = ',')]
    pub trusted_issuers: Vec<String>,

    /// Lifetime of access tokens (JWTs), seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of sign-in sessions, seconds.
    #[arg(long, env = "SESSION_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub session_ttl_secs: u64,

    /// Sign-in attempts allowed per client address per window.
    #[arg(long, env = "SIGNIN_MAX_PER_CLIENT", default_value_t = 20)]
    pub signin_max_per_client: i64,

    /// Failed sign-ins allowed per account and client per window (then 429 for that client only).
    #[arg(long, env = "SIGNIN_MAX_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub signin_max_failures_per_account: i64,

    /// Length of the sign-in rate-limit window, seconds.
    #[arg(long, env = "SIGNIN_WINDOW_SECS", default_value_t = 300)]
    pub signin_window_secs: i64,

    /// Take the client address from X-Forwarded-For / X-Real-IP (only behind a trusted proxy).
    #[arg(long, env = "TRUST_PROXY_HEADERS", default_value_t = false, action = ArgAction::Set)]
    pub trust_proxy_headers: bool,

    /// Origins allowed to call the API from a browser (CORS), comma separated; empty = same origin only.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Largest accepted request body, bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Which model the agent uses.
    #[arg(long, env = "LLM_PROVIDER", value_enum, default_value = "auto")]
    pub llm_provider: LlmProvider,

    /// API key for the OpenAI-compatible endpoint.
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<Secret>,

    /// Base URL of the OpenAI-compatible API (OpenAI, Ollama, vLLM, LM Studio...).
    #[arg(
        long,
        env = "OPENAI_BASE_URL",
        default_value = "https://api.openai.com/v1"
    )]
    pub openai_base_url: String,

    /// Model id for chat completions.
    #[arg(long, env = "OPENAI_MODEL", default_value = "gpt-4o-mini")]
    pub openai_model: String,

    /// Bound on one LLM request, seconds.
    #[arg(long, env = "LLM_TIMEOUT_SECS", default_value_t = 60)]
    pub llm_timeout_secs: u64,

    /// Retries of a failed LLM request (5xx / connection errors).
    #[arg(long, env = "LLM_MAX_RETRIES", default_value_t = 2)]
    pub llm_max_retries: u32,

    /// Model round trips allowed in one chat turn.
    #[arg(long, env = "AGENT_MAX_TURNS", default_value_t = 8)]
    pub agent_max_turns: usize,

    /// Messages of history sent to the model each turn.
    #[arg(long, env = "HISTORY_WINDOW", default_value_t = 20)]
    pub history_window: usize,

    /// Streamable-HTTP URL of a separate MCP service; unset = in-process MCP.
    #[arg(long, env = "MCP_URL")]
    pub mcp_url: Option<String>,

    /// Host header values the /mcp endpoint accepts (DNS-rebinding protection), comma separated.
    /// The host of BETTER_AUTH_URL, localhost and 127.0.0.1 are always allowed; `*` allows any.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub mcp_allowed_hosts: Vec<String>,

    /// Public URL of the MCP resource (the `aud` of MCP access tokens, advertised in its OAuth
    /// metadata); default: BETTER_AUTH_URL + `/mcp`. Set it when `todobot mcp` is reached elsewhere.
    #[arg(long, env = "MCP_PUBLIC_URL")]
    pub mcp_public_url: Option<String>,

    /// Browser origins allowed to call /mcp besides the app's own (comma separated); a request
    /// with any other `Origin` gets 403. Requests without `Origin` (non-browser clients) are allowed.
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub mcp_allowed_origins: Vec<String>,

    /// Lifetime of OAuth refresh tokens for MCP clients, seconds (each refresh rotates the token).
    #[arg(long, env = "OAUTH_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub oauth_refresh_token_ttl_secs: u64,

    /// Accept an https URL as `client_id` (OAuth Client ID Metadata Documents): the document is
    /// fetched from the client's site and validated, no registration needed.
    #[arg(long, env = "OAUTH_CLIENT_ID_METADATA_DOCUMENTS", default_value_t = true, action = ArgAction::Set)]
    pub oauth_client_id_metadata_documents: bool,

    /// Development and tests only: fetch client metadata documents from loopback, private and
    /// link-local addresses too, over plain http as well (off: public https addresses only).
    #[arg(long, env = "OAUTH_CIMD_ALLOW_PRIVATE", default_value_t = false, action = ArgAction::Set)]
    pub oauth_cimd_allow_private: bool,

    /// Domain key for OpenAI's hosted ChatKit web component; when set the UI uses it.
    #[arg(long, env = "CHATKIT_DOMAIN_KEY")]
    pub chatkit_domain_key: Option<String>,

    /// Serve Prometheus /metrics on this separate address (e.g. `0.0.0.0:9090`) and not on the main
    /// one; unset = /metrics on the main address.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<String>,

    /// Speech-to-text model of the OpenAI-compatible API (its `/audio/transcriptions` route), used for
    /// voice input when the browser has no speech recognition of its own; empty = off. Only with
    /// the `openai` provider.
    #[arg(long, env = "TRANSCRIBE_MODEL", default_value = "whisper-1")]
    pub transcribe_model: String,

    /// Largest accepted voice recording, bytes (the UI stops recording after 60 s).
    #[arg(long, env = "TRANSCRIBE_MAX_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub transcribe_max_bytes: usize,

    /// Log output: `text` or `json`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Resilience: turn leases, HTTP limits, shutdown, database timeouts, startup wait, proxy hops.
    #[command(flatten)]
    pub resilience: Resilience,
}

/// Parses only the configuration (for tests and tools): environment plus the given flags.
#[derive(clap::Parser, Debug)]
#[command(no_binary_name = true)]
struct ConfigOnly {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// Configuration from the environment and the given flags.
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::Parser;
        ConfigOnly::try_parse_from(args).map(|c| c.config)
    }

    /// The database URL in effect: DATABASE_URL, or an SQLite file in DATA_DIR.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("todobot.db").display()
            ),
        }
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs.max(1))
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs.max(60))
    }

    /// The LLM provider actually used once `auto` is resolved.
    pub fn resolved_llm_provider(&self) -> LlmProvider {
        match self.llm_provider {
            LlmProvider::Auto => {
                if self
                    .openai_api_key
                    .as_ref()
                    .is_some_and(|k| !k.expose().trim().is_empty())
                {
                    LlmProvider::Openai
                } else {
                    LlmProvider::Local
                }
            }
            other => other,
        }
    }

    /// Checks the configuration for mistakes that must stop startup.
    pub fn validate(&self) -> Result<(), String> {
        if self.is_production() {
            match &self.better_auth_secret {
                None => {
                    return Err(
                        "APP_ENV=production requires BETTER_AUTH_SECRET (at least 32 characters)"
                            .into(),
                    );
                }
                Some(s) if !is_strong_secret(s.expose()) => {
                    return Err(
                        "BETTER_AUTH_SECRET must be at least 32 characters and not a placeholder"
                            .into(),
                    );
                }
                Some(_) => {}
            }
            if self.oauth_cimd_allow_private {
                return Err(
                    "OAUTH_CIMD_ALLOW_PRIVATE is for development and tests, not APP_ENV=production"
                        .into(),
                );
            }
        }
        if let Some(s) = &self.better_auth_secret
            && s.expose().len() < 32
        {
            return Err("BETTER_AUTH_SECRET must be at least 32 characters".into());
        }
        url_host(&self.public_url)
            .ok_or_else(|| "BETTER_AUTH_URL must be an absolute http(s) URL".to_string())?;
        if let Some(mcp) = self
            .mcp_public_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            && url_host(mcp).is_none()
        {
            return Err("MCP_PUBLIC_URL must be an absolute http(s) URL".into());
        }
        if let Some(mcp) = &self.mcp_url
            && url_host(mcp).is_none()
        {
            return Err("MCP_URL must be an absolute http(s) URL".into());
        }
        if self.resolved_llm_provider() == LlmProvider::Openai
            && url_host(&self.openai_base_url).is_none()
        {
            return Err("OPENAI_BASE_URL must be an absolute http(s) URL".into());
        }
        if self.agent_max_turns == 0 || self.history_window == 0 {
            return Err("AGENT_MAX_TURNS and HISTORY_WINDOW must be at least 1".into());
        }
        Ok(())
    }

    /// Host header values accepted by /mcp.
    pub fn allowed_mcp_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()];
        if let Some(h) = url_host(&self.public_url) {
            hosts.push(h);
        }
        hosts.extend(
            self.mcp_allowed_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty()),
        );
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

fn is_strong_secret(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    s.len() >= 32
        && ![
            "changeme",
            "change-me",
            "replace",
            "your-secret",
            "example",
            "secret-here",
        ]
        .iter()
        .any(|p| lower.contains(p))
        && s.chars().collect::<std::collections::HashSet<_>>().len() >= 8
}

/// The host (without port) of an absolute http(s) URL, lower-cased.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        format!("[{}]", v6.split(']').next()?)
    } else {
        authority.split(':').next()?.to_owned()
    };
    if host.is_empty() {
        None
    } else {
        Some(host.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_printed() {
        let c = Config::from_args([
            "--better-auth-secret",
            "s3cr3t-value-that-is-long-enough-xyz",
        ])
        .unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
    }

    #[test]
    fn production_requires_a_real_secret() {
        let c = Config::from_args(["--app-env", "production"]).unwrap();
        assert!(c.validate().is_err());
        let c = Config::from_args([
            "--app-env",
            "production",
            "--better-auth-secret",
            "changeme-changeme-changeme-changeme",
        ])
        .unwrap();
        assert!(c.validate().is_err());
        let c = Config::from_args([
            "--app-env",
            "production",
            "--better-auth-secret",
            "Zq8v1NnR0x7Lk2PbT5yW9mC3dF6hJ4sA",
        ])
        .unwrap();
        assert!(c.validate().is_ok());
    }

    #[test]
    fn hosts_are_parsed() {
        assert_eq!(
            url_host("https://todo.example.com:8443/x").as_deref(),
            Some("todo.example.com")
        );
        assert_eq!(url_host("http://[::1]:8080").as_deref(), Some("[::1]"));
        assert_eq!(url_host("ftp://x"), None);
    }
}
