//! The `stats_recheck` job: reads a main-namespace page's transclusions and
//! flags from the wiki, replaces its `stats_transclusion` rows and applies a
//! [`Change::MainFlagsChanged`](crate::apply::Change::MainFlagsChanged). For
//! an edited Index page it re-checks every main-namespace page embedding it.
//!
//! Pages are read by page id when the request has one, so a page moved since
//! the event is still found. A page the API reports missing loses its rows.

mod handler;
mod job;
mod read;
mod store;

pub use handler::RecheckHandler;
pub use job::{recheck_job, RECHECK_JOB_KIND, RECHECK_PRIORITY};
