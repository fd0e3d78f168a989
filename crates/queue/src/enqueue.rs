//! Inserting jobs, with dedupe keys.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

use crate::{JobId, NOTIFY_CHANNEL};

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: Value,
    /// Higher runs first, from -100 to 100.
    pub priority: i16,
    /// Earliest start; `None` means now.
    pub run_after: Option<DateTime<Utc>>,
    /// While a job with this key is queued or running, enqueueing the key again
    /// returns that job instead of inserting a second one.
    pub dedupe_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    /// Creates a job of `kind` with default priority 0, five attempts and no dedupe key.
    pub fn new(kind: impl Into<String>, payload: Value) -> Self {
        NewJob {
            kind: kind.into(),
            payload,
            priority: 0,
            run_after: None,
            dedupe_key: None,
            max_attempts: 5,
        }
    }

    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = priority;
        self
    }

    pub fn dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn run_after(mut self, at: DateTime<Utc>) -> Self {
        self.run_after = Some(at);
        self
    }

    pub fn max_attempts(mut self, max_attempts: i32) -> Self {
        self.max_attempts = max_attempts;
        self
    }
}

/// Result of [`enqueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueOutcome {
    Inserted(JobId),
    /// A queued or running job already had the dedupe key.
    Existing(JobId),
}

impl EnqueueOutcome {
    pub fn job_id(self) -> JobId {
        match self {
            EnqueueOutcome::Inserted(id) | EnqueueOutcome::Existing(id) => id,
        }
    }
}

/// Inserts a job on `conn`, which may be inside a caller's transaction (the
/// stream consumer stores its position in the same transaction).
///
/// The NOTIFY is sent at commit, so workers never wake up for a row they cannot see.
pub async fn enqueue(conn: &mut PgConnection, job: &NewJob) -> Result<EnqueueOutcome, sqlx::Error> {
    // The insert and the lookup race with a job that finishes in between: the
    // lookup then finds nothing and the insert is tried again.
    for _ in 0..3 {
        let inserted: Option<JobId> = sqlx::query_scalar(
            "INSERT INTO job (kind, payload, priority, run_after, dedupe_key, max_attempts)
             VALUES ($1, $2, $3, COALESCE($4, now()), $5, $6)
             ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running')
             DO NOTHING
             RETURNING id",
        )
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(job.priority)
        .bind(job.run_after)
        .bind(&job.dedupe_key)
        .bind(job.max_attempts)
        .fetch_optional(&mut *conn)
        .await?;

        if let Some(id) = inserted {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(NOTIFY_CHANNEL)
                .bind(&job.kind)
                .execute(&mut *conn)
                .await?;
            return Ok(EnqueueOutcome::Inserted(id));
        }

        let existing: Option<JobId> =
            sqlx::query_scalar("SELECT id FROM job WHERE dedupe_key = $1 AND state IN ('queued', 'running')")
                .bind(&job.dedupe_key)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(id) = existing {
            return Ok(EnqueueOutcome::Existing(id));
        }
    }
    Err(sqlx::Error::Protocol(format!(
        "enqueue of dedupe key {:?} kept racing with its job finishing",
        job.dedupe_key
    )))
}
