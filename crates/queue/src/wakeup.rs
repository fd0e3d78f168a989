//! LISTEN on the job channel, so that idle workers claim new jobs without waiting
//! for the next poll.
//!
//! The listener only shortens the wait: the dispatcher also polls, so jobs are
//! picked up while the listener connection is down, and notifications lost during
//! a reconnect cost at most one poll interval.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::error::error_chain;
use crate::NOTIFY_CHANNEL;

/// First wait before reconnecting a failed listener; it doubles up to the maximum.
const RECONNECT_DELAY_MIN: Duration = Duration::from_millis(500);
const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(30);

/// Wakes `wake` on every notification on [`NOTIFY_CHANNEL`] and after every
/// reconnect, until `shutdown` fires. The listener uses one connection of `pool`.
pub(crate) async fn listen_for_jobs(pool: PgPool, wake: Arc<Notify>, shutdown: CancellationToken) {
    let mut delay = RECONNECT_DELAY_MIN;
    let mut connected_before = false;

    loop {
        let listener = tokio::select! {
            _ = shutdown.cancelled() => return,
            listener = connect(&pool) => listener,
        };
        match listener {
            Ok(listener) => {
                if connected_before {
                    info!(channel = NOTIFY_CHANNEL, "job listener reconnected");
                } else {
                    debug!(channel = NOTIFY_CHANNEL, "job listener connected");
                }
                connected_before = true;
                delay = RECONNECT_DELAY_MIN;
                // Jobs may have been enqueued while no listener was connected.
                wake.notify_one();

                if !forward_notifications(listener, &wake, &shutdown).await {
                    return;
                }
            }
            Err(error) => {
                warn!(
                    error = %error_chain(&error),
                    retry_in_ms = delay.as_millis() as u64,
                    "job listener could not connect; jobs are still claimed by polling"
                );
            }
        }

        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(RECONNECT_DELAY_MAX);
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    Ok(listener)
}

/// Forwards notifications until the listener fails (returns `true`: reconnect) or
/// `shutdown` fires (returns `false`).
async fn forward_notifications(mut listener: PgListener, wake: &Notify, shutdown: &CancellationToken) -> bool {
    loop {
        let received = tokio::select! {
            _ = shutdown.cancelled() => return false,
            received = listener.try_recv() => received,
        };
        match received {
            Ok(Some(_notification)) => wake.notify_one(),
            Ok(None) => {
                // PgListener has already opened a new connection and listens again.
                info!(
                    channel = NOTIFY_CHANNEL,
                    "job listener connection was lost and has been reopened"
                );
                wake.notify_one();
            }
            Err(error) => {
                warn!(
                    error = %error_chain(&error),
                    "job listener connection failed; reconnecting, and jobs are still claimed by polling"
                );
                return true;
            }
        }
    }
}
