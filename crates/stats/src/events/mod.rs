//! Statistics inputs decoded from EventStreams events.
//!
//! [`decode_stats_event`] reads one event of these streams:
//!
//! * `mediawiki.page-properties-change`: the Page: page's quality level
//!   (`proofread_page_quality_level`, new value in `added_properties`, old in
//!   `removed_properties`), and the `disambiguation` and `expectwithoutscans`
//!   properties of main-namespace pages;
//! * `mediawiki.revision-tags-change`: the `proofreadpage-qualityN` tag that
//!   ProofreadPage adds to a revision that creates a Page: page or changes its
//!   level, a second source of the new level;
//! * `mediawiki.page_change.v1` and the older `page-create`, `page-delete`,
//!   `page-undelete` and `page-move`: creations, edits (redirect flag, human
//!   edit time), moves, deletions and undeletions.
//!
//! No stream reports template links, so a main-namespace page that was created,
//! edited, moved, deleted or undeleted, and every page embedding an edited
//! Index page, is re-checked through the API: each of those events also gives
//! a [`RecheckRequest`].

mod decode;
mod directory;
mod error;

pub use decode::decode_stats_event;
pub use directory::{is_wikisource, WikiDirectory, WikiInfo};
pub use error::StatsEventError;

use serde::{Deserialize, Serialize};

use crate::apply::PageEvent;

/// A statistics input decoded from one event: a page event or a re-check.
#[derive(Debug, Clone, PartialEq)]
pub enum StatsInput {
    /// A page event to apply with [`crate::apply::apply_events`].
    Apply(PageEvent),
    /// A page whose transclusions and flags must be read from the wiki.
    Recheck(RecheckRequest),
}

/// A main-namespace page (or an Index page, whose embedding pages are meant)
/// to re-check through the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecheckRequest {
    /// Database name of the wiki.
    pub wiki: String,
    /// dbkey of the main-namespace page; for [`RecheckReason::IndexEdited`],
    /// the Index page's dbkey without its prefix.
    pub title: String,
    pub page_id: Option<i64>,
    pub reason: RecheckReason,
}

/// The reason for a re-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecheckReason {
    MainCreated,
    MainEdited,
    MainMoved,
    MainDeleted,
    MainUndeleted,
    /// An Index page changed: re-check every main-namespace page embedding it.
    IndexEdited,
}

impl RecheckRequest {
    /// Returns `true` when the request names an Index page rather than a main-namespace page.
    pub fn is_index(&self) -> bool {
        self.reason == RecheckReason::IndexEdited
    }
}
