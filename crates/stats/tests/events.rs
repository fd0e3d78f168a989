//! Decoding of EventStreams events into statistics inputs, on the recorded
//! and constructed events of tests/fixtures/eventstreams, and their
//! application on a real PostgreSQL (DATABASE_URL names the server).

use phetools_stats::apply::{apply_events, Change, PageEvent};
use phetools_stats::events::{decode_stats_event, RecheckReason, StatsEventError, StatsInput, WikiDirectory};
use phetools_stats::{Level, Namespace};
use serde_json::{json, Value};
use sqlx::PgPool;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/eventstreams/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn decode(stream: &str, event: &Value) -> Vec<StatsInput> {
    decode_stats_event(stream, event, &WikiDirectory::shipped()).unwrap()
}

fn applied(inputs: Vec<StatsInput>) -> Vec<PageEvent> {
    inputs
        .into_iter()
        .filter_map(|input| match input {
            StatsInput::Apply(event) => Some(event),
            StatsInput::Recheck(_) => None,
        })
        .collect()
}

fn only_event(inputs: Vec<StatsInput>) -> PageEvent {
    let mut events = applied(inputs);
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

/// A page_change.v1 event of en.wikisource; `kind` is its page_change_kind.
fn page_change(kind: &str, namespace: i64, title: &str, page_id: i64, rev_id: i64, second: u32) -> Value {
    json!({
        "$schema": "/mediawiki/page/change/1.1.0",
        "meta": {
            "domain": "en.wikisource.org",
            "dt": format!("2026-12-01T10:00:{second:02}Z"),
            "id": format!("00000000-0000-4000-8000-{:012}", page_id * 1000 + rev_id),
            "stream": "mediawiki.page_change.v1"
        },
        "wiki_id": "enwikisource",
        "page_change_kind": kind,
        "page": {"page_id": page_id, "namespace_id": namespace, "page_title": title, "is_redirect": false},
        "revision": {"rev_id": rev_id, "rev_dt": format!("2026-12-01T10:00:{second:02}Z")},
        "performer": {"user_text": "Someone", "is_bot": false}
    })
}

#[test]
fn real_page_create_on_english_wikisource() {
    let event = only_event(decode(
        "mediawiki.page-create",
        &fixture("page-create-enwikisource-Page-ns104-2022.json"),
    ));
    assert_eq!(event.wiki, "enwikisource");
    assert_eq!(event.page_id, 4_034_745);
    assert_eq!(event.rev_id, 12_558_576);
    assert_eq!(event.namespace, Namespace::Page);
    assert_eq!(event.title.as_deref(), Some("The_Works_of_H_G_Wells_Volume_6.pdf/423"));
    assert_eq!(event.at.to_rfc3339(), "2022-08-23T18:34:25+00:00");
    assert_eq!(event.human_edit_at, Some(event.at), "MER-C is not a bot");
    assert_eq!(
        event.change,
        Change::Created {
            redirect: false,
            level: None
        }
    );
}

#[test]
fn events_of_other_wikis_are_dropped() {
    let delete = fixture("page-delete-hewiki-2023-codfw-topic.json");
    assert_eq!(decode("page-delete", &delete), vec![]);
    // The synthetic page_change example names the wiki "example".
    let example = fixture("page_change-1.2.0.example.SYNTHETIC.json");
    assert_eq!(decode("mediawiki.page_change.v1", &example), vec![]);
}

#[test]
fn real_page_delete_shape_on_a_wikisource() {
    let mut delete = fixture("page-delete-hewiki-2023-codfw-topic.json");
    delete["database"] = json!("hewikisource");
    let inputs = decode("mediawiki.page-delete", &delete);
    assert_eq!(inputs.len(), 2, "a main-namespace deletion is re-checked too");
    let StatsInput::Recheck(recheck) = &inputs[1] else {
        panic!("{inputs:?}")
    };
    assert_eq!(recheck.reason, RecheckReason::MainDeleted);
    assert_eq!(recheck.title, "הליגה_הפשיסטית_האימפריאלית");
    let event = only_event(inputs);
    assert_eq!((event.page_id, event.rev_id), (2_017_885, 36_404_848));
    assert_eq!(event.change, Change::Deleted);
    assert_eq!(event.namespace, Namespace::Main);
}

#[test]
fn property_change_gives_old_and_new_level_as_number_or_string() {
    let event = only_event(decode(
        "page-properties-change",
        &fixture("page-properties-change-enwikisource.CONSTRUCTED.json"),
    ));
    assert_eq!(
        event.change,
        Change::LevelChanged {
            old: Some(Level::NOT_PROOFREAD),
            new: Some(Level::PROOFREAD)
        }
    );
    assert_eq!(event.rev_id, 12_558_590);
}

#[test]
fn property_added_on_creation_has_no_old_level() {
    let mut event = fixture("page-properties-change-enwikisource.CONSTRUCTED.json");
    event["removed_properties"] = Value::Null;
    event["added_properties"] = json!({"proofread_page_quality_level": "0"});
    let event = only_event(decode("page-properties-change", &event));
    assert_eq!(
        event.change,
        Change::LevelChanged {
            old: None,
            new: Some(Level::WITHOUT_TEXT)
        }
    );
}

#[test]
fn main_page_properties_become_flags() {
    let mut event = fixture("page-properties-change-enwikisource.CONSTRUCTED.json");
    event["page_namespace"] = json!(0);
    event["page_title"] = json!("The_Works_of_H._G._Wells/Volume_6");
    event["added_properties"] = json!({"expectwithoutscans": ""});
    event["removed_properties"] = json!({"disambiguation": ""});
    let event = only_event(decode("page-properties-change", &event));
    assert_eq!(event.namespace, Namespace::Main);
    assert_eq!(event.title.as_deref(), Some("The_Works_of_H._G._Wells/Volume_6"));
    assert_eq!(
        event.change,
        Change::MainPropertiesChanged {
            disambiguation: Some(false),
            expect_without_scans: Some(true)
        }
    );
}

#[test]
fn unrelated_properties_give_nothing() {
    let mut event = fixture("page-properties-change-enwikisource.CONSTRUCTED.json");
    event["added_properties"] = json!({"defaultsort": "Wells"});
    event["removed_properties"] = json!({});
    assert_eq!(decode("page-properties-change", &event), vec![]);
}

#[test]
fn quality_tag_gives_the_new_level_only_once() {
    let tags = fixture("revision-tags-change-enwikisource.CONSTRUCTED.json");
    let event = only_event(decode("mediawiki.revision-tags-change", &tags));
    assert_eq!(event.change, Change::LevelTagged { new: Level::PROOFREAD });

    // Another tag added later to the same revision: the quality tag was there before.
    let mut later = tags.clone();
    later["tags"] = json!(["proofreadpage-quality3", "mw-reverted"]);
    later["prior_state"]["tags"] = json!(["proofreadpage-quality3"]);
    assert_eq!(decode("revision-tags-change", &later), vec![]);
}

#[test]
fn page_change_lifecycle_and_rechecks() {
    let create = decode("mediawiki.page_change.v1", &page_change("create", 0, "Book", 5, 50, 1));
    assert!(
        matches!(&create[1], StatsInput::Recheck(r) if r.reason == RecheckReason::MainCreated && r.title == "Book")
    );

    let edit = page_change("edit", 104, "Page:Book.djvu/3", 6, 60, 2);
    let event = only_event(decode("mediawiki.page_change.v1", &edit));
    assert_eq!(event.change, Change::Edited { redirect: false });
    assert_eq!(event.title.as_deref(), Some("Book.djvu/3"));
    assert!(event.human_edit_at.is_some());

    let mut bot_edit = edit.clone();
    bot_edit["performer"]["is_bot"] = json!(true);
    assert_eq!(
        only_event(decode("mediawiki.page_change.v1", &bot_edit)).human_edit_at,
        None
    );

    let index = decode(
        "mediawiki.page_change.v1",
        &page_change("edit", 106, "Index:Book.djvu", 7, 70, 3),
    );
    let [StatsInput::Recheck(recheck)] = index.as_slice() else {
        panic!("{index:?}")
    };
    assert_eq!(
        (recheck.reason, recheck.title.as_str()),
        (RecheckReason::IndexEdited, "Book.djvu")
    );

    let mut moved = page_change("move", 2, "User:Someone/Book", 5, 51, 4);
    moved["prior_state"] = json!({"page": {"namespace_id": 0, "page_title": "Book"}});
    let event = only_event(decode("mediawiki.page_change.v1", &moved));
    assert_eq!((event.change, event.namespace), (Change::Moved, Namespace::Other));

    let mut user_move = moved.clone();
    user_move["prior_state"]["page"]["namespace_id"] = json!(3);
    assert_eq!(decode("mediawiki.page_change.v1", &user_move), vec![]);

    let talk = page_change("edit", 1, "Talk:Book", 8, 80, 5);
    assert_eq!(decode("mediawiki.page_change.v1", &talk), vec![]);
    let hidden = page_change("visibility_change", 0, "Book", 5, 52, 6);
    assert_eq!(decode("mediawiki.page_change.v1", &hidden), vec![]);
}

#[test]
fn older_move_and_undelete_streams() {
    let mut moved = fixture("page-create-enwikisource-Page-ns104-2022.json");
    moved["meta"]["stream"] = json!("mediawiki.page-move");
    moved["page_namespace"] = json!(2);
    moved["page_title"] = json!("User:MER-C/Draft");
    moved["prior_state"] = json!({"page_namespace": 104, "page_title": "Page:Draft.djvu/1", "rev_id": 12_558_575});
    let event = only_event(decode("mediawiki.page-move", &moved));
    assert_eq!((event.change, event.namespace), (Change::Moved, Namespace::Other));
    assert_eq!(event.title.as_deref(), Some("MER-C/Draft"));

    let mut undeleted = fixture("page-create-enwikisource-Page-ns104-2022.json");
    undeleted["page_is_redirect"] = json!(true);
    let event = only_event(decode("page-undelete", &undeleted));
    assert_eq!(event.change, Change::Undeleted { redirect: true });
    assert_eq!(event.namespace, Namespace::Page);
}

#[test]
fn malformed_events_name_the_field_and_value() {
    let mut event = fixture("page-properties-change-enwikisource.CONSTRUCTED.json");
    event["added_properties"]["proofread_page_quality_level"] = json!(7);
    let error = decode_stats_event("page-properties-change", &event, &WikiDirectory::shipped()).unwrap_err();
    assert!(matches!(error, StatsEventError::Invalid { .. }), "{error:?}");
    assert_eq!(error.event_id(), Some("6a1d3f08-52c1-4d7e-9a0b-2f8c1e5d7b10"));
    let message = error.to_string();
    assert!(
        message.contains("added_properties.proofread_page_quality_level = 7"),
        "{message}"
    );
    assert!(message.contains("0 to 4"), "{message}");

    let mut event = page_change("edit", 104, "Page:Book.djvu/3", 6, 60, 2);
    event["revision"] = json!({});
    let error = decode_stats_event("page_change.v1", &event, &WikiDirectory::shipped()).unwrap_err();
    assert!(error.to_string().contains("has no revision.rev_id"), "{error}");

    let mut event = page_change("edit", 104, "Page:Book.djvu/3", -6, 60, 2);
    event["meta"]["dt"] = json!("yesterday");
    let error = decode_stats_event("page_change.v1", &event, &WikiDirectory::shipped()).unwrap_err();
    assert!(error.to_string().contains("page.page_id = -6"), "{error}");

    let mut event = page_change("edit", 104, "Page:Book.djvu/3", 6, 60, 2);
    event["meta"]["dt"] = json!("yesterday");
    let error = decode_stats_event("page_change.v1", &event, &WikiDirectory::shipped()).unwrap_err();
    assert!(error.to_string().contains("meta.dt = \"yesterday\""), "{error}");

    let error = decode_stats_event("mediawiki.page-links-change", &event, &WikiDirectory::shipped()).unwrap_err();
    assert!(matches!(error, StatsEventError::UnsupportedStream { .. }), "{error:?}");
}

#[test]
fn canaries_and_recentchange_give_nothing() {
    let canary = json!({"meta": {"domain": "canary", "stream": "mediawiki.page-properties-change"}});
    assert_eq!(decode("page-properties-change", &canary), vec![]);
    let mut rc = page_change("edit", 0, "Book", 5, 50, 1);
    rc["wiki"] = json!("enwikisource");
    assert_eq!(decode("mediawiki.recentchange", &rc), vec![]);
}

/// The creation, the level property and the level tag of one Page: page, as decoded.
fn creation_and_level() -> Vec<PageEvent> {
    let mut create = fixture("page-create-enwikisource-Page-ns104-2022.json");
    create["rev_id"] = json!(12_558_589);
    let mut events = applied(decode("page-create", &create));
    events.extend(applied(decode(
        "page-properties-change",
        &fixture("page-properties-change-enwikisource.CONSTRUCTED.json"),
    )));
    events.extend(applied(decode(
        "revision-tags-change",
        &fixture("revision-tags-change-enwikisource.CONSTRUCTED.json"),
    )));
    events
}

async fn english_levels(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as("SELECT pages, q1, q3 FROM stats_wiki_count WHERE wiki = 'enwikisource'")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn drift_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stats_drift")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn tag_and_property_of_one_revision_count_once_in_any_order(pool: PgPool) {
    let events = creation_and_level();
    assert_eq!(events.len(), 3);
    apply_events(&pool, &events).await.unwrap();
    assert_eq!(english_levels(&pool).await, (1, 0, 1));

    // The tag before the property: the property is ignored, without drift.
    let reversed: Vec<PageEvent> = events.iter().rev().cloned().collect();
    for event in &reversed {
        let mut event = event.clone();
        event.wiki = "frwikisource".to_owned();
        apply_events(&pool, &[event]).await.unwrap();
    }
    let french: (i64, i64, i64) =
        sqlx::query_as("SELECT pages, q1, q3 FROM stats_wiki_count WHERE wiki = 'frwikisource'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(french, (1, 0, 1));
    assert_eq!(drift_count(&pool).await, 0);

    // Duplicates change nothing.
    let again = apply_events(&pool, &events).await.unwrap();
    assert_eq!(again.applied, 0);
    assert_eq!(english_levels(&pool).await, (1, 0, 1));
}

#[sqlx::test(migrations = "../../migrations")]
async fn stale_revision_after_newer_one_is_ignored(pool: PgPool) {
    let events = creation_and_level();
    apply_events(&pool, &events).await.unwrap();
    let mut stale = fixture("page-properties-change-enwikisource.CONSTRUCTED.json");
    stale["rev_id"] = json!(12_558_580);
    stale["added_properties"] = json!({"proofread_page_quality_level": 1});
    stale["removed_properties"] = json!({});
    let summary = apply_events(&pool, &applied(decode("page-properties-change", &stale)))
        .await
        .unwrap();
    assert_eq!(summary.ignored, 1);
    assert_eq!(english_levels(&pool).await, (1, 0, 1));
}

#[sqlx::test(migrations = "../../migrations")]
async fn human_edit_time_and_title_are_stored(pool: PgPool) {
    let events = creation_and_level();
    apply_events(&pool, &events).await.unwrap();
    let mut bot_edit = page_change(
        "edit",
        104,
        "Page:The_Works_of_H_G_Wells_Volume_6.pdf/423",
        4_034_745,
        12_600_000,
        9,
    );
    bot_edit["performer"]["is_bot"] = json!(true);
    apply_events(&pool, &applied(decode("page_change.v1", &bot_edit)))
        .await
        .unwrap();
    let (title, human): (Option<String>, Option<chrono::DateTime<chrono::Utc>>) = sqlx::query_as(
        "SELECT title, last_human_edit_at FROM stats_page WHERE wiki = 'enwikisource' AND page_id = 4034745",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(title.as_deref(), Some("The_Works_of_H_G_Wells_Volume_6.pdf/423"));
    assert_eq!(
        human.unwrap().to_rfc3339(),
        "2022-08-23T18:34:25+00:00",
        "the bot edit is not a human edit"
    );
}
