//! Settings of hOCR builds and of `/hocr_cgi.py`.

use std::time::Duration;

use phetools_textlayer::runner::ToolRunner;
use serde::{Deserialize, Serialize};

/// The `[hocr]` section of the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HocrConfig {
    /// Resolution, in dots per inch, of the pixel grid of PDF hOCR: text-layer
    /// boxes are converted from points at this resolution and pages without
    /// text are rendered at it for OCR. 300 is the resolution at which the
    /// former tool converted PDF files to DjVu before reading them.
    pub pdf_dpi: u32,
    /// Limit for one run of djvused, pdftotext, ddjvu or pdftoppm, in seconds.
    pub tool_timeout_secs: u64,
    /// Largest output accepted from one tool run, in bytes.
    pub max_output_bytes: usize,
    /// After a build of a file failed for good, `/hocr_cgi.py` queues no new
    /// build of it for this many seconds and reports the failure instead.
    pub failed_build_retry_secs: u64,
    /// Jobs per second that `phetools backfill` enqueues.
    pub backfill_per_second: u32,
}

impl Default for HocrConfig {
    fn default() -> Self {
        HocrConfig {
            pdf_dpi: 300,
            tool_timeout_secs: 600,
            max_output_bytes: 256 << 20,
            failed_build_retry_secs: 3600,
            backfill_per_second: 5,
        }
    }
}

impl HocrConfig {
    pub fn runner(&self) -> ToolRunner {
        ToolRunner::new(Duration::from_secs(self.tool_timeout_secs), self.max_output_bytes)
    }
}
