//! PostgreSQL job queue.
//!
//! Producers insert rows with [`enqueue`] or [`Queue::enqueue`]. A [`WorkerPool`]
//! claims them, runs the [`JobHandler`] registered for their kind and records the
//! outcome. [`Maintenance`] rescues jobs whose worker stopped heartbeating and
//! prunes old finished jobs. [`Queue`] also serves the web API ([`Queue::get`],
//! [`Queue::cancel`]) and the status page ([`Queue::depth`], [`Queue::running_jobs`],
//! [`Queue::recent_failures`]). A [`JobWaiter`] lets an HTTP request wait for the
//! job it enqueued.
//!
//! # Running workers
//!
//! ```no_run
//! use async_trait::async_trait;
//! use phetools_queue::{JobContext, JobError, JobHandler, NewJob, Queue, QueueConfig, Registry, WorkerPool};
//! use serde_json::{json, Value};
//! use tokio_util::sync::CancellationToken;
//!
//! struct ExtractTextLayer;
//!
//! #[async_trait]
//! impl JobHandler for ExtractTextLayer {
//!     async fn run(&self, job: JobContext) -> Result<Value, JobError> {
//!         let file = job.payload["file"]
//!             .as_str()
//!             .ok_or_else(|| JobError::permanent("payload has no \"file\" string"))?;
//!         Ok(json!({ "file": file, "pages": 0 }))
//!     }
//! }
//!
//! # async fn example(pool: sqlx::PgPool) -> Result<(), phetools_queue::QueueError> {
//! let queue = Queue::new(pool.clone());
//! queue.enqueue(&NewJob::new("text_layer", json!({ "file": "Foo.djvu" }))).await?;
//!
//! let mut registry = Registry::new();
//! registry.register("text_layer", ExtractTextLayer);
//! let shutdown = CancellationToken::new();
//! // Cancel `shutdown` on SIGTERM; `run` then drains and returns.
//! WorkerPool::new(pool, registry, QueueConfig::default())?.run(shutdown).await;
//! # Ok(())
//! # }
//! ```
//!
//! # State machine
//!
//! ```text
//!              enqueue
//!                 │
//!                 ▼      claim (attempt += 1, new lease_token)
//!   ┌────────► queued ─────────────────────────► running ──── complete ──► succeeded
//!   │             │  ▲                             │  │
//!   │      cancel │  │ retry after backoff         │  └── fail, no attempts left ──► failed
//!   │             │  ├──── fail, attempts left ────┤
//!   │             │  └──── release (shutdown) ─────┤
//!   │             ▼                                │
//!   │         cancelled ◄──── cancel (handler observes the flag) ─┘
//!   │
//!   └── rescue: lease expired while running (attempts left); with no attempts left → failed
//! ```
//!
//! * `queued`: written by [`enqueue`], by a retryable [`Queue::fail`], by the rescue
//!   of an expired lease and by [`Queue::release`]. Moved out by [`Queue::claim`] or
//!   [`Queue::complete_and_claim`] (to `running`) or by [`Queue::cancel`] (to
//!   `cancelled`). A claim takes the due job (`run_after <= now()`) with the highest
//!   priority, then the earliest `run_after`, then the lowest id.
//! * `running`: owned by one worker through `lease_token`. The worker renews
//!   `lease_expires_at` with [`Queue::heartbeat`]. Only a statement that presents the
//!   current token can complete, fail, cancel or release the job, so a worker whose
//!   lease expired and was rescued cannot overwrite the new attempt's outcome. It gets
//!   [`QueueError::LeaseLost`] instead. [`Queue::cancel`] on a running job sets
//!   `cancel_requested`, which the worker sees at its next heartbeat. Every way out
//!   of `running` other than a completion then ends in `cancelled`.
//! * `succeeded`, `failed`, `cancelled`: final. `finished_at` is set and the pruner
//!   deletes the row after the configured age.
//!
//! A failed attempt ([`Queue::fail`] or an expired lease) appends
//! `{"attempt", "at", "worker", "error"}` to `errors`. A release at shutdown returns
//! the attempt (`attempt -= 1`) and appends nothing. CHECK constraints in
//! `migrations/0001_job_queue.sql` tie `finished_at` to the final states and the
//! lease columns to `running`.
//!
//! # Waiting for a job
//!
//! [`JobWaiter::wait`] returns the job once it is in a final state, or `None`
//! after the timeout. A trigger on `job` (`migrations/0004_ocr.sql`) sends the id
//! of each job with a positive priority that finishes on [`FINISHED_CHANNEL`];
//! one LISTEN connection per waiter serves all waiting requests. Jobs of priority
//! 0 or less (the background work from EventStreams and the no-op jobs of the
//! benchmark) send nothing, so their commits pay neither the trigger's NOTIFY nor
//! its commit-time lock. Waiters on them, and waiters whose notification was lost
//! while the listener reconnected, see the outcome at the next fallback poll
//! ([`JobWaiter::poll_interval`], 500 ms by default).
//!
//! # Delivery guarantee
//!
//! At least once: a handler may run again after its worker crashed or lost the lease,
//! so handlers must be idempotent. At most one outcome per attempt is recorded.

mod bench;
mod config;
mod enqueue;
mod error;
mod execute;
mod handler;
mod maintenance;
mod pool;
mod queue;
mod status;
mod wait;
mod wakeup;

pub use bench::{bench_noop, BenchReport};
pub use config::{Backoff, QueueConfig};
pub use enqueue::{enqueue, EnqueueOutcome, NewJob};
pub use error::QueueError;
pub use handler::{JobContext, JobError, JobHandler, ProgressReporter, Registry};
pub use maintenance::{Maintenance, PruneReport, RescuedJob};
pub use pool::{new_worker_id, WorkerPool};
pub use queue::{CancelOutcome, ClaimedJob, CompletedAndClaimed, FailOutcome, Heartbeat, Queue};
pub use status::{AttemptError, FailedJob, JobView, KindDepth, RunningJob};
pub use wait::{JobWaiter, FINISHED_CHANNEL};

/// Channel on which `enqueue` sends `pg_notify` so that idle workers wake up.
pub const NOTIFY_CHANNEL: &str = "phetools_job";

/// Row id of a job.
pub type JobId = i64;

/// Job states as stored in the `job_state` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, sqlx::Type)]
#[sqlx(type_name = "job_state", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    /// Returns whether the state is final (`finished_at` is set).
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed | JobState::Cancelled)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        };
        f.write_str(name)
    }
}
