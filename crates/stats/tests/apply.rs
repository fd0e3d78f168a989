//! Event application on a real PostgreSQL (DATABASE_URL names the server):
//! duplicate, reversed and stale events end in the same counts as in-order
//! events, and the counts always equal the sum over the page rows.

mod common;

use common::{level, recounted, scenario, scenario_counts, shuffled, stored_counts};
use phetools_stats::apply::{apply_event, apply_events, fold, Change, PageEvent};
use phetools_stats::{Counts, Namespace, StatsError};
use proptest::prelude::*;
use sqlx::PgPool;

async fn apply_one_by_one(pool: &PgPool, events: &[PageEvent]) {
    for event in events {
        apply_event(pool, event).await.unwrap();
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn in_order_events_give_expected_counts(pool: PgPool) {
    let summary = apply_events(&pool, &scenario("frwikisource")).await.unwrap();
    assert_eq!(summary.ignored, 1, "only the tag that repeats page 11's level property");
    assert_eq!(stored_counts(&pool, "frwikisource").await, scenario_counts());
    assert_eq!(recounted(&pool, "frwikisource").await, scenario_counts());
}

#[sqlx::test(migrations = "../../migrations")]
async fn reversed_events_give_same_counts(pool: PgPool) {
    let mut events = scenario("enwikisource");
    events.reverse();
    apply_one_by_one(&pool, &events).await;
    assert_eq!(stored_counts(&pool, "enwikisource").await, scenario_counts());
    assert_eq!(recounted(&pool, "enwikisource").await, scenario_counts());
}

#[sqlx::test(migrations = "../../migrations")]
async fn duplicated_events_give_same_counts(pool: PgPool) {
    let events = scenario("dewikisource");
    apply_events(&pool, &events).await.unwrap();
    let again = apply_events(&pool, &events).await.unwrap();
    assert_eq!(again.applied, 0, "a second delivery must change nothing");
    assert_eq!(again.ignored, events.len());
    apply_one_by_one(&pool, &shuffled(&events, 7)).await;
    assert_eq!(stored_counts(&pool, "dewikisource").await, scenario_counts());
    assert_eq!(recounted(&pool, "dewikisource").await, scenario_counts());
}

#[sqlx::test(migrations = "../../migrations")]
async fn shuffled_batches_give_same_counts(pool: PgPool) {
    for seed in 1..=20_u64 {
        let wiki = format!("shuffle{seed}wikisource");
        let mut events = scenario(&wiki);
        events.extend(scenario(&wiki).into_iter().step_by(3));
        let events = shuffled(&events, seed);
        for batch in events.chunks(4) {
            apply_events(&pool, batch).await.unwrap();
        }
        assert_eq!(stored_counts(&pool, &wiki).await, scenario_counts(), "seed {seed}");
        assert_eq!(recounted(&pool, &wiki).await, scenario_counts(), "seed {seed}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn stale_level_change_is_ignored(pool: PgPool) {
    let events = scenario("plwikisource");
    apply_events(&pool, &events).await.unwrap();

    // Page 1 is at level 4 from revision 12; a level change of revision 11 is stale.
    let mut stale = events[2].clone();
    stale.change = Change::LevelChanged {
        old: level(1),
        new: level(2),
    };
    let summary = apply_event(&pool, &stale).await.unwrap();
    assert_eq!(summary.ignored, 1);
    assert_eq!(stored_counts(&pool, "plwikisource").await, scenario_counts());
    let page_level: Option<i16> =
        sqlx::query_scalar("SELECT level FROM stats_page WHERE wiki = 'plwikisource' AND page_id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(page_level, Some(4));
}

#[sqlx::test(migrations = "../../migrations")]
async fn transitions_count_real_level_changes(pool: PgPool) {
    apply_events(&pool, &scenario("itwikisource")).await.unwrap();
    let rows: Vec<(i16, i16, i64)> = sqlx::query_as(
        "SELECT from_level, to_level, pages FROM stats_transition WHERE wiki = 'itwikisource' \
         ORDER BY from_level, to_level",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    // -1: no level before. Pages 1 (none→1), 2 (none→0), 3 (none→1), 6 (none→2);
    // page 2 0→1; pages 1, 7 and 11 1→3 (the tag of page 11 counts nothing more);
    // page 1 3→4.
    assert_eq!(
        rows,
        vec![(-1, 0, 1), (-1, 1, 2), (-1, 2, 1), (0, 1, 1), (1, 3, 3), (3, 4, 1)]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn level_disagreement_is_recorded_as_drift(pool: PgPool) {
    apply_events(&pool, &scenario("eswikisource")).await.unwrap();
    // Page 6 is stored at level 2; this event reports level 1 as the old level.
    let mut event = scenario("eswikisource")[15].clone();
    event.rev_id = 61;
    event.change = Change::LevelChanged {
        old: level(1),
        new: level(3),
    };
    let summary = apply_event(&pool, &event).await.unwrap();
    assert_eq!(summary.drifts, 1);
    let drift: (i64, String, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT page_id, field, stored, reported FROM stats_drift WHERE wiki = 'eswikisource'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(drift, (6, "level".to_owned(), Some(2), Some(1)));
    assert_eq!(
        recounted(&pool, "eswikisource").await,
        stored_counts(&pool, "eswikisource").await
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn invalid_event_rejects_whole_batch(pool: PgPool) {
    let mut events = scenario("ruwikisource");
    events[3].namespace = Namespace::Main;
    let error = apply_events(&pool, &events).await.unwrap_err();
    assert!(matches!(error, StatsError::InvalidEvent(_)), "{error:?}");
    assert!(error.to_string().contains("page id 1"), "{error}");

    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM stats_page")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let counts: i64 = sqlx::query_scalar("SELECT count(*) FROM stats_wiki_count")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(counts, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn wikis_are_counted_apart(pool: PgPool) {
    let mut events = scenario("frwikisource");
    events.extend(scenario("enwikisource").into_iter().take(4));
    apply_events(&pool, &events).await.unwrap();
    assert_eq!(stored_counts(&pool, "frwikisource").await, scenario_counts());
    let english = stored_counts(&pool, "enwikisource").await;
    assert_eq!(english.pages, 1);
    assert_eq!(english.levels[4], 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bench_apply_reports_and_cleans_up(pool: PgPool) {
    let report = phetools_stats::bench_apply(&pool, 2_000, 250).await.unwrap();
    assert_eq!(report.events, 2_000);
    assert_eq!(report.transactions, 8);
    assert!(report.events_per_second > 0.0);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM stats_page")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let error = phetools_stats::bench_apply(&pool, 0, 10).await.unwrap_err();
    assert!(error.to_string().contains("at least one event"), "{error}");
}

/// Sums the page contributions after folding, without a database.
fn folded_counts(events: &[PageEvent]) -> Counts {
    let mut states = std::collections::HashMap::new();
    let changes = fold(&mut states, events);
    changes.counts.values().fold(Counts::default(), |mut total, delta| {
        total += *delta;
        total
    })
}

proptest! {
    #[test]
    fn any_order_with_duplicates_gives_same_counts(
        order in Just((0..scenario("x").len()).collect::<Vec<_>>()).prop_shuffle(),
        duplicates in proptest::collection::vec(0..scenario("x").len(), 0..10),
    ) {
        let events = scenario("xwikisource");
        let mut delivered: Vec<PageEvent> = order.iter().map(|index| events[*index].clone()).collect();
        for (offset, index) in duplicates.iter().enumerate() {
            let position = (offset * 7) % (delivered.len() + 1);
            delivered.insert(position, events[*index].clone());
        }
        prop_assert_eq!(folded_counts(&delivered), scenario_counts());
    }
}
