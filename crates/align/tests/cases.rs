//! The Match reference cases: outputs of the original phetools Match on the
//! scanned-book fixture, compared character for character.

use phetools_align::{do_match, parse_match_tag, MatchError};
use serde::Deserialize;
use serde_json::Value;

const CASES: &str = include_str!("fixtures/cases.json");
const TEXT_LAYER: &str = include_str!("fixtures/textlayer.json");

#[derive(Deserialize)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    input: Input,
    parsed: Option<Parsed>,
    expected: Value,
}

#[derive(Deserialize)]
struct Input {
    page_text: String,
    prefix: String,
    text_layer: Value,
}

#[derive(Deserialize)]
struct Parsed {
    file: String,
    start: usize,
    step: usize,
    head_length: usize,
    target_offset: usize,
}

fn load_cases() -> Vec<Case> {
    serde_json::from_str::<CaseFile>(CASES)
        .expect("cases.json parses")
        .cases
}

fn text_layer_of(case: &Case, shared: &[String]) -> Vec<String> {
    match &case.input.text_layer {
        Value::String(_) => shared.to_vec(),
        inline => serde_json::from_value(inline.clone()).expect("inline text layer is a list of strings"),
    }
}

/// Describes the first difference between two texts with 60 characters of context.
fn first_difference(expected: &str, actual: &str) -> String {
    let expected: Vec<char> = expected.chars().collect();
    let actual: Vec<char> = actual.chars().collect();
    let position = expected.iter().zip(&actual).take_while(|(e, a)| e == a).count();
    let context = |text: &[char]| -> String {
        let from = position.saturating_sub(60);
        let to = (position + 60).min(text.len());
        text[from..to].iter().collect()
    };
    format!(
        "first difference at character {position} (expected length {}, actual {})\nexpected: {:?}\nactual:   {:?}",
        expected.len(),
        actual.len(),
        context(&expected),
        context(&actual)
    )
}

fn run_case(case: &Case, shared: &[String]) -> Result<(), String> {
    let page_text = &case.input.page_text;
    let tagged = match parse_match_tag(page_text, &[case.input.prefix.as_str()]) {
        Ok(tagged) => tagged,
        Err(error) => {
            let expected = case.expected["parse_error"]["text"].as_str();
            return match expected {
                Some(text) if text == error.to_string() => Ok(()),
                _ => Err(format!("tag not parsed: {error}")),
            };
        }
    };
    let parsed = case.parsed.as_ref().ok_or("a tag was found where the case has none")?;
    let head_length = tagged.head.chars().count();
    let target_offset = page_text.chars().count() - tagged.target.chars().count();
    if (
        tagged.tag.file.as_str(),
        tagged.tag.start,
        tagged.tag.step,
        head_length,
        target_offset,
    ) != (
        parsed.file.as_str(),
        parsed.start,
        parsed.step,
        parsed.head_length,
        parsed.target_offset,
    ) {
        return Err(format!("parsed tag {:?} differs from the case's", tagged.tag));
    }

    let pages = text_layer_of(case, shared);
    let result = do_match(&pages, &tagged.tag, tagged.target, &case.input.prefix);
    let expected_error = case.expected["error"].as_i64();
    let expected_text = case.expected["text"].as_str();
    match (result, expected_error, expected_text) {
        (Ok(text), Some(0), Some(expected)) if text == expected => Ok(()),
        (Ok(text), Some(0), Some(expected)) => Err(first_difference(expected, &text)),
        (Err(error), Some(1), Some(expected)) if error.to_string() == expected => Ok(()),
        (Err(MatchError::InvalidTag { .. }), None, None) if case.expected.get("exception").is_some() => Ok(()),
        (result, _, _) => Err(format!("got {result:?}, expected {}", case.expected)),
    }
}

#[test]
fn every_reference_case_matches() {
    let shared: Vec<String> = serde_json::from_str(TEXT_LAYER).expect("textlayer.json parses");
    let cases = load_cases();
    assert_eq!(cases.len(), 11);
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(report) = run_case(case, &shared) {
            failures.push(format!("{}: {report}", case.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
