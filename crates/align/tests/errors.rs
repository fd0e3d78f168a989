//! Match errors: the original messages, the tags that crashed the original, and
//! no panic on arbitrary page texts and tags.

use phetools_align::{do_match, match_page, parse_match_tag, MatchError, MatchTag};
use proptest::prelude::*;

const TEXT_LAYER: &str = include_str!("fixtures/textlayer.json");
const FILE: &str = "Book.djvu";

fn book() -> Vec<String> {
    serde_json::from_str(TEXT_LAYER).expect("textlayer.json parses")
}

fn tag(start: usize, step: usize) -> MatchTag {
    MatchTag {
        file: FILE.to_string(),
        start,
        step,
    }
}

/// The text layer of pages `first..=last`, as a proofread main page would hold it.
fn book_text(pages: &[String], first: usize, last: usize) -> String {
    pages[first - 1..last].join("\n")
}

#[test]
fn original_messages_unchanged() {
    assert_eq!(MatchError::TagNotFound.to_string(), "match tag not found");
    assert_eq!(MatchError::NoMatch.to_string(), "text does not match");
    assert_eq!(
        MatchError::NoTextLayer.to_string(),
        "error : could not find a text layer."
    );
    assert_eq!(
        MatchError::PageNotInTextLayer { start: 7 }.to_string(),
        "Unable to retrieve text layer for page: 7"
    );
}

#[test]
fn start_past_file_end_rejected() {
    let pages = book();
    let error = do_match(&pages, &tag(400, 1), "\nsome text", "Page").unwrap_err();
    assert_eq!(error, MatchError::PageNotInTextLayer { start: 400 });
}

#[test]
fn last_page_as_start_does_not_match() {
    let pages = book();
    let target = format!("\n{}", pages[324 - 1]);
    assert_eq!(
        do_match(&pages, &tag(325, 1), &target, "Page"),
        Err(MatchError::NoMatch)
    );
}

#[test]
fn start_page_zero_rejected() {
    let pages = book();
    let error = do_match(&pages, &tag(0, 1), "\ntext", "Page").unwrap_err();
    assert!(matches!(error, MatchError::InvalidTag { .. }), "{error:?}");
    assert!(error.to_string().contains("page 0"), "{error}");
}

#[test]
fn step_zero_rejected() {
    let pages = book();
    let error = do_match(&pages, &tag(5, 0), "\ntext", "Page").unwrap_err();
    assert!(error.to_string().contains("|step=0"), "{error}");
}

#[test]
fn odd_step_before_first_page_rejected() {
    let pages = book();
    let error = do_match(&pages, &tag(1, 3), "\ntext", "Page").unwrap_err();
    assert!(error.to_string().contains("start at page 2 or later"), "{error}");
}

#[test]
fn step_past_last_page_rejected() {
    let pages = book();
    let target = format!("\n{}", book_text(&pages, 318, 324));
    let error = do_match(&pages, &tag(318, 2), &target, "Page").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("|step=2"), "{message}");
    assert!(message.contains("page 326"), "{message}");
    assert!(message.contains("325 pages"), "{message}");
}

#[test]
fn ten_empty_pages_give_no_text_layer() {
    let pages = vec![String::new(); 30];
    let error = do_match(&pages, &tag(3, 1), "\nsome text here", "Page").unwrap_err();
    assert_eq!(error, MatchError::NoTextLayer);
}

#[test]
fn unrelated_text_does_not_match() {
    let pages = book();
    let target = "\nLorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(40);
    assert_eq!(do_match(&pages, &tag(50, 1), &target, "Page"), Err(MatchError::NoMatch));
}

#[test]
fn match_page_keeps_head() {
    let pages = book();
    let page_text = format!(
        "{{{{header}}}}\n==__MATCH__:[[Seite:{FILE}/44]]==\n{}",
        book_text(&pages, 44, 46)
    );
    let text = match_page(&page_text, &["Seite"], "Seite", &pages).unwrap();
    assert!(
        text.starts_with("{{header}}\n\n==[[Seite:Book.djvu/44]]==\n"),
        "{}",
        &text[..80]
    );
    assert!(text.contains("\n==[[Seite:Book.djvu/45]]==\n"));
}

fn page_text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("word ".to_string()),
            Just("\n".to_string()),
            Just("\n\n".to_string()),
            Just("<poem>".to_string()),
            Just("</poem>".to_string()),
            Just("été".to_string()),
            Just("’".to_string()),
            Just("\u{301}".to_string()),
            "[a-c ]{0,6}",
            any::<String>(),
        ],
        0..40,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn do_match_never_panics(
        pages in prop::collection::vec(page_text_strategy(), 0..14),
        start in 0usize..18,
        step in 0usize..6,
        target in page_text_strategy(),
        copy_pages in any::<bool>(),
    ) {
        let target = if copy_pages { format!("\n{}{target}", pages.concat()) } else { target };
        let tag = MatchTag { file: "F.djvu".to_string(), start, step };
        let _ = do_match(&pages, &tag, &target, "Page");
    }

    #[test]
    fn parse_never_panics(text in page_text_strategy(), start in "[0-9]{0,30}", step in "[0-9x]{0,3}") {
        let page_text = format!("{text}==__MATCH__:[[Page:{text}/{start}|step={step}]]=={text}");
        let _ = parse_match_tag(&page_text, &["Page", "Seite", ""]);
        let _ = parse_match_tag(&text, &[]);
    }
}
