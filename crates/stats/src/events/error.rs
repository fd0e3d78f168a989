//! Errors of statistics event decoding.

use crate::messages;

/// An event the statistics cannot use. The stream consumer counts it as
/// malformed and goes on with the batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsEventError {
    #[error("{}", messages::stats_event_missing(.stream, .event_id.as_deref(), .field))]
    Missing {
        stream: String,
        event_id: Option<String>,
        field: &'static str,
    },
    #[error("{}", messages::stats_event_invalid(.stream, .event_id.as_deref(), .field, .value, .reason))]
    Invalid {
        stream: String,
        event_id: Option<String>,
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("{}", messages::stats_event_unsupported(.stream))]
    UnsupportedStream { stream: String },
}

impl StatsEventError {
    /// Returns the event's `meta.id`, when it could be read.
    pub fn event_id(&self) -> Option<&str> {
        match self {
            StatsEventError::Missing { event_id, .. } | StatsEventError::Invalid { event_id, .. } => {
                event_id.as_deref()
            }
            StatsEventError::UnsupportedStream { .. } => None,
        }
    }
}
