//! Daily snapshots of the per-wiki counts.

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::error::StatsError;

/// Copies every wiki's current counts into `stats_snapshot` for `day`,
/// replacing a snapshot taken earlier the same day. Returns the number of wikis.
pub async fn take_snapshot(pool: &PgPool, day: NaiveDate) -> Result<u64, StatsError> {
    let result = sqlx::query(
        "INSERT INTO stats_snapshot AS s (wiki, day, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, \
                                          disambiguation, expected_without_scans) \
         SELECT wiki, $1, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, \
                expected_without_scans \
         FROM stats_wiki_count \
         ON CONFLICT (wiki, day) DO UPDATE SET \
             taken_at = now(), pages = EXCLUDED.pages, q0 = EXCLUDED.q0, q1 = EXCLUDED.q1, q2 = EXCLUDED.q2, \
             q3 = EXCLUDED.q3, q4 = EXCLUDED.q4, no_level = EXCLUDED.no_level, texts = EXCLUDED.texts, \
             with_scans = EXCLUDED.with_scans, disambiguation = EXCLUDED.disambiguation, \
             expected_without_scans = EXCLUDED.expected_without_scans",
    )
    .bind(day)
    .execute(pool)
    .await
    .map_err(StatsError::database("cannot take the daily statistics snapshot"))?;
    Ok(result.rows_affected())
}

/// Copies the current counts of `wiki` into `stats_snapshot` for `day`,
/// replacing a snapshot taken earlier the same day. Returns `false` when the
/// wiki has no counts yet.
pub async fn take_wiki_snapshot(pool: &PgPool, wiki: &str, day: NaiveDate) -> Result<bool, StatsError> {
    let result = sqlx::query(
        "INSERT INTO stats_snapshot AS s (wiki, day, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, \
                                          disambiguation, expected_without_scans) \
         SELECT wiki, $2, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, \
                expected_without_scans \
         FROM stats_wiki_count WHERE wiki = $1 \
         ON CONFLICT (wiki, day) DO UPDATE SET \
             taken_at = now(), pages = EXCLUDED.pages, q0 = EXCLUDED.q0, q1 = EXCLUDED.q1, q2 = EXCLUDED.q2, \
             q3 = EXCLUDED.q3, q4 = EXCLUDED.q4, no_level = EXCLUDED.no_level, texts = EXCLUDED.texts, \
             with_scans = EXCLUDED.with_scans, disambiguation = EXCLUDED.disambiguation, \
             expected_without_scans = EXCLUDED.expected_without_scans",
    )
    .bind(wiki)
    .bind(day)
    .execute(pool)
    .await
    .map_err(StatsError::database(
        "cannot take the daily statistics snapshot of the wiki",
    ))?;
    Ok(result.rows_affected() > 0)
}
