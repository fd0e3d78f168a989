//! Checks on each input that Page wikitext parses without a panic, round trips byte for
//! byte, and keeps every other byte when its body is replaced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phetools_proofread::PageContent;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let page = PageContent::parse(text);
    assert_eq!(page.to_wikitext(), text);

    let replaced = page.with_body("new body");
    assert_eq!(
        replaced.to_wikitext(),
        [page.prefix(), "new body", page.suffix()].concat()
    );
    let _ = page.to_canonical_wikitext();
    let _ = PageContent::from_json(text);
});
