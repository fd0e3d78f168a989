//! An OCR request from the web: validated, answered from the cache, or turned
//! into a high-priority `ocr` job that the request waits for.
//!
//! Identical requests share one job through its dedupe key. The next page is not
//! prefetched: the old tool queued it beside people's requests and doubled the
//! engine's work, while a page that nobody asks for is seldom read.

use std::sync::Arc;
use std::time::Duration;

use phetools_queue::{JobId, JobState, JobView, JobWaiter, NewJob, Queue, QueueError};
use sqlx::PgPool;
use url::Url;

use crate::cache::{OcrCache, OcrKey};
use crate::fetch::ImageFetcher;
use crate::handler::{OcrPayload, DOWNLOAD_FAILURE, RECOGNITION_FAILURE};
use crate::languages::Languages;
use crate::thumbnail::PageThumbnail;
use crate::{messages, OcrConfig, JOB_KIND};

/// Page segmentation mode of the tesseract command line when none is given.
pub const DEFAULT_PSM: u8 = 3;
/// Attempts of an OCR job: a retry after a network failure, no more, since a person waits.
const MAX_ATTEMPTS: i32 = 2;

/// A request as the endpoints receive it.
#[derive(Debug, Clone, Default)]
pub struct OcrRequest {
    pub url: String,
    /// Wiki language code(s), joined with `+`.
    pub lang: String,
    pub psm: Option<u8>,
    /// `[x, y, width, height]` in image pixels.
    pub crop: Option<[u32; 4]>,
    pub user: String,
}

/// Stage at which a failed OCR job stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureStage {
    Download,
    Recognition,
    Other,
}

/// Outcome of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum OcrOutcome {
    Done {
        text: String,
        cached: bool,
        job_id: Option<JobId>,
    },
    /// The job did not finish within the wait; poll it.
    Pending { job_id: JobId },
    Failed {
        job_id: JobId,
        stage: FailureStage,
        message: String,
    },
}

/// Reply to a request, with the models and mode it was resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrReply {
    pub outcome: OcrOutcome,
    /// tesseract models used.
    pub languages: String,
    pub psm: u8,
    /// Notes for the client, such as a language that fell back to the default.
    pub warnings: Vec<String>,
}

/// Error of a request.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is invalid; the message names the value and the fix.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("OCR cache query failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// Validates OCR requests, reads the cache, enqueues and waits.
#[derive(Clone)]
pub struct OcrService {
    queue: Queue,
    waiter: JobWaiter,
    cache: OcrCache,
    languages: Arc<Languages>,
    fetcher: ImageFetcher,
    engine_version: String,
    job_priority: i16,
    wait: Duration,
}

impl OcrService {
    pub fn new(
        pool: PgPool,
        waiter: JobWaiter,
        config: &OcrConfig,
        languages: Arc<Languages>,
        fetcher: ImageFetcher,
    ) -> Self {
        OcrService {
            queue: Queue::new(pool.clone()),
            waiter,
            cache: OcrCache::new(pool),
            languages,
            fetcher,
            engine_version: crate::engine::tesseract_version(),
            job_priority: config.job_priority,
            wait: Duration::from_secs(config.request_wait_secs),
        }
    }

    pub fn languages(&self) -> &Languages {
        &self.languages
    }

    /// Serves `request` from the cache, or enqueues it (sharing an identical
    /// queued or running job) and waits up to the configured time.
    pub async fn submit(&self, request: &OcrRequest) -> Result<OcrReply, ServiceError> {
        self.submit_with_wait(request, self.wait).await
    }

    pub async fn submit_with_wait(&self, request: &OcrRequest, wait: Duration) -> Result<OcrReply, ServiceError> {
        let (payload, warnings) = self.payload(request)?;
        let key = payload.key();
        let mut reply = OcrReply {
            outcome: OcrOutcome::Pending { job_id: 0 },
            languages: payload.languages.clone(),
            psm: payload.psm,
            warnings,
        };
        if let Some(text) = self.cache.get(&key).await? {
            reply.outcome = OcrOutcome::Done {
                text,
                cached: true,
                job_id: None,
            };
            return Ok(reply);
        }

        let job = NewJob::new(JOB_KIND, serde_json::to_value(&payload).expect("payload serializes"))
            .priority(self.job_priority)
            .dedupe_key(key.dedupe_key())
            .max_attempts(MAX_ATTEMPTS);
        let job_id = self.queue.enqueue(&job).await?.job_id();
        reply.outcome = match self.waiter.wait(job_id, wait).await? {
            Some(view) => outcome_of(&view),
            None => OcrOutcome::Pending { job_id },
        };
        Ok(reply)
    }

    /// Builds the job payload, or explains what is wrong with the request.
    fn payload(&self, request: &OcrRequest) -> Result<(OcrPayload, Vec<String>), ServiceError> {
        let raw_url = request.url.trim();
        if raw_url.is_empty() {
            return Err(ServiceError::Invalid(messages::missing_url()));
        }
        // Protocol-relative URLs, as wiki pages write them.
        let absolute = match raw_url.strip_prefix("//") {
            Some(rest) => format!("https://{rest}"),
            None => raw_url.to_owned(),
        };
        let url = Url::parse(&absolute)
            .map_err(|error| ServiceError::Invalid(messages::invalid_url(raw_url, &error.to_string())))?;
        self.fetcher
            .check(&url)
            .map_err(|error| ServiceError::Invalid(error.to_string()))?;

        let lang = if request.lang.trim().is_empty() {
            "en"
        } else {
            request.lang.as_str()
        };
        let choice = self.languages.resolve(lang).map_err(ServiceError::Invalid)?;
        let psm = request.psm.unwrap_or(DEFAULT_PSM);
        if psm == 0 || psm == 2 || psm > 13 {
            return Err(ServiceError::Invalid(messages::unsupported_psm(psm)));
        }

        let thumbnail = PageThumbnail::parse(&url);
        let source = match &thumbnail {
            Some(thumbnail) => thumbnail.source_key(),
            None => format!("url:{url}"),
        };
        let payload = OcrPayload {
            url: url.to_string(),
            languages: choice.tesseract,
            psm,
            crop: request.crop,
            source,
            file_dbkey: thumbnail.map(|thumbnail| thumbnail.file_dbkey),
            engine: self.engine_version.clone(),
            user: request.user.clone(),
        };
        Ok((payload, choice.warnings))
    }

    /// Returns the outcome of a job, for clients that poll.
    pub async fn job_outcome(&self, job_id: JobId) -> Result<Option<OcrOutcome>, ServiceError> {
        let Some(view) = self.queue.get(job_id).await? else {
            return Ok(None);
        };
        if view.kind != JOB_KIND {
            return Ok(None);
        }
        Ok(Some(outcome_of(&view)))
    }

    /// Returns the cache key of a request, for tests and tools.
    pub fn key(&self, request: &OcrRequest) -> Result<OcrKey, ServiceError> {
        Ok(self.payload(request)?.0.key())
    }
}

/// Reads the outcome from a job view.
fn outcome_of(view: &JobView) -> OcrOutcome {
    match view.state {
        JobState::Succeeded => {
            let result = view.result.as_ref();
            let text = result
                .and_then(|result| result.get("text"))
                .and_then(|text| text.as_str())
                .unwrap_or_default()
                .to_owned();
            let cached = result
                .and_then(|result| result.get("cached"))
                .and_then(|cached| cached.as_bool())
                .unwrap_or(false);
            OcrOutcome::Done {
                text,
                cached,
                job_id: Some(view.id),
            }
        }
        JobState::Failed | JobState::Cancelled => {
            let message = view
                .errors
                .last()
                .map(|error| error.error.clone())
                .unwrap_or_else(|| messages::job_cancelled(view.id));
            let stage = if message.starts_with(DOWNLOAD_FAILURE) {
                FailureStage::Download
            } else if message.starts_with(RECOGNITION_FAILURE) {
                FailureStage::Recognition
            } else {
                FailureStage::Other
            };
            OcrOutcome::Failed {
                job_id: view.id,
                stage,
                message,
            }
        }
        JobState::Queued | JobState::Running => OcrOutcome::Pending { job_id: view.id },
    }
}
