//! Writes a re-checked page: its `stats_transclusion` rows and its flags, in one transaction.

use chrono::Utc;
use sqlx::PgPool;

use super::read::CheckedPage;
use crate::apply::{apply_events_in, ApplySummary, Change, PageEvent};
use crate::error::StatsError;
use crate::model::Namespace;

/// Replaces the transclusion rows of `page` and applies its flags as a
/// [`Change::MainFlagsChanged`] at its latest revision. A page that left the
/// main namespace keeps no rows and gets no flags.
pub(crate) async fn store_checked_page(
    pool: &PgPool,
    wiki: &str,
    page: &CheckedPage,
) -> Result<ApplySummary, StatsError> {
    let mut transaction = pool
        .begin()
        .await
        .map_err(StatsError::database("cannot start a transaction"))?;
    let in_main = page.namespace == 0;
    let rows: &[String] = if in_main { &page.transcluded } else { &[] };
    replace_transclusions(&mut transaction, wiki, page.page_id, rows).await?;
    let summary = if in_main {
        let event = PageEvent {
            wiki: wiki.to_owned(),
            page_id: page.page_id,
            rev_id: page.last_rev_id,
            // Later than every event of this revision read so far, so the
            // flags apply; a deletion after the read comes later still.
            at: Utc::now(),
            namespace: Namespace::Main,
            title: Some(page.title.clone()),
            human_edit_at: None,
            change: Change::MainFlagsChanged {
                redirect: page.redirect,
                disambiguation: page.disambiguation,
                with_scans: !page.transcluded.is_empty(),
                expect_without_scans: page.expect_without_scans,
            },
        };
        apply_events_in(&mut transaction, &[event]).await?
    } else {
        ApplySummary::default()
    };
    transaction
        .commit()
        .await
        .map_err(StatsError::database("cannot commit the re-checked page"))?;
    Ok(summary)
}

/// Deletes the transclusion rows of a page that no longer exists.
pub(crate) async fn forget_transclusions(pool: &PgPool, wiki: &str, page_id: i64) -> Result<(), StatsError> {
    let mut transaction = pool
        .begin()
        .await
        .map_err(StatsError::database("cannot start a transaction"))?;
    replace_transclusions(&mut transaction, wiki, page_id, &[]).await?;
    transaction
        .commit()
        .await
        .map_err(StatsError::database("cannot commit the removed transclusions"))
}

async fn replace_transclusions(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    wiki: &str,
    page_id: i64,
    titles: &[String],
) -> Result<(), StatsError> {
    sqlx::query("DELETE FROM stats_transclusion WHERE wiki = $1 AND main_page_id = $2")
        .bind(wiki)
        .bind(page_id)
        .execute(&mut **transaction)
        .await
        .map_err(StatsError::database("cannot delete the old transclusion rows"))?;
    if titles.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO stats_transclusion (wiki, main_page_id, page_title) \
         SELECT $1, $2, title FROM unnest($3::text[]) AS title ON CONFLICT DO NOTHING",
    )
    .bind(wiki)
    .bind(page_id)
    .bind(titles)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot write the transclusion rows"))?;
    Ok(())
}
