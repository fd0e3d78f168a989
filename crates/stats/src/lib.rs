//! Wikisource statistics: per-page state and counts kept live from
//! EventStreams, the API re-checks they need, history, tables and charts.
//!
//! * [`apply`] applies decoded page events (created, edited, deleted, undeleted, moved,
//!   quality level changed, main-namespace flags changed) to the per-page state
//!   and the per-wiki counts in one transaction, guarded by revision ids so that
//!   duplicate and out-of-order events change nothing.
//! * [`events`] decodes EventStreams events (page properties, revision tags,
//!   page lifecycle) into page events and re-check requests.
//! * [`recheck`] is the `stats_recheck` job, which reads transclusions and
//!   flags of main-namespace pages through the API.
//! * [`wiki_config`] fills `stats_wiki` from `meta=proofreadinfo` daily.
//! * [`snapshot`] copies the counts into the daily snapshot table.
//! * [`history`] parses and imports the old tool's history file
//!   (`new_stats.py`, one Python 2 literal per line) without evaluating it.
//! * [`legacy`] renders the `statistics.php` table and the values of the
//!   on-wiki templates (`ALL_PAGES`, `PAGES_NOT_PROOFREAD`, `PR_TEXTS`,
//!   `ALL_TEXTS`, `PR_PERCENT`).
//! * [`svg`] draws the charts as deterministic SVG.
//! * [`report`] reads the tables for the statistics pages, the old graph URLs
//!   and the JSON and CSV API, and renders the pages.
//! * [`recount`] counts a wiki again through the Action API within a stated
//!   request budget, records the drift and repairs the stored state. Its
//!   cross-check compares the quality categories with the stored counts.
//! * [`onwiki`] saves the on-wiki templates through the bot.
//! * [`jobs`] contains the queue handlers `stats_daily` and `stats_recount`.
//! * [`bench_apply`] measures event application and
//!   [`recount::bench_recount`] the request count of a recount, for `phetools bench`.
//!
//! The tables are created by `migrations/0008_stats.sql` and
//! `migrations/0009_stats_live.sql`.

pub mod apply;
mod bench;
mod error;
pub mod events;
pub mod history;
pub mod jobs;
pub mod legacy;
mod markup;
mod messages;
mod model;
pub mod onwiki;
pub mod recheck;
pub mod recount;
pub mod report;
pub mod snapshot;
pub mod svg;
mod wiki;
pub mod wiki_config;

pub use bench::{bench_apply, ApplyBenchReport};
pub use error::StatsError;
pub use events::{decode_stats_event, RecheckReason, RecheckRequest, StatsEventError, StatsInput, WikiDirectory};
pub use model::{Counts, Level, Namespace};
pub use wiki::dbname_for_code;
