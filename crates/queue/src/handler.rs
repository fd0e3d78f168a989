//! Job handlers and the registry that maps job kinds to them.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::JobId;

/// The job as its handler receives it.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub job_id: JobId,
    pub kind: String,
    pub payload: Value,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub max_attempts: i32,
    /// Fires when the job is cancelled, times out or loses its lease, or when the
    /// process shuts down and the drain time is over. A handler stops at its next
    /// check and returns [`JobError::Cancelled`]; one that has not returned after
    /// `cancel_grace_seconds` is aborted at its next `.await`.
    pub cancel: CancellationToken,
    /// Reports progress (stored in `job.progress`, shown by the API).
    pub progress: ProgressReporter,
}

/// Sends progress updates to the worker, which writes the latest one with the heartbeat.
#[derive(Debug, Clone)]
pub struct ProgressReporter {
    sender: tokio::sync::watch::Sender<Option<Value>>,
}

impl ProgressReporter {
    pub fn new(sender: tokio::sync::watch::Sender<Option<Value>>) -> Self {
        ProgressReporter { sender }
    }

    /// A reporter whose updates go nowhere, for handler unit tests.
    pub fn detached() -> Self {
        let (sender, _receiver) = tokio::sync::watch::channel(None);
        ProgressReporter { sender }
    }

    pub fn report(&self, progress: Value) {
        self.sender.send_replace(Some(progress));
    }
}

/// Reason a job attempt failed, which decides whether it is retried.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt after backoff (network, wiki lag, a busy tool).
    #[error("{0}")]
    Retryable(String),
    /// Input that will never work (corrupt file, missing page, bad payload):
    /// the job is failed at once, with no further attempts.
    #[error("{0}")]
    Permanent(String),
    /// The handler stopped because `JobContext::cancel` fired.
    #[error("cancelled")]
    Cancelled,
}

impl JobError {
    pub fn retryable(message: impl std::fmt::Display) -> Self {
        JobError::Retryable(message.to_string())
    }

    pub fn permanent(message: impl std::fmt::Display) -> Self {
        JobError::Permanent(message.to_string())
    }
}

/// The code that runs one kind of job. The returned value is stored as `job.result`.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: JobContext) -> Result<Value, JobError>;
}

/// Handlers by job kind. A claimed job whose kind is not registered fails at
/// once with an error naming the kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn new() -> Self {
        Registry::default()
    }

    pub fn register(&mut self, kind: impl Into<String>, handler: impl JobHandler) -> &mut Self {
        self.handlers.insert(kind.into(), Arc::new(handler));
        self
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }

    pub fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        kinds
    }
}
