//! Building the hOCR of every page of a book.

use std::ffi::OsString;
use std::path::Path;

use phetools_textlayer::runner::{ToolOutput, ToolRunner};
use phetools_textlayer::{ExtractError, FileKind};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::config::HocrConfig;
use crate::recognize::{render_page, PageRecognizer, RecognizeError};
use crate::{djvu, pdf};

/// Where the hOCR of a page comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageSource {
    /// The word boxes of the file's text layer.
    TextLayer,
    /// OCR of the rendered page.
    Ocr,
    /// No text layer and no OCR engine: only the page box.
    Empty,
}

impl PageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PageSource::TextLayer => "text_layer",
            PageSource::Ocr => "ocr",
            PageSource::Empty => "empty",
        }
    }
}

/// The hOCR document of one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPage {
    pub hocr: String,
    pub source: PageSource,
}

/// Error of an hOCR build. `file` names the file, e.g. `File:Book.djvu`.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A tool failed or printed something unexpected.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error("{file} has no text layer, and no OCR engine is configured to read its {pages} pages")]
    NoTextNoOcr { file: String, pages: usize },
    #[error("{file}: OCR of page {page} failed: {source}")]
    Recognize {
        file: String,
        page: usize,
        source: RecognizeError,
    },
    #[error("{file}: a temporary file failed: {source}")]
    Io { file: String, source: std::io::Error },
}

impl BuildError {
    /// Returns `true` when the same file may build later, after a failure of
    /// the machine (timeout, missing tool, busy OCR engine), not of the file.
    pub fn is_retryable(&self) -> bool {
        match self {
            BuildError::Extract(err) => err.is_retryable(),
            BuildError::Recognize { source, .. } => source.retryable,
            BuildError::Io { .. } => true,
            BuildError::NoTextNoOcr { .. } => false,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, BuildError::Extract(err) if err.is_cancelled())
    }
}

/// Runs `tool` on `file` (see [`phetools_textlayer::run_tool`]).
pub(crate) async fn run_tool(
    runner: &ToolRunner,
    tool: &'static str,
    args: &[OsString],
    file: &str,
    cancel: &CancellationToken,
) -> Result<ToolOutput, BuildError> {
    let output = phetools_textlayer::run_tool(runner, tool, args, file, cancel).await?;
    if !output.stderr.is_empty() {
        debug!(
            file,
            tool,
            stderr = output.stderr,
            "tool succeeded with messages on stderr"
        );
    }
    Ok(output)
}

/// An unexpected tool output, as an error about `file`.
pub(crate) fn malformed(file: &str, tool: &'static str, detail: String) -> BuildError {
    BuildError::Extract(ExtractError::Malformed {
        file: file.to_owned(),
        tool,
        detail,
    })
}

/// Reads the text layer of every page of the `kind` file at `path`.
pub async fn text_layer_pages(
    path: &Path,
    kind: FileKind,
    file: &str,
    config: &HocrConfig,
    cancel: &CancellationToken,
) -> Result<Vec<crate::xhtml::Page>, BuildError> {
    let runner = config.runner();
    match kind {
        FileKind::Djvu => djvu::pages(path, file, &runner, cancel).await,
        FileKind::Pdf => pdf::pages(path, file, config.pdf_dpi, &runner, cancel).await,
    }
}

/// Builds the hOCR of every page: from the text layer where a page has words,
/// else by OCR of the rendered page when `recognizer` is given, else an empty
/// page. `file` names the file in errors and in each page's `image` property.
pub async fn build_book(
    path: &Path,
    kind: FileKind,
    file: &str,
    lang: &str,
    config: &HocrConfig,
    recognizer: Option<&dyn PageRecognizer>,
    cancel: &CancellationToken,
) -> Result<Vec<BuiltPage>, BuildError> {
    let pages = text_layer_pages(path, kind, file, config, cancel).await?;
    let without_text = pages.iter().filter(|page| page.word_count() == 0).count();
    if without_text == pages.len() && !pages.is_empty() && recognizer.is_none() {
        return Err(BuildError::NoTextNoOcr {
            file: file.to_owned(),
            pages: pages.len(),
        });
    }
    let runner = config.runner();
    let mut built = Vec::with_capacity(pages.len());
    for (index, page) in pages.iter().enumerate() {
        let number = index + 1;
        let image_name = format!("{file} page {number}");
        if page.word_count() > 0 {
            built.push(BuiltPage {
                hocr: page.to_xhtml(&image_name, lang),
                source: PageSource::TextLayer,
            });
            continue;
        }
        let Some(recognizer) = recognizer else {
            built.push(BuiltPage {
                hocr: page.to_xhtml(&image_name, lang),
                source: PageSource::Empty,
            });
            continue;
        };
        let image = render_page(path, kind, number, file, config.pdf_dpi, &runner, cancel).await?;
        let hocr = recognizer
            .recognize(image, lang, cancel)
            .await
            .map_err(|source| BuildError::Recognize {
                file: file.to_owned(),
                page: number,
                source,
            })?;
        built.push(BuiltPage {
            hocr,
            source: PageSource::Ocr,
        });
    }
    info!(
        file,
        pages = built.len(),
        pages_without_text = without_text,
        "hOCR built"
    );
    Ok(built)
}
