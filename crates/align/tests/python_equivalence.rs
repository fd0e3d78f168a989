//! The difflib port, the tokenizer and the page-end trimming against results of
//! CPython's `difflib`, `re.split` and the original Match's regular expressions,
//! recorded by scripts/gen_python_cases.py.

use phetools_align::{split_with_separators, trim_chunk, Match, SequenceMatcher};
use serde::Deserialize;

const CASES: &str = include_str!("fixtures/python_cases.json");

#[derive(Deserialize)]
struct CaseFile {
    blocks: Vec<BlockCase>,
    splits: Vec<SplitCase>,
    trims: Vec<TrimCase>,
}

#[derive(Deserialize)]
struct BlockCase {
    a: String,
    b: String,
    blocks: Vec<[usize; 3]>,
    /// Python's `repr` of the ratio, the shortest text that reads back exactly.
    ratio: String,
    /// `[alo, ahi, blo, bhi, i, j, k]`: a search range and its longest match.
    longest: Vec<[usize; 7]>,
}

#[derive(Deserialize)]
struct SplitCase {
    text: String,
    split: Vec<String>,
}

#[derive(Deserialize)]
struct TrimCase {
    chunk: String,
    trimmed: String,
}

fn load() -> CaseFile {
    serde_json::from_str(CASES).expect("python_cases.json parses")
}

fn to_match([a, b, size]: [usize; 3]) -> Match {
    Match { a, b, size }
}

#[test]
fn matching_blocks_equal_difflib() {
    let cases = load().blocks;
    assert!(cases.iter().filter(|case| case.b.chars().count() >= 200).count() > 100);
    for (index, case) in cases.iter().enumerate() {
        let a: Vec<char> = case.a.chars().collect();
        let b: Vec<char> = case.b.chars().collect();
        let matcher = SequenceMatcher::new(&a, &b);
        let expected: Vec<Match> = case.blocks.iter().copied().map(to_match).collect();
        assert_eq!(
            matcher.matching_blocks(),
            expected,
            "case {index}: a={:?} b={:?}",
            case.a,
            case.b
        );
    }
}

#[test]
fn ratio_equals_difflib() {
    for (index, case) in load().blocks.iter().enumerate() {
        let a: Vec<char> = case.a.chars().collect();
        let b: Vec<char> = case.b.chars().collect();
        let expected: f64 = case.ratio.parse().expect("ratio is a float");
        assert_eq!(SequenceMatcher::new(&a, &b).ratio(), expected, "case {index}");
    }
}

#[test]
fn find_longest_match_equals_difflib() {
    for (index, case) in load().blocks.iter().enumerate() {
        let a: Vec<char> = case.a.chars().collect();
        let b: Vec<char> = case.b.chars().collect();
        let matcher = SequenceMatcher::new(&a, &b);
        for &[alo, ahi, blo, bhi, i, j, k] in &case.longest {
            let found = matcher.find_longest_match(alo, ahi, blo, bhi);
            assert_eq!(
                found,
                Match { a: i, b: j, size: k },
                "case {index}, range {alo}..{ahi}, {blo}..{bhi}"
            );
        }
    }
}

#[test]
fn split_equals_python_re() {
    for case in load().splits {
        assert_eq!(split_with_separators(&case.text), case.split, "text {:?}", case.text);
    }
}

#[test]
fn trim_equals_original_regexes() {
    for case in load().trims {
        assert_eq!(trim_chunk(&case.chunk), case.trimmed, "chunk {:?}", case.chunk);
    }
}
