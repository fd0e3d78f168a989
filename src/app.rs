//! Wiring: the database pool and the three roles (stream, work, serve).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use phetools_hocr::{HocrHandler, HocrStore};
use phetools_matchsplit::jobs::MatchSplitJobs;
use phetools_queue::{Registry, WorkerPool};
use phetools_stream::{Rules, StreamConsumer};
use phetools_textlayer::{TextLayerHandler, TextLayerStore};
use phetools_wiki::{Downloader, WikiBots, WikiClient};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

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
        // The statistics decode the events of these wikis, with the namespaces
        // stored by the last configuration refresh.
        let wikis = phetools_stats::WikiDirectory::load(&pool)
            .await
            .context("cannot read the statistics wikis")?;
        let consumer = StreamConsumer::new(
            pool.clone(),
            config.stream.clone(),
            load_rules(&config.stream.rules_path)?,
        )?
        .with_wikis(wikis);
        let token = shutdown.clone();
        tasks.spawn(async move { ("stream", consumer.run(token).await.map_err(anyhow::Error::from)) });
    }
    let engines = if roles.work {
        Some(phetools_ocr::EnginePool::start(&config.ocr).context("cannot start the OCR engine threads")?)
    } else {
        None
    };
    if let Some(engines) = &engines {
        let workers = WorkerPool::new(pool.clone(), registry(config, &pool, engines)?, config.queue.clone())?;
        let (schedule_pool, token) = (pool.clone(), shutdown.clone());
        tasks.spawn(async move {
            schedule_statistics(schedule_pool, token).await;
            ("statistics schedule", Ok(()))
        });
        let (refresh_pool, token) = (pool.clone(), shutdown.clone());
        tasks.spawn(async move {
            queue_stats_config_refresh(refresh_pool, token).await;
            ("stats-config", Ok(()))
        });
        let token = shutdown.clone();
        tasks.spawn(async move {
            workers.run(token).await;
            ("work", Ok(()))
        });
    }
    if roles.serve {
        let state = phetools_web::AppState::with_hocr_config(pool.clone(), &config.hocr)
            .with_legacy_job_wait(config.match_split.legacy_wait());
        let state = state.clone().with_ocr(ocr_state(config, &state, engines.clone())?);
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

/// Queues the statistics configuration refresh daily at
/// [`phetools_stats::wiki_config::REFRESH_TIME`] UTC until shutdown. Until the
/// first refresh the statistics use the shipped namespace table. A failed
/// enqueue is logged and tried again at the next time.
async fn queue_stats_config_refresh(pool: PgPool, shutdown: tokio_util::sync::CancellationToken) {
    use phetools_stats::wiki_config::{config_job, until_next_refresh};
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(until_next_refresh(chrono::Utc::now())) => {}
        }
        let enqueued = match pool.acquire().await {
            Ok(mut connection) => phetools_queue::enqueue(&mut connection, &config_job()).await,
            Err(error) => Err(error),
        };
        if let Err(error) = enqueued {
            warn!(%error, "cannot queue the statistics configuration refresh; trying again at the next refresh time");
        }
    }
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

/// Builds the OCR routes' state: the request service and the rate limiter.
fn ocr_state(
    config: &Config,
    state: &phetools_web::AppState,
    engines: Option<phetools_ocr::EnginePool>,
) -> anyhow::Result<phetools_web::ocr::OcrState> {
    let ocr = &config.ocr;
    let languages = ocr_languages(config)?;
    let fetcher =
        phetools_ocr::ImageFetcher::new(ocr, &config.wiki.user_agent).map_err(|message| anyhow::anyhow!(message))?;
    let service = phetools_ocr::OcrService::new(state.pool.clone(), state.waiter.clone(), ocr, languages, fetcher);
    let limiter =
        phetools_web::ocr::ClientLimiter::new(ocr.rate_limit_per_minute, ocr.rate_limit_burst, ocr.trust_forwarded_for)
            .map(Arc::new);
    Ok(phetools_web::ocr::OcrState {
        service,
        engines,
        limiter,
    })
}

/// Lists the installed tesseract models and the default one.
fn ocr_languages(config: &Config) -> anyhow::Result<Arc<phetools_ocr::Languages>> {
    let ocr = &config.ocr;
    let languages = phetools_ocr::Languages::load(&ocr.tessdata_dir, &ocr.default_language)
        .with_context(|| format!("cannot list the OCR models in {}", ocr.tessdata_dir.display()))?;
    Ok(Arc::new(languages))
}

/// Builds the handlers of every job kind in this build.
fn registry(config: &Config, pool: &PgPool, engines: &phetools_ocr::EnginePool) -> anyhow::Result<Registry> {
    let wiki = Arc::new(WikiClient::new(config.wiki.clone()).context("invalid [wiki] settings")?);
    let downloader =
        Downloader::new(config.download.clone(), &config.wiki.user_agent).context("invalid [download] settings")?;
    let text_layers = TextLayerHandler::new(
        wiki.clone(),
        downloader.clone(),
        TextLayerStore::new(pool.clone()),
        config.extract.clone(),
    );
    // Pages without a text layer are read by tesseract on the OCR engine threads.
    let recognizer = phetools_ocr::HocrRecognizer::new(engines.clone(), ocr_languages(config)?);
    let (wiki_for_jobs, downloader_for_jobs) = (wiki.clone(), downloader.clone());
    let stats_recheck = phetools_stats::recheck::RecheckHandler::new(pool.clone(), wiki.clone());
    let stats_config = phetools_stats::wiki_config::WikiConfigHandler::new(pool.clone(), wiki.clone());
    let hocr = HocrHandler::new(
        wiki,
        downloader,
        TextLayerStore::new(pool.clone()),
        HocrStore::new(pool.clone()),
        config.extract.clone(),
        config.hocr.clone(),
    )
    .with_recognizer(Arc::new(recognizer));

    let fetcher = phetools_ocr::ImageFetcher::new(&config.ocr, &config.wiki.user_agent)
        .map_err(|message| anyhow::anyhow!(message))
        .context("invalid [ocr] settings")?;
    let ocr = phetools_ocr::OcrHandler::new(fetcher, engines.clone(), phetools_ocr::OcrCache::new(pool.clone()));

    let mut registry = Registry::new();
    registry.register(phetools_textlayer::JOB_KIND, text_layers);
    match_split_jobs(config, pool, wiki_for_jobs, downloader_for_jobs)?.register(&mut registry);
    registry.register(phetools_hocr::JOB_KIND, hocr);
    registry.register(phetools_ocr::JOB_KIND, ocr);
    register_statistics_jobs(config, pool, &mut registry)?;
    registry.register(phetools_stats::recheck::RECHECK_JOB_KIND, stats_recheck);
    registry.register(phetools_stats::wiki_config::CONFIG_JOB_KIND, stats_config);
    Ok(registry)
}

/// Registers the stats_daily and stats_recount jobs. Recounts read and
/// templates are saved as the bot account of the match and split jobs.
/// Without credentials the recounts read anonymously (500 items per list
/// instead of 5,000), and the template saves fail.
fn register_statistics_jobs(config: &Config, pool: &PgPool, registry: &mut Registry) -> anyhow::Result<()> {
    config.stats.validate().context("invalid [stats] settings")?;
    let credentials = crate::config::bot_credentials(&ProcessEnvironment)?;
    let bots = Arc::new(WikiBots::new(config.wiki.clone(), credentials).context("invalid [wiki] settings")?);
    let daily = phetools_stats::jobs::DailyJobHandler::new(pool.clone(), bots.clone(), config.stats.clone());
    let recount = phetools_stats::jobs::RecountJobHandler::new(pool.clone(), bots, config.stats.clone());
    registry.register(phetools_stats::jobs::DAILY_JOB_KIND, daily);
    registry.register(phetools_stats::jobs::RECOUNT_JOB_KIND, recount);
    Ok(())
}

/// Queues the daily statistics jobs at start and then every hour until
/// shutdown. A wiki that the configuration refresh adds to `stats_wiki` so
/// gets its first day within the hour, and each daily job queues the next
/// day's. A failure is logged and retried at the next hour.
async fn schedule_statistics(pool: PgPool, shutdown: tokio_util::sync::CancellationToken) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            () = shutdown.cancelled() => return,
        }
        let today = chrono::Utc::now().date_naive();
        match phetools_stats::jobs::schedule_daily_jobs(&pool, today).await {
            Ok(wikis) => debug!(wikis, "daily statistics jobs queued"),
            Err(error) => warn!(error = %error, "cannot queue the daily statistics jobs; retrying in an hour"),
        }
    }
}

/// The match, split, extract_text_layer and verify_match jobs. They edit as the bot
/// account of `PHETOOLS_BOT_USER`/`PHETOOLS_BOT_PASSWORD` or `PHETOOLS_OAUTH_TOKEN`;
/// without credentials every edit fails with a message that names these variables.
fn match_split_jobs(
    config: &Config,
    pool: &PgPool,
    wiki: Arc<WikiClient>,
    downloader: Downloader,
) -> anyhow::Result<MatchSplitJobs> {
    let credentials = crate::config::bot_credentials(&ProcessEnvironment)?;
    if credentials.is_none() {
        warn!("no bot credentials are set: match, split, extract and verify jobs will fail at their first edit");
    }
    let bots = Arc::new(WikiBots::new(config.wiki.clone(), credentials).context("invalid [wiki] settings")?);
    let store = TextLayerStore::new(pool.clone());
    let text_layers = TextLayerHandler::new(wiki.clone(), downloader, store.clone(), config.extract.clone());
    let verify_rules = config.match_split.verify_rules().context("invalid verify rules")?;
    Ok(MatchSplitJobs::new(bots, wiki, text_layers, store, verify_rules))
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
