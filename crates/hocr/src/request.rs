//! The `cmd=hocr` request of `/hocr_cgi.py`: the book title and page number,
//! the language, and the answer from stored hOCR.
//!
//! `book` is `<File name>/<page>`. The page number is the digits after the
//! last `/`, in any one script of Unicode decimal digits (category Nd): ASCII,
//! Bengali, Devanagari... On bn, as with the former tool, the number must be
//! in Bengali digits; a title without one is taken whole as the book name.

use std::time::Duration;

use phetools_queue::{Queue, QueueError};
use phetools_wiki::file_dbkey;
use tracing::{debug, info};

use crate::handler::HocrPayload;
use crate::messages;
use crate::store::{HocrStore, PageLookup, StoreError};

/// Highest page number served; larger numbers cannot be pages of a real scan.
pub const MAX_PAGE: u32 = 100_000;

/// Code points of the digit zero of every run of Unicode decimal digits
/// (category Nd, Unicode 15); digit `d` of a run is `zero + d`.
const DIGIT_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50, 0xED0,
    0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0,
    0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x11F50,
    0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950,
    0x1FBF0,
];

/// Zero of the Bengali digits U+09E6..U+09EF.
const BENGALI_ZERO: u32 = 0x9E6;

/// Returns the zero of the digit run of `c` and the digit's value.
fn decimal_digit(c: char) -> Option<(u32, u32)> {
    let code = c as u32;
    let index = DIGIT_ZEROS.partition_point(|zero| *zero <= code).checked_sub(1)?;
    let zero = DIGIT_ZEROS[index];
    (code - zero < 10).then_some((zero, code - zero))
}

/// A page number as written in a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNumber {
    /// The value, or `None` when it is over [`MAX_PAGE`].
    Value(Option<u32>),
    /// No number after the last `/`.
    Missing,
}

/// Reads `digits` written in one digit script; `None` when they are not.
fn parse_digits(digits: &str) -> Option<(u32, Option<u32>)> {
    let mut zero_of_run = None;
    let mut value: Option<u32> = Some(0);
    for c in digits.chars() {
        let (zero, digit) = decimal_digit(c)?;
        if *zero_of_run.get_or_insert(zero) != zero {
            return None;
        }
        value = value
            .and_then(|value| value.checked_mul(10))
            .and_then(|value| value.checked_add(digit))
            .filter(|value| *value <= MAX_PAGE);
    }
    zero_of_run.map(|zero| (zero, value))
}

/// Splits `<book>/<page>` into the book name and the page number. On `bn`
/// only Bengali digits count; other languages take any one digit script.
pub fn split_book_page<'a>(book: &'a str, lang: &str) -> (&'a str, PageNumber) {
    let Some((name, digits)) = book.rsplit_once('/') else {
        return (book, PageNumber::Missing);
    };
    match parse_digits(digits) {
        Some((zero, value)) if lang != "bn" || zero == BENGALI_ZERO => (name, PageNumber::Value(value)),
        _ => (book, PageNumber::Missing),
    }
}

/// The language the former tool used for `lang`: Norwegian Bokmål (`nb`) is
/// served by no.wikisource.org.
pub fn site_language(lang: &str) -> &str {
    if lang == "nb" {
        "no"
    } else {
        lang
    }
}

/// Domain of the Wikisource of `lang`: `en` → `en.wikisource.org`; `mul`,
/// `old`, `www` and `sources` → the multilingual `wikisource.org`. `None` for a
/// code that names no Wikisource.
pub fn wiki_for_language(lang: &str) -> Option<String> {
    let domain = match lang {
        "mul" | "old" | "www" | "sources" => "wikisource.org".to_owned(),
        _ => format!("{lang}.wikisource.org"),
    };
    let dbname = phetools_wiki::sites::dbname_for_domain(&domain)?;
    phetools_wiki::sites::proofread_namespaces(&dbname).map(|_| domain)
}

/// Language of the Wikisource at `wiki`: `en.wikisource.org` → `en`,
/// `wikisource.org` → `mul`. `None` for another family.
pub fn language_for_wiki(wiki: &str) -> Option<String> {
    if wiki == "wikisource.org" {
        return Some("mul".to_owned());
    }
    let language = wiki.strip_suffix(".wikisource.org")?;
    is_language_code(language).then(|| language.to_owned())
}

/// A language code as stored: a lower-case letter, then up to 19 letters,
/// digits or hyphens.
pub fn is_language_code(lang: &str) -> bool {
    let mut bytes = lang.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && lang.len() <= 20
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Answer of `cmd=hocr`: `error` 0 with the hOCR document, or 1 with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HocrReply {
    pub error: u8,
    pub text: String,
}

impl HocrReply {
    fn found(hocr: String) -> Self {
        HocrReply { error: 0, text: hocr }
    }

    fn failure(text: String) -> Self {
        HocrReply { error: 1, text }
    }
}

/// Error of the service itself (database), answered with a 500.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("queueing an hOCR build failed: {0}")]
    Queue(#[from] QueueError),
}

/// Serves `cmd=hocr` from the store, and queues a build on a miss.
#[derive(Debug, Clone)]
pub struct HocrService {
    store: HocrStore,
    queue: Queue,
    failed_build_retry: Duration,
}

impl HocrService {
    pub fn new(store: HocrStore, queue: Queue, failed_build_retry: Duration) -> Self {
        HocrService {
            store,
            queue,
            failed_build_retry,
        }
    }

    /// Answers `cmd=hocr&lang=<lang>&book=<book>`. A page that is not stored
    /// gets error 1 at once; its build is queued when the title names a DjVu
    /// or PDF file, the page can exist and no build of the book is queued,
    /// running or recently failed.
    pub async fn get_hocr(&self, lang: &str, book: &str) -> Result<HocrReply, ServiceError> {
        let lang = site_language(lang);
        let book = book.replace(' ', "_");
        let (name, page) = split_book_page(&book, lang);
        let unavailable = |reason: String| Ok(HocrReply::failure(messages::unavailable(name, lang, &reason)));
        let page = match page {
            PageNumber::Missing if lang == "bn" => return unavailable(messages::no_bengali_page_number()),
            PageNumber::Missing => return Ok(HocrReply::failure(messages::no_page_number(&book))),
            PageNumber::Value(None) => return unavailable(messages::page_too_large(MAX_PAGE)),
            PageNumber::Value(Some(page)) => page,
        };
        let lowercase = name.to_lowercase();
        if !(lowercase.ends_with(".djvu") || lowercase.ends_with(".pdf")) {
            return unavailable(messages::not_a_scan());
        }
        let Some(wiki) = wiki_for_language(lang) else {
            return unavailable(messages::unknown_language(lang));
        };
        let dbkey = match file_dbkey(name) {
            Ok(dbkey) => dbkey,
            Err(err) => return unavailable(messages::invalid_file(err.reason)),
        };

        match self.store.lookup(&wiki, &dbkey, lang, page).await? {
            PageLookup::Found { hocr, .. } => Ok(HocrReply::found(hocr)),
            PageLookup::PageOutOfRange { page_count } => unavailable(messages::page_out_of_range(page_count)),
            PageLookup::UnknownFile | PageLookup::NotBuilt { .. } => {
                if let Some(failure) = self
                    .store
                    .recent_failure(&wiki, &dbkey, lang, self.failed_build_retry)
                    .await?
                {
                    debug!(wiki, file = dbkey, lang, "hOCR build failed recently; not queued again");
                    return unavailable(messages::recent_failure(failure.retry_in_secs));
                }
                self.queue_build(&wiki, &dbkey, lang).await?;
                unavailable(messages::building())
            }
        }
    }

    async fn queue_build(&self, wiki: &str, dbkey: &str, lang: &str) -> Result<(), ServiceError> {
        let payload = HocrPayload {
            wiki: wiki.to_owned(),
            file: dbkey.to_owned(),
            lang: Some(lang.to_owned()),
            reason: Some("request".to_owned()),
            event_id: None,
        };
        let job = payload.new_job().expect("the dbkey and language were validated");
        let outcome = self.queue.enqueue(&job).await?;
        info!(
            wiki,
            file = dbkey,
            lang,
            job_id = outcome.job_id(),
            "hOCR build requested"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_ascii_and_native_digits() {
        assert_eq!(
            split_book_page("Foo.djvu/12", "en"),
            ("Foo.djvu", PageNumber::Value(Some(12)))
        );
        assert_eq!(
            split_book_page("Foo.djvu/१२", "hi"),
            ("Foo.djvu", PageNumber::Value(Some(12)))
        );
        assert_eq!(
            split_book_page("Foo.djvu/১২", "bn"),
            ("Foo.djvu", PageNumber::Value(Some(12)))
        );
        assert_eq!(split_book_page("Foo.djvu", "en"), ("Foo.djvu", PageNumber::Missing));
        assert_eq!(split_book_page("Foo.djvu/", "en"), ("Foo.djvu/", PageNumber::Missing));
        assert_eq!(
            split_book_page("Foo.djvu/1a", "en"),
            ("Foo.djvu/1a", PageNumber::Missing)
        );
    }

    #[test]
    fn bengali_needs_bengali_digits() {
        assert_eq!(
            split_book_page("Foo.djvu/12", "bn"),
            ("Foo.djvu/12", PageNumber::Missing)
        );
    }

    #[test]
    fn mixed_scripts_are_not_a_number() {
        assert_eq!(
            split_book_page("Foo.djvu/1১", "en"),
            ("Foo.djvu/1১", PageNumber::Missing)
        );
    }

    #[test]
    fn huge_numbers_are_out_of_range() {
        assert_eq!(
            split_book_page("Foo.djvu/99999999999999999999", "en"),
            ("Foo.djvu", PageNumber::Value(None))
        );
    }

    #[test]
    fn digit_table_covers_each_run() {
        for zero in DIGIT_ZEROS {
            for value in 0..10 {
                let c = char::from_u32(zero + value).unwrap();
                assert_eq!(decimal_digit(c), Some((*zero, value)), "{c:?}");
            }
        }
        assert_eq!(decimal_digit('a'), None);
        assert_eq!(decimal_digit('\u{9e5}'), None);
    }

    #[test]
    fn languages_and_wikis() {
        assert_eq!(site_language("nb"), "no");
        assert_eq!(wiki_for_language("no").as_deref(), Some("no.wikisource.org"));
        assert_eq!(wiki_for_language("old").as_deref(), Some("wikisource.org"));
        assert_eq!(wiki_for_language("xx"), None);
        assert_eq!(language_for_wiki("bn.wikisource.org").as_deref(), Some("bn"));
        assert_eq!(language_for_wiki("commons.wikimedia.org"), None);
    }
}
