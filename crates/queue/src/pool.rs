//! The worker pool: claims jobs and runs up to `workers` of them at once.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::error::error_chain;
use crate::execute::JobRunner;
use crate::wakeup::listen_for_jobs;
use crate::{ClaimedJob, Maintenance, Queue, QueueConfig, QueueError, Registry};

/// Maximum wait between claims after consecutive claim errors.
const CLAIM_ERROR_DELAY_MAX: Duration = Duration::from_secs(60);

/// Runs jobs from the queue in tokio tasks, `config.workers` at a time.
///
/// One dispatcher claims as many jobs as there are free slots, in one statement,
/// and starts a task per job. Each job task spawns the handler, heartbeats while it
/// runs and records the outcome (see [`JobContext`](crate::JobContext) for what the
/// handler receives). After a success, the task claims its next job in the statement
/// that records the completion ([`Queue::complete_and_claim`]), so a busy pool
/// commits once per job. No database connection is held while a handler runs. The pool
/// also runs a LISTEN task on [`NOTIFY_CHANNEL`](crate::NOTIFY_CHANNEL), which keeps
/// one connection of the pool, and the [`Maintenance`] loop.
///
/// The PgPool needs room for the listener, the dispatcher and one heartbeat or
/// completion per running job: `workers + 2` connections avoid waiting.
pub struct WorkerPool {
    queue: Queue,
    registry: Arc<Registry>,
    config: QueueConfig,
    worker_id: String,
    kinds: Option<Vec<String>>,
    maintenance: bool,
}

impl WorkerPool {
    /// Creates a pool that claims jobs of every kind under a new worker id. Fails
    /// when `config` is invalid (see [`QueueConfig::validate`]).
    pub fn new(pool: PgPool, registry: Registry, config: QueueConfig) -> Result<Self, QueueError> {
        config.validate()?;
        let queue = Queue::new(pool).with_backoff(config.backoff());
        Ok(WorkerPool {
            queue,
            registry: Arc::new(registry),
            config,
            worker_id: new_worker_id(),
            kinds: None,
            maintenance: true,
        })
    }

    /// Claims only jobs of these kinds. By default the pool claims every kind, and
    /// fails jobs whose kind has no registered handler, so that a misspelt kind
    /// shows up as a failed job instead of waiting in the queue forever.
    pub fn only_kinds<I, S>(mut self, kinds: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.kinds = Some(kinds.into_iter().map(Into::into).collect());
        self
    }

    /// Leaves out the rescue and prune loop, for a process whose [`Maintenance`]
    /// runs elsewhere.
    pub fn without_maintenance(mut self) -> Self {
        self.maintenance = false;
        self
    }

    /// Identity written to `job.attempted_by`: `<hostname>/<pid>/<uuid>`.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Runs until `shutdown` fires, then stops claiming and shuts down:
    ///
    /// 1. Running jobs get `shutdown_drain_seconds` to finish.
    /// 2. The remaining handlers' cancellation tokens fire, and each gets
    ///    `cancel_grace_seconds` to return before its task is aborted.
    /// 3. Each interrupted job is released: back to `queued`, claimable at once, with
    ///    its attempt returned (see [`Queue::release`]). A job whose release fails
    ///    (database down) stays `running` until the rescue after its lease.
    ///
    /// Database errors never end the pool: they are logged, and claims are retried
    /// with a backoff of up to a minute.
    pub async fn run(self, shutdown: CancellationToken) {
        let wake = Arc::new(Notify::new());
        let background = CancellationToken::new();
        let mut background_tasks = JoinSet::new();
        background_tasks.spawn(listen_for_jobs(
            self.queue.pool().clone(),
            wake.clone(),
            background.clone(),
        ));
        if self.maintenance {
            let maintenance = Maintenance::new(self.queue.clone(), &self.config);
            background_tasks.spawn(maintenance.run(background.clone()));
        }
        info!(
            worker_id = %self.worker_id,
            workers = self.config.workers,
            kinds = ?self.kinds,
            "worker pool started"
        );

        let runner = Arc::new(JobRunner::new(
            self.queue.clone(),
            self.registry.clone(),
            self.worker_id.clone(),
            self.kinds.clone(),
            shutdown.clone(),
            &self.config,
        ));
        let mut dispatcher = Dispatcher {
            pool: &self,
            runner: runner.clone(),
            slots: Arc::new(Semaphore::new(self.config.workers)),
            jobs: JoinSet::new(),
            wake,
        };
        dispatcher.run(&shutdown).await;

        dispatcher.reap_finished();
        let running = dispatcher.jobs.len();
        info!(
            running,
            drain_seconds = self.config.shutdown_drain_seconds,
            "worker pool stopping"
        );
        let drained = tokio::time::timeout(self.config.shutdown_drain(), join_all(&mut dispatcher.jobs)).await;
        if drained.is_err() {
            warn!(
                running = dispatcher.jobs.len(),
                "drain time over; cancelling the remaining handlers and releasing their jobs"
            );
            runner.stop_handlers.cancel();
            join_all(&mut dispatcher.jobs).await;
        }

        background.cancel();
        while background_tasks.join_next().await.is_some() {}
        info!(worker_id = %self.worker_id, "worker pool stopped");
    }
}

/// The claim loop of a [`WorkerPool`].
struct Dispatcher<'a> {
    pool: &'a WorkerPool,
    runner: Arc<JobRunner>,
    /// One permit per job that may run now; a job task holds its permit until it ends.
    slots: Arc<Semaphore>,
    jobs: JoinSet<()>,
    wake: Arc<Notify>,
}

impl Dispatcher<'_> {
    async fn run(&mut self, shutdown: &CancellationToken) {
        let kinds: Option<Vec<&str>> = self
            .pool
            .kinds
            .as_ref()
            .map(|kinds| kinds.iter().map(String::as_str).collect());
        let mut error_delay = self.pool.config.poll_interval();

        loop {
            let permits = tokio::select! {
                biased;
                _ = shutdown.cancelled() => return,
                permits = self.free_slots() => permits,
            };
            self.reap_finished();

            let requested = permits.len();
            match self
                .pool
                .queue
                .claim(
                    &self.pool.worker_id,
                    kinds.as_deref(),
                    requested,
                    self.pool.config.lease(),
                )
                .await
            {
                Ok(claimed) => {
                    error_delay = self.pool.config.poll_interval();
                    let claimed_all = claimed.len() == requested;
                    self.start(claimed, permits);
                    if claimed_all {
                        // More jobs may be due: claim again as soon as a slot is free.
                        continue;
                    }
                    self.wait_for_jobs(self.pool.config.poll_interval(), shutdown).await;
                }
                Err(claim_error) => {
                    drop(permits);
                    error!(
                        error = %error_chain(&claim_error),
                        retry_in_ms = error_delay.as_millis() as u64,
                        "claim failed"
                    );
                    self.wait_for_jobs(error_delay, shutdown).await;
                    error_delay = (error_delay * 2).min(CLAIM_ERROR_DELAY_MAX);
                }
            }
        }
    }

    /// Waits for at least one free slot and takes every free slot.
    async fn free_slots(&self) -> Vec<OwnedSemaphorePermit> {
        let first = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the slot semaphore is never closed");
        let mut permits = vec![first];
        while let Ok(permit) = self.slots.clone().try_acquire_owned() {
            permits.push(permit);
        }
        permits
    }

    fn start(&mut self, claimed: Vec<ClaimedJob>, permits: Vec<OwnedSemaphorePermit>) {
        // Unused permits are dropped here, which frees their slots.
        for (job, permit) in claimed.into_iter().zip(permits) {
            let runner = self.runner.clone();
            self.jobs.spawn(async move {
                runner.run(job).await;
                drop(permit);
            });
        }
    }

    /// Waits for a notification, the end of `delay` or shutdown.
    async fn wait_for_jobs(&self, delay: Duration, shutdown: &CancellationToken) {
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = self.wake.notified() => {}
            _ = tokio::time::sleep(delay) => {}
        }
    }

    /// Collects ended job tasks so that the set does not grow without bound.
    fn reap_finished(&mut self) {
        while let Some(joined) = self.jobs.try_join_next() {
            log_job_task_panic(joined);
        }
    }
}

async fn join_all(jobs: &mut JoinSet<()>) {
    while let Some(joined) = jobs.join_next().await {
        log_job_task_panic(joined);
    }
}

/// Logs a job task that panicked. Handler panics are caught inside the job task,
/// so a panic here is a bug in the pool itself. The job is rescued after its lease.
fn log_job_task_panic(joined: Result<(), tokio::task::JoinError>) {
    if let Err(join_error) = joined {
        error!(error = %join_error, "job task ended abnormally; its job will be rescued when the lease expires");
    }
}

/// Returns a new worker id, unique per process start: `<hostname>/<pid>/<uuid>`.
pub fn new_worker_id() -> String {
    format!("{}/{}/{}", hostname(), std::process::id(), uuid::Uuid::new_v4())
}

/// Returns the kernel's host name (the pod name on Kubernetes), else `$HOSTNAME`,
/// else "unknown-host".
fn hostname() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned());
    from_kernel
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|name| !name.is_empty()))
        .unwrap_or_else(|| "unknown-host".to_owned())
}
