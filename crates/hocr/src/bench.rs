//! Timing entry point for `phetools bench`: hOCR built from a DjVu or PDF
//! text layer, beside the raw extraction that the build starts from.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use phetools_textlayer::FileKind;
use tokio_util::sync::CancellationToken;

use crate::build::{run_tool, text_layer_pages, BuildError};
use crate::compress::compress;
use crate::config::HocrConfig;

/// Best times of one file over several rounds.
#[derive(Debug, Clone)]
pub struct BuildTiming {
    pub path: PathBuf,
    pub page_count: usize,
    pub pages_with_words: usize,
    /// Bytes of hOCR, all pages together, before compression.
    pub hocr_bytes: usize,
    /// Bytes after gzip.
    pub compressed_bytes: usize,
    /// Baseline: the text-layer tool alone (`djvused -e print-txt` or
    /// `pdftotext -bbox-layout`), output discarded.
    pub extraction: Duration,
    /// The whole build: tools, parsing, XHTML and compression of every page.
    pub build: Duration,
}

impl BuildTiming {
    pub fn extraction_pages_per_second(&self) -> f64 {
        self.page_count as f64 / self.extraction.as_secs_f64().max(1e-9)
    }

    pub fn build_pages_per_second(&self) -> f64 {
        self.page_count as f64 / self.build.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for BuildTiming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "| {} | {} | {} | {} | {} | {:.3} s, {:.0} pages/s | {:.3} s, {:.0} pages/s |",
            self.path.file_name().unwrap_or_default().to_string_lossy(),
            self.page_count,
            self.pages_with_words,
            self.hocr_bytes,
            self.compressed_bytes,
            self.extraction.as_secs_f64(),
            self.extraction_pages_per_second(),
            self.build.as_secs_f64(),
            self.build_pages_per_second(),
        )
    }
}

/// Times the extraction and the build of `path` `rounds` times each (at least
/// once, alternating) and keeps the best of each.
pub async fn bench_build(
    path: &Path,
    kind: FileKind,
    config: &HocrConfig,
    rounds: u32,
) -> Result<BuildTiming, BuildError> {
    let cancel = CancellationToken::new();
    let name = path.display().to_string();
    let runner = config.runner();
    let extraction_args: Vec<OsString> = match kind {
        FileKind::Djvu => vec!["-e".into(), "print-txt".into(), path.as_os_str().to_owned()],
        FileKind::Pdf => vec!["-bbox-layout".into(), path.as_os_str().to_owned(), "-".into()],
    };
    let tool = match kind {
        FileKind::Djvu => "djvused",
        FileKind::Pdf => "pdftotext",
    };
    let mut extraction = Duration::MAX;
    let mut build = Duration::MAX;
    let mut totals = (0, 0, 0, 0);
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        run_tool(&runner, tool, &extraction_args, &name, &cancel).await?;
        extraction = extraction.min(started.elapsed());

        let started = Instant::now();
        let pages = text_layer_pages(path, kind, &name, config, &cancel).await?;
        let mut hocr_bytes = 0;
        let mut compressed_bytes = 0;
        for (index, page) in pages.iter().enumerate() {
            let hocr = page.to_xhtml(&format!("{name} page {}", index + 1), "en");
            hocr_bytes += hocr.len();
            compressed_bytes += compress(&hocr).len();
        }
        build = build.min(started.elapsed());
        let with_words = pages.iter().filter(|page| page.word_count() > 0).count();
        totals = (pages.len(), with_words, hocr_bytes, compressed_bytes);
    }
    Ok(BuildTiming {
        path: path.to_owned(),
        page_count: totals.0,
        pages_with_words: totals.1,
        hocr_bytes: totals.2,
        compressed_bytes: totals.3,
        extraction,
        build,
    })
}
