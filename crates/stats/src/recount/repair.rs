//! Compares a census with `stats_page` and `stats_transclusion`, records the
//! differences in `stats_drift` and sets the stored state and counts right,
//! all in one transaction under the wiki's statistics lock.
//!
//! A page is repaired only when its stored state comes from a revision no
//! newer than the one the census read (`lastrevid`): an event applied while the
//! recount ran is newer and wins. A page absent from the census is marked
//! absent only when its row was last written before the recount started.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::fetch::Census;
use crate::error::StatsError;
use crate::model::{CountColumns, Counts, Namespace};

/// Rows per insert into the temporary tables.
const CHUNK: usize = 10_000;

/// Changes made by [`repair`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairSummary {
    /// Drift rows written: pages and count fields that disagreed.
    pub drifts: i64,
    pub pages_repaired: i64,
    pub pages_marked_absent: i64,
    /// The wiki's counts after the repair, equal to the sum over its page rows.
    pub counts: Counts,
}

/// Applies `census` to the stored state of `wiki`. `first_recount` leaves out
/// the drift rows of pages that have no stored row, since a first recount loads
/// them rather than finding them missed.
pub(crate) async fn repair(
    pool: &PgPool,
    wiki: &str,
    census: &Census,
    recount_id: i64,
    started_at: DateTime<Utc>,
    first_recount: bool,
) -> Result<RepairSummary, StatsError> {
    let mut transaction = pool
        .begin()
        .await
        .map_err(StatsError::database("cannot start the recount transaction"))?;
    lock_wiki(&mut transaction, wiki).await?;
    load_census(&mut transaction, census).await?;
    compare(&mut transaction, wiki).await?;

    let mut drifts = record_page_drifts(&mut transaction, wiki, recount_id, started_at, first_recount).await?;
    let pages_repaired = write_pages(&mut transaction, wiki).await?;
    let pages_marked_absent = mark_absent(&mut transaction, wiki, started_at).await?;
    write_transclusions(&mut transaction, wiki).await?;
    let before = stored_counts(&mut transaction, wiki).await?;
    let after = summed_counts(&mut transaction, wiki).await?;
    drifts += record_count_drifts(&mut transaction, wiki, recount_id, &before, &after).await?;
    write_counts(&mut transaction, wiki, &after).await?;

    transaction
        .commit()
        .await
        .map_err(StatsError::database("cannot commit the recount"))?;
    Ok(RepairSummary {
        drifts,
        pages_repaired,
        pages_marked_absent,
        counts: after,
    })
}

/// Takes the transaction-level lock that `apply::apply_events` takes, so that
/// no event batch of the wiki runs between the comparison and the count update.
async fn lock_wiki(transaction: &mut Transaction<'_, Postgres>, wiki: &str) -> Result<(), StatsError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('phetools_stats:' || $1, 0))")
        .bind(wiki)
        .execute(&mut **transaction)
        .await
        .map_err(StatsError::database("cannot lock the wiki's statistics"))?;
    Ok(())
}

async fn execute(connection: &mut PgConnection, sql: &str, context: &'static str) -> Result<u64, StatsError> {
    let result = sqlx::query(sql)
        .execute(connection)
        .await
        .map_err(StatsError::database(context))?;
    Ok(result.rows_affected())
}

async fn load_census(transaction: &mut Transaction<'_, Postgres>, census: &Census) -> Result<(), StatsError> {
    execute(
        transaction,
        "CREATE TEMP TABLE recount_page (\
             page_id bigint PRIMARY KEY, namespace text NOT NULL, title text NOT NULL, rev_id bigint NOT NULL, \
             level smallint, disambiguation boolean NOT NULL, expect_without_scans boolean NOT NULL, \
             with_scans boolean NOT NULL) ON COMMIT DROP",
        "cannot create the recount's page table",
    )
    .await?;
    execute(
        transaction,
        "CREATE TEMP TABLE recount_transclusion (main_page_id bigint NOT NULL, page_title text NOT NULL) \
         ON COMMIT DROP",
        "cannot create the recount's transclusion table",
    )
    .await?;

    let pages: Vec<_> = census.pages.iter().collect();
    for chunk in pages.chunks(CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| **id).collect();
        let namespaces: Vec<&str> = chunk
            .iter()
            .map(|(_, page)| page.namespace.unwrap_or(Namespace::Other).as_str())
            .collect();
        let titles: Vec<&str> = chunk.iter().map(|(_, page)| page.title.as_str()).collect();
        let rev_ids: Vec<i64> = chunk.iter().map(|(_, page)| page.rev_id).collect();
        let levels: Vec<Option<i16>> = chunk
            .iter()
            .map(|(_, page)| page.level.map(|level| i16::from(level.get())))
            .collect();
        let disambiguations: Vec<bool> = chunk.iter().map(|(_, page)| page.disambiguation).collect();
        let expected: Vec<bool> = chunk.iter().map(|(_, page)| page.expect_without_scans).collect();
        let with_scans: Vec<bool> = chunk.iter().map(|(_, page)| !page.transcludes.is_empty()).collect();
        sqlx::query(
            "INSERT INTO recount_page \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::smallint[], \
                                  $6::bool[], $7::bool[], $8::bool[])",
        )
        .bind(&ids)
        .bind(&namespaces)
        .bind(&titles)
        .bind(&rev_ids)
        .bind(&levels)
        .bind(&disambiguations)
        .bind(&expected)
        .bind(&with_scans)
        .execute(&mut **transaction)
        .await
        .map_err(StatsError::database("cannot load the recounted pages"))?;
    }

    let links: Vec<(i64, &str)> = census
        .pages
        .iter()
        .flat_map(|(id, page)| page.transcludes.iter().map(move |title| (*id, title.as_str())))
        .collect();
    for chunk in links.chunks(CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        let titles: Vec<&str> = chunk.iter().map(|(_, title)| *title).collect();
        sqlx::query("INSERT INTO recount_transclusion SELECT * FROM unnest($1::bigint[], $2::text[])")
            .bind(&ids)
            .bind(&titles)
            .execute(&mut **transaction)
            .await
            .map_err(StatsError::database("cannot load the recounted transclusions"))?;
    }
    Ok(())
}

/// Pairs every recounted page whose stored state is not newer with its stored row.
async fn compare(transaction: &mut Transaction<'_, Postgres>, wiki: &str) -> Result<(), StatsError> {
    sqlx::query(
        "CREATE TEMP TABLE recount_compare ON COMMIT DROP AS \
         SELECT r.*, s.page_id IS NOT NULL AS stored, \
                COALESCE(s.present AND NOT s.redirect AND s.namespace = r.namespace, false) AS stored_counted, \
                s.level AS stored_level, s.disambiguation AS stored_disambiguation, \
                s.with_scans AS stored_with_scans, s.expect_without_scans AS stored_expect_without_scans, \
                s.title AS stored_title, s.state_rev_id AS stored_state_rev_id, s.state_at AS stored_state_at, \
                s.level_rev_id AS stored_level_rev_id \
         FROM recount_page r \
         LEFT JOIN stats_page s ON s.wiki = $1 AND s.page_id = r.page_id \
         WHERE s.page_id IS NULL OR GREATEST(s.state_rev_id, s.level_rev_id) <= r.rev_id",
    )
    .bind(wiki)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot compare the recount with the stored pages"))?;
    Ok(())
}

async fn record_page_drifts(
    transaction: &mut Transaction<'_, Postgres>,
    wiki: &str,
    recount_id: i64,
    started_at: DateTime<Utc>,
    first_recount: bool,
) -> Result<i64, StatsError> {
    let result = sqlx::query(
        "INSERT INTO stats_drift (wiki, page_id, field, stored, reported, rev_id, source, recount_id, repaired) \
         SELECT $1, page_id, field, stored, reported, rev_id, 'recount', $2, true FROM ( \
             SELECT page_id, 'present' AS field, 0::bigint AS stored, 1::bigint AS reported, rev_id \
             FROM recount_compare WHERE NOT stored_counted AND (stored OR NOT $4) \
           UNION ALL \
             SELECT page_id, 'level', stored_level, level, rev_id FROM recount_compare \
             WHERE stored_counted AND namespace = 'page' AND stored_level IS DISTINCT FROM level \
           UNION ALL \
             SELECT page_id, 'disambiguation', stored_disambiguation::int, disambiguation::int, rev_id \
             FROM recount_compare \
             WHERE stored_counted AND namespace = 'main' AND stored_disambiguation <> disambiguation \
           UNION ALL \
             SELECT page_id, 'with_scans', stored_with_scans::int, with_scans::int, rev_id FROM recount_compare \
             WHERE stored_counted AND namespace = 'main' AND stored_with_scans <> with_scans \
           UNION ALL \
             SELECT page_id, 'expect_without_scans', stored_expect_without_scans::int, \
                    expect_without_scans::int, rev_id \
             FROM recount_compare \
             WHERE stored_counted AND namespace = 'main' \
               AND stored_expect_without_scans <> expect_without_scans \
           UNION ALL \
             SELECT s.page_id, 'present', 1, 0, NULL FROM stats_page s \
             WHERE s.wiki = $1 AND s.present AND NOT s.redirect AND s.namespace IN ('page', 'main') \
               AND s.updated_at < $3 \
               AND NOT EXISTS (SELECT 1 FROM recount_page r WHERE r.page_id = s.page_id) \
         ) AS drift",
    )
    .bind(wiki)
    .bind(recount_id)
    .bind(started_at)
    .bind(first_recount)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot record the recount's drift"))?;
    Ok(i64::try_from(result.rows_affected()).unwrap_or(i64::MAX))
}

/// Writes the recounted state of every compared page that differs from its row.
/// The guards rise to the revision read, and the event time of the guard is
/// the earliest possible, so that a deletion of that same revision still applies.
async fn write_pages(transaction: &mut Transaction<'_, Postgres>, wiki: &str) -> Result<i64, StatsError> {
    let result = sqlx::query(
        "INSERT INTO stats_page (wiki, page_id, namespace, present, redirect, level, disambiguation, with_scans, \
                                 expect_without_scans, title, state_rev_id, state_at, level_rev_id) \
         SELECT $1, page_id, namespace, true, false, CASE WHEN namespace = 'page' THEN level END, \
                disambiguation AND namespace = 'main', with_scans AND namespace = 'main', \
                expect_without_scans AND namespace = 'main', title, rev_id, \
                CASE WHEN stored_state_rev_id = rev_id THEN stored_state_at ELSE 'epoch'::timestamptz END, \
                CASE WHEN namespace = 'page' THEN rev_id ELSE COALESCE(stored_level_rev_id, 0) END \
         FROM recount_compare \
         WHERE NOT stored_counted OR stored_title IS DISTINCT FROM title \
            OR (namespace = 'page' AND stored_level IS DISTINCT FROM level) \
            OR (namespace = 'main' AND (stored_disambiguation, stored_with_scans, stored_expect_without_scans) \
                IS DISTINCT FROM (disambiguation, with_scans, expect_without_scans)) \
         ON CONFLICT (wiki, page_id) DO UPDATE SET \
             namespace = EXCLUDED.namespace, present = true, redirect = false, level = EXCLUDED.level, \
             disambiguation = EXCLUDED.disambiguation, with_scans = EXCLUDED.with_scans, \
             expect_without_scans = EXCLUDED.expect_without_scans, title = EXCLUDED.title, \
             state_rev_id = EXCLUDED.state_rev_id, state_at = EXCLUDED.state_at, \
             level_rev_id = EXCLUDED.level_rev_id, updated_at = now()",
    )
    .bind(wiki)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot write the recounted pages"))?;
    Ok(i64::try_from(result.rows_affected()).unwrap_or(i64::MAX))
}

/// Marks counted pages that the census did not list as absent.
///
/// NOTE: the census lists non-redirects only, so a page that became a
/// redirect is marked absent rather than a redirect. Both count nothing; the
/// next event of the page sets its row right.
async fn mark_absent(
    transaction: &mut Transaction<'_, Postgres>,
    wiki: &str,
    started_at: DateTime<Utc>,
) -> Result<i64, StatsError> {
    let result = sqlx::query(
        "UPDATE stats_page s SET present = false, updated_at = now() \
         WHERE s.wiki = $1 AND s.present AND NOT s.redirect AND s.namespace IN ('page', 'main') \
           AND s.updated_at < $2 \
           AND NOT EXISTS (SELECT 1 FROM recount_page r WHERE r.page_id = s.page_id)",
    )
    .bind(wiki)
    .bind(started_at)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot mark the pages the recount did not find"))?;
    Ok(i64::try_from(result.rows_affected()).unwrap_or(i64::MAX))
}

/// Replaces the transclusion links of every compared page and drops those of absent pages.
async fn write_transclusions(transaction: &mut Transaction<'_, Postgres>, wiki: &str) -> Result<(), StatsError> {
    sqlx::query(
        "DELETE FROM stats_transclusion t WHERE t.wiki = $1 AND ( \
             t.main_page_id IN (SELECT page_id FROM recount_compare) \
             OR t.main_page_id IN (SELECT page_id FROM stats_page WHERE wiki = $1 AND NOT present))",
    )
    .bind(wiki)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot replace the stored transclusions"))?;
    sqlx::query(
        "INSERT INTO stats_transclusion (wiki, main_page_id, page_title) \
         SELECT $1, t.main_page_id, t.page_title \
         FROM recount_transclusion t JOIN recount_compare c ON c.page_id = t.main_page_id \
         ON CONFLICT DO NOTHING",
    )
    .bind(wiki)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot write the recounted transclusions"))?;
    Ok(())
}

async fn stored_counts(transaction: &mut Transaction<'_, Postgres>, wiki: &str) -> Result<Counts, StatsError> {
    let row: Option<CountColumns> = sqlx::query_as(
        "SELECT pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, expected_without_scans \
         FROM stats_wiki_count WHERE wiki = $1",
    )
    .bind(wiki)
    .fetch_optional(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot read the wiki counts"))?;
    Ok(row.map(Counts::from).unwrap_or_default())
}

/// Sums the contributions of the wiki's page rows, as `apply::contribution` defines them.
async fn summed_counts(transaction: &mut Transaction<'_, Postgres>, wiki: &str) -> Result<Counts, StatsError> {
    let row: CountColumns = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE namespace = 'page'), \
                count(*) FILTER (WHERE namespace = 'page' AND level = 0), \
                count(*) FILTER (WHERE namespace = 'page' AND level = 1), \
                count(*) FILTER (WHERE namespace = 'page' AND level = 2), \
                count(*) FILTER (WHERE namespace = 'page' AND level = 3), \
                count(*) FILTER (WHERE namespace = 'page' AND level = 4), \
                count(*) FILTER (WHERE namespace = 'page' AND level IS NULL), \
                count(*) FILTER (WHERE namespace = 'main'), \
                count(*) FILTER (WHERE namespace = 'main' AND with_scans), \
                count(*) FILTER (WHERE namespace = 'main' AND disambiguation), \
                count(*) FILTER (WHERE namespace = 'main' AND expect_without_scans AND NOT with_scans \
                                       AND NOT disambiguation) \
         FROM stats_page WHERE wiki = $1 AND present AND NOT redirect",
    )
    .bind(wiki)
    .fetch_one(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot sum the page rows"))?;
    Ok(Counts::from(row))
}

fn count_fields(c: &Counts) -> [(&'static str, i64); 11] {
    [
        ("count_pages", c.pages),
        ("count_q0", c.levels[0]),
        ("count_q1", c.levels[1]),
        ("count_q2", c.levels[2]),
        ("count_q3", c.levels[3]),
        ("count_q4", c.levels[4]),
        ("count_no_level", c.no_level),
        ("count_texts", c.texts),
        ("count_with_scans", c.with_scans),
        ("count_disambiguation", c.disambiguation),
        ("count_expected_without_scans", c.expected_without_scans),
    ]
}

async fn record_count_drifts(
    transaction: &mut Transaction<'_, Postgres>,
    wiki: &str,
    recount_id: i64,
    before: &Counts,
    after: &Counts,
) -> Result<i64, StatsError> {
    let mut written = 0;
    for ((field, stored), (_, reported)) in count_fields(before).into_iter().zip(count_fields(after)) {
        if stored == reported {
            continue;
        }
        sqlx::query(
            "INSERT INTO stats_drift (wiki, field, stored, reported, source, recount_id, repaired) \
             VALUES ($1, $2, $3, $4, 'recount', $5, true)",
        )
        .bind(wiki)
        .bind(field)
        .bind(stored)
        .bind(reported)
        .bind(recount_id)
        .execute(&mut **transaction)
        .await
        .map_err(StatsError::database("cannot record the count drift"))?;
        written += 1;
    }
    Ok(written)
}

async fn write_counts(transaction: &mut Transaction<'_, Postgres>, wiki: &str, c: &Counts) -> Result<(), StatsError> {
    sqlx::query(
        "INSERT INTO stats_wiki_count (wiki, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, \
                                       expected_without_scans) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (wiki) DO UPDATE SET \
             pages = EXCLUDED.pages, q0 = EXCLUDED.q0, q1 = EXCLUDED.q1, q2 = EXCLUDED.q2, q3 = EXCLUDED.q3, \
             q4 = EXCLUDED.q4, no_level = EXCLUDED.no_level, texts = EXCLUDED.texts, \
             with_scans = EXCLUDED.with_scans, disambiguation = EXCLUDED.disambiguation, \
             expected_without_scans = EXCLUDED.expected_without_scans, updated_at = now()",
    )
    .bind(wiki)
    .bind(c.pages)
    .bind(c.levels[0])
    .bind(c.levels[1])
    .bind(c.levels[2])
    .bind(c.levels[3])
    .bind(c.levels[4])
    .bind(c.no_level)
    .bind(c.texts)
    .bind(c.with_scans)
    .bind(c.disambiguation)
    .bind(c.expected_without_scans)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot write the recounted counts"))?;
    Ok(())
}
