//! User-facing texts of Match, kept in one place so that they can be translated
//! later. The first four are the original phetools texts, which gadgets and users
//! already know; the others describe tags that made the original crash.

pub const TAG_NOT_FOUND: &str = "match tag not found";

pub const TEXT_DOES_NOT_MATCH: &str = "text does not match";

pub const NO_TEXT_LAYER: &str = "error : could not find a text layer.";

pub fn page_not_in_text_layer(start: usize) -> String {
    format!("Unable to retrieve text layer for page: {start}")
}

pub fn step_zero() -> String {
    "invalid match tag: |step=0; the step is the distance between marked pages and must be at least 1".to_string()
}

pub fn start_page_zero() -> String {
    "invalid match tag: page 0; pages of a file are numbered from 1, so write the number of the first page of the text"
        .to_string()
}

pub fn page_number_too_large(digits: &str) -> String {
    format!("invalid match tag: page number {digits} is too large; write the number of the first page of the text")
}

pub fn step_too_large(digits: &str) -> String {
    format!("invalid match tag: |step={digits} is too large; the step is the distance between marked pages")
}

pub fn start_before_first_page(start: usize, step: usize) -> String {
    format!(
        "invalid match tag: page {start} with |step={step} would align against a page before page 1; \
         start at page {} or later, or use a smaller step",
        step.div_ceil(2)
    )
}

pub fn step_past_last_page(page: usize, step: usize, needed: usize, page_count: usize) -> String {
    format!(
        "invalid match tag: with |step={step}, marking page {page} needs page {needed} of the text layer, \
         but the file has {page_count} pages; remove from the main page the text past page {page}, \
         or match it with a separate tag"
    )
}
