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

pub fn section_already_set(attribute: &str, existing: &str, wanted: &str) -> String {
    format!("its <pages> tag already has {attribute}={existing}, so {attribute}={wanted} was not added")
}

pub fn referring_not_adjusted(title: &str, reason: &str) -> String {
    format!("{title} transcludes this Page but was not adjusted to its old section: {reason}; check it by hand")
}

pub fn referring_not_adjusted_no_number(title: &str) -> String {
    format!("{title} has no page number, so the pages transcluding it were not adjusted; check them by hand")
}
