//! Text layers of DjVu and PDF files: extraction with djvulibre and poppler,
//! storage in PostgreSQL, and the `text_layer` job.
//!
//! * [`extract`] runs `djvused`/`djvutxt` or `pdfinfo`/`pdftotext` on a file and
//!   returns the normalised text of every page ([`normalize_page`]).
//! * [`TextLayerStore`] keeps the pages per file SHA-1 and the version each
//!   wiki shows, and serves page reads with a fallback to Commons.
//! * [`TextLayerHandler`] runs `text_layer` jobs: look up the file on the wiki,
//!   download it when its version is not stored yet, extract, store.
//! * [`bench_extraction`] and [`bench_store`] are the timing entry points of
//!   `phetools bench`.

mod bench;
mod djvu;
mod extract;
mod handler;
mod normalize;
mod pdf;
pub mod runner;
mod sexp;
mod store;

pub use bench::{bench_extraction, bench_store, ExtractionTiming};
pub use extract::{extract, run_tool, ExtractConfig, ExtractError, FileKind, TextLayer};
pub use handler::{Outcome, TextLayerHandler, TextLayerPayload, TextLayerResult, JOB_KIND};
pub use normalize::normalize_page;
pub use sexp::{parse_page_texts, parse_page_zones, SexpError, Zone};
pub use store::{FileText, PageText, StoreError, TextLayerStore, TextLayerSummary};
