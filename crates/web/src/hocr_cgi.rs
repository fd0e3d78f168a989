//! `GET /hocr_cgi.py`, the legacy hOCR endpoint that the Page editor's OCR
//! gadgets call.
//!
//! * `cmd=ping`: a fixed pong, as `text/plain`.
//! * `cmd=hocr&book=<File>/<page>&lang=<code>`: `{"error":0,"text":"<hOCR>"}`, or
//!   error 1 with a message at once when the page is not stored (a build is
//!   then queued, see [`phetools_hocr::HocrService`]); 400 when `book` or
//!   `lang` is empty, 500 when the database fails. Always
//!   `application/json; charset=UTF-8`.
//! * any other `cmd` (the default is `status`): the HTML status page.
//!
//! A parameter given twice takes its last value, as the former tool did.
//! Every response allows any origin.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::{messages, status_page, AppState};

/// The fixed answer to `cmd=ping`, in the field order of the former tool.
const PONG: &str = r#"{"error":0,"text":"pong","server":"hocr","ping":0.001}"#;

#[derive(Serialize)]
struct Reply<'a> {
    error: u8,
    text: &'a str,
}

pub async fn hocr_cgi(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = last_values(query.as_deref().unwrap_or(""));
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let response = match param("cmd") {
        "ping" => with_type(StatusCode::OK, "text/plain; charset=UTF-8", PONG.to_owned()),
        "hocr" => hocr(&state, param("lang"), param("book")).await,
        _ => status_page::status(State(state)).await.into_response(),
    };
    allow_any_origin(response)
}

async fn hocr(state: &AppState, lang: &str, book: &str) -> Response {
    if lang.is_empty() || book.is_empty() {
        return json(StatusCode::BAD_REQUEST, 1, messages::HOCR_BAD_REQUEST);
    }
    match state.hocr.get_hocr(lang, book).await {
        Ok(reply) => json(StatusCode::OK, reply.error, &reply.text),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), lang, book, "hocr_cgi.py request failed");
            json(StatusCode::INTERNAL_SERVER_ERROR, 1, messages::HOCR_INTERNAL_ERROR)
        }
    }
}

fn json(status: StatusCode, error: u8, text: &str) -> Response {
    let body = serde_json::to_string(&Reply { error, text }).expect("a reply serialises");
    with_type(status, "application/json; charset=UTF-8", body)
}

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

fn allow_any_origin(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// Decodes the query string; a repeated parameter keeps its last value.
fn last_values(query: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameter_keeps_the_last_value() {
        let params = last_values("cmd=status&cmd=ping&book=A%20b.djvu%2F3");
        assert_eq!(params["cmd"], "ping");
        assert_eq!(params["book"], "A b.djvu/3");
    }
}
