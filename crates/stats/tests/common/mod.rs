//! Events and readers shared by the statistics tests.

#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use phetools_stats::apply::{Change, PageEvent};
use phetools_stats::{Counts, Level, Namespace};
use sqlx::PgPool;

pub fn level(value: i64) -> Option<Level> {
    Some(Level::new(value).unwrap())
}

fn at(second: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap() + Duration::seconds(second)
}

fn event(wiki: &str, page_id: i64, rev_id: i64, second: i64, namespace: Namespace, change: Change) -> PageEvent {
    PageEvent {
        wiki: wiki.to_owned(),
        page_id,
        rev_id,
        at: at(second),
        namespace,
        title: None,
        human_edit_at: None,
        change,
    }
}

/// Returns a day of events in the order the wiki produced them, covering every kind
/// of change. Expected counts after all of them: [`scenario_counts`].
pub fn scenario(wiki: &str) -> Vec<PageEvent> {
    use Namespace::{Main, Other, Page};
    let created = |level| Change::Created { redirect: false, level };
    let level_changed = |old, new| Change::LevelChanged { old, new };
    vec![
        // Page 1: created, then proofread, then validated.
        event(wiki, 1, 10, 0, Page, created(None)),
        event(wiki, 1, 10, 1, Page, level_changed(None, level(1))),
        event(wiki, 1, 11, 100, Page, level_changed(level(1), level(3))),
        event(wiki, 1, 12, 200, Page, level_changed(level(3), level(4))),
        // Page 2: created without text, edited, deleted and undeleted.
        event(wiki, 2, 20, 10, Page, created(level(0))),
        event(wiki, 2, 21, 110, Page, level_changed(level(0), level(1))),
        event(wiki, 2, 21, 300, Page, Change::Deleted),
        event(wiki, 2, 21, 400, Page, Change::Undeleted { redirect: false }),
        // Page 3: created, then moved out of the Page namespace.
        event(wiki, 3, 30, 20, Page, created(level(1))),
        event(wiki, 3, 31, 120, Other, Change::Moved),
        // Page 4: a text that transcludes scans.
        event(wiki, 4, 40, 30, Main, created(None)),
        event(
            wiki,
            4,
            41,
            130,
            Main,
            Change::MainFlagsChanged {
                redirect: false,
                disambiguation: false,
                with_scans: true,
                expect_without_scans: false,
            },
        ),
        // Page 5: a disambiguation page, deleted.
        event(wiki, 5, 50, 40, Main, created(None)),
        event(
            wiki,
            5,
            51,
            140,
            Main,
            Change::MainFlagsChanged {
                redirect: false,
                disambiguation: true,
                with_scans: false,
                expect_without_scans: false,
            },
        ),
        event(wiki, 5, 51, 240, Main, Change::Deleted),
        // Page 6: created problematic; page 8: a redirect in the Page namespace.
        event(wiki, 6, 60, 50, Page, created(level(2))),
        event(
            wiki,
            8,
            80,
            60,
            Page,
            Change::Created {
                redirect: true,
                level: None,
            },
        ),
        // Page 7: existed before the events began; only its level change arrives.
        event(wiki, 7, 70, 70, Page, level_changed(level(1), level(3))),
        // Page 9: a text created and moved into the Page namespace.
        event(wiki, 9, 90, 80, Main, created(None)),
        event(wiki, 9, 91, 180, Page, Change::Moved),
        // Page 10: a text created, then edited by people; the edit added
        // __EXPECTWITHOUTSCANS__.
        human(event(wiki, 10, 100, 85, Main, created(None))),
        human(event(wiki, 10, 101, 186, Main, Change::Edited { redirect: false })),
        event(
            wiki,
            10,
            101,
            187,
            Main,
            Change::MainPropertiesChanged {
                disambiguation: None,
                expect_without_scans: Some(true),
            },
        ),
        // Page 11: existed before; proofread, reported by the page property and by the tag.
        event(wiki, 11, 110, 90, Page, level_changed(level(1), level(3))),
        event(wiki, 11, 110, 91, Page, Change::LevelTagged { new: Level::PROOFREAD }),
    ]
}

/// Marks `event` as an edit by a person at the event's time.
fn human(mut event: PageEvent) -> PageEvent {
    event.human_edit_at = Some(event.at);
    event
}

/// Counts after [`scenario`], whatever the order and duplication of its events.
pub fn scenario_counts() -> Counts {
    Counts {
        pages: 6,
        levels: [0, 1, 1, 2, 1],
        no_level: 1,
        texts: 2,
        with_scans: 1,
        disambiguation: 0,
        expected_without_scans: 1,
    }
}

/// Shuffles reproducibly (xorshift), so that a failure can be replayed.
pub fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut items = items.to_vec();
    let mut random = seed | 1;
    for index in (1..items.len()).rev() {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        items.swap(index, (random % (index as u64 + 1)) as usize);
    }
    items
}

/// Reads one wiki's stored counts.
pub async fn stored_counts(pool: &PgPool, wiki: &str) -> Counts {
    let row: CountsRow = sqlx::query_as(
        "SELECT pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, \
                expected_without_scans \
         FROM stats_wiki_count WHERE wiki = $1",
    )
    .bind(wiki)
    .fetch_one(pool)
    .await
    .unwrap();
    counts_from_row(row)
}

/// Counts recomputed from the wiki's page rows, which the stored counts must equal.
pub async fn recounted(pool: &PgPool, wiki: &str) -> Counts {
    let row: CountsRow = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE page), \
                count(*) FILTER (WHERE page AND level = 0), count(*) FILTER (WHERE page AND level = 1), \
                count(*) FILTER (WHERE page AND level = 2), count(*) FILTER (WHERE page AND level = 3), \
                count(*) FILTER (WHERE page AND level = 4), count(*) FILTER (WHERE page AND level IS NULL), \
                count(*) FILTER (WHERE main), count(*) FILTER (WHERE main AND with_scans), \
                count(*) FILTER (WHERE main AND disambiguation), \
                count(*) FILTER (WHERE main AND expect_without_scans AND NOT with_scans AND NOT disambiguation) \
         FROM (SELECT *, present AND NOT redirect AND namespace = 'page' AS page, \
                         present AND NOT redirect AND namespace = 'main' AS main \
               FROM stats_page WHERE wiki = $1) AS rows",
    )
    .bind(wiki)
    .fetch_one(pool)
    .await
    .unwrap();
    counts_from_row(row)
}

/// pages, q0 to q4, no_level, texts, with_scans, disambiguation, expected_without_scans.
type CountsRow = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

fn counts_from_row(row: CountsRow) -> Counts {
    Counts {
        pages: row.0,
        levels: [row.1, row.2, row.3, row.4, row.5],
        no_level: row.6,
        texts: row.7,
        with_scans: row.8,
        disambiguation: row.9,
        expected_without_scans: row.10,
    }
}
