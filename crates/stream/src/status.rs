//! Counters of the running consumer and the status query for the status page.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// In-process counters since this process started. The same counts, summed
/// over all processes and restarts, are stored in `stream_position` and read
/// with [`stream_status`].
#[derive(Debug, Default)]
pub struct StreamMetrics {
    pub(crate) events_seen: AtomicU64,
    pub(crate) canaries_dropped: AtomicU64,
    pub(crate) events_malformed: AtomicU64,
    pub(crate) duplicates_skipped: AtomicU64,
    pub(crate) jobs_enqueued: AtomicU64,
    pub(crate) jobs_already_queued: AtomicU64,
    pub(crate) server_error_events: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) gaps: AtomicU64,
    pub(crate) leader_losses: AtomicU64,
    pub(crate) is_leader: AtomicBool,
}

/// A copy of [`StreamMetrics`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MetricsSnapshot {
    /// SSE events dispatched, including canaries and malformed ones.
    pub events_seen: u64,
    pub canaries_dropped: u64,
    /// Events that could not be decoded (SSE or JSON level).
    pub events_malformed: u64,
    /// Matched events skipped because their `meta.id` was applied before.
    pub duplicates_skipped: u64,
    /// Jobs inserted into the queue.
    pub jobs_enqueued: u64,
    /// Jobs whose dedupe key named a job that was still queued or running.
    pub jobs_already_queued: u64,
    /// `event: error` messages sent by the server.
    pub server_error_events: u64,
    /// HTTP requests to the stream, successful or not.
    pub connections: u64,
    /// Reconnects that may have skipped events (rows added to `stream_gap`).
    pub gaps: u64,
    /// Times this process stopped leading because its lock connection failed.
    pub leader_losses: u64,
    /// Whether this process currently holds the leader lock.
    pub is_leader: bool,
}

impl StreamMetrics {
    pub fn snapshot(&self) -> MetricsSnapshot {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        MetricsSnapshot {
            events_seen: load(&self.events_seen),
            canaries_dropped: load(&self.canaries_dropped),
            events_malformed: load(&self.events_malformed),
            duplicates_skipped: load(&self.duplicates_skipped),
            jobs_enqueued: load(&self.jobs_enqueued),
            jobs_already_queued: load(&self.jobs_already_queued),
            server_error_events: load(&self.server_error_events),
            connections: load(&self.connections),
            gaps: load(&self.gaps),
            leader_losses: load(&self.leader_losses),
            is_leader: self.is_leader.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }
}

/// State of one consumer as stored in the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamStatus {
    pub consumer: String,
    /// SSE id of the last applied event; the next connection resumes after it.
    pub last_event_id: Option<String>,
    /// `meta.dt` of the last applied event.
    pub last_event_dt: Option<DateTime<Utc>>,
    /// Seconds between `last_event_dt` and the query.
    pub lag_seconds: Option<f64>,
    /// Time of the last committed batch.
    pub updated_at: DateTime<Utc>,
    pub events_seen: i64,
    pub canaries_dropped: i64,
    pub events_malformed: i64,
    pub duplicates_skipped: i64,
    pub jobs_enqueued: i64,
    /// All gaps ever recorded for this consumer.
    pub gap_count: i64,
    /// The latest gaps, newest first, at most [`RECENT_GAPS`].
    pub recent_gaps: Vec<StreamGap>,
}

/// Number of gaps listed in [`StreamStatus::recent_gaps`].
pub const RECENT_GAPS: i64 = 10;

/// A reconnect that may have skipped events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StreamGap {
    pub noticed_at: DateTime<Utc>,
    /// The resume id that the server rejected, if any.
    pub rejected_event_id: Option<String>,
    /// Start of streaming after the gap; `None` means the newest event.
    pub resumed_since: Option<DateTime<Utc>>,
    pub reason: String,
}

#[derive(sqlx::FromRow)]
struct PositionRow {
    last_event_id: Option<String>,
    last_event_dt: Option<DateTime<Utc>>,
    lag_seconds: Option<f64>,
    updated_at: DateTime<Utc>,
    events_seen: i64,
    canaries_dropped: i64,
    events_malformed: i64,
    duplicates_skipped: i64,
    jobs_enqueued: i64,
}

/// Reads the stored state of `consumer`; `None` before its first batch.
pub async fn stream_status(pool: &PgPool, consumer: &str) -> Result<Option<StreamStatus>, sqlx::Error> {
    let row: Option<PositionRow> = sqlx::query_as(
        "SELECT last_event_id, last_event_dt,
                EXTRACT(EPOCH FROM now() - last_event_dt)::float8 AS lag_seconds,
                updated_at, events_seen, canaries_dropped, events_malformed,
                duplicates_skipped, jobs_enqueued
         FROM stream_position WHERE consumer = $1",
    )
    .bind(consumer)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };

    let gap_count: i64 = sqlx::query_scalar("SELECT count(*) FROM stream_gap WHERE consumer = $1")
        .bind(consumer)
        .fetch_one(pool)
        .await?;
    let recent_gaps: Vec<StreamGap> = sqlx::query_as(
        "SELECT noticed_at, rejected_event_id, resumed_since, reason FROM stream_gap
         WHERE consumer = $1 ORDER BY noticed_at DESC, id DESC LIMIT $2",
    )
    .bind(consumer)
    .bind(RECENT_GAPS)
    .fetch_all(pool)
    .await?;

    Ok(Some(StreamStatus {
        consumer: consumer.to_owned(),
        last_event_id: row.last_event_id,
        last_event_dt: row.last_event_dt,
        lag_seconds: row.lag_seconds,
        updated_at: row.updated_at,
        events_seen: row.events_seen,
        canaries_dropped: row.canaries_dropped,
        events_malformed: row.events_malformed,
        duplicates_skipped: row.duplicates_skipped,
        jobs_enqueued: row.jobs_enqueued,
        gap_count,
        recent_gaps,
    }))
}
