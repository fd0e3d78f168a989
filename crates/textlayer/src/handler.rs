//! The `text_layer` job: look up a file, download it when its version is new,
//! extract its text layer and store it.

use std::sync::Arc;

use async_trait::async_trait;
use phetools_queue::{JobContext, JobError, JobHandler, NewJob};
use phetools_wiki::{file_dbkey, Downloader, FileInfo, WikiClient};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tracing::{info, warn, Instrument};

use crate::extract::{extract, ExtractConfig, FileKind};
use crate::store::{StoreError, TextLayerStore};

/// Job kind handled by [`TextLayerHandler`].
pub const JOB_KIND: &str = "text_layer";

/// Payload of a `text_layer` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLayerPayload {
    /// Domain of the wiki, e.g. `en.wikisource.org` or `commons.wikimedia.org`.
    pub wiki: String,
    /// File name, with or without `File:`.
    pub file: String,
    /// SHA-1 (40 hex digits) of the version that triggered the job, when
    /// known. The job always extracts the version the wiki shows when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// Cause of the job (an upload event, a user request), for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Id of the EventStreams event that triggered the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Value>,
}

impl TextLayerPayload {
    /// Builds the job for this payload. Its dedupe key names the wiki and the file, so
    /// events for a file that already has a queued or running job add no job.
    pub fn new_job(&self) -> Result<NewJob, JobError> {
        let dbkey =
            file_dbkey(&self.file).map_err(|err| JobError::permanent(format!("invalid text_layer payload: {err}")))?;
        let payload = serde_json::to_value(self).map_err(JobError::permanent)?;
        Ok(NewJob::new(JOB_KIND, payload).dedupe_key(format!("{JOB_KIND}:{}:{dbkey}", self.wiki)))
    }
}

/// Result of a finished job (stored as `job.result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLayerResult {
    pub sha1: String,
    pub page_count: u32,
    pub pages_with_text: u32,
    /// `extracted` after a download, `unchanged` when the text layer of this
    /// sha1 was already stored and only the wiki's row was updated.
    pub outcome: Outcome,
    /// Bytes downloaded; absent when `unchanged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloaded_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Extracted,
    Unchanged,
}

/// Maximum number of versions of one file that a job extracts when the file keeps
/// being re-uploaded while it runs. A later upload event queues a new job anyway.
const MAX_VERSIONS_PER_JOB: usize = 3;

/// Runs `text_layer` jobs.
pub struct TextLayerHandler {
    wiki: Arc<WikiClient>,
    downloader: Downloader,
    store: TextLayerStore,
    extract: ExtractConfig,
}

impl TextLayerHandler {
    pub fn new(wiki: Arc<WikiClient>, downloader: Downloader, store: TextLayerStore, extract: ExtractConfig) -> Self {
        TextLayerHandler {
            wiki,
            downloader,
            store,
            extract,
        }
    }

    async fn process(&self, job: &JobContext, payload: &TextLayerPayload) -> Result<TextLayerResult, JobError> {
        let dbkey = file_dbkey(&payload.file)
            .map_err(|err| JobError::permanent(format!("invalid text_layer payload: {err}")))?;
        if let Some(sha1) = &payload.sha1 {
            check_sha1(sha1)?;
        }

        let info = self
            .wiki
            .imageinfo(&payload.wiki, &dbkey)
            .await
            .map_err(|err| classify(err.is_retryable(), err))?;
        let name = format!("File:{} on {} (sha1 {})", info.dbkey, info.domain, info.sha1);
        if payload
            .sha1
            .as_deref()
            .is_some_and(|sha1| !sha1.eq_ignore_ascii_case(&info.sha1))
        {
            info!(
                current_sha1 = info.sha1,
                "the file changed since the job was queued; extracting the current version"
            );
        }
        let kind = FileKind::from_mime(&info.mime).ok_or_else(|| {
            JobError::permanent(format!(
                "{name}: MIME type {} has no text layer; only DjVu (image/vnd.djvu) and PDF (application/pdf) files are read",
                info.mime
            ))
        })?;

        if let Some(summary) = self.store.summary(&info.sha1).await.map_err(store_error)? {
            self.store.link(&info).await.map_err(store_error)?;
            info!(sha1 = info.sha1, "text layer already stored; wiki_file updated");
            return Ok(TextLayerResult {
                sha1: info.sha1,
                page_count: summary.page_count,
                pages_with_text: summary.pages_with_text,
                outcome: Outcome::Unchanged,
                downloaded_bytes: None,
            });
        }

        self.extract_and_store(job, &info, kind, &name).await
    }

    /// Processes the file, then looks it up again: a re-upload that arrived while
    /// the job ran found this job still running, so the stream's dedupe key
    /// produced no new job for it, and this job extracts the new version too.
    async fn process_current_version(
        &self,
        job: &JobContext,
        payload: &TextLayerPayload,
    ) -> Result<TextLayerResult, JobError> {
        let mut result = self.process(job, payload).await?;
        for _ in 1..MAX_VERSIONS_PER_JOB {
            let current = self
                .wiki
                .imageinfo(&payload.wiki, &payload.file)
                .await
                .map_err(|err| classify(err.is_retryable(), err))?;
            if current.sha1 == result.sha1 {
                return Ok(result);
            }
            info!(
                extracted_sha1 = result.sha1,
                current_sha1 = current.sha1,
                "the file was re-uploaded during the job; extracting the new version"
            );
            result = self.process(job, payload).await?;
        }
        Ok(result)
    }

    async fn extract_and_store(
        &self,
        job: &JobContext,
        info: &FileInfo,
        kind: FileKind,
        name: &str,
    ) -> Result<TextLayerResult, JobError> {
        let max_bytes = self.downloader.config().max_file_bytes;
        if info.size_bytes > max_bytes {
            return Err(JobError::permanent(format!(
                "{name}: the file has {} bytes, over the download limit of {max_bytes} bytes",
                info.size_bytes
            )));
        }

        job.progress
            .report(json!({"stage": "download", "bytes": info.size_bytes}));
        let downloaded = tokio::select! {
            result = self.downloader.download(&info.url, &info.sha1) => {
                result.map_err(|err| classify(err.is_retryable(), err))?
            }
            () = job.cancel.cancelled() => return Err(JobError::Cancelled),
        };

        job.progress
            .report(json!({"stage": "extract", "bytes": downloaded.size_bytes}));
        let layer = extract(&downloaded.path, kind, name, &self.extract, &job.cancel)
            .await
            .map_err(|err| {
                if err.is_cancelled() {
                    JobError::Cancelled
                } else {
                    classify(err.is_retryable(), err)
                }
            })?;
        if let Some(expected) = info.page_count.filter(|count| *count as usize != layer.page_count()) {
            warn!(
                wiki_page_count = expected,
                extracted_page_count = layer.page_count(),
                "page count differs from the wiki's"
            );
        }

        job.progress
            .report(json!({"stage": "store", "pages": layer.page_count()}));
        self.store.save(info, &layer).await.map_err(store_error)?;
        info!(
            pages = layer.page_count(),
            pages_with_text = layer.pages_with_text(),
            "text layer stored"
        );
        Ok(TextLayerResult {
            sha1: info.sha1.clone(),
            page_count: layer.page_count() as u32,
            pages_with_text: layer.pages_with_text() as u32,
            outcome: Outcome::Extracted,
            downloaded_bytes: Some(downloaded.size_bytes),
        })
    }
}

#[async_trait]
impl JobHandler for TextLayerHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let payload: TextLayerPayload = serde_json::from_value(job.payload.clone()).map_err(|err| {
            JobError::permanent(format!(
                "invalid text_layer payload {}: {err}; expected {{\"wiki\": domain, \"file\": name, \"sha1\"?: 40 hex digits}}",
                job.payload
            ))
        })?;
        let span = tracing::info_span!("text_layer", job_id = job.job_id, kind = %job.kind, wiki = %payload.wiki, file = %payload.file);
        let result = self.process_current_version(&job, &payload).instrument(span).await?;
        serde_json::to_value(result).map_err(JobError::permanent)
    }
}

fn check_sha1(sha1: &str) -> Result<(), JobError> {
    if sha1.len() == 40 && sha1.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    Err(JobError::permanent(format!(
        "invalid text_layer payload: sha1 {sha1:?} is not 40 hex digits (convert the base-36 img_sha1 of events with phetools_wiki::sha1_hex_from_base36)"
    )))
}

fn classify(retryable: bool, err: impl std::fmt::Display) -> JobError {
    if retryable {
        JobError::retryable(err)
    } else {
        JobError::permanent(err)
    }
}

fn store_error(err: StoreError) -> JobError {
    match err {
        StoreError::Database(_) | StoreError::NoTextLayer { .. } => JobError::retryable(err),
        other => JobError::permanent(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_job_dedupes_on_wiki_and_dbkey() {
        let payload = TextLayerPayload {
            wiki: "en.wikisource.org".to_owned(),
            file: "File:popular science.djvu".to_owned(),
            sha1: None,
            reason: Some("upload".to_owned()),
            event_id: None,
        };
        let job = payload.new_job().unwrap();

        assert_eq!(job.kind, JOB_KIND);
        assert_eq!(
            job.dedupe_key.as_deref(),
            Some("text_layer:en.wikisource.org:Popular_science.djvu")
        );
        assert_eq!(
            job.payload,
            json!({"wiki": "en.wikisource.org", "file": "File:popular science.djvu", "reason": "upload"})
        );
    }

    #[test]
    fn new_job_rejects_invalid_file_name() {
        let payload = TextLayerPayload {
            wiki: "en.wikisource.org".to_owned(),
            file: "A|B".to_owned(),
            sha1: None,
            reason: None,
            event_id: None,
        };

        assert!(matches!(payload.new_job(), Err(JobError::Permanent(_))));
    }
}
