//! Settings of the OCR service, the `[ocr]` table of the configuration file.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Settings of OCR: engines, image downloads, waiting requests and rate limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcrConfig {
    /// Engine threads of a worker process, so pages recognised at the same time.
    /// Each thread runs one tesseract engine limited to one OpenMP thread. 0
    /// starts one per CPU the process may use (its cgroup quota included), see
    /// [`OcrConfig::effective_engine_threads`].
    pub engine_threads: usize,
    /// Pages an engine recognises before it is ended and created again, which
    /// returns the memory tesseract keeps between pages.
    pub pages_per_engine: u32,
    /// Time limit of the recognition of one page, in seconds. tesseract abandons
    /// the page at this deadline and the job fails with a timeout.
    pub page_timeout_secs: u64,
    /// Directory of the `.traineddata` files.
    pub tessdata_dir: PathBuf,
    /// tesseract language used when a wiki language has no model.
    pub default_language: String,
    /// Resolution given to tesseract, in dots per inch, when an image has no
    /// resolution or one that cannot be a scan (outside 70 to 2400 dpi, or a
    /// page wider than 20 inches at that resolution). 0 lets tesseract estimate
    /// it from the height of the text lines, which read a 150 dpi test page as
    /// well as its true resolution did, while a fixed 300 dpi raised its
    /// character error rate from 4.4 % to 7.6 % (tesseract 5.3.0).
    pub default_dpi: u32,
    /// Turn pages by the orientation that tesseract's OSD detects before recognition.
    pub detect_orientation: bool,
    /// Seconds an HTTP request waits for its OCR job before it returns the job id to poll.
    pub request_wait_secs: u64,
    /// Priority of OCR jobs in the queue; people wait for them, so it is positive.
    pub job_priority: i16,
    /// Origins (scheme, host and port) that images may be fetched from, such as
    /// `https://upload.wikimedia.org`. Redirects are followed only to these origins.
    pub allowed_origins: Vec<String>,
    /// Allow image hosts that resolve to loopback addresses. For tests only: in
    /// production it would let a request reach services on the machine itself.
    pub allow_loopback: bool,
    /// Largest image accepted, in bytes; the download stops as soon as it is exceeded.
    pub max_image_bytes: u64,
    /// Largest image accepted, in pixels (width × height), checked from the
    /// image header before the image is decoded.
    pub max_image_pixels: u64,
    /// Limit for a whole image download, in seconds.
    pub fetch_timeout_secs: u64,
    /// Redirects followed before a download fails.
    pub max_redirects: usize,
    /// OCR requests a client may send per minute; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Requests a client may send at once before the per-minute rate applies.
    pub rate_limit_burst: u32,
    /// Take the client address for rate limits from the last entry of
    /// `X-Forwarded-For`. Turn it on only behind a proxy that sets the header,
    /// such as Toolforge's ingress; otherwise clients could choose their address.
    pub trust_forwarded_for: bool,
}

impl OcrConfig {
    /// Returns the number of engine threads to start: `engine_threads`, or one
    /// per available CPU when it is 0.
    pub fn effective_engine_threads(&self) -> usize {
        match self.engine_threads {
            0 => std::thread::available_parallelism().map_or(1, |cpus| cpus.get()),
            threads => threads,
        }
    }
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig {
            engine_threads: 0,
            pages_per_engine: 200,
            page_timeout_secs: 120,
            tessdata_dir: PathBuf::from("/usr/share/tesseract-ocr/5/tessdata"),
            default_language: "eng".to_owned(),
            default_dpi: 0,
            detect_orientation: true,
            request_wait_secs: 50,
            job_priority: 50,
            allowed_origins: vec!["https://upload.wikimedia.org".to_owned()],
            allow_loopback: false,
            max_image_bytes: 50 * 1024 * 1024,
            max_image_pixels: 100_000_000,
            fetch_timeout_secs: 60,
            max_redirects: 3,
            rate_limit_per_minute: 60,
            rate_limit_burst: 20,
            trust_forwarded_for: false,
        }
    }
}
