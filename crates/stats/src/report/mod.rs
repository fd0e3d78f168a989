//! Statistics output for people and scripts: the pages (`/stats`,
//! `/stats/{wiki}`, the old `stats.html`, `transclusions.html`, `index.html`
//! and `not_transcluded/<code>.html`), the old graph files as SVG, and the data
//! of the JSON and CSV API. Everything is read from the tables at request time.

mod charts;
pub mod csv;
mod graphs;
mod html;
mod load;
mod not_transcluded;
mod pages;
mod wikis;

pub use graphs::{render_legacy_graph, LegacyGraph, Measure, COMPARED_WIKIS, NAKED_TEXT_WIKIS, PAGE_GRAPH_WIKIS};
pub use html::{
    render_index_html, render_not_found, render_not_transcluded_directory, render_stats_html, render_transclusions_html,
};
pub use load::{
    all_days, current_counts, daily_rows, differences, family_days, transitions, wiki_current_counts, CurrentCounts,
    DailyRow, Difference, FamilyDay, TransitionRow,
};
pub use not_transcluded::{not_transcluded, render_not_transcluded, NotTranscludedBook, NotTranscludedQuery};
pub use pages::{load_overview, load_wiki_report, render_overview, render_wiki_report, Overview, WikiReport};
pub use wikis::{configured_wikis, dbname_for_name, find_wiki, InvalidWikiName, WikiRef};
