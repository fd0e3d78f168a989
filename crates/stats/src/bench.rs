//! Throughput of event application, for `phetools bench`.

use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::apply::{apply_events, Change, PageEvent};
use crate::error::StatsError;
use crate::messages;
use crate::model::{Level, Namespace};

/// Result of [`bench_apply`].
#[derive(Debug, Clone, Serialize)]
pub struct ApplyBenchReport {
    pub events: usize,
    pub batch_size: usize,
    pub transactions: usize,
    pub ignored: usize,
    pub elapsed_seconds: f64,
    pub events_per_second: f64,
}

impl fmt::Display for ApplyBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} events in {} transactions of up to {}: {:.3} s, {:.0} events/s",
            self.events, self.transactions, self.batch_size, self.elapsed_seconds, self.events_per_second
        )
    }
}

/// Applies `events` synthetic events to a wiki of its own, in transactions of
/// `batch_size` events, and measures events per second. Every transaction
/// updates the page rows, the wiki's counts and the transitions together.
/// The benchmark's rows are deleted afterwards; other wikis are not touched.
pub async fn bench_apply(pool: &PgPool, events: usize, batch_size: usize) -> Result<ApplyBenchReport, StatsError> {
    if events == 0 || batch_size == 0 {
        return Err(StatsError::Benchmark(messages::benchmark_needs_events(
            events, batch_size,
        )));
    }
    let wiki = format!(
        "phetoolsbench{}x{}wikisource",
        std::process::id(),
        Utc::now().timestamp_micros()
    );
    let synthetic = synthetic_events(&wiki, events);

    let measured = run(pool, &synthetic, batch_size).await;
    let tables = ["stats_page", "stats_wiki_count", "stats_transition", "stats_drift"];
    let cleanup = delete_wiki_rows(pool, &wiki, &tables).await;
    let (elapsed_seconds, ignored) = measured?;
    cleanup?;
    Ok(ApplyBenchReport {
        events,
        batch_size,
        transactions: events.div_ceil(batch_size),
        ignored,
        elapsed_seconds,
        events_per_second: events as f64 / elapsed_seconds,
    })
}

async fn run(pool: &PgPool, events: &[PageEvent], batch_size: usize) -> Result<(f64, usize), StatsError> {
    let started = Instant::now();
    let mut ignored = 0;
    for batch in events.chunks(batch_size) {
        ignored += apply_events(pool, batch).await?.ignored;
    }
    Ok((started.elapsed().as_secs_f64(), ignored))
}

/// Deletes the rows of a benchmark's own wiki from `tables`, in that order.
pub(crate) async fn delete_wiki_rows(pool: &PgPool, wiki: &str, tables: &[&str]) -> Result<(), StatsError> {
    for table in tables {
        sqlx::query(&format!("DELETE FROM {table} WHERE wiki = $1"))
            .bind(wiki)
            .execute(pool)
            .await
            .map_err(StatsError::database("cannot delete the benchmark's rows"))?;
    }
    Ok(())
}

/// Builds a reproducible mix: page creations (a tenth of the events at first, fewer
/// as the wiki fills), level changes of existing pages, and some deletions,
/// spread over a wiki of `events / 4` pages, one event per second.
fn synthetic_events(wiki: &str, count: usize) -> Vec<PageEvent> {
    let page_count = (count / 4).max(1);
    let mut levels: Vec<Option<Option<Level>>> = vec![None; page_count];
    let mut random = 0x2545_f491_4f6c_dd1d_u64;
    let start = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap_or_default();
    let mut events = Vec::with_capacity(count);

    for index in 0..count {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        let page = (random % page_count as u64) as usize;
        let rev_id = index as i64 + 1;
        let change = match levels[page] {
            None => Change::Created {
                redirect: false,
                level: Some(Level::NOT_PROOFREAD),
            },
            Some(_) if random.is_multiple_of(50) => Change::Deleted,
            Some(old) => {
                let next = old.map_or(1, |level| (level.get() + 1) % 5);
                Change::LevelChanged {
                    old,
                    new: Level::new(i64::from(next)).ok(),
                }
            }
        };
        levels[page] = match &change {
            Change::Created { level, .. } => Some(*level),
            Change::Deleted => None,
            Change::LevelChanged { new, .. } => Some(*new),
            _ => levels[page],
        };
        events.push(PageEvent {
            wiki: wiki.to_owned(),
            page_id: page as i64 + 1,
            rev_id,
            at: start + Duration::seconds(index as i64),
            namespace: Namespace::Page,
            title: None,
            human_edit_at: None,
            change,
        });
    }
    events
}
