//! PDF text layers, read with poppler's `pdfinfo` and `pdftotext`.

use std::ffi::OsString;
use std::path::Path;

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::extract::{run_tool, ExtractError};
use crate::normalize::normalize_page;
use crate::runner::ToolRunner;

/// Returns the normalised text of every page.
pub(crate) async fn extract_pages(
    path: &Path,
    file: &str,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<Vec<String>, ExtractError> {
    let page_count = page_count(path, file, runner, cancel).await?;
    if page_count == 0 {
        return Ok(Vec::new());
    }

    let whole = pdftotext(path, file, None, runner, cancel).await?;
    // pdftotext ends every page with a form feed, so the split yields one
    // piece per page plus an empty one after the last form feed.
    let mut pieces: Vec<&str> = whole.split('\u{0c}').collect();
    if pieces.len() == page_count + 1 && pieces.last().is_some_and(|last| last.trim().is_empty()) {
        pieces.pop();
        return Ok(pieces.into_iter().map(normalize_page).collect());
    }

    // A form feed inside the text of a page breaks the split, so ask page by page.
    warn!(
        file,
        page_count,
        pieces = pieces.len(),
        "pdftotext page breaks do not match the page count; extracting page by page"
    );
    let mut pages = Vec::with_capacity(page_count);
    for page in 1..=page_count {
        let text = pdftotext(path, file, Some(page), runner, cancel).await?;
        pages.push(normalize_page(&text));
    }
    Ok(pages)
}

/// Reads the page count from the `Pages:` line of `pdfinfo`.
async fn page_count(
    path: &Path,
    file: &str,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<usize, ExtractError> {
    let args = [path.as_os_str().to_owned()];
    let output = run_tool(runner, "pdfinfo", &args, file, cancel).await?;
    let text = String::from_utf8_lossy(&output.stdout);
    let pages = text.lines().find_map(|line| line.strip_prefix("Pages:")).map(str::trim);
    pages
        .and_then(|count| count.parse().ok())
        .ok_or_else(|| ExtractError::Malformed {
            file: file.to_owned(),
            tool: "pdfinfo",
            detail: format!("no valid `Pages:` line in its output (found {pages:?})"),
        })
}

/// Extracts the text of the whole file, or of one page, as UTF-8 with `\n` line ends.
async fn pdftotext(
    path: &Path,
    file: &str,
    page: Option<usize>,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<String, ExtractError> {
    let mut args: Vec<OsString> = ["-enc", "UTF-8", "-eol", "unix"]
        .into_iter()
        .map(OsString::from)
        .collect();
    if let Some(page) = page {
        args.extend([
            "-f".into(),
            page.to_string().into(),
            "-l".into(),
            page.to_string().into(),
            "-nopgbrk".into(),
        ]);
    }
    args.extend([path.as_os_str().to_owned(), OsString::from("-")]);
    let output = run_tool(runner, "pdftotext", &args, file, cancel).await?;
    if !output.stderr.is_empty() {
        debug!(
            file,
            stderr = output.stderr,
            "pdftotext succeeded with messages on stderr"
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
