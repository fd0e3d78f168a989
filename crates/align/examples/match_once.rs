//! Runs one Match alignment of the 250-page reference case, for instruction
//! counts under a profiler:
//!
//! ```text
//! cargo build --release -p phetools-align --example match_once
//! valgrind --tool=callgrind --toggle-collect='phetools_align::alignment::do_match*' \
//!     target/release/examples/match_once
//! ```
//!
//! Only `do_match` is counted, not the loading of the fixtures. An argument
//! `book` aligns the whole book instead.

use phetools_align::{do_match, parse_match_tag};
use serde_json::Value;

const CASES: &str = include_str!("../tests/fixtures/cases.json");
const TEXT_LAYER: &str = include_str!("../tests/fixtures/textlayer.json");
const BOOK: &str = include_str!("../tests/fixtures/book.txt");
const FILE: &str = "The Holy Bible (King James) Genesis–Numbers.djvu";

fn main() {
    let pages: Vec<String> = serde_json::from_str(TEXT_LAYER).expect("textlayer.json parses");
    let page_text = match std::env::args().nth(1).as_deref() {
        Some("book") => format!("==__MATCH__:[[Page:{FILE}/1]]==\n{BOOK}"),
        _ => clean_250_pages(),
    };
    let tagged = parse_match_tag(&page_text, &["Page"]).expect("the input has a Match tag");
    let marked = do_match(&pages, &tagged.tag, tagged.target, "Page").expect("the input matches");
    println!("{} markers", marked.matches("\n==[[Page:").count());
}

fn clean_250_pages() -> String {
    let cases: Value = serde_json::from_str(CASES).expect("cases.json parses");
    let case = cases["cases"]
        .as_array()
        .expect("cases is a list")
        .iter()
        .find(|case| case["id"] == "pub-clean-250-pages")
        .expect("the 250-page case exists");
    case["input"]["page_text"].as_str().expect("page_text").to_string()
}
