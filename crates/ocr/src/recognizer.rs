//! OCR of the pages of a DjVu or PDF that have no text layer: the
//! [`PageRecognizer`] of the `hocr` job, run on the same engine threads,
//! page time limit and pixel limit as the `ocr` jobs.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use phetools_hocr::xhtml::page_document;
use phetools_hocr::{PageRecognizer, RecognizeError};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::engine::{tesseract_version, EngineError, PageOptions};
use crate::languages::Languages;
use crate::messages;
use crate::pool::EnginePool;

/// Page segmentation mode of a whole scanned page: fully automatic, without
/// orientation detection, as the tesseract command line's default.
const WHOLE_PAGE_PSM: u8 = 3;
/// hOCR classes and properties in tesseract 5.3's `ocr_page` element. Its own
/// hOCR header lists only the first six, but it also writes the line kinds
/// `ocr_caption`, `ocr_header`, `ocr_textfloat` and the `ocr_photo` area.
const TESSERACT_CAPABILITIES: &str =
    "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf ocr_caption ocr_header ocr_textfloat ocr_photo";

/// Reads rendered pages with an [`EnginePool`] and returns their hOCR.
pub struct HocrRecognizer {
    engines: EnginePool,
    languages: Arc<Languages>,
    ocr_system: String,
}

impl HocrRecognizer {
    /// Reads pages on `engines`, mapping wiki language codes to the models
    /// `languages` lists.
    pub fn new(engines: EnginePool, languages: Arc<Languages>) -> Self {
        HocrRecognizer {
            engines,
            languages,
            ocr_system: format!("tesseract {}", tesseract_version()),
        }
    }
}

#[async_trait]
impl PageRecognizer for HocrRecognizer {
    async fn recognize(
        &self,
        image: Vec<u8>,
        lang: &str,
        cancel: &CancellationToken,
    ) -> Result<String, RecognizeError> {
        let choice = self.languages.resolve(lang).map_err(|message| RecognizeError {
            message,
            retryable: false,
        })?;
        for warning in &choice.warnings {
            warn!(lang, warning = %warning, "hOCR page read with the default model");
        }
        let options = PageOptions {
            languages: choice.tesseract,
            psm: WHOLE_PAGE_PSM,
            crop: None,
        };
        let page = tokio::select! {
            page = self.engines.recognize_hocr(Bytes::from(image), options) => page.map_err(engine_error)?,
            () = cancel.cancelled() => {
                return Err(RecognizeError {
                    message: messages::hocr_page_cancelled(),
                    retryable: true,
                })
            }
        };
        Ok(page_document(
            &page.text,
            lang,
            &self.ocr_system,
            TESSERACT_CAPABILITIES,
        ))
    }
}

/// Marks only an unavailable engine pool as retryable, because a worker that
/// shuts down stops it. A page that timed out or cannot be decoded fails the
/// same way again.
fn engine_error(error: EngineError) -> RecognizeError {
    RecognizeError {
        retryable: matches!(error, EngineError::Unavailable(_)),
        message: error.to_string(),
    }
}
