//! A worker process killed with SIGKILL in the middle of a job: the job is rescued
//! after its lease and completed exactly once by another process.
//!
//! The killed worker is this test binary run again as a child process with
//! [`CHILD_DATABASE_ENV`] set, which selects `child_worker_process` below.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use common::{fast_config, wait_for_job, Counts, RunningPool};
use phetools_queue::{JobContext, JobError, JobHandler, JobState, NewJob, Queue, QueueConfig, Registry, WorkerPool};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio_util::sync::CancellationToken;

/// Names the test database that the child process works on.
const CHILD_DATABASE_ENV: &str = "PHETOOLS_QUEUE_TEST_CHILD_DATABASE";

/// Lease of the child's worker pool; the rescue can start this long after the kill.
const CHILD_LEASE_SECONDS: f64 = 3.0;

/// Holds its job for an hour, so that the child is killed mid-job.
struct Holds;

#[async_trait]
impl JobHandler for Holds {
    async fn run(&self, _job: JobContext) -> Result<Value, JobError> {
        tokio::time::sleep(Duration::from_secs(3_600)).await;
        Ok(json!("child finished"))
    }
}

/// The child process: runs a worker pool with the [`Holds`] handler until killed.
/// Does nothing unless [`CHILD_DATABASE_ENV`] is set.
#[test]
#[ignore = "entry point of the child process of killed_worker_job_completes_once"]
fn child_worker_process() {
    let Ok(database) = std::env::var(CHILD_DATABASE_ENV) else {
        return;
    };
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL is set for the child");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let options = PgConnectOptions::from_str(&url).unwrap().database(&database);
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .unwrap();
        let mut registry = Registry::new();
        registry.register("hold", Holds);
        let config = QueueConfig {
            lease_seconds: CHILD_LEASE_SECONDS,
            heartbeat_seconds: 0.5,
            ..fast_config()
        };
        let worker_pool = WorkerPool::new(pool, registry, config).unwrap();
        worker_pool.run(CancellationToken::new()).await;
    });
}

#[sqlx::test(migrations = "../../migrations")]
async fn killed_worker_job_completes_once(options: PgPoolOptions, connect_options: PgConnectOptions) {
    common::init_tracing();
    let database = connect_options.get_database().expect("test database name").to_owned();
    let pool = options.max_connections(8).connect_with(connect_options).await.unwrap();
    let queue = Queue::new(pool.clone());
    let id = queue
        .enqueue(&NewJob::new("hold", json!({"file": "Foo.djvu"})).max_attempts(3))
        .await
        .unwrap()
        .job_id();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_worker_process", "--exact", "--ignored", "--test-threads=1"])
        .env(CHILD_DATABASE_ENV, &database)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    let deadline = tokio::time::Instant::now() + common::WAIT_TIMEOUT;
    let child_worker = loop {
        let view = queue.get(id).await.unwrap().unwrap();
        if view.state == JobState::Running {
            break view.worker.unwrap();
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child worker exited with {status} before claiming the job");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "child worker never claimed the job"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        child_worker.contains(&format!("/{}/", child.id())),
        "job claimed by {child_worker}, not by the child process {}",
        child.id()
    );

    // Let the child heartbeat at least once, then kill it mid-job.
    tokio::time::sleep(Duration::from_millis(700)).await;
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "child ended with {status}");
    assert_eq!(queue.get(id).await.unwrap().unwrap().state, JobState::Running);

    let counter = Counts::default();
    let mut registry = Registry::new();
    registry.register("hold", counter.clone());
    let workers = RunningPool::start(&pool, registry, fast_config());

    let view = wait_for_job(&queue, id, "succeeded", |job| job.state == JobState::Succeeded).await;
    assert_eq!(view.attempt, 2);
    assert_eq!(view.worker.as_deref(), Some(workers.worker_id.as_str()));
    assert_eq!(view.result, Some(json!({"run": 1})));
    assert_eq!(view.errors.len(), 1);
    assert_eq!(view.errors[0].attempt, 1);
    assert_eq!(
        view.errors[0].error,
        format!("lease expired (worker {child_worker} stopped heartbeating)")
    );

    // Nothing runs the job again afterwards.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(counter.runs.load(Ordering::SeqCst), 1);
    assert_eq!(queue.get(id).await.unwrap().unwrap().state, JobState::Succeeded);

    workers.stop().await;
    pool.close().await;
}
