//! User-facing texts of the web interface, kept in one place so that they can be
//! translated later. Each error text names what failed, on which value, and what to do.

pub fn job_not_found(id: i64) -> String {
    format!("job {id} not found; finished jobs are deleted some time after they end")
}

pub fn invalid_job_id(raw: &str) -> String {
    format!("invalid job id {raw:?}: expected a positive integer")
}

pub fn invalid_path(reason: &str) -> String {
    format!("invalid URL path: {reason}")
}

pub fn unknown_route(path: &str) -> String {
    format!(
        "no API route {path:?}; the routes are /api/v1/jobs/{{id}}, /api/v1/text-layer, /api/v1/ocr, \
         /api/v1/stats (see docs/openapi.yaml), and /api/v1/match, /api/v1/split, /api/v1/extract and /api/v1/verify"
    )
}

pub fn method_not_allowed(method: &str, path: &str) -> String {
    format!(
        "method {method} is not allowed on {path:?}; use GET for /api/v1/jobs and /api/v1/text-layer, \
         and POST for /api/v1/match, /api/v1/split, /api/v1/extract and /api/v1/verify"
    )
}

pub fn repeated_parameter(name: &str) -> String {
    format!("parameter {name:?} is given more than once; give it once")
}

pub fn missing_parameter(name: &str) -> String {
    format!("missing parameter {name:?}")
}

pub fn invalid_wiki(raw: &str) -> String {
    format!("invalid wiki {raw:?}: expected a domain such as en.wikisource.org or a database name such as enwikisource")
}

pub fn invalid_file(raw: &str, reason: &str) -> String {
    format!("invalid file name {raw:?}: {reason}")
}

pub fn invalid_page(raw: &str) -> String {
    format!("invalid page {raw:?}: expected a page number from 1 to 100000")
}

pub fn internal_error() -> String {
    "internal error; the cause was logged on the server, please try again later".to_owned()
}

pub const STATUS_TITLE: &str = "phetools status";

pub fn legacy_unknown_command(command: &str) -> String {
    format!("unknown command: {command}")
}

pub fn legacy_invalid_utf8(parameter: &str) -> String {
    format!("parameter {parameter:?} is not valid UTF-8 after percent-decoding; encode the value as UTF-8, then percent-encode it")
}

pub fn legacy_query_too_long(length: usize, limit: usize) -> String {
    format!("the query string has {length} bytes, more than the limit of {limit}; send a shorter request")
}

/// Formats the text the old front-end sent when its daemon was down.
pub fn legacy_not_running(endpoint: &str) -> String {
    format!("{endpoint} robot is not running.\n Please try again later.")
}

/// Text of `/hocr_cgi.py`'s 400 reply, as the former tool wrote it.
pub const HOCR_BAD_REQUEST: &str = "400 Bad Request";

/// Text of `/hocr_cgi.py`'s 500 reply, as the former tool wrote it.
pub const HOCR_INTERNAL_ERROR: &str = "500 Internal Server Error";

pub fn ocr_not_configured() -> String {
    "OCR is not available on this server: it runs without the OCR settings; try again later".to_owned()
}

pub fn rate_limited(wait: std::time::Duration) -> String {
    format!(
        "too many OCR requests from your address; try again in {} s",
        wait.as_secs_f64().ceil().max(1.0)
    )
}

pub fn ocr_still_running(job_id: i64) -> String {
    format!("OCR is still running as job {job_id}; its status is at /api/v1/jobs/{job_id}, or send the same request again in a minute")
}

pub fn incomplete_crop() -> String {
    "incomplete crop: give all of crop[x], crop[y], crop[width] and crop[height], in pixels".to_owned()
}

pub fn invalid_number(name: &str, value: &str) -> String {
    format!("invalid {name} {value:?}: expected a non-negative integer")
}

pub fn invalid_json_body(reason: &str) -> String {
    format!("invalid JSON body: {reason}")
}

pub fn unknown_parameter(name: &str, accepted: &[&str]) -> String {
    format!(
        "unknown parameter {name:?}; this route accepts {}",
        if accepted.is_empty() {
            "no parameters".to_owned()
        } else {
            accepted.join(", ")
        }
    )
}

pub fn invalid_format(raw: &str) -> String {
    format!("invalid format {raw:?}: use json (the default) or csv")
}

pub fn invalid_day(name: &str, raw: &str) -> String {
    format!("invalid {name} {raw:?}: expected a UTC day as YYYY-MM-DD between 1970-01-01 and 9999-12-31")
}

pub fn day_range_reversed(from: chrono::NaiveDate, to: chrono::NaiveDate) -> String {
    format!("from {from} is after to {to}; give a from on or before to")
}

pub fn invalid_bounded(name: &str, raw: &str, min: i64, max: i64) -> String {
    format!("invalid {name} {raw:?}: expected a whole number from {min} to {max}")
}

pub fn missing_diff() -> String {
    "missing parameter \"diff\": give the period in days, 1, 7, 30 or 365".to_owned()
}

pub fn invalid_stats_diff(raw: &str) -> String {
    format!("invalid diff {raw:?}: use 1, 7, 30 or 365 (days)")
}

pub fn unknown_stats_wiki(raw: &str) -> String {
    format!(
        "no statistics for the wiki {raw:?}: it has no counts, snapshots or imported history; \
         /stats lists the wikis that have some"
    )
}

pub fn unknown_graph(name: &str) -> String {
    format!(
        "no graph named {name:?}; the graphs are those of stats.html and transclusions.html, \
         such as Wikisource_-_pages_fr.png"
    )
}

pub fn not_transcluded_file(file: &str) -> String {
    format!("no page {file:?}; the pages are named after the wiki's code, such as not_transcluded/fr.html")
}
