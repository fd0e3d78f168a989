//! Queue jobs of the statistics: the daily job of each wiki and its full recount.
//!
//! * `stats_daily` (payload `{"wiki", "day"}`) first queues the job of the next
//!   UTC day (run-after 00:10 UTC, dedupe key `stats_daily:<wiki>:<day>`), so
//!   that a failed day does not end the chain. It then takes the day's
//!   snapshot, runs the cross-check, saves the on-wiki templates on the
//!   configured wikis and queues a full recount when one is due.
//!   [`schedule_daily_jobs`] starts the chain of each wiki.
//! * `stats_recount` (payload `{"wiki"}`, dedupe key `stats_recount:<wiki>`)
//!   runs [`full_recount`]. A run that would exceed its request budget fails
//!   the job with that reason and is not retried.
//!
//! A full recount is due on first sight of a wiki (`last_full_recount_at` is
//! NULL) and whenever the last one is more than `full_recount_days` days old.
//! It is also due on the wiki's day in a rotation of `full_recount_days` days
//! (weekly by default). A stable hash of the wiki's name picks that day, so
//! the wikis spread over the period.

use std::num::NonZeroU32;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use phetools_queue::{enqueue, JobContext, JobError, JobHandler, NewJob};
use phetools_wiki::WikiBots;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgPool;
use tracing::{info, info_span, warn, Instrument};

use crate::error::StatsError;
use crate::messages;
use crate::onwiki::update_templates;
use crate::recount::{cross_check, full_recount, Outcome, WikiSettings};
use crate::snapshot::take_wiki_snapshot;

/// Job kind of the daily statistics job.
pub const DAILY_JOB_KIND: &str = "stats_daily";
/// Job kind of a full recount.
pub const RECOUNT_JOB_KIND: &str = "stats_recount";

/// Time of day (UTC) at which the daily jobs become due.
const DAILY_RUN_TIME: NaiveTime = match NaiveTime::from_hms_opt(0, 10, 0) {
    Some(time) => time,
    None => panic!("00:10:00 is a valid time"),
};

/// Settings of the `[stats]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatsConfig {
    /// Wikis (old tool codes) whose statistics templates the bot saves daily.
    pub template_wikis: Vec<String>,
    /// API requests per second of a recount or cross-check, per wiki.
    pub recount_requests_per_second: u32,
    /// Days between two full recounts of a wiki.
    pub full_recount_days: u32,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            template_wikis: crate::legacy::TEMPLATE_WIKIS.map(str::to_owned).to_vec(),
            // One request per second keeps a recount of the largest wiki
            // (about 1,500 requests estimated for 4 M Page: pages) under an hour.
            recount_requests_per_second: 1,
            full_recount_days: 7,
        }
    }
}

impl StatsConfig {
    /// Checks the values that serde cannot.
    pub fn validate(&self) -> Result<(), StatsError> {
        if self.recount_requests_per_second == 0 {
            return Err(StatsError::InvalidSetting(messages::invalid_stats_setting(
                "recount_requests_per_second",
                "0; use a whole number of requests per second of at least 1",
            )));
        }
        if self.full_recount_days == 0 {
            return Err(StatsError::InvalidSetting(messages::invalid_stats_setting(
                "full_recount_days",
                "0; use a whole number of days of at least 1",
            )));
        }
        Ok(())
    }

    fn requests_per_second(&self) -> NonZeroU32 {
        NonZeroU32::new(self.recount_requests_per_second).unwrap_or(NonZeroU32::MIN)
    }
}

#[derive(Debug, Deserialize)]
struct DailyPayload {
    wiki: String,
    day: NaiveDate,
}

#[derive(Debug, Deserialize)]
struct RecountPayload {
    wiki: String,
}

/// Builds the daily job of `wiki` for `day`.
pub fn daily_job(wiki: &str, day: NaiveDate) -> NewJob {
    let run_after = DateTime::<Utc>::from_naive_utc_and_offset(day.and_time(DAILY_RUN_TIME), Utc);
    NewJob::new(DAILY_JOB_KIND, json!({ "wiki": wiki, "day": day }))
        .run_after(run_after)
        .dedupe_key(format!("{DAILY_JOB_KIND}:{wiki}:{day}"))
        .priority(-10)
}

/// Builds the full-recount job of `wiki`.
pub fn recount_job(wiki: &str) -> NewJob {
    NewJob::new(RECOUNT_JOB_KIND, json!({ "wiki": wiki }))
        .dedupe_key(format!("{RECOUNT_JOB_KIND}:{wiki}"))
        .priority(-20)
        .max_attempts(3)
}

/// Queues the daily job of every wiki in `stats_wiki`: for `today` when the
/// wiki has no snapshot yet (a new wiki), else for the next day, which the
/// chain of daily jobs has normally queued already. Queuing again while the
/// job waits changes nothing (dedupe key). Returns the number of wikis.
pub async fn schedule_daily_jobs(pool: &PgPool, today: NaiveDate) -> Result<usize, StatsError> {
    let wikis: Vec<(String, bool)> = sqlx::query_as(
        "SELECT w.wiki, EXISTS (SELECT 1 FROM stats_snapshot s WHERE s.wiki = w.wiki) \
         FROM stats_wiki w ORDER BY w.wiki",
    )
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot list the statistics wikis"))?;
    for (wiki, snapshot_taken) in &wikis {
        let day = if *snapshot_taken {
            today + Duration::days(1)
        } else {
            today
        };
        queue_job(pool, &daily_job(wiki, day)).await?;
    }
    Ok(wikis.len())
}

async fn queue_job(pool: &PgPool, job: &NewJob) -> Result<i64, StatsError> {
    let mut connection = pool
        .acquire()
        .await
        .map_err(StatsError::database("cannot queue a statistics job"))?;
    let outcome = enqueue(&mut connection, job)
        .await
        .map_err(StatsError::database("cannot queue a statistics job"))?;
    Ok(outcome.job_id())
}

/// Returns the slot of `wiki` in a rotation of `period_days` days (counted
/// from 1970-01-01): FNV-1a of its name modulo the period, stable across
/// processes and releases.
pub fn recount_slot(wiki: &str, period_days: u32) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in wiki.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % period_days.max(1)
}

/// Decides whether the daily job of `day` queues a full recount.
pub fn full_recount_due(
    wiki: &str,
    day: NaiveDate,
    last_full_recount_at: Option<DateTime<Utc>>,
    full_recount_days: u32,
) -> bool {
    let Some(last) = last_full_recount_at else {
        return true;
    };
    let age_days = (day - last.date_naive()).num_days();
    if age_days > i64::from(full_recount_days) {
        return true;
    }
    let period = full_recount_days.max(1);
    let day_number = (day - NaiveDate::default()).num_days();
    let in_slot = day_number.rem_euclid(i64::from(period)) == i64::from(recount_slot(wiki, period));
    in_slot && age_days >= 1
}

/// Handler of `stats_daily`.
pub struct DailyJobHandler {
    pool: PgPool,
    bots: Arc<WikiBots>,
    config: StatsConfig,
}

impl DailyJobHandler {
    pub fn new(pool: PgPool, bots: Arc<WikiBots>, config: StatsConfig) -> Self {
        DailyJobHandler { pool, bots, config }
    }

    async fn run_day(&self, wiki: &str, day: NaiveDate) -> Result<Value, StatsError> {
        queue_job(&self.pool, &daily_job(wiki, day + Duration::days(1))).await?;
        let settings = WikiSettings::load(&self.pool, wiki).await?;
        let bot = self.bots.bot(&settings.domain).map_err(|source| StatsError::Api {
            wiki: wiki.to_owned(),
            source: Box::new(source),
        })?;

        let snapshot_taken = take_wiki_snapshot(&self.pool, wiki, day).await?;
        let cross_check = cross_check(&self.pool, bot.as_ref(), &settings).await?;
        let templates = if self.config.template_wikis.contains(&settings.code) && snapshot_taken {
            Some(update_templates(&self.pool, &bot, wiki, &settings.code).await?)
        } else {
            None
        };
        let recount_job_id =
            if full_recount_due(wiki, day, settings.last_full_recount_at, self.config.full_recount_days) {
                Some(queue_job(&self.pool, &recount_job(wiki)).await?)
            } else {
                None
            };
        Ok(json!({
            "wiki": wiki,
            "day": day,
            "snapshot": snapshot_taken,
            "cross_check": cross_check,
            "templates": templates,
            "recount_job_id": recount_job_id,
        }))
    }
}

#[async_trait]
impl JobHandler for DailyJobHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let payload: DailyPayload = serde_json::from_value(job.payload.clone())
            .map_err(|error| JobError::permanent(messages::invalid_job_payload(DAILY_JOB_KIND, &error.to_string())))?;
        let span = info_span!("stats_daily", job_id = job.job_id, kind = DAILY_JOB_KIND, wiki = %payload.wiki);
        self.run_day(&payload.wiki, payload.day)
            .instrument(span)
            .await
            .map_err(job_error)
    }
}

/// Handler of `stats_recount`.
pub struct RecountJobHandler {
    pool: PgPool,
    bots: Arc<WikiBots>,
    config: StatsConfig,
}

impl RecountJobHandler {
    pub fn new(pool: PgPool, bots: Arc<WikiBots>, config: StatsConfig) -> Self {
        RecountJobHandler { pool, bots, config }
    }
}

#[async_trait]
impl JobHandler for RecountJobHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let payload: RecountPayload = serde_json::from_value(job.payload.clone()).map_err(|error| {
            JobError::permanent(messages::invalid_job_payload(RECOUNT_JOB_KIND, &error.to_string()))
        })?;
        let span = info_span!("stats_recount_job", job_id = job.job_id, kind = RECOUNT_JOB_KIND, wiki = %payload.wiki);
        async {
            let settings = WikiSettings::load(&self.pool, &payload.wiki).await.map_err(job_error)?;
            let bot = self.bots.bot(&settings.domain).map_err(|source| {
                job_error(StatsError::Api {
                    wiki: payload.wiki.clone(),
                    source: Box::new(source),
                })
            })?;
            let recount = full_recount(&self.pool, bot.as_ref(), &settings, self.config.requests_per_second());
            let report = tokio::select! {
                report = recount => report.map_err(job_error)?,
                () = job.cancel.cancelled() => return Err(JobError::Cancelled),
            };
            if report.outcome == Outcome::OverBudget {
                return Err(JobError::permanent(messages::recount_over_budget(
                    &payload.wiki,
                    report.budget,
                )));
            }
            info!(
                requests = report.requests,
                drifts = report.drifts,
                "recount job finished"
            );
            serde_json::to_value(&report).map_err(JobError::permanent)
        }
        .instrument(span)
        .await
    }
}

/// Maps a statistics error to a job error: database and API failures may pass,
/// bad settings and bad responses do not.
fn job_error(error: StatsError) -> JobError {
    let retryable = match &error {
        StatsError::Database { .. } => true,
        StatsError::Api { source, .. } => source.is_retryable(),
        StatsError::TemplateEdit { source, .. } => source.is_retryable(),
        _ => false,
    };
    warn!(error = %error, retryable, "statistics job failed");
    if retryable {
        JobError::retryable(error)
    } else {
        JobError::permanent(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn recount_is_due_on_first_sight() {
        assert!(full_recount_due("frwikisource", day("2026-12-05"), None, 7));
    }

    #[test]
    fn recount_is_due_once_a_week() {
        let last = DateTime::<Utc>::from_naive_utc_and_offset(day("2026-11-20").and_time(NaiveTime::MIN), Utc);
        let due: Vec<NaiveDate> = (0..7)
            .map(|offset| day("2026-11-21") + Duration::days(offset))
            .filter(|day| full_recount_due("frwikisource", *day, Some(last), 7))
            .collect();
        assert_eq!(due.len(), 1, "{due:?}");
    }

    #[test]
    fn overdue_recount_is_due() {
        let last = DateTime::<Utc>::from_naive_utc_and_offset(day("2026-11-01").and_time(NaiveTime::MIN), Utc);
        assert!(full_recount_due("enwikisource", day("2026-11-20"), Some(last), 7));
    }

    #[test]
    fn slots_spread_over_the_week() {
        let wikis = [
            "frwikisource",
            "enwikisource",
            "dewikisource",
            "plwikisource",
            "bnwikisource",
            "itwikisource",
        ];
        let mut slots: Vec<u32> = wikis.iter().map(|wiki| recount_slot(wiki, 7)).collect();
        slots.sort_unstable();
        slots.dedup();
        assert!(slots.len() >= 3, "{slots:?}");
    }
}
