//! Throughput benchmark of claim and completion with a handler that does nothing.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::{JobContext, JobError, JobHandler, QueueConfig, QueueError, Registry, WorkerPool};

/// Interval at which the benchmark counts finished jobs.
const PROGRESS_CHECK_INTERVAL: Duration = Duration::from_millis(20);
/// The benchmark gives up when no job finished for this long.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Result of [`bench_noop`].
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub workers: usize,
    pub jobs: usize,
    /// Connections the PgPool may open.
    pub pool_max_connections: u32,
    /// From the first claim to the last completion, by the database clock
    /// (`min(attempted_at)` to `max(finished_at)`).
    pub elapsed_seconds: f64,
    /// Jobs claimed and completed per second.
    pub jobs_per_second: f64,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} no-op jobs, {} workers, pool of {} connections: {:.3} s, {:.0} jobs/s",
            self.jobs, self.workers, self.pool_max_connections, self.elapsed_seconds, self.jobs_per_second
        )
    }
}

/// Returns at once and counts its runs, so that the benchmark can watch progress
/// without querying the table it measures.
struct NoopHandler {
    runs: Arc<AtomicUsize>,
}

#[async_trait]
impl JobHandler for NoopHandler {
    async fn run(&self, _job: JobContext) -> Result<Value, JobError> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        Ok(Value::Null)
    }
}

/// Inserts `jobs` jobs of a fresh kind, runs them through a [`WorkerPool`] of
/// `workers` workers on `pool` with a handler that returns at once, and measures
/// claimed and completed jobs per second. The benchmark's jobs are deleted
/// afterwards; other jobs in the database are neither claimed nor touched.
///
/// The insert is not measured. Throughput is bounded by the pool size as well
/// as by `workers`: give the PgPool at least `workers + 2` connections.
pub async fn bench_noop(pool: &PgPool, workers: usize, jobs: usize) -> Result<BenchReport, QueueError> {
    if workers == 0 || jobs == 0 {
        return Err(QueueError::Benchmark(format!(
            "bench_noop needs at least one worker and one job, got {workers} workers and {jobs} jobs"
        )));
    }
    let kind = format!("bench_noop_{}", uuid::Uuid::new_v4().simple());

    let measured = run_benchmark(pool, &kind, workers, jobs).await;
    let cleanup = sqlx::query("DELETE FROM job WHERE kind = $1")
        .bind(&kind)
        .execute(pool)
        .await
        .map_err(QueueError::database(format!(
            "delete the benchmark jobs of kind {kind}"
        )));

    let elapsed_seconds = measured?;
    cleanup?;
    Ok(BenchReport {
        workers,
        jobs,
        pool_max_connections: pool.options().get_max_connections(),
        elapsed_seconds,
        jobs_per_second: jobs as f64 / elapsed_seconds,
    })
}

/// Runs the benchmark and returns the elapsed seconds.
async fn run_benchmark(pool: &PgPool, kind: &str, workers: usize, jobs: usize) -> Result<f64, QueueError> {
    sqlx::query("INSERT INTO job (kind) SELECT $1 FROM generate_series(1, $2)")
        .bind(kind)
        .bind(jobs as i64)
        .execute(pool)
        .await
        .map_err(QueueError::database(format!("insert {jobs} benchmark jobs")))?;

    let runs = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    registry.register(kind, NoopHandler { runs: runs.clone() });
    let config = QueueConfig {
        workers,
        ..QueueConfig::default()
    };
    let worker_pool = WorkerPool::new(pool.clone(), registry, config)?
        .only_kinds([kind])
        .without_maintenance();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(worker_pool.run(shutdown.clone()));

    let finished = wait_until_finished(pool, kind, jobs, &runs).await;
    shutdown.cancel();
    if let Err(join_error) = running.await {
        return Err(QueueError::Benchmark(format!("worker pool task failed: {join_error}")));
    }
    finished?;

    let (first_claim, last_completion): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT min(attempted_at), max(finished_at) FROM job WHERE kind = $1")
            .bind(kind)
            .fetch_one(pool)
            .await
            .map_err(QueueError::database("read the benchmark's timestamps"))?;
    let (Some(first_claim), Some(last_completion)) = (first_claim, last_completion) else {
        return Err(QueueError::Benchmark("benchmark jobs have no timestamps".to_owned()));
    };
    let elapsed = (last_completion - first_claim).to_std().unwrap_or_default();
    // Timestamps have microsecond resolution; never divide by zero.
    Ok(elapsed.as_secs_f64().max(1e-6))
}

/// Waits until all `jobs` jobs of `kind` succeeded. Fails when one of them failed
/// or when no handler ran for [`STALL_TIMEOUT`].
///
/// Progress is read from the handler's run counter. The table is counted only
/// once every handler has run, so the benchmark adds no scans of `job` while
/// the workers claim.
async fn wait_until_finished(pool: &PgPool, kind: &str, jobs: usize, runs: &AtomicUsize) -> Result<(), QueueError> {
    let mut last_runs = 0;
    let mut last_progress = Instant::now();
    loop {
        tokio::time::sleep(PROGRESS_CHECK_INTERVAL).await;
        let current_runs = runs.load(Ordering::Relaxed);
        if current_runs >= jobs {
            let (succeeded, failed) = count_finished(pool, kind).await?;
            if failed > 0 {
                return Err(QueueError::Benchmark(format!(
                    "{failed} benchmark jobs of kind {kind} failed; see their errors column"
                )));
            }
            if succeeded as usize >= jobs {
                return Ok(());
            }
        }
        if current_runs != last_runs {
            last_runs = current_runs;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > STALL_TIMEOUT {
            return Err(QueueError::Benchmark(format!(
                "benchmark stalled: handlers ran {current_runs} of {jobs} jobs and none ran for {} s",
                STALL_TIMEOUT.as_secs()
            )));
        }
    }
}

async fn count_finished(pool: &PgPool, kind: &str) -> Result<(i64, i64), QueueError> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state = 'failed')
         FROM job WHERE kind = $1",
    )
    .bind(kind)
    .fetch_one(pool)
    .await
    .map_err(QueueError::database("count finished benchmark jobs"))
}
