//! Checks on each input that `<pages>` tags are found and expanded without a panic, that
//! their spans lie on the text and that expanded pages are ascending and in the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phetools_proofread::{find_pages_tags, PagesTag};

fuzz_target!(|data: &[u8]| {
    let Some((&count_byte, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    // Page counts up to 5100 reach the limit of 1000 transcluded pages.
    let page_count = u32::from(count_byte) * 20;
    for tag in find_pages_tags(text) {
        assert!(text.get(tag.span()).is_some());
        if let Ok(pages) = tag.file_pages(page_count) {
            assert!(pages.windows(2).all(|pair| pair[0] < pair[1]));
            assert!(pages.iter().all(|&page| page >= 1));
            assert!(pages.iter().all(|&page| page <= page_count));
        }
    }
    let _ = PagesTag::from_attribute_text(text).file_pages(page_count);
});
