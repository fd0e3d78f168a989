//! Recounts of generated wikis on a real PostgreSQL (DATABASE_URL names the
//! server): request counts within the budget, and counts equal to the generated ones.

use phetools_stats::recount::{bench_recount, recount_budget, Outcome, HIGH_LIST_LIMIT};
use sqlx::PgPool;

#[sqlx::test(migrations = "../../migrations")]
async fn generated_wiki_recount_stays_within_budget(pool: PgPool) {
    for site_pages in [1, 4_999, 12_345, 50_000] {
        let report = bench_recount(&pool, site_pages).await.unwrap();
        assert_eq!(report.outcome, Outcome::Succeeded, "{site_pages} pages: {report}");
        assert!(report.counts_match, "{site_pages} pages: {report}");
        assert_eq!(report.budget, recount_budget(site_pages as u64, HIGH_LIST_LIMIT));
        assert!(report.requests <= report.budget, "{site_pages} pages: {report}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn generated_wiki_recount_follows_continuations(pool: PgPool) {
    // 39,000 Page: pages in 8 batches and 10,000 texts in 2 batches whose
    // 39,000 template links need 8 more requests, plus the site figures.
    let report = bench_recount(&pool, 50_000).await.unwrap();
    assert_eq!(report.page_namespace_pages, 39_000);
    assert_eq!(report.main_namespace_pages, 10_000);
    assert!(report.requests >= 1 + 8 + 2 + 8, "{report}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn benchmark_leaves_no_rows(pool: PgPool) {
    bench_recount(&pool, 2_000).await.unwrap();
    for table in [
        "stats_page",
        "stats_wiki_count",
        "stats_transclusion",
        "stats_recount",
        "stats_wiki",
    ] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 0, "{table}");
    }
}
