//! Database side of the consumer: applying a batch of events (jobs, seen
//! event ids and the position in one transaction), gaps and pruning.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use phetools_queue::{enqueue, EnqueueOutcome, NewJob};
use phetools_stats::apply::{apply_events_in, PageEvent};
use phetools_stats::recheck::recheck_job;
use phetools_stats::{RecheckRequest, StatsError};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::leader::LeaderFence;
use crate::rules::RuleJob;

/// Position stored for a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPosition {
    pub last_event_id: Option<String>,
    pub last_event_dt: Option<DateTime<Utc>>,
}

/// An event that matched at least one rule, with the jobs it produces.
#[derive(Debug, Clone)]
pub(crate) struct MatchedEvent {
    pub event_id: Uuid,
    pub wiki: String,
    pub title: String,
    pub jobs: Vec<RuleJob>,
}

/// Events read since the last commit, ready to be applied together.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Every dispatched SSE event, including canaries and malformed ones.
    pub events_seen: u64,
    pub canaries_dropped: u64,
    pub events_malformed: u64,
    pub matched: Vec<MatchedEvent>,
    /// Statistics page events, applied in the batch's transaction.
    pub stats_events: Vec<PageEvent>,
    /// Pages to re-check, enqueued as `stats_recheck` jobs.
    pub rechecks: Vec<RecheckRequest>,
    /// SSE id of the last event of the batch that had an id, and the latest
    /// `meta.dt` seen up to it (only set together with an id).
    pub last_event_id: Option<String>,
    pub last_event_dt: Option<DateTime<Utc>>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.events_seen == 0 && self.last_event_id.is_none()
    }
}

/// Changes made by applying a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BatchOutcome {
    pub jobs_inserted: u64,
    pub inserted_job_ids: Vec<i64>,
    /// Jobs whose dedupe key named a job that was still queued or running.
    pub jobs_existing: u64,
    /// Matched events skipped because their `meta.id` was applied before.
    pub duplicates_skipped: u64,
    /// Statistics events that changed a page, and those that were stale or repeated.
    pub stats_applied: u64,
    pub stats_ignored: u64,
}

/// Error that stopped a batch. Nothing of the batch was committed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error while applying stream events: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the leader lock is no longer held by this process; the batch was rolled back")]
    LeaderLost,
    #[error("cannot apply the batch's statistics events; the batch was rolled back: {0}")]
    Stats(#[from] StatsError),
}

pub(crate) async fn load_position(pool: &PgPool, consumer: &str) -> Result<Option<StoredPosition>, sqlx::Error> {
    let row: Option<(Option<String>, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT last_event_id, last_event_dt FROM stream_position WHERE consumer = $1")
            .bind(consumer)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(last_event_id, last_event_dt)| StoredPosition {
        last_event_id,
        last_event_dt,
    }))
}

/// Applies `batch` in one transaction: the seen event ids, the jobs of events
/// not seen before, the counters and the position. With a `fence`, the
/// transaction first checks that the leader lock is still held.
pub(crate) async fn apply_batch(
    pool: &PgPool,
    consumer: &str,
    batch: &Batch,
    fence: Option<&LeaderFence>,
) -> Result<BatchOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    if let Some(fence) = fence {
        if !fence.is_held(&mut tx).await? {
            return Err(StoreError::LeaderLost);
        }
    }

    let mut outcome = BatchOutcome::default();
    // Dedupe keys enqueued earlier in this transaction. Enqueueing one again
    // would find the same queued job, so the repeat skips the round trip.
    let mut enqueued_keys: HashMap<String, i64> = HashMap::new();
    let mut fresh = insert_seen_events(&mut tx, consumer, &batch.matched).await?;
    for matched in &batch.matched {
        // Removing the id makes a repeat of it inside this batch a duplicate too.
        if !fresh.remove(&matched.event_id) {
            tracing::debug!(event_id = %matched.event_id, "event was applied before; skipping its jobs");
            outcome.duplicates_skipped += 1;
            continue;
        }
        for rule_job in &matched.jobs {
            let origin = JobOrigin {
                rule: &rule_job.rule,
                wiki: &matched.wiki,
                title: &matched.title,
                event_id: Some(matched.event_id),
            };
            enqueue_once(&mut tx, &rule_job.job, origin, &mut enqueued_keys, &mut outcome).await?;
        }
    }
    // Statistics events need no seen-id check: their revision guards make a
    // repeated event a no-op, and a repeated re-check meets its queued job.
    for request in &batch.rechecks {
        let origin = JobOrigin {
            rule: "stats-recheck",
            wiki: &request.wiki,
            title: &request.title,
            event_id: None,
        };
        enqueue_once(&mut tx, &recheck_job(request), origin, &mut enqueued_keys, &mut outcome).await?;
    }
    let summary = apply_events_in(&mut tx, &batch.stats_events).await?;
    outcome.stats_applied = summary.applied as u64;
    outcome.stats_ignored = summary.ignored as u64;

    sqlx::query(
        "INSERT INTO stream_position AS p
             (consumer, last_event_id, last_event_dt, events_seen, canaries_dropped,
              events_malformed, duplicates_skipped, jobs_enqueued, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (consumer) DO UPDATE SET
             last_event_id = COALESCE(EXCLUDED.last_event_id, p.last_event_id),
             last_event_dt = COALESCE(EXCLUDED.last_event_dt, p.last_event_dt),
             events_seen = p.events_seen + EXCLUDED.events_seen,
             canaries_dropped = p.canaries_dropped + EXCLUDED.canaries_dropped,
             events_malformed = p.events_malformed + EXCLUDED.events_malformed,
             duplicates_skipped = p.duplicates_skipped + EXCLUDED.duplicates_skipped,
             jobs_enqueued = p.jobs_enqueued + EXCLUDED.jobs_enqueued,
             updated_at = now()",
    )
    .bind(consumer)
    .bind(&batch.last_event_id)
    .bind(batch.last_event_dt)
    .bind(to_i64(batch.events_seen))
    .bind(to_i64(batch.canaries_dropped))
    .bind(to_i64(batch.events_malformed))
    .bind(to_i64(outcome.duplicates_skipped))
    .bind(to_i64(outcome.jobs_inserted))
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(outcome)
}

/// Origin of a job, for the log line of its insertion.
struct JobOrigin<'a> {
    rule: &'a str,
    wiki: &'a str,
    title: &'a str,
    event_id: Option<Uuid>,
}

/// Enqueues `job` unless a job with its dedupe key was enqueued earlier in
/// this transaction, and counts the outcome.
async fn enqueue_once(
    tx: &mut Transaction<'_, Postgres>,
    job: &NewJob,
    origin: JobOrigin<'_>,
    enqueued_keys: &mut HashMap<String, i64>,
    outcome: &mut BatchOutcome,
) -> Result<(), sqlx::Error> {
    if let Some(job_id) = job.dedupe_key.as_deref().and_then(|key| enqueued_keys.get(key)) {
        outcome.jobs_existing += 1;
        tracing::debug!(job_id, kind = %job.kind, dedupe_key = ?job.dedupe_key, "job already queued in this batch");
        return Ok(());
    }
    let enqueued = enqueue(tx, job).await?;
    if let Some(key) = job.dedupe_key.as_deref() {
        enqueued_keys.insert(key.to_owned(), enqueued.job_id());
    }
    match enqueued {
        EnqueueOutcome::Inserted(job_id) => {
            outcome.jobs_inserted += 1;
            outcome.inserted_job_ids.push(job_id);
            tracing::info!(
                job_id,
                kind = %job.kind,
                rule = %origin.rule,
                wiki = %origin.wiki,
                title = %origin.title,
                event_id = ?origin.event_id,
                "job enqueued"
            );
        }
        EnqueueOutcome::Existing(job_id) => {
            outcome.jobs_existing += 1;
            tracing::debug!(job_id, kind = %job.kind, dedupe_key = ?job.dedupe_key, "job already queued");
        }
    }
    Ok(())
}

/// Inserts the ids of `matched` and returns those that were not stored before.
async fn insert_seen_events(
    conn: &mut PgConnection,
    consumer: &str,
    matched: &[MatchedEvent],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    if matched.is_empty() {
        return Ok(HashSet::new());
    }
    let mut ids: Vec<Uuid> = matched.iter().map(|event| event.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let fresh: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO stream_seen_event (consumer, event_id)
         SELECT $1, id FROM unnest($2::uuid[]) AS id
         ON CONFLICT DO NOTHING
         RETURNING event_id",
    )
    .bind(consumer)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(fresh.into_iter().collect())
}

fn to_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Records a reconnect that may have skipped events.
pub(crate) async fn record_gap(
    pool: &PgPool,
    consumer: &str,
    rejected_event_id: Option<&str>,
    resumed_since: Option<DateTime<Utc>>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO stream_gap (consumer, rejected_event_id, resumed_since, reason) VALUES ($1, $2, $3, $4)")
        .bind(consumer)
        .bind(rejected_event_id)
        .bind(resumed_since)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes seen event ids older than `retention`; returns how many.
pub(crate) async fn prune_seen_events(
    pool: &PgPool,
    consumer: &str,
    retention: std::time::Duration,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM stream_seen_event WHERE consumer = $1 AND seen_at < now() - make_interval(secs => $2)",
    )
    .bind(consumer)
    .bind(retention.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}
