//! Statistics events through the consumer: a constructed capture of the four
//! streams of `streams.toml`, replayed by the local server, ends in the
//! expected counts, re-check jobs and rule jobs on a real PostgreSQL.

mod common;

use common::*;
use phetools_stream::{Faults, Frame, ReplayServer, Rules};
use serde_json::{json, Value};
use sqlx::PgPool;

/// Builds the frames, numbering their SSE ids in order.
struct Capture {
    frames: Vec<Frame>,
}

impl Capture {
    fn push(&mut self, event: Value) {
        let stream = event["meta"]["stream"].as_str().unwrap();
        let offset = self.frames.len();
        let id = format!(r#"[{{"topic":"eqiad.{stream}","partition":0,"offset":{offset}}}]"#);
        self.frames.push(Frame::message(&id, &event.to_string()));
    }

    fn last_id(&self) -> String {
        self.frames.last().and_then(Frame::id).unwrap().to_owned()
    }
}

fn meta(stream: &str, id: u32, second: u32) -> Value {
    json!({
        "domain": "en.wikisource.org",
        "dt": format!("2026-12-01T10:00:{second:02}Z"),
        "id": format!("00000000-0000-4000-8000-{id:012}"),
        "stream": stream
    })
}

fn page_change(id: u32, kind: &str, namespace: i64, title: &str, page_id: i64, rev_id: i64) -> Value {
    json!({
        "$schema": "/mediawiki/page/change/1.1.0",
        "meta": meta("mediawiki.page_change.v1", id, id),
        "wiki_id": "enwikisource",
        "page_change_kind": kind,
        "page": {"page_id": page_id, "namespace_id": namespace, "page_title": title, "is_redirect": false},
        "revision": {"rev_id": rev_id},
        "performer": {"user_text": "Someone", "is_bot": false}
    })
}

fn level_property(id: u32, title: &str, page_id: i64, rev_id: i64, old: Option<Value>, new: Value) -> Value {
    let removed = old.map_or(json!({}), |old| json!({"proofread_page_quality_level": old}));
    json!({
        "$schema": "/mediawiki/page/properties-change/1.0.0",
        "meta": meta("mediawiki.page-properties-change", id, id),
        "database": "enwikisource",
        "page_id": page_id,
        "page_title": title,
        "page_namespace": 104,
        "rev_id": rev_id,
        "added_properties": {"proofread_page_quality_level": new},
        "removed_properties": removed
    })
}

fn quality_tag(id: u32, title: &str, page_id: i64, rev_id: i64, level: u8) -> Value {
    json!({
        "$schema": "/mediawiki/revision/tags-change/1.0.0",
        "meta": meta("mediawiki.revision-tags-change", id, id),
        "database": "enwikisource",
        "page_id": page_id,
        "page_title": title,
        "page_namespace": 104,
        "rev_id": rev_id,
        "tags": [format!("proofreadpage-quality{level}")],
        "prior_state": {"tags": []}
    })
}

/// Two Page: pages, a text and an Index page of en.wikisource, with the
/// duplicates, reversed streams, stale revisions and a malformed event the
/// real streams deliver.
fn capture() -> Capture {
    let mut capture = Capture { frames: Vec::new() };
    // Page 1: created at level 1, then proofread; the tag of the second
    // revision arrives before its property event.
    capture.push(page_change(1, "create", 104, "Page:Book.djvu/1", 1, 10));
    let first_level = level_property(2, "Page:Book.djvu/1", 1, 10, None, json!(1));
    capture.push(first_level.clone());
    capture.push(quality_tag(3, "Page:Book.djvu/1", 1, 10, 1));
    capture.push(page_change(4, "edit", 104, "Page:Book.djvu/1", 1, 11));
    capture.push(quality_tag(5, "Page:Book.djvu/1", 1, 11, 3));
    capture.push(level_property(6, "Page:Book.djvu/1", 1, 11, Some(json!("1")), json!(3)));
    // A repeated delivery of event 2.
    capture.push(first_level);
    // Page 2: created without text, a stale revision's level, then deleted.
    capture.push(page_change(8, "create", 104, "Page:Book.djvu/2", 2, 20));
    capture.push(level_property(9, "Page:Book.djvu/2", 2, 20, None, json!("0")));
    capture.push(level_property(10, "Page:Book.djvu/2", 2, 19, None, json!(4)));
    capture.push(page_change(11, "delete", 104, "Page:Book.djvu/2", 2, 20));
    // A text created and edited, and an edit of its Index page.
    capture.push(page_change(12, "create", 0, "Book", 3, 30));
    capture.push(page_change(13, "edit", 0, "Book", 3, 31));
    capture.push(page_change(14, "edit", 106, "Index:Book.djvu", 4, 40));
    // A level that is not a level.
    capture.push(level_property(15, "Page:Book.djvu/3", 5, 50, None, json!("seven")));
    // An Index creation, in recentchange and again in page_change.v1.
    capture.push(json!({
        "$schema": "/mediawiki/recentchange/1.0.0",
        "meta": meta("mediawiki.recentchange", 16, 16),
        "type": "new",
        "namespace": 106,
        "title": "Index:Other book.djvu",
        "wiki": "enwikisource",
        "revision": {"new": 60}
    }));
    capture.push(page_change(17, "create", 106, "Index:Other_book.djvu", 6, 60));
    // A Wikipedia edit, which the statistics do not read.
    let mut wikipedia = page_change(18, "edit", 0, "Book", 3, 31);
    wikipedia["wiki_id"] = json!("enwiki");
    wikipedia["meta"]["domain"] = json!("en.wikipedia.org");
    capture.push(wikipedia);
    capture
}

async fn counts(pool: &PgPool) -> (i64, i64, i64, i64, i64) {
    sqlx::query_as("SELECT pages, q0, q1, q3, texts FROM stats_wiki_count WHERE wiki = 'enwikisource'")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn jobs_by_kind(pool: &PgPool) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT kind, count(*) FROM job GROUP BY kind ORDER BY kind")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Jobs per kind after the capture: the two re-checks, and the rules' jobs
/// of the Index creation once although two streams report it.
fn expected_jobs() -> Vec<(String, i64)> {
    [("hocr", 1), ("stats_recheck", 2), ("text_layer", 1)]
        .iter()
        .map(|(kind, count)| (kind.to_string(), *count))
        .collect()
}

async fn consume(pool: &PgPool, faults: Faults) -> phetools_stream::MetricsSnapshot {
    init_tracing();
    let capture = capture();
    let last_id = capture.last_id();
    let server = ReplayServer::start(capture.frames, faults).await.unwrap();
    let consumer = start_consumer(pool, test_config(&server), Rules::shipped().unwrap());
    wait_for_position(pool, "test", &last_id).await;
    let metrics = consumer.metrics.snapshot();
    consumer.stop().await;
    metrics
}

#[sqlx::test(migrations = "../../migrations")]
async fn capture_ends_in_expected_counts(pool: PgPool) {
    let metrics = consume(&pool, Faults::default()).await;

    // Page 1 proofread, page 2 deleted, one text.
    assert_eq!(counts(&pool).await, (1, 0, 0, 1, 1));
    let drifts: i64 = sqlx::query_scalar("SELECT count(*) FROM stats_drift")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(drifts, 0, "the tag before the property is no drift");
    let transitions: Vec<(i16, i16, i64)> =
        sqlx::query_as("SELECT from_level, to_level, pages FROM stats_transition ORDER BY from_level, to_level")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(transitions, vec![(-1, 0, 1), (-1, 1, 1), (1, 3, 1)]);

    assert_eq!(
        jobs_by_kind(&pool).await,
        expected_jobs(),
        "one job per rule for the Index creation"
    );
    let recheck_keys: Vec<String> =
        sqlx::query_scalar("SELECT dedupe_key FROM job WHERE kind = 'stats_recheck' ORDER BY dedupe_key")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        recheck_keys,
        [
            "stats_recheck:enwikisource:index:Book.djvu",
            "stats_recheck:enwikisource:main:Book"
        ]
    );
    let priority: i16 = sqlx::query_scalar("SELECT DISTINCT priority FROM job WHERE kind = 'stats_recheck'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(priority < 0, "{priority}");

    assert_eq!(metrics.events_malformed, 1, "the level \"seven\"");
    assert_eq!(metrics.events_seen, 18);
}

#[sqlx::test(migrations = "../../migrations")]
async fn cut_connections_change_nothing(pool: PgPool) {
    let faults = Faults {
        cut_every: Some(4),
        ..Faults::default()
    };
    consume(&pool, faults).await;
    assert_eq!(counts(&pool).await, (1, 0, 0, 1, 1));
    assert_eq!(jobs_by_kind(&pool).await, expected_jobs());
}
