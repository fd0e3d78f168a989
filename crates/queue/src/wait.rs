//! Waiting for a job to finish, for HTTP requests that answer with the job's result.
//!
//! A trigger (`migrations/0004_ocr.sql`) sends the id of every job with a positive
//! priority that reaches a final state on [`FINISHED_CHANNEL`]. One [`JobWaiter`]
//! holds one LISTEN connection for all its waiters and forwards each id to them
//! through a broadcast channel. Every waiter also polls its job at
//! [`JobWaiter::poll_interval`], so a job of priority 0 or less, a lost
//! notification or a listener that is down costs at most one poll interval.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{broadcast, OnceCell};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::error::error_chain;
use crate::{JobId, JobView, Queue, QueueError};

/// Channel on which the database announces finished jobs; the payload is the job id.
pub const FINISHED_CHANNEL: &str = "phetools_job_finished";

/// Default interval of the fallback poll.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Buffered announcements; a waiter that falls further behind checks its job at once.
const BROADCAST_CAPACITY: usize = 1024;
const RECONNECT_DELAY_MIN: Duration = Duration::from_millis(500);
const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(30);

/// Message from the listener to the waiters.
#[derive(Debug, Clone, Copy)]
enum Announcement {
    Finished(JobId),
    /// The listener (re)connected: notifications may have been missed, so every waiter checks.
    CheckAll,
}

/// Waits for jobs to reach a final state. Cheap to clone; clones share one listener.
#[derive(Clone)]
pub struct JobWaiter {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Queue,
    poll_interval: Duration,
    announcements: broadcast::Sender<Announcement>,
    /// Set once the listener task has been started, on the first wait.
    listener_started: OnceCell<()>,
    /// Stops the listener task when the last clone is dropped.
    stop: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl JobWaiter {
    /// Creates a waiter on `pool`. The LISTEN connection is opened on the first wait.
    pub fn new(pool: PgPool) -> Self {
        Self::with_poll_interval(pool, DEFAULT_POLL_INTERVAL)
    }

    /// Like [`JobWaiter::new`] with another fallback poll interval.
    pub fn with_poll_interval(pool: PgPool, poll_interval: Duration) -> Self {
        let (announcements, _) = broadcast::channel(BROADCAST_CAPACITY);
        JobWaiter {
            inner: Arc::new(Inner {
                queue: Queue::new(pool),
                poll_interval,
                announcements,
                listener_started: OnceCell::new(),
                stop: CancellationToken::new(),
            }),
        }
    }

    pub fn poll_interval(&self) -> Duration {
        self.inner.poll_interval
    }

    /// Waits until job `job_id` is in a final state and returns it, or returns
    /// `Ok(None)` when `timeout` passes first. A job that does not exist (never
    /// created, or already pruned) is [`QueueError::NotFound`].
    pub async fn wait(&self, job_id: JobId, timeout: Duration) -> Result<Option<JobView>, QueueError> {
        self.start_listener().await;
        // Subscribe before the first read, so that a completion between the read
        // and the wait is not missed.
        let mut announcements = self.inner.announcements.subscribe();
        let deadline = Instant::now() + timeout;

        loop {
            let job = self
                .inner
                .queue
                .get(job_id)
                .await?
                .ok_or(QueueError::NotFound { job_id })?;
            if job.state.is_final() {
                return Ok(Some(job));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let next_poll = (now + self.inner.poll_interval).min(deadline);
            wait_for_announcement(&mut announcements, job_id, next_poll).await;
        }
    }

    async fn start_listener(&self) {
        self.inner
            .listener_started
            .get_or_init(|| async {
                let pool = self.inner.queue.pool().clone();
                let sender = self.inner.announcements.clone();
                let stop = self.inner.stop.clone();
                tokio::spawn(listen_for_finished_jobs(pool, sender, stop));
            })
            .await;
    }
}

/// Returns when `job_id` is announced, when every waiter should check, or at `until`.
async fn wait_for_announcement(announcements: &mut broadcast::Receiver<Announcement>, job_id: JobId, until: Instant) {
    loop {
        let received = tokio::select! {
            _ = tokio::time::sleep_until(until) => return,
            received = announcements.recv() => received,
        };
        match received {
            Ok(Announcement::Finished(id)) if id != job_id => continue,
            Ok(_) => return,
            // Announcements were dropped, possibly this job's: check now.
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            // The listener stopped: only the poll is left.
            Err(broadcast::error::RecvError::Closed) => {
                tokio::time::sleep_until(until).await;
                return;
            }
        }
    }
}

/// Forwards every id received on [`FINISHED_CHANNEL`] to `sender` until `stop`
/// fires, reconnecting with a growing delay after failures.
async fn listen_for_finished_jobs(pool: PgPool, sender: broadcast::Sender<Announcement>, stop: CancellationToken) {
    let mut delay = RECONNECT_DELAY_MIN;
    loop {
        let connected = tokio::select! {
            _ = stop.cancelled() => return,
            connected = connect(&pool) => connected,
        };
        match connected {
            Ok(listener) => {
                debug!(channel = FINISHED_CHANNEL, "job completion listener connected");
                delay = RECONNECT_DELAY_MIN;
                let _ = sender.send(Announcement::CheckAll);
                if !forward(listener, &sender, &stop).await {
                    return;
                }
            }
            Err(error) => warn!(
                error = %error_chain(&error),
                retry_in_ms = delay.as_millis() as u64,
                "job completion listener could not connect; waiting requests poll instead"
            ),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(RECONNECT_DELAY_MAX);
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(FINISHED_CHANNEL).await?;
    Ok(listener)
}

/// Forwards notifications until the listener fails (returns `true`: reconnect)
/// or `stop` fires (returns `false`).
async fn forward(mut listener: PgListener, sender: &broadcast::Sender<Announcement>, stop: &CancellationToken) -> bool {
    loop {
        let received = tokio::select! {
            _ = stop.cancelled() => return false,
            received = listener.try_recv() => received,
        };
        match received {
            Ok(Some(notification)) => match notification.payload().parse::<JobId>() {
                Ok(job_id) => {
                    let _ = sender.send(Announcement::Finished(job_id));
                }
                Err(_) => warn!(
                    channel = FINISHED_CHANNEL,
                    payload = notification.payload(),
                    "ignored a notification whose payload is not a job id"
                ),
            },
            Ok(None) => {
                info!(
                    channel = FINISHED_CHANNEL,
                    "job completion listener reconnected after a lost connection"
                );
                let _ = sender.send(Announcement::CheckAll);
            }
            Err(error) => {
                warn!(error = %error_chain(&error), "job completion listener failed; reconnecting");
                return true;
            }
        }
    }
}
