//! Recorded API responses of `tests/fixtures/api-responses/` for unit tests.

use serde_json::Value;

/// Parses the fixture `name` as JSON.
pub(crate) fn api_response(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/api-responses/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}
