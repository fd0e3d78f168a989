//! Counts a wiki again through the Action API and sets the stored statistics right.
//!
//! * [`full_recount`] enumerates the non-redirect pages of the Page namespace
//!   with `generator=allpages` and `prop=info|pageprops|categories`. A page's
//!   level is its `proofread_page_quality_level` property, else its first
//!   quality category, as ProofreadPage's own lookup does. It enumerates the
//!   main namespace with `prop=info|pageprops|templates&tlnamespace=<Page
//!   namespace>`, which gives the `disambiguation` and `expectwithoutscans`
//!   properties and the template links into the Page namespace. Red links
//!   count, as the old SQL counted them. It compares the census with `stats_page` and
//!   `stats_transclusion`, writes `stats_drift` rows (`source = 'recount'`),
//!   repairs the rows and the counts in one transaction ([`repair`]) and
//!   records the run in `stats_recount`. It stops with outcome `over_budget`
//!   before the request that would exceed [`recount_budget`], and then
//!   changes no page row.
//! * [`cross_check`] is the cheap daily check: one request reads the members
//!   of the five quality categories (`prop=categoryinfo`) and
//!   `siteinfo.statistics`, and records a `stats_drift` row
//!   (`source = 'cross_check'`, not repaired) for each level whose stored
//!   count differs from its category. Category counts can drift in MediaWiki
//!   itself, so the check repairs nothing.
//!
//! Requests are paced by a `governor` rate limiter at `requests_per_second`.

mod api;
mod bench;
mod budget;
mod fetch;
mod repair;
mod settings;

use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use tracing::{info, info_span, warn, Instrument};

pub use api::RecountApi;
pub use bench::{bench_recount, GeneratedWiki, RecountBenchReport, LEGACY_QUERIES_PER_WIKI};
pub use budget::{recount_budget, FIXED_REQUESTS, HIGH_LIST_LIMIT, LIST_LIMIT, REQUESTS_PER_LIMIT};
pub use fetch::{Census, CensusPage, SiteFigures};
pub use repair::RepairSummary;
pub use settings::WikiSettings;

use crate::error::StatsError;
use crate::messages;
use api::{Pager, Stop};

/// Outcome of a recount or cross-check (`stats_recount.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    OverBudget,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::OverBudget => "over_budget",
        }
    }
}

/// Result of [`full_recount`].
#[derive(Debug, Clone, Serialize)]
pub struct RecountReport {
    /// `stats_recount.id` of the run.
    pub recount_id: i64,
    pub outcome: Outcome,
    pub requests: u32,
    pub budget: u32,
    /// Non-redirect pages the census listed, both namespaces.
    pub census_pages: usize,
    pub drifts: i64,
    pub pages_repaired: i64,
    pub pages_marked_absent: i64,
    /// Counts after the repair; `None` unless the outcome is `succeeded`.
    #[serde(skip)]
    pub counts: Option<crate::Counts>,
}

/// Result of [`cross_check`].
#[derive(Debug, Clone, Serialize)]
pub struct CrossCheckReport {
    pub recount_id: i64,
    /// Members of the quality categories, index = level.
    pub category_pages: [i64; 5],
    /// Stored counts per level, index = level.
    pub stored_levels: [i64; 5],
    pub site_pages: u64,
    pub site_edits: u64,
    /// Levels whose stored count differs from its category.
    pub drifts: i64,
}

/// Counts `settings.wiki` again through `api` and repairs the stored state.
///
/// An API or database error ends the run with outcome `failed`, recorded in
/// `stats_recount` with the error, and is returned. Running out of budget is
/// not an error: the report's outcome is `over_budget`.
pub async fn full_recount(
    pool: &PgPool,
    api: &dyn RecountApi,
    settings: &WikiSettings,
    requests_per_second: NonZeroU32,
) -> Result<RecountReport, StatsError> {
    let span = info_span!("stats_recount", wiki = %settings.wiki, kind = "full");
    async {
        let (recount_id, started_at) = start_run(pool, &settings.wiki, "full").await?;
        // The budget is unknown until the first response; one request is allowed for it.
        let mut pager = Pager::new(api, requests_per_second, 1);
        let result = census_within_budget(&mut pager, settings).await;
        let mut report = RecountReport {
            recount_id,
            outcome: Outcome::Succeeded,
            requests: pager.requests,
            budget: pager.budget,
            census_pages: 0,
            drifts: 0,
            pages_repaired: 0,
            pages_marked_absent: 0,
            counts: None,
        };
        let census = match result {
            Ok(census) => census,
            Err(Stop::OverBudget) => {
                report.outcome = Outcome::OverBudget;
                warn!(
                    requests = pager.requests,
                    budget = pager.budget,
                    "recount stopped: over budget"
                );
                finish_run(
                    pool,
                    &report,
                    Some(&messages::recount_over_budget(&settings.wiki, pager.budget)),
                )
                .await?;
                return Ok(report);
            }
            Err(stop) => {
                let error = stop_error(&settings.wiki, stop);
                report.outcome = Outcome::Failed;
                finish_run(pool, &report, Some(&error.to_string())).await?;
                return Err(error);
            }
        };
        report.census_pages = census.pages.len();

        let first_recount = settings.last_full_recount_at.is_none();
        match repair::repair(pool, &settings.wiki, &census, recount_id, started_at, first_recount).await {
            Ok(summary) => {
                report.drifts = summary.drifts;
                report.pages_repaired = summary.pages_repaired;
                report.pages_marked_absent = summary.pages_marked_absent;
                report.counts = Some(summary.counts);
            }
            Err(error) => {
                report.outcome = Outcome::Failed;
                finish_run(pool, &report, Some(&error.to_string())).await?;
                return Err(error);
            }
        }
        finish_run(pool, &report, None).await?;
        mark_wiki(pool, &settings.wiki, "last_full_recount_at").await?;
        info!(
            requests = report.requests,
            budget = report.budget,
            pages = report.census_pages,
            drifts = report.drifts,
            "recount finished"
        );
        Ok(report)
    }
    .instrument(span)
    .await
}

/// Reads the site figures, sets the budget from them, then reads the census.
async fn census_within_budget(pager: &mut Pager<'_>, settings: &WikiSettings) -> Result<Census, Stop> {
    let site = fetch::read_site_figures(pager, settings).await?;
    pager.budget = recount_budget(site.site_pages, site.list_limit);
    fetch::read_census(pager, settings).await
}

/// Compares the quality categories' member counts with the stored levels: one request.
pub async fn cross_check(
    pool: &PgPool,
    api: &dyn RecountApi,
    settings: &WikiSettings,
) -> Result<CrossCheckReport, StatsError> {
    let span = info_span!("stats_cross_check", wiki = %settings.wiki, kind = "cross_check");
    async {
        let (recount_id, _) = start_run(pool, &settings.wiki, "cross_check").await?;
        let mut pager = Pager::new(api, NonZeroU32::MIN, 1);
        let site = match fetch::read_site_figures(&mut pager, settings).await {
            Ok(site) => site,
            Err(stop) => {
                let error = stop_error(&settings.wiki, stop);
                record_cross_check(pool, recount_id, Outcome::Failed, 0, Some(&error.to_string())).await?;
                return Err(error);
            }
        };
        let stored_levels = stored_levels(pool, &settings.wiki).await?;
        let mut drifts = 0;
        for (level, (stored, reported)) in stored_levels.iter().zip(site.category_pages).enumerate() {
            if *stored == reported {
                continue;
            }
            sqlx::query(
                "INSERT INTO stats_drift (wiki, field, stored, reported, source, recount_id, repaired) \
                 VALUES ($1, $2, $3, $4, 'cross_check', $5, false)",
            )
            .bind(&settings.wiki)
            .bind(format!("category_q{level}"))
            .bind(stored)
            .bind(reported)
            .bind(recount_id)
            .execute(pool)
            .await
            .map_err(StatsError::database("cannot record the cross-check drift"))?;
            drifts += 1;
        }
        record_cross_check(pool, recount_id, Outcome::Succeeded, drifts, None).await?;
        mark_wiki(pool, &settings.wiki, "last_cross_check_at").await?;
        info!(drifts, site_edits = site.site_edits, "cross-check finished");
        Ok(CrossCheckReport {
            recount_id,
            category_pages: site.category_pages,
            stored_levels,
            site_pages: site.site_pages,
            site_edits: site.site_edits,
            drifts,
        })
    }
    .instrument(span)
    .await
}

fn stop_error(wiki: &str, stop: Stop) -> StatsError {
    match stop {
        Stop::Api(source) => StatsError::Api {
            wiki: wiki.to_owned(),
            source: Box::new(source),
        },
        Stop::Unexpected(detail) => StatsError::UnexpectedResponse(detail),
        Stop::OverBudget => StatsError::UnexpectedResponse(messages::recount_over_budget(wiki, 0)),
    }
}

async fn stored_levels(pool: &PgPool, wiki: &str) -> Result<[i64; 5], StatsError> {
    let row: Option<(i64, i64, i64, i64, i64)> =
        sqlx::query_as("SELECT q0, q1, q2, q3, q4 FROM stats_wiki_count WHERE wiki = $1")
            .bind(wiki)
            .fetch_optional(pool)
            .await
            .map_err(StatsError::database("cannot read the wiki counts"))?;
    Ok(row.map_or([0; 5], |(q0, q1, q2, q3, q4)| [q0, q1, q2, q3, q4]))
}

async fn start_run(pool: &PgPool, wiki: &str, kind: &str) -> Result<(i64, DateTime<Utc>), StatsError> {
    sqlx::query_as("INSERT INTO stats_recount (wiki, kind, budget) VALUES ($1, $2, 1) RETURNING id, started_at")
        .bind(wiki)
        .bind(kind)
        .fetch_one(pool)
        .await
        .map_err(StatsError::database("cannot record the start of the recount"))
}

async fn finish_run(pool: &PgPool, report: &RecountReport, error: Option<&str>) -> Result<(), StatsError> {
    sqlx::query(
        "UPDATE stats_recount SET finished_at = now(), requests = $2, budget = $3, drifts = $4, outcome = $5, \
                                  error = $6 \
         WHERE id = $1",
    )
    .bind(report.recount_id)
    .bind(i32::try_from(report.requests).unwrap_or(i32::MAX))
    .bind(i32::try_from(report.budget).unwrap_or(i32::MAX))
    .bind(i32::try_from(report.drifts).unwrap_or(i32::MAX))
    .bind(report.outcome.as_str())
    .bind(error)
    .execute(pool)
    .await
    .map_err(StatsError::database("cannot record the end of the recount"))?;
    Ok(())
}

async fn record_cross_check(
    pool: &PgPool,
    recount_id: i64,
    outcome: Outcome,
    drifts: i64,
    error: Option<&str>,
) -> Result<(), StatsError> {
    sqlx::query(
        "UPDATE stats_recount SET finished_at = now(), requests = 1, budget = 1, drifts = $2, outcome = $3, \
                                  error = $4 \
         WHERE id = $1",
    )
    .bind(recount_id)
    .bind(i32::try_from(drifts).unwrap_or(i32::MAX))
    .bind(outcome.as_str())
    .bind(error)
    .execute(pool)
    .await
    .map_err(StatsError::database("cannot record the end of the cross-check"))?;
    Ok(())
}

/// Sets `column` (`last_full_recount_at` or `last_cross_check_at`) of the wiki to now.
async fn mark_wiki(pool: &PgPool, wiki: &str, column: &'static str) -> Result<(), StatsError> {
    sqlx::query(&format!("UPDATE stats_wiki SET {column} = now() WHERE wiki = $1"))
        .bind(wiki)
        .execute(pool)
        .await
        .map_err(StatsError::database("cannot record the recount time of the wiki"))?;
    Ok(())
}
