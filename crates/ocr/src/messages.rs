//! User-facing texts of OCR, kept in one place so that they can be translated
//! later. Each error names what failed, on which value, and what to do.

use std::path::Path;
use std::time::Duration;

/// Part of the resolver's message that marks a host resolving only to non-public addresses.
pub const NON_PUBLIC_ADDRESS_MARK: &str = "resolves only to non-public addresses";

pub fn unreadable_image_header(bytes: usize) -> String {
    format!("the image ({bytes} bytes) has no readable header; send a JPEG, PNG, TIFF, GIF or WebP image")
}

pub fn undecodable_image(bytes: usize) -> String {
    format!("the image ({bytes} bytes) could not be decoded; it may be truncated or in an unsupported format")
}

pub fn image_too_many_pixels(width: u32, height: u32, max_pixels: u64) -> String {
    format!(
        "the image is {width}×{height} pixels, more than the limit of {max_pixels} pixels; request a smaller thumbnail"
    )
}

pub fn image_too_many_bytes(url: &str, max_bytes: u64) -> String {
    format!("the image at {url} is larger than the limit of {max_bytes} bytes; request a smaller thumbnail")
}

pub fn not_an_image(url: &str) -> String {
    format!("the response from {url} is not an image that can be read")
}

pub fn rotation_failed() -> String {
    "turning the page upright failed".to_owned()
}

pub fn invalid_tessdata_dir(path: &Path) -> String {
    format!("invalid tessdata directory {}: it contains a NUL byte", path.display())
}

pub fn invalid_language(languages: &str) -> String {
    format!("invalid tesseract language {languages:?}")
}

pub fn engine_init_failed(languages: &str, tessdata_dir: &Path) -> String {
    format!(
        "tesseract could not load the model {languages:?} from {}; install its tesseract-ocr package or set ocr.tessdata_dir",
        tessdata_dir.display()
    )
}

pub fn invalid_psm(psm: u8) -> String {
    format!("invalid page segmentation mode {psm}: expected 0 to 13")
}

pub fn unsupported_psm(psm: u8) -> String {
    format!("unsupported page segmentation mode {psm}: use 1 or 3 to 13 (3, automatic, is the default)")
}

pub fn crop_outside_image(crop: &str, width: u32, height: u32) -> String {
    format!("crop {crop} (x,y,width,height) does not fit in the {width}×{height} image; give a non-empty rectangle inside it")
}

pub fn page_timed_out(limit: Duration) -> String {
    format!(
        "recognition timed out after {} s; the page is too large or too dense, try a smaller thumbnail",
        limit.as_secs()
    )
}

pub fn recognition_failed(languages: &str) -> String {
    format!("tesseract failed to recognise the page with the model {languages:?}")
}

pub fn engine_pool_stopped() -> String {
    "the OCR engines are shutting down; try again in a minute".to_owned()
}

pub fn engine_thread_died() -> String {
    "the OCR engine thread stopped while reading the page; the cause was logged".to_owned()
}

pub fn invalid_origin_setting(entry: &str, reason: &str) -> String {
    format!("invalid ocr.allowed_origins entry {entry:?}: {reason}")
}

pub fn too_many_redirects(url: &str, max: usize) -> String {
    format!("more than {max} redirects, the last to {url}")
}

pub fn redirect_rejected(url: &str, reason: &str) -> String {
    format!("redirect to {url} rejected: {reason}")
}

pub fn http_client_failed(reason: &str) -> String {
    format!("the HTTP client could not be built: {reason}")
}

pub fn url_rejected(url: &str, reason: &str) -> String {
    format!("image URL {url} rejected: {reason}")
}

pub fn scheme_not_allowed(scheme: &str) -> String {
    format!("scheme {scheme}: is not allowed; images are fetched over https from the upload servers")
}

pub fn credentials_in_url() -> String {
    "the URL contains a user name or password; remove them".to_owned()
}

pub fn origin_not_allowed(origin: &str) -> String {
    format!(
        "{origin} is not an allowed image origin; use an image of upload.wikimedia.org (setting ocr.allowed_origins)"
    )
}

pub fn non_public_address(address: &str) -> String {
    format!("{address} is not a public address")
}

pub fn host_resolves_to_non_public(host: &str, addresses: &[String]) -> String {
    format!(
        "host {host} {NON_PUBLIC_ADDRESS_MARK} ({})",
        if addresses.is_empty() {
            "none".to_owned()
        } else {
            addresses.join(", ")
        }
    )
}

pub fn download_timed_out(url: &str, limit: Duration) -> String {
    format!(
        "download of {url} timed out after {} s; try again later",
        limit.as_secs()
    )
}

pub fn download_http_status(url: &str, status: u16) -> String {
    format!("download of {url} failed: HTTP {status}; check that the image exists")
}

pub fn download_failed(url: &str, reason: &str) -> String {
    format!("download of {url} failed: {reason}")
}

pub fn invalid_url(url: &str, reason: &str) -> String {
    format!("invalid image URL {url:?}: {reason}")
}

pub fn missing_url() -> String {
    "missing image URL: give the page image's URL in the parameter \"url\" (or \"image\")".to_owned()
}

pub fn invalid_payload(reason: &str) -> String {
    format!("invalid OCR job payload: {reason}")
}

pub fn cache_failed(reason: &str) -> String {
    format!("the OCR cache could not be read or written: {reason}")
}

pub fn job_cancelled(job_id: i64) -> String {
    format!("OCR job {job_id} was cancelled")
}

pub fn invalid_language_code(code: &str, max_length: usize) -> String {
    format!(
        "invalid language {code:?}: expected a wiki language code such as fr or de-f, or several joined with +, at most {max_length} characters"
    )
}

pub fn too_many_languages(lang: &str, max: usize) -> String {
    format!("too many languages in {lang:?}: at most {max} joined with +")
}

pub fn language_fallback(code: &str, default: &str) -> String {
    format!("no OCR model is installed for language {code:?}; the page was read with {default:?}")
}

pub fn hocr_page_cancelled() -> String {
    "the OCR of the page was cancelled because the worker is stopping; the hOCR build will run again".to_owned()
}
