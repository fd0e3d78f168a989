//! `phetools bench-ocr`: OCR pages per second through the service (enqueue →
//! worker → result) beside the tesseract command line on the same images, the
//! latency of cache hits on `/ocr.php` under wrk, and a worker's peak memory.
//!
//! It runs in a scratch database next to the configured one and drops it at the end.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::routing::get;
use phetools_ocr::handler::OcrPayload;
use phetools_ocr::{EnginePool, ImageFetcher, OcrCache, OcrConfig, OcrHandler, OcrService};
use phetools_queue::{NewJob, Queue, QueueConfig, Registry, WorkerPool};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::bench_wrk::{wait_for_server, PacedLoad};
use crate::config::{Config, ProcessEnvironment};

/// Arguments of `phetools bench-ocr`.
#[derive(Debug, clap::Args)]
pub struct BenchOcrArgs {
    /// Page images, read in turn (default: the engine test fixtures).
    #[arg(long, value_delimiter = ',')]
    pub images: Vec<PathBuf>,
    /// tesseract model of the images.
    #[arg(long, default_value = "eng")]
    pub lang: String,
    /// Pages per throughput measurement.
    #[arg(long, default_value_t = 12)]
    pub pages: usize,
    /// Pages for the peak memory measurement of one engine thread.
    #[arg(long, default_value_t = 300)]
    pub memory_pages: usize,
    /// Duration of the wrk run on cache hits, in seconds.
    #[arg(long, default_value_t = 10)]
    pub wrk_seconds: u32,
    /// Open connections of the wrk run.
    #[arg(long, default_value_t = 12)]
    pub wrk_connections: u32,
    /// Requests per second the wrk run aims at, at least.
    #[arg(long, default_value_t = 500)]
    pub wrk_rate: u32,
    /// Run orientation detection (OSD) before each page in the service, which the
    /// command line does not do by default.
    #[arg(long)]
    pub detect_orientation: bool,
}

const DEFAULT_IMAGES: [&str; 2] = [
    "crates/ocr/tests/fixtures/en_phototest.tif",
    "crates/ocr/tests/fixtures/en_huckfinn_1884_ch03_p029.jpg",
];

pub async fn run(config: &Config, args: BenchOcrArgs) -> anyhow::Result<()> {
    let url = config.database_url(&ProcessEnvironment)?;
    let base: PgConnectOptions = url.expose().parse().context("invalid database URL")?;
    let scratch = format!("phetools_bench_ocr_{}", std::process::id());
    crate::bench::create_database(&base, &scratch).await?;
    let outcome = run_in(base.clone().database(&scratch), &args).await;
    crate::bench::drop_database(&base, &scratch).await?;
    outcome
}

async fn run_in(options: PgConnectOptions, args: &BenchOcrArgs) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(12)
        .connect_with(options)
        .await
        .context("cannot connect to the scratch database")?;
    crate::app::MIGRATOR
        .run(&pool)
        .await
        .context("migrating the scratch database failed")?;

    let images: Vec<PathBuf> = if args.images.is_empty() {
        DEFAULT_IMAGES.iter().map(PathBuf::from).collect()
    } else {
        args.images.clone()
    };
    let bytes: Vec<Vec<u8>> = images
        .iter()
        .map(|path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display())))
        .collect::<anyhow::Result<_>>()?;
    let origin = serve_images(bytes.clone()).await?;
    println!(
        "images: {} ({} pages per measurement, model {})",
        images
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        args.pages,
        args.lang
    );
    println!(
        "OMP_THREAD_LIMIT of this process: {:?}",
        phetools_ocr::pool::omp_thread_limit()
    );

    let cli_single = cli_pages_per_second(&images, &args.lang, args.pages, Some("1"))?;
    let cli_default = cli_pages_per_second(&images, &args.lang, args.pages, None)?;
    let osd = args.detect_orientation;
    let service_one = service_pages_per_second(&pool, &origin, bytes.len(), &args.lang, args.pages, 1, osd).await?;
    let service_two = service_pages_per_second(&pool, &origin, bytes.len(), &args.lang, args.pages, 2, osd).await?;
    println!("orientation detection in the service: {osd}");
    println!("| measurement | pages/s | ratio |");
    println!("|---|---:|---:|");
    println!("| tesseract CLI, one process per page, OMP_THREAD_LIMIT=1 | {cli_single:.3} | 1.00 |");
    println!(
        "| tesseract CLI, one process per page, default threading | {cli_default:.3} | {:.2} |",
        cli_default / cli_single
    );
    println!(
        "| service, 1 engine thread | {service_one:.3} | {:.2} (target ≥ 1.1 of the first row); {:.2} of the second |",
        service_one / cli_single,
        service_one / cli_default
    );
    println!(
        "| service, 2 engine threads | {service_two:.3} | {:.2} of 1 thread (target ≥ 1.9) |",
        service_two / service_one
    );
    // The old tool ran one command line at a time over every core through
    // OpenMP. The service's default starts one engine thread per CPU, so both
    // set-ups use the whole machine.
    let cpus = phetools_ocr::OcrConfig::default().effective_engine_threads();
    let service_default = match cpus {
        1 => service_one,
        2 => service_two,
        _ => service_pages_per_second(&pool, &origin, bytes.len(), &args.lang, args.pages, cpus, osd).await?,
    };
    println!(
        "| service, default configuration ({cpus} engine threads, one per CPU) | {service_default:.3} | {:.2} of the second row (target ≥ 4) |",
        service_default / cli_default
    );

    let load = PacedLoad {
        rate: args.wrk_rate,
        connections: args.wrk_connections,
        seconds: args.wrk_seconds,
    };
    cache_hit_latency(&pool, &origin, load).await?;
    peak_memory(&bytes[0], &args.lang, args.memory_pages).await?;
    pool.close().await;
    Ok(())
}

/// Serves the images on loopback as page thumbnails `/img/<index>/page1-100px-<index>.jpg`.
async fn serve_images(images: Vec<Vec<u8>>) -> anyhow::Result<String> {
    let images = Arc::new(images);
    let router = axum::Router::new().route(
        "/img/{index}",
        get(move |axum::extract::Path(index): axum::extract::Path<usize>| {
            let images = Arc::clone(&images);
            async move { images.get(index).cloned().unwrap_or_default() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address: SocketAddr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://127.0.0.1:{}", address.port()))
}

/// Pages per second of one `tesseract` process per page, one at a time.
fn cli_pages_per_second(
    images: &[PathBuf],
    lang: &str,
    pages: usize,
    omp_thread_limit: Option<&str>,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    for page in 0..pages {
        let mut command = Command::new("tesseract");
        command
            .arg(&images[page % images.len()])
            .arg("stdout")
            .args(["-l", lang]);
        command.env_remove("OMP_THREAD_LIMIT");
        if let Some(limit) = omp_thread_limit {
            command.env("OMP_THREAD_LIMIT", limit);
        }
        let output = command.output().context("cannot run tesseract")?;
        if !output.status.success() {
            bail!("tesseract failed: {}", String::from_utf8_lossy(&output.stderr));
        }
    }
    Ok(pages as f64 / started.elapsed().as_secs_f64())
}

fn ocr_config(threads: usize, detect_orientation: bool) -> OcrConfig {
    OcrConfig {
        engine_threads: threads,
        detect_orientation,
        allowed_origins: vec!["http://localhost".to_owned()],
        allow_loopback: true,
        ..OcrConfig::default()
    }
}

/// Pages per second from the first enqueue to the last completion, through the
/// queue, a worker pool and `threads` engine threads. Each page gets its own
/// source key, so no page is answered from the cache.
async fn service_pages_per_second(
    pool: &PgPool,
    origin: &str,
    images: usize,
    lang: &str,
    pages: usize,
    threads: usize,
    detect_orientation: bool,
) -> anyhow::Result<f64> {
    let mut config = ocr_config(threads, detect_orientation);
    config.allowed_origins = vec![origin.to_owned()];
    let engines = EnginePool::start(&config)?;
    let fetcher = ImageFetcher::new(&config, "phetools-bench").map_err(anyhow::Error::msg)?;
    let mut registry = Registry::new();
    registry.register(
        phetools_ocr::JOB_KIND,
        OcrHandler::new(fetcher, engines.clone(), OcrCache::new(pool.clone())),
    );
    let queue = Queue::new(pool.clone());
    let run = uuid::Uuid::new_v4().simple().to_string();

    let started = Instant::now();
    let mut ids = Vec::with_capacity(pages);
    for page in 0..pages {
        let payload = OcrPayload {
            url: format!("{origin}/img/{}", page % images),
            languages: lang.to_owned(),
            psm: 3,
            crop: None,
            source: format!("bench:{run}:{page}"),
            file_dbkey: None,
            engine: phetools_ocr::engine::tesseract_version(),
            user: String::new(),
        };
        let job = NewJob::new(phetools_ocr::JOB_KIND, serde_json::to_value(&payload)?).priority(50);
        ids.push(queue.enqueue(&job).await?.job_id());
    }
    let shutdown = CancellationToken::new();
    // Job workers as a deployed process has them (4 by default): while one
    // worker downloads an image or stores a result, another keeps the engine
    // thread busy.
    let defaults = QueueConfig::default();
    let queue_config = QueueConfig {
        workers: defaults.workers.max(threads),
        poll_interval_ms: 100,
        ..defaults
    };
    let workers = WorkerPool::new(pool.clone(), registry, queue_config)?;
    let running = tokio::spawn(workers.run(shutdown.clone()));
    let waiter = phetools_queue::JobWaiter::new(pool.clone());
    for id in &ids {
        let job = waiter
            .wait(*id, Duration::from_secs(600))
            .await?
            .with_context(|| format!("OCR job {id} did not finish in 10 minutes"))?;
        if job.state != phetools_queue::JobState::Succeeded {
            bail!("OCR job {id} ended {}: {:?}", job.state, job.errors);
        }
    }
    let elapsed = started.elapsed();
    shutdown.cancel();
    running.await?;
    engines.shutdown();
    Ok(pages as f64 / elapsed.as_secs_f64())
}

/// Wiki language code of the cached page, as gadgets send it.
const CACHED_PAGE_LANG: &str = "en";

/// Runs the web server with one cached page and measures `/ocr.php` cache hits
/// under paced wrk load, beside `/healthz` under the same load.
async fn cache_hit_latency(pool: &PgPool, origin: &str, load: PacedLoad) -> anyhow::Result<()> {
    let mut config = ocr_config(1, false);
    config.allowed_origins = vec![origin.to_owned()];
    config.rate_limit_per_minute = 0;
    let fetcher = ImageFetcher::new(&config, "phetools-bench").map_err(anyhow::Error::msg)?;
    let languages = phetools_ocr::Languages::load(&config.tessdata_dir, &config.default_language)?;
    let state = phetools_web::AppState::new(pool.clone());
    let service = OcrService::new(
        pool.clone(),
        state.waiter.clone(),
        &config,
        Arc::new(languages),
        fetcher,
    );
    let page_url = format!("{origin}/img/0");
    let request = phetools_ocr::service::OcrRequest {
        url: page_url.clone(),
        lang: CACHED_PAGE_LANG.to_owned(),
        ..Default::default()
    };
    OcrCache::new(pool.clone())
        .put(&service.key(&request)?, None, "cached page text\n")
        .await?;
    let state = state.with_ocr(phetools_web::ocr::OcrState {
        service,
        engines: None,
        limiter: None,
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    drop(listener);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(phetools_web::serve(address, state, shutdown.clone()));
    wait_for_server(address).await?;

    let base = format!("http://{address}");
    load.print_baseline("/ocr.php", &base)?;
    let path = format!("/ocr.php?cmd=ocr&lang={CACHED_PAGE_LANG}&user=bench&url={page_url}");
    let hits = load.run(&base, &path, None)?;
    println!("| /ocr.php?cmd=ocr, one cached page | {hits} |");

    shutdown.cancel();
    server.await.context("the web server task panicked")??;
    Ok(())
}

/// Recognises `pages` pages on one engine thread and prints the process's peak resident size.
async fn peak_memory(image: &[u8], lang: &str, pages: usize) -> anyhow::Result<()> {
    let engines = EnginePool::start(&ocr_config(1, true))?;
    let before = engines.status();
    let started = Instant::now();
    for _ in 0..pages {
        let options = phetools_ocr::PageOptions {
            languages: lang.to_owned(),
            psm: 3,
            crop: None,
        };
        engines
            .recognize(bytes::Bytes::copy_from_slice(image), options)
            .await
            .map_err(anyhow::Error::from)?;
    }
    let after = engines.status();
    engines.shutdown();
    println!(
        "peak memory: VmHWM {} KiB before, {} KiB after {pages} pages ({:.1} s); VmRSS {} KiB; {} engines created",
        before.peak_resident_kib.unwrap_or(0),
        after.peak_resident_kib.unwrap_or(0),
        started.elapsed().as_secs_f64(),
        after.resident_kib.unwrap_or(0),
        after.engines_created,
    );
    Ok(())
}
