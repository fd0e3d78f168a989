//! Helpers shared by the integration tests: a consumer against a replay
//! server, polling with a deadline, and queries on the stream tables.

#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use phetools_stream::replay::recorded_frames;
use phetools_stream::{Frame, ReplayServer, Rules, StreamConfig, StreamConsumer, StreamMetrics};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Maximum wait for a condition before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("phetools_stream=debug")),
        )
        .try_init();
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/eventstreams")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Settings for tests: short timeouts and delays, the server's URL.
pub fn test_config(server: &ReplayServer) -> StreamConfig {
    StreamConfig {
        base_url: server.base_url(),
        consumer: "test".to_owned(),
        idle_timeout_seconds: 5.0,
        backoff_base_seconds: 0.01,
        backoff_max_seconds: 0.2,
        leader_retry_seconds: 0.1,
        leader_check_seconds: 0.2,
        ..StreamConfig::default()
    }
}

/// Frames of `mediawiki.recentchange`, the only stream of the shipped rules.
pub fn recentchange_frames() -> Vec<Frame> {
    recorded_frames()
        .into_iter()
        .filter(|frame| frame.stream() == Some("mediawiki.recentchange"))
        .collect()
}

/// Returns the SSE id of the last recentchange frame, where a complete run ends.
pub fn last_recentchange_id() -> String {
    recentchange_frames()
        .last()
        .and_then(|frame| frame.id())
        .unwrap()
        .to_owned()
}

/// Dedupe keys of the jobs the shipped rules produce from the recorded
/// recentchange frames, sorted.
pub fn expected_dedupe_keys() -> Vec<String> {
    let mut keys = vec![
        "text_layer:commons.wikimedia.org:Le_Tour_du_monde_-_1860.djvu",
        "text_layer:fr.wikisource.org:Le_Tour_du_monde_-_1860.djvu",
        "text_layer:commons.wikimedia.org:Œuvres_complètes_de_Molière,_tome_1.pdf",
        "text_layer:ru.wikisource.org:Война_и_мир._Том_1_(1868).djvu",
        "text_layer:el.wikisource.org:Ιλιάδα.pdf",
        // hOCR builds: two Index pages created and one local re-upload on a Wikisource.
        "hocr:fr.wikisource.org:Le_Tour_du_monde_-_1860.djvu:fr",
        "hocr:ru.wikisource.org:Война_и_мир._Том_1_(1868).djvu:ru",
        "hocr:el.wikisource.org:Ιλιάδα.pdf:el",
    ];
    keys.sort_unstable();
    keys.into_iter().map(str::to_owned).collect()
}

pub struct RunningConsumer {
    pub shutdown: CancellationToken,
    pub metrics: Arc<StreamMetrics>,
    pub task: JoinHandle<Result<(), phetools_stream::ConsumerError>>,
}

impl RunningConsumer {
    /// Cancels the consumer and waits for it to return.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("consumer did not stop in time");
        result
            .expect("consumer task panicked")
            .expect("consumer returned an error");
    }
}

pub fn start_consumer(pool: &PgPool, config: StreamConfig, rules: Rules) -> RunningConsumer {
    let consumer = StreamConsumer::new(pool.clone(), config, rules).expect("valid consumer settings");
    let metrics = consumer.metrics();
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let task = tokio::spawn(async move { consumer.run(token).await });
    RunningConsumer {
        shutdown,
        metrics,
        task,
    }
}

/// Polls `condition` every 50 ms until it holds; panics with `what` after [`DEADLINE`].
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = tokio::time::Instant::now();
    while !condition().await {
        assert!(started.elapsed() < DEADLINE, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn stored_position(pool: &PgPool, consumer: &str) -> Option<String> {
    sqlx::query_scalar("SELECT last_event_id FROM stream_position WHERE consumer = $1")
        .bind(consumer)
        .fetch_optional(pool)
        .await
        .unwrap()
        .flatten()
}

/// Waits until the stored position is `id`.
pub async fn wait_for_position(pool: &PgPool, consumer: &str, id: &str) {
    wait_until(&format!("the position of {consumer} is {id}"), || async {
        stored_position(pool, consumer).await.as_deref() == Some(id)
    })
    .await;
}

/// Dedupe keys of every job row, sorted; a key inserted twice appears twice.
pub async fn job_dedupe_keys(pool: &PgPool) -> Vec<String> {
    let mut keys: Vec<String> = sqlx::query_scalar("SELECT dedupe_key FROM job")
        .fetch_all(pool)
        .await
        .unwrap();
    keys.sort_unstable();
    keys
}

pub async fn seen_event_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stream_seen_event")
        .fetch_one(pool)
        .await
        .unwrap()
}

pub async fn gap_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stream_gap")
        .fetch_one(pool)
        .await
        .unwrap()
}
