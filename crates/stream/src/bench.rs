//! Throughput benchmark of the consumer pipeline on recorded frames.

use std::fmt;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use phetools_stats::WikiDirectory;

use crate::pipeline::EventProcessor;
use crate::replay::Frame;
use crate::rules::{Rules, RulesError};
use crate::sse::SseParser;
use crate::store::{self, Batch, StoreError};

/// Size of the pieces the recorded bytes are fed in, like network reads.
const READ_SIZE: usize = 16 * 1024;

/// Events per transaction, as in the consumer's default configuration.
const BATCH_EVENTS: u64 = 500;

/// Result of [`bench_consume`].
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub events: u64,
    pub bytes: u64,
    /// Events that matched a rule.
    pub matched_events: u64,
    pub jobs_enqueued: u64,
    /// Jobs whose dedupe key named a job already queued.
    pub jobs_already_queued: u64,
    pub canaries_dropped: u64,
    pub events_malformed: u64,
    pub transactions: u64,
    /// Parsing, decoding and rule matching only, without the database.
    pub parse_elapsed: Duration,
    /// The whole pipeline: parsing, rules and the batch transactions.
    pub total_elapsed: Duration,
}

impl BenchReport {
    /// Events per second through parsing, decoding and rules.
    pub fn parse_events_per_second(&self) -> f64 {
        per_second(self.events, self.parse_elapsed)
    }

    /// Events per second through the whole pipeline, database included.
    pub fn events_per_second(&self) -> f64 {
        per_second(self.events, self.total_elapsed)
    }
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "events:               {} ({} bytes)", self.events, self.bytes)?;
        writeln!(f, "matched events:       {}", self.matched_events)?;
        writeln!(
            f,
            "jobs enqueued:        {} (+{} already queued)",
            self.jobs_enqueued, self.jobs_already_queued
        )?;
        writeln!(
            f,
            "canaries, malformed:  {}, {}",
            self.canaries_dropped, self.events_malformed
        )?;
        writeln!(f, "transactions:         {}", self.transactions)?;
        writeln!(
            f,
            "parse + rules:        {:.3} s, {:.0} events/s",
            self.parse_elapsed.as_secs_f64(),
            self.parse_events_per_second()
        )?;
        write!(
            f,
            "full pipeline:        {:.3} s, {:.0} events/s",
            self.total_elapsed.as_secs_f64(),
            self.events_per_second()
        )
    }
}

/// Error of [`bench_consume`].
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cleaning up after the benchmark failed: {0}")]
    Cleanup(#[source] sqlx::Error),
}

/// Measures how fast `frames` are parsed, filtered by the shipped rules and
/// applied to the database in batch transactions, as the consumer does.
///
/// The benchmark runs as its own consumer name (`bench-<uuid>`) and deletes
/// its position, seen event ids and the jobs it inserted when done. Run it
/// against a database without workers: until then the jobs are real and
/// could be claimed. [`crate::replay::synthetic_frames`] gives any number of
/// frames with distinct event ids.
pub async fn bench_consume(pool: &PgPool, frames: &[Frame]) -> Result<BenchReport, BenchError> {
    let rules = Rules::shipped()?;
    let wikis = WikiDirectory::shipped();
    let consumer = format!("bench-{}", uuid::Uuid::new_v4());
    let mut wire = Vec::new();
    for frame in frames {
        wire.extend_from_slice(frame.bytes());
    }

    let parse_elapsed = time_parse_only(&rules, &wikis, &wire);

    let started = Instant::now();
    let mut report = BenchReport {
        events: 0,
        bytes: wire.len() as u64,
        matched_events: 0,
        jobs_enqueued: 0,
        jobs_already_queued: 0,
        canaries_dropped: 0,
        events_malformed: 0,
        transactions: 0,
        parse_elapsed,
        total_elapsed: Duration::ZERO,
    };
    let mut inserted_jobs = Vec::new();
    let mut parser = SseParser::new();
    let mut processor = EventProcessor::new(&rules, &wikis);
    let mut items = Vec::new();
    let mut batch = Batch::default();
    for piece in wire.chunks(READ_SIZE) {
        parser.feed(piece, &mut items);
        for item in items.drain(..) {
            processor.push(item, &mut batch);
            if batch.events_seen >= BATCH_EVENTS {
                apply(
                    pool,
                    &consumer,
                    std::mem::take(&mut batch),
                    &mut report,
                    &mut inserted_jobs,
                )
                .await?;
            }
        }
    }
    if !batch.is_empty() {
        apply(pool, &consumer, batch, &mut report, &mut inserted_jobs).await?;
    }
    report.total_elapsed = started.elapsed();

    clean_up(pool, &consumer, &inserted_jobs)
        .await
        .map_err(BenchError::Cleanup)?;
    Ok(report)
}

fn time_parse_only(rules: &Rules, wikis: &WikiDirectory, wire: &[u8]) -> Duration {
    let started = Instant::now();
    let mut parser = SseParser::new();
    let mut processor = EventProcessor::new(rules, wikis);
    let mut items = Vec::new();
    let mut batch = Batch::default();
    for piece in wire.chunks(READ_SIZE) {
        parser.feed(piece, &mut items);
        for item in items.drain(..) {
            processor.push(item, &mut batch);
            if batch.events_seen >= BATCH_EVENTS {
                batch = Batch::default();
            }
        }
    }
    started.elapsed()
}

async fn apply(
    pool: &PgPool,
    consumer: &str,
    batch: Batch,
    report: &mut BenchReport,
    inserted_jobs: &mut Vec<i64>,
) -> Result<(), StoreError> {
    let outcome = store::apply_batch(pool, consumer, &batch, None).await?;
    report.events += batch.events_seen;
    report.matched_events += batch.matched.len() as u64;
    report.canaries_dropped += batch.canaries_dropped;
    report.events_malformed += batch.events_malformed;
    report.jobs_enqueued += outcome.jobs_inserted;
    report.jobs_already_queued += outcome.jobs_existing;
    report.transactions += 1;
    inserted_jobs.extend(outcome.inserted_job_ids);
    Ok(())
}

async fn clean_up(pool: &PgPool, consumer: &str, inserted_jobs: &[i64]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM job WHERE id = ANY($1)")
        .bind(inserted_jobs)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM stream_seen_event WHERE consumer = $1")
        .bind(consumer)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM stream_position WHERE consumer = $1")
        .bind(consumer)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
