//! Handlers, settings and waiting helpers shared by the queue's integration tests.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use phetools_queue::{JobContext, JobError, JobHandler, JobId, JobView, Queue, QueueConfig, Registry, WorkerPool};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a test waits for a job to reach an expected state.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends the queue's logs to the test output; `RUST_LOG=phetools_queue=debug` shows more.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("phetools_queue=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Short leases, heartbeats, polls and backoff, so that tests finish in seconds.
pub fn fast_config() -> QueueConfig {
    QueueConfig {
        workers: 2,
        lease_seconds: 3.0,
        heartbeat_seconds: 0.2,
        poll_interval_ms: 100,
        backoff_base_seconds: 0.05,
        backoff_max_seconds: 0.2,
        rescue_interval_seconds: 0.2,
        cancel_grace_seconds: 0.5,
        shutdown_drain_seconds: 1.0,
        ..QueueConfig::default()
    }
}

/// A [`WorkerPool`] running in a background task.
pub struct RunningPool {
    pub worker_id: String,
    shutdown: CancellationToken,
    handle: JoinHandle<()>,
}

impl RunningPool {
    pub fn start(pool: &PgPool, registry: Registry, config: QueueConfig) -> RunningPool {
        let worker_pool = WorkerPool::new(pool.clone(), registry, config).expect("test config is valid");
        RunningPool::start_pool(worker_pool)
    }

    pub fn start_pool(worker_pool: WorkerPool) -> RunningPool {
        let worker_id = worker_pool.worker_id().to_owned();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(worker_pool.run(shutdown.clone()));
        RunningPool {
            worker_id,
            shutdown,
            handle,
        }
    }

    /// Shuts the pool down and waits for `run` to return.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle.await.expect("worker pool task panicked");
    }
}

/// Polls the job until `condition` holds, and returns it; panics with the last
/// view after [`WAIT_TIMEOUT`].
pub async fn wait_for_job(queue: &Queue, job_id: JobId, what: &str, condition: impl Fn(&JobView) -> bool) -> JobView {
    let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
    loop {
        let view = queue.get(job_id).await.unwrap().expect("job exists");
        if condition(&view) {
            return view;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("job {job_id} did not become {what} within {WAIT_TIMEOUT:?}; last state: {view:#?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Returns its payload as the result.
pub struct Echo;

#[async_trait]
impl JobHandler for Echo {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        Ok(job.payload)
    }
}

/// Fails every attempt with a retryable error.
pub struct AlwaysFails;

#[async_trait]
impl JobHandler for AlwaysFails {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        Err(JobError::retryable(format!(
            "upstream returned HTTP 503 on attempt {}",
            job.attempt
        )))
    }
}

/// Panics on every attempt.
pub struct Panics;

#[async_trait]
impl JobHandler for Panics {
    async fn run(&self, _job: JobContext) -> Result<Value, JobError> {
        panic!("page index out of range");
    }
}

/// Reports progress, then waits for its cancellation token and returns `Cancelled`.
#[derive(Default, Clone)]
pub struct WaitsForCancel {
    pub started: Arc<AtomicUsize>,
    pub saw_cancel: Arc<AtomicBool>,
}

#[async_trait]
impl JobHandler for WaitsForCancel {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        job.progress.report(json!({"pages_done": 1}));
        job.cancel.cancelled().await;
        self.saw_cancel.store(true, Ordering::SeqCst);
        Err(JobError::Cancelled)
    }
}

/// Ignores its cancellation token and sleeps for a minute.
pub struct IgnoresCancel;

#[async_trait]
impl JobHandler for IgnoresCancel {
    async fn run(&self, _job: JobContext) -> Result<Value, JobError> {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(json!("too late"))
    }
}

/// Returns `result` once the test notifies `release`, ignoring its cancellation token.
#[derive(Clone)]
pub struct Gate {
    pub release: Arc<Notify>,
    pub returned: Arc<AtomicBool>,
    pub result: Value,
}

#[async_trait]
impl JobHandler for Gate {
    async fn run(&self, _job: JobContext) -> Result<Value, JobError> {
        self.release.notified().await;
        self.returned.store(true, Ordering::SeqCst);
        Ok(self.result.clone())
    }
}

/// Counts its runs and returns the count.
#[derive(Default, Clone)]
pub struct Counts {
    pub runs: Arc<AtomicUsize>,
}

#[async_trait]
impl JobHandler for Counts {
    async fn run(&self, _job: JobContext) -> Result<Value, JobError> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(json!({ "run": run }))
    }
}
