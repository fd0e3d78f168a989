//! Checks on each input that Page titles and page numbers read without a panic and that
//! numbers read back after writing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phetools_proofread::{digits, PageNamespace};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let namespace = PageNamespace::new(["Seite", "পাতা", "Page_talk"]);
    if let Ok(title) = namespace.parse_title(text) {
        assert!(!title.file_dbkey.is_empty());
        assert!(title.page != Some(0));
    }
    if let Ok((number, script)) = digits::parse_decimal(text) {
        assert_eq!(
            digits::parse_decimal(&script.format(number.into())),
            Ok((number, script))
        );
    }
});
