//! DjVu text layers, read with djvulibre's `djvused` and `djvutxt`.

use std::ffi::OsString;
use std::path::Path;

use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::extract::{read_head, run_tool, ExtractError};
use crate::normalize::normalize_page;
use crate::runner::ToolRunner;
use crate::sexp::parse_page_texts;

/// Returns the normalised text of every page.
pub(crate) async fn extract_pages(
    path: &Path,
    file: &str,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<Vec<String>, ExtractError> {
    check_length(path, file).await?;
    let page_count = page_count(path, file, runner, cancel).await?;

    let args = [OsString::from("--detail=page"), path.as_os_str().to_owned()];
    let output = run_tool(runner, "djvutxt", &args, file, cancel).await?;
    if !output.stderr.is_empty() {
        warn!(
            file,
            stderr = output.stderr,
            "djvutxt succeeded with messages on stderr"
        );
    }
    let raw_pages = parse_page_texts(&output.stdout).map_err(|err| ExtractError::Malformed {
        file: file.to_owned(),
        tool: "djvutxt",
        detail: err.to_string(),
    })?;
    if raw_pages.len() != page_count {
        return Err(ExtractError::PageCountMismatch {
            file: file.to_owned(),
            tool: "djvutxt",
            expected: page_count,
            found: raw_pages.len(),
        });
    }
    Ok(raw_pages
        .iter()
        .map(|raw| normalize_page(&String::from_utf8_lossy(raw)))
        .collect())
}

/// Reads the page count with `djvused -e n`.
async fn page_count(
    path: &Path,
    file: &str,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<usize, ExtractError> {
    let args = [OsString::from("-e"), OsString::from("n"), path.as_os_str().to_owned()];
    let output = run_tool(runner, "djvused", &args, file, cancel).await?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim().parse().map_err(|_| ExtractError::Malformed {
        file: file.to_owned(),
        tool: "djvused",
        detail: format!("expected a page count from `djvused -e n`, got {:?}", text.trim()),
    })
}

/// Checks the IFF header against the file size. djvulibre reads a truncated
/// bundled DjVu without an error and returns empty text for the pages it
/// cannot reach, so truncation must be caught here.
async fn check_length(path: &Path, file: &str) -> Result<(), ExtractError> {
    let head = read_head(path, file).await?;
    let actual_bytes = tokio::fs::metadata(path)
        .await
        .map_err(|source| ExtractError::Io {
            file: file.to_owned(),
            path: path.display().to_string(),
            source,
        })?
        .len();
    let Some(declared_bytes) = declared_length(&head) else {
        return Err(ExtractError::WrongFormat {
            file: file.to_owned(),
            expected: "DjVu document",
            found: format!("the file has only {actual_bytes} bytes, less than a DjVu header"),
        });
    };
    if actual_bytes < declared_bytes {
        return Err(ExtractError::Truncated {
            file: file.to_owned(),
            declared_bytes,
            actual_bytes,
        });
    }
    let form_type = &head[12..16];
    if !matches!(form_type, b"DJVM" | b"DJVU") {
        return Err(ExtractError::WrongFormat {
            file: file.to_owned(),
            expected: "DjVu document",
            found: format!(
                "its IFF form type is {:?}, not DJVM or DJVU",
                String::from_utf8_lossy(form_type)
            ),
        });
    }
    Ok(())
}

/// Size of the whole file as the header declares it: the `AT&T` magic, then
/// a `FORM` chunk whose big-endian length excludes its own 8-byte header.
/// `None` when the file is too short to hold the header.
fn declared_length(head: &[u8]) -> Option<u64> {
    let length: [u8; 4] = head.get(8..12)?.try_into().ok()?;
    head.get(12..16)?;
    Some(12 + u64::from(u32::from_be_bytes(length)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_length_of_header() {
        let head = b"AT&TFORM\x00\x4e\x45\xf3DJVMDIRM";
        assert_eq!(declared_length(head), Some(5_129_727));
        assert_eq!(declared_length(b"AT&TFORM\x00\x00"), None);
    }
}
