//! Decoding of EventStreams event data into [`ChangeEvent`].
//!
//! Decoding is lenient: unknown fields are ignored and both envelopes seen on
//! the wire are accepted. The current envelope has `$schema` and
//! `meta.stream`. The one used before 2018 has `meta.schema_uri`, a `meta.dt`
//! with `+00:00` and no `meta.stream`, so the stream is taken from
//! `meta.topic` instead.
//!
//! Supported streams: `mediawiki.recentchange`, the page streams that share
//! the `database`/`page_namespace`/`page_title` fields (`page-create`,
//! `revision-create`, `page-delete`, `page-undelete`, `page-move`) and
//! `mediawiki.page_change.v1`, and `page-properties-change` and
//! `revision-tags-change`, which share the page fields too and which only the
//! statistics read (their change kind is [`ChangeKind::Other`]). Canary events (`meta.domain == "canary"`),
//! which Wikimedia injects into every MediaWiki stream at least hourly, decode
//! to [`DecodedEvent::Canary`] before any other field is looked at, because
//! canaries lack most of them.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

/// Stream names of the EventStreams service (OpenAPI spec 0.9.0) and the
/// short aliases it accepts, as `(name, canonical name)`.
const STREAM_NAMES: &[(&str, &str)] = &[
    ("mediawiki.recentchange", "mediawiki.recentchange"),
    ("recentchange", "mediawiki.recentchange"),
    ("mediawiki.page-create", "mediawiki.page-create"),
    ("page-create", "mediawiki.page-create"),
    ("mediawiki.revision-create", "mediawiki.revision-create"),
    ("revision-create", "mediawiki.revision-create"),
    ("mediawiki.page-delete", "mediawiki.page-delete"),
    ("page-delete", "mediawiki.page-delete"),
    ("mediawiki.page-undelete", "mediawiki.page-undelete"),
    ("page-undelete", "mediawiki.page-undelete"),
    ("mediawiki.page-move", "mediawiki.page-move"),
    ("page-move", "mediawiki.page-move"),
    ("mediawiki.page_change.v1", "mediawiki.page_change.v1"),
    ("mediawiki.page-properties-change", "mediawiki.page-properties-change"),
    ("page-properties-change", "mediawiki.page-properties-change"),
    ("mediawiki.revision-tags-change", "mediawiki.revision-tags-change"),
    ("revision-tags-change", "mediawiki.revision-tags-change"),
];

/// Returns the canonical name of a stream this crate can decode
/// (`recentchange` → `mediawiki.recentchange`), or `None`.
pub fn canonical_stream_name(name: &str) -> Option<&'static str> {
    STREAM_NAMES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, canonical)| *canonical)
}

/// Names accepted by [`canonical_stream_name`], for error messages.
pub fn supported_stream_names() -> impl Iterator<Item = &'static str> {
    STREAM_NAMES.iter().map(|(name, _)| *name)
}

/// Kind of page change, named as in recentchange `type` and page_change
/// `page_change_kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Edit,
    /// Page creation: recentchange `type=new`, page-create, a revision-create
    /// without parent revision, or page_change `create`.
    Create,
    /// A log entry; see [`ChangeEvent::log_type`].
    Log,
    Categorize,
    External,
    Delete,
    Undelete,
    Move,
    VisibilityChange,
    /// A value this crate does not know; no rule can match it.
    Other(String),
}

impl ChangeKind {
    /// Names that rules may use, in the order of [`ChangeKind::from_name`].
    pub const NAMES: &'static [&'static str] = &[
        "edit",
        "create",
        "log",
        "categorize",
        "external",
        "delete",
        "undelete",
        "move",
        "visibility_change",
    ];

    /// Parses a rule's change name.
    pub fn from_name(name: &str) -> Option<ChangeKind> {
        Some(match name {
            "edit" => ChangeKind::Edit,
            "create" => ChangeKind::Create,
            "log" => ChangeKind::Log,
            "categorize" => ChangeKind::Categorize,
            "external" => ChangeKind::External,
            "delete" => ChangeKind::Delete,
            "undelete" => ChangeKind::Undelete,
            "move" => ChangeKind::Move,
            "visibility_change" => ChangeKind::VisibilityChange,
            _ => return None,
        })
    }

    fn from_recentchange_type(value: &str) -> ChangeKind {
        match value {
            "new" => ChangeKind::Create,
            other => ChangeKind::from_name(other).unwrap_or_else(|| ChangeKind::Other(other.to_owned())),
        }
    }
}

/// A page change from any supported stream, reduced to what rules match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// `meta.id`, unique per event; replays are detected with it.
    pub id: Uuid,
    /// `meta.dt` (or the top-level `dt` when `meta.dt` is missing).
    pub dt: Option<DateTime<Utc>>,
    /// Canonical stream name, e.g. `mediawiki.recentchange`.
    pub stream: &'static str,
    /// Database name, e.g. `enwikisource`.
    pub wiki: String,
    /// Domain, e.g. `en.wikisource.org`.
    pub domain: String,
    pub change: ChangeKind,
    pub namespace: i32,
    /// Full title in text form (spaces, with the localized namespace prefix).
    pub title: String,
    /// Revision the change created, when the stream gives one.
    pub rev_id: Option<u64>,
    pub log_type: Option<String>,
    pub log_action: Option<String>,
    /// SHA-1 of an uploaded file as 40 lowercase hex digits, from
    /// `log_params.img_sha1` of upload log events.
    pub file_sha1: Option<String>,
}

impl ChangeEvent {
    /// Title without its namespace prefix, in text form: `Index:Foo bar.djvu`
    /// → `Foo bar.djvu`. Namespace names cannot contain a colon, so the prefix
    /// ends at the first one.
    pub fn title_text(&self) -> &str {
        if self.namespace == 0 {
            return &self.title;
        }
        match self.title.split_once(':') {
            Some((_, rest)) => rest,
            None => &self.title,
        }
    }

    /// [`ChangeEvent::title_text`] with underscores, as in a dbkey.
    pub fn dbkey(&self) -> String {
        self.title_text().replace(' ', "_")
    }
}

/// Result of decoding one event's data.
// One value exists per event and is consumed at once, so boxing the large
// variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedEvent {
    /// An artificial event (`meta.domain == "canary"`) to drop.
    Canary,
    Change(ChangeEvent),
}

/// Error decoding one event's data. Every variant carries the event's
/// `meta.id` when it could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event data is not valid JSON: {reason}")]
    NotJson { reason: String },
    #[error("event {}: data has an unexpected shape: {reason}", display_id(.event_id))]
    UnexpectedShape { event_id: Option<String>, reason: String },
    #[error("event {} from {stream}: missing {}", display_id(.event_id), .fields.join(", "))]
    MissingFields {
        event_id: Option<String>,
        stream: String,
        fields: Vec<&'static str>,
    },
    #[error("event {}: invalid {field} {value:?}: {reason}", display_id(.event_id))]
    InvalidValue {
        event_id: Option<String>,
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("event {}: stream {stream:?} is not supported by this consumer", display_id(.event_id))]
    UnsupportedStream { event_id: Option<String>, stream: String },
}

fn display_id(event_id: &Option<String>) -> &str {
    event_id.as_deref().unwrap_or("without meta.id")
}

impl EventError {
    /// Returns the event's `meta.id`, when it could be read.
    pub fn event_id(&self) -> Option<&str> {
        match self {
            EventError::NotJson { .. } => None,
            EventError::UnexpectedShape { event_id, .. }
            | EventError::MissingFields { event_id, .. }
            | EventError::InvalidValue { event_id, .. }
            | EventError::UnsupportedStream { event_id, .. } => event_id.as_deref(),
        }
    }
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "$schema")]
    schema: Option<String>,
    meta: Option<RawMeta>,
    dt: Option<String>,

    // mediawiki/recentchange
    #[serde(rename = "type")]
    rc_type: Option<String>,
    namespace: Option<i64>,
    title: Option<String>,
    wiki: Option<String>,
    log_type: Option<String>,
    log_action: Option<String>,
    // An object for uploads, but an array or a string for some log types.
    log_params: Option<serde_json::Value>,
    // recentchange {"old", "new"}; page_change {"rev_id", ...}.
    revision: Option<RawRevision>,

    // mediawiki/revision/create and the page streams
    database: Option<String>,
    page_namespace: Option<i64>,
    page_title: Option<String>,
    rev_id: Option<u64>,
    rev_parent_id: Option<u64>,

    // mediawiki/page/change
    wiki_id: Option<String>,
    page_change_kind: Option<String>,
    page: Option<RawPage>,
}

#[derive(Deserialize)]
struct RawMeta {
    id: Option<String>,
    dt: Option<String>,
    stream: Option<String>,
    domain: Option<String>,
    topic: Option<String>,
    schema_uri: Option<String>,
}

#[derive(Deserialize)]
struct RawRevision {
    new: Option<u64>,
    rev_id: Option<u64>,
}

#[derive(Deserialize)]
struct RawPage {
    namespace_id: Option<i64>,
    page_title: Option<String>,
}

/// Decodes the `data` of one EventStreams `message` event.
pub fn decode_event(data: &str) -> Result<DecodedEvent, EventError> {
    let raw: RawEvent = serde_json::from_str(data).map_err(|error| classify_json_error(data, error))?;
    let meta = raw.meta.as_ref();

    if meta.and_then(|meta| meta.domain.as_deref()) == Some("canary") {
        return Ok(DecodedEvent::Canary);
    }

    let event_id_text = meta.and_then(|meta| meta.id.clone());
    let stream_name = stream_of(&raw);
    let Some(stream_name) = stream_name else {
        return Err(EventError::MissingFields {
            event_id: event_id_text,
            stream: "an unknown stream".to_owned(),
            fields: vec!["meta.stream"],
        });
    };
    let Some(stream) = canonical_stream_name(&stream_name) else {
        return Err(EventError::UnsupportedStream {
            event_id: event_id_text,
            stream: stream_name,
        });
    };

    let fields = match stream {
        "mediawiki.recentchange" => recentchange_fields(&raw),
        "mediawiki.page_change.v1" => page_change_fields(&raw),
        _ => page_stream_fields(stream, &raw),
    };
    let (page, mut missing) = fields;

    let id = match &event_id_text {
        Some(text) => Some(Uuid::parse_str(text).map_err(|_| EventError::InvalidValue {
            event_id: event_id_text.clone(),
            field: "meta.id",
            value: text.clone(),
            reason: "expected a UUID",
        })?),
        None => {
            missing.insert(0, "meta.id");
            None
        }
    };

    let domain = meta.and_then(|meta| meta.domain.clone());
    let wiki_and_domain = resolve_wiki_and_domain(page.wiki.clone(), domain);
    if wiki_and_domain.is_none() {
        missing.push(page.wiki_field);
    }

    let (Some(id), Some((wiki, domain)), Some(change), Some(namespace), Some(title)) =
        (id, wiki_and_domain, page.change, page.namespace, page.title)
    else {
        return Err(EventError::MissingFields {
            event_id: event_id_text,
            stream: stream.to_owned(),
            fields: missing,
        });
    };

    let namespace = i32::try_from(namespace).map_err(|_| EventError::InvalidValue {
        event_id: event_id_text.clone(),
        field: page.namespace_field,
        value: namespace.to_string(),
        reason: "namespace id out of range",
    })?;

    let dt = meta
        .and_then(|meta| meta.dt.as_deref())
        .or(raw.dt.as_deref())
        .and_then(parse_dt);
    let file_sha1 = upload_sha1(&raw, &event_id_text);

    Ok(DecodedEvent::Change(ChangeEvent {
        id,
        dt,
        stream,
        wiki,
        domain,
        change,
        namespace,
        title,
        rev_id: page.rev_id,
        log_type: raw.log_type,
        log_action: raw.log_action,
        file_sha1,
    }))
}

fn classify_json_error(data: &str, error: serde_json::Error) -> EventError {
    use serde_json::error::Category;

    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => EventError::NotJson {
            reason: error.to_string(),
        },
        Category::Data => {
            // Only on this error path: parse again loosely to name the event.
            let event_id = serde_json::from_str::<serde_json::Value>(data)
                .ok()
                .and_then(|value| value.pointer("/meta/id").and_then(|id| id.as_str()).map(str::to_owned));
            EventError::UnexpectedShape {
                event_id,
                reason: error.to_string(),
            }
        }
    }
}

/// Stream name from `meta.stream`, or from the Kafka topic
/// (`eqiad.mediawiki.recentchange`), or from the old `meta.schema_uri` or
/// the `$schema` of the event.
fn stream_of(raw: &RawEvent) -> Option<String> {
    let meta = raw.meta.as_ref();
    if let Some(stream) = meta.and_then(|meta| meta.stream.as_ref()) {
        return Some(stream.clone());
    }
    if let Some(topic) = meta.and_then(|meta| meta.topic.as_deref()) {
        // Topics are `<datacenter>.<stream>`.
        if let Some((_, stream)) = topic.split_once('.') {
            return Some(stream.to_owned());
        }
    }
    let schema = meta
        .and_then(|meta| meta.schema_uri.as_deref())
        .or(raw.schema.as_deref())?;
    let schema = schema.trim_start_matches('/');
    if schema.starts_with("mediawiki/recentchange/") {
        return Some("mediawiki.recentchange".to_owned());
    }
    None
}

/// Page fields read from one stream's shape, before the wiki is resolved.
struct PageFields {
    wiki: Option<String>,
    wiki_field: &'static str,
    change: Option<ChangeKind>,
    namespace: Option<i64>,
    namespace_field: &'static str,
    title: Option<String>,
    rev_id: Option<u64>,
}

fn recentchange_fields(raw: &RawEvent) -> (PageFields, Vec<&'static str>) {
    let mut missing = Vec::new();
    let change = raw.rc_type.as_deref().map(ChangeKind::from_recentchange_type);
    if change.is_none() {
        missing.push("type");
    }
    if raw.namespace.is_none() {
        missing.push("namespace");
    }
    if raw.title.is_none() {
        missing.push("title");
    }
    let fields = PageFields {
        wiki: raw.wiki.clone(),
        wiki_field: "wiki",
        change,
        namespace: raw.namespace,
        namespace_field: "namespace",
        title: raw.title.clone(),
        rev_id: raw.revision.as_ref().and_then(|revision| revision.new),
    };
    (fields, missing)
}

fn page_stream_fields(stream: &str, raw: &RawEvent) -> (PageFields, Vec<&'static str>) {
    let mut missing = Vec::new();
    let change = match stream {
        "mediawiki.page-create" => ChangeKind::Create,
        "mediawiki.revision-create" if raw.rev_parent_id.unwrap_or(0) == 0 => ChangeKind::Create,
        "mediawiki.revision-create" => ChangeKind::Edit,
        "mediawiki.page-delete" => ChangeKind::Delete,
        "mediawiki.page-undelete" => ChangeKind::Undelete,
        "mediawiki.page-move" => ChangeKind::Move,
        other => ChangeKind::Other(other.to_owned()),
    };
    if raw.page_namespace.is_none() {
        missing.push("page_namespace");
    }
    if raw.page_title.is_none() {
        missing.push("page_title");
    }
    let fields = PageFields {
        wiki: raw.database.clone(),
        wiki_field: "database",
        change: Some(change),
        namespace: raw.page_namespace,
        namespace_field: "page_namespace",
        // These streams send the prefixed title as a dbkey.
        title: raw.page_title.as_ref().map(|title| title.replace('_', " ")),
        rev_id: raw.rev_id,
    };
    (fields, missing)
}

fn page_change_fields(raw: &RawEvent) -> (PageFields, Vec<&'static str>) {
    let mut missing = Vec::new();
    let change = raw
        .page_change_kind
        .as_deref()
        .map(|kind| ChangeKind::from_name(kind).unwrap_or_else(|| ChangeKind::Other(kind.to_owned())));
    if change.is_none() {
        missing.push("page_change_kind");
    }
    let namespace = raw.page.as_ref().and_then(|page| page.namespace_id);
    if namespace.is_none() {
        missing.push("page.namespace_id");
    }
    let title = raw.page.as_ref().and_then(|page| page.page_title.as_ref());
    if title.is_none() {
        missing.push("page.page_title");
    }
    let fields = PageFields {
        wiki: raw.wiki_id.clone(),
        wiki_field: "wiki_id",
        change,
        namespace,
        namespace_field: "page.namespace_id",
        title: title.map(|title| title.replace('_', " ")),
        rev_id: raw.revision.as_ref().and_then(|revision| revision.rev_id),
    };
    (fields, missing)
}

/// Completes a (dbname, domain) pair from whichever of the two is known.
fn resolve_wiki_and_domain(wiki: Option<String>, domain: Option<String>) -> Option<(String, String)> {
    match (wiki, domain) {
        (Some(wiki), Some(domain)) => Some((wiki, domain)),
        (Some(wiki), None) => phetools_wiki::sites::domain_for_dbname(&wiki).map(|domain| (wiki, domain)),
        (None, Some(domain)) => phetools_wiki::sites::dbname_for_domain(&domain).map(|wiki| (wiki, domain)),
        (None, None) => None,
    }
}

fn parse_dt(text: &str) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(dt) => Some(dt.with_timezone(&Utc)),
        Err(error) => {
            tracing::debug!(dt = text, %error, "ignoring an event timestamp that is not RFC 3339");
            None
        }
    }
}

/// Returns the uploaded file's SHA-1 of an upload log event, or `None`. A malformed
/// value is logged and treated as absent, so the event still produces its job.
fn upload_sha1(raw: &RawEvent, event_id: &Option<String>) -> Option<String> {
    let base36 = raw.log_params.as_ref()?.get("img_sha1")?.as_str()?;
    match sha1_base36_to_hex(base36) {
        Some(hex) => Some(hex),
        None => {
            tracing::warn!(
                event_id = event_id.as_deref().unwrap_or(""),
                img_sha1 = base36,
                "log_params.img_sha1 is not a base-36 SHA-1; the job gets no sha1"
            );
            None
        }
    }
}

/// Converts a SHA-1 in MediaWiki's base-36 form (`img_sha1`, up to 31 digits
/// 0-9a-z) to 40 lowercase hex digits. Returns `None` for other characters or
/// a value of 2^160 or more.
pub fn sha1_base36_to_hex(base36: &str) -> Option<String> {
    if base36.is_empty() || base36.len() > 31 {
        return None;
    }
    // Big-endian 160-bit number, multiplied by 36 and incremented digit by digit.
    let mut value = [0u8; 20];
    for character in base36.bytes() {
        let digit = match character {
            b'0'..=b'9' => character - b'0',
            b'a'..=b'z' => character - b'a' + 10,
            b'A'..=b'Z' => character - b'A' + 10,
            _ => return None,
        };
        let mut carry = u32::from(digit);
        for byte in value.iter_mut().rev() {
            let product = u32::from(*byte) * 36 + carry;
            *byte = (product & 0xff) as u8;
            carry = product >> 8;
        }
        if carry != 0 {
            return None;
        }
    }

    let mut hex = String::with_capacity(40);
    for byte in value {
        hex.push_str(&format!("{byte:02x}"));
    }
    Some(hex)
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ChangeKind::Edit => "edit",
            ChangeKind::Create => "create",
            ChangeKind::Log => "log",
            ChangeKind::Categorize => "categorize",
            ChangeKind::External => "external",
            ChangeKind::Delete => "delete",
            ChangeKind::Undelete => "undelete",
            ChangeKind::Move => "move",
            ChangeKind::VisibilityChange => "visibility_change",
            ChangeKind::Other(other) => other,
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_base36_known_values() {
        // SHA-1 of the empty string.
        assert_eq!(
            sha1_base36_to_hex("phoiac9h4m842xq45sp7s6u21eteeq1").as_deref(),
            Some("da39a3ee5e6b4b0d3255bfef95601890afd80709")
        );
        assert_eq!(
            sha1_base36_to_hex("0").as_deref(),
            Some("0000000000000000000000000000000000000000")
        );
        assert_eq!(
            sha1_base36_to_hex("twj4yidkw7a8pn4g709kzmfoaol3x8f").as_deref(),
            Some("ffffffffffffffffffffffffffffffffffffffff")
        );
    }

    #[test]
    fn sha1_base36_rejects_bad_input() {
        assert_eq!(sha1_base36_to_hex(""), None);
        assert_eq!(
            sha1_base36_to_hex("twj4yidkw7a8pn4g709kzmfoaol3x8g"),
            None,
            "2^160 overflows"
        );
        assert_eq!(
            sha1_base36_to_hex("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
            None,
            "32 digits"
        );
        assert_eq!(sha1_base36_to_hex("abc-def"), None);
    }

    #[test]
    fn canary_needs_only_meta_domain() {
        assert_eq!(
            decode_event(r#"{"meta":{"domain":"canary"}}"#),
            Ok(DecodedEvent::Canary)
        );
    }

    #[test]
    fn not_json_and_wrong_shape() {
        assert!(matches!(decode_event("{\"meta\":"), Err(EventError::NotJson { .. })));
        assert!(matches!(decode_event("ok"), Err(EventError::NotJson { .. })));
        let error = decode_event(r#"{"meta":{"id":"x"},"namespace":"six"}"#).unwrap_err();
        assert_eq!(error.event_id(), Some("x"));
        assert!(matches!(error, EventError::UnexpectedShape { .. }), "{error}");
        assert!(matches!(
            decode_event("[1,2]"),
            Err(EventError::UnexpectedShape { event_id: None, .. })
        ));
    }

    #[test]
    fn missing_fields_are_listed() {
        let error = decode_event(
            r#"{"meta":{"stream":"mediawiki.recentchange","domain":"en.wikisource.org","id":"e6c0cbf7-7c5f-11e7-8c28-141877613164"},"type":"edit"}"#,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "event e6c0cbf7-7c5f-11e7-8c28-141877613164 from mediawiki.recentchange: missing namespace, title"
        );
    }

    #[test]
    fn missing_stream_is_reported() {
        let error = decode_event(r#"{"meta":{"id":"e6c0cbf7-7c5f-11e7-8c28-141877613164"}}"#).unwrap_err();
        assert!(
            matches!(&error, EventError::MissingFields { fields, .. } if fields == &vec!["meta.stream"]),
            "{error}"
        );
    }

    #[test]
    fn invalid_event_id_is_reported() {
        let error = decode_event(
            r#"{"meta":{"stream":"mediawiki.recentchange","domain":"x.org","id":"not-a-uuid"},"type":"edit","namespace":0,"title":"A","wiki":"xwiki"}"#,
        )
        .unwrap_err();
        assert!(
            matches!(error, EventError::InvalidValue { field: "meta.id", .. }),
            "{error}"
        );
    }

    #[test]
    fn unsupported_stream_is_reported() {
        let error = decode_event(r#"{"meta":{"stream":"eventgate-main.test.event","id":"x"}}"#).unwrap_err();
        assert!(matches!(error, EventError::UnsupportedStream { .. }), "{error}");
    }

    #[test]
    fn title_text_strips_namespace_prefix() {
        let DecodedEvent::Change(event) = decode_event(
            r#"{"meta":{"stream":"mediawiki.recentchange","domain":"fr.wikisource.org","id":"e6c0cbf7-7c5f-11e7-8c28-141877613164"},"type":"new","namespace":112,"title":"Livre:Les Misérables: tome 1.djvu","wiki":"frwikisource"}"#,
        )
        .unwrap() else {
            panic!("not a change event");
        };
        assert_eq!(event.title_text(), "Les Misérables: tome 1.djvu");
        assert_eq!(event.dbkey(), "Les_Misérables:_tome_1.djvu");
        assert_eq!(event.change, ChangeKind::Create);
    }

    #[test]
    fn canonical_stream_names() {
        assert_eq!(canonical_stream_name("recentchange"), Some("mediawiki.recentchange"));
        assert_eq!(
            canonical_stream_name("mediawiki.page-create"),
            Some("mediawiki.page-create")
        );
        assert_eq!(canonical_stream_name("mediawiki.page-links-change"), None);
    }
}
