//! Running one claimed job: the handler task, its heartbeats, timeout and
//! cancellation, and recording the outcome.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, info_span, warn, Instrument};

use crate::error::error_chain;
use crate::{
    ClaimedJob, FailOutcome, JobContext, JobError, JobHandler, JobState, ProgressReporter, Queue, QueueConfig,
    QueueError, Registry,
};

/// Everything a job task needs, shared by all job tasks of a pool.
pub(crate) struct JobRunner {
    pub(crate) queue: Queue,
    pub(crate) registry: Arc<Registry>,
    pub(crate) worker_id: String,
    pub(crate) kinds: Option<Vec<String>>,
    /// Fires at shutdown; a job task then claims no next job.
    pub(crate) shutdown: CancellationToken,
    pub(crate) lease: Duration,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) default_timeout: Duration,
    pub(crate) kind_timeouts: BTreeMap<String, Duration>,
    pub(crate) cancel_grace: Duration,
    /// Fires when the pool's drain time at shutdown has run out.
    pub(crate) stop_handlers: CancellationToken,
}

/// Reason the supervisor fired the handler's cancellation token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    CancelRequested,
    LeaseLost,
    TimedOut(Duration),
    Shutdown,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::CancelRequested => f.write_str("cancel requested"),
            StopReason::LeaseLost => f.write_str("lease lost"),
            StopReason::TimedOut(timeout) => write!(f, "timed out after {} s", timeout.as_secs_f64()),
            StopReason::Shutdown => f.write_str("worker shutting down"),
        }
    }
}

/// End of the handler task.
enum HandlerEnd {
    Returned(Result<Value, JobError>),
    Panicked(String),
    /// The handler did not return within the grace period after its token fired.
    Aborted,
}

impl JobRunner {
    pub(crate) fn new(
        queue: Queue,
        registry: Arc<Registry>,
        worker_id: String,
        kinds: Option<Vec<String>>,
        shutdown: CancellationToken,
        config: &QueueConfig,
    ) -> Self {
        let kind_timeouts = config
            .kind_timeout_seconds
            .keys()
            .map(|kind| (kind.clone(), config.timeout_for(kind)))
            .collect();
        JobRunner {
            queue,
            registry,
            worker_id,
            kinds,
            shutdown,
            lease: config.lease(),
            heartbeat_interval: config.heartbeat_interval(),
            default_timeout: Duration::from_secs_f64(config.job_timeout_seconds),
            kind_timeouts,
            cancel_grace: config.cancel_grace(),
            stop_handlers: CancellationToken::new(),
        }
    }

    /// Runs the handler of `job` and records its outcome, then does the same for
    /// each job claimed together with a completion. A handler error or panic fails
    /// the attempt. A database error is logged, and the job is then rescued once its
    /// lease expires.
    pub(crate) async fn run(self: Arc<Self>, job: ClaimedJob) {
        let mut next = Some(job);
        while let Some(job) = next.take() {
            let span = info_span!("job", job_id = job.id, kind = %job.kind, attempt = job.attempt);
            next = self.run_one(job).instrument(span).await;
        }
    }

    /// Runs one job and returns the next one if the completion claimed it.
    async fn run_one(&self, job: ClaimedJob) -> Option<ClaimedJob> {
        let Some(handler) = self.registry.get(&job.kind) else {
            self.fail_unknown_kind(&job).await;
            return None;
        };

        debug!(max_attempts = job.max_attempts, "job started");
        let started = Instant::now();
        let (end, stop) = self.supervise(handler, &job).await;
        self.record(&job, end, stop, started.elapsed()).await
    }

    async fn fail_unknown_kind(&self, job: &ClaimedJob) {
        let known = self.registry.kinds();
        let known = if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        };
        let message = format!(
            "no handler registered for job kind {:?}; known kinds: {known}",
            job.kind
        );
        self.record_failure(job, &JobError::Permanent(message)).await;
    }

    /// Runs the handler in its own task and heartbeats until it ends, firing its
    /// cancellation token on a cancel request, a lost lease, the timeout or shutdown.
    async fn supervise(&self, handler: Arc<dyn JobHandler>, job: &ClaimedJob) -> (HandlerEnd, Option<StopReason>) {
        let cancel = CancellationToken::new();
        let (progress_sender, mut progress) = watch::channel(None);
        let context = JobContext {
            job_id: job.id,
            kind: job.kind.clone(),
            payload: job.payload.clone(),
            attempt: job.attempt,
            max_attempts: job.max_attempts,
            cancel: cancel.clone(),
            progress: ProgressReporter::new(progress_sender),
        };
        let mut handle: JoinHandle<Result<Value, JobError>> =
            tokio::spawn(async move { handler.run(context).await }.in_current_span());

        let mut heartbeat = tokio::time::interval_at(Instant::now() + self.heartbeat_interval, self.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let timeout = self.timeout_for(&job.kind);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);

        let mut stop: Option<StopReason> = None;
        let mut abort_at: Option<Instant> = None;
        loop {
            let new_stop = tokio::select! {
                joined = &mut handle => return (handler_end(joined), stop),
                _ = heartbeat.tick(), if stop != Some(StopReason::LeaseLost) => {
                    self.heartbeat(job, &mut progress).await
                }
                _ = &mut deadline, if stop.is_none() => Some(StopReason::TimedOut(timeout)),
                _ = self.stop_handlers.cancelled(), if stop.is_none() => Some(StopReason::Shutdown),
                _ = sleep_until_some(abort_at) => {
                    let reason = stop.map(|reason| reason.to_string()).unwrap_or_default();
                    warn!(
                        grace_seconds = self.cancel_grace.as_secs_f64(),
                        %reason,
                        "handler did not return after its cancellation; aborting its task"
                    );
                    handle.abort();
                    let _ = handle.await;
                    return (HandlerEnd::Aborted, stop);
                }
            };

            // A lost lease overrides any earlier reason: the attempt's outcome can no
            // longer be recorded. Otherwise the first reason stays.
            if let Some(reason) = new_stop {
                if stop.is_none() || reason == StopReason::LeaseLost {
                    debug!(%reason, "cancelling handler");
                    stop = Some(reason);
                    cancel.cancel();
                    abort_at.get_or_insert(Instant::now() + self.cancel_grace);
                }
            }
        }
    }

    /// Sends one heartbeat with the latest unsent progress. Returns a stop reason
    /// when the job was cancelled or the lease is lost.
    async fn heartbeat(&self, job: &ClaimedJob, progress: &mut watch::Receiver<Option<Value>>) -> Option<StopReason> {
        let update = if progress.has_changed().unwrap_or(false) {
            progress.borrow_and_update().clone()
        } else {
            None
        };

        match self
            .queue
            .heartbeat(job.id, job.lease_token, self.lease, update.as_ref())
            .await
        {
            Ok(beat) if beat.cancel_requested => Some(StopReason::CancelRequested),
            Ok(_) => None,
            Err(QueueError::LeaseLost { .. }) => {
                warn!("lease lost while the handler runs; cancelling it, and its outcome will be discarded");
                Some(StopReason::LeaseLost)
            }
            Err(error) => {
                // The lease lasts at least three heartbeat intervals, so the next
                // heartbeat may still renew it.
                warn!(error = %error_chain(&error), "heartbeat failed; retrying at the next interval");
                None
            }
        }
    }

    fn timeout_for(&self, kind: &str) -> Duration {
        self.kind_timeouts.get(kind).copied().unwrap_or(self.default_timeout)
    }

    /// Records the outcome of the attempt. Returns the next job when a completion
    /// claimed one.
    async fn record(
        &self,
        job: &ClaimedJob,
        end: HandlerEnd,
        stop: Option<StopReason>,
        elapsed: Duration,
    ) -> Option<ClaimedJob> {
        let elapsed_ms = elapsed.as_millis() as u64;
        if stop == Some(StopReason::LeaseLost) {
            warn!(elapsed_ms, "attempt ended after its lease was lost; nothing recorded");
            return None;
        }

        let failure = match end {
            // Finished work is recorded even if a stop reason arrived meanwhile.
            HandlerEnd::Returned(Ok(result)) => return self.record_success(job, &result, elapsed_ms).await,
            HandlerEnd::Returned(Err(JobError::Cancelled)) => {
                JobError::Retryable("handler returned Cancelled although the job was not cancelled".to_owned())
            }
            HandlerEnd::Returned(Err(error)) => error,
            HandlerEnd::Panicked(message) => JobError::Retryable(format!("handler panicked: {message}")),
            HandlerEnd::Aborted => JobError::Retryable("handler task was aborted before it returned".to_owned()),
        };

        match stop {
            Some(StopReason::CancelRequested) => match self.queue.finish_cancelled(job.id, job.lease_token).await {
                Ok(()) => info!(elapsed_ms, "job cancelled on request"),
                Err(error) => self.log_record_error(&error),
            },
            Some(StopReason::Shutdown) => match self.queue.release(job.id, job.lease_token).await {
                Ok(JobState::Cancelled) => info!(elapsed_ms, "job cancelled on request during shutdown"),
                Ok(_) => info!(
                    elapsed_ms,
                    "job released to the queue because the worker is shutting down"
                ),
                Err(error) => self.log_record_error(&error),
            },
            Some(reason @ StopReason::TimedOut(_)) => {
                self.record_failure(job, &JobError::Retryable(reason.to_string())).await;
            }
            Some(StopReason::LeaseLost) | None => self.record_failure(job, &failure).await,
        }
        None
    }

    /// Completes the job and, unless the pool is shutting down, claims the next one
    /// in the same statement.
    async fn record_success(&self, job: &ClaimedJob, result: &Value, elapsed_ms: u64) -> Option<ClaimedJob> {
        if self.shutdown.is_cancelled() {
            match self.queue.complete(job.id, job.lease_token, result).await {
                Ok(()) => info!(elapsed_ms, "job succeeded"),
                Err(error) => self.log_record_error(&error),
            }
            return None;
        }

        let kinds: Option<Vec<&str>> = self
            .kinds
            .as_ref()
            .map(|kinds| kinds.iter().map(String::as_str).collect());
        let recorded = self
            .queue
            .complete_and_claim(
                job.id,
                job.lease_token,
                result,
                &self.worker_id,
                kinds.as_deref(),
                self.lease,
            )
            .await;
        match recorded {
            Ok(outcome) => {
                if outcome.completed {
                    info!(elapsed_ms, "job succeeded");
                } else {
                    self.log_record_error(&QueueError::LeaseLost { job_id: job.id });
                }
                outcome.next
            }
            Err(error) => {
                self.log_record_error(&error);
                None
            }
        }
    }

    async fn record_failure(&self, job: &ClaimedJob, error: &JobError) {
        match self.queue.fail(job.id, job.lease_token, error).await {
            Ok(FailOutcome::Retrying { run_after }) => {
                warn!(error = %error, %run_after, "attempt failed; retry scheduled");
            }
            Ok(FailOutcome::Failed) => {
                warn!(error = %error, max_attempts = job.max_attempts, "job failed");
            }
            Ok(FailOutcome::Cancelled) => {
                info!(error = %error, "attempt failed after a cancel request; job cancelled");
            }
            Err(record_error) => self.log_record_error(&record_error),
        }
    }

    fn log_record_error(&self, error: &QueueError) {
        match error {
            QueueError::LeaseLost { .. } => warn!(error = %error, "outcome not recorded"),
            _ => error!(
                error = %error_chain(error),
                "outcome not recorded; the job will be rescued when its lease expires"
            ),
        }
    }
}

fn handler_end(joined: Result<Result<Value, JobError>, JoinError>) -> HandlerEnd {
    match joined {
        Ok(returned) => HandlerEnd::Returned(returned),
        Err(join_error) if join_error.is_panic() => HandlerEnd::Panicked(panic_message(join_error.into_panic())),
        // The task was cancelled without the supervisor: the runtime is shutting down.
        Err(_) => HandlerEnd::Aborted,
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "panic payload is not a string".to_owned()
    }
}

/// Sleeps until `at`, or forever when `at` is `None`.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
