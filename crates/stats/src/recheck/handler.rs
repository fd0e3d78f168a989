//! The `stats_recheck` job handler.

use std::sync::Arc;

use async_trait::async_trait;
use phetools_queue::{JobContext, JobError, JobHandler};
use phetools_wiki::{WikiClient, WikiError};
use serde_json::{json, Value};
use sqlx::PgPool;
use tracing::{info, Instrument};

use super::read::{embedding_pages, read_pages, PageLookup, PageSelector, PAGES_PER_REQUEST};
use super::store::{forget_transclusions, store_checked_page};
use crate::error::StatsError;
use crate::events::{RecheckRequest, WikiDirectory, WikiInfo};
use crate::messages;

/// Runs `stats_recheck` jobs: reads the pages through [`WikiClient::query`]
/// and stores their transclusions and flags.
pub struct RecheckHandler {
    pool: PgPool,
    client: Arc<WikiClient>,
}

impl RecheckHandler {
    pub fn new(pool: PgPool, client: Arc<WikiClient>) -> Self {
        RecheckHandler { pool, client }
    }
}

/// Totals of one job, stored as its result.
#[derive(Debug, Default)]
struct RecheckTotals {
    pages: usize,
    with_scans: usize,
    missing: usize,
    applied: usize,
}

#[async_trait]
impl JobHandler for RecheckHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let request: RecheckRequest = serde_json::from_value(job.payload.clone())
            .map_err(|error| JobError::permanent(messages::recheck_invalid_payload(&error.to_string())))?;
        let wiki = WikiDirectory::find(&self.pool, &request.wiki)
            .await
            .map_err(|error| store_error(&request.wiki, error))?
            .ok_or_else(|| JobError::permanent(messages::recheck_unknown_wiki(&request.wiki)))?;
        let span = tracing::info_span!(
            "stats_recheck",
            job_id = job.job_id,
            kind = %job.kind,
            wiki = %request.wiki,
            title = %request.title
        );
        async {
            let totals = self.recheck(&job, &wiki, &request).await?;
            info!(
                pages = totals.pages,
                with_scans = totals.with_scans,
                missing = totals.missing,
                "statistics re-check done"
            );
            Ok(json!({
                "pages": totals.pages,
                "with_scans": totals.with_scans,
                "missing": totals.missing,
                "applied": totals.applied,
            }))
        }
        .instrument(span)
        .await
    }
}

impl RecheckHandler {
    async fn recheck(
        &self,
        job: &JobContext,
        wiki: &WikiInfo,
        request: &RecheckRequest,
    ) -> Result<RecheckTotals, JobError> {
        let mut totals = RecheckTotals::default();
        if !request.is_index() {
            let titles = [request.title.clone()];
            let ids: Vec<i64> = request.page_id.into_iter().collect();
            let selector = if ids.is_empty() {
                PageSelector::Titles(&titles)
            } else {
                PageSelector::Ids(&ids)
            };
            self.check_batch(wiki, selector, request.page_id, &mut totals).await?;
            return Ok(totals);
        }

        // NOTE: without a page id the Index is named by the canonical prefix
        // `Index:`, which wikis with a localized Index namespace may not accept.
        let index_title = format!("Index:{}", request.title);
        let page_ids = embedding_pages(&self.client, &wiki.domain, request.page_id, &index_title)
            .await
            .map_err(|error| wiki_error(&wiki.dbname, error))?;
        for chunk in page_ids.chunks(PAGES_PER_REQUEST) {
            if job.cancel.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            self.check_batch(wiki, PageSelector::Ids(chunk), None, &mut totals)
                .await?;
            job.progress
                .report(json!({"pages": totals.pages, "of": page_ids.len()}));
        }
        Ok(totals)
    }

    /// Reads one batch of pages and stores each. `requested_id` is the page
    /// id to forget when a lookup by title finds no page.
    async fn check_batch(
        &self,
        wiki: &WikiInfo,
        selector: PageSelector<'_>,
        requested_id: Option<i64>,
        totals: &mut RecheckTotals,
    ) -> Result<(), JobError> {
        let lookups = read_pages(&self.client, &wiki.domain, wiki.page_namespace, selector)
            .await
            .map_err(|error| wiki_error(&wiki.dbname, error))?;
        for lookup in lookups {
            totals.pages += 1;
            match lookup {
                PageLookup::Found(page) => {
                    let summary = store_checked_page(&self.pool, &wiki.dbname, &page)
                        .await
                        .map_err(|error| store_error(&wiki.dbname, error))?;
                    totals.applied += summary.applied;
                    totals.with_scans += usize::from(!page.transcluded.is_empty());
                }
                PageLookup::Missing { page_id, .. } => {
                    totals.missing += 1;
                    if let Some(page_id) = page_id.or(requested_id) {
                        forget_transclusions(&self.pool, &wiki.dbname, page_id)
                            .await
                            .map_err(|error| store_error(&wiki.dbname, error))?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn wiki_error(wiki: &str, error: WikiError) -> JobError {
    let message = messages::recheck_wiki_failed(wiki, &error.to_string());
    if error.is_retryable() {
        JobError::retryable(message)
    } else {
        JobError::permanent(message)
    }
}

/// Database errors are worth another attempt: the pages are read again then.
fn store_error(wiki: &str, error: StatsError) -> JobError {
    JobError::retryable(messages::recheck_store_failed(wiki, &error.to_string()))
}
