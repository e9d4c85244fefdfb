//! Resilience settings: turn leases, HTTP connection limits, shutdown, database timeouts, startup
//! waits and forwarded-header trust. Grouped here (flattened into [`super::Config`]); each is an
//! environment variable documented in `.env.example` and the chart's values.

use clap::Args;

#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Resilience")]
pub struct Resilience {
    /// Lease of a running chat turn on its conversation, seconds. The turn renews it every third of
    /// this while it runs; after a crash the conversation is free again within this long.
    #[arg(long, env = "TURN_LEASE_SECS", default_value_t = 15)]
    pub turn_lease_secs: u64,

    /// Time a client has to send a request's headers, seconds (slow clients are disconnected).
    #[arg(long, env = "HTTP_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub http_header_timeout_secs: u64,

    /// Time a client has to send a request's whole body, seconds (408 after that).
    #[arg(long, env = "HTTP_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub http_body_timeout_secs: u64,

    /// An idle keep-alive connection is closed after this many seconds.
    #[arg(long, env = "HTTP_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub http_idle_timeout_secs: u64,

    /// Most client connections open at once; further clients wait in the listen backlog.
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", default_value_t = 1024)]
    pub http_max_connections: usize,

    /// On SIGTERM: how long in-flight requests may take to finish before the rest are cut, seconds
    /// (keep it below Kubernetes' terminationGracePeriodSeconds, 30 by default).
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 20)]
    pub shutdown_timeout_secs: u64,

    /// PostgreSQL statement_timeout, milliseconds; and the bound on any one database call (503 after
    /// it). 0 = no bound.
    #[arg(long, env = "DB_STATEMENT_TIMEOUT_MS", default_value_t = 10_000)]
    pub db_statement_timeout_ms: u64,

    /// SQLite: how long a write waits for the database lock, milliseconds.
    #[arg(long, env = "DB_BUSY_TIMEOUT_MS", default_value_t = 5_000)]
    pub db_busy_timeout_ms: u64,

    /// `serve` and `mcp`: how long to wait at startup for the database (and its schema) to become
    /// available, seconds, retrying with a logged backoff. 0 = fail at once.
    #[arg(long, env = "DB_WAIT_SECS", default_value_t = 120)]
    pub db_wait_secs: u64,

    /// With TRUST_PROXY_HEADERS: how many proxies in front of todobot append to X-Forwarded-For.
    /// The client address is the entry this many places from the right (1 = one Ingress).
    #[arg(long, env = "TRUSTED_PROXY_HOPS", default_value_t = 1)]
    pub trusted_proxy_hops: usize,

    /// Failed sign-ins allowed per account per window from all clients together (the slower global
    /// backoff; SIGNIN_MAX_FAILURES_PER_ACCOUNT counts per account and client).
    #[arg(
        long,
        env = "SIGNIN_MAX_FAILURES_PER_ACCOUNT_GLOBAL",
        default_value_t = 50
    )]
    pub signin_max_failures_per_account_global: i64,
}
