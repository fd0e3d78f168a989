//! The `hocr` job: look up a file, download it, make sure its text layer is
//! stored, build the hOCR of every page, store it and read it back.

use std::sync::Arc;

use async_trait::async_trait;
use phetools_queue::{JobContext, JobError, JobHandler, NewJob};
use phetools_textlayer::{extract, ExtractConfig, FileKind, TextLayerStore};
use phetools_wiki::{file_dbkey, Downloader, FileInfo, WikiClient};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tracing::{info, Instrument};

use crate::build::build_book;
use crate::config::HocrConfig;
use crate::messages;
use crate::recognize::PageRecognizer;
use crate::request::{is_language_code, language_for_wiki};
use crate::store::{HocrStore, HocrSummary};

/// Job kind handled by [`HocrHandler`].
pub const JOB_KIND: &str = "hocr";

/// Payload of an `hocr` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HocrPayload {
    /// Domain of the Wikisource, e.g. `en.wikisource.org`.
    pub wiki: String,
    /// File name, with or without `File:` (an `Index:` prefix is also accepted).
    pub file: String,
    /// Language code (for OCR); the wiki's language when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Cause of the job (a request, an Index creation, a backfill), for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Id of the EventStreams event that triggered the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Value>,
}

impl HocrPayload {
    /// The file's dbkey; an `Index:` title names the file of the same name.
    pub fn dbkey(&self) -> Result<String, JobError> {
        let name = self.file.strip_prefix("Index:").unwrap_or(&self.file);
        file_dbkey(name).map_err(|err| JobError::permanent(messages::invalid_payload(&self.file, err)))
    }

    /// The language of the build: `lang`, else the wiki's.
    pub fn language(&self) -> Result<String, JobError> {
        match &self.lang {
            Some(lang) if is_language_code(lang) => Ok(lang.clone()),
            Some(lang) => Err(JobError::permanent(messages::invalid_payload(
                lang,
                "not a language code",
            ))),
            None => language_for_wiki(&self.wiki)
                .ok_or_else(|| JobError::permanent(messages::wiki_without_language(&self.wiki))),
        }
    }

    /// Builds the job. Its dedupe key names the wiki, the file and the
    /// language, so there is never more than one build of a book in flight.
    pub fn new_job(&self) -> Result<NewJob, JobError> {
        let dbkey = self.dbkey()?;
        let lang = self.language()?;
        let payload = serde_json::to_value(self).map_err(JobError::permanent)?;
        Ok(NewJob::new(JOB_KIND, payload).dedupe_key(dedupe_key(&self.wiki, &dbkey, &lang)))
    }
}

/// The dedupe key of the build of `dbkey` on `wiki` in `lang`; the stream rules
/// in streams.toml write the same key.
pub fn dedupe_key(wiki: &str, dbkey: &str, lang: &str) -> String {
    format!("{JOB_KIND}:{wiki}:{dbkey}:{lang}")
}

/// Result of a finished job (stored as `job.result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HocrResult {
    pub sha1: String,
    pub lang: String,
    pub page_count: u32,
    pub pages_text_layer: u32,
    pub pages_ocr: u32,
    pub pages_empty: u32,
    /// `built`, or `unchanged` when the hOCR of this sha1 was already stored.
    pub outcome: String,
}

/// Runs `hocr` jobs.
pub struct HocrHandler {
    wiki: Arc<WikiClient>,
    downloader: Downloader,
    text_layers: TextLayerStore,
    store: HocrStore,
    extract: ExtractConfig,
    config: HocrConfig,
    recognizer: Option<Arc<dyn PageRecognizer>>,
}

impl HocrHandler {
    pub fn new(
        wiki: Arc<WikiClient>,
        downloader: Downloader,
        text_layers: TextLayerStore,
        store: HocrStore,
        extract: ExtractConfig,
        config: HocrConfig,
    ) -> Self {
        HocrHandler {
            wiki,
            downloader,
            text_layers,
            store,
            extract,
            config,
            recognizer: None,
        }
    }

    /// Reads pages without a text layer with `recognizer`.
    pub fn with_recognizer(mut self, recognizer: Arc<dyn PageRecognizer>) -> Self {
        self.recognizer = Some(recognizer);
        self
    }

    async fn process(&self, job: &JobContext, payload: &HocrPayload) -> Result<HocrResult, JobError> {
        let dbkey = payload.dbkey()?;
        let lang = payload.language()?;
        let result = self.build(job, payload, &dbkey, &lang).await;
        match &result {
            Ok(_) => self.store.clear_failure(&payload.wiki, &dbkey, &lang).await,
            Err(JobError::Permanent(reason)) => self.store.record_failure(&payload.wiki, &dbkey, &lang, reason).await,
            Err(_) => Ok(()),
        }
        .map_err(JobError::retryable)?;
        result
    }

    async fn build(
        &self,
        job: &JobContext,
        payload: &HocrPayload,
        dbkey: &str,
        lang: &str,
    ) -> Result<HocrResult, JobError> {
        let info = self
            .wiki
            .imageinfo(&payload.wiki, dbkey)
            .await
            .map_err(|err| classify(err.is_retryable(), err))?;
        let name = format!("File:{} on {} (sha1 {})", info.dbkey, info.domain, info.sha1);
        let kind = FileKind::from_mime(&info.mime)
            .ok_or_else(|| JobError::permanent(messages::not_djvu_or_pdf(&name, &info.mime)))?;

        if let (Some(summary), Some(_)) = (
            self.store
                .summary(&info.sha1, lang)
                .await
                .map_err(JobError::retryable)?,
            self.text_layers
                .summary(&info.sha1)
                .await
                .map_err(JobError::retryable)?,
        ) {
            self.text_layers.link(&info).await.map_err(JobError::retryable)?;
            info!(sha1 = info.sha1, "hOCR already stored; wiki_file updated");
            return Ok(result(&info, lang, summary, "unchanged"));
        }

        let limit = self.downloader.config().max_file_bytes;
        if info.size_bytes > limit {
            return Err(JobError::permanent(messages::too_large(&name, info.size_bytes, limit)));
        }
        job.progress
            .report(json!({"stage": "download", "bytes": info.size_bytes}));
        let downloaded = tokio::select! {
            result = self.downloader.download(&info.url, &info.sha1) => {
                result.map_err(|err| classify(err.is_retryable(), err))?
            }
            () = job.cancel.cancelled() => return Err(JobError::Cancelled),
        };

        self.store_text_layer(job, &info, kind, &downloaded.path, &name).await?;

        job.progress.report(json!({"stage": "hocr"}));
        let pages = build_book(
            &downloaded.path,
            kind,
            &info.dbkey,
            lang,
            &self.config,
            self.recognizer.as_deref(),
            &job.cancel,
        )
        .await
        .map_err(|err| job_error(err.is_cancelled(), err.is_retryable(), format!("{name}: {err}")))?;

        job.progress.report(json!({"stage": "store", "pages": pages.len()}));
        let summary = self
            .store
            .save(&info.sha1, lang, &pages)
            .await
            .map_err(JobError::retryable)?;
        self.store
            .verify(&info.sha1, lang, &pages)
            .await
            .map_err(JobError::retryable)?;
        info!(pages = pages.len(), "hOCR stored and read back");
        Ok(result(&info, lang, summary, "built"))
    }

    /// Stores the text layer of this version unless it is stored already,
    /// and points the wiki's `wiki_file` row at it: requests find the current
    /// version of a file through that row.
    async fn store_text_layer(
        &self,
        job: &JobContext,
        info: &FileInfo,
        kind: FileKind,
        path: &std::path::Path,
        name: &str,
    ) -> Result<(), JobError> {
        if self
            .text_layers
            .summary(&info.sha1)
            .await
            .map_err(JobError::retryable)?
            .is_some()
        {
            return self.text_layers.link(info).await.map_err(JobError::retryable);
        }
        job.progress.report(json!({"stage": "text_layer"}));
        let layer = extract(path, kind, name, &self.extract, &job.cancel)
            .await
            .map_err(|err| job_error(err.is_cancelled(), err.is_retryable(), err))?;
        self.text_layers.save(info, &layer).await.map_err(JobError::retryable)
    }
}

fn result(info: &FileInfo, lang: &str, summary: HocrSummary, outcome: &str) -> HocrResult {
    HocrResult {
        sha1: info.sha1.clone(),
        lang: lang.to_owned(),
        page_count: summary.page_count,
        pages_text_layer: summary.pages_text_layer,
        pages_ocr: summary.pages_ocr,
        pages_empty: summary.pages_empty,
        outcome: outcome.to_owned(),
    }
}

#[async_trait]
impl JobHandler for HocrHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let payload: HocrPayload = serde_json::from_value(job.payload.clone())
            .map_err(|err| JobError::permanent(messages::invalid_payload(&job.payload, err)))?;
        let span = tracing::info_span!(
            "hocr",
            job_id = job.job_id,
            kind = %job.kind,
            wiki = %payload.wiki,
            title = %payload.file,
            lang = payload.lang.as_deref().unwrap_or("")
        );
        let result = self.process(&job, &payload).instrument(span).await?;
        serde_json::to_value(result).map_err(JobError::permanent)
    }
}

fn job_error(cancelled: bool, retryable: bool, err: impl std::fmt::Display) -> JobError {
    if cancelled {
        JobError::Cancelled
    } else {
        classify(retryable, err)
    }
}

fn classify(retryable: bool, err: impl std::fmt::Display) -> JobError {
    if retryable {
        JobError::retryable(err)
    } else {
        JobError::permanent(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(file: &str, lang: Option<&str>) -> HocrPayload {
        HocrPayload {
            wiki: "en.wikisource.org".to_owned(),
            file: file.to_owned(),
            lang: lang.map(str::to_owned),
            reason: None,
            event_id: None,
        }
    }

    #[test]
    fn dedupe_key_names_wiki_file_and_language() {
        let job = payload("Index:popular science.djvu", None).new_job().unwrap();
        assert_eq!(job.kind, JOB_KIND);
        assert_eq!(
            job.dedupe_key.as_deref(),
            Some("hocr:en.wikisource.org:Popular_science.djvu:en")
        );
        let job = payload("File:Popular_science.djvu", Some("la")).new_job().unwrap();
        assert_eq!(
            job.dedupe_key.as_deref(),
            Some("hocr:en.wikisource.org:Popular_science.djvu:la")
        );
    }

    #[test]
    fn rejects_bad_payloads() {
        assert!(matches!(
            payload("A|B.djvu", None).new_job(),
            Err(JobError::Permanent(_))
        ));
        assert!(matches!(
            payload("A.djvu", Some("EN")).new_job(),
            Err(JobError::Permanent(_))
        ));
        let mut commons = payload("A.djvu", None);
        commons.wiki = "commons.wikimedia.org".to_owned();
        assert!(matches!(commons.new_job(), Err(JobError::Permanent(_))));
    }
}
