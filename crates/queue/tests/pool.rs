//! The worker pool against a real PostgreSQL: handlers, failures, timeouts,
//! cancellation, lost leases, shutdown and the LISTEN wake-up.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    fast_config, wait_for_job, AlwaysFails, Counts, Echo, Gate, IgnoresCancel, Panics, RunningPool, WaitsForCancel,
};
use phetools_queue::{CancelOutcome, JobState, NewJob, Queue, QueueConfig, Registry, WorkerPool};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::Notify;

/// Connects a pool with room for the worker pool's listener, dispatcher and jobs,
/// plus the test's own queries.
async fn connect(options: PgPoolOptions, connect: PgConnectOptions) -> PgPool {
    common::init_tracing();
    options.max_connections(8).connect_with(connect).await.unwrap()
}

async fn enqueue(queue: &Queue, job: NewJob) -> i64 {
    queue.enqueue(&job).await.unwrap().job_id()
}

#[sqlx::test(migrations = "../../migrations")]
async fn pool_runs_jobs(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let mut registry = Registry::new();
    registry.register("echo", Echo);
    let workers = RunningPool::start(&pool, registry, fast_config());

    let mut ids = Vec::new();
    for page in 1..=5 {
        ids.push(enqueue(&queue, NewJob::new("echo", json!({"page": page}))).await);
    }
    for (page, id) in (1..=5).zip(ids) {
        let view = wait_for_job(&queue, id, "succeeded", |job| job.state == JobState::Succeeded).await;
        assert_eq!(view.result, Some(json!({"page": page})));
        assert_eq!(view.attempt, 1);
        assert_eq!(view.worker.as_deref(), Some(workers.worker_id.as_str()));
    }

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn worker_id_names_host_and_process(pool: PgPool) {
    let worker_pool = WorkerPool::new(pool, Registry::new(), fast_config()).unwrap();
    let parts: Vec<&str> = worker_pool.worker_id().split('/').collect();
    assert_eq!(parts.len(), 3, "{}", worker_pool.worker_id());
    assert!(!parts[0].is_empty());
    assert_eq!(parts[1], std::process::id().to_string());
    assert!(uuid::Uuid::parse_str(parts[2]).is_ok(), "{}", parts[2]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn invalid_config_rejected(pool: PgPool) {
    let config = QueueConfig {
        workers: 0,
        ..fast_config()
    };
    let error = WorkerPool::new(pool, Registry::new(), config).err().unwrap();
    assert_eq!(
        error.to_string(),
        "invalid queue configuration: workers is 0; set it to 1 or more"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn unknown_kind_fails_permanently(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let mut registry = Registry::new();
    registry.register("ocr", Echo).register("echo", Echo);
    let workers = RunningPool::start(&pool, registry, fast_config());

    let id = enqueue(&queue, NewJob::new("ocr_typo", json!({})).max_attempts(5)).await;
    let view = wait_for_job(&queue, id, "failed", |job| job.state == JobState::Failed).await;
    assert_eq!(view.attempt, 1);
    assert_eq!(view.errors.len(), 1);
    assert_eq!(
        view.errors[0].error,
        "no handler registered for job kind \"ocr_typo\"; known kinds: echo, ocr"
    );

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn panicking_handler_fails_attempt(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let mut registry = Registry::new();
    registry.register("panics", Panics).register("echo", Echo);
    let workers = RunningPool::start(&pool, registry, fast_config());

    let id = enqueue(&queue, NewJob::new("panics", json!({})).max_attempts(2)).await;
    let view = wait_for_job(&queue, id, "failed", |job| job.state == JobState::Failed).await;
    assert_eq!(view.attempt, 2);
    let errors: Vec<&str> = view.errors.iter().map(|error| error.error.as_str()).collect();
    assert_eq!(
        errors,
        [
            "handler panicked: page index out of range",
            "handler panicked: page index out of range"
        ]
    );

    // The pool keeps working after the panics.
    let after = enqueue(&queue, NewJob::new("echo", json!("still alive"))).await;
    let view = wait_for_job(&queue, after, "succeeded", |job| job.state == JobState::Succeeded).await;
    assert_eq!(view.result, Some(json!("still alive")));

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn always_failing_job_ends_failed(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let mut registry = Registry::new();
    registry.register("fails", AlwaysFails);
    let workers = RunningPool::start(&pool, registry, fast_config());

    let id = enqueue(&queue, NewJob::new("fails", json!({})).max_attempts(3)).await;
    let view = wait_for_job(&queue, id, "failed", |job| job.state == JobState::Failed).await;
    assert_eq!(view.attempt, 3);
    let attempts: Vec<i32> = view.errors.iter().map(|error| error.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
    for error in &view.errors {
        assert_eq!(
            error.error,
            format!("upstream returned HTTP 503 on attempt {}", error.attempt)
        );
        assert_eq!(error.worker.as_deref(), Some(workers.worker_id.as_str()));
    }

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn timeout_cancels_handler(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let cooperative = WaitsForCancel::default();
    let mut registry = Registry::new();
    registry
        .register("cooperative", cooperative.clone())
        .register("stubborn", IgnoresCancel);
    let mut config = fast_config();
    config.kind_timeout_seconds.insert("cooperative".to_owned(), 0.3);
    config.kind_timeout_seconds.insert("stubborn".to_owned(), 0.4);
    let workers = RunningPool::start(&pool, registry, config);

    let cooperative_id = enqueue(&queue, NewJob::new("cooperative", json!({})).max_attempts(1)).await;
    let stubborn_id = enqueue(&queue, NewJob::new("stubborn", json!({})).max_attempts(1)).await;

    let view = wait_for_job(&queue, cooperative_id, "failed", |job| job.state == JobState::Failed).await;
    assert_eq!(view.errors[0].error, "timed out after 0.3 s");
    assert!(cooperative.saw_cancel.load(Ordering::SeqCst));

    // IgnoresCancel never returns: its task is aborted after cancel_grace_seconds.
    let view = wait_for_job(&queue, stubborn_id, "failed", |job| job.state == JobState::Failed).await;
    assert_eq!(view.errors[0].error, "timed out after 0.4 s");
    assert!(view.result.is_none());

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn cancel_running_job(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let handler = WaitsForCancel::default();
    let mut registry = Registry::new();
    registry.register("waits", handler.clone());
    let workers = RunningPool::start(&pool, registry, fast_config());

    let id = enqueue(&queue, NewJob::new("waits", json!({}))).await;
    // The progress reaches the row with the first heartbeat.
    wait_for_job(&queue, id, "running with progress", |job| {
        job.state == JobState::Running && job.progress == Some(json!({"pages_done": 1}))
    })
    .await;

    assert_eq!(queue.cancel(id).await.unwrap(), CancelOutcome::Requested);
    let view = wait_for_job(&queue, id, "cancelled", |job| job.state == JobState::Cancelled).await;
    assert!(handler.saw_cancel.load(Ordering::SeqCst));
    assert!(view.errors.is_empty());
    assert!(view.finished_at.is_some());
    assert_eq!(handler.started.load(Ordering::SeqCst), 1);

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn lost_lease_discards_pool_outcome(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    // The test acts as the second worker, with a backoff short enough to claim at once.
    let queue = Queue::new(pool.clone()).with_backoff(phetools_queue::Backoff {
        base: Duration::from_millis(1),
        max: Duration::from_millis(1),
    });
    let gate = Gate {
        release: Arc::new(Notify::new()),
        returned: Arc::new(AtomicBool::new(false)),
        result: json!({"by": "first worker"}),
    };
    let mut registry = Registry::new();
    registry.register("gate", gate.clone());
    // One slot, held by the first attempt until the test opens the gate, so the
    // pool cannot claim the job again before the test does.
    let config = QueueConfig {
        workers: 1,
        heartbeat_seconds: 0.5,
        cancel_grace_seconds: 60.0,
        ..fast_config()
    };
    let worker_pool = WorkerPool::new(pool.clone(), registry, config)
        .unwrap()
        .without_maintenance();
    let workers = RunningPool::start_pool(worker_pool);

    let id = enqueue(&queue, NewJob::new("gate", json!({}))).await;
    wait_for_job(&queue, id, "running", |job| job.state == JobState::Running).await;

    // The first worker's lease expires and the job is rescued and claimed again.
    sqlx::query("UPDATE job SET lease_expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(queue.rescue_expired().await.unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = queue
        .claim("second-worker", None, 1, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(second.len(), 1, "the rescued job was not claimable");
    assert_eq!(second[0].attempt, 2);

    // The first handler now returns success; the pool must not record it.
    gate.release.notify_one();
    let deadline = tokio::time::Instant::now() + common::WAIT_TIMEOUT;
    while !gate.returned.load(Ordering::SeqCst) {
        assert!(tokio::time::Instant::now() < deadline, "first handler never returned");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Running);
    assert_eq!(view.worker.as_deref(), Some("second-worker"));
    assert_eq!(view.result, None);

    queue
        .complete(id, second[0].lease_token, &json!({"by": "second worker"}))
        .await
        .unwrap();
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Succeeded);
    assert_eq!(view.result, Some(json!({"by": "second worker"})));
    assert_eq!(view.attempt, 2);

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn shutdown_releases_unfinished_job(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let handler = WaitsForCancel::default();
    let mut registry = Registry::new();
    registry.register("waits", handler.clone());
    let config = QueueConfig {
        shutdown_drain_seconds: 0.3,
        ..fast_config()
    };
    let workers = RunningPool::start(&pool, registry, config);

    let id = enqueue(&queue, NewJob::new("waits", json!({})).max_attempts(1)).await;
    wait_for_job(&queue, id, "running", |job| job.state == JobState::Running).await;
    workers.stop().await;

    assert!(handler.saw_cancel.load(Ordering::SeqCst));
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Queued);
    assert_eq!(view.attempt, 0);
    assert!(view.errors.is_empty());
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn shutdown_lets_running_job_finish(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let gate = Gate {
        release: Arc::new(Notify::new()),
        returned: Arc::new(AtomicBool::new(false)),
        result: json!("finished during the drain"),
    };
    let mut registry = Registry::new();
    registry.register("gate", gate.clone());
    let config = QueueConfig {
        shutdown_drain_seconds: 10.0,
        ..fast_config()
    };
    let workers = RunningPool::start(&pool, registry, config);

    let id = enqueue(&queue, NewJob::new("gate", json!({}))).await;
    wait_for_job(&queue, id, "running", |job| job.state == JobState::Running).await;
    let release = gate.release.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        release.notify_one();
    });
    workers.stop().await;

    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Succeeded);
    assert_eq!(view.result, Some(json!("finished during the drain")));
    pool.close().await;
}

/// Returns the process ids of this database's connections whose LISTEN has completed.
async fn listener_pids(pool: &PgPool) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%' AND state = 'idle'
           AND pid <> pg_backend_pid()",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn wait_for_listener(pool: &PgPool, not: &[i32]) -> i32 {
    let deadline = tokio::time::Instant::now() + common::WAIT_TIMEOUT;
    loop {
        if let Some(pid) = listener_pids(pool).await.into_iter().find(|pid| !not.contains(pid)) {
            return pid;
        }
        assert!(tokio::time::Instant::now() < deadline, "no job listener connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn listener_reconnects_after_termination(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let counter = Counts::default();
    let mut registry = Registry::new();
    registry.register("count", counter.clone());
    // A poll interval far beyond the wait timeout: only notifications wake the pool.
    let config = QueueConfig {
        poll_interval_ms: 600_000,
        ..fast_config()
    };
    let workers = RunningPool::start(&pool, registry, config);
    let first_listener = wait_for_listener(&pool, &[]).await;

    let before = enqueue(&queue, NewJob::new("count", json!({}))).await;
    wait_for_job(&queue, before, "succeeded", |job| job.state == JobState::Succeeded).await;

    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first_listener)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(terminated);
    let second_listener = wait_for_listener(&pool, &[first_listener]).await;
    assert_ne!(second_listener, first_listener);

    let after = enqueue(&queue, NewJob::new("count", json!({}))).await;
    wait_for_job(&queue, after, "succeeded", |job| job.state == JobState::Succeeded).await;

    workers.stop().await;
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn poll_claims_without_notification(options: PgPoolOptions, connect_options: PgConnectOptions) {
    let pool = connect(options, connect_options).await;
    let queue = Queue::new(pool.clone());
    let mut registry = Registry::new();
    registry.register("echo", Echo);
    let workers = RunningPool::start(&pool, registry, fast_config());
    let listener = wait_for_listener(&pool, &[]).await;

    // The listener is gone and the row arrives without NOTIFY: only the poll finds it.
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(listener)
        .execute(&pool)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("INSERT INTO job (kind, payload) VALUES ('echo', '\"polled\"') RETURNING id")
        .fetch_one(&pool)
        .await
        .unwrap();
    let view = wait_for_job(&queue, id, "succeeded", |job| job.state == JobState::Succeeded).await;
    assert_eq!(view.result, Some(json!("polled")));

    workers.stop().await;
    pool.close().await;
}
