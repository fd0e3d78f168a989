//! `JobWaiter` against a real PostgreSQL database: notified, polled and timed-out waits.

mod common;

use std::time::Duration;

use phetools_queue::{JobState, JobWaiter, NewJob, Queue, QueueError};
use serde_json::json;
use sqlx::PgPool;
use tokio::time::Instant;

/// Long enough that a wait ending well before it proves the notification arrived.
const SLOW_POLL: Duration = Duration::from_secs(30);

/// Enqueues a job with a positive priority, which notifies when it finishes.
async fn enqueue_interactive(queue: &Queue) -> i64 {
    queue
        .enqueue(&NewJob::new("ocr", json!({})).priority(10))
        .await
        .unwrap()
        .job_id()
}

async fn claim_and_complete(queue: &Queue, job_id: i64) {
    let claimed = queue
        .claim("test-worker", None, 1, Duration::from_secs(30))
        .await
        .unwrap();
    let job = claimed.into_iter().next().expect("a job to claim");
    assert_eq!(job.id, job_id);
    queue
        .complete(job.id, job.lease_token, &json!({"text": "done"}))
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn wait_returns_on_notification(pool: PgPool) {
    let queue = Queue::new(pool.clone());
    let job_id = enqueue_interactive(&queue).await;
    let waiter = JobWaiter::with_poll_interval(pool.clone(), SLOW_POLL);

    let wait = tokio::spawn({
        let waiter = waiter.clone();
        async move { waiter.wait(job_id, Duration::from_secs(20)).await }
    });
    // Let the waiter read the job and start listening before the job finishes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let finished_at = Instant::now();
    claim_and_complete(&queue, job_id).await;

    let job = wait
        .await
        .unwrap()
        .unwrap()
        .expect("the job finished before the timeout");
    let latency = finished_at.elapsed();
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.result, Some(json!({"text": "done"})));
    assert!(
        latency < Duration::from_secs(5),
        "the wait ended {latency:?} after the completion; the poll interval is {SLOW_POLL:?}, so the notification was lost"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn wait_polls_background_job(pool: PgPool) {
    let queue = Queue::new(pool.clone());
    let job_id = queue
        .enqueue(&NewJob::new("text_layer", json!({})))
        .await
        .unwrap()
        .job_id();
    let waiter = JobWaiter::with_poll_interval(pool.clone(), Duration::from_millis(100));

    let wait = tokio::spawn({
        let waiter = waiter.clone();
        async move { waiter.wait(job_id, Duration::from_secs(20)).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    claim_and_complete(&queue, job_id).await;

    let job = wait.await.unwrap().unwrap().expect("the poll saw the finished job");
    assert_eq!(job.state, JobState::Succeeded);
}

#[sqlx::test(migrations = "../../migrations")]
async fn wait_times_out_on_queued_job(pool: PgPool) {
    let queue = Queue::new(pool.clone());
    let job_id = enqueue_interactive(&queue).await;
    let waiter = JobWaiter::new(pool.clone());

    let started = Instant::now();
    let outcome = waiter.wait(job_id, Duration::from_millis(300)).await.unwrap();
    assert!(outcome.is_none(), "a queued job must not be returned as finished");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[sqlx::test(migrations = "../../migrations")]
async fn wait_returns_finished_job_at_once(pool: PgPool) {
    let queue = Queue::new(pool.clone());
    let job_id = enqueue_interactive(&queue).await;
    claim_and_complete(&queue, job_id).await;
    let waiter = JobWaiter::with_poll_interval(pool.clone(), SLOW_POLL);

    let job = waiter.wait(job_id, SLOW_POLL).await.unwrap().expect("already finished");
    assert_eq!(job.state, JobState::Succeeded);
}

#[sqlx::test(migrations = "../../migrations")]
async fn wait_on_unknown_job_is_not_found(pool: PgPool) {
    let waiter = JobWaiter::new(pool.clone());
    let error = waiter.wait(987_654, Duration::from_secs(1)).await.unwrap_err();
    assert!(matches!(error, QueueError::NotFound { job_id: 987_654 }), "{error}");
}
