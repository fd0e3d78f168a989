//! Checks on each input that `<pagelist>` and Index wikitext read and label pages
//! without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phetools_proofread::{DigitScript, IndexContent, Pagelist};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let pagelists = [
        Pagelist::from_index_wikitext(text),
        IndexContent::parse(text).pagelist(),
    ];
    for pagelist in pagelists.into_iter().flatten() {
        for page in (1..=40).chain([u32::MAX]) {
            let label = pagelist.label(page);
            let _ = label.text(DigitScript::LATIN);
            let _ = label.text(DigitScript::BENGALI);
        }
        let _ = pagelist.file_pages_by_label(40, DigitScript::LATIN);
    }
    let _ = Pagelist::from_attribute_text(text).labels(40, DigitScript::DEVANAGARI);
});
