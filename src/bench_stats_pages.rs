//! `phetools bench --only stats-pages`: render time of the statistics pages on
//! a realistic history, beside `/healthz` and `/statistics.php` measured in
//! the same run on the same data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use phetools_stats::history::{import_history, read_history, PHETOOLS_SOURCE};
use phetools_web::page_cache::{PageCache, PAGE_CACHE_TTL};
use sqlx::PgPool;

/// Arguments of the statistics pages measurement.
#[derive(Debug, clap::Args)]
pub struct StatsPagesBenchArgs {
    /// History file to import first (the old tool's new_stats.py, plain or .gz).
    #[arg(long, default_value_os_t = default_history())]
    pub stats_history: PathBuf,
    /// Measured requests per page.
    #[arg(long, default_value_t = 20)]
    pub page_requests: usize,
}

/// Returns the 2016 history shipped with the tests: 3,051 daily lines of up to 55 wikis.
fn default_history() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/stats/tests/fixtures/history/phetools-new_stats-2016-04-27.py.gz")
}

/// Pages measured, baselines first.
const PATHS: [&str; 6] = [
    "/healthz",
    "/statistics.php",
    "/stats",
    "/stats/frwikisource",
    "/graphs/Wikisource_-_all_pages.png",
    "/api/v1/stats/frwikisource/daily",
];

/// Gives every wiki of the history current counts from its last history row,
/// a year of daily snapshots up to today, and a year of level transitions, so
/// that the pages draw history, snapshots and transitions together.
const FILL_SQL: [&str; 4] = [
    "INSERT INTO stats_wiki_count (wiki, pages, q0, q2, q3, q4, texts, with_scans, disambiguation) \
     SELECT DISTINCT ON (wiki) wiki, coalesce(pages, 0), coalesce(q0, 0), coalesce(q2, 0), coalesce(q3, 0), \
            coalesce(q4, 0), coalesce(texts, 0), coalesce(with_scans, 0), coalesce(disambiguation, 0) \
     FROM stats_history ORDER BY wiki, taken_at DESC",
    "UPDATE stats_wiki_count SET q1 = greatest(pages - q0 - q2 - q3 - q4, 0)",
    "INSERT INTO stats_snapshot (wiki, day, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation) \
     SELECT wiki, $1::date - n, greatest(pages - 10 * n, 0), q0, q1, q2, greatest(q3 - 5 * n, 0), \
            greatest(q4 - 3 * n, 0), 0, texts, with_scans, disambiguation \
     FROM stats_wiki_count, generate_series(1, 365) AS n",
    "INSERT INTO stats_transition (wiki, day, from_level, to_level, pages) \
     SELECT wiki, $1::date - n, levels.from_level, levels.to_level, 1 + (hashtext(wiki || n || levels.to_level) & 63) \
     FROM stats_wiki_count, generate_series(1, 365) AS n, \
          (VALUES (-1, 1), (1, 3), (3, 4)) AS levels (from_level, to_level)",
];

pub async fn run(pool: &PgPool, args: &StatsPagesBenchArgs) -> anyhow::Result<()> {
    let path = args.stats_history.clone();
    let history = tokio::task::spawn_blocking(move || read_history(&path))
        .await
        .context("the history parser stopped")?
        .with_context(|| {
            format!(
                "cannot read the history for the statistics pages benchmark; give it with --stats-history (from {})",
                args.stats_history.display()
            )
        })?;
    let imported = import_history(pool, PHETOOLS_SOURCE, &history).await?;
    let today = Utc::now().date_naive();
    for statement in FILL_SQL {
        sqlx::query(statement)
            .bind(today)
            .execute(pool)
            .await
            .context("cannot fill the statistics tables for the benchmark")?;
    }

    println!(
        "\nstatistics pages: render time through the router, {} history rows imported, \
         plus a year of snapshots and transitions per wiki",
        imported.rows
    );
    println!("baselines: /healthz (one query) and /statistics.php (the legacy table), measured in the same run");
    println!(
        "rendered: every request reads and draws (page cache off); cached: served from the \
         {} s page cache after the first request",
        PAGE_CACHE_TTL.as_secs()
    );
    println!("| path | requests | rendered median ms | rendered mean ms | rendered / /statistics.php | cached median ms | bytes |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let requests = args.page_requests.max(1);
    let uncached = phetools_web::AppState::new(pool.clone()).with_page_cache(PageCache::new(Duration::ZERO));
    let rendered = phetools_web::bench_pages(uncached, &PATHS, requests).await?;
    let cached = phetools_web::bench_pages(phetools_web::AppState::new(pool.clone()), &PATHS, requests).await?;
    let baseline = rendered
        .iter()
        .find(|timing| timing.path == "/statistics.php")
        .map_or(f64::NAN, |timing| timing.median_ms);
    for (timing, cached) in rendered.iter().zip(&cached) {
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.3} | {} |",
            timing.path,
            timing.requests,
            timing.median_ms,
            timing.mean_ms,
            timing.median_ms / baseline,
            cached.median_ms,
            timing.bytes
        );
    }
    Ok(())
}
