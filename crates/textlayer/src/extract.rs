//! Text-layer extraction from a DjVu or PDF file on disk.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::runner::{ToolError, ToolOutput, ToolRunner};
use crate::{djvu, pdf};

/// File formats with a text layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Djvu,
    Pdf,
}

impl FileKind {
    /// Returns the kind of a MIME type as MediaWiki reports it, or `None` for a
    /// file without a text layer.
    pub fn from_mime(mime: &str) -> Option<FileKind> {
        match mime {
            "image/vnd.djvu" | "image/x-djvu" | "image/djvu" => Some(FileKind::Djvu),
            "application/pdf" => Some(FileKind::Pdf),
            _ => None,
        }
    }

    /// Detects the kind from the first bytes of a file: `AT&TFORM` for DjVu,
    /// `%PDF-` within the first KiB for PDF (readers accept leading junk).
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        if head.starts_with(b"AT&TFORM") {
            return Some(FileKind::Djvu);
        }
        let window = &head[..head.len().min(1024)];
        window.windows(5).any(|w| w == b"%PDF-").then_some(FileKind::Pdf)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Djvu => "DjVu",
            FileKind::Pdf => "PDF",
        }
    }
}

/// Settings of the extraction tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractConfig {
    /// Limit for one run of djvutxt, djvused, pdfinfo or pdftotext, in seconds.
    pub tool_timeout_secs: u64,
    /// Largest text output accepted from one tool run, in bytes.
    pub max_output_bytes: usize,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        // djvutxt reads the 325-page test book (5 MB) in about 0.3 s on a 2-core
        // machine and prints 0.75 MB. By estimate, these limits leave room for
        // books a hundred times larger.
        ExtractConfig {
            tool_timeout_secs: 600,
            max_output_bytes: 256 << 20,
        }
    }
}

impl ExtractConfig {
    pub(crate) fn runner(&self) -> ToolRunner {
        ToolRunner::new(Duration::from_secs(self.tool_timeout_secs), self.max_output_bytes)
    }
}

/// The normalised text of every page of a file; `pages[0]` is page 1. A page
/// without text is an empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLayer {
    pub kind: FileKind,
    pub pages: Vec<String>,
}

impl TextLayer {
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn pages_with_text(&self) -> usize {
        self.pages.iter().filter(|page| !page.is_empty()).count()
    }
}

/// Error of a text-layer extraction. `file` is the name given to
/// [`extract`], e.g. `File:Book.djvu`.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{file}: MIME type {mime} has no text layer; only DjVu (image/vnd.djvu) and PDF (application/pdf) files are read")]
    UnsupportedType { file: String, mime: String },
    #[error("{file} is not a {expected} file: {found}")]
    WrongFormat {
        file: String,
        expected: &'static str,
        found: String,
    },
    #[error("{file} is truncated: its DjVu header declares {declared_bytes} bytes but the file has {actual_bytes}; upload the complete file again")]
    Truncated {
        file: String,
        declared_bytes: u64,
        actual_bytes: u64,
    },
    #[error("{file} is corrupt or unreadable: {tool} failed: {message}")]
    Unreadable {
        file: String,
        tool: &'static str,
        message: String,
    },
    #[error("{file}: unexpected output of {tool}: {detail}")]
    Malformed {
        file: String,
        tool: &'static str,
        detail: String,
    },
    #[error("{file}: {tool} returned text for {found} pages, but the file has {expected} pages")]
    PageCountMismatch {
        file: String,
        tool: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("{file}: {source}")]
    Tool { file: String, source: ToolError },
    #[error("{file}: reading {path} failed: {source}")]
    Io {
        file: String,
        path: String,
        source: std::io::Error,
    },
}

impl ExtractError {
    /// Returns `true` when the same file may give a text layer later, after a
    /// failure of the machine (timeout, missing tool, signal, I/O), not of the file.
    pub fn is_retryable(&self) -> bool {
        match self {
            ExtractError::Tool { source, .. } => match source {
                ToolError::OutputTooLarge { .. } => false,
                ToolError::NotFound { .. }
                | ToolError::Spawn { .. }
                | ToolError::TimedOut { .. }
                | ToolError::Cancelled { .. }
                | ToolError::Failed { .. }
                | ToolError::Io { .. } => true,
            },
            ExtractError::Io { .. } => true,
            ExtractError::UnsupportedType { .. }
            | ExtractError::WrongFormat { .. }
            | ExtractError::Truncated { .. }
            | ExtractError::Unreadable { .. }
            | ExtractError::Malformed { .. }
            | ExtractError::PageCountMismatch { .. } => false,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            ExtractError::Tool {
                source: ToolError::Cancelled { .. },
                ..
            }
        )
    }

    /// Turns a failed tool run into an error about the file: an exit status
    /// means the tool rejected the file, anything else is the machine's fault.
    pub(crate) fn from_tool(file: &str, tool: &'static str, err: ToolError) -> Self {
        match err {
            ToolError::Failed {
                code: Some(_),
                ref status,
                ref stderr,
                ..
            } => ExtractError::Unreadable {
                file: file.to_owned(),
                tool,
                message: format!("exit {status}: {stderr}"),
            },
            source => ExtractError::Tool {
                file: file.to_owned(),
                source,
            },
        }
    }
}

/// Extracts and normalises the text of every page of the `kind` file at `path`.
/// `file` names it in errors. The tools are killed when `cancel` fires.
pub async fn extract(
    path: &Path,
    kind: FileKind,
    file: &str,
    config: &ExtractConfig,
    cancel: &CancellationToken,
) -> Result<TextLayer, ExtractError> {
    let head = read_head(path, file).await?;
    match FileKind::sniff(&head) {
        Some(found) if found == kind => {}
        found => {
            return Err(ExtractError::WrongFormat {
                file: file.to_owned(),
                expected: kind.as_str(),
                found: match found {
                    Some(other) => format!("its content is a {} file", other.as_str()),
                    None => format!("it starts with {}", describe_bytes(&head[..head.len().min(16)])),
                },
            })
        }
    }
    let runner = config.runner();
    let pages = match kind {
        FileKind::Djvu => djvu::extract_pages(path, file, &runner, cancel).await?,
        FileKind::Pdf => pdf::extract_pages(path, file, &runner, cancel).await?,
    };
    Ok(TextLayer { kind, pages })
}

/// Runs `tool` on the extraction of `file` and turns a failure into an error
/// about that file (see [`ExtractError::from_tool`]).
pub async fn run_tool(
    runner: &ToolRunner,
    tool: &'static str,
    args: &[std::ffi::OsString],
    file: &str,
    cancel: &CancellationToken,
) -> Result<ToolOutput, ExtractError> {
    runner
        .run(tool, args, cancel)
        .await
        .map_err(|err| ExtractError::from_tool(file, tool, err))
}

/// Reads the first KiB of the file.
pub(crate) async fn read_head(path: &Path, file: &str) -> Result<Vec<u8>, ExtractError> {
    use tokio::io::AsyncReadExt;
    let io_error = |source| ExtractError::Io {
        file: file.to_owned(),
        path: path.display().to_string(),
        source,
    };
    let handle = tokio::fs::File::open(path).await.map_err(io_error)?;
    let mut head = Vec::with_capacity(1024);
    handle.take(1024).read_to_end(&mut head).await.map_err(io_error)?;
    Ok(head)
}

fn describe_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing (the file is empty)".to_owned();
    }
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("bytes {} ({:?})", hex.join(" "), String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_from_mime() {
        assert_eq!(FileKind::from_mime("image/vnd.djvu"), Some(FileKind::Djvu));
        assert_eq!(FileKind::from_mime("image/x-djvu"), Some(FileKind::Djvu));
        assert_eq!(FileKind::from_mime("application/pdf"), Some(FileKind::Pdf));
        assert_eq!(FileKind::from_mime("image/jpeg"), None);
    }

    #[test]
    fn kind_from_content() {
        assert_eq!(FileKind::sniff(b"AT&TFORM\0\0\0\0DJVM"), Some(FileKind::Djvu));
        assert_eq!(FileKind::sniff(b"%PDF-1.5\n"), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"\xef\xbb\xbfjunk %PDF-1.3"), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }
}
