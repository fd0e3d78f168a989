//! OCR of pages without a text layer: the page is rendered to an image and
//! handed to a [`PageRecognizer`].

use std::ffi::OsString;
use std::path::Path;

use async_trait::async_trait;
use phetools_textlayer::runner::ToolRunner;
use phetools_textlayer::FileKind;
use tokio_util::sync::CancellationToken;

use crate::build::{run_tool, BuildError};

/// Error of a page recognition.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RecognizeError {
    pub message: String,
    /// `true` when the same image may be recognised later (a busy or
    /// restarting engine), `false` when it never will (an unknown language).
    pub retryable: bool,
}

/// Turns the image of one page into an hOCR document.
#[async_trait]
pub trait PageRecognizer: Send + Sync + 'static {
    /// Recognises `image` (a TIFF file's bytes) in the Wikisource language
    /// `lang` and returns a complete hOCR XHTML document whose boxes are
    /// pixels of the image.
    async fn recognize(&self, image: Vec<u8>, lang: &str, cancel: &CancellationToken)
        -> Result<String, RecognizeError>;
}

/// Renders page `page` (from 1) as a TIFF image: DjVu pages at their full
/// resolution with `ddjvu`, PDF pages at `pdf_dpi` with `pdftoppm`, so that the
/// recognised boxes use the same pixels as the text-layer hOCR of the file.
pub async fn render_page(
    path: &Path,
    kind: FileKind,
    page: usize,
    file: &str,
    pdf_dpi: u32,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<Vec<u8>, BuildError> {
    let directory = tempfile::tempdir().map_err(|source| BuildError::Io {
        file: file.to_owned(),
        source,
    })?;
    let (tool, args, output) = match kind {
        FileKind::Djvu => {
            let output = directory.path().join("page.tif");
            let args = vec![
                OsString::from("-format=tiff"),
                OsString::from(format!("-page={page}")),
                path.as_os_str().to_owned(),
                output.as_os_str().to_owned(),
            ];
            ("ddjvu", args, output)
        }
        FileKind::Pdf => {
            let prefix = directory.path().join("page");
            let args = vec![
                OsString::from("-r"),
                OsString::from(pdf_dpi.to_string()),
                OsString::from("-f"),
                OsString::from(page.to_string()),
                OsString::from("-l"),
                OsString::from(page.to_string()),
                OsString::from("-gray"),
                OsString::from("-tiff"),
                OsString::from("-singlefile"),
                path.as_os_str().to_owned(),
                prefix.as_os_str().to_owned(),
            ];
            ("pdftoppm", args, directory.path().join("page.tif"))
        }
    };
    run_tool(runner, tool, &args, file, cancel).await?;
    tokio::fs::read(&output).await.map_err(|source| BuildError::Io {
        file: file.to_owned(),
        source,
    })
}
