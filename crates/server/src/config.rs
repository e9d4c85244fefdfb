//! Runtime configuration: environment variables (12-factor), each also a command-line flag.
//! Every variable is documented in `.env.example` at the repository root.

//!
//! Grouped in sections (zero2prod's `configuration.rs` style): [`ServerSettings`],
//! [`DatabaseSettings`], [`AuthSettings`], [`LlmSettings`], [`McpSettings`] and [`Resilience`].
//! Secrets are [`SecretString`]s (never in `Debug` output or logs; read with
//! [`ExposeSecret::expose_secret`]) and URLs are [`Url`]s, checked when the configuration is read.

use std::time::Duration;

use clap::{Args, ValueEnum};

mod parse;
mod resilience;
mod sections;
pub use parse::{OptionalUrl, http_url, trimmed};
pub use resilience::Resilience;
pub use secrecy::{ExposeSecret, SecretString};
pub use sections::{AuthSettings, DatabaseSettings, LlmSettings, McpSettings, ServerSettings};
pub use url::Url;

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

    /// Log output: `text` or `json`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub server: ServerSettings,

    #[command(flatten)]
    pub database: DatabaseSettings,

    #[command(flatten)]
    pub auth: AuthSettings,

    #[command(flatten)]
    pub llm: LlmSettings,

    #[command(flatten)]
    pub mcp: McpSettings,

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
    pub fn effective_database_url(&self) -> SecretString {
        match &self.database.url {
            Some(url) => url.clone(),
            None => SecretString::from(format!(
                "sqlite://{}?mode=rwc",
                self.database.data_dir.join("todobot.db").display()
            )),
        }
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.auth.access_token_ttl_secs.max(1))
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.auth.session_ttl_secs.max(60))
    }

    /// The LLM provider actually used once `auto` is resolved.
    pub fn resolved_llm_provider(&self) -> LlmProvider {
        match self.llm.provider {
            LlmProvider::Auto => {
                if self
                    .llm
                    .api_key
                    .as_ref()
                    .is_some_and(|k| !k.expose_secret().trim().is_empty())
                {
                    LlmProvider::Openai
                } else {
                    LlmProvider::Local
                }
            }
            other => other,
        }
    }

    /// Checks the configuration for mistakes that must stop startup. (URLs are checked when the
    /// configuration is read: see [`parse`].)
    pub fn validate(&self) -> Result<(), String> {
        if self.is_production() {
            match &self.auth.secret {
                None => {
                    return Err(
                        "APP_ENV=production requires BETTER_AUTH_SECRET (at least 32 characters)"
                            .into(),
                    );
                }
                Some(s) if !is_strong_secret(s.expose_secret()) => {
                    return Err(
                        "BETTER_AUTH_SECRET must be at least 32 characters and not a placeholder"
                            .into(),
                    );
                }
                Some(_) => {}
            }
            if self.auth.oauth_cimd_allow_private {
                return Err(
                    "OAUTH_CIMD_ALLOW_PRIVATE is for development and tests, not APP_ENV=production"
                        .into(),
                );
            }
        }
        if let Some(s) = &self.auth.secret
            && s.expose_secret().len() < 32
        {
            return Err("BETTER_AUTH_SECRET must be at least 32 characters".into());
        }
        if self.llm.agent_max_turns == 0 || self.llm.history_window == 0 {
            return Err("AGENT_MAX_TURNS and HISTORY_WINDOW must be at least 1".into());
        }
        Ok(())
    }

    /// Host header values accepted by /mcp.
    pub fn allowed_mcp_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()];
        if let Some(h) = url_host(self.server.public_url.as_str()) {
            hosts.push(h);
        }
        hosts.extend(
            self.mcp
                .allowed_hosts
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
    fn secrets_are_not_in_debug_output() {
        let c = Config::from_args([
            "--better-auth-secret",
            "s3cr3t-value-that-is-long-enough-xyz",
            "--openai-api-key",
            "sk-api-key-value",
            "--database-url",
            "postgres://todobot:db-password@db:5432/todobot",
        ])
        .unwrap();
        let printed = format!("{c:?}");
        for secret in ["s3cr3t", "sk-api-key-value", "db-password"] {
            assert!(!printed.contains(secret), "{secret} printed in {printed}");
        }
        assert!(printed.contains("REDACTED"), "{printed}");
        let db = c.effective_database_url();
        assert!(!format!("{db:?}").contains("db-password"));
        assert_eq!(
            db.expose_secret(),
            "postgres://todobot:db-password@db:5432/todobot"
        );
    }

    #[test]
    fn urls_are_checked_with_the_variable_named() {
        for (flag, var) in [
            ("--public-url", "BETTER_AUTH_URL"),
            ("--openai-base-url", "OPENAI_BASE_URL"),
            ("--mcp-url", "MCP_URL"),
            ("--mcp-public-url", "MCP_PUBLIC_URL"),
        ] {
            for bad in ["ftp://x", "not a url", "http://"] {
                let err = Config::from_args([flag, bad]).unwrap_err().to_string();
                assert!(
                    err.contains(&format!("{var} must be an absolute http(s) URL")),
                    "{flag} {bad}: {err}"
                );
            }
        }
        let c = Config::from_args(["--mcp-public-url", ""]).unwrap();
        assert_eq!(c.mcp.public_url(), None);
        let c = Config::from_args(["--mcp-public-url", "https://mcp.example.com/mcp"]).unwrap();
        assert_eq!(
            c.mcp.public_url().map(Url::as_str),
            Some("https://mcp.example.com/mcp")
        );
        assert_eq!(trimmed(&c.server.public_url), "http://localhost:8080");
    }

    #[test]
    fn zero_turns_or_history_is_refused() {
        let c = Config::from_args(["--agent-max-turns", "0"]).unwrap();
        assert_eq!(
            c.validate().unwrap_err(),
            "AGENT_MAX_TURNS and HISTORY_WINDOW must be at least 1"
        );
    }

    /// Grouping the settings into sections keeps every flag, environment variable and default.
    #[test]
    fn flags_environment_and_defaults_are_unchanged() {
        use clap::CommandFactory;
        let mut rows: Vec<String> = ConfigOnly::command()
            .get_arguments()
            .map(|a| {
                format!(
                    "{} <{}> {} {:?} hide_env_values={}",
                    a.get_long().unwrap_or("-"),
                    a.get_value_names()
                        .map(|v| v.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" "))
                        .unwrap_or_default(),
                    a.get_env()
                        .map(|e| e.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    a.get_default_values(),
                    a.is_hide_env_values_set()
                )
            })
            .collect();
        rows.sort();
        assert_eq!(rows.join("\n"), include_str!("config/flags.txt").trim_end());
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
