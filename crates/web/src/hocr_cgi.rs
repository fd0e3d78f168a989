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
//! Parameters are decoded as for the other legacy endpoints
//! ([`LegacyRequest`]): a parameter given twice takes its last value, and
//! `book` is decoded a second time when it is still percent-encoded. Every
//! response allows any origin. The JSON is UTF-8, not ASCII with `\u`
//! escapes: hOCR of non-Latin scripts would grow up to six times.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::legacy::LegacyRequest;
use crate::{messages, status_page, AppState};

/// The fixed reply to `cmd=ping`, in the field order of the former tool.
const PONG: &str = r#"{"error":0,"text":"pong","server":"hocr","ping":0.001}"#;

#[derive(Serialize)]
struct Reply<'a> {
    error: u8,
    text: &'a str,
}

pub async fn hocr_cgi(State(state): State<AppState>, request: LegacyRequest) -> Response {
    let response = match request.get("cmd").unwrap_or("status") {
        "ping" => with_type(StatusCode::OK, "text/plain; charset=UTF-8", PONG.to_owned()),
        "hocr" => hocr(&state, &request).await,
        _ => status_page::status(State(state)).await.into_response(),
    };
    allow_any_origin(response)
}

async fn hocr(state: &AppState, request: &LegacyRequest) -> Response {
    let lang = request.get("lang").unwrap_or("");
    let book = match request.url_or_title("book") {
        Ok(book) => book.unwrap_or_default(),
        Err(_) => String::new(),
    };
    if request.problem().is_some() || lang.is_empty() || book.is_empty() {
        return json(StatusCode::BAD_REQUEST, 1, messages::HOCR_BAD_REQUEST);
    }
    let book = book.as_str();
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
