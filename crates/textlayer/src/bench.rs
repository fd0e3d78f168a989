//! Timing entry points for `phetools bench`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use phetools_wiki::{FileInfo, Repository};
use tokio_util::sync::CancellationToken;

use crate::extract::{extract, read_head, ExtractConfig, ExtractError, FileKind, TextLayer};
use crate::store::{StoreError, TextLayerStore};

/// Wiki under which [`bench_store`] saves, never a real domain.
const BENCH_WIKI: &str = "bench.phetools.invalid";

/// One timed extraction.
#[derive(Debug, Clone)]
pub struct ExtractionTiming {
    pub path: PathBuf,
    pub kind: FileKind,
    pub size_bytes: u64,
    pub page_count: usize,
    pub pages_with_text: usize,
    /// Bytes of normalised text, all pages together.
    pub text_bytes: usize,
    /// Wall-clock time of each round.
    pub rounds: Vec<Duration>,
}

impl fmt::Display for ExtractionTiming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let best = self.rounds.iter().min().copied().unwrap_or_default();
        let mean = self.rounds.iter().sum::<Duration>() / self.rounds.len().max(1) as u32;
        write!(
            f,
            "{}: {} {} bytes, {} pages ({} with text), {} bytes of text; best {:.3} s, mean {:.3} s over {} rounds, {:.0} pages/s",
            self.path.display(),
            self.kind.as_str(),
            self.size_bytes,
            self.page_count,
            self.pages_with_text,
            self.text_bytes,
            best.as_secs_f64(),
            mean.as_secs_f64(),
            self.rounds.len(),
            self.page_count as f64 / best.as_secs_f64().max(1e-9),
        )
    }
}

/// Extracts the text layer of each DjVu or PDF file `rounds` times (at least
/// once) and reports the timings. The kind of each file comes from its content.
pub async fn bench_extraction(
    paths: &[PathBuf],
    config: &ExtractConfig,
    rounds: u32,
) -> Result<Vec<ExtractionTiming>, ExtractError> {
    let cancel = CancellationToken::new();
    let mut timings = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path.display().to_string();
        let kind = sniff_kind(path, &name).await?;
        let size_bytes = tokio::fs::metadata(path)
            .await
            .map_err(|source| ExtractError::Io {
                file: name.clone(),
                path: name.clone(),
                source,
            })?
            .len();
        let mut durations = Vec::new();
        let mut layer = None;
        for _ in 0..rounds.max(1) {
            let started = Instant::now();
            layer = Some(extract(path, kind, &name, config, &cancel).await?);
            durations.push(started.elapsed());
        }
        let layer = layer.expect("at least one round ran");
        timings.push(ExtractionTiming {
            path: path.clone(),
            kind,
            size_bytes,
            page_count: layer.page_count(),
            pages_with_text: layer.pages_with_text(),
            text_bytes: layer.pages.iter().map(String::len).sum(),
            rounds: durations,
        });
    }
    Ok(timings)
}

/// Times one [`TextLayerStore::save`] of `layer` into the database of `store`,
/// under the wiki `bench.phetools.invalid`, and removes the rows again.
pub async fn bench_store(store: &TextLayerStore, layer: &TextLayer) -> Result<Duration, StoreError> {
    let info = FileInfo {
        domain: BENCH_WIKI.to_owned(),
        dbkey: "Phetools_bench.djvu".to_owned(),
        url: "https://upload.wikimedia.org/phetools-bench"
            .parse()
            .expect("a valid URL"),
        // SHA-1 of the empty string. MediaWiki rejects empty uploads, so no file has it.
        sha1: "da39a3ee5e6b4b0d3255bfef95601890afd80709".to_owned(),
        mime: "image/vnd.djvu".to_owned(),
        size_bytes: 0,
        page_count: Some(layer.page_count() as u32),
        repository: Repository::Local,
    };
    let started = Instant::now();
    store.save(&info, layer).await?;
    let elapsed = started.elapsed();
    store.unlink(BENCH_WIKI, &info.dbkey).await?;
    Ok(elapsed)
}

async fn sniff_kind(path: &Path, name: &str) -> Result<FileKind, ExtractError> {
    let head = read_head(path, name).await?;
    FileKind::sniff(&head).ok_or_else(|| ExtractError::WrongFormat {
        file: name.to_owned(),
        expected: "DjVu or PDF",
        found: "its first bytes match neither".to_owned(),
    })
}
