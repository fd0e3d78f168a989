//! Batching of the completions of one worker pool.
//!
//! A worker whose handler succeeded sends the completion here and waits for the
//! reply. The completer task sends every completion that arrived while its previous
//! statement ran in one [`Queue::complete_many_and_claim`], which also claims one
//! next job per completion. Under load one commit thus serves several jobs; with a
//! single busy worker each batch holds one completion and nothing waits longer than
//! the statement itself.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use crate::error::{error_chain, BatchError};
use crate::{ClaimedJob, Completion, Queue};

/// Most completions sent in one statement.
const MAX_BATCH: usize = 64;

/// What a worker learns about its completion.
#[derive(Debug)]
pub(crate) struct CompletionReply {
    /// Whether the completion was recorded; `false` means the lease was lost.
    pub(crate) completed: bool,
    /// The job claimed for this worker in the same statement.
    pub(crate) next: Option<ClaimedJob>,
}

struct CompletionRequest {
    completion: Completion,
    reply: oneshot::Sender<Result<CompletionReply, BatchError>>,
}

/// Handle of the completer task; the task ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Completer {
    sender: mpsc::Sender<CompletionRequest>,
}

impl Completer {
    /// Starts the completer task. Claims are made for `worker_id`, limited to `kinds`.
    pub(crate) fn spawn(queue: Queue, worker_id: String, kinds: Option<Vec<String>>, lease: Duration) -> Completer {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run(queue, worker_id, kinds, lease, receiver));
        Completer { sender }
    }

    /// Records `completion` with the next batch. Returns `None` when the completer
    /// task has stopped, so that the caller records the completion itself.
    pub(crate) async fn complete(&self, completion: Completion) -> Option<Result<CompletionReply, BatchError>> {
        let (reply, receiver) = oneshot::channel();
        self.sender.send(CompletionRequest { completion, reply }).await.ok()?;
        receiver.await.ok()
    }
}

async fn run(
    queue: Queue,
    worker_id: String,
    kinds: Option<Vec<String>>,
    lease: Duration,
    mut receiver: mpsc::Receiver<CompletionRequest>,
) {
    let kinds: Option<Vec<&str>> = kinds.as_ref().map(|kinds| kinds.iter().map(String::as_str).collect());
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        debug!(completions = batch.len(), "recording a batch of completions");

        let completions: Vec<Completion> = batch.iter().map(|request| request.completion.clone()).collect();
        match queue.complete_many_and_claim(&completions, &worker_id, kinds.as_deref(), lease).await {
            Ok(outcome) => {
                let mut claimed = outcome.claimed.into_iter();
                for request in batch {
                    let completed = outcome.completed.contains(&request.completion.job_id);
                    let next = claimed.next();
                    if let Err(Ok(reply)) = request.reply.send(Ok(CompletionReply { completed, next })) {
                        release_orphan(&queue, reply.next).await;
                    }
                }
                // More claims than waiting workers cannot happen (one per completion),
                // but a job claimed for nobody must not wait for its lease to expire.
                for orphan in claimed {
                    release_orphan(&queue, Some(orphan)).await;
                }
            }
            Err(error) => {
                let error = BatchError { jobs: batch.len(), message: error_chain(&error) };
                for request in batch {
                    let _ = request.reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Returns a job claimed for a worker that no longer waits to the queue.
async fn release_orphan(queue: &Queue, job: Option<ClaimedJob>) {
    let Some(job) = job else { return };
    if let Err(error) = queue.release(job.id, job.lease_token).await {
        warn!(job_id = job.id, error = %error_chain(&error), "could not release a job claimed for a stopped worker; it is rescued when its lease expires");
    }
}
