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
    /// The page's dbkey without the namespace prefix (`Foo.djvu/12`), when the
    /// event names it; stored with the state an applied event leaves.
    pub title: Option<String>,
    /// Time of the edit when a user who is not a bot made it (creations and
    /// edits only). Stored as the page's last human edit when it is later than
    /// the stored one, whatever the other guards decide.
    pub human_edit_at: Option<DateTime<Utc>>,
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
    /// A new revision of an existing page; `redirect` is the page's redirect
    /// flag at that revision.
    Edited {
        redirect: bool,
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
    /// A level set by a `proofreadpage-qualityN` change tag. The tag does not
    /// carry the old level, so no drift can be found. The revision guard makes
    /// it a no-op when the property event came first.
    LevelTagged {
        new: Level,
    },
    /// A main-namespace page's flags as a re-check through the API found them
    /// at the event's revision.
    MainFlagsChanged {
        redirect: bool,
        disambiguation: bool,
        with_scans: bool,
        expect_without_scans: bool,
    },
    /// The `disambiguation` or `expectwithoutscans` page property of a
    /// main-namespace page changed; `None` leaves the flag as stored.
    MainPropertiesChanged {
        disambiguation: Option<bool>,
        expect_without_scans: Option<bool>,
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
            Change::LevelChanged { .. } | Change::LevelTagged { .. } => self.namespace == Namespace::Page,
            Change::MainFlagsChanged { .. } | Change::MainPropertiesChanged { .. } => self.namespace == Namespace::Main,
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
