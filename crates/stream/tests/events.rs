//! Decoding of the recorded events in tests/fixtures/eventstreams.

mod common;

use common::fixture;
use phetools_stream::{decode_event, ChangeKind, DecodedEvent, EventError};

fn change(name: &str) -> phetools_stream::ChangeEvent {
    match decode_event(&fixture(name)) {
        Ok(DecodedEvent::Change(event)) => event,
        other => panic!("{name}: expected a change event, got {other:?}"),
    }
}

#[test]
fn upload_log_event_gives_hex_sha1() {
    let event = change("json/rc-log-upload-commons-2023.json");
    assert_eq!(event.change, ChangeKind::Log);
    assert_eq!(event.log_type.as_deref(), Some("upload"));
    assert_eq!(event.log_action.as_deref(), Some("upload"));
    assert_eq!(event.wiki, "commonswiki");
    assert_eq!(event.domain, "commons.wikimedia.org");
    assert_eq!(event.namespace, 6);
    assert_eq!(
        event.title_text(),
        "Wissensturm Linz, Eingangsbereich - Panorama (06).jpg"
    );
    assert_eq!(
        event.file_sha1.as_deref(),
        Some("c6bafc12cb88488369fad574226e2b6d72617f8d")
    );
    assert_eq!(event.id.to_string(), "c118d26b-d9a7-45bf-a25a-32a6821adf66");
    assert_eq!(event.dt.unwrap().to_rfc3339(), "2023-05-25T14:10:53+00:00");
}

#[test]
fn legacy_envelope_takes_stream_from_topic() {
    let event = change("json/rc-categorize-enwikisource-2017-legacy-schema.json");
    assert_eq!(event.stream, "mediawiki.recentchange");
    assert_eq!(event.change, ChangeKind::Categorize);
    assert_eq!(event.wiki, "enwikisource");
    assert_eq!(event.title, "Category:Problematic");
    assert_eq!(event.dt.unwrap().to_rfc3339(), "2017-08-08T17:34:54+00:00");
}

#[test]
fn recentchange_new_is_create() {
    let event = change("json/rc-new-mgwiktionary-2025.json");
    assert_eq!(event.change, ChangeKind::Create);
    assert_eq!(event.rev_id, Some(36040297));
    assert_eq!(event.domain, "mg.wiktionary.org");
}

#[test]
fn page_create_uses_database_and_dbkey() {
    let event = change("json/page-create-enwikisource-Page-ns104-2022.json");
    assert_eq!(event.stream, "mediawiki.page-create");
    assert_eq!(event.change, ChangeKind::Create);
    assert_eq!(event.wiki, "enwikisource");
    assert_eq!(event.namespace, 104);
    assert_eq!(event.title, "Page:The Works of H G Wells Volume 6.pdf/423");
    assert_eq!(event.dbkey(), "The_Works_of_H_G_Wells_Volume_6.pdf/423");
    assert_eq!(event.rev_id, Some(12558576));
}

#[test]
fn page_create_from_codfw_topic() {
    let event = change("json/page-create-commons-file-2023-codfw-topic.json");
    assert_eq!(event.wiki, "commonswiki");
    assert_eq!(event.namespace, 6);
}

#[test]
fn revision_create_with_parent_is_edit() {
    let event = change("json/revision-create-metawiki-2021-codfw-topic.json");
    assert_eq!(event.stream, "mediawiki.revision-create");
    assert_eq!(event.change, ChangeKind::Edit);
    assert_eq!(event.rev_id, Some(21941944));
}

#[test]
fn page_delete_is_delete() {
    let event = change("json/page-delete-hewiki-2023-codfw-topic.json");
    assert_eq!(event.change, ChangeKind::Delete);
    assert_eq!(event.wiki, "hewiki");
}

#[test]
fn schema_example_with_broken_keys_decodes() {
    // The upstream example has `dt"` instead of `dt` in meta, so the top-level dt is used.
    let event = change("json/revision-create-2.0.0.example3.SYNTHETIC.json");
    assert_eq!(event.wiki, "my_wiki");
    assert_eq!(event.domain, "localhost");
    assert_eq!(event.title, "Test");
    assert_eq!(event.change, ChangeKind::Edit);
    assert_eq!(event.dt.unwrap().to_rfc3339(), "2017-10-17T11:48:35+00:00");
}

#[test]
fn page_change_example_lacks_meta_id() {
    let error = decode_event(&fixture("json/page_change-1.2.0.example.SYNTHETIC.json")).unwrap_err();
    assert!(
        matches!(&error, EventError::UnsupportedStream { stream, .. } if stream == "mediawiki.page_change"),
        "the example names the stream without .v1: {error}"
    );
}

#[test]
fn page_change_v1_decodes() {
    let text = fixture("json/page_change-1.2.0.example.SYNTHETIC.json").replace(
        r#""stream": "mediawiki.page_change""#,
        r#""stream": "mediawiki.page_change.v1", "id": "2bfdf58c-0765-4769-a176-7fd1a21571b3""#,
    );
    let DecodedEvent::Change(event) = decode_event(&text).unwrap() else {
        panic!("not a change event");
    };
    assert_eq!(event.change, ChangeKind::Edit);
    assert_eq!(event.wiki, "example");
    assert_eq!(event.namespace, 1);
    assert_eq!(event.title, "example");
    assert_eq!(event.rev_id, Some(2));
}

#[test]
fn canary_is_dropped() {
    assert_eq!(
        decode_event(&fixture("json/rc-canary.CONSTRUCTED.json")),
        Ok(DecodedEvent::Canary)
    );
}

#[test]
fn schema_example_without_fields_is_an_error() {
    let error = decode_event(&fixture("json/recentchange-1.0.1.example.SYNTHETIC.json")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "event without meta.id from mediawiki.recentchange: missing meta.id, type, namespace, title, wiki"
    );
}

#[test]
fn every_captured_frame_decodes() {
    for name in ["sse-sample.txt", "sse-sample-2021.txt", "wikisource-constructed.sse"] {
        for frame in phetools_stream::replay::frames_from_sse(fixture(name).as_bytes()) {
            let mut items = Vec::new();
            phetools_stream::sse::SseParser::new().feed(frame.bytes(), &mut items);
            let Some(phetools_stream::sse::SseItem::Event(event)) = items.pop() else {
                panic!("{name}: frame is not an event");
            };
            assert!(
                decode_event(&event.data).is_ok(),
                "{name}: {:?}",
                decode_event(&event.data)
            );
        }
    }
}
