//! State transitions of a job: claim, heartbeat, complete, fail, cancel, release.
//!
//! Each transition is one SQL statement, committed on its own. The statements that
//! end or extend an attempt are fenced by `state = 'running' AND lease_token = $token`:
//! when no row matches, the caller no longer owns the job and gets
//! [`QueueError::LeaseLost`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{enqueue, Backoff, EnqueueOutcome, JobError, JobId, JobState, NewJob, QueueError};

/// Error messages longer than this many characters are cut before they are stored
/// in `errors`, so that a handler returning a whole log cannot bloat the row.
const MAX_ERROR_CHARS: usize = 4_000;

/// Access to the `job` table.
#[derive(Debug, Clone)]
pub struct Queue {
    pool: PgPool,
    backoff: Backoff,
}

/// A job that [`Queue::claim`] moved to `running` for the calling worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: Value,
    pub priority: i16,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_after: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Fencing token that every later statement on this attempt must present.
    pub lease_token: Uuid,
    pub lease_expires_at: DateTime<Utc>,
}

/// Result of a successful heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// [`Queue::cancel`] was called on the job: the worker should stop its handler.
    pub cancel_requested: bool,
}

/// Outcome of [`Queue::fail`]: the job's new state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Back to `queued`; it becomes claimable at `run_after`.
    Retrying { run_after: DateTime<Utc> },
    /// `failed`: the error was permanent or this was the last attempt.
    Failed,
    /// `cancelled`: a cancel request arrived while the attempt ran.
    Cancelled,
}

/// Outcome of [`Queue::cancel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The job was queued and is now `cancelled`.
    Cancelled,
    /// The job is running: `cancel_requested` is set, and the worker stops the
    /// handler at its next heartbeat and records `cancelled`.
    Requested,
    /// The job had already finished in this state; nothing changed.
    AlreadyFinished(JobState),
}

/// The claim statement, shared by [`Queue::claim`] and [`Queue::complete_and_claim`].
/// Parameters: $1 worker id, $2 kinds (NULL for all), $3 limit, $4 lease in seconds.
/// The argument is a query that must run before the claim in the same statement
/// (`SELECT 1` when there is none).
macro_rules! claim_update {
    ($before:literal) => {
        concat!(
            "UPDATE job
             SET state = 'running', attempt = attempt + 1, attempted_at = now(), attempted_by = $1,
                 lease_token = gen_random_uuid(), lease_expires_at = now() + make_interval(secs => $4),
                 progress = NULL
             WHERE id = ANY((SELECT job_claimable_ids($2::text[], $3::integer) FROM (",
            $before,
            ") AS before_claim)::bigint[])
             RETURNING id, kind, payload, priority, attempt, max_attempts, run_after, created_at,
                       lease_token, lease_expires_at"
        )
    };
}

/// Result of [`Queue::complete_and_claim`].
#[derive(Debug, Clone)]
pub struct CompletedAndClaimed {
    /// Whether the completion was recorded; `false` means the lease was lost.
    pub completed: bool,
    /// The next job, now running for the same worker.
    pub next: Option<ClaimedJob>,
}

/// Row of the complete-and-claim statement: the claimed columns are NULL when no
/// job was due.
#[derive(sqlx::FromRow)]
struct CompletedAndClaimedRow {
    completed: bool,
    id: Option<JobId>,
    kind: Option<String>,
    payload: Option<Value>,
    priority: Option<i16>,
    attempt: Option<i32>,
    max_attempts: Option<i32>,
    run_after: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
    lease_token: Option<Uuid>,
    lease_expires_at: Option<DateTime<Utc>>,
}

impl CompletedAndClaimedRow {
    fn into_outcome(self) -> CompletedAndClaimed {
        let next = match (
            self.id,
            self.kind,
            self.payload,
            self.priority,
            self.attempt,
            self.max_attempts,
            self.run_after,
            self.created_at,
            self.lease_token,
            self.lease_expires_at,
        ) {
            (
                Some(id),
                Some(kind),
                Some(payload),
                Some(priority),
                Some(attempt),
                Some(max_attempts),
                Some(run_after),
                Some(created_at),
                Some(lease_token),
                Some(lease_expires_at),
            ) => Some(ClaimedJob {
                id,
                kind,
                payload,
                priority,
                attempt,
                max_attempts,
                run_after,
                created_at,
                lease_token,
                lease_expires_at,
            }),
            _ => None,
        };
        CompletedAndClaimed {
            completed: self.completed,
            next,
        }
    }
}

impl Queue {
    /// Creates a queue on `pool` with the default retry backoff.
    pub fn new(pool: PgPool) -> Self {
        Queue {
            pool,
            backoff: Backoff::default(),
        }
    }

    /// Sets the backoff that [`Queue::fail`] and the rescue of expired leases apply.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// Inserts a job in its own transaction; see [`enqueue`] for the dedupe rules.
    pub async fn enqueue(&self, job: &NewJob) -> Result<EnqueueOutcome, QueueError> {
        let action = || format!("enqueue a job of kind {:?}", job.kind);
        let mut transaction = self.pool.begin().await.map_err(QueueError::database(action()))?;
        let outcome = enqueue(&mut transaction, job)
            .await
            .map_err(QueueError::database(action()))?;
        transaction.commit().await.map_err(QueueError::database(action()))?;
        Ok(outcome)
    }

    /// Moves up to `limit` due queued jobs to `running` for `worker_id` and returns
    /// them in claim order (priority, then `run_after`, then id).
    ///
    /// `kinds` restricts the claim to these job kinds; `None` claims every kind. Rows
    /// locked by a concurrent claim are skipped, so claims never wait on each other.
    /// The statement commits before it returns: no row lock is held while the job runs.
    ///
    /// The ids come as an array from the SQL function `job_claimable_ids`, and the
    /// UPDATE finds them by primary key. With `id IN (SELECT …)` instead, the generic
    /// plan of the prepared statement on PostgreSQL 15 became a hash join over a
    /// sequential scan of `job`, which grows with the table.
    pub async fn claim(
        &self,
        worker_id: &str,
        kinds: Option<&[&str]>,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, QueueError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);

        let mut jobs: Vec<ClaimedJob> = sqlx::query_as(claim_update!("SELECT 1"))
            .bind(worker_id)
            .bind(kinds)
            .bind(limit)
            .bind(lease.as_secs_f64())
            .fetch_all(&self.pool)
            .await
            .map_err(QueueError::database(format!("claim jobs for worker {worker_id}")))?;

        // RETURNING gives no order; restore the claim order for the caller.
        jobs.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.run_after.cmp(&b.run_after))
                .then(a.id.cmp(&b.id))
        });
        Ok(jobs)
    }

    /// Completes a job like [`Queue::complete`] and, in the same statement and
    /// commit, claims the next due job like [`Queue::claim`] with a limit of 1.
    ///
    /// A worker that finishes a job and goes on to the next one thus pays for one
    /// commit per job instead of two. The claim happens even when the lease was lost.
    pub async fn complete_and_claim(
        &self,
        job_id: JobId,
        lease_token: Uuid,
        result: &Value,
        worker_id: &str,
        kinds: Option<&[&str]>,
        lease: Duration,
    ) -> Result<CompletedAndClaimed, QueueError> {
        let row: CompletedAndClaimedRow = sqlx::query_as(concat!(
            "WITH completed AS (
                 UPDATE job
                 SET state = 'succeeded', finished_at = now(), result = $7,
                     lease_token = NULL, lease_expires_at = NULL
                 WHERE id = $5 AND state = 'running' AND lease_token = $6
                 RETURNING id
             ), claimed AS (",
            // The completion must run before the claim. A claim can keep a row lock on
            // a job that another worker claimed after this statement's snapshot: the
            // lock stays although the row fails the recheck. If that worker's statement
            // claimed first and then waited to complete its own job, the two workers
            // would wait for each other. With the completion first, the only waits come
            // before any claim, and claims never wait (SKIP LOCKED), so no cycle forms.
            claim_update!("SELECT count(*) FROM completed"),
            ")
             SELECT EXISTS (SELECT FROM completed) AS completed, claimed.*
             FROM (VALUES (1)) AS one LEFT JOIN claimed ON true"
        ))
        .bind(worker_id)
        .bind(kinds)
        .bind(1_i64)
        .bind(lease.as_secs_f64())
        .bind(job_id)
        .bind(lease_token)
        .bind(result)
        .fetch_one(&self.pool)
        .await
        .map_err(QueueError::database(format!(
            "record the completion of job {job_id} and claim the next job for worker {worker_id}"
        )))?;

        Ok(row.into_outcome())
    }

    /// Renews the lease to `now() + lease` and stores `progress` when given.
    ///
    /// Succeeds even after `lease_expires_at` has passed, as long as no rescue has
    /// taken the job yet: the rescue and the heartbeat both lock the row, so exactly
    /// one of them wins.
    pub async fn heartbeat(
        &self,
        job_id: JobId,
        lease_token: Uuid,
        lease: Duration,
        progress: Option<&Value>,
    ) -> Result<Heartbeat, QueueError> {
        let cancel_requested: Option<bool> = sqlx::query_scalar(
            "UPDATE job
             SET lease_expires_at = now() + make_interval(secs => $3),
                 progress = COALESCE($4, progress)
             WHERE id = $1 AND state = 'running' AND lease_token = $2
             RETURNING cancel_requested",
        )
        .bind(job_id)
        .bind(lease_token)
        .bind(lease.as_secs_f64())
        .bind(progress)
        .fetch_optional(&self.pool)
        .await
        .map_err(QueueError::database(format!("renew the lease of job {job_id}")))?;

        match cancel_requested {
            Some(cancel_requested) => Ok(Heartbeat { cancel_requested }),
            None => Err(QueueError::LeaseLost { job_id }),
        }
    }

    /// Moves the job to `succeeded` and stores `result`.
    pub async fn complete(&self, job_id: JobId, lease_token: Uuid, result: &Value) -> Result<(), QueueError> {
        let updated = sqlx::query(
            "UPDATE job
             SET state = 'succeeded', finished_at = now(), result = $3,
                 lease_token = NULL, lease_expires_at = NULL
             WHERE id = $1 AND state = 'running' AND lease_token = $2",
        )
        .bind(job_id)
        .bind(lease_token)
        .bind(result)
        .execute(&self.pool)
        .await
        .map_err(QueueError::database(format!("record the completion of job {job_id}")))?;

        lease_held(updated.rows_affected(), job_id)
    }

    /// Records a failed attempt: appends `{"attempt", "at", "worker", "error"}` to
    /// `errors`, then moves the job to
    ///
    /// * `cancelled` if a cancel request arrived meanwhile,
    /// * `failed` if `error` is [`JobError::Permanent`] or no attempts are left,
    /// * `queued` otherwise, with `run_after` set by the queue's [`Backoff`].
    ///
    /// [`JobError::Cancelled`] counts as a retryable failure with the message
    /// "cancelled". The worker pool never passes it here: it records a cancel
    /// request with [`Queue::finish_cancelled`] and a shutdown with [`Queue::release`].
    pub async fn fail(&self, job_id: JobId, lease_token: Uuid, error: &JobError) -> Result<FailOutcome, QueueError> {
        let permanent = matches!(error, JobError::Permanent(_));
        let message = truncate_error(&error.to_string());

        let row: Option<(JobState, DateTime<Utc>)> = sqlx::query_as(
            "UPDATE job
             SET state = CASE WHEN cancel_requested THEN 'cancelled'
                              WHEN $3 OR attempt >= max_attempts THEN 'failed'
                              ELSE 'queued' END::job_state,
                 run_after = CASE WHEN cancel_requested OR $3 OR attempt >= max_attempts THEN run_after
                                  ELSE now() + job_retry_delay(attempt, $5, $6) END,
                 finished_at = CASE WHEN cancel_requested OR $3 OR attempt >= max_attempts THEN now() END,
                 lease_token = NULL, lease_expires_at = NULL,
                 errors = errors || jsonb_build_array(jsonb_build_object(
                     'attempt', attempt, 'at', now(), 'worker', attempted_by, 'error', $4::text))
             WHERE id = $1 AND state = 'running' AND lease_token = $2
             RETURNING state, run_after",
        )
        .bind(job_id)
        .bind(lease_token)
        .bind(permanent)
        .bind(&message)
        .bind(self.backoff.base.as_secs_f64())
        .bind(self.backoff.max.as_secs_f64())
        .fetch_optional(&self.pool)
        .await
        .map_err(QueueError::database(format!("record the failure of job {job_id}")))?;

        match row {
            None => Err(QueueError::LeaseLost { job_id }),
            Some((JobState::Queued, run_after)) => Ok(FailOutcome::Retrying { run_after }),
            Some((JobState::Cancelled, _)) => Ok(FailOutcome::Cancelled),
            Some(_) => Ok(FailOutcome::Failed),
        }
    }

    /// Moves the job to `cancelled` after its handler stopped on a cancel request.
    /// Nothing is appended to `errors`.
    pub async fn finish_cancelled(&self, job_id: JobId, lease_token: Uuid) -> Result<(), QueueError> {
        let updated = sqlx::query(
            "UPDATE job
             SET state = 'cancelled', finished_at = now(), lease_token = NULL, lease_expires_at = NULL
             WHERE id = $1 AND state = 'running' AND lease_token = $2",
        )
        .bind(job_id)
        .bind(lease_token)
        .execute(&self.pool)
        .await
        .map_err(QueueError::database(format!("record the cancellation of job {job_id}")))?;

        lease_held(updated.rows_affected(), job_id)
    }

    /// Gives a running job back to the queue, claimable at once, because the worker
    /// is shutting down. The attempt is returned (`attempt -= 1`) and nothing is
    /// appended to `errors`, so a deployment costs a job none of its attempts. A job
    /// with a pending cancel request moves to `cancelled` instead. Returns the new state.
    pub async fn release(&self, job_id: JobId, lease_token: Uuid) -> Result<JobState, QueueError> {
        let state: Option<JobState> = sqlx::query_scalar(
            "UPDATE job
             SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END::job_state,
                 finished_at = CASE WHEN cancel_requested THEN now() END,
                 attempt = CASE WHEN cancel_requested THEN attempt ELSE attempt - 1 END,
                 run_after = CASE WHEN cancel_requested THEN run_after ELSE now() END,
                 lease_token = NULL, lease_expires_at = NULL
             WHERE id = $1 AND state = 'running' AND lease_token = $2
             RETURNING state",
        )
        .bind(job_id)
        .bind(lease_token)
        .fetch_optional(&self.pool)
        .await
        .map_err(QueueError::database(format!("release job {job_id}")))?;

        state.ok_or(QueueError::LeaseLost { job_id })
    }

    /// Cancels a job: a queued job moves to `cancelled` at once; a running job gets
    /// `cancel_requested`, which its worker acts on at the next heartbeat.
    pub async fn cancel(&self, job_id: JobId) -> Result<CancelOutcome, QueueError> {
        let action = || format!("cancel job {job_id}");
        // Only queued and running rows match, and a running row stays running, so the
        // new state shows which of the two the job was.
        let updated: Option<JobState> = sqlx::query_scalar(
            "UPDATE job
             SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                 finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
                 cancel_requested = (state = 'running')
             WHERE id = $1 AND state IN ('queued', 'running')
             RETURNING state",
        )
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(QueueError::database(action()))?;

        match updated {
            Some(JobState::Cancelled) => return Ok(CancelOutcome::Cancelled),
            Some(_) => return Ok(CancelOutcome::Requested),
            None => {}
        }

        let state: Option<JobState> = sqlx::query_scalar("SELECT state FROM job WHERE id = $1")
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(QueueError::database(action()))?;
        match state {
            Some(state) => Ok(CancelOutcome::AlreadyFinished(state)),
            None => Err(QueueError::NotFound { job_id }),
        }
    }
}

fn lease_held(rows_affected: u64, job_id: JobId) -> Result<(), QueueError> {
    if rows_affected == 1 {
        Ok(())
    } else {
        Err(QueueError::LeaseLost { job_id })
    }
}

fn truncate_error(message: &str) -> String {
    match message.char_indices().nth(MAX_ERROR_CHARS) {
        None => message.to_owned(),
        Some((cut, _)) => format!("{}… (truncated, {} bytes in total)", &message[..cut], message.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_error_kept() {
        assert_eq!(truncate_error("timed out"), "timed out");
    }

    #[test]
    fn long_error_truncated_on_char_boundary() {
        let message = "é".repeat(MAX_ERROR_CHARS + 10);
        let stored = truncate_error(&message);
        assert!(stored.starts_with(&"é".repeat(MAX_ERROR_CHARS)));
        assert!(stored.ends_with(&format!("(truncated, {} bytes in total)", message.len())));
    }
}
