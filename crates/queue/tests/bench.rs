//! The benchmark entry point runs its jobs and leaves no rows behind.

mod common;

use phetools_queue::{bench_noop, QueueError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

#[sqlx::test(migrations = "../../migrations")]
async fn bench_noop_reports_and_cleans_up(options: PgPoolOptions, connect_options: PgConnectOptions) {
    common::init_tracing();
    let pool = options.max_connections(6).connect_with(connect_options).await.unwrap();
    sqlx::query("INSERT INTO job (kind) VALUES ('ocr')")
        .execute(&pool)
        .await
        .unwrap();

    let report = bench_noop(&pool, 4, 300).await.unwrap();
    assert_eq!(report.workers, 4);
    assert_eq!(report.jobs, 300);
    assert_eq!(report.pool_max_connections, 6);
    assert!(report.elapsed_seconds > 0.0);
    assert!(report.jobs_per_second.is_finite());
    assert!(report.jobs_per_second > 0.0);

    // Only the job that was there before remains, untouched.
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT kind, state::text FROM job")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows, [("ocr".to_owned(), "queued".to_owned())]);
    pool.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn bench_noop_rejects_zero_workers(pool: PgPool) {
    let error = bench_noop(&pool, 0, 10).await.unwrap_err();
    assert!(matches!(error, QueueError::Benchmark(_)), "{error:?}");
    assert!(error.to_string().contains("0 workers"), "{error}");
}
