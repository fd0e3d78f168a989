//! State transitions through the `Queue` API on a real PostgreSQL, without a worker pool.

mod common;

use std::time::Duration;

use chrono::Utc;
use phetools_queue::{
    Backoff, CancelOutcome, EnqueueOutcome, FailOutcome, JobError, JobState, NewJob, Queue, QueueError,
};
use serde_json::json;
use sqlx::PgPool;

const LEASE: Duration = Duration::from_secs(30);

fn test_queue(pool: &PgPool) -> Queue {
    common::init_tracing();
    Queue::new(pool.clone()).with_backoff(Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_secs(10),
    })
}

async fn enqueue(queue: &Queue, job: NewJob) -> i64 {
    match queue.enqueue(&job).await.unwrap() {
        EnqueueOutcome::Inserted(id) => id,
        EnqueueOutcome::Existing(id) => panic!("expected a new job, got existing job {id}"),
    }
}

/// Claims one job of any kind, waiting up to five seconds for one to become due.
async fn claim_one(queue: &Queue, worker: &str) -> phetools_queue::ClaimedJob {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(job) = queue.claim(worker, None, 1, LEASE).await.unwrap().pop() {
            return job;
        }
        assert!(tokio::time::Instant::now() < deadline, "no job became claimable");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Moves the job's lease into the past, as if its worker had stopped heartbeating.
async fn expire_lease(pool: &PgPool, job_id: i64) {
    sqlx::query("UPDATE job SET lease_expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(job_id)
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn claim_heartbeat_complete(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({"page": 3})).priority(5)).await;

    let claimed = queue.claim("worker-a", None, 10, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let job = &claimed[0];
    assert_eq!(job.id, id);
    assert_eq!(job.kind, "ocr");
    assert_eq!(job.payload, json!({"page": 3}));
    assert_eq!(job.priority, 5);
    assert_eq!(job.attempt, 1);
    assert!(job.lease_expires_at > Utc::now());

    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Running);
    assert_eq!(view.worker.as_deref(), Some("worker-a"));

    let beat = queue
        .heartbeat(id, job.lease_token, LEASE, Some(&json!({"pages_done": 1})))
        .await
        .unwrap();
    assert!(!beat.cancel_requested);
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.progress, Some(json!({"pages_done": 1})));

    queue
        .complete(id, job.lease_token, &json!({"text": "Chapitre I"}))
        .await
        .unwrap();
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Succeeded);
    assert_eq!(view.result, Some(json!({"text": "Chapitre I"})));
    assert!(view.finished_at.is_some());
    assert!(view.lease_expires_at.is_none());
    assert!(view.errors.is_empty());

    let again = queue.complete(id, job.lease_token, &json!(null)).await;
    assert!(
        matches!(again, Err(QueueError::LeaseLost { job_id }) if job_id == id),
        "{again:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn complete_and_claim_takes_next_job(pool: PgPool) {
    let queue = test_queue(&pool);
    let low = enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let split = enqueue(&queue, NewJob::new("split", json!({})).priority(5)).await;
    let high = enqueue(&queue, NewJob::new("ocr", json!({})).priority(1)).await;

    let first = claim_one(&queue, "worker-a").await;
    assert_eq!(first.id, split);
    let outcome = queue
        .complete_and_claim(
            split,
            first.lease_token,
            &json!("split done"),
            "worker-a",
            Some(&["ocr"]),
            LEASE,
        )
        .await
        .unwrap();
    assert!(outcome.completed);
    let second = outcome.next.expect("a due ocr job");
    assert_eq!(second.id, high);
    assert_eq!(second.attempt, 1);

    // A stale token records nothing, but the worker still gets its next job.
    let outcome = queue
        .complete_and_claim(split, first.lease_token, &json!("again"), "worker-a", None, LEASE)
        .await
        .unwrap();
    assert!(!outcome.completed);
    assert_eq!(outcome.next.map(|job| job.id), Some(low));

    let outcome = queue
        .complete_and_claim(high, second.lease_token, &json!("ocr done"), "worker-a", None, LEASE)
        .await
        .unwrap();
    assert!(outcome.completed);
    assert!(outcome.next.is_none());

    let split_view = queue.get(split).await.unwrap().unwrap();
    assert_eq!(split_view.state, JobState::Succeeded);
    assert_eq!(split_view.result, Some(json!("split done")));
    assert_eq!(queue.get(high).await.unwrap().unwrap().state, JobState::Succeeded);
    let low_view = queue.get(low).await.unwrap().unwrap();
    assert_eq!(low_view.state, JobState::Running);
    assert_eq!(low_view.worker.as_deref(), Some("worker-a"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn lost_lease_rejects_stale_outcome(pool: PgPool) {
    let queue = Queue::new(pool.clone()).with_backoff(Backoff {
        base: Duration::from_millis(1),
        max: Duration::from_millis(1),
    });
    let id = enqueue(&queue, NewJob::new("split", json!({}))).await;
    let first = claim_one(&queue, "worker-a").await;

    expire_lease(&pool, id).await;
    let rescued = queue.rescue_expired().await.unwrap();
    assert_eq!(rescued.len(), 1);
    assert_eq!(rescued[0].id, id);
    assert_eq!(rescued[0].state, JobState::Queued);
    assert_eq!(rescued[0].worker.as_deref(), Some("worker-a"));

    let second = claim_one(&queue, "worker-b").await;
    assert_eq!(second.id, id);
    assert_eq!(second.attempt, 2);
    assert_ne!(second.lease_token, first.lease_token);
    queue
        .complete(id, second.lease_token, &json!({"by": "worker-b"}))
        .await
        .unwrap();

    let token = first.lease_token;
    let results = [
        (
            "complete",
            queue.complete(id, token, &json!({"by": "worker-a"})).await.err(),
        ),
        ("fail", queue.fail(id, token, &JobError::retryable("late")).await.err()),
        ("heartbeat", queue.heartbeat(id, token, LEASE, None).await.err()),
        ("release", queue.release(id, token).await.err()),
        ("finish_cancelled", queue.finish_cancelled(id, token).await.err()),
    ];
    for (operation, error) in results {
        assert!(
            matches!(error, Some(QueueError::LeaseLost { job_id }) if job_id == id),
            "{operation} with the stale token returned {error:?}"
        );
    }

    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Succeeded);
    assert_eq!(view.result, Some(json!({"by": "worker-b"})));
    assert_eq!(view.attempt, 2);
    assert_eq!(view.worker.as_deref(), Some("worker-b"));
    assert_eq!(view.errors.len(), 1);
    assert_eq!(view.errors[0].attempt, 1);
    assert_eq!(view.errors[0].worker.as_deref(), Some("worker-a"));
    assert_eq!(
        view.errors[0].error,
        "lease expired (worker worker-a stopped heartbeating)"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn rescue_leaves_live_and_finished_jobs(pool: PgPool) {
    let queue = test_queue(&pool);
    let live = enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let done = enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let claimed = queue.claim("worker-a", None, 2, LEASE).await.unwrap();
    let token_of = |id: i64| claimed.iter().find(|job| job.id == id).unwrap().lease_token;

    queue.complete(done, token_of(done), &json!("ok")).await.unwrap();
    // The lease passes its expiry, but a heartbeat arrives before the rescue.
    expire_lease(&pool, live).await;
    queue.heartbeat(live, token_of(live), LEASE, None).await.unwrap();

    let rescued = queue.rescue_expired().await.unwrap();
    assert!(rescued.is_empty(), "{rescued:?}");
    assert_eq!(queue.get(live).await.unwrap().unwrap().state, JobState::Running);
    assert_eq!(queue.get(done).await.unwrap().unwrap().state, JobState::Succeeded);
}

#[sqlx::test(migrations = "../../migrations")]
async fn rescue_without_attempts_left_fails(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({})).max_attempts(1)).await;
    claim_one(&queue, "worker-a").await;
    expire_lease(&pool, id).await;

    let rescued = queue.rescue_expired().await.unwrap();
    assert_eq!(rescued.len(), 1);
    assert_eq!(rescued[0].state, JobState::Failed);
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Failed);
    assert!(view.finished_at.is_some());
    assert_eq!(view.errors.len(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn always_failing_job_backs_off(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({})).max_attempts(4)).await;

    let mut previous_delay = Duration::ZERO;
    for attempt in 1..=3 {
        let job = claim_one(&queue, "worker-a").await;
        assert_eq!(job.attempt, attempt);
        let error = JobError::retryable(format!("tesseract exited with status 1 (attempt {attempt})"));
        let outcome = queue.fail(id, job.lease_token, &error).await.unwrap();
        let FailOutcome::Retrying { run_after } = outcome else {
            panic!("attempt {attempt} returned {outcome:?}, expected a retry");
        };

        // The failure is recorded with the same now() that run_after counts from.
        let view = queue.get(id).await.unwrap().unwrap();
        assert_eq!(view.state, JobState::Queued);
        let failed_at = view.errors.last().unwrap().at;
        let delay = (run_after - failed_at).to_std().unwrap();
        let (low, high) = queue.backoff().delay_range(attempt);
        assert!(delay >= low, "attempt {attempt}: delay {delay:?} below {low:?}");
        assert!(delay < high, "attempt {attempt}: delay {delay:?} not below {high:?}");
        assert!(
            delay > previous_delay,
            "attempt {attempt}: delay {delay:?} not above {previous_delay:?}"
        );
        previous_delay = delay;
    }

    let job = claim_one(&queue, "worker-a").await;
    assert_eq!(job.attempt, 4);
    let outcome = queue
        .fail(
            id,
            job.lease_token,
            &JobError::retryable("tesseract exited with status 1 (attempt 4)"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Failed);

    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Failed);
    assert!(view.finished_at.is_some());
    let attempts: Vec<i32> = view.errors.iter().map(|error| error.attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    for error in &view.errors {
        assert_eq!(
            error.error,
            format!("tesseract exited with status 1 (attempt {})", error.attempt)
        );
        assert_eq!(error.worker.as_deref(), Some("worker-a"));
    }
    assert!(queue.claim("worker-a", None, 1, LEASE).await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn permanent_error_fails_at_once(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("match", json!({})).max_attempts(5)).await;
    let job = claim_one(&queue, "worker-a").await;

    let error = JobError::permanent("Index:Foo.djvu has no text layer on page 12");
    let outcome = queue.fail(id, job.lease_token, &error).await.unwrap();
    assert_eq!(outcome, FailOutcome::Failed);

    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Failed);
    assert_eq!(view.attempt, 1);
    assert_eq!(view.errors.len(), 1);
    assert_eq!(view.errors[0].error, "Index:Foo.djvu has no text layer on page 12");
}

#[sqlx::test(migrations = "../../migrations")]
async fn claim_follows_priority_then_run_after(pool: PgPool) {
    let queue = test_queue(&pool);
    let low = enqueue(&queue, NewJob::new("ocr", json!({})).priority(-5)).await;
    let high_first = enqueue(&queue, NewJob::new("ocr", json!({})).priority(10)).await;
    let middle = enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let high_second = enqueue(&queue, NewJob::new("ocr", json!({})).priority(10)).await;
    let high_earlier = enqueue(
        &queue,
        NewJob::new("ocr", json!({}))
            .priority(10)
            .run_after(Utc::now() - chrono::Duration::minutes(5)),
    )
    .await;
    let not_due = enqueue(
        &queue,
        NewJob::new("ocr", json!({}))
            .priority(100)
            .run_after(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;

    let mut order = Vec::new();
    while let Some(job) = queue.claim("worker-a", None, 1, LEASE).await.unwrap().pop() {
        order.push(job.id);
    }
    assert_eq!(order, [high_earlier, high_first, high_second, middle, low]);
    assert_eq!(queue.get(not_due).await.unwrap().unwrap().state, JobState::Queued);
}

#[sqlx::test(migrations = "../../migrations")]
async fn batch_claim_returns_claim_order(pool: PgPool) {
    let queue = test_queue(&pool);
    let low = enqueue(&queue, NewJob::new("ocr", json!({})).priority(-1)).await;
    let high = enqueue(&queue, NewJob::new("ocr", json!({})).priority(1)).await;
    let other_kind = enqueue(&queue, NewJob::new("split", json!({})).priority(50)).await;

    let claimed = queue.claim("worker-a", Some(&["ocr"]), 10, LEASE).await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|job| job.id).collect();
    assert_eq!(ids, [high, low]);
    assert_eq!(queue.get(other_kind).await.unwrap().unwrap().state, JobState::Queued);
}

#[sqlx::test(migrations = "../../migrations")]
async fn dedupe_key_returns_active_job(pool: PgPool) {
    let queue = test_queue(&pool);
    let job = || NewJob::new("text_layer", json!({"file": "Foo.djvu"})).dedupe_key("text_layer:Foo.djvu");

    let first = enqueue(&queue, job()).await;
    assert_eq!(queue.enqueue(&job()).await.unwrap(), EnqueueOutcome::Existing(first));

    let claimed = claim_one(&queue, "worker-a").await;
    assert_eq!(queue.enqueue(&job()).await.unwrap(), EnqueueOutcome::Existing(first));

    queue.complete(first, claimed.lease_token, &json!(null)).await.unwrap();
    let second = enqueue(&queue, job()).await;
    assert_ne!(second, first);

    assert_eq!(queue.cancel(second).await.unwrap(), CancelOutcome::Cancelled);
    let third = enqueue(&queue, job()).await;
    assert_ne!(third, second);

    let other_key = enqueue(
        &queue,
        NewJob::new("text_layer", json!({})).dedupe_key("text_layer:Bar.pdf"),
    )
    .await;
    assert_ne!(other_key, third);
}

#[sqlx::test(migrations = "../../migrations")]
async fn invalid_job_rejected_with_context(pool: PgPool) {
    let queue = test_queue(&pool);
    let error = queue
        .enqueue(&NewJob::new("ocr", json!({})).priority(500))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("enqueue a job of kind \"ocr\""), "{message}");
    let QueueError::Database { source, .. } = &error else {
        panic!("expected a database error, got {error:?}");
    };
    assert!(source.to_string().contains("job_priority_check"), "{source}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn cancel_queued_job(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({}))).await;

    assert_eq!(queue.cancel(id).await.unwrap(), CancelOutcome::Cancelled);
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Cancelled);
    assert!(view.finished_at.is_some());
    assert!(!view.cancel_requested);

    assert!(queue.claim("worker-a", None, 1, LEASE).await.unwrap().is_empty());
    assert_eq!(
        queue.cancel(id).await.unwrap(),
        CancelOutcome::AlreadyFinished(JobState::Cancelled)
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn cancel_running_job_via_heartbeat(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let job = claim_one(&queue, "worker-a").await;

    assert_eq!(queue.cancel(id).await.unwrap(), CancelOutcome::Requested);
    assert_eq!(queue.get(id).await.unwrap().unwrap().state, JobState::Running);
    let beat = queue.heartbeat(id, job.lease_token, LEASE, None).await.unwrap();
    assert!(beat.cancel_requested);

    queue.finish_cancelled(id, job.lease_token).await.unwrap();
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Cancelled);
    assert!(view.errors.is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn failure_after_cancel_request_cancels(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let job = claim_one(&queue, "worker-a").await;
    queue.cancel(id).await.unwrap();

    let outcome = queue
        .fail(id, job.lease_token, &JobError::retryable("connection reset"))
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Cancelled);
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Cancelled);
    assert_eq!(view.errors.len(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn cancel_finished_or_missing_job(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let job = claim_one(&queue, "worker-a").await;
    queue.complete(id, job.lease_token, &json!(null)).await.unwrap();

    assert_eq!(
        queue.cancel(id).await.unwrap(),
        CancelOutcome::AlreadyFinished(JobState::Succeeded)
    );
    let missing = queue.cancel(id + 1_000).await.unwrap_err();
    assert!(matches!(missing, QueueError::NotFound { .. }), "{missing:?}");
    assert_eq!(missing.to_string(), format!("job {} not found", id + 1_000));
}

#[sqlx::test(migrations = "../../migrations")]
async fn release_returns_attempt(pool: PgPool) {
    let queue = test_queue(&pool);
    let id = enqueue(&queue, NewJob::new("ocr", json!({})).max_attempts(1)).await;
    let job = claim_one(&queue, "worker-a").await;

    assert_eq!(queue.release(id, job.lease_token).await.unwrap(), JobState::Queued);
    let view = queue.get(id).await.unwrap().unwrap();
    assert_eq!(view.state, JobState::Queued);
    assert_eq!(view.attempt, 0);
    assert!(view.errors.is_empty());

    let again = claim_one(&queue, "worker-b").await;
    assert_eq!(again.attempt, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn prune_deletes_old_finished_in_batches(pool: PgPool) {
    let queue = test_queue(&pool);
    sqlx::query(
        "INSERT INTO job (kind, state, finished_at)
         SELECT 'old', (ARRAY['succeeded', 'failed', 'cancelled'])[1 + i % 3]::job_state,
                now() - interval '2 days'
         FROM generate_series(1, 25) AS i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO job (kind, state, finished_at)
         SELECT 'recent', 'succeeded', now() - interval '10 minutes' FROM generate_series(1, 3)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Unfinished jobs created long ago: age counts from finished_at only.
    sqlx::query(
        "INSERT INTO job (kind, created_at, run_after)
         SELECT 'waiting', now() - interval '30 days', now() + interval '1 day' FROM generate_series(1, 4)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO job (kind, state, attempt, created_at, lease_token, lease_expires_at)
         VALUES ('busy', 'running', 1, now() - interval '30 days', gen_random_uuid(), now() + interval '1 minute')",
    )
    .execute(&pool)
    .await
    .unwrap();

    let report = queue.prune_finished(Duration::from_secs(3_600), 10).await.unwrap();
    assert_eq!(report.deleted, 25);
    assert_eq!(report.statements, 3);

    let remaining: Vec<(String, i64)> = sqlx::query_as("SELECT kind, count(*) FROM job GROUP BY kind ORDER BY kind")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        remaining,
        [
            ("busy".to_owned(), 1),
            ("recent".to_owned(), 3),
            ("waiting".to_owned(), 4)
        ]
    );

    let again = queue.prune_finished(Duration::from_secs(3_600), 10).await.unwrap();
    assert_eq!(again.deleted, 0);
    assert_eq!(again.statements, 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn status_queries(pool: PgPool) {
    let queue = test_queue(&pool);
    let running = enqueue(&queue, NewJob::new("ocr", json!({})).priority(1)).await;
    enqueue(&queue, NewJob::new("ocr", json!({}))).await;
    let failed = enqueue(&queue, NewJob::new("split", json!({"title": "Les Misérables"}))).await;

    let claimed = queue.claim("worker-a", Some(&["ocr"]), 1, LEASE).await.unwrap();
    assert_eq!(claimed[0].id, running);
    let split = queue.claim("worker-a", Some(&["split"]), 1, LEASE).await.unwrap();
    queue
        .fail(
            failed,
            split[0].lease_token,
            &JobError::permanent("page Page:X.djvu/3 not found"),
        )
        .await
        .unwrap();

    let depth: Vec<(String, JobState, i64)> = queue
        .depth()
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.kind, row.state, row.jobs))
        .collect();
    assert_eq!(
        depth,
        [
            ("ocr".to_owned(), JobState::Queued, 1),
            ("ocr".to_owned(), JobState::Running, 1),
            ("split".to_owned(), JobState::Failed, 1),
        ]
    );

    let running_jobs = queue.running_jobs().await.unwrap();
    assert_eq!(running_jobs.len(), 1);
    assert_eq!(running_jobs[0].id, running);
    assert_eq!(running_jobs[0].worker, "worker-a");
    assert!(running_jobs[0].age_seconds >= 0.0);

    let failures = queue.recent_failures(10).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].id, failed);
    assert_eq!(failures[0].payload, json!({"title": "Les Misérables"}));
    assert_eq!(failures[0].errors[0].error, "page Page:X.djvu/3 not found");

    let view = serde_json::to_value(queue.get(failed).await.unwrap().unwrap()).unwrap();
    assert_eq!(view["state"], "failed");
    assert_eq!(view["worker"], "worker-a");
    assert_eq!(view["errors"][0]["attempt"], 1);
}
