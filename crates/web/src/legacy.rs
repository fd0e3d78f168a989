//! The front-end contract of the old tool's `.php` endpoints (`/ocr.php`,
//! `/match_and_split.php`, `/extract_text_layer.php`, `/verify_match.php`), which
//! on-wiki gadgets and pywikibot call.
//!
//! Every reply has HTTP status 200, `Cache-control: no-cache` and
//! `Access-Control-Allow-Origin: *`. The body is the JSON object
//! `{"error": <0 to 3>, "text": "<payload or message>"}` with
//! `Content-Type: application/json`, except `cmd=status`, which is an HTML page.
//! JSON is ASCII-only: every other character is written as a `\uXXXX` escape (a
//! surrogate pair above U+FFFF), as the old Python 2 daemons wrote it.
//!
//! Commands common to all endpoints:
//! * no `cmd` parameter: `status`;
//! * `cmd=ping`: `{"error":0,"text":"pong","server":"<endpoint name>","ping":<seconds>}`,
//!   where `ping` is the time of a database round trip; without a database the
//!   reply is error 3, "<name> robot is not running.";
//! * any other command the endpoint does not know: error 1, `unknown command: <cmd>`.
//!
//! # Parameter decoding
//!
//! The old front-end decoded the query string once (PHP) and the daemon decoded
//! every value again, so a value containing a literal `%41` was corrupted. Here,
//! every value is decoded once, as `application/x-www-form-urlencoded` (`+` is a
//! space). [`LegacyRequest::url_or_title`] decodes a second time, without turning
//! `+` into a space, only when the once-decoded value still contains a `%` followed
//! by two hex digits. It is meant for image URLs and page titles: clients send
//! them encoded once or twice, MediaWiki titles cannot contain `%` followed by two
//! hex digits, and decoding an upload URL again names the same file. All other
//! parameters (`cmd`, `lang`, `user`) are decoded once.
//!
//! A parameter given twice takes its last value, as PHP's `$_GET` did.
//!
//! A value that is not valid UTF-8 after decoding gets error 1 with a message
//! naming the parameter. The old daemons replied error 4, but pywikibot's
//! ProofreadPage client accepts only 0 to 3 and fails with an assertion on
//! anything else, so the message would never reach the user. Error 1 is the
//! generic failure that every client shows.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::messages;

/// Maximum length of a query string; a longer one gets error 1 before any parameter is used.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// The `error` field of a reply. pywikibot accepts exactly these four values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Success; `text` is the payload.
    Ok = 0,
    /// Any failure with a message for the user: bad request, unknown command, job failed.
    Failed = 1,
    /// OCR failed in the engine.
    OcrFailed = 2,
    /// The service or the image could not be reached.
    Unavailable = 3,
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(*self as u8)
    }
}

/// A JSON reply of a legacy endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegacyReply {
    pub error: ErrorCode,
    pub text: String,
    /// Endpoint name, only in `ping` replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Seconds measured by `ping`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping: Option<f64>,
}

impl LegacyReply {
    pub fn ok(text: impl Into<String>) -> Self {
        Self::with_code(ErrorCode::Ok, text)
    }

    /// Creates a failure reply with error code 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::with_code(ErrorCode::Failed, message)
    }

    pub fn with_code(error: ErrorCode, text: impl Into<String>) -> Self {
        LegacyReply {
            error,
            text: text.into(),
            server: None,
            ping: None,
        }
    }

    /// Serializes the reply as ASCII-only JSON.
    pub fn to_ascii_json(&self) -> String {
        let mut buffer = Vec::with_capacity(self.text.len() + 32);
        let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, AsciiFormatter);
        self.serialize(&mut serializer)
            .expect("a LegacyReply always serializes");
        String::from_utf8(buffer).expect("the formatter writes ASCII only")
    }
}

impl IntoResponse for LegacyReply {
    fn into_response(self) -> Response {
        legacy_response("application/json", self.to_ascii_json())
    }
}

/// The HTML status page of a legacy endpoint (`cmd=status`).
#[derive(Debug, Clone)]
pub struct LegacyStatusPage(pub String);

impl IntoResponse for LegacyStatusPage {
    fn into_response(self) -> Response {
        legacy_response("text/html; charset=utf-8", self.0)
    }
}

fn legacy_response(content_type: &'static str, body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// Writes every non-ASCII character of a JSON string as `\uXXXX`.
struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut ascii_start = 0;
        for (index, character) in fragment.char_indices() {
            if character.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[ascii_start..index])?;
            let mut units = [0u16; 2];
            for unit in character.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            ascii_start = index + character.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[ascii_start..])
    }
}

/// The decoded query of a legacy request. As an extractor it never rejects:
/// a malformed query is kept as [`LegacyRequest::problem`], and
/// [`LegacyEndpoint::handle`] replies to it with error 1.
#[derive(Debug, Clone, Default)]
pub struct LegacyRequest {
    parameters: HashMap<String, String>,
    /// Message for the client when the query could not be decoded.
    problem: Option<String>,
}

impl LegacyRequest {
    /// Decodes a raw query string (without the `?`).
    pub fn from_query(query: &str) -> Self {
        if query.len() > MAX_QUERY_BYTES {
            return LegacyRequest {
                parameters: HashMap::new(),
                problem: Some(messages::legacy_query_too_long(query.len(), MAX_QUERY_BYTES)),
            };
        }
        let mut parameters = HashMap::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = match decode_form_component(raw_name) {
                Some(name) => name,
                None => return Self::invalid_utf8(&String::from_utf8_lossy(raw_name.as_bytes())),
            };
            let Some(value) = decode_form_component(raw_value) else {
                return Self::invalid_utf8(&name);
            };
            parameters.insert(name, value);
        }
        LegacyRequest {
            parameters,
            problem: None,
        }
    }

    fn invalid_utf8(name: &str) -> Self {
        LegacyRequest {
            parameters: HashMap::new(),
            problem: Some(messages::legacy_invalid_utf8(name)),
        }
    }

    /// Returns the message for a query that could not be decoded.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Returns the command, or `status` when `cmd` is missing.
    pub fn command(&self) -> &str {
        self.parameters.get("cmd").map(String::as_str).unwrap_or("status")
    }

    /// Returns a parameter decoded once.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }

    /// Returns a URL or page title decoded once, and decoded a second time when the result still
    /// contains `%` and two hex digits (see the module documentation). `Err` names
    /// the parameter when the second decoding is not valid UTF-8.
    pub fn url_or_title(&self, name: &str) -> Result<Option<String>, String> {
        let Some(value) = self.parameters.get(name) else {
            return Ok(None);
        };
        if !contains_percent_escape(value) {
            return Ok(Some(value.clone()));
        }
        match percent_decode_str(value).decode_utf8() {
            Ok(decoded) => Ok(Some(decoded.into_owned())),
            Err(_) => Err(messages::legacy_invalid_utf8(name)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LegacyRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(LegacyRequest::from_query(parts.uri.query().unwrap_or("")))
    }
}

/// Decodes one `application/x-www-form-urlencoded` component; `None` when the
/// bytes are not UTF-8.
fn decode_form_component(raw: &str) -> Option<String> {
    let with_spaces = raw.replace('+', " ");
    percent_decode_str(&with_spaces)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

fn contains_percent_escape(value: &str) -> bool {
    value
        .as_bytes()
        .windows(3)
        .any(|window| window[0] == b'%' && window[1].is_ascii_hexdigit() && window[2].is_ascii_hexdigit())
}

/// One legacy endpoint: its name (in `ping` replies and "not running" messages)
/// and the handling common to all endpoints.
#[derive(Debug, Clone, Copy)]
pub struct LegacyEndpoint {
    /// Daemon name of the old tool, such as `ws_ocr_daemon`.
    pub name: &'static str,
}

impl LegacyEndpoint {
    /// Answers `request`: a malformed query, `ping` and `status` here; every other
    /// command through `run`, which returns `None` for a command it does not know.
    /// `status` renders the page that `status_page` returns.
    pub async fn handle<Run, RunFuture, Status, StatusFuture>(
        &self,
        pool: &sqlx::PgPool,
        request: LegacyRequest,
        status_page: Status,
        run: Run,
    ) -> Response
    where
        Run: FnOnce(LegacyRequest) -> RunFuture,
        RunFuture: Future<Output = Option<LegacyReply>>,
        Status: FnOnce() -> StatusFuture,
        StatusFuture: Future<Output = Result<String, crate::AppError>>,
    {
        if let Some(problem) = request.problem() {
            return LegacyReply::failed(problem).into_response();
        }
        let command = request.command().to_owned();
        match command.as_str() {
            "ping" => self.ping(pool).await.into_response(),
            "status" => match status_page().await {
                Ok(page) => LegacyStatusPage(page).into_response(),
                Err(error) => {
                    tracing::error!(endpoint = self.name, error = %error, "status page failed");
                    LegacyStatusPage(messages::legacy_not_running(self.name)).into_response()
                }
            },
            _ => match run(request).await {
                Some(reply) => reply.into_response(),
                None => LegacyReply::failed(messages::legacy_unknown_command(&command)).into_response(),
            },
        }
    }

    /// Times one database round trip, the dependency every command needs.
    pub async fn ping(&self, pool: &sqlx::PgPool) -> LegacyReply {
        let started = Instant::now();
        match sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool).await {
            Ok(_) => LegacyReply {
                error: ErrorCode::Ok,
                text: "pong".to_owned(),
                server: Some(self.name.to_owned()),
                ping: Some(started.elapsed().as_secs_f64()),
            },
            Err(error) => {
                tracing::warn!(endpoint = self.name, %error, "ping: database unreachable");
                LegacyReply::with_code(ErrorCode::Unavailable, messages::legacy_not_running(self.name))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_json_is_ascii() {
        let reply = LegacyReply::ok("Été \u{1D11E} \u{c}/\"");
        assert_eq!(
            reply.to_ascii_json(),
            r#"{"error":0,"text":"\u00c9t\u00e9 \ud834\udd1e \f/\""}"#
        );
    }

    #[test]
    fn ping_reply_has_server_and_seconds() {
        let mut reply = LegacyReply::ok("pong");
        reply.server = Some("ws_ocr_daemon".to_owned());
        reply.ping = Some(0.25);
        assert_eq!(
            reply.to_ascii_json(),
            r#"{"error":0,"text":"pong","server":"ws_ocr_daemon","ping":0.25}"#
        );
    }

    #[test]
    fn error_codes_are_integers() {
        let reply = LegacyReply::with_code(ErrorCode::Unavailable, "x");
        assert_eq!(reply.to_ascii_json(), r#"{"error":3,"text":"x"}"#);
    }

    #[test]
    fn missing_cmd_is_status() {
        assert_eq!(LegacyRequest::from_query("").command(), "status");
        assert_eq!(LegacyRequest::from_query("lang=fr").command(), "status");
        assert_eq!(LegacyRequest::from_query("cmd=ping").command(), "ping");
    }

    #[test]
    fn parameters_decoded_once() {
        let request = LegacyRequest::from_query("user=Jean+Dupont&lang=fr&title=100%2541");
        assert_eq!(request.get("user"), Some("Jean Dupont"));
        assert_eq!(request.get("title"), Some("100%41"));
    }

    #[test]
    fn url_decoded_twice_only_when_still_encoded() {
        let once = "https://upload.wikimedia.org/x/Fran%C3%A7ais.djvu/page2-1024px-Fran%C3%A7ais.djvu.jpg";
        let twice =
            "https%3A%2F%2Fupload.wikimedia.org%2Fx%2FFran%25C3%25A7ais.djvu%2Fpage2-1024px-Fran%25C3%25A7ais.djvu.jpg";
        let expected = "https://upload.wikimedia.org/x/Français.djvu/page2-1024px-Français.djvu.jpg";
        for query in [format!("url={once}"), format!("url={twice}")] {
            let request = LegacyRequest::from_query(&query);
            assert_eq!(
                request.url_or_title("url").unwrap().as_deref(),
                Some(expected),
                "{query}"
            );
        }
        let plain = LegacyRequest::from_query("url=https://upload.wikimedia.org/a+b.jpg");
        assert_eq!(
            plain.url_or_title("url").unwrap().as_deref(),
            Some("https://upload.wikimedia.org/a b.jpg")
        );
    }

    #[test]
    fn last_repeated_parameter_wins() {
        assert_eq!(LegacyRequest::from_query("lang=en&lang=fr").get("lang"), Some("fr"));
    }

    #[test]
    fn invalid_utf8_is_a_problem() {
        let request = LegacyRequest::from_query("cmd=ocr&url=%FF");
        let problem = request.problem().expect("invalid UTF-8 is reported");
        assert!(problem.contains("\"url\""), "{problem}");

        let second = LegacyRequest::from_query("url=%25FF");
        assert!(second.problem().is_none());
        let error = second.url_or_title("url").unwrap_err();
        assert!(error.contains("\"url\""), "{error}");
    }

    #[test]
    fn long_query_is_a_problem() {
        let query = format!("url={}", "a".repeat(MAX_QUERY_BYTES));
        let problem = LegacyRequest::from_query(&query).problem().unwrap().to_owned();
        assert!(problem.contains(&MAX_QUERY_BYTES.to_string()), "{problem}");
    }
}
