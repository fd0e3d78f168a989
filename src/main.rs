//! `phetools`: the Wikisource tool's stream consumer, workers and web server.

mod app;
mod backfill;
mod bench;
mod bench_hocr;
mod bench_ocr;
mod bench_stats_pages;
mod bench_wrk;
mod config;
mod secret;
mod shutdown;
mod stats;
mod telemetry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, ProcessEnvironment};

#[derive(Parser)]
#[command(
    name = "phetools",
    version,
    about = "Wikisource text layers of DjVu and PDF scans, kept up to date from EventStreams through a PostgreSQL job queue"
)]
struct Cli {
    /// Configuration file (TOML); environment variables override it. See docs/configuration.md.
    #[arg(long, env = "PHETOOLS_CONFIG", global = true)]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the database migrations, then exit.
    Migrate,
    /// Consume EventStreams and enqueue jobs (one active consumer per database).
    Stream,
    /// Run jobs from the queue.
    Work,
    /// Serve the web interface and API.
    Serve,
    /// Stream consumer, workers and web server in one process.
    Run,
    /// Measure queue and stream throughput beside their baselines, in a scratch database.
    Bench(bench::BenchArgs),
    /// Queue hOCR builds for a list of Index pages, at the rate of [hocr] backfill_per_second.
    Backfill(backfill::BackfillArgs),
    /// Measure OCR pages per second beside the tesseract command line, cache-hit latency and peak memory.
    BenchOcr(bench_ocr::BenchOcrArgs),
    /// Statistics maintenance: import of the old tool's history.
    Stats(stats::StatsArgs),
    /// Serve recorded SSE frames on a loopback address, for trying the consumer without Wikimedia.
    ReplayStream(app::ReplayArgs),
}

fn main() -> ExitCode {
    limit_openmp_threads();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), &ProcessEnvironment) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("phetools: {error:#}");
            return ExitCode::from(2);
        }
    };
    let default_filter = match cli.command {
        Command::Bench(_) | Command::BenchOcr(_) => telemetry::BENCH_FILTER,
        _ => telemetry::SERVICE_FILTER,
    };
    telemetry::init(config.log_format, default_filter);

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("phetools: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "phetools stopped with an error");
            ExitCode::FAILURE
        }
    }
}

/// Limits OpenMP to one thread per tesseract engine unless the environment
/// already sets a limit. libgomp reads `OMP_THREAD_LIMIT` when it is loaded with
/// libtesseract, before `main` runs, so setting the variable here would come too
/// late: the process starts itself again with the variable set.
fn limit_openmp_threads() {
    use std::os::unix::process::CommandExt;

    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return;
    }
    let Ok(executable) = std::env::current_exe() else {
        eprintln!("phetools: cannot find its own executable to set OMP_THREAD_LIMIT=1; tesseract may start several threads per page");
        return;
    };
    let error = std::process::Command::new(executable)
        .args(std::env::args_os().skip(1))
        .env("OMP_THREAD_LIMIT", "1")
        .exec();
    eprintln!(
        "phetools: cannot restart with OMP_THREAD_LIMIT=1: {error}; tesseract may start several threads per page"
    );
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Migrate => app::migrate(&config).await,
        Command::Stream => {
            app::run_roles(
                &config,
                app::Roles {
                    stream: true,
                    work: false,
                    serve: false,
                },
            )
            .await
        }
        Command::Work => {
            app::run_roles(
                &config,
                app::Roles {
                    stream: false,
                    work: true,
                    serve: false,
                },
            )
            .await
        }
        Command::Serve => {
            app::run_roles(
                &config,
                app::Roles {
                    stream: false,
                    work: false,
                    serve: true,
                },
            )
            .await
        }
        Command::Run => {
            app::run_roles(
                &config,
                app::Roles {
                    stream: true,
                    work: true,
                    serve: true,
                },
            )
            .await
        }
        Command::Bench(args) => bench::run(&config, args).await,
        Command::Backfill(args) => backfill::run(&config, args).await,
        Command::BenchOcr(args) => bench_ocr::run(&config, args).await,
        Command::Stats(args) => stats::run(&config, args).await,
        Command::ReplayStream(args) => app::replay_stream(args).await,
    }
}
