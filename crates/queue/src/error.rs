//! Errors of queue operations.

use crate::JobId;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The job is no longer running under the lease token that this worker holds:
    /// it was rescued after the lease expired, cancelled, or finished. The statement
    /// changed nothing.
    #[error(
        "lease lost on job {job_id}: the job was rescued, cancelled or finished since this \
         worker claimed it, so the outcome of this attempt was discarded"
    )]
    LeaseLost { job_id: JobId },

    #[error("job {job_id} not found")]
    NotFound { job_id: JobId },

    #[error("invalid queue configuration: {0}")]
    InvalidConfig(String),

    #[error("benchmark failed: {0}")]
    Benchmark(String),

    /// A statement failed. `action` names what was being done, such as
    /// "claim jobs for worker …" or "record the completion of job 42".
    #[error("database error: could not {action}")]
    Database {
        action: String,
        #[source]
        source: sqlx::Error,
    },
}

impl QueueError {
    pub(crate) fn database(action: impl Into<String>) -> impl FnOnce(sqlx::Error) -> QueueError {
        let action = action.into();
        move |source| QueueError::Database { action, source }
    }
}

/// Formats an error with its chain of causes, "outer: inner: innermost", for logs.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
