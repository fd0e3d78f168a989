//! OCR of page images for Wikisource.
//!
//! * [`languages`] maps wiki language codes to tesseract traineddata names.
//! * [`thumbnail`] reads the file name, page and width out of page thumbnail URLs.
//! * [`fetch`] downloads an image from the allowed upload origins only.
//! * [`engine`] and [`pool`] run tesseract in-process, one engine per worker thread.
//! * [`cache`] stores results in PostgreSQL; [`handler`] is the job kind `ocr`;
//!   [`service`] turns a request into a cached result or a job and waits for it.
//! * [`recognizer`] reads the pages without a text layer of `hocr` jobs.

pub mod cache;
pub mod config;
pub mod engine;
pub mod fetch;
pub mod handler;
pub mod languages;
pub mod messages;
pub mod pool;
pub mod recognizer;
pub mod service;
pub mod thumbnail;

pub use cache::{OcrCache, OcrKey};
pub use config::OcrConfig;
pub use engine::{EngineError, Output, PageOptions};
pub use fetch::{FetchError, ImageFetcher};
pub use handler::OcrHandler;
pub use languages::{LanguageChoice, Languages};
pub use pool::{EnginePool, WorkerStatus};
pub use recognizer::HocrRecognizer;
pub use service::{OcrOutcome, OcrRequest, OcrService};

/// Job kind of OCR requests.
pub const JOB_KIND: &str = "ocr";
