//! The error type of every handler. Client mistakes become 4xx responses whose
//! message names the fix. Anything else is logged and returned as a generic 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::messages;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(error).context("database query failed"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad-request", message),
            AppError::NotFound(message) => (StatusCode::NOT_FOUND, "not-found", message),
            AppError::MethodNotAllowed(message) => (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", message),
            AppError::TooManyRequests(message) => (StatusCode::TOO_MANY_REQUESTS, "too-many-requests", message),
            AppError::ServiceUnavailable(message) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", message),
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    messages::internal_error(),
                )
            }
        };
        (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
    }
}
