//! Applies page events to `stats_page` and `stats_wiki_count` in one transaction.
//!
//! [`apply_events`] reads the stored rows of the pages a batch names, folds the
//! events over them in memory ([`decide`] contains the rules), then writes the
//! changed rows, the count differences, the per-day transitions and the drift
//! records before it commits. A transaction-level advisory lock per wiki keeps
//! two batches for the same wiki from reading the same rows at once.

mod batch;
mod decide;
mod event;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use tracing::{debug, info_span, Instrument};

pub use batch::{fold, BatchChanges, DriftRecord, PageKey};
pub use decide::{contribution, decide, Decision, LevelDrift, PageState, Transition};
pub use event::{Change, PageEvent};

use crate::error::StatsError;
use crate::model::{Level, Namespace};

/// Outcome of [`apply_events`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplySummary {
    pub applied: usize,
    pub ignored: usize,
    pub drifts: usize,
}

/// Applies one event in its own transaction.
pub async fn apply_event(pool: &PgPool, event: &PageEvent) -> Result<ApplySummary, StatsError> {
    apply_events(pool, std::slice::from_ref(event)).await
}

/// Applies `events` in order, in one transaction. An invalid event rejects the
/// whole batch before anything is written.
pub async fn apply_events(pool: &PgPool, events: &[PageEvent]) -> Result<ApplySummary, StatsError> {
    validate(events)?;
    if events.is_empty() {
        return Ok(ApplySummary::default());
    }
    let mut transaction = pool
        .begin()
        .await
        .map_err(StatsError::database("cannot start a transaction"))?;
    let summary = apply_events_in(&mut transaction, events).await?;
    transaction
        .commit()
        .await
        .map_err(StatsError::database("cannot commit the statistics events"))?;
    Ok(summary)
}

/// Applies `events` in order inside the caller's transaction, so that they
/// commit together with the caller's other writes (the stream consumer's jobs
/// and position). An invalid event rejects the whole batch before anything is
/// written. The wikis' advisory locks are held until the caller commits.
pub async fn apply_events_in(
    transaction: &mut Transaction<'_, Postgres>,
    events: &[PageEvent],
) -> Result<ApplySummary, StatsError> {
    validate(events)?;
    if events.is_empty() {
        return Ok(ApplySummary::default());
    }
    let span = info_span!("stats_apply", events = events.len(), wiki = %events[0].wiki);
    async {
        lock_wikis(transaction, events).await?;
        let mut states = load_states(transaction, events).await?;
        let changes = fold(&mut states, events);
        write_changes(transaction, &changes).await?;
        debug!(
            applied = changes.applied,
            ignored = changes.ignored,
            "statistics events applied"
        );
        Ok(ApplySummary {
            applied: changes.applied,
            ignored: changes.ignored,
            drifts: changes.drifts.len(),
        })
    }
    .instrument(span)
    .await
}

fn validate(events: &[PageEvent]) -> Result<(), StatsError> {
    events.iter().try_for_each(PageEvent::validate)
}

async fn lock_wikis(transaction: &mut Transaction<'_, Postgres>, events: &[PageEvent]) -> Result<(), StatsError> {
    let mut wikis: Vec<&str> = events.iter().map(|event| event.wiki.as_str()).collect();
    wikis.sort_unstable();
    wikis.dedup();
    // Sorted, so that two batches lock shared wikis in the same order.
    for wiki in wikis {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('phetools_stats:' || $1, 0))")
            .bind(wiki)
            .execute(&mut **transaction)
            .await
            .map_err(StatsError::database("cannot lock the wiki's statistics"))?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct PageRow {
    wiki: String,
    page_id: i64,
    namespace: String,
    present: bool,
    redirect: bool,
    level: Option<i16>,
    disambiguation: bool,
    with_scans: bool,
    expect_without_scans: bool,
    state_rev_id: i64,
    state_at: DateTime<Utc>,
    level_rev_id: i64,
    title: Option<String>,
    last_human_edit_at: Option<DateTime<Utc>>,
}

async fn load_states(
    transaction: &mut Transaction<'_, Postgres>,
    events: &[PageEvent],
) -> Result<HashMap<PageKey, PageState>, StatsError> {
    let wikis: Vec<&str> = events.iter().map(|event| event.wiki.as_str()).collect();
    let page_ids: Vec<i64> = events.iter().map(|event| event.page_id).collect();
    let rows: Vec<PageRow> = sqlx::query_as(
        "SELECT wiki, page_id, namespace, present, redirect, level, disambiguation, with_scans, \
                expect_without_scans, state_rev_id, state_at, level_rev_id, title, last_human_edit_at \
         FROM stats_page \
         WHERE (wiki, page_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))",
    )
    .bind(&wikis)
    .bind(&page_ids)
    .fetch_all(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot read the stored page states"))?;

    let mut states = HashMap::with_capacity(rows.len());
    for row in rows {
        let state = PageState {
            namespace: Namespace::from_column(&row.namespace)?,
            present: row.present,
            redirect: row.redirect,
            level: row.level.map(|level| Level::new(i64::from(level))).transpose()?,
            disambiguation: row.disambiguation,
            with_scans: row.with_scans,
            expect_without_scans: row.expect_without_scans,
            state_rev_id: row.state_rev_id,
            state_at: row.state_at,
            level_rev_id: row.level_rev_id,
            title: row.title,
            last_human_edit_at: row.last_human_edit_at,
        };
        states.insert((row.wiki, row.page_id), state);
    }
    Ok(states)
}

async fn write_changes(transaction: &mut Transaction<'_, Postgres>, changes: &BatchChanges) -> Result<(), StatsError> {
    write_pages(transaction, changes).await?;
    write_counts(transaction, changes).await?;
    write_transitions(transaction, changes).await?;
    write_drifts(transaction, changes).await
}

async fn write_pages(transaction: &mut Transaction<'_, Postgres>, changes: &BatchChanges) -> Result<(), StatsError> {
    if changes.pages.is_empty() {
        return Ok(());
    }
    let states = changes.pages.values();
    let wikis: Vec<&str> = changes.pages.keys().map(|(wiki, _)| wiki.as_str()).collect();
    let page_ids: Vec<i64> = changes.pages.keys().map(|(_, page_id)| *page_id).collect();
    let namespaces: Vec<&str> = states.clone().map(|state| state.namespace.as_str()).collect();
    let present: Vec<bool> = states.clone().map(|state| state.present).collect();
    let redirects: Vec<bool> = states.clone().map(|state| state.redirect).collect();
    let levels: Vec<Option<i16>> = states
        .clone()
        .map(|state| state.level.map(|l| i16::from(l.get())))
        .collect();
    let disambiguations: Vec<bool> = states.clone().map(|state| state.disambiguation).collect();
    let with_scans: Vec<bool> = states.clone().map(|state| state.with_scans).collect();
    let state_rev_ids: Vec<i64> = states.clone().map(|state| state.state_rev_id).collect();
    let state_ats: Vec<DateTime<Utc>> = states.clone().map(|state| state.state_at).collect();
    let level_rev_ids: Vec<i64> = states.clone().map(|state| state.level_rev_id).collect();
    let expect_without_scans: Vec<bool> = states.clone().map(|state| state.expect_without_scans).collect();
    let titles: Vec<Option<&str>> = states.clone().map(|state| state.title.as_deref()).collect();
    let human_edits: Vec<Option<DateTime<Utc>>> = states.map(|state| state.last_human_edit_at).collect();

    sqlx::query(
        "INSERT INTO stats_page (wiki, page_id, namespace, present, redirect, level, disambiguation, with_scans, \
                                 state_rev_id, state_at, level_rev_id, \
                                expect_without_scans, title, last_human_edit_at) \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bool[], $5::bool[], $6::smallint[], \
                              $7::bool[], $8::bool[], $9::bigint[], $10::timestamptz[], $11::bigint[], \
                              $12::bool[], $13::text[], $14::timestamptz[]) \
         ON CONFLICT (wiki, page_id) DO UPDATE SET \
             namespace = EXCLUDED.namespace, present = EXCLUDED.present, redirect = EXCLUDED.redirect, \
             level = EXCLUDED.level, disambiguation = EXCLUDED.disambiguation, with_scans = EXCLUDED.with_scans, \
             state_rev_id = EXCLUDED.state_rev_id, state_at = EXCLUDED.state_at, \
             level_rev_id = EXCLUDED.level_rev_id, expect_without_scans = EXCLUDED.expect_without_scans, \
             title = EXCLUDED.title, last_human_edit_at = EXCLUDED.last_human_edit_at, updated_at = now()",
    )
    .bind(&wikis)
    .bind(&page_ids)
    .bind(&namespaces)
    .bind(&present)
    .bind(&redirects)
    .bind(&levels)
    .bind(&disambiguations)
    .bind(&with_scans)
    .bind(&state_rev_ids)
    .bind(&state_ats)
    .bind(&level_rev_ids)
    .bind(&expect_without_scans)
    .bind(&titles)
    .bind(&human_edits)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot write the page states"))?;
    Ok(())
}

async fn write_counts(transaction: &mut Transaction<'_, Postgres>, changes: &BatchChanges) -> Result<(), StatsError> {
    let wikis: Vec<&str> = changes.counts.keys().map(String::as_str).collect();
    let column = |field: fn(&crate::Counts) -> i64| -> Vec<i64> { changes.counts.values().map(field).collect() };
    sqlx::query(
        "INSERT INTO stats_wiki_count AS c (wiki, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, \
                                            disambiguation, expected_without_scans) \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], \
                              $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], \
                              $12::bigint[]) \
         ON CONFLICT (wiki) DO UPDATE SET \
             pages = c.pages + EXCLUDED.pages, q0 = c.q0 + EXCLUDED.q0, q1 = c.q1 + EXCLUDED.q1, \
             q2 = c.q2 + EXCLUDED.q2, q3 = c.q3 + EXCLUDED.q3, q4 = c.q4 + EXCLUDED.q4, \
             no_level = c.no_level + EXCLUDED.no_level, texts = c.texts + EXCLUDED.texts, \
             with_scans = c.with_scans + EXCLUDED.with_scans, \
             disambiguation = c.disambiguation + EXCLUDED.disambiguation, \
             expected_without_scans = c.expected_without_scans + EXCLUDED.expected_without_scans, \
             updated_at = now()",
    )
    .bind(&wikis)
    .bind(column(|counts| counts.pages))
    .bind(column(|counts| counts.levels[0]))
    .bind(column(|counts| counts.levels[1]))
    .bind(column(|counts| counts.levels[2]))
    .bind(column(|counts| counts.levels[3]))
    .bind(column(|counts| counts.levels[4]))
    .bind(column(|counts| counts.no_level))
    .bind(column(|counts| counts.texts))
    .bind(column(|counts| counts.with_scans))
    .bind(column(|counts| counts.disambiguation))
    .bind(column(|counts| counts.expected_without_scans))
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot update the wiki counts"))?;
    Ok(())
}

async fn write_transitions(
    transaction: &mut Transaction<'_, Postgres>,
    changes: &BatchChanges,
) -> Result<(), StatsError> {
    if changes.transitions.is_empty() {
        return Ok(());
    }
    let keys = changes.transitions.keys();
    let wikis: Vec<&str> = keys.clone().map(|(wiki, ..)| wiki.as_str()).collect();
    let days: Vec<chrono::NaiveDate> = keys.clone().map(|(_, day, ..)| *day).collect();
    let from: Vec<i16> = keys.clone().map(|(_, _, from, _)| *from).collect();
    let to: Vec<i16> = keys.map(|(.., to)| *to).collect();
    let pages: Vec<i64> = changes.transitions.values().copied().collect();
    sqlx::query(
        "INSERT INTO stats_transition AS t (wiki, day, from_level, to_level, pages) \
         SELECT * FROM unnest($1::text[], $2::date[], $3::smallint[], $4::smallint[], $5::bigint[]) \
         ON CONFLICT (wiki, day, from_level, to_level) DO UPDATE SET pages = t.pages + EXCLUDED.pages",
    )
    .bind(&wikis)
    .bind(&days)
    .bind(&from)
    .bind(&to)
    .bind(&pages)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot record the level transitions"))?;
    Ok(())
}

async fn write_drifts(transaction: &mut Transaction<'_, Postgres>, changes: &BatchChanges) -> Result<(), StatsError> {
    if changes.drifts.is_empty() {
        return Ok(());
    }
    let level = |level: Option<Level>| level.map(|level| i64::from(level.get()));
    let wikis: Vec<&str> = changes.drifts.iter().map(|drift| drift.wiki.as_str()).collect();
    let page_ids: Vec<i64> = changes.drifts.iter().map(|drift| drift.page_id).collect();
    let rev_ids: Vec<i64> = changes.drifts.iter().map(|drift| drift.rev_id).collect();
    let stored: Vec<Option<i64>> = changes.drifts.iter().map(|drift| level(drift.drift.stored)).collect();
    let reported: Vec<Option<i64>> = changes.drifts.iter().map(|drift| level(drift.drift.reported)).collect();
    sqlx::query(
        "INSERT INTO stats_drift (wiki, page_id, field, stored, reported, rev_id) \
         SELECT wiki, page_id, 'level', stored, reported, rev_id \
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) \
              AS d(wiki, page_id, rev_id, stored, reported)",
    )
    .bind(&wikis)
    .bind(&page_ids)
    .bind(&rev_ids)
    .bind(&stored)
    .bind(&reported)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot record the drift"))?;
    Ok(())
}
