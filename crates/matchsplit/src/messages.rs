//! User-facing texts of Match & Split, extract and verify, kept in one place so
//! that they can be translated later.

pub fn verify_rules_unreadable(path: &str, reason: &str) -> String {
    format!("cannot read the verify rules file {path}: {reason}")
}

pub fn verify_rules_invalid(source: &str, reason: &str) -> String {
    format!(
        "invalid verify rules in {source}: {reason}; the format is documented in crates/matchsplit/src/verify/rules.rs"
    )
}

pub fn verify_rules_default_missing(default: &str) -> String {
    format!(
        "`default` names {default:?}, which has no [wiki.{default:?}] table; add the table or name a wiki that has one"
    )
}

pub fn page_marked_twice() -> String {
    "the main page marks this Page twice; only the text after its first marker is used".to_owned()
}

pub fn quality_unknown() -> String {
    "the Page exists and its quality level cannot be read (no <pagequality> in its text); \
     it is left as it is so that no transcription is lost"
        .to_owned()
}

pub fn quality_protected(level: u8) -> String {
    format!(
        "the Page exists at quality level {level}; Split overwrites only level 1 (not proofread) Pages, \
         so edit it by hand if its text must change"
    )
}

pub fn no_covering_pages_tag(file: &str, page: u32) -> String {
    format!("no <pages index=\"{file}\"> tag there covers page {page}")
}

pub fn section_already_set(attribute: &str, existing: &str, expected: &str) -> String {
    format!("its <pages> tag already has {attribute}={existing}, so {attribute}={expected} was not added")
}

pub fn referring_not_adjusted(title: &str, reason: &str) -> String {
    format!("{title} transcludes this Page but was not adjusted to its old section: {reason}; check it by hand")
}

pub fn referring_not_adjusted_no_number(title: &str) -> String {
    format!("{title} has no page number, so the pages transcluding it were not adjusted; check them by hand")
}

pub fn invalid_payload(kind: &str, payload: &serde_json::Value, reason: &str) -> String {
    format!(
        "invalid {kind} payload {payload}: {reason}; expected {{\"wiki\": domain, \"title\": page title, \"user\": user name}}"
    )
}

pub fn empty_payload_field(kind: &str, field: &str) -> String {
    format!("invalid {kind} payload: \"{field}\" is empty; give a non-empty value")
}

pub fn text_layer_failed(file: &str, reason: &str) -> String {
    format!("unable to read the text layer of File:{file}: {reason}; if the file exists, please retry")
}

pub fn not_last_editor(user: &str, title: &str, last_user: &str) -> String {
    let last = if last_user.is_empty() {
        "a hidden user".to_owned()
    } else {
        last_user.to_owned()
    };
    format!(
        "{title} was last edited by {last}, not by {user}; the bot edits in the name of the requesting user, \
         so only the author of the latest revision may run it: save the page as {user} and retry"
    )
}

pub fn main_page_missing(title: &str) -> String {
    format!("failed to get page {title}: it does not exist; check the title")
}

pub fn r2mondes_unsupported() -> String {
    "the page uses {{R2Mondes}}; Match of Revue des Deux Mondes pages is not supported by this version of the tool"
        .to_owned()
}

pub fn match_summary(user: &str) -> String {
    format!("{user}: match")
}

pub fn split_summary(user: &str) -> String {
    format!("{user}: split")
}

/// Edit summary of extract_text_layer.
pub const EXTRACT_SUMMARY: &str = "extract text";

pub fn match_not_saved(reason: &str) -> String {
    format!("match succeeded but the page was not saved: {reason}")
}

pub fn no_split_markers(title: &str) -> String {
    format!(
        "no split marker found in {title}; Split needs lines ==[[Page:<File>/<n>]]== each followed by a newline, \
         as Match writes them"
    )
}

pub fn main_kept_after_failures(pages: usize) -> String {
    format!(
        "{pages} Page(s) were not saved, so the main page keeps its markers: they hold the only copy of that text; \
         fix the pages listed as conflict or failed and run split again"
    )
}

pub fn page_not_read(title: &str) -> String {
    format!("{title} was planned for an edit but was not read; report this as a bug")
}

pub fn extract_target_taken(title: &str, last_user: &str) -> String {
    format!(
        "{title} was last edited by {last_user}, so extract does not overwrite it; \
         move or blank it yourself, then run extract again"
    )
}

pub fn extract_not_saved(reason: &str) -> String {
    format!("the text layer was extracted but not saved: {reason}")
}

pub fn no_pages_of_book(page_namespace: &str, book: &str) -> String {
    format!("no page {page_namespace}:{book}/<n> exists; check the book title")
}

pub fn verify_not_saved(reason: &str) -> String {
    format!("the differences were found but the report was not saved: {reason}")
}

pub fn missing_parameter(name: &str) -> String {
    format!("missing parameter \"{name}\"; give it a non-empty value")
}

pub fn invalid_lang(lang: &str) -> String {
    format!("invalid lang {lang:?}: expected a Wikisource language code such as fr, en or zh-min-nan")
}

pub fn invalid_body(reason: &str) -> String {
    format!(
        "invalid request body: {reason}; expected JSON {{\"wiki\": \"fr.wikisource.org\", \"title\": …, \"user\": …}}"
    )
}

pub fn enqueue_failed(kind: &str) -> String {
    format!("the {kind} request could not be queued because the database is unreachable; please try again later")
}

pub fn job_still_running(kind: &str, status_path: &str, waited_seconds: u64) -> String {
    format!(
        "the {kind} job is not finished after {waited_seconds} s; it goes on, and GET {status_path} on this server \
         shows its state and, once finished, the outcome of every page"
    )
}

pub fn job_wait_failed(status_path: &str) -> String {
    format!("the job was queued but waiting for it failed; GET {status_path} on this server shows its state")
}

pub fn job_cancelled(status_path: &str) -> String {
    format!("the job was cancelled before it finished; GET {status_path} on this server shows what it did")
}

pub fn split_incomplete(failed_pages: &[String]) -> String {
    format!(
        "split did not save {} page(s): {}; the other pages were saved, and the main page keeps its markers \
         when a Page was not saved",
        failed_pages.len(),
        failed_pages.join("; ")
    )
}

pub fn invalid_legacy_wait(seconds: f64) -> String {
    format!("invalid [match_split] legacy_wait_seconds {seconds}: expected a number of seconds from 0 to 3600")
}
