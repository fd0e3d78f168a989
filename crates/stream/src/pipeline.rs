//! Turning parsed SSE items into a [`Batch`]: decoding, dropping canaries,
//! counting malformed events, applying the rules and decoding the statistics
//! events of Wikisource wikis. Shared by the consumer and the benchmark.

use std::time::{Duration, Instant};

use phetools_stats::events::{decode_stats_event, StatsInput, WikiDirectory};

use crate::event::{decode_event, ChangeEvent, DecodedEvent};
use crate::rules::Rules;
use crate::sse::{SseEvent, SseItem};
use crate::store::{Batch, MatchedEvent};

/// At most this many malformed-event warnings are logged per
/// [`WARNING_WINDOW`]; the rest are counted and summarized.
const WARNINGS_PER_WINDOW: u32 = 20;
const WARNING_WINDOW: Duration = Duration::from_secs(60);

pub(crate) struct EventProcessor<'a> {
    rules: &'a Rules,
    /// Wikis whose events the statistics decode.
    wikis: &'a WikiDirectory,
    warnings: WarningLimiter,
    /// `retry` value last sent by the server, in milliseconds.
    pub server_retry_ms: Option<u64>,
    /// `event: error` messages seen since the processor was created.
    pub server_error_events: u64,
}

impl<'a> EventProcessor<'a> {
    pub fn new(rules: &'a Rules, wikis: &'a WikiDirectory) -> Self {
        EventProcessor {
            rules,
            wikis,
            warnings: WarningLimiter::new(),
            server_retry_ms: None,
            server_error_events: 0,
        }
    }

    /// Adds one parser item to `batch`.
    pub fn push(&mut self, item: SseItem, batch: &mut Batch) {
        match item {
            SseItem::Event(event) => self.push_event(event, batch),
            SseItem::Comment(text) => tracing::trace!(comment = %text, "SSE comment"),
            SseItem::Retry(milliseconds) => self.server_retry_ms = Some(milliseconds),
            SseItem::Invalid(error) => {
                batch.events_seen += 1;
                batch.events_malformed += 1;
                if self.warnings.allow() {
                    tracing::warn!(%error, "dropping malformed SSE event");
                }
            }
        }
    }

    fn push_event(&mut self, event: SseEvent, batch: &mut Batch) {
        batch.events_seen += 1;
        match event.event.as_str() {
            "message" => self.push_message(event, batch),
            "error" => {
                self.server_error_events += 1;
                tracing::warn!(data = %truncate(&event.data, 500), "EventStreams sent an error event");
            }
            other => tracing::debug!(event = other, "ignoring SSE event of unknown type"),
        }
    }

    fn push_message(&mut self, event: SseEvent, batch: &mut Batch) {
        let mut dt = None;
        match decode_event(&event.data) {
            Ok(DecodedEvent::Canary) => batch.canaries_dropped += 1,
            Ok(DecodedEvent::Change(change)) => {
                dt = change.dt;
                self.push_stats(&change, &event.data, batch);
                let jobs = self.rules.jobs_for(&change);
                if !jobs.is_empty() {
                    batch.matched.push(MatchedEvent {
                        event_id: change.id,
                        wiki: change.wiki,
                        title: change.title,
                        jobs,
                    });
                }
            }
            Err(error) => {
                batch.events_malformed += 1;
                if self.warnings.allow() {
                    tracing::warn!(
                        sse_id = event.id.as_deref().unwrap_or(""),
                        event_id = error.event_id().unwrap_or(""),
                        %error,
                        "dropping malformed event"
                    );
                }
            }
        }

        if let Some(id) = event.id {
            batch.last_event_id = Some(id);
            if dt.is_some() {
                batch.last_event_dt = dt;
            }
        }
    }
}

impl EventProcessor<'_> {
    /// Decodes the statistics inputs of a Wikisource event into `batch`.
    /// recentchange events are left to the rules, and the JSON is parsed a
    /// second time only for the events that pass both filters.
    fn push_stats(&mut self, change: &ChangeEvent, data: &str, batch: &mut Batch) {
        if change.stream == "mediawiki.recentchange" || self.wikis.get(&change.wiki).is_none() {
            return;
        }
        let decoded = serde_json::from_str(data)
            .map_err(|error| error.to_string())
            .and_then(|value| decode_stats_event(change.stream, &value, self.wikis).map_err(|error| error.to_string()))
            .and_then(|inputs| validate(inputs).map_err(|error| error.to_string()));
        match decoded {
            Ok(inputs) => {
                for input in inputs {
                    match input {
                        StatsInput::Apply(event) => batch.stats_events.push(event),
                        StatsInput::Recheck(request) => batch.rechecks.push(request),
                    }
                }
            }
            Err(error) => {
                batch.events_malformed += 1;
                if self.warnings.allow() {
                    tracing::warn!(event_id = %change.id, wiki = %change.wiki, %error, "dropping a malformed statistics event");
                }
            }
        }
    }
}

/// Checks the page events, so that the batch's transaction cannot reject them.
fn validate(inputs: Vec<StatsInput>) -> Result<Vec<StatsInput>, phetools_stats::StatsError> {
    for input in &inputs {
        if let StatsInput::Apply(event) = input {
            event.validate()?;
        }
    }
    Ok(inputs)
}

fn truncate(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Lets through [`WARNINGS_PER_WINDOW`] warnings per window and logs how many
/// were suppressed when the next window opens.
struct WarningLimiter {
    window_start: Instant,
    logged: u32,
    suppressed: u64,
}

impl WarningLimiter {
    fn new() -> Self {
        WarningLimiter {
            window_start: Instant::now(),
            logged: 0,
            suppressed: 0,
        }
    }

    fn allow(&mut self) -> bool {
        if self.window_start.elapsed() >= WARNING_WINDOW {
            if self.suppressed > 0 {
                tracing::warn!(
                    suppressed = self.suppressed,
                    "more malformed events were dropped without a log line"
                );
            }
            self.window_start = Instant::now();
            self.logged = 0;
            self.suppressed = 0;
        }
        if self.logged < WARNINGS_PER_WINDOW {
            self.logged += 1;
            true
        } else {
            self.suppressed += 1;
            false
        }
    }
}
