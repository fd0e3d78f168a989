//! User-facing texts of hOCR requests and builds, kept in one place so that
//! they can be translated later. The texts of `/hocr_cgi.py` never name a
//! server path.

use std::fmt::Display;

pub fn no_page_number(book: &str) -> String {
    format!("unable to extract page number from page: {book}")
}

/// The hOCR of a page cannot be served; `reason` says why and what to do.
pub fn unavailable(book: &str, lang: &str, reason: &str) -> String {
    format!("unable to locate file for page {book} lang {lang}: {reason}")
}

pub fn building() -> String {
    "its hOCR is being built; try again in a minute".to_owned()
}

pub fn not_a_scan() -> String {
    "only .djvu and .pdf files have hOCR".to_owned()
}

pub fn no_bengali_page_number() -> String {
    "on bn the page number must be written in Bengali digits, such as ১২".to_owned()
}

pub fn page_out_of_range(page_count: u32) -> String {
    format!("the file has {page_count} pages, numbered from 1")
}

pub fn page_too_large(max_page: u32) -> String {
    format!("page numbers go up to {max_page}")
}

pub fn unknown_language(lang: &str) -> String {
    format!("{lang:?} is not the language code of a Wikisource, such as en, fr or bn")
}

pub fn invalid_file(reason: impl Display) -> String {
    format!("the file name is invalid: {reason}")
}

pub fn recent_failure(retry_in_secs: u64) -> String {
    let minutes = retry_in_secs.div_ceil(60);
    format!(
        "the last hOCR build of this file failed (its reason is on the status page); \
         a new build can be requested in {minutes} minutes"
    )
}

pub fn invalid_payload(payload: impl Display, err: impl Display) -> String {
    format!(
        "invalid hocr payload {payload}: {err}; expected {{\"wiki\": domain, \"file\": name, \"lang\"?: language code}}"
    )
}

pub fn wiki_without_language(wiki: &str) -> String {
    format!("the wiki {wiki} is not a Wikisource, so it has no language for hOCR; give \"lang\" in the payload")
}

pub fn not_djvu_or_pdf(name: &str, mime: &str) -> String {
    format!("{name}: MIME type {mime} has no hOCR; only DjVu (image/vnd.djvu) and PDF (application/pdf) files are read")
}

pub fn too_large(name: &str, size: u64, limit: u64) -> String {
    format!("{name}: the file has {size} bytes, over the download limit of {limit} bytes")
}
