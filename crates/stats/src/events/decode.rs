//! Decoding of EventStreams events into statistics inputs.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::directory::{WikiDirectory, WikiInfo};
use super::error::StatsEventError;
use super::{RecheckReason, RecheckRequest, StatsInput};
use crate::apply::{Change, PageEvent};
use crate::model::{Level, Namespace};

/// Page property in which ProofreadPage stores a Page: page's quality level.
const LEVEL_PROPERTY: &str = "proofread_page_quality_level";
/// Page properties of main-namespace pages set by `__DISAMBIG__` and `__EXPECTWITHOUTSCANS__`.
const DISAMBIGUATION_PROPERTY: &str = "disambiguation";
const EXPECT_WITHOUT_SCANS_PROPERTY: &str = "expectwithoutscans";
/// Prefix of ProofreadPage's change tags; the level follows (`proofreadpage-quality3`).
const QUALITY_TAG_PREFIX: &str = "proofreadpage-quality";

/// The streams [`decode_stats_event`] reads, by the name without `mediawiki.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    PropertiesChange,
    TagsChange,
    PageChange,
    PageCreate,
    PageDelete,
    PageUndelete,
    PageMove,
    /// recentchange: read by the job rules, nothing for the statistics.
    RecentChange,
}

impl Source {
    fn from_stream(stream: &str) -> Option<Source> {
        let name = stream.strip_prefix("mediawiki.").unwrap_or(stream);
        Some(match name {
            "page-properties-change" => Source::PropertiesChange,
            "revision-tags-change" => Source::TagsChange,
            "page_change.v1" => Source::PageChange,
            "page-create" => Source::PageCreate,
            "page-delete" => Source::PageDelete,
            "page-undelete" => Source::PageUndelete,
            "page-move" => Source::PageMove,
            "recentchange" => Source::RecentChange,
            _ => return None,
        })
    }

    /// JSON pointers of the wiki, page id, namespace, title and revision.
    fn pointers(self) -> PagePointers {
        match self {
            Source::PageChange => PagePointers {
                wiki: "/wiki_id",
                page_id: "/page/page_id",
                namespace: "/page/namespace_id",
                title: "/page/page_title",
                rev_id: "/revision/rev_id",
                redirect: "/page/is_redirect",
            },
            _ => PagePointers {
                wiki: "/database",
                page_id: "/page_id",
                namespace: "/page_namespace",
                title: "/page_title",
                rev_id: "/rev_id",
                redirect: "/page_is_redirect",
            },
        }
    }
}

struct PagePointers {
    wiki: &'static str,
    page_id: &'static str,
    namespace: &'static str,
    title: &'static str,
    rev_id: &'static str,
    redirect: &'static str,
}

/// Turns one EventStreams event into what the statistics do with it: page
/// events to apply and main-namespace pages to re-check through the API.
///
/// `stream` is the stream's name with or without `mediawiki.`. Events of wikis
/// missing from `wikis`, of namespaces the statistics do not count, and
/// recentchange events give an empty list. An event that lacks a field the
/// statistics need, or carries an invalid value, gives an error naming the
/// event, the field and the value.
pub fn decode_stats_event(
    stream: &str,
    event: &Value,
    wikis: &WikiDirectory,
) -> Result<Vec<StatsInput>, StatsEventError> {
    let Some(source) = Source::from_stream(stream) else {
        return Err(StatsEventError::UnsupportedStream {
            stream: stream.to_owned(),
        });
    };
    if source == Source::RecentChange || event.pointer("/meta/domain").and_then(Value::as_str) == Some("canary") {
        return Ok(Vec::new());
    }
    let pointers = source.pointers();
    let Some(wiki) = event
        .pointer(pointers.wiki)
        .and_then(Value::as_str)
        .and_then(|name| wikis.get(name))
    else {
        return Ok(Vec::new());
    };
    let reader = Reader {
        stream,
        event,
        event_id: event.pointer("/meta/id").and_then(Value::as_str).map(str::to_owned),
    };
    let page = reader.page(&pointers, wiki)?;
    match source {
        Source::PropertiesChange => properties_change(&reader, page),
        Source::TagsChange => tags_change(&reader, page),
        Source::PageChange => page_change(&reader, &pointers, page),
        Source::PageCreate => Ok(created(&reader, &pointers, page, "/performer/user_is_bot")?),
        Source::PageDelete => Ok(deleted(page)),
        Source::PageUndelete => undeleted(&reader, &pointers, page),
        Source::PageMove => Ok(moved(page, reader.optional_i64("/prior_state/page_namespace")?)),
        Source::RecentChange => Ok(Vec::new()),
    }
}

/// The fields every statistics event has, read and checked.
struct Page<'a> {
    wiki: &'a WikiInfo,
    page_id: i64,
    namespace_id: i64,
    /// dbkey without the namespace prefix.
    title: String,
    rev_id: i64,
    at: DateTime<Utc>,
}

impl Page<'_> {
    fn namespace(&self) -> Namespace {
        self.wiki.namespace(self.namespace_id)
    }

    fn event(&self, namespace: Namespace, change: Change) -> PageEvent {
        PageEvent {
            wiki: self.wiki.dbname.clone(),
            page_id: self.page_id,
            rev_id: self.rev_id,
            at: self.at,
            namespace,
            title: Some(self.title.clone()),
            human_edit_at: None,
            change,
        }
    }

    fn recheck(&self, reason: RecheckReason) -> StatsInput {
        StatsInput::Recheck(RecheckRequest {
            wiki: self.wiki.dbname.clone(),
            title: self.title.clone(),
            page_id: Some(self.page_id),
            reason,
        })
    }
}

/// Reads fields of one event and names the event in its errors.
struct Reader<'a> {
    stream: &'a str,
    event: &'a Value,
    event_id: Option<String>,
}

impl Reader<'_> {
    fn missing(&self, field: &'static str) -> StatsEventError {
        StatsEventError::Missing {
            stream: self.stream.to_owned(),
            event_id: self.event_id.clone(),
            field,
        }
    }

    fn invalid(&self, field: &'static str, value: &Value, reason: &'static str) -> StatsEventError {
        StatsEventError::Invalid {
            stream: self.stream.to_owned(),
            event_id: self.event_id.clone(),
            field,
            value: value.to_string(),
            reason,
        }
    }

    fn optional_i64(&self, pointer: &'static str) -> Result<Option<i64>, StatsEventError> {
        match self.event.pointer(pointer) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.invalid(field_name(pointer), value, "expected an integer")),
        }
    }

    fn positive_id(&self, pointer: &'static str) -> Result<i64, StatsEventError> {
        let field = field_name(pointer);
        let value = self.optional_i64(pointer)?.ok_or_else(|| self.missing(field))?;
        if value <= 0 {
            return Err(self.invalid(field, &Value::from(value), "ids are positive"));
        }
        Ok(value)
    }

    fn bool_or_false(&self, pointer: &'static str) -> Result<bool, StatsEventError> {
        match self.event.pointer(pointer) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(value)) => Ok(*value),
            Some(value) => Err(self.invalid(field_name(pointer), value, "expected true or false")),
        }
    }

    fn time(&self) -> Result<DateTime<Utc>, StatsEventError> {
        let value = self
            .event
            .pointer("/meta/dt")
            .or_else(|| self.event.get("dt"))
            .ok_or_else(|| self.missing("meta.dt"))?;
        value
            .as_str()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.with_timezone(&Utc))
            .ok_or_else(|| self.invalid("meta.dt", value, "expected an RFC 3339 time"))
    }

    fn page<'w>(&self, pointers: &PagePointers, wiki: &'w WikiInfo) -> Result<Page<'w>, StatsEventError> {
        let page_id = self.positive_id(pointers.page_id)?;
        let namespace_id = self
            .optional_i64(pointers.namespace)?
            .ok_or_else(|| self.missing(field_name(pointers.namespace)))?;
        let prefixed = self
            .event
            .pointer(pointers.title)
            .and_then(Value::as_str)
            .ok_or_else(|| self.missing(field_name(pointers.title)))?;
        Ok(Page {
            wiki,
            page_id,
            namespace_id,
            title: unprefixed_dbkey(prefixed, namespace_id),
            rev_id: self.positive_id(pointers.rev_id)?,
            at: self.time()?,
        })
    }

    /// Returns `at` when the performer is not a bot, and `None` for a bot or
    /// an event without the bot flag.
    fn human_edit_at(
        &self,
        bot_pointer: &'static str,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StatsEventError> {
        match self.event.pointer(bot_pointer) {
            Some(Value::Bool(false)) => Ok(Some(at)),
            None | Some(Value::Null) | Some(Value::Bool(true)) => Ok(None),
            Some(value) => Err(self.invalid(field_name(bot_pointer), value, "expected true or false")),
        }
    }

    fn level(&self, field: &'static str, value: &Value) -> Result<Level, StatsEventError> {
        let number = match value {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text.trim().parse::<i64>().ok(),
            _ => None,
        };
        number
            .and_then(|number| Level::new(number).ok())
            .ok_or_else(|| self.invalid(field, value, "a quality level is a number from 0 to 4"))
    }
}

/// Turns a JSON pointer into the dotted field name of error messages.
fn field_name(pointer: &'static str) -> &'static str {
    match pointer {
        "/page/page_id" => "page.page_id",
        "/page/namespace_id" => "page.namespace_id",
        "/page/page_title" => "page.page_title",
        "/page/is_redirect" => "page.is_redirect",
        "/revision/rev_id" => "revision.rev_id",
        "/prior_state/page/namespace_id" => "prior_state.page.namespace_id",
        "/prior_state/page_namespace" => "prior_state.page_namespace",
        "/performer/user_is_bot" => "performer.user_is_bot",
        "/performer/is_bot" => "performer.is_bot",
        other => other.trim_start_matches('/'),
    }
}

/// Strips the namespace prefix from a prefixed dbkey. Namespace names contain
/// no colon, so outside the main namespace the prefix ends at the first one.
fn unprefixed_dbkey(prefixed: &str, namespace_id: i64) -> String {
    let title = match prefixed.split_once(':') {
        Some((_, rest)) if namespace_id != 0 => rest,
        _ => prefixed,
    };
    title.replace(' ', "_")
}

fn properties_change(reader: &Reader<'_>, page: Page<'_>) -> Result<Vec<StatsInput>, StatsEventError> {
    let added = reader.event.get("added_properties").filter(|value| !value.is_null());
    let removed = reader.event.get("removed_properties").filter(|value| !value.is_null());
    let property = |properties: Option<&Value>, name: &str| properties.and_then(|object| object.get(name)).cloned();
    match page.namespace() {
        Namespace::Page => {
            let new = property(added, LEVEL_PROPERTY);
            let old = property(removed, LEVEL_PROPERTY);
            if new.is_none() && old.is_none() {
                return Ok(Vec::new());
            }
            let field = "added_properties.proofread_page_quality_level";
            let new = new.map(|value| reader.level(field, &value)).transpose()?;
            let field = "removed_properties.proofread_page_quality_level";
            let old = old.map(|value| reader.level(field, &value)).transpose()?;
            Ok(vec![StatsInput::Apply(
                page.event(Namespace::Page, Change::LevelChanged { old, new }),
            )])
        }
        Namespace::Main => {
            let flag = |name: &str| match (property(added, name), property(removed, name)) {
                (Some(_), _) => Some(true),
                (None, Some(_)) => Some(false),
                (None, None) => None,
            };
            let disambiguation = flag(DISAMBIGUATION_PROPERTY);
            let expect_without_scans = flag(EXPECT_WITHOUT_SCANS_PROPERTY);
            if disambiguation.is_none() && expect_without_scans.is_none() {
                return Ok(Vec::new());
            }
            let change = Change::MainPropertiesChanged {
                disambiguation,
                expect_without_scans,
            };
            Ok(vec![StatsInput::Apply(page.event(Namespace::Main, change))])
        }
        Namespace::Other => Ok(Vec::new()),
    }
}

fn tags_change(reader: &Reader<'_>, page: Page<'_>) -> Result<Vec<StatsInput>, StatsEventError> {
    if page.namespace() != Namespace::Page {
        return Ok(Vec::new());
    }
    let tags = reader.event.get("tags").ok_or_else(|| reader.missing("tags"))?;
    let tags = tags
        .as_array()
        .ok_or_else(|| reader.invalid("tags", tags, "expected a list of tag names"))?;
    let prior: Vec<&str> = reader
        .event
        .pointer("/prior_state/tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut level = None;
    for tag in tags.iter().filter_map(Value::as_str) {
        let Some(digits) = tag.strip_prefix(QUALITY_TAG_PREFIX) else {
            continue;
        };
        if prior.contains(&tag) {
            continue;
        }
        let value = Value::from(digits);
        let tagged = reader.level("tags", &value)?;
        level = level.max(Some(tagged));
    }
    Ok(level
        .map(|new| StatsInput::Apply(page.event(Namespace::Page, Change::LevelTagged { new })))
        .into_iter()
        .collect())
}

fn page_change(
    reader: &Reader<'_>,
    pointers: &PagePointers,
    page: Page<'_>,
) -> Result<Vec<StatsInput>, StatsEventError> {
    let kind = reader
        .event
        .get("page_change_kind")
        .ok_or_else(|| reader.missing("page_change_kind"))?;
    match kind.as_str() {
        Some("create") => created(reader, pointers, page, performer_bot_pointer(reader.event)),
        Some("edit") => edited(reader, pointers, page),
        Some("move") => Ok(moved(page, reader.optional_i64("/prior_state/page/namespace_id")?)),
        Some("delete") => Ok(deleted(page)),
        Some("undelete") => undeleted(reader, pointers, page),
        Some("visibility_change") => Ok(Vec::new()),
        _ => Err(reader.invalid(
            "page_change_kind",
            kind,
            "expected create, edit, move, delete, undelete or visibility_change",
        )),
    }
}

/// page_change.v1 names the bot flag `is_bot`; the older streams `user_is_bot`.
fn performer_bot_pointer(event: &Value) -> &'static str {
    if event.pointer("/performer/is_bot").is_some() {
        "/performer/is_bot"
    } else {
        "/performer/user_is_bot"
    }
}

fn created(
    reader: &Reader<'_>,
    pointers: &PagePointers,
    page: Page<'_>,
    bot_pointer: &'static str,
) -> Result<Vec<StatsInput>, StatsEventError> {
    let namespace = page.namespace();
    if namespace == Namespace::Other {
        return Ok(Vec::new());
    }
    let redirect = reader.bool_or_false(pointers.redirect)?;
    let mut event = page.event(namespace, Change::Created { redirect, level: None });
    event.human_edit_at = reader.human_edit_at(bot_pointer, page.at)?;
    let mut inputs = vec![StatsInput::Apply(event)];
    if namespace == Namespace::Main {
        inputs.push(page.recheck(RecheckReason::MainCreated));
    }
    Ok(inputs)
}

fn edited(reader: &Reader<'_>, pointers: &PagePointers, page: Page<'_>) -> Result<Vec<StatsInput>, StatsEventError> {
    let namespace = page.namespace();
    if namespace == Namespace::Other {
        if page.wiki.is_index(page.namespace_id) {
            return Ok(vec![page.recheck(RecheckReason::IndexEdited)]);
        }
        return Ok(Vec::new());
    }
    let redirect = reader.bool_or_false(pointers.redirect)?;
    let mut event = page.event(namespace, Change::Edited { redirect });
    event.human_edit_at = reader.human_edit_at(performer_bot_pointer(reader.event), page.at)?;
    let mut inputs = vec![StatsInput::Apply(event)];
    if namespace == Namespace::Main {
        inputs.push(page.recheck(RecheckReason::MainEdited));
    }
    Ok(inputs)
}

fn moved(page: Page<'_>, prior_namespace: Option<i64>) -> Vec<StatsInput> {
    let namespace = page.namespace();
    let prior = prior_namespace.map(|id| page.wiki.namespace(id));
    // A move between two uncounted namespaces changes nothing. Without the
    // prior namespace the event still applies: a stale state is harmless.
    if namespace == Namespace::Other && prior == Some(Namespace::Other) {
        return Vec::new();
    }
    let mut inputs = vec![StatsInput::Apply(page.event(namespace, Change::Moved))];
    if namespace == Namespace::Main {
        inputs.push(page.recheck(RecheckReason::MainMoved));
    }
    inputs
}

fn deleted(page: Page<'_>) -> Vec<StatsInput> {
    let namespace = page.namespace();
    if namespace == Namespace::Other {
        return Vec::new();
    }
    let mut inputs = vec![StatsInput::Apply(page.event(namespace, Change::Deleted))];
    if namespace == Namespace::Main {
        inputs.push(page.recheck(RecheckReason::MainDeleted));
    }
    inputs
}

fn undeleted(reader: &Reader<'_>, pointers: &PagePointers, page: Page<'_>) -> Result<Vec<StatsInput>, StatsEventError> {
    let namespace = page.namespace();
    if namespace == Namespace::Other {
        return Ok(Vec::new());
    }
    let redirect = reader.bool_or_false(pointers.redirect)?;
    let mut inputs = vec![StatsInput::Apply(page.event(namespace, Change::Undeleted { redirect }))];
    if namespace == Namespace::Main {
        inputs.push(page.recheck(RecheckReason::MainUndeleted));
    }
    Ok(inputs)
}
