//! Request count of a full recount of a generated wiki, for `phetools bench`.
//!
//! The wiki is served by [`GeneratedWiki`], an in-process stand-in for the
//! Action API. It builds the responses to the recount's queries from
//! generated data, with MediaWiki's bot limits (5,000 items per list) and its
//! continuation scheme. It is fit for counting requests only: it does not check the
//! parameters a real wiki would reject.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::time::Instant;

use async_trait::async_trait;
use chrono::Utc;
use phetools_wiki::WikiError;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::PgPool;

use super::api::RecountApi;
use super::budget::HIGH_LIST_LIMIT;
use super::{full_recount, Outcome, WikiSettings};
use crate::bench::delete_wiki_rows;
use crate::error::StatsError;
use crate::messages;
use crate::model::Counts;

/// SQL queries per wiki of the old tool: pages, q0, q2, q3, q4, texts with
/// scans, texts and disambiguation pages (two more when it fell back to the
/// disambiguation templates).
pub const LEGACY_QUERIES_PER_WIKI: u32 = 8;

const PAGE_NAMESPACE: i32 = 104;
const CATEGORIES: [&str; 5] = ["Without_text", "Not_proofread", "Problematic", "Proofread", "Validated"];

/// Result of [`bench_recount`].
#[derive(Debug, Clone, Serialize)]
pub struct RecountBenchReport {
    /// Pages of the generated wiki: Page namespace, main namespace and redirects.
    pub site_pages: u64,
    pub page_namespace_pages: usize,
    pub main_namespace_pages: usize,
    /// Template links from the main namespace into the Page namespace.
    pub template_links: usize,
    pub requests: u32,
    pub budget: u32,
    pub legacy_queries: u32,
    pub outcome: Outcome,
    /// The recounted counts equal the generated ones.
    pub counts_match: bool,
    pub elapsed_seconds: f64,
}

impl fmt::Display for RecountBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} pages ({} Page:, {} main, {} template links): {} requests, budget {}, legacy SQL {} queries, \
             outcome {}, counts match: {}, {:.2} s",
            self.site_pages,
            self.page_namespace_pages,
            self.main_namespace_pages,
            self.template_links,
            self.requests,
            self.budget,
            self.legacy_queries,
            self.outcome.as_str(),
            self.counts_match,
            self.elapsed_seconds
        )
    }
}

/// Recounts a generated wiki of `site_pages` pages into a wiki of its own,
/// counts the requests and checks the counts. The benchmark's rows are deleted afterwards.
pub async fn bench_recount(pool: &PgPool, site_pages: usize) -> Result<RecountBenchReport, StatsError> {
    if site_pages == 0 {
        return Err(StatsError::Benchmark(messages::benchmark_needs_pages()));
    }
    let wiki = format!(
        "phetoolsrecount{}x{}wikisource",
        std::process::id(),
        Utc::now().timestamp_micros()
    );
    let generated = GeneratedWiki::new(site_pages);
    let measured = run(pool, &wiki, &generated).await;
    let tables = [
        "stats_drift",
        "stats_recount",
        "stats_page",
        "stats_transclusion",
        "stats_wiki_count",
        "stats_wiki",
    ];
    let cleanup = delete_wiki_rows(pool, &wiki, &tables).await;
    let report = measured?;
    cleanup?;
    Ok(report)
}

async fn run(pool: &PgPool, wiki: &str, generated: &GeneratedWiki) -> Result<RecountBenchReport, StatsError> {
    sqlx::query(
        "INSERT INTO stats_wiki (wiki, domain, code, page_namespace, index_namespace, quality_categories, \
                                 config_source) \
         VALUES ($1, 'bench.invalid', 'bench', $2, 106, $3, 'shipped')",
    )
    .bind(wiki)
    .bind(PAGE_NAMESPACE)
    .bind(CATEGORIES.map(str::to_owned).to_vec())
    .execute(pool)
    .await
    .map_err(StatsError::database("cannot add the benchmark wiki"))?;
    let settings = WikiSettings::load(pool, wiki).await?;

    let started = Instant::now();
    let report = full_recount(pool, generated, &settings, NonZeroU32::MAX).await?;
    Ok(RecountBenchReport {
        site_pages: generated.site_pages,
        page_namespace_pages: generated.page_namespace.len(),
        main_namespace_pages: generated.main_namespace.len(),
        template_links: generated.main_namespace.iter().map(|page| page.templates.len()).sum(),
        requests: report.requests,
        budget: report.budget,
        legacy_queries: LEGACY_QUERIES_PER_WIKI,
        outcome: report.outcome,
        counts_match: report.counts == Some(generated.counts),
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// One generated page.
#[derive(Debug, Clone, Default)]
struct GeneratedPage {
    id: i64,
    title: String,
    level_property: Option<u8>,
    categories: Vec<u8>,
    disambiguation: bool,
    expect_without_scans: bool,
    /// Page-namespace titles with prefix.
    templates: Vec<String>,
}

/// A generated wiki that returns responses to the recount's queries.
pub struct GeneratedWiki {
    site_pages: u64,
    page_namespace: Vec<GeneratedPage>,
    main_namespace: Vec<GeneratedPage>,
    counts: Counts,
}

impl GeneratedWiki {
    /// Generates `site_pages` pages, reproducibly: 78 % in the Page namespace
    /// (levels 0-4; 1 % without level, 1 % also in a second quality
    /// category), 20 % in the main namespace (75 % transcluding about six
    /// Page: pages each, some twice, 2 % disambiguation pages, 1 % expected
    /// without scans) and 2 % redirects, which the recount does not list.
    pub fn new(site_pages: usize) -> Self {
        let page_count = site_pages * 78 / 100;
        let main_count = site_pages / 5;
        let mut counts = Counts::default();
        let mut page_namespace = Vec::with_capacity(page_count);
        for index in 0..page_count {
            let mut page = GeneratedPage {
                id: index as i64 + 1,
                title: format!("Page:Book {:04}.djvu/{}", index / 400, index % 400 + 1),
                ..GeneratedPage::default()
            };
            let level = [1, 3, 3, 4, 0, 1, 3, 2, 4, 1][index % 10];
            counts.pages += 1;
            if index % 100 == 7 {
                counts.no_level += 1;
            } else {
                page.level_property = Some(level);
                page.categories.push(level);
                if index % 100 == 11 && level != 4 {
                    page.categories.push(4);
                }
                counts.levels[usize::from(level)] += 1;
            }
            page_namespace.push(page);
        }

        let mut main_namespace = Vec::with_capacity(main_count);
        let with_scans_count = main_count * 3 / 4;
        let per_text = page_count.div_ceil(with_scans_count.max(1));
        for index in 0..main_count {
            let mut page = GeneratedPage {
                id: (page_count + index) as i64 + 1,
                title: format!("Text {index:06}"),
                ..GeneratedPage::default()
            };
            if index < with_scans_count {
                let first = index * per_text;
                let last = ((index + 1) * per_text + usize::from(index % 10 == 0)).min(page_count);
                page.templates = (first.min(page_count)..last)
                    .map(|target| page_namespace[target].title.clone())
                    .collect();
            } else if index % 50 == 1 {
                page.disambiguation = true;
            } else if index % 100 == 2 {
                page.expect_without_scans = true;
            }
            counts.texts += 1;
            counts.with_scans += i64::from(!page.templates.is_empty());
            counts.disambiguation += i64::from(page.disambiguation);
            counts.expected_without_scans +=
                i64::from(page.expect_without_scans && page.templates.is_empty() && !page.disambiguation);
            main_namespace.push(page);
        }
        page_namespace.sort_by(|a, b| a.title.cmp(&b.title));
        GeneratedWiki {
            site_pages: site_pages as u64,
            page_namespace,
            main_namespace,
            counts,
        }
    }

    fn site_figures(&self) -> Value {
        let categories: Vec<Value> = CATEGORIES
            .iter()
            .enumerate()
            .map(|(level, name)| {
                let members = self
                    .page_namespace
                    .iter()
                    .filter(|page| page.categories.contains(&(level as u8)))
                    .count();
                json!({ "ns": 14, "title": format!("Category:{}", name.replace('_', " ")),
                        "categoryinfo": { "pages": members } })
            })
            .collect();
        json!({
            "batchcomplete": true,
            "query": {
                "pages": categories,
                "statistics": { "pages": self.site_pages, "edits": self.site_pages * 3 },
                "userinfo": { "name": "Bench", "rights": ["read", "apihighlimits"] }
            }
        })
    }

    /// Builds the response to one generator batch: the pages from `gapcontinue`
    /// on, with the list property (categories or templates) from its own
    /// continuation offset.
    fn generator_batch(&self, params: &HashMap<&str, &str>) -> Value {
        let (pages, list, continue_key) = if params.get("gapnamespace") == Some(&"0") {
            (&self.main_namespace, "templates", "tlcontinue")
        } else {
            (&self.page_namespace, "categories", "clcontinue")
        };
        let limit = HIGH_LIST_LIMIT as usize;
        let start: usize = params
            .get("gapcontinue")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        let end = (start + limit).min(pages.len());
        let batch = &pages[start.min(end)..end];
        let offset: usize = params
            .get(continue_key)
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);

        let mut entries_seen = 0;
        let mut answered = Vec::with_capacity(batch.len());
        for page in batch {
            let mut object = Map::new();
            object.insert("pageid".to_owned(), json!(page.id));
            object.insert("title".to_owned(), json!(page.title));
            object.insert("lastrevid".to_owned(), json!(page.id * 10));
            object.insert("pageprops".to_owned(), page_properties(page));
            let entries: Vec<Value> = list_entries(page, list)
                .into_iter()
                .filter(|_| {
                    entries_seen += 1;
                    entries_seen > offset && entries_seen <= offset + limit
                })
                .collect();
            if !entries.is_empty() {
                object.insert(list.to_owned(), Value::Array(entries));
            }
            answered.push(Value::Object(object));
        }

        let mut response = json!({ "query": { "pages": answered } });
        if entries_seen > offset + limit {
            response["continue"] = json!({
                "gapcontinue": start.to_string(),
                continue_key: (offset + limit).to_string(),
                "continue": "gapcontinue||"
            });
        } else if end < pages.len() {
            response["continue"] = json!({ "gapcontinue": end.to_string(), "continue": "-||" });
        }
        response
    }
}

fn page_properties(page: &GeneratedPage) -> Value {
    let mut properties = Map::new();
    if let Some(level) = page.level_property {
        properties.insert("proofread_page_quality_level".to_owned(), json!(level.to_string()));
    }
    if page.disambiguation {
        properties.insert("disambiguation".to_owned(), json!(""));
    }
    if page.expect_without_scans {
        properties.insert("expectwithoutscans".to_owned(), json!(""));
    }
    Value::Object(properties)
}

fn list_entries(page: &GeneratedPage, list: &str) -> Vec<Value> {
    if list == "templates" {
        return page
            .templates
            .iter()
            .map(|title| json!({ "ns": PAGE_NAMESPACE, "title": title }))
            .collect();
    }
    page.categories
        .iter()
        .map(|level| json!({ "ns": 14, "title": format!("Category:{}", CATEGORIES[usize::from(*level)].replace('_', " ")) }))
        .collect()
}

#[async_trait]
impl RecountApi for GeneratedWiki {
    async fn query(&self, params: &[(&str, &str)]) -> Result<Value, WikiError> {
        let params: HashMap<&str, &str> = params.iter().copied().collect();
        if params.contains_key("meta") {
            return Ok(self.site_figures());
        }
        Ok(self.generator_batch(&params))
    }
}
