//! Wiring: the database pool and the three roles (stream, work, serve).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use phetools_queue::{Registry, WorkerPool};
use phetools_stream::{Rules, StreamConsumer};
use phetools_textlayer::{TextLayerHandler, TextLayerStore};
use phetools_wiki::{Downloader, WikiClient};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use tokio::task::JoinSet;
use tracing::info;

use crate::config::{Config, ProcessEnvironment};
use crate::shutdown;

/// The rules file compiled into the binary, used when the configured file does not exist
/// at its default relative path (a container has no checkout).
const DEFAULT_RULES: &str = include_str!("../streams.toml");

/// Migrations compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Roles this process runs.
#[derive(Debug, Clone, Copy)]
pub struct Roles {
    pub stream: bool,
    pub work: bool,
    pub serve: bool,
}

/// Opens the pool; the URL is never logged.
pub async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    let url = config.database_url(&ProcessEnvironment)?;
    let options: PgConnectOptions = url
        .expose()
        .parse()
        .context("invalid database URL: expected postgres://user:password@host:port/database")?;
    let options = options.application_name("phetools");
    // One direct connection first: a pool that cannot connect reports only a
    // timeout, which hides the cause (connection refused, unknown role, bad password).
    let probe = options
        .connect()
        .await
        .context("cannot connect to the database; check that PostgreSQL is running and DATABASE_URL is right")?;
    probe.close().await.ok();
    PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(30))
        // A broken connection fails its query, which every caller retries; the
        // default ping before each acquire would add a round trip to every statement.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .context("cannot connect to the database; check that PostgreSQL is running and DATABASE_URL is right")
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let pool = connect(config).await?;
    apply_migrations(&pool).await
}

pub async fn apply_migrations(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("database migration failed")?;
    info!("database schema is up to date");
    Ok(())
}

/// Runs the selected roles until SIGINT or SIGTERM, or until one of them fails.
pub async fn run_roles(config: &Config, roles: Roles) -> anyhow::Result<()> {
    let pool = connect(config).await?;
    apply_migrations(&pool).await?;
    let shutdown = shutdown::on_signal();
    let mut tasks: JoinSet<(&'static str, anyhow::Result<()>)> = JoinSet::new();

    if roles.stream {
        let consumer = StreamConsumer::new(
            pool.clone(),
            config.stream.clone(),
            load_rules(&config.stream.rules_path)?,
        )?;
        let token = shutdown.clone();
        tasks.spawn(async move { ("stream", consumer.run(token).await.map_err(anyhow::Error::from)) });
    }
    if roles.work {
        let workers = WorkerPool::new(pool.clone(), registry(config, &pool)?, config.queue.clone())?;
        let token = shutdown.clone();
        tasks.spawn(async move {
            workers.run(token).await;
            ("work", Ok(()))
        });
    }
    if roles.serve {
        let state = phetools_web::AppState::new(pool.clone());
        let listen = config.listen;
        let token = shutdown.clone();
        tasks.spawn(async move { ("serve", phetools_web::serve(listen, state, token).await) });
    }

    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let (role, result) = joined.context("a role task panicked")?;
        match result {
            Ok(()) => info!(role, "stopped"),
            Err(error) => {
                tracing::error!(
                    role,
                    error = format!("{error:#}"),
                    "stopped with an error; shutting down the other roles"
                );
                first_error.get_or_insert(error.context(format!("{role} failed")));
            }
        }
        shutdown.cancel();
    }
    pool.close().await;
    first_error.map_or(Ok(()), Err)
}

/// Loads the configured rules file, or the compiled-in copy when the default
/// relative path `streams.toml` does not exist.
fn load_rules(path: &Path) -> anyhow::Result<Rules> {
    if path == Path::new("streams.toml") && !path.exists() {
        info!("streams.toml not found in the working directory; using the rules compiled into the binary");
        return Ok(Rules::parse(DEFAULT_RULES, "streams.toml (built in)")?);
    }
    Ok(Rules::load(path)?)
}

/// Builds the handlers of every job kind in this build.
fn registry(config: &Config, pool: &PgPool) -> anyhow::Result<Registry> {
    let wiki = Arc::new(WikiClient::new(config.wiki.clone()).context("invalid [wiki] settings")?);
    let downloader =
        Downloader::new(config.download.clone(), &config.wiki.user_agent).context("invalid [download] settings")?;
    let text_layers = TextLayerHandler::new(
        wiki,
        downloader,
        TextLayerStore::new(pool.clone()),
        config.extract.clone(),
    );

    let mut registry = Registry::new();
    registry.register(phetools_textlayer::JOB_KIND, text_layers);
    Ok(registry)
}

/// Arguments of `phetools replay-stream`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// SSE capture to serve (`event:`/`id:`/`data:` frames separated by blank lines).
    pub file: PathBuf,
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
}

/// Serves a recorded SSE capture until SIGINT or SIGTERM.
pub async fn replay_stream(args: ReplayArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "rejected listen address {}: recorded events are served on loopback only, such as 127.0.0.1:8081",
            args.listen
        );
    }
    let capture = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let frames = phetools_stream::replay::frames_from_sse(&capture);
    if frames.is_empty() {
        anyhow::bail!("{} contains no SSE frame", args.file.display());
    }
    let server =
        phetools_stream::ReplayServer::start_on(args.listen, frames.clone(), phetools_stream::Faults::default())
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
    info!(frames = frames.len(), url = %server.base_url(), "replaying; point PHETOOLS_EVENTSTREAMS_URL at this URL");
    shutdown::on_signal().cancelled().await;
    server.shutdown().await;
    Ok(())
}
