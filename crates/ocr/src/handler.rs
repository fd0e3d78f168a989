//! The job kind `ocr`: fetch the image, recognise it, store the text.

use async_trait::async_trait;
use phetools_queue::{JobContext, JobError, JobHandler};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{info, Instrument};
use url::Url;

use crate::cache::{OcrCache, OcrKey};
use crate::engine::{Crop, EngineError, PageOptions};
use crate::fetch::{FetchError, ImageFetcher};
use crate::messages;
use crate::pool::EnginePool;

/// Start of the error of a job whose image could not be downloaded; the legacy
/// endpoint turns it into error 3.
pub const DOWNLOAD_FAILURE: &str = "image download failed: ";
/// Start of the error of a job whose recognition failed; the legacy endpoint turns it into error 2.
pub const RECOGNITION_FAILURE: &str = "OCR failed: ";

/// Payload of an `ocr` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrPayload {
    pub url: String,
    /// tesseract models joined with `+`.
    pub languages: String,
    pub psm: u8,
    pub crop: Option<[u32; 4]>,
    /// Cache source key, see [`OcrKey::source`].
    pub source: String,
    pub file_dbkey: Option<String>,
    pub engine: String,
    /// Wiki user name given by the client, only logged.
    #[serde(default)]
    pub user: String,
}

impl OcrPayload {
    pub fn key(&self) -> OcrKey {
        OcrKey {
            source: self.source.clone(),
            languages: self.languages.clone(),
            psm: self.psm,
            crop: self.crop().map(|crop| crop.key()).unwrap_or_default(),
            engine: self.engine.clone(),
        }
    }

    fn crop(&self) -> Option<Crop> {
        self.crop.map(|[x, y, width, height]| Crop { x, y, width, height })
    }
}

/// Result of an `ocr` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrJobResult {
    pub text: String,
    pub dpi: Option<i32>,
    pub quarter_turns: i32,
    pub seconds: f64,
}

/// Runs `ocr` jobs on an [`EnginePool`].
pub struct OcrHandler {
    fetcher: ImageFetcher,
    engines: EnginePool,
    cache: OcrCache,
}

impl OcrHandler {
    pub fn new(fetcher: ImageFetcher, engines: EnginePool, cache: OcrCache) -> Self {
        OcrHandler {
            fetcher,
            engines,
            cache,
        }
    }

    async fn run_payload(&self, payload: OcrPayload) -> Result<Value, JobError> {
        let key = payload.key();
        // An identical request may have finished between the enqueue and this claim.
        if let Some(text) = self.cache.get(&key).await.map_err(database_error)? {
            return Ok(serde_json::json!({ "text": text, "cached": true }));
        }
        let url = Url::parse(&payload.url)
            .map_err(|error| JobError::permanent(messages::invalid_url(&payload.url, &error.to_string())))?;
        let image = self.fetcher.fetch(&url).await.map_err(fetch_error)?;
        let options = PageOptions {
            languages: payload.languages.clone(),
            psm: payload.psm,
            crop: payload.crop(),
        };
        let page = self.engines.recognize(image, options).await.map_err(engine_error)?;
        self.cache
            .put(&key, payload.file_dbkey.as_deref(), &page.text)
            .await
            .map_err(database_error)?;
        info!(
            url = %payload.url,
            user = %payload.user,
            languages = %payload.languages,
            seconds = page.seconds,
            empty = page.text.trim().is_empty(),
            "page recognised"
        );
        let result = OcrJobResult {
            text: page.text,
            dpi: page.dpi,
            quarter_turns: page.quarter_turns,
            seconds: page.seconds,
        };
        serde_json::to_value(result).map_err(|error| JobError::permanent(error.to_string()))
    }
}

#[async_trait]
impl JobHandler for OcrHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let payload: OcrPayload = serde_json::from_value(job.payload.clone())
            .map_err(|error| JobError::permanent(messages::invalid_payload(&error.to_string())))?;
        let span = tracing::info_span!("ocr", job_id = job.job_id, kind = crate::JOB_KIND, url = %payload.url);
        self.run_payload(payload).instrument(span).await
    }
}

fn fetch_error(error: FetchError) -> JobError {
    let message = format!("{DOWNLOAD_FAILURE}{error}");
    if error.is_retryable() {
        JobError::retryable(message)
    } else {
        JobError::permanent(message)
    }
}

fn engine_error(error: EngineError) -> JobError {
    // A timed-out page would time out again, and a broken image stays broken.
    JobError::permanent(format!("{RECOGNITION_FAILURE}{error}"))
}

fn database_error(error: sqlx::Error) -> JobError {
    JobError::retryable(messages::cache_failed(&error.to_string()))
}
