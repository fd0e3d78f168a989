//! Per-wiki configuration of the statistics (`stats_wiki`): Page and Index
//! namespace ids and the five quality category names, read from
//! `meta=siteinfo|proofreadinfo`. A wiki whose API lacks `proofreadinfo` gets
//! the shipped namespace table and en.wikisource's category names.
//!
//! The `stats_wiki_config` job refreshes every counted wiki. The workers
//! queue it daily at [`REFRESH_TIME`] UTC.

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use phetools_queue::{JobContext, JobError, JobHandler, NewJob};
use phetools_wiki::{WikiClient, WikiError};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::Arc;
use tracing::{info, warn, Instrument};

use crate::error::StatsError;
use crate::events::{WikiDirectory, WikiInfo};
use crate::messages;

/// Job kind of the daily configuration refresh.
pub const CONFIG_JOB_KIND: &str = "stats_wiki_config";

/// Time of day (UTC) of the daily refresh.
pub const REFRESH_TIME: NaiveTime = match NaiveTime::from_hms_opt(0, 30, 0) {
    Some(time) => time,
    None => NaiveTime::MIN,
};

/// ProofreadPage's default category names (en.wikisource's), level 0 to 4.
pub const ENGLISH_QUALITY_CATEGORIES: [&str; 5] =
    ["Without text", "Not proofread", "Problematic", "Proofread", "Validated"];

/// Origin of a wiki's configuration (`stats_wiki.config_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    Api,
    Shipped,
}

impl ConfigSource {
    fn as_str(self) -> &'static str {
        match self {
            ConfigSource::Api => "api",
            ConfigSource::Shipped => "shipped",
        }
    }
}

/// One `stats_wiki` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WikiConfigRow {
    pub info: WikiInfo,
    /// Category names in level order, as dbkeys without the prefix.
    pub quality_categories: [String; 5],
    pub source: ConfigSource,
}

/// Returns the configuration of the shipped table, with the English category names.
pub fn shipped_config(info: &WikiInfo) -> WikiConfigRow {
    WikiConfigRow {
        info: info.clone(),
        quality_categories: ENGLISH_QUALITY_CATEGORIES.map(|name| name.replace(' ', "_")),
        source: ConfigSource::Shipped,
    }
}

/// Reads the configuration from the `query` object of a
/// `meta=proofreadinfo&prpiprop=namespaces|qualitylevels` response. Returns
/// `None` when the object lacks a namespace id or one of the five levels.
pub fn config_from_proofreadinfo(info: &WikiInfo, query: &Value) -> Option<WikiConfigRow> {
    let namespace = |name: &str| {
        query["proofreadnamespaces"][name]["id"]
            .as_i64()
            .and_then(|id| i32::try_from(id).ok())
    };
    let levels = query["proofreadqualitylevels"].as_array()?;
    let mut categories: [Option<String>; 5] = Default::default();
    for level in levels {
        let id = level["id"].as_u64().and_then(|id| usize::try_from(id).ok())?;
        let category = level["category"].as_str()?;
        *categories.get_mut(id)? = Some(category.replace(' ', "_"));
    }
    let [Some(c0), Some(c1), Some(c2), Some(c3), Some(c4)] = categories else {
        return None;
    };
    Some(WikiConfigRow {
        info: WikiInfo {
            page_namespace: namespace("page")?,
            index_namespace: namespace("index")?,
            ..info.clone()
        },
        quality_categories: [c0, c1, c2, c3, c4],
        source: ConfigSource::Api,
    })
}

/// Reads the configuration of one wiki from its API, falling back to
/// [`shipped_config`] when the wiki has no `proofreadinfo` module or returns
/// an unusable one.
pub async fn fetch_config(client: &WikiClient, info: &WikiInfo) -> Result<WikiConfigRow, WikiError> {
    let response = client
        .query(
            &info.domain,
            &[
                ("action", "query"),
                ("meta", "siteinfo|proofreadinfo"),
                ("siprop", "general"),
                ("prpiprop", "namespaces|qualitylevels"),
            ],
        )
        .await;
    let response = match response {
        Ok(response) => response,
        // A wiki without ProofreadPage rejects the unknown `meta` value.
        Err(WikiError::Api { code, .. }) if code == "badvalue" || code == "unknown_meta" => {
            return Ok(shipped_config(info))
        }
        Err(error) => return Err(error),
    };
    match config_from_proofreadinfo(info, &response["query"]) {
        Some(row) => Ok(row),
        None => {
            if response["query"].get("proofreadnamespaces").is_some() {
                warn!(wiki = %info.dbname, "{}", messages::config_unexpected(&info.dbname, "missing namespace or level"));
            }
            Ok(shipped_config(info))
        }
    }
}

/// Stores `row` in `stats_wiki`, replacing the wiki's earlier row.
pub async fn store_config(pool: &PgPool, row: &WikiConfigRow) -> Result<(), StatsError> {
    sqlx::query(
        "INSERT INTO stats_wiki (wiki, domain, code, page_namespace, index_namespace, quality_categories, \
                                 config_source, config_refreshed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, now()) \
         ON CONFLICT (wiki) DO UPDATE SET \
             domain = EXCLUDED.domain, code = EXCLUDED.code, page_namespace = EXCLUDED.page_namespace, \
             index_namespace = EXCLUDED.index_namespace, quality_categories = EXCLUDED.quality_categories, \
             config_source = EXCLUDED.config_source, config_refreshed_at = now()",
    )
    .bind(&row.info.dbname)
    .bind(&row.info.domain)
    .bind(&row.info.code)
    .bind(row.info.page_namespace)
    .bind(row.info.index_namespace)
    .bind(row.quality_categories.as_slice())
    .bind(row.source.as_str())
    .execute(pool)
    .await
    .map_err(StatsError::database("cannot store the statistics wiki configuration"))?;
    Ok(())
}

/// Builds the refresh job of today. The dedupe key names the UTC day, so that
/// replicas starting at once queue one job.
pub fn config_job() -> NewJob {
    NewJob::new(CONFIG_JOB_KIND, json!({}))
        .priority(-50)
        .dedupe_key(format!("{CONFIG_JOB_KIND}:{}", Utc::now().date_naive()))
}

/// Returns the time from `now` to the next [`REFRESH_TIME`].
pub fn until_next_refresh(now: DateTime<Utc>) -> std::time::Duration {
    let today = now.date_naive().and_time(REFRESH_TIME).and_utc();
    let next = if today > now { today } else { today + Duration::days(1) };
    (next - now).to_std().unwrap_or_default()
}

/// Runs `stats_wiki_config` jobs: refreshes the configuration of every wiki
/// of the directory, or of the payload's `wiki` alone.
pub struct WikiConfigHandler {
    pool: PgPool,
    client: Arc<WikiClient>,
}

impl WikiConfigHandler {
    pub fn new(pool: PgPool, client: Arc<WikiClient>) -> Self {
        WikiConfigHandler { pool, client }
    }

    async fn refresh(&self, job: &JobContext, only: Option<&str>) -> Result<Value, JobError> {
        let directory = WikiDirectory::load(&self.pool).await.map_err(JobError::retryable)?;
        let mut wikis: Vec<&WikiInfo> = directory
            .iter()
            .filter(|info| only.is_none_or(|name| name == info.dbname))
            .collect();
        wikis.sort_by(|a, b| a.dbname.cmp(&b.dbname));
        let (mut from_api, mut shipped, mut failed) = (0, 0, Vec::new());
        for info in wikis {
            if job.cancel.is_cancelled() {
                return Err(JobError::Cancelled);
            }
            // One failing wiki keeps its stored row and does not stop the others.
            let row = match fetch_config(&self.client, info).await {
                Ok(row) => row,
                Err(error) => {
                    warn!(wiki = %info.dbname, %error, "reading the statistics configuration failed; keeping the stored one");
                    failed.push(info.dbname.clone());
                    continue;
                }
            };
            store_config(&self.pool, &row).await.map_err(JobError::retryable)?;
            match row.source {
                ConfigSource::Api => from_api += 1,
                ConfigSource::Shipped => shipped += 1,
            }
        }
        info!(
            from_api,
            shipped,
            failed = failed.len(),
            "statistics wiki configuration refreshed"
        );
        Ok(json!({"api": from_api, "shipped": shipped, "failed": failed}))
    }
}

#[async_trait]
impl JobHandler for WikiConfigHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let only = job.payload.get("wiki").and_then(Value::as_str).map(str::to_owned);
        let span = tracing::info_span!("stats_wiki_config", job_id = job.job_id, kind = %job.kind, wiki = only.as_deref().unwrap_or("all"));
        self.refresh(&job, only.as_deref()).instrument(span).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> WikiInfo {
        WikiDirectory::shipped().get("enwikisource").unwrap().clone()
    }

    #[test]
    fn proofreadinfo_gives_namespaces_and_categories() {
        let query = json!({
            "proofreadnamespaces": {"index": {"id": 112}, "page": {"id": 104}},
            "proofreadqualitylevels": [
                {"id": 0, "category": "Sans texte"}, {"id": 1, "category": "Page non corrigée"},
                {"id": 2, "category": "Page à problème"}, {"id": 3, "category": "Page corrigée"},
                {"id": 4, "category": "Page validée"}
            ]
        });
        let row = config_from_proofreadinfo(&english(), &query).unwrap();
        assert_eq!((row.info.page_namespace, row.info.index_namespace), (104, 112));
        assert_eq!(row.quality_categories[1], "Page_non_corrigée");
        assert_eq!(row.source, ConfigSource::Api);
    }

    #[test]
    fn incomplete_proofreadinfo_is_rejected() {
        let query = json!({
            "proofreadnamespaces": {"index": {"id": 106}, "page": {"id": 104}},
            "proofreadqualitylevels": [{"id": 0, "category": "Without text"}, {"id": 7, "category": "X"}]
        });
        assert_eq!(config_from_proofreadinfo(&english(), &query), None);
        assert_eq!(shipped_config(&english()).quality_categories[3], "Proofread");
    }

    #[test]
    fn refresh_runs_daily_at_half_past_midnight() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let minutes = |duration: std::time::Duration| duration.as_secs() / 60;
        assert_eq!(minutes(until_next_refresh(at("2026-12-05T00:00:00Z"))), 30);
        assert_eq!(minutes(until_next_refresh(at("2026-12-05T00:30:00Z"))), 24 * 60);
        assert_eq!(minutes(until_next_refresh(at("2026-12-05T23:30:00Z"))), 60);
        let job = config_job();
        assert_eq!(
            job.dedupe_key,
            Some(format!("stats_wiki_config:{}", Utc::now().date_naive()))
        );
    }
}
