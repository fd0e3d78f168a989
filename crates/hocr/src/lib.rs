//! hOCR of DjVu and PDF scans for the Wikisource Page editor.
//!
//! * [`build_book`] turns the text layer of a file into one hOCR XHTML
//!   document per page ([`djvu`] from `djvused` zones, [`pdf`] from `pdftotext
//!   -bbox-layout`), and hands the pages without a text layer to a
//!   [`PageRecognizer`] (OCR) when one is configured.
//! * [`HocrStore`] keeps the pages gzip-compressed per (file SHA-1, language,
//!   page) and finds the current version of a file through the `wiki_file`
//!   rows of the text-layer store.
//! * [`HocrHandler`] runs `hocr` jobs: look up, download, build, store, read back.
//! * [`HocrService`] answers `/hocr_cgi.py?cmd=hocr` and queues builds on a miss.
//! * [`bench_build`] is the timing entry point of `phetools bench`.

mod bench;
mod build;
mod compress;
mod config;
pub mod djvu;
mod handler;
mod messages;
pub mod pdf;
mod recognize;
mod request;
mod store;
pub mod xhtml;

pub use bench::{bench_build, BuildTiming};
pub use build::{build_book, text_layer_pages, BuildError, BuiltPage, PageSource};
pub use compress::{compress, decompress};
pub use config::HocrConfig;
pub use handler::{dedupe_key, HocrHandler, HocrPayload, HocrResult, JOB_KIND};
pub use recognize::{render_page, PageRecognizer, RecognizeError};
pub use request::{
    language_for_wiki, site_language, split_book_page, wiki_for_language, HocrReply, HocrService, PageNumber,
    ServiceError, MAX_PAGE,
};
pub use store::{BuildFailure, HocrStore, HocrSummary, PageLookup, StoreError};
