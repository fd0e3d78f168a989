//! Rescue of jobs whose lease expired, and deletion of old finished jobs.
//!
//! Every worker process runs both periodically. Several processes may do so at the
//! same time: each statement locks its rows with `FOR UPDATE SKIP LOCKED`, so two
//! rescuers never take the same job and two pruners never wait on each other. The
//! rows are selected with `id = ANY(ARRAY(SELECT …))`, which keeps the generic plan
//! of the prepared statement on the primary key.

use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::error::error_chain;
use crate::{JobId, JobState, Queue, QueueConfig, QueueError};

/// Rows rescued per statement; a larger backlog is worked through in a loop.
const RESCUE_BATCH_SIZE: i64 = 500;

/// A running job whose lease expired, as [`Queue::rescue_expired`] left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RescuedJob {
    pub id: JobId,
    pub kind: String,
    /// The attempt that was lost.
    pub attempt: i32,
    /// Worker that held the expired lease.
    pub worker: Option<String>,
    /// `queued` (retry after backoff), `failed` (no attempts left) or `cancelled`
    /// (a cancel request was pending).
    pub state: JobState,
}

/// Result of [`Queue::prune_finished`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub deleted: u64,
    /// DELETE statements run, the last one deleting fewer rows than the batch size.
    pub statements: u32,
}

impl Queue {
    /// Takes running jobs whose `lease_expires_at` has passed away from their worker.
    ///
    /// Each one gets the error "lease expired (worker X stopped heartbeating)" in
    /// `errors` and moves to `queued` with backoff, to `failed` when no attempts are
    /// left, or to `cancelled` when a cancel request is pending. Its lease token is
    /// cleared, so the old worker can no longer record an outcome. A job that its
    /// worker completed or heartbeated after this statement's snapshot is re-checked
    /// under the row lock and left alone.
    pub async fn rescue_expired(&self) -> Result<Vec<RescuedJob>, QueueError> {
        let mut rescued = Vec::new();
        loop {
            let batch = self.rescue_expired_batch().await?;
            let batch_len = batch.len();
            rescued.extend(batch);
            if (batch_len as i64) < RESCUE_BATCH_SIZE {
                return Ok(rescued);
            }
        }
    }

    async fn rescue_expired_batch(&self) -> Result<Vec<RescuedJob>, QueueError> {
        sqlx::query_as(
            "UPDATE job
             SET state = CASE WHEN cancel_requested THEN 'cancelled'
                              WHEN attempt >= max_attempts THEN 'failed'
                              ELSE 'queued' END::job_state,
                 run_after = CASE WHEN cancel_requested OR attempt >= max_attempts THEN run_after
                                  ELSE now() + job_retry_delay(attempt, $2, $3) END,
                 finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN now() END,
                 lease_token = NULL, lease_expires_at = NULL,
                 errors = errors || jsonb_build_array(jsonb_build_object(
                     'attempt', attempt, 'at', now(), 'worker', attempted_by,
                     'error', format('lease expired (worker %s stopped heartbeating)', attempted_by)))
             WHERE id = ANY(ARRAY(
                 SELECT id FROM job
                 WHERE state = 'running' AND lease_expires_at < now()
                 ORDER BY lease_expires_at
                 FOR UPDATE SKIP LOCKED
                 LIMIT $1))
             RETURNING id, kind, attempt, attempted_by AS worker, state",
        )
        .bind(RESCUE_BATCH_SIZE)
        .bind(self.backoff().base.as_secs_f64())
        .bind(self.backoff().max.as_secs_f64())
        .fetch_all(self.pool())
        .await
        .map_err(QueueError::database("rescue jobs with an expired lease"))
    }

    /// Deletes succeeded, failed and cancelled jobs that finished more than
    /// `older_than` ago, `batch_size` rows per statement. Queued and running jobs
    /// are never deleted.
    pub async fn prune_finished(&self, older_than: Duration, batch_size: u32) -> Result<PruneReport, QueueError> {
        let mut report = PruneReport {
            deleted: 0,
            statements: 0,
        };
        loop {
            let deleted = sqlx::query(
                "DELETE FROM job
                 WHERE id = ANY(ARRAY(
                     SELECT id FROM job
                     WHERE state IN ('succeeded', 'failed', 'cancelled')
                       AND finished_at < now() - make_interval(secs => $1)
                     FOR UPDATE SKIP LOCKED
                     LIMIT $2))",
            )
            .bind(older_than.as_secs_f64())
            .bind(i64::from(batch_size))
            .execute(self.pool())
            .await
            .map_err(QueueError::database("delete old finished jobs"))?
            .rows_affected();

            report.deleted += deleted;
            report.statements += 1;
            if deleted < u64::from(batch_size) {
                return Ok(report);
            }
        }
    }
}

/// The periodic rescue and prune loop of a worker process.
#[derive(Debug, Clone)]
pub struct Maintenance {
    queue: Queue,
    rescue_interval: Duration,
    prune_interval: Duration,
    prune_after: Duration,
    prune_batch_size: u32,
}

impl Maintenance {
    pub fn new(queue: Queue, config: &QueueConfig) -> Self {
        Maintenance {
            queue,
            rescue_interval: config.rescue_interval(),
            prune_interval: config.prune_interval(),
            prune_after: config.prune_after(),
            prune_batch_size: config.prune_batch_size,
        }
    }

    /// Rescues every `rescue_interval` and prunes every `prune_interval`, both
    /// starting at once, until `shutdown` fires. Errors are logged and the loop goes on.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut rescue = tokio::time::interval(self.rescue_interval);
        let mut prune = tokio::time::interval(self.prune_interval);
        rescue.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        debug!("maintenance started");

        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = rescue.tick() => self.rescue_once().await,
                _ = prune.tick() => self.prune_once().await,
            }
        }
        debug!("maintenance stopped");
    }

    async fn rescue_once(&self) {
        match self.queue.rescue_expired().await {
            Ok(rescued) => {
                for job in rescued {
                    warn!(
                        job_id = job.id,
                        kind = %job.kind,
                        attempt = job.attempt,
                        worker = job.worker.as_deref().unwrap_or(""),
                        state = %job.state,
                        "rescued job whose lease expired"
                    );
                }
            }
            Err(error) => {
                warn!(error = %error_chain(&error), "rescue of expired leases failed; retrying at the next interval")
            }
        }
    }

    async fn prune_once(&self) {
        match self.queue.prune_finished(self.prune_after, self.prune_batch_size).await {
            Ok(report) if report.deleted > 0 => {
                info!(
                    deleted = report.deleted,
                    statements = report.statements,
                    "pruned finished jobs"
                );
            }
            Ok(_) => {}
            Err(error) => {
                warn!(error = %error_chain(&error), "pruning of finished jobs failed; retrying at the next interval")
            }
        }
    }
}
