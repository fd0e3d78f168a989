//! Page events as the statistics apply them, decoded from EventStreams by the caller.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::StatsError;
use crate::messages;
use crate::model::{Level, Namespace};

/// One change to one page of a wiki.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageEvent {
    /// Database name of the wiki, such as `frwikisource`.
    pub wiki: String,
    pub page_id: i64,
    /// The revision the event is about: the new revision of an edit, the
    /// latest revision of a deleted, undeleted or moved page.
    pub rev_id: i64,
    /// Event time (`meta.dt`). It orders lifecycle events that carry the same
    /// revision, such as a deletion and the undeletion that follows it, and its
    /// UTC day is the day of a level transition.
    pub at: DateTime<Utc>,
    /// The page's namespace after the event; for a move, the destination.
    pub namespace: Namespace,
    pub change: Change,
}

/// The change an event reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Change {
    /// The page was created, with its level when the same event carries it.
    Created {
        redirect: bool,
        level: Option<Level>,
    },
    Deleted,
    /// The page came back with the level and flags it had before deletion.
    Undeleted {
        redirect: bool,
    },
    /// The page now lives in [`PageEvent::namespace`].
    Moved,
    /// The `proofread_page_quality_level` page property changed from `old` to `new`.
    LevelChanged {
        old: Option<Level>,
        new: Option<Level>,
    },
    /// A main-namespace page's redirect, disambiguation or with-scans flag
    /// changed, as a re-check through the API found it.
    MainFlagsChanged {
        redirect: bool,
        disambiguation: bool,
        with_scans: bool,
    },
}

impl PageEvent {
    /// Checks the fields that the database cannot check before the batch is written.
    pub fn validate(&self) -> Result<(), StatsError> {
        if self.wiki.is_empty() {
            return Err(StatsError::InvalidEvent(messages::event_without_wiki(self.page_id)));
        }
        if self.page_id <= 0 || self.rev_id <= 0 {
            return Err(StatsError::InvalidEvent(messages::event_ids_not_positive(
                &self.wiki,
                self.page_id,
                self.rev_id,
            )));
        }
        let namespace_fits = match self.change {
            Change::LevelChanged { .. } => self.namespace == Namespace::Page,
            Change::MainFlagsChanged { .. } => self.namespace == Namespace::Main,
            _ => true,
        };
        if !namespace_fits {
            return Err(StatsError::InvalidEvent(messages::event_in_wrong_namespace(
                &self.wiki,
                self.page_id,
                self.namespace.as_str(),
            )));
        }
        Ok(())
    }
}
