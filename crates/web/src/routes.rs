//! JSON routes: health check, jobs and text layers.

use std::collections::HashMap;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use phetools_queue::{JobView, QueueError};
use phetools_textlayer::{PageText, StoreError};
use serde_json::json;

use crate::{messages, AppError, AppState};

/// Highest page number accepted; larger values cannot be pages of a real scan.
const MAX_PAGE: u32 = 100_000;

pub async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool).await {
        Ok(_) => Json(json!({ "status": "ok" })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "database unreachable" })),
            )
                .into_response()
        }
    }
}

pub async fn job(
    State(state): State<AppState>,
    raw_id: Result<Path<String>, PathRejection>,
) -> Result<Json<JobView>, AppError> {
    let Path(raw_id) =
        raw_id.map_err(|rejection| AppError::BadRequest(messages::invalid_path(&rejection.body_text())))?;
    let id: i64 = parse_positive(&raw_id)
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::BadRequest(messages::invalid_job_id(&raw_id)))?;
    match state.queue.get(id).await {
        Ok(Some(job)) => Ok(Json(job)),
        Ok(None) => Err(AppError::NotFound(messages::job_not_found(id))),
        Err(error) => Err(queue_error(error)),
    }
}

pub async fn text_layer(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<PageText>, AppError> {
    let params = query_parameters(query.as_deref().unwrap_or(""))?;
    let wiki = required(&params, "wiki")?;
    let file = required(&params, "file")?;
    let page_raw = required(&params, "page")?;

    let domain = wiki_domain(wiki)?;
    let page: u32 = parse_positive(page_raw)
        .filter(|page| (1..=MAX_PAGE).contains(page))
        .ok_or_else(|| AppError::BadRequest(messages::invalid_page(page_raw)))?;

    match state.text_layers.page_text(&domain, file, page).await {
        Ok(text) => Ok(Json(text)),
        Err(
            error @ (StoreError::FileUnknown { .. }
            | StoreError::PageOutOfRange { .. }
            | StoreError::MissingPage { .. }),
        ) => Err(AppError::NotFound(error.to_string())),
        Err(StoreError::InvalidFileName(error)) => {
            Err(AppError::BadRequest(messages::invalid_file(file, &error.reason)))
        }
        Err(error) => Err(AppError::Internal(
            anyhow::Error::new(error).context("read a stored text layer"),
        )),
    }
}

/// Routes under /api/v1 that do not exist.
pub async fn api_not_found(uri: Uri) -> AppError {
    AppError::NotFound(messages::unknown_route(uri.path()))
}

/// Routes under /api/v1 called with a method other than GET.
pub async fn api_method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::MethodNotAllowed(messages::method_not_allowed(method.as_str(), uri.path()))
}

/// Parses a number written only with ASCII digits: no sign, no spaces.
pub(crate) fn parse_positive<T: std::str::FromStr>(raw: &str) -> Option<T> {
    if raw.is_empty() || !raw.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// Decodes the query string, rejecting a parameter given twice: with two values
/// the request is ambiguous, and silently taking one would hide the mistake.
pub(crate) fn query_parameters(query: &str) -> Result<HashMap<String, String>, AppError> {
    let mut parameters = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if parameters.insert(name.to_string(), value.to_string()).is_some() {
            return Err(AppError::BadRequest(messages::repeated_parameter(&name)));
        }
    }
    Ok(parameters)
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, AppError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| AppError::BadRequest(messages::missing_parameter(name)))
}

/// Accepts a domain (`en.wikisource.org`) or a dbname (`enwikisource`) and returns the domain.
pub(crate) fn wiki_domain(raw: &str) -> Result<String, AppError> {
    let looks_like_domain = raw.len() <= 100
        && raw.contains('.')
        && raw.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if looks_like_domain {
        return Ok(raw.to_owned());
    }
    phetools_wiki::sites::domain_for_dbname(raw).ok_or_else(|| AppError::BadRequest(messages::invalid_wiki(raw)))
}

fn queue_error(error: QueueError) -> AppError {
    AppError::Internal(anyhow::Error::new(error).context("read a job"))
}
