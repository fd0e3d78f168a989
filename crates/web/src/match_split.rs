//! Match & Split, extract text layer and verify match over HTTP.
//!
//! * The old tool's endpoints `/match_and_split.php` (`cmd=match|split`),
//!   `/extract_text_layer.php` (`cmd=extract`) and `/verify_match.php`
//!   (`cmd=verify`), with parameters `title`, `lang`, `user` (and `server`, logged
//!   only). Each request enqueues a job and waits for it up to
//!   [`AppState::legacy_job_wait`]. The reply is `{"error":0,"text":""}` when the job
//!   succeeded. It is error 1 with the reason when the job failed or a page of a
//!   split was not saved, and error 1 naming the job's status URL when the wait ran out.
//! * `POST /api/v1/match`, `/api/v1/split`, `/api/v1/extract` and `/api/v1/verify`
//!   with the JSON body `{"wiki", "title", "user"}`: enqueue the job and return
//!   202 with its id and status URL, without waiting.

use std::fmt::Write;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use phetools_matchsplit::messages as job_messages;
use phetools_matchsplit::request::{PageRequest, EXTRACT_KIND, MATCH_KIND, SPLIT_KIND, VERIFY_KIND};
use phetools_queue::{JobState, JobView};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::html::escape;
use crate::legacy::{LegacyEndpoint, LegacyReply, LegacyRequest};
use crate::routes::wiki_domain;
use crate::{AppError, AppState};

const MATCH_AND_SPLIT: LegacyEndpoint = LegacyEndpoint {
    name: "match_and_split",
};
const EXTRACT: LegacyEndpoint = LegacyEndpoint {
    name: "extract_text_layer",
};
const VERIFY: LegacyEndpoint = LegacyEndpoint { name: "verify_match" };

/// `/match_and_split.php`
pub async fn match_and_split(State(state): State<AppState>, request: LegacyRequest) -> Response {
    let commands = [("match", MATCH_KIND), ("split", SPLIT_KIND)];
    handle(&state, request, MATCH_AND_SPLIT, "Match and split", &commands).await
}

/// `/extract_text_layer.php`
pub async fn extract_text_layer(State(state): State<AppState>, request: LegacyRequest) -> Response {
    handle(
        &state,
        request,
        EXTRACT,
        "Extract text layer",
        &[("extract", EXTRACT_KIND)],
    )
    .await
}

/// `/verify_match.php`
pub async fn verify_match(State(state): State<AppState>, request: LegacyRequest) -> Response {
    handle(&state, request, VERIFY, "Verify match", &[("verify", VERIFY_KIND)]).await
}

/// Handles a legacy request. `commands` maps each command to its job kind.
async fn handle(
    state: &AppState,
    request: LegacyRequest,
    endpoint: LegacyEndpoint,
    title: &str,
    commands: &[(&str, &'static str)],
) -> Response {
    let kinds: Vec<&str> = commands.iter().map(|(_, kind)| *kind).collect();
    endpoint
        .handle(
            &state.pool,
            request,
            || status_page(state, title, &kinds),
            |request| async move {
                let (_, kind) = commands.iter().find(|(command, _)| *command == request.command())?;
                Some(run_legacy(state, kind, &request).await.into_response())
            },
        )
        .await
}

/// Enqueues the job of a legacy request and waits for it.
async fn run_legacy(state: &AppState, kind: &str, request: &LegacyRequest) -> LegacyReply {
    let page_request = match legacy_page_request(request) {
        Ok(page_request) => page_request,
        Err(message) => return LegacyReply::failed(message),
    };
    tracing::info!(
        kind,
        wiki = page_request.wiki,
        title = page_request.title,
        user = page_request.user,
        server = page_request.server.as_deref().unwrap_or("unknown server"),
        "request"
    );
    let job_id = match state.queue.enqueue(&page_request.new_job(kind)).await {
        Ok(outcome) => outcome.job_id(),
        Err(error) => {
            tracing::error!(kind, %error, "enqueue failed");
            return LegacyReply::with_code(
                crate::legacy::ErrorCode::Unavailable,
                job_messages::enqueue_failed(kind),
            );
        }
    };
    match state.waiter.wait(job_id, state.legacy_job_wait).await {
        Ok(Some(job)) => reply_for(&job),
        Ok(None) => LegacyReply::failed(job_messages::job_still_running(
            kind,
            &job_status_path(job_id),
            state.legacy_job_wait.as_secs(),
        )),
        Err(error) => {
            tracing::error!(kind, job_id, %error, "waiting for the job failed");
            LegacyReply::failed(job_messages::job_wait_failed(&job_status_path(job_id)))
        }
    }
}

fn legacy_page_request(request: &LegacyRequest) -> Result<PageRequest, String> {
    let title = request
        .url_or_title("title")?
        .filter(|title| !title.trim().is_empty())
        .ok_or_else(|| job_messages::missing_parameter("title"))?;
    let user = request
        .get("user")
        .filter(|user| !user.trim().is_empty())
        .ok_or_else(|| job_messages::missing_parameter("user"))?;
    let lang = request.get("lang").unwrap_or("");
    Ok(PageRequest {
        wiki: wikisource_domain(lang)?,
        title: title.trim().to_owned(),
        user: user.trim().to_owned(),
        server: request.get("server").map(str::to_owned),
    })
}

/// Returns the domain of the Wikisource of language code `lang`. `old`, `www` or
/// nothing is the multilingual wikisource.org.
fn wikisource_domain(lang: &str) -> Result<String, String> {
    match lang {
        "" | "www" | "old" => Ok("wikisource.org".to_owned()),
        lang if lang.len() <= 20 && lang.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') => {
            Ok(format!("{lang}.wikisource.org"))
        }
        other => Err(job_messages::invalid_lang(other)),
    }
}

/// Builds the legacy reply of a finished job.
fn reply_for(job: &JobView) -> LegacyReply {
    match job.state {
        JobState::Succeeded => match job.result.as_ref().and_then(split_failures) {
            Some(message) => LegacyReply::failed(message),
            None => LegacyReply::ok(""),
        },
        JobState::Failed => {
            let reason = job.errors.last().map(|error| error.error.as_str()).unwrap_or_default();
            LegacyReply::failed(reason)
        }
        JobState::Cancelled => LegacyReply::failed(job_messages::job_cancelled(&job_status_path(job.id))),
        JobState::Queued | JobState::Running => {
            LegacyReply::failed(job_messages::job_still_running(&job.kind, &job_status_path(job.id), 0))
        }
    }
}

/// Returns the message of a split whose pages were not all saved, naming each of them.
fn split_failures(result: &Value) -> Option<String> {
    if result.get("complete") != Some(&Value::Bool(false)) {
        return None;
    }
    let failed: Vec<String> = result["pages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|page| matches!(page["outcome"].as_str(), Some("conflict" | "failed")))
        .map(|page| {
            format!(
                "{} ({}: {})",
                page["title"].as_str().unwrap_or_default(),
                page["outcome"].as_str().unwrap_or_default(),
                page["reason"].as_str().unwrap_or_default()
            )
        })
        .collect();
    Some(job_messages::split_incomplete(&failed))
}

fn job_status_path(job_id: i64) -> String {
    format!("/api/v1/jobs/{job_id}")
}

/// Renders the HTML status of the jobs of `kinds`.
async fn status_page(state: &AppState, title: &str, kinds: &[&str]) -> Result<String, AppError> {
    let depth = state
        .queue
        .depth()
        .await
        .map_err(|error| AppError::Internal(anyhow::Error::new(error)))?;
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n\
         <body>\n<h1>{title}</h1>\n<p>The robot is running.</p>\n<ul>\n",
        title = escape(title)
    );
    for kind in kinds {
        for row in depth.iter().filter(|row| row.kind == *kind) {
            let _ = writeln!(page, "<li>{} {}: {}</li>", escape(kind), row.state, row.jobs);
        }
    }
    page.push_str("</ul>\n<p>Details of every job: <a href=\"/status\">/status</a>.</p>\n</body>\n</html>\n");
    Ok(page)
}

/// Body of the JSON routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequestBody {
    /// Domain (`fr.wikisource.org`) or database name (`frwikisource`).
    wiki: String,
    title: String,
    user: String,
}

pub async fn post_match(state: State<AppState>, body: Result<Json<JobRequestBody>, JsonRejection>) -> Response {
    enqueue_json(state, MATCH_KIND, body).await
}

pub async fn post_split(state: State<AppState>, body: Result<Json<JobRequestBody>, JsonRejection>) -> Response {
    enqueue_json(state, SPLIT_KIND, body).await
}

pub async fn post_extract(state: State<AppState>, body: Result<Json<JobRequestBody>, JsonRejection>) -> Response {
    enqueue_json(state, EXTRACT_KIND, body).await
}

pub async fn post_verify(state: State<AppState>, body: Result<Json<JobRequestBody>, JsonRejection>) -> Response {
    enqueue_json(state, VERIFY_KIND, body).await
}

async fn enqueue_json(
    State(state): State<AppState>,
    kind: &str,
    body: Result<Json<JobRequestBody>, JsonRejection>,
) -> Response {
    match enqueue_body(&state, kind, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn enqueue_body(
    state: &AppState,
    kind: &str,
    body: Result<Json<JobRequestBody>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(body) =
        body.map_err(|rejection| AppError::BadRequest(job_messages::invalid_body(&rejection.body_text())))?;
    for (name, value) in [("title", &body.title), ("user", &body.user)] {
        if value.trim().is_empty() {
            return Err(AppError::BadRequest(job_messages::missing_parameter(name)));
        }
    }
    let request = PageRequest {
        wiki: wiki_domain(&body.wiki)?,
        title: body.title.trim().to_owned(),
        user: body.user.trim().to_owned(),
        server: None,
    };
    let job_id = state
        .queue
        .enqueue(&request.new_job(kind))
        .await
        .map_err(|error| AppError::Internal(anyhow::Error::new(error).context("enqueue a job")))?
        .job_id();
    let body = json!({ "job_id": job_id, "kind": kind, "status_url": job_status_path(job_id) });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_names_the_wikisource() {
        assert_eq!(wikisource_domain("fr").unwrap(), "fr.wikisource.org");
        assert_eq!(wikisource_domain("zh-min-nan").unwrap(), "zh-min-nan.wikisource.org");
        assert_eq!(wikisource_domain("").unwrap(), "wikisource.org");
        assert_eq!(wikisource_domain("old").unwrap(), "wikisource.org");
        assert!(wikisource_domain("evil.org/x").is_err());
    }

    #[test]
    fn incomplete_split_names_failed_pages() {
        let result = json!({
            "complete": false,
            "pages": [
                {"title": "Page:A.djvu/1", "outcome": "created", "revid": 3},
                {"title": "Page:A.djvu/2", "outcome": "conflict", "reason": "edited meanwhile"},
            ]
        });

        let message = split_failures(&result).unwrap();

        assert!(
            message.contains("Page:A.djvu/2 (conflict: edited meanwhile)"),
            "{message}"
        );
        assert!(!message.contains("Page:A.djvu/1"), "{message}");
        assert_eq!(split_failures(&json!({"complete": true})), None);
    }
}
