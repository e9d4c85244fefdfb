use std::{process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use todobot_server::config::{Config, LogFormat};

#[derive(Debug, Parser)]
#[command(
    name = "todobot",
    version,
    about = "A multi-user todo app whose main interface is an AI chatbot"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server: UI, REST API, auth, chat, ChatKit, MCP at /mcp (the default).
    Serve(ServeArgs),
    /// Run the MCP server alone: Streamable HTTP at /mcp (own Deployment), or stdio for one local user.
    Mcp(McpArgs),
    /// Apply database migrations and exit.
    Migrate(MigrateArgs),
    /// GET a URL and exit 0 on a 2xx answer (container health checks, `helm test`).
    Probe(ProbeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "0.0.0.0:8080")]
    bind: String,
    #[command(flatten)]
    config: Config,
}

#[derive(Debug, clap::Args)]
struct McpArgs {
    /// Address to listen on (HTTP mode).
    #[arg(long, env = "BIND", default_value = "0.0.0.0:8080")]
    bind: String,
    /// Serve over stdin/stdout instead of HTTP (for desktop MCP clients).
    #[arg(long, requires = "user")]
    stdio: bool,
    /// Email of the account the stdio server acts for.
    #[arg(long, env = "TODOBOT_USER")]
    user: Option<String>,
    #[command(flatten)]
    config: Config,
}

#[derive(Debug, clap::Args)]
struct MigrateArgs {
    /// Keep retrying the database connection this long (e.g. while it starts).
    #[arg(long, env = "MIGRATE_WAIT_SECS", default_value_t = 60)]
    wait_secs: u64,
    #[command(flatten)]
    config: Config,
}

#[derive(Debug, clap::Args)]
struct ProbeArgs {
    /// URL to fetch, e.g. http://127.0.0.1:8080/healthz
    url: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 5)]
    timeout_secs: u64,
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,rmcp=warn"));
    // logs go to stderr: stdout carries the MCP protocol in `todobot mcp --stdio`
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(true)
        // colours only for a person at a terminal (not in files, pipes or log collectors)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// Loads `.env` from the working directory, as `.env.example` describes: variables already in the
/// environment win. A missing file is fine; an unreadable or malformed one stops startup.
fn load_dotenv() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(e) => Err(format!("cannot load .env: {e}")),
    }
}

pub fn main() -> ExitCode {
    if let Err(e) = load_dotenv() {
        eprintln!("todobot: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("todobot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => {
                let args = ServeArgs::from_env()?;
                serve(args).await
            }
            Some(Command::Serve(args)) => serve(args).await,
            Some(Command::Mcp(args)) => mcp(args).await,
            Some(Command::Migrate(args)) => migrate(args).await,
            Some(Command::Probe(args)) => probe(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "todobot failed");
            eprintln!("todobot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl ServeArgs {
    /// `todobot` with no subcommand: serve, configured from the environment.
    fn from_env() -> anyhow::Result<Self> {
        #[derive(Parser)]
        #[command(no_binary_name = true)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Only::try_parse_from(Vec::<String>::new())
            .map(|o| o.args)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.config.log_format);
    todobot_server::install_tls_provider();
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    todobot_server::run(args.config, listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn mcp(args: McpArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.config.log_format);
    todobot_server::install_tls_provider();
    if args.stdio {
        let email = args.user.as_deref().unwrap_or_default();
        todobot_server::mcp::run_stdio(args.config, email).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    todobot_server::mcp::run_http(args.config, listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn migrate(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.config.log_format);
    let deadline = std::time::Instant::now() + Duration::from_secs(args.wait_secs);
    let store = loop {
        match todobot_server::open_store(&args.config).await {
            Ok(s) => break s,
            Err(e) if std::time::Instant::now() < deadline => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "database not reachable yet; retrying"
                );
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(e),
        }
    };
    let pending = store.pending_migrations().await?;
    store.migrate().await.context("migration failed")?;
    tracing::info!(applied = ?pending, "database is up to date");
    Ok(ExitCode::SUCCESS)
}

async fn probe(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    todobot_server::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout_secs.max(1)))
        .build()
        .context("cannot build HTTP client")?;
    match client.get(&args.url).send().await {
        Ok(res) if res.status().is_success() => {
            println!("{} {}", res.status().as_u16(), args.url);
            Ok(ExitCode::SUCCESS)
        }
        Ok(res) => {
            eprintln!("{} {}", res.status().as_u16(), args.url);
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            eprintln!("probe failed: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
