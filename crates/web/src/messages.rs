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
        "no API route {path:?}; the routes are /api/v1/jobs/{{id}}, /api/v1/text-layer, and /api/v1/match, \
         /api/v1/split, /api/v1/extract and /api/v1/verify"
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
