//! User-facing messages of this crate, in English, kept together for translation.

pub(crate) fn number_empty() -> String {
    "invalid number: the text is empty; write the number with decimal digits".to_owned()
}

pub(crate) fn number_not_digit(text: &str, character: char) -> String {
    format!("invalid number {text:?}: {character:?} is not a decimal digit; write the number with digits only")
}

pub(crate) fn number_mixed_scripts(text: &str) -> String {
    format!("invalid number {text:?}: it mixes the digits of several scripts; use the digits of one script")
}

pub(crate) fn number_too_large(text: &str) -> String {
    format!("invalid number {text:?}: it is larger than {}", u32::MAX)
}

pub(crate) fn page_json_invalid(reason: &str) -> String {
    format!("invalid Page content JSON: {reason}; expected {{\"header\", \"body\", \"footer\", \"level\": {{\"level\", \"user\"}}}}")
}

pub(crate) fn page_json_invalid_level(value: &str) -> String {
    format!("invalid quality level {value:?} in Page content JSON: expected 0, 1, 2, 3 or 4")
}

pub(crate) fn pages_index_missing() -> String {
    "the <pages> tag has no index attribute: add index=\"<Index page name>\"".to_owned()
}

pub(crate) fn pages_file_empty() -> String {
    "the file of the <pages> tag's Index has no pages: check that the file exists and is a multipage DjVu or PDF"
        .to_owned()
}

pub(crate) fn pages_number_expected(attribute: &str, value: &str) -> String {
    format!("invalid {attribute}={value:?} in the <pages> tag: expected a page number of at least 1")
}

pub(crate) fn pages_invalid_interval(attribute: &str, value: &str, page_count: u32) -> String {
    format!(
        "invalid {attribute}={value:?} in the <pages> tag: pages must be ascending and lie between 1 and {page_count}, \
         and lists look like 1-4,7"
    )
}

pub(crate) fn pages_too_many(count: usize) -> String {
    format!(
        "the <pages> tag selects {count} pages, more than ProofreadPage transcludes ({}); split it into several tags",
        crate::pages_tag::MAX_PAGES
    )
}

pub(crate) fn title_not_page_namespace(title: &str) -> String {
    format!("{title:?} is not in the Page namespace: expected <Page namespace>:<File name>/<page number>")
}

pub(crate) fn title_file_missing(title: &str) -> String {
    format!("{title:?} names no file: expected <Page namespace>:<File name>/<page number>")
}

pub(crate) fn title_invalid_page_number(title: &str, number: &str) -> String {
    format!("invalid page number {number:?} in {title:?}: expected decimal digits for a page of at least 1")
}
