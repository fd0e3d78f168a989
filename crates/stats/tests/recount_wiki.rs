//! Recounts, the events path and the on-wiki templates against the MediaWiki
//! 1.39 test wiki of `ops/mediawiki-test-wiki.sh`, set up with
//! `--proofread-shim` (quality levels and the disambiguation and
//! expectwithoutscans properties), and a real PostgreSQL.
//!
//! The golden test writes a small book of its own, with titles unique per
//! run. It checks every count of the book against values computed by hand,
//! both over the book's page rows and as the difference of two whole-wiki
//! recounts taken before and after the book was written.

mod common;

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use common::stored_counts;
use phetools_queue::{JobContext, JobError, JobHandler, ProgressReporter};
use phetools_stats::apply::{apply_events, PageEvent};
use phetools_stats::events::{decode_stats_event, RecheckRequest, StatsInput, WikiDirectory, WikiInfo};
use phetools_stats::jobs::{
    schedule_daily_jobs, DailyJobHandler, RecountJobHandler, StatsConfig, DAILY_JOB_KIND, RECOUNT_JOB_KIND,
};
use phetools_stats::onwiki::update_templates;
use phetools_stats::recheck::{RecheckHandler, RECHECK_JOB_KIND};
use phetools_stats::recount::{cross_check, full_recount, Outcome, RecountApi, WikiSettings};
use phetools_stats::Counts;
use phetools_wiki::{Bot, Credentials, EditOutcome, Secret, WikiBots, WikiClient, WikiConfig};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// The test wiki serves every domain: its API URL has no `{domain}`.
const DOMAIN: &str = "en.wikisource.org";
const WIKI: &str = "enwikisource";
const PAGE_NAMESPACE: i32 = 104;
/// No pacing in tests: the wiki serves one request at a time anyway.
const REQUESTS_PER_SECOND: NonZeroU32 = NonZeroU32::new(1_000).unwrap();

/// Returns the bots of the test wiki, or `None` (after a message) when the
/// wiki or its ProofreadPage stand-in is missing. Under CI a missing wiki fails.
fn test_wiki() -> Option<(WikiBots, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let (Some(api), Some(_)) = (var("PHETOOLS_TEST_WIKI_API"), var("PHETOOLS_TEST_WIKI_PROOFREAD_SHIM")) else {
        eprintln!(
            "SKIPPED: PHETOOLS_TEST_WIKI_API or PHETOOLS_TEST_WIKI_PROOFREAD_SHIM is unset. Run \
             ops/mediawiki-test-wiki.sh setup --proofread-shim, start it and export the output of its `env` command."
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "the test wiki with the ProofreadPage stand-in is missing under CI; run the tests with ops/test.sh"
        );
        return None;
    };
    let credentials = Credentials::BotPassword {
        user: var("PHETOOLS_TEST_WIKI_BOT_USER").expect("PHETOOLS_TEST_WIKI_BOT_USER is unset"),
        password: Secret::new(
            var("PHETOOLS_TEST_WIKI_BOT_PASSWORD").expect("PHETOOLS_TEST_WIKI_BOT_PASSWORD is unset"),
        ),
    };
    let config = WikiConfig {
        api_url_pattern: api.clone(),
        edits_per_minute: 6000,
        ..WikiConfig::default()
    };
    Some((WikiBots::new(config, Some(credentials)).unwrap(), api))
}

fn run_nonce() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

async fn insert_settings(pool: &PgPool) -> WikiSettings {
    sqlx::query(
        "INSERT INTO stats_wiki (wiki, domain, code, page_namespace, index_namespace, quality_categories, \
                                 config_source) \
         VALUES ($1, $2, 'en', $3, 106, \
                 ARRAY['Without_text', 'Not_proofread', 'Problematic', 'Proofread', 'Validated'], 'shipped') \
         ON CONFLICT (wiki) DO NOTHING",
    )
    .bind(WIKI)
    .bind(DOMAIN)
    .bind(PAGE_NAMESPACE)
    .execute(pool)
    .await
    .unwrap();
    WikiSettings::load(pool, WIKI).await.unwrap()
}

/// Runs the wiki's job queue and deletes pages through the harness, as Admin.
fn harness(api: &str, command: &[&str]) {
    let wiki_dir = std::env::var("PHETOOLS_TEST_WIKI_DIR").expect("PHETOOLS_TEST_WIKI_DIR is unset");
    let port = url_port(api);
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = std::process::Command::new(repo.join("ops/mediawiki-test-wiki.sh"))
        .args(command)
        .env("MW_WIKI_DIR", wiki_dir)
        .env("MW_PORT", port)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn url_port(api: &str) -> String {
    let authority = api.split("//").nth(1).unwrap().split('/').next().unwrap();
    authority.rsplit_once(':').map_or("80", |(_, port)| port).to_owned()
}

/// A revision the test saved.
#[derive(Debug, Clone, Copy)]
struct Saved {
    page_id: i64,
    rev_id: i64,
    at: DateTime<Utc>,
}

async fn save(bot: &Bot, title: &str, text: &str) -> Saved {
    let parsed = bot.parse_title(title).await.unwrap();
    let current = bot.read_page(&parsed).await.unwrap();
    let outcome = bot
        .save_page(&parsed, text, "phetools statistics test", &current.edit_base())
        .await
        .unwrap();
    let EditOutcome::Saved {
        page_id,
        new_revid,
        new_timestamp,
        ..
    } = outcome
    else {
        panic!("{title}: nothing saved: {outcome:?}");
    };
    Saved {
        page_id: page_id as i64,
        rev_id: new_revid as i64,
        at: new_timestamp.parse().unwrap(),
    }
}

fn page_text(level: Option<u8>) -> String {
    match level {
        Some(level) => format!("<noinclude><pagequality level=\"{level}\" user=\"PheBot\" /></noinclude>text"),
        None => "text without a quality tag".to_owned(),
    }
}

/// What the book wrote: the revisions of each page, by the page's key in the book.
struct Book {
    /// Page-namespace dbkeys are `<file>/<n>`.
    file: String,
    main_prefix: String,
    revisions: BTreeMap<&'static str, Vec<Saved>>,
    deleted_at: DateTime<Utc>,
}

/// Writes the book:
///
/// | key | page | content |
/// |---|---|---|
/// | p1 | Page:F/1 | level 0 |
/// | p2 | Page:F/2 | level 1 |
/// | p3 | Page:F/3 | level 2 |
/// | p4 | Page:F/4 | level 1, then level 3 |
/// | p5 | Page:F/5 | level 3, then level 4 |
/// | p6 | Page:F/6 | level 3 |
/// | p7 | Page:F/7 | no level |
/// | p8 | Page:F/8 | redirect to Page:F/1 |
/// | p9 | Page:F/9 | level 4, then deleted |
/// | a | P A | transcludes F/1, F/2, F/3 |
/// | b | P B | transcludes F/4 and the red link F/99 |
/// | c | P C | plain text |
/// | d | P D | `__EXPECTWITHOUTSCANS__` |
/// | e | P E | transcludes only the red link F/98 |
/// | dis | P Disambiguation | `__DISAMBIG__` |
/// | r | P Redirect | redirect to P A |
async fn write_book(bot: &Bot, api: &str) -> Book {
    let nonce = run_nonce();
    let file = format!("Golden_{nonce}.djvu");
    let main_prefix = format!("Golden {nonce}");
    let page = |n: u32| format!("Page:{file}/{n}");
    let main = |suffix: &str| format!("{main_prefix} {suffix}");
    let mut revisions: BTreeMap<&'static str, Vec<Saved>> = BTreeMap::new();

    for (key, n, levels) in [
        ("p1", 1, vec![Some(0)]),
        ("p2", 2, vec![Some(1)]),
        ("p3", 3, vec![Some(2)]),
        ("p4", 4, vec![Some(1), Some(3)]),
        ("p5", 5, vec![Some(3), Some(4)]),
        ("p6", 6, vec![Some(3)]),
        ("p7", 7, vec![None]),
        ("p9", 9, vec![Some(4)]),
    ] {
        for level in levels {
            let saved = save(bot, &page(n), &page_text(level)).await;
            revisions.entry(key).or_default().push(saved);
        }
    }
    let redirect = save(bot, &page(8), &format!("#REDIRECT [[{}]]", page(1))).await;
    revisions.insert("p8", vec![redirect]);

    let transclude =
        |numbers: &[u32]| -> String { numbers.iter().map(|n| format!("{{{{:{}}}}}\n", page(*n))).collect() };
    for (key, suffix, text) in [
        ("a", "A", transclude(&[1, 2, 3])),
        ("b", "B", transclude(&[4, 99])),
        ("c", "C", "A text without scans.".to_owned()),
        (
            "d",
            "D",
            "A text expected without scans. __EXPECTWITHOUTSCANS__".to_owned(),
        ),
        ("e", "E", transclude(&[98])),
        ("dis", "Disambiguation", "One of several texts. __DISAMBIG__".to_owned()),
    ] {
        let saved = save(bot, &main(suffix), &text).await;
        revisions.insert(key, vec![saved]);
    }
    let redirect = save(bot, &main("Redirect"), &format!("#REDIRECT [[{}]]", main("A"))).await;
    revisions.insert("r", vec![redirect]);

    harness(api, &["delete", &page(9)]);
    // Millisecond precision, as meta.dt of EventStreams has.
    let deleted_at = Utc::now().trunc_subsecs(3);
    harness(api, &["run-jobs"]);
    Book {
        file,
        main_prefix,
        revisions,
        deleted_at,
    }
}

impl Book {
    fn first(&self, key: &str) -> Saved {
        self.revisions[key][0]
    }

    fn last(&self, key: &str) -> Saved {
        *self.revisions[key].last().unwrap()
    }

    fn page_ids(&self) -> Vec<i64> {
        self.revisions.values().map(|saved| saved[0].page_id).collect()
    }
}

/// Counts of the book alone, computed by hand from the table of [`write_book`].
fn golden_counts() -> Counts {
    Counts {
        // F/1-F/7; the redirect F/8 and the deleted F/9 do not count.
        pages: 7,
        // F/1 | F/2 | F/3 | F/4, F/6 | F/5
        levels: [1, 1, 1, 2, 1],
        // F/7
        no_level: 1,
        // A, B, C, D, E, Disambiguation; the redirect does not count.
        texts: 6,
        // A, B and E: template links count red links too.
        with_scans: 3,
        disambiguation: 1,
        // D
        expected_without_scans: 1,
    }
}

/// Sums the stored rows of the book's pages.
async fn book_counts(pool: &PgPool, book: &Book) -> Counts {
    let (pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, expected_without_scans) =
        sqlx::query_as(
            "SELECT count(*) FILTER (WHERE namespace = 'page'), \
                    count(*) FILTER (WHERE namespace = 'page' AND level = 0), \
                    count(*) FILTER (WHERE namespace = 'page' AND level = 1), \
                    count(*) FILTER (WHERE namespace = 'page' AND level = 2), \
                    count(*) FILTER (WHERE namespace = 'page' AND level = 3), \
                    count(*) FILTER (WHERE namespace = 'page' AND level = 4), \
                    count(*) FILTER (WHERE namespace = 'page' AND level IS NULL), \
                    count(*) FILTER (WHERE namespace = 'main'), \
                    count(*) FILTER (WHERE namespace = 'main' AND with_scans), \
                    count(*) FILTER (WHERE namespace = 'main' AND disambiguation), \
                    count(*) FILTER (WHERE namespace = 'main' AND expect_without_scans AND NOT with_scans \
                                           AND NOT disambiguation) \
             FROM stats_page WHERE wiki = $1 AND present AND NOT redirect AND page_id = ANY($2)",
        )
        .bind(WIKI)
        .bind(book.page_ids())
        .fetch_one(pool)
        .await
        .unwrap();
    Counts {
        pages,
        levels: [q0, q1, q2, q3, q4],
        no_level,
        texts,
        with_scans,
        disambiguation,
        expected_without_scans,
    }
}

fn assert_counts(actual: Counts, expected: Counts, what: &str) {
    assert_eq!(actual.pages, expected.pages, "{what}: pages");
    for level in 0..5 {
        assert_eq!(actual.levels[level], expected.levels[level], "{what}: q{level}");
    }
    assert_eq!(actual.no_level, expected.no_level, "{what}: pages without level");
    assert_eq!(actual.legacy_q1(), expected.legacy_q1(), "{what}: legacy q1");
    assert_eq!(actual.texts, expected.texts, "{what}: texts");
    assert_eq!(actual.with_scans, expected.with_scans, "{what}: with scans");
    assert_eq!(actual.disambiguation, expected.disambiguation, "{what}: disambiguation");
    assert_eq!(actual.naked(), expected.naked(), "{what}: legacy naked");
    assert_eq!(
        actual.expected_without_scans, expected.expected_without_scans,
        "{what}: expected without scans"
    );
}

fn dt(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn meta(stream: &str, at: DateTime<Utc>, id: String) -> Value {
    json!({ "domain": DOMAIN, "dt": dt(at), "id": id, "stream": format!("mediawiki.{stream}") })
}

/// One event of a stream, with the name the decoder takes.
type StreamEvent = (&'static str, Value);

fn page_change(
    kind: &str,
    namespace: i64,
    title: &str,
    saved: Saved,
    redirect: bool,
    at: DateTime<Utc>,
) -> StreamEvent {
    let event = json!({
        "$schema": "/mediawiki/page/change/1.1.0",
        "meta": meta("page_change.v1", at, format!("page-change-{kind}-{}-{}", saved.page_id, saved.rev_id)),
        "wiki_id": WIKI,
        "page_change_kind": kind,
        "page": { "page_id": saved.page_id, "namespace_id": namespace, "page_title": title, "is_redirect": redirect },
        "revision": { "rev_id": saved.rev_id, "rev_dt": dt(saved.at) },
        "performer": { "user_text": "PheBot", "is_bot": true }
    });
    ("mediawiki.page_change.v1", event)
}

fn properties_change(namespace: i64, title: &str, saved: Saved, added: Value, removed: Value) -> StreamEvent {
    let event = json!({
        "$schema": "/mediawiki/page/properties-change/1.0.0",
        "meta": meta("page-properties-change", saved.at, format!("properties-{}-{}", saved.page_id, saved.rev_id)),
        "database": WIKI,
        "page_id": saved.page_id,
        "page_title": title,
        "page_namespace": namespace,
        "page_is_redirect": false,
        "rev_id": saved.rev_id,
        "performer": { "user_id": 2, "user_is_bot": true, "user_text": "PheBot" },
        "added_properties": added,
        "removed_properties": removed
    });
    ("mediawiki.page-properties-change", event)
}

fn tags_change(title: &str, saved: Saved, level: u8) -> StreamEvent {
    let event = json!({
        "$schema": "/mediawiki/revision/tags-change/1.0.0",
        "meta": meta("revision-tags-change", saved.at, format!("tags-{}-{}", saved.page_id, saved.rev_id)),
        "database": WIKI,
        "page_id": saved.page_id,
        "page_title": title,
        "page_namespace": PAGE_NAMESPACE,
        "page_is_redirect": false,
        "rev_id": saved.rev_id,
        "rev_timestamp": dt(saved.at),
        "tags": [format!("proofreadpage-quality{level}")],
        "prior_state": { "tags": [] }
    });
    ("mediawiki.revision-tags-change", event)
}

/// Builds the events the wiki produced for the book, split by stream:
/// `page_change.v1`, and the level and property streams
/// (`page-properties-change`, `revision-tags-change`). With `gap` the three
/// events of the edit that moved F/5 from level 3 to 4 are lost.
fn book_events(book: &Book, gap: bool) -> (Vec<StreamEvent>, Vec<StreamEvent>) {
    let mut lifecycle = Vec::new();
    let mut levels_and_properties = Vec::new();
    let page_title = |n: &str| format!("Page:{}/{n}", book.file);

    for (key, n, levels) in [
        ("p1", "1", vec![0]),
        ("p2", "2", vec![1]),
        ("p3", "3", vec![2]),
        ("p4", "4", vec![1, 3]),
        ("p5", "5", vec![3, 4]),
        ("p6", "6", vec![3]),
        ("p9", "9", vec![4]),
    ] {
        let title = page_title(n);
        for (index, level) in levels.iter().enumerate() {
            let saved = book.revisions[key][index];
            if gap && key == "p5" && index == 1 {
                continue;
            }
            let kind = if index == 0 { "create" } else { "edit" };
            lifecycle.push(page_change(
                kind,
                i64::from(PAGE_NAMESPACE),
                &title,
                saved,
                false,
                saved.at,
            ));
            let removed = match index {
                0 => json!({}),
                _ => json!({ "proofread_page_quality_level": levels[index - 1].to_string() }),
            };
            let added = json!({ "proofread_page_quality_level": level });
            levels_and_properties.push(properties_change(
                i64::from(PAGE_NAMESPACE),
                &title,
                saved,
                added,
                removed,
            ));
            levels_and_properties.push(tags_change(&title, saved, *level));
        }
    }
    let p7 = book.first("p7");
    lifecycle.push(page_change(
        "create",
        i64::from(PAGE_NAMESPACE),
        &page_title("7"),
        p7,
        false,
        p7.at,
    ));
    let p8 = book.first("p8");
    lifecycle.push(page_change(
        "create",
        i64::from(PAGE_NAMESPACE),
        &page_title("8"),
        p8,
        true,
        p8.at,
    ));
    let p9 = book.last("p9");
    lifecycle.push(page_change(
        "delete",
        i64::from(PAGE_NAMESPACE),
        &page_title("9"),
        p9,
        false,
        book.deleted_at,
    ));

    for (key, suffix) in [
        ("a", "A"),
        ("b", "B"),
        ("c", "C"),
        ("d", "D"),
        ("e", "E"),
        ("dis", "Disambiguation"),
    ] {
        let saved = book.first(key);
        let title = format!("{} {suffix}", book.main_prefix).replace(' ', "_");
        lifecycle.push(page_change("create", 0, &title, saved, false, saved.at));
        let property = match key {
            "d" => Some("expectwithoutscans"),
            "dis" => Some("disambiguation"),
            _ => None,
        };
        if let Some(property) = property {
            let added = json!({ property: "" });
            levels_and_properties.push(properties_change(0, &title, saved, added, json!({})));
        }
    }
    let redirect = book.first("r");
    let title = format!("{} Redirect", book.main_prefix).replace(' ', "_");
    lifecycle.push(page_change("create", 0, &title, redirect, true, redirect.at));
    (lifecycle, levels_and_properties)
}

fn directory() -> WikiDirectory {
    let mut directory = WikiDirectory::default();
    directory.insert(WikiInfo::new(WIKI, PAGE_NAMESPACE, 106).unwrap());
    directory
}

/// Decodes the events of one stream, in order, into page events and re-check requests.
fn decode(events: &[StreamEvent]) -> (Vec<PageEvent>, Vec<RecheckRequest>) {
    let directory = directory();
    let mut page_events = Vec::new();
    let mut rechecks = Vec::new();
    for (stream, event) in events {
        for input in decode_stats_event(stream, event, &directory).unwrap() {
            match input {
                StatsInput::Apply(page_event) => page_events.push(page_event),
                StatsInput::Recheck(request) => rechecks.push(request),
            }
        }
    }
    (page_events, rechecks)
}

/// Runs the `stats_recheck` job of each request, as the workers would.
async fn run_rechecks(pool: &PgPool, api: &str, rechecks: &[RecheckRequest]) {
    let config = WikiConfig {
        api_url_pattern: api.to_owned(),
        ..WikiConfig::default()
    };
    let handler = RecheckHandler::new(pool.clone(), Arc::new(WikiClient::new(config).unwrap()));
    for request in rechecks {
        let payload = serde_json::to_value(request).unwrap();
        handler.run(job(RECHECK_JOB_KIND, payload)).await.unwrap();
    }
}

/// Runs the book's events through the decoder, in an order a consumer can
/// receive them. The level and property stream comes first and in reverse
/// order, then the page_change stream, then the `stats_recheck` jobs its
/// events requested, then every decoded event a second time. A stale property
/// change of F/4 (its first revision claiming level 0) comes last.
async fn apply_streams(pool: &PgPool, api: &str, book: &Book, gap: bool) {
    let (lifecycle, mut levels_and_properties) = book_events(book, gap);
    levels_and_properties.reverse();
    let (level_events, _) = decode(&levels_and_properties);
    let (lifecycle_events, rechecks) = decode(&lifecycle);
    assert_eq!(
        rechecks.len(),
        7,
        "every main-namespace creation requests a re-check: {rechecks:?}"
    );

    apply_events(pool, &level_events).await.unwrap();
    apply_events(pool, &lifecycle_events).await.unwrap();
    run_rechecks(pool, api, &rechecks).await;
    for event in [lifecycle_events, level_events].concat() {
        let again = apply_events(pool, std::slice::from_ref(&event)).await.unwrap();
        assert_eq!(again.applied, 0, "a duplicate must change nothing: {event:?}");
    }

    let title = format!("Page:{}/4", book.file);
    let stale = properties_change(
        i64::from(PAGE_NAMESPACE),
        &title,
        book.first("p4"),
        json!({ "proofread_page_quality_level": 0 }),
        json!({ "proofread_page_quality_level": 1 }),
    );
    let (stale_events, _) = decode(&[stale]);
    let summary = apply_events(pool, &stale_events).await.unwrap();
    assert_eq!(
        summary.applied, 0,
        "a level change of an older revision must be ignored"
    );
}

/// Serialises the tests that write pages of the Page or main namespace,
/// because a whole-wiki recount must not see another test's pages appear.
static WIKI_WRITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The events of a book alone, through the decoder and the re-check jobs into
/// a fresh database, give the golden counts.
#[sqlx::test(migrations = "../../migrations")]
async fn decoded_events_give_golden_counts(pool: PgPool) {
    let Some((bots, api)) = test_wiki() else { return };
    let _writing = WIKI_WRITES.lock().await;
    let bot = bots.bot(DOMAIN).unwrap();
    let book = write_book(&bot, &api).await;

    apply_streams(&pool, &api, &book, false).await;
    assert_counts(stored_counts(&pool, WIKI).await, golden_counts(), "events");
    assert_counts(
        book_counts(&pool, &book).await,
        golden_counts(),
        "book rows from events",
    );
}

/// The whole sequence in one test, because the recounts count the whole wiki
/// and must not see another test's pages appear in between.
#[sqlx::test(migrations = "../../migrations")]
async fn golden_counts_from_recount_and_events(pool: PgPool) {
    let Some((bots, api)) = test_wiki() else { return };
    let _writing = WIKI_WRITES.lock().await;
    let bot = bots.bot(DOMAIN).unwrap();
    let settings = insert_settings(&pool).await;

    // Whole wiki before the book.
    let before = full_recount(&pool, bot.as_ref(), &settings, REQUESTS_PER_SECOND)
        .await
        .unwrap();
    assert_eq!(before.outcome, Outcome::Succeeded);
    let before_counts = before.counts.unwrap();

    let book = write_book(&bot, &api).await;

    // A second recount, of a wiki seen before: only the book changed.
    let settings = WikiSettings::load(&pool, WIKI).await.unwrap();
    let after = full_recount(&pool, bot.as_ref(), &settings, REQUESTS_PER_SECOND)
        .await
        .unwrap();
    assert_eq!(after.outcome, Outcome::Succeeded);
    assert!(
        after.requests <= after.budget,
        "{} requests, budget {}",
        after.requests,
        after.budget
    );
    assert_eq!(after.requests, 3, "site figures, Page namespace, main namespace");
    let after_counts = after.counts.unwrap();
    assert_counts(after_counts - before_counts, golden_counts(), "recount difference");
    assert_counts(book_counts(&pool, &book).await, golden_counts(), "recounted book rows");
    assert_eq!(stored_counts(&pool, WIKI).await, after_counts, "stored counts");

    let transcluded: Vec<String> = sqlx::query_scalar(
        "SELECT page_title FROM stats_transclusion WHERE wiki = $1 AND main_page_id = $2 ORDER BY page_title",
    )
    .bind(WIKI)
    .bind(book.first("b").page_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        transcluded,
        vec![format!("{}/4", book.file), format!("{}/99", book.file)]
    );
    let title: String = sqlx::query_scalar("SELECT title FROM stats_page WHERE wiki = $1 AND page_id = $2")
        .bind(WIKI)
        .bind(book.first("a").page_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(title, format!("{} A", book.main_prefix).replace(' ', "_"));

    // The cross-check agrees with categories that the recount just read.
    let check = cross_check(&pool, bot.as_ref(), &settings).await.unwrap();
    assert_eq!(check.stored_levels, after_counts.levels);
    assert_eq!(check.category_pages, after_counts.levels, "quality categories");
    assert_eq!(check.drifts, 0);

    // A gap: the edit of F/5 from level 3 to 4 is lost. A recount repairs it and records the drift.
    sqlx::query("DELETE FROM stats_page WHERE wiki = $1")
        .bind(WIKI)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM stats_wiki_count WHERE wiki = $1")
        .bind(WIKI)
        .execute(&pool)
        .await
        .unwrap();
    apply_streams(&pool, &api, &book, true).await;
    assert_eq!(
        stored_counts(&pool, WIKI).await.levels[3],
        3,
        "F/4, F/5 and F/6 at level 3 before the recount"
    );

    let repaired = full_recount(&pool, bot.as_ref(), &settings, REQUESTS_PER_SECOND)
        .await
        .unwrap();
    assert_eq!(repaired.outcome, Outcome::Succeeded);
    assert_counts(
        book_counts(&pool, &book).await,
        golden_counts(),
        "book after the gap and the recount",
    );
    assert_eq!(
        repaired.counts.unwrap(),
        after_counts,
        "whole wiki after the gap and the recount"
    );
    let drift: (Option<i64>, Option<i64>, bool, String) = sqlx::query_as(
        "SELECT stored, reported, repaired, source FROM stats_drift \
         WHERE wiki = $1 AND page_id = $2 AND field = 'level' AND recount_id = $3",
    )
    .bind(WIKI)
    .bind(book.first("p5").page_id)
    .bind(repaired.recount_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(drift, (Some(3), Some(4), true, "recount".to_owned()));
    let recorded: (String, i32, i32, Option<String>) =
        sqlx::query_as("SELECT kind, requests, budget, outcome FROM stats_recount WHERE id = $1")
            .bind(repaired.recount_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded.0, "full");
    assert_eq!(recorded.1, 3);
    assert_eq!(recorded.2, i32::try_from(repaired.budget).unwrap());
    assert_eq!(recorded.3.as_deref(), Some("succeeded"));
}

/// The real wiki's responses, each generator response with a `continue`
/// added, as a wiki far larger than its site statistics would return them.
struct EndlessApi<'a> {
    bot: &'a Bot,
}

#[async_trait::async_trait]
impl RecountApi for EndlessApi<'_> {
    async fn query(&self, params: &[(&str, &str)]) -> Result<serde_json::Value, phetools_wiki::WikiError> {
        let mut response = self.bot.query(params).await?;
        if params.iter().any(|(key, _)| *key == "generator") {
            response["continue"] = serde_json::json!({ "gapcontinue": "~", "continue": "gapcontinue||" });
        }
        Ok(response)
    }
}

/// A recount that needs more requests than its budget stops before the
/// request that would exceed it, repairs nothing and records `over_budget`.
#[sqlx::test(migrations = "../../migrations")]
async fn recount_stops_over_budget(pool: PgPool) {
    let Some((bots, _)) = test_wiki() else { return };
    let bot = bots.bot(DOMAIN).unwrap();
    let settings = insert_settings(&pool).await;

    let api = EndlessApi { bot: bot.as_ref() };
    let report = full_recount(&pool, &api, &settings, REQUESTS_PER_SECOND).await.unwrap();
    assert_eq!(report.outcome, Outcome::OverBudget);
    assert_eq!(
        report.requests, report.budget,
        "every allowed request is sent, and no more"
    );
    assert!(report.counts.is_none());

    let pages: i64 = sqlx::query_scalar("SELECT count(*) FROM stats_page")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(pages, 0, "nothing is repaired");
    let recorded: (i32, i32, Option<String>, Option<String>) =
        sqlx::query_as("SELECT requests, budget, outcome, error FROM stats_recount WHERE id = $1")
            .bind(report.recount_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded.0, i32::try_from(report.budget).unwrap());
    assert_eq!(recorded.1, i32::try_from(report.budget).unwrap());
    assert_eq!(recorded.2.as_deref(), Some("over_budget"));
    assert!(recorded.3.unwrap().contains("budget"));
    let last: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT last_full_recount_at FROM stats_wiki WHERE wiki = $1")
        .bind(WIKI)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(last, None, "an unfinished recount does not count as one");
}

/// Templates are saved once, with the wiki's number format, and not again
/// while the value is the same.
#[sqlx::test(migrations = "../../migrations")]
async fn templates_saved_only_on_change(pool: PgPool) {
    let Some((bots, _)) = test_wiki() else { return };
    let bot = bots.bot(DOMAIN).unwrap();
    // A wiki name of its own per run, because the template pages outlive the test.
    let nonce = run_nonce() % 1_000_000;
    let pages = 1_000_000 + i64::try_from(nonce).unwrap();
    sqlx::query(
        "INSERT INTO stats_wiki_count (wiki, pages, q0, q1, q2, q3, q4, texts, with_scans, disambiguation) \
         VALUES ($1, $2, 10, $2 - 40, 10, 10, 10, 200, 150, 10)",
    )
    .bind(WIKI)
    .bind(pages)
    .execute(&pool)
    .await
    .unwrap();

    let first = update_templates(&pool, &bot, WIKI, "en").await.unwrap();
    assert!(first.saved.contains(&"ALL_PAGES".to_owned()), "{first:?}");
    let parsed = bot.parse_title("Template:ALL_PAGES").await.unwrap();
    let text = bot.read_page(&parsed).await.unwrap().revision.unwrap().text;
    let expected = phetools_stats::legacy::group_thousands(pages, ",");
    assert_eq!(text.trim(), expected);
    let percent = bot
        .read_page(&bot.parse_title("Template:PR_PERCENT").await.unwrap())
        .await
        .unwrap();
    assert_eq!(percent.revision.unwrap().text.trim(), "78.95");

    let second = update_templates(&pool, &bot, WIKI, "en").await.unwrap();
    assert!(second.saved.is_empty(), "{second:?}");
    assert_eq!(second.unchanged.len(), 5, "{second:?}");

    // A fresh database has no saved value: the page's text decides, and nothing is saved.
    sqlx::query("DELETE FROM stats_template_value")
        .execute(&pool)
        .await
        .unwrap();
    let third = update_templates(&pool, &bot, WIKI, "en").await.unwrap();
    assert!(third.saved.is_empty(), "{third:?}");
    assert_eq!(third.already_current.len(), 5, "{third:?}");
}

fn job(kind: &str, payload: Value) -> JobContext {
    JobContext {
        job_id: 1,
        kind: kind.to_owned(),
        payload,
        attempt: 1,
        max_attempts: 5,
        cancel: CancellationToken::new(),
        progress: ProgressReporter::detached(),
    }
}

async fn queued_jobs(pool: &PgPool) -> Vec<(String, Option<String>, DateTime<Utc>)> {
    sqlx::query_as("SELECT kind, dedupe_key, run_after FROM job WHERE state = 'queued' ORDER BY kind, id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The daily job takes the snapshot, runs the cross-check and queues the next
/// day's job. On first sight of the wiki it also queues a full recount, and
/// run again it queues nothing more. Scheduling queues the first day of a wiki
/// without snapshot. The recount job then recounts the wiki.
#[sqlx::test(migrations = "../../migrations")]
async fn daily_job_queues_next_day_and_recount(pool: PgPool) {
    let Some((bots, _)) = test_wiki() else { return };
    insert_settings(&pool).await;
    sqlx::query(
        "INSERT INTO stats_wiki (wiki, domain, code, page_namespace, index_namespace, quality_categories, \
                                 config_source) \
         SELECT 'dewikisource', 'de.wikisource.org', 'de', 102, 104, quality_categories, config_source \
         FROM stats_wiki WHERE wiki = $1",
    )
    .bind(WIKI)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO stats_wiki_count (wiki, pages, q1) VALUES ($1, 1, 1)")
        .bind(WIKI)
        .execute(&pool)
        .await
        .unwrap();
    let bots = Arc::new(bots);
    // No template wiki: the template test edits the same pages.
    let config = StatsConfig {
        template_wikis: Vec::new(),
        recount_requests_per_second: 1_000,
        ..StatsConfig::default()
    };
    let daily = DailyJobHandler::new(pool.clone(), bots.clone(), config.clone());
    let payload = json!({ "wiki": WIKI, "day": "2026-12-05" });

    let result = daily.run(job(DAILY_JOB_KIND, payload.clone())).await.unwrap();
    assert_eq!(result["snapshot"], json!(true), "{result}");
    assert_eq!(result["templates"], Value::Null, "{result}");
    let snapshot: i64 = sqlx::query_scalar("SELECT pages FROM stats_snapshot WHERE wiki = $1 AND day = '2026-12-05'")
        .bind(WIKI)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(snapshot, 1);
    let checks: i64 = sqlx::query_scalar("SELECT count(*) FROM stats_recount WHERE kind = 'cross_check'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(checks, 1);

    daily.run(job(DAILY_JOB_KIND, payload)).await.unwrap();
    let day = "2026-12-05".parse().unwrap();
    assert_eq!(schedule_daily_jobs(&pool, day).await.unwrap(), 2);
    let jobs = queued_jobs(&pool).await;
    let next_day: DateTime<Utc> = "2026-12-06T00:10:00Z".parse().unwrap();
    let today: DateTime<Utc> = "2026-12-05T00:10:00Z".parse().unwrap();
    let expected = vec![
        (
            DAILY_JOB_KIND.to_owned(),
            Some(format!("stats_daily:{WIKI}:2026-12-06")),
            next_day,
        ),
        (
            DAILY_JOB_KIND.to_owned(),
            Some("stats_daily:dewikisource:2026-12-05".to_owned()),
            today,
        ),
        (
            RECOUNT_JOB_KIND.to_owned(),
            Some(format!("stats_recount:{WIKI}")),
            jobs[2].2,
        ),
    ];
    assert_eq!(jobs, expected, "one job of each, however often the day runs");

    let recount = RecountJobHandler::new(pool.clone(), bots, config);
    let result = recount
        .run(job(RECOUNT_JOB_KIND, json!({ "wiki": WIKI })))
        .await
        .unwrap();
    assert_eq!(result["outcome"], json!("succeeded"), "{result}");
    let last: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT last_full_recount_at FROM stats_wiki WHERE wiki = $1")
        .bind(WIKI)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(last.is_some());
}

#[sqlx::test(migrations = "../../migrations")]
async fn invalid_daily_payload_fails_permanently(pool: PgPool) {
    let bots = Arc::new(WikiBots::new(WikiConfig::default(), None).unwrap());
    let daily = DailyJobHandler::new(pool, bots, StatsConfig::default());
    let error = daily
        .run(job(DAILY_JOB_KIND, json!({ "wiki": WIKI, "day": "yesterday" })))
        .await
        .unwrap_err();
    assert!(matches!(error, JobError::Permanent(_)), "{error:?}");
    assert!(error.to_string().contains("stats_daily"), "{error}");
}
