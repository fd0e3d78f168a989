//! `phetools bench`: throughput of the queue, of the stream consumer and of
//! statistics event application, and render time of the statistics pages,
//! each printed beside a baseline measured in the same run on the same machine.
//!
//! The benchmark creates a scratch database next to the configured one, so the
//! configured database is never written, and drops it at the end.

use std::process::Stdio;

use anyhow::{bail, Context};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

use crate::config::{Config, ProcessEnvironment};
use crate::secret::Secret;

/// Arguments of `phetools bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// No-op jobs per queue measurement.
    #[arg(long, default_value_t = 20_000)]
    pub jobs: usize,
    /// Worker counts to measure the queue with.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub workers: Vec<usize>,
    /// Duration of each pgbench run, in seconds.
    #[arg(long, default_value_t = 10)]
    pub pgbench_seconds: u32,
    /// Synthetic EventStreams events for the stream measurement.
    #[arg(long, default_value_t = 200_000)]
    pub events: usize,
    /// Measurements to run: queue, stream, hocr, stats, stats-pages, recount (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "queue,stream,hocr,stats,stats-pages,recount"
    )]
    pub only: Vec<String>,
    #[command(flatten)]
    pub hocr: crate::bench_hocr::HocrBenchArgs,
    /// Synthetic page events for the statistics measurement.
    #[arg(long, default_value_t = 200_000)]
    pub stats_events: usize,
    /// Page events per transaction in the statistics measurement.
    #[arg(long, default_value_t = 500)]
    pub stats_batch: usize,
    #[command(flatten)]
    pub stats_pages: crate::bench_stats_pages::StatsPagesBenchArgs,
    /// Pages of the generated wiki that the recount measurement counts.
    #[arg(long, default_value_t = 50_000)]
    pub recount_pages: usize,
}

/// pgbench script: one single-row UPDATE per transaction, the cheapest write a
/// job state change can be compared with.
const PGBENCH_UPDATE_SCRIPT: &str =
    "\\set aid random(1, 100000)\nUPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n";

pub async fn run(config: &Config, args: BenchArgs) -> anyhow::Result<()> {
    let url = config.database_url(&ProcessEnvironment)?;
    let base: PgConnectOptions = url.expose().parse().context("invalid database URL")?;
    let password = url_password(url.expose());
    let scratch = format!("phetools_bench_{}", std::process::id());
    create_database(&base, &scratch).await?;
    let pgbench = Pgbench {
        options: base.clone().database(&scratch),
        password,
    };
    let outcome = run_in(&pgbench, &args).await;
    drop_database(&base, &scratch).await?;
    outcome
}

async fn run_in(pgbench: &Pgbench, args: &BenchArgs) -> anyhow::Result<()> {
    let max_workers = args.workers.iter().copied().max().unwrap_or(1);
    let pool = PgPoolOptions::new()
        .max_connections(max_workers as u32 + 4)
        .test_before_acquire(false)
        .connect_with(pgbench.options.clone())
        .await
        .context("cannot connect to the scratch database")?;
    crate::app::MIGRATOR
        .run(&pool)
        .await
        .context("migrating the scratch database failed")?;

    print_machine();
    let selected = |name: &str| args.only.iter().any(|only| only == name);
    let mut single_client = None;
    if selected("queue") {
        single_client = Some(queue_benchmark(pgbench, &pool, args).await?);
    }
    if selected("stream") {
        stream_benchmark(&pool, args).await?;
    }
    if selected("hocr") {
        crate::bench_hocr::run(&pool, &args.hocr).await?;
    }
    if selected("stats") {
        let single_client = match single_client {
            Some(rate) => rate,
            None => {
                pgbench.initialize()?;
                pgbench.update_rate(1, args.pgbench_seconds)?
            }
        };
        stats_benchmark(&pool, args, single_client).await?;
    }
    if selected("stats-pages") {
        crate::bench_stats_pages::run(&pool, &args.stats_pages).await?;
    }
    if selected("recount") {
        recount_benchmark(&pool, args).await?;
    }
    pool.close().await;
    Ok(())
}

fn print_machine() {
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .map(|line| line.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    println!("machine: {cores} cores, {cpu}");
}

/// Returns the single-row update commit rate of one pgbench client, the
/// baseline of the later measurements.
async fn queue_benchmark(pgbench: &Pgbench, pool: &PgPool, args: &BenchArgs) -> anyhow::Result<f64> {
    pgbench.initialize()?;
    // The machine's single-row update commit rate: one pgbench client. The same
    // rate with as many clients as workers is printed beside it for comparison.
    let single_client = pgbench.update_rate(1, args.pgbench_seconds)?;
    println!("\nqueue: no-op jobs claimed and completed per second");
    println!("target: at least 0.5 of the single-row update commit rate, {single_client:.0}/s (pgbench, 1 client)");
    println!("| workers | phetools jobs/s | ratio to 1-client pgbench | pgbench with as many clients | ratio to it |");
    println!("|---:|---:|---:|---:|---:|");
    for &workers in &args.workers {
        let same_clients = if workers == 1 {
            single_client
        } else {
            pgbench.update_rate(workers, args.pgbench_seconds)?
        };
        let report = phetools_queue::bench_noop(pool, workers, args.jobs).await?;
        println!(
            "| {workers} | {:.0} | {:.2} | {same_clients:.0} | {:.2} |",
            report.jobs_per_second,
            report.jobs_per_second / single_client,
            report.jobs_per_second / same_clients
        );
    }
    Ok(single_client)
}

async fn stream_benchmark(pool: &PgPool, args: &BenchArgs) -> anyhow::Result<()> {
    let frames = phetools_stream::replay::synthetic_frames(args.events);
    let report = phetools_stream::bench_consume(pool, &frames).await?;
    println!("\nstream: recorded events parsed, filtered and enqueued per second (target: at least 50,000/s)");
    println!("| events | matched | jobs enqueued | transactions | parse + rules events/s (baseline, no database) | full pipeline events/s |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {:.0} | {:.0} |",
        report.events,
        report.matched_events,
        report.jobs_enqueued,
        report.transactions,
        report.parse_events_per_second(),
        report.events_per_second()
    );
    Ok(())
}

/// Events in the one-event-per-transaction statistics run,
/// which needs fewer events to give a stable figure.
const STATS_SINGLE_EVENTS: usize = 5_000;

async fn stats_benchmark(pool: &PgPool, args: &BenchArgs, single_client: f64) -> anyhow::Result<()> {
    println!("\nstatistics: page events applied per second, page rows and wiki counts in the same transaction");
    println!(
        "target: at least 20,000/s; baseline: single-row update commit rate {single_client:.0}/s (pgbench, 1 client)"
    );
    println!("| events | events per transaction | transactions | events/s | ratio to the baseline |");
    println!("|---:|---:|---:|---:|---:|");
    for (events, batch) in [
        (STATS_SINGLE_EVENTS.min(args.stats_events), 1),
        (args.stats_events, args.stats_batch),
    ] {
        let report = phetools_stats::bench_apply(pool, events, batch).await?;
        println!(
            "| {} | {} | {} | {:.0} | {:.2} |",
            report.events,
            report.batch_size,
            report.transactions,
            report.events_per_second,
            report.events_per_second / single_client
        );
    }
    Ok(())
}

async fn recount_benchmark(pool: &PgPool, args: &BenchArgs) -> anyhow::Result<()> {
    let report = phetools_stats::recount::bench_recount(pool, args.recount_pages).await?;
    println!("\nstatistics: API requests of a full recount of a generated wiki (in-process API stand-in, bot limits)");
    println!(
        "budget: {} x ceil(siteinfo pages / 5,000) + {}; baseline: the old tool's SQL queries per wiki on the replicas",
        phetools_stats::recount::REQUESTS_PER_LIMIT,
        phetools_stats::recount::FIXED_REQUESTS
    );
    println!("| site pages | Page: pages | main pages | template links | requests | budget | legacy SQL queries | outcome | counts match | seconds |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---|---|---:|");
    println!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} |",
        report.site_pages,
        report.page_namespace_pages,
        report.main_namespace_pages,
        report.template_links,
        report.requests,
        report.budget,
        report.legacy_queries,
        report.outcome.as_str(),
        report.counts_match,
        report.elapsed_seconds
    );
    Ok(())
}

pub(crate) async fn create_database(base: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
    let mut connection = base.connect().await.context("cannot connect to the database")?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .with_context(|| format!("cannot create the scratch database {name}; the database user needs CREATEDB"))?;
    Ok(())
}

pub(crate) async fn drop_database(base: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
    let mut connection = base.connect().await.context("cannot connect to the database")?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut connection)
        .await
        .with_context(|| format!("cannot drop the scratch database {name}"))?;
    Ok(())
}

/// Runs pgbench against the scratch database. Connection settings go to libpq
/// through the environment, so that the password never appears on a command line.
struct Pgbench {
    options: PgConnectOptions,
    password: Option<Secret>,
}

impl Pgbench {
    fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new("pgbench");
        command
            .env("PGHOST", self.options.get_host())
            .env("PGPORT", self.options.get_port().to_string())
            .env("PGUSER", self.options.get_username())
            .env("PGDATABASE", self.options.get_database().unwrap_or("postgres"))
            .stdin(Stdio::null());
        if let Some(password) = &self.password {
            command.env("PGPASSWORD", password.expose());
        }
        command
    }

    fn initialize(&self) -> anyhow::Result<()> {
        let output = self
            .command()
            .args(["--initialize", "--quiet", "--scale=1"])
            .output()
            .context("cannot run pgbench; install the Debian package postgresql-contrib")?;
        if !output.status.success() {
            bail!(
                "pgbench --initialize failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    /// Transactions per second of `clients` pgbench clients running single-row updates.
    fn update_rate(&self, clients: usize, seconds: u32) -> anyhow::Result<f64> {
        let script = tempfile::NamedTempFile::new().context("cannot create the pgbench script")?;
        std::fs::write(script.path(), PGBENCH_UPDATE_SCRIPT).context("cannot write the pgbench script")?;
        let output = self
            .command()
            .arg(format!("--client={clients}"))
            .arg(format!("--jobs={clients}"))
            .arg(format!("--time={seconds}"))
            .arg("--no-vacuum")
            .arg(format!("--file={}", script.path().display()))
            .output()
            .context("cannot run pgbench; install the Debian package postgresql-contrib")?;
        if !output.status.success() {
            bail!("pgbench failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        parse_tps(&stdout).with_context(|| format!("pgbench printed no tps line:\n{stdout}"))
    }
}

/// Returns the percent-decoded password of a database URL, if it has one.
fn url_password(database_url: &str) -> Option<Secret> {
    let url = url::Url::parse(database_url).ok()?;
    let password = url.password()?;
    let decoded = percent_encoding::percent_decode_str(password).decode_utf8().ok()?;
    Some(Secret::new(decoded.into_owned()))
}

/// Reads `tps = 1234.5 (without initial connection time)` from pgbench's output.
fn parse_tps(output: &str) -> Option<f64> {
    output
        .lines()
        .find(|line| line.starts_with("tps = "))
        .and_then(|line| line["tps = ".len()..].split_whitespace().next())
        .and_then(|number| number.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::parse_tps;

    #[test]
    fn parse_tps_reads_pgbench_output() {
        let output = "number of failed transactions: 0 (0.000%)\nlatency average = 0.512 ms\n\
                      initial connection time = 3.1 ms\ntps = 1953.312871 (without initial connection time)\n";
        assert_eq!(parse_tps(output), Some(1953.312871));
        assert_eq!(parse_tps("no tps here"), None);
    }
}
