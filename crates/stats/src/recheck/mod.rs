//! The `stats_recheck` job: reads a main-namespace page's transclusions and
//! flags from the wiki, replaces its `stats_transclusion` rows and applies a
//! [`Change::MainFlagsChanged`](crate::apply::Change::MainFlagsChanged). For
//! an edited Index page it re-checks every main-namespace page embedding it.

mod job;

pub use job::{recheck_job, RECHECK_JOB_KIND, RECHECK_PRIORITY};
