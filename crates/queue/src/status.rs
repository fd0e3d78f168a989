//! Read-only views of jobs for the web API and the status page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{JobId, JobState, Queue, QueueError};

/// One failed attempt, as stored in `job.errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptError {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// Worker id (`<host>/<pid>/<uuid>`) that ran the attempt.
    pub worker: Option<String>,
    pub error: String,
}

/// A job as the web API shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JobView {
    pub id: JobId,
    pub kind: String,
    pub state: JobState,
    pub payload: Value,
    pub priority: i16,
    pub dedupe_key: Option<String>,
    /// Attempts started so far, including a running one.
    pub attempt: i32,
    pub max_attempts: i32,
    #[sqlx(json)]
    pub errors: Vec<AttemptError>,
    pub result: Option<Value>,
    /// Latest value the handler passed to `ProgressReporter::report`, written at heartbeats.
    pub progress: Option<Value>,
    pub cancel_requested: bool,
    pub created_at: DateTime<Utc>,
    /// Earliest start of the next attempt while queued.
    pub run_after: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    /// Worker id of the latest attempt.
    #[sqlx(rename = "attempted_by")]
    pub worker: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Number of jobs of one kind in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct KindDepth {
    pub kind: String,
    pub state: JobState,
    pub jobs: i64,
}

/// A running job as the status page shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RunningJob {
    pub id: JobId,
    pub kind: String,
    pub attempt: i32,
    pub max_attempts: i32,
    pub worker: String,
    pub attempted_at: DateTime<Utc>,
    /// Time since the attempt started, measured by the database clock.
    pub age_seconds: f64,
    pub lease_expires_at: DateTime<Utc>,
    pub progress: Option<Value>,
    pub cancel_requested: bool,
}

/// A queued or running job, for the status pages of the endpoints of the old tool.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ActiveJob {
    pub id: JobId,
    pub kind: String,
    pub state: JobState,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

/// A job that ended in `failed`, with the error of every attempt.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FailedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: Value,
    pub attempt: i32,
    pub max_attempts: i32,
    pub finished_at: DateTime<Utc>,
    #[sqlx(json)]
    pub errors: Vec<AttemptError>,
}

impl Queue {
    /// Returns the job with this id, or `None` if it does not exist (or was pruned).
    pub async fn get(&self, job_id: JobId) -> Result<Option<JobView>, QueueError> {
        sqlx::query_as(
            "SELECT id, kind, state, payload, priority, dedupe_key, attempt, max_attempts, errors,
                    result, progress, cancel_requested, created_at, run_after, attempted_at,
                    attempted_by, lease_expires_at, finished_at
             FROM job WHERE id = $1",
        )
        .bind(job_id)
        .fetch_optional(self.pool())
        .await
        .map_err(QueueError::database(format!("read job {job_id}")))
    }

    /// Counts jobs per kind and state, ordered by kind then state.
    pub async fn depth(&self) -> Result<Vec<KindDepth>, QueueError> {
        sqlx::query_as("SELECT kind, state, count(*) AS jobs FROM job GROUP BY kind, state ORDER BY kind, state")
            .fetch_all(self.pool())
            .await
            .map_err(QueueError::database("count jobs per kind and state"))
    }

    /// Lists running jobs, oldest attempt first.
    pub async fn running_jobs(&self) -> Result<Vec<RunningJob>, QueueError> {
        sqlx::query_as(
            "SELECT id, kind, attempt, max_attempts, attempted_by AS worker, attempted_at,
                    extract(epoch FROM now() - attempted_at)::float8 AS age_seconds,
                    lease_expires_at, progress, cancel_requested
             FROM job WHERE state = 'running'
             ORDER BY attempted_at, id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(QueueError::database("list running jobs"))
    }

    /// Lists up to `limit` queued or running jobs of `kinds`: running ones first,
    /// then the queued ones in claim order.
    pub async fn active_jobs(&self, kinds: &[&str], limit: i64) -> Result<Vec<ActiveJob>, QueueError> {
        sqlx::query_as(
            "SELECT id, kind, state, payload, created_at
             FROM job WHERE state IN ('queued', 'running') AND kind = ANY($1)
             ORDER BY state = 'running' DESC, priority DESC, run_after, id
             LIMIT $2",
        )
        .bind(kinds)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(QueueError::database("list queued and running jobs"))
    }

    /// Lists the `limit` jobs that most recently ended in `failed`.
    pub async fn recent_failures(&self, limit: i64) -> Result<Vec<FailedJob>, QueueError> {
        sqlx::query_as(
            "SELECT id, kind, payload, attempt, max_attempts, finished_at, errors
             FROM job WHERE state = 'failed'
             ORDER BY finished_at DESC, id DESC
             LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(QueueError::database("list recently failed jobs"))
    }
}
