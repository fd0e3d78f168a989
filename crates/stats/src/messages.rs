//! User-facing messages of the statistics crate, in one place for translation.

pub(crate) fn invalid_level(value: i64) -> String {
    format!("invalid quality level {value}: ProofreadPage levels are 0 to 4")
}

pub(crate) fn unknown_namespace_column(value: &str) -> String {
    format!("stats_page holds the unknown namespace {value:?}; expected page, main or other (check the migrations)")
}

pub(crate) fn event_without_wiki(page_id: i64) -> String {
    format!("statistics event for page id {page_id} has no wiki database name")
}

pub(crate) fn event_ids_not_positive(wiki: &str, page_id: i64, rev_id: i64) -> String {
    format!("statistics event on {wiki} has page id {page_id} and revision id {rev_id}; both must be positive")
}

pub(crate) fn event_in_wrong_namespace(wiki: &str, page_id: i64, namespace: &str) -> String {
    format!(
        "statistics event on {wiki} page id {page_id} is in the {namespace} namespace, which this kind of change \
         cannot concern (level changes need the Page namespace, main-namespace flags the main namespace)"
    )
}

pub(crate) fn history_line(line: usize, detail: &str) -> String {
    format!("history line {line}: {detail}")
}

pub(crate) const HISTORY_NOT_A_TUPLE: &str = "expected a tuple (time, {wiki: figures})";
pub(crate) const HISTORY_NOT_A_DICT: &str = "the second item must be a dict of wiki figures";
pub(crate) const HISTORY_EMPTY_CODE: &str = "empty wiki code";

pub(crate) fn history_tuple_length(items: usize) -> String {
    format!("expected a tuple of 2 items (time, dict), found {items} items")
}

pub(crate) fn history_code_not_string(key: &str) -> String {
    format!("wiki code {key} is not a string")
}

pub(crate) fn history_figures_not_tuple(code: &str) -> String {
    format!("figures of {code:?} are not a tuple")
}

pub(crate) fn history_field_count(code: &str, fields: usize) -> String {
    format!("figures of {code:?} have {fields} fields; expected 7 or 8")
}

pub(crate) fn history_invalid_value(code: &str, field: usize, value: &str) -> String {
    format!("field {field} of {code:?} is {value}; expected an integer, None or []")
}

pub(crate) fn history_time_not_number(time: &str) -> String {
    format!("the time {time} is not a number")
}

pub(crate) fn history_time_out_of_range(time: &str) -> String {
    format!("the time {time} is not a Unix time between 1970 and 9999")
}

pub(crate) fn history_not_utf8(line: usize) -> String {
    format!("history line {line}: not valid UTF-8; the file must be the old tool's new_stats.py, optionally gzipped")
}

pub(crate) fn history_empty(path: &str) -> String {
    format!("the history file {path} has no lines; check that it is the old tool's new_stats.py")
}

pub(crate) fn benchmark_needs_events(events: usize, batch_size: usize) -> String {
    format!("the statistics benchmark needs at least one event and a batch size of at least 1, got {events} events and batch size {batch_size}")
}

/// Reason of a rejected `statistics.php` parameter, sent with HTTP 400.
pub(crate) fn invalid_diff(value: &str) -> String {
    format!("invalid diff {value:?}: use 0, 1, 7, 30 or 365")
}

pub(crate) fn invalid_days_ago(value: &str, max: u32) -> String {
    format!("invalid daysago {value:?}: use a whole number of days from 0 to {max}")
}

pub(crate) fn legacy_heading_counts(as_of: &str) -> String {
    format!("Statistics on {as_of}")
}

pub(crate) fn legacy_heading_difference(from: &str, to: &str) -> String {
    format!("Difference between {from} and {to}")
}

pub(crate) const LEGACY_TITLE: &str = "ProofreadPage Statistics";

pub(crate) fn invalid_wiki_name(raw: &str) -> String {
    format!(
        "invalid wiki {raw:?}: expected a database name such as frwikisource, a code such as fr or old, \
         or a domain such as fr.wikisource.org"
    )
}

// Titles and labels of the statistics pages and charts.

pub(crate) const OVERVIEW_TITLE: &str = "Wikisource statistics";
pub(crate) const CURRENT_COUNTS_HEADING: &str = "Current counts";
pub(crate) const CHARTS_HEADING: &str = "Charts";
pub(crate) const NO_CURRENT_COUNTS: &str = "No counts are stored yet.";
pub(crate) const PAGE_NAMESPACE: &str = "Page namespace";
pub(crate) const MAIN_NAMESPACE: &str = "Main namespace";
pub(crate) const TOTAL: &str = "total";
pub(crate) const ALL_WIKIS_LINK: &str = "Statistics of every Wikisource";

/// Column headers of the counts tables: label and CSS class.
pub(crate) const COUNTS_COLUMNS: [(&str, &str); 12] = [
    ("wiki", ""),
    ("all pages", ""),
    ("not proofread", "quality1"),
    ("problematic", "quality2"),
    ("without text", "quality0"),
    ("proofread", "quality3"),
    ("validated", "quality4"),
    ("all texts", ""),
    ("with scans", "withscans"),
    ("without scans", "naked"),
    ("disambiguation", "disamb"),
    ("percent with scans", ""),
];

pub(crate) const FAMILY_LEVELS_TITLE: &str = "Page: pages per quality level, every Wikisource";
pub(crate) const FAMILY_PER_DAY_TITLE: &str = "Pages proofread and validated per day, every Wikisource";
pub(crate) const FAMILY_TEXTS_TITLE: &str = "Texts with and without scans, every Wikisource";

pub(crate) const LINK_JSON: &str = "JSON";
pub(crate) const LINK_CSV: &str = "CSV";
pub(crate) const LINK_COUNTS_JSON: &str = "counts as JSON";
pub(crate) const LINK_COUNTS_CSV: &str = "counts as CSV";
pub(crate) const LINK_DIFF_JSON: &str = "change in a day as JSON";
pub(crate) const LINK_DIFF_CSV: &str = "change in a day as CSV";
pub(crate) const LINK_NOT_TRANSCLUDED: &str = "books with pages no text transcludes";
pub(crate) const LINK_NOT_TRANSCLUDED_CSV: &str = "the same as CSV";

/// Links of the navigation bar of the new pages.
pub(crate) const NAVIGATION: [(&str, &str); 5] = [
    ("/stats", "All wikis"),
    ("/statistics.php", "Table"),
    ("/stats.html", "Proofreading graphs"),
    ("/transclusions.html", "Transclusion graphs"),
    ("/not_transcluded/", "Not transcluded"),
];

pub(crate) fn counts_as_of(time: &str) -> String {
    format!("Counts as of {time}")
}

pub(crate) fn daily_row_of(day: &str) -> String {
    format!("Daily row of {day}")
}

pub(crate) fn wiki_title(domain: &str) -> String {
    format!("Statistics of {domain}")
}

pub(crate) fn levels_title(domain: &str) -> String {
    format!("Page: pages per quality level, {domain}")
}

pub(crate) fn per_day_wiki_title(domain: &str) -> String {
    format!("Pages proofread and validated per day, {domain}")
}

pub(crate) fn texts_title(domain: &str) -> String {
    format!("Texts with and without scans, {domain}")
}

pub(crate) fn per_day_title(validated: bool, family: bool) -> String {
    let quantity = if validated {
        "Pages validated per day"
    } else {
        "Pages proofread per day"
    };
    if family {
        format!("{quantity}, every Wikisource")
    } else {
        quantity.to_owned()
    }
}

pub(crate) fn cumulative_title(measure: crate::report::Measure) -> String {
    match measure {
        crate::report::Measure::AllPages => "All Page: pages".to_owned(),
        crate::report::Measure::Proofread => "Proofread and validated Page: pages".to_owned(),
        crate::report::Measure::Validated => "Validated Page: pages".to_owned(),
    }
}

pub(crate) const TEXTS_WITH_SCANS_TITLE: &str = "Texts with scans";
pub(crate) const PERCENT_WITH_SCANS_TITLE: &str = "Percent of texts with scans";
pub(crate) const SERIES_WITHOUT_SCANS: &str = "without scans";
pub(crate) const SERIES_ALL_WIKIS: &str = "all wikis";

pub(crate) fn naked_texts_title(domain: &str) -> String {
    format!("Texts without scans, {domain}")
}

pub(crate) fn graph_alt(file_name: &str) -> String {
    format!("graph {file_name}")
}

pub(crate) const STATS_HTML_TITLE: &str = "Wikisource proofreading statistics";
pub(crate) const STATS_HTML_INTRO: &str = "Pages of the Page namespace per ProofreadPage quality level on each \
Wikisource. Each graph links to its full size; the graphs are drawn from the stored counts on each request.";
pub(crate) const PER_DAY_HEADING: &str = "Pages proofread and validated per day";
pub(crate) const PER_DAY_NOTE: &str = "Exact counts of level changes per UTC day, all wikis together, then per wiki. \
They start when phetools began to follow the changes; the imported history has no per-day figures.";
pub(crate) const COMPARED_HEADING: &str = "All, proofread and validated pages, wikis compared";
pub(crate) const COMPARED_NOTE: &str = "Linear scale above, logarithmic scale below. Days that the old graphs \
marked as wrong data are left out.";
pub(crate) const PER_WIKI_PAGES_HEADING: &str = "Pages per quality level, per wiki";

pub(crate) const TRANSCLUSIONS_HTML_TITLE: &str = "Wikisource transclusion statistics";
pub(crate) const TRANSCLUSIONS_HTML_INTRO: &str = "Texts of the main namespace that transclude Page: pages \
(with scans), and the other texts. Wikis that keep author pages in the main namespace show a lower percent.";
pub(crate) const TEXTS_COMPARED_HEADING: &str = "Texts with scans, wikis compared";
pub(crate) const TEXTS_PER_WIKI_HEADING: &str = "Texts with scans, per wiki";
pub(crate) const NAKED_TEXTS_HEADING: &str = "Texts without scans";

/// Links under the old graph pages.
pub(crate) const LEGACY_PAGE_LINKS: [(&str, &str); 5] = [
    ("statistics.php", "Today's table"),
    ("statistics.php?diff=1", "Today's increase"),
    ("stats.html", "Proofreading graphs"),
    ("transclusions.html", "Transclusion graphs"),
    ("stats", "Statistics with data downloads"),
];

pub(crate) const INDEX_TITLE: &str = "phetools";

/// Links of `index.html`.
pub(crate) const INDEX_LINKS: [(&str, &str); 8] = [
    ("statistics.php", "Statistics table"),
    ("statistics.php?diff=1", "Statistics: today's increase"),
    ("stats.html", "Proofreading graphs"),
    ("transclusions.html", "Transclusion graphs"),
    ("stats", "Statistics per wiki, with JSON and CSV"),
    (
        "not_transcluded/",
        "Books with proofread pages that no text transcludes",
    ),
    ("status", "Job queue status"),
    ("healthz", "Health check"),
];

pub(crate) fn not_transcluded_title(domain: &str) -> String {
    format!("{domain}: proofread pages not transcluded")
}

pub(crate) const NOT_TRANSCLUDED_INTRO: &str = "Books with at least 5 Page: pages at level 3 or 4 that no text \
transcludes, and whose pages no person edited in the last 30 days (bot edits do not count). Largest first.";
pub(crate) const NOT_TRANSCLUDED_EMPTY: &str = "No book meets these conditions.";
pub(crate) const CHECK_PAGES: &str = "Check pages";
pub(crate) const NOT_TRANSCLUDED_DIRECTORY_TITLE: &str = "Proofread pages not transcluded, per wiki";
pub(crate) const NOT_FOUND_TITLE: &str = "Not found";
pub(crate) fn unknown_stats_wiki(wiki: &str) -> String {
    format!("no statistics settings for {wiki}: stats_wiki has no row for it; add the wiki there before counting it")
}

pub(crate) fn quality_categories_count(wiki: &str, found: usize) -> String {
    format!("stats_wiki.quality_categories of {wiki} has {found} names; expected 5, one per quality level 0-4")
}

pub(crate) fn recount_missing_field(wiki: &str, field: &str) -> String {
    format!("unexpected API response from {wiki}: no {field}; check that the API URL points at a MediaWiki Action API")
}

pub(crate) fn recount_over_budget(wiki: &str, budget: u32) -> String {
    format!(
        "the recount of {wiki} stopped before exceeding its budget of {budget} requests; \
         nothing was repaired. A wiki that transcludes its Page: pages more than twice on average needs a larger budget"
    )
}

/// Edit summary of the on-wiki statistics templates.
pub(crate) const TEMPLATE_SUMMARY: &str = "Bot: update statistics";

pub(crate) fn invalid_job_payload(kind: &str, detail: &str) -> String {
    format!("invalid {kind} job payload: {detail}; expected {{\"wiki\": \"<database name>\", \"day\": \"YYYY-MM-DD\"}}")
}

pub(crate) fn no_counts_for_templates(wiki: &str) -> String {
    format!("no counts for {wiki} in stats_wiki_count: the templates are saved only after a first recount or event")
}

pub(crate) fn invalid_stats_setting(key: &str, detail: &str) -> String {
    format!("invalid [stats] {key}: {detail}")
}

fn event_name(stream: &str, event_id: Option<&str>) -> String {
    format!("{stream} event {}", event_id.unwrap_or("without meta.id"))
}

pub(crate) fn stats_event_missing(stream: &str, event_id: Option<&str>, field: &str) -> String {
    format!(
        "{} has no {field}; the statistics cannot use it (the event is counted as malformed and skipped)",
        event_name(stream, event_id)
    )
}

pub(crate) fn stats_event_invalid(
    stream: &str,
    event_id: Option<&str>,
    field: &str,
    value: &str,
    reason: &str,
) -> String {
    format!(
        "{} has {field} = {value}: {reason}; the event is counted as malformed and skipped",
        event_name(stream, event_id)
    )
}

pub(crate) fn stats_event_unsupported(stream: &str) -> String {
    format!(
        "the statistics do not decode the stream {stream:?}; use page-properties-change, revision-tags-change, \
         page_change.v1, page-create, page-delete, page-undelete or page-move"
    )
}

pub(crate) fn benchmark_needs_pages() -> String {
    "the recount benchmark needs a wiki of at least one page; pass a positive page count".to_owned()
}

pub(crate) fn recheck_invalid_payload(detail: &str) -> String {
    format!(
        "invalid stats_recheck payload: {detail}; expected {{\"wiki\": dbname, \"title\": dbkey, \"page_id\": id or null, \
         \"reason\": main_created, main_edited, main_moved, main_deleted, main_undeleted or index_edited}}"
    )
}

pub(crate) fn recheck_unknown_wiki(wiki: &str) -> String {
    format!("stats_recheck names the wiki {wiki:?}, which is not a Wikisource of the statistics (stats_wiki or the shipped namespace table)")
}

pub(crate) fn recheck_wiki_failed(wiki: &str, error: &str) -> String {
    format!("reading pages of {wiki} for the statistics failed: {error}")
}

pub(crate) fn recheck_store_failed(wiki: &str, error: &str) -> String {
    format!("storing the re-checked pages of {wiki} failed: {error}")
}

pub(crate) fn config_unexpected(wiki: &str, detail: &str) -> String {
    format!(
        "meta=proofreadinfo of {wiki} has an unexpected shape ({detail}); the shipped namespace table is used instead"
    )
}
