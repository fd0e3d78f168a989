//! Match alignment speed on the 325-page scanned-book fixture, beside the
//! original Python implementation's recorded figures.
//!
//! `cargo bench -p phetools-align --bench match` first prints the median of
//! several runs of each input next to the original's timings, then runs the
//! criterion measurements. The original cannot run here (its code is not part of
//! this project), so its figures are the ones recorded when the reference cases
//! were made: `do_match` alone, median of 3 runs, on a 2-core development machine
//! of this project.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use phetools_align::{do_match, parse_match_tag, TaggedPage};
use serde_json::Value;

const CASES: &str = include_str!("../tests/fixtures/cases.json");
const TEXT_LAYER: &str = include_str!("../tests/fixtures/textlayer.json");
const BOOK: &str = include_str!("../tests/fixtures/book.txt");
const FILE: &str = "The Holy Bible (King James) Genesis–Numbers.djvu";
const MEDIAN_RUNS: usize = 15;

struct Input {
    name: &'static str,
    page_text: String,
    /// Recorded `do_match` medians of the original: (Python 3.11, Python 2.7).
    original: (Duration, Duration),
}

fn inputs() -> Vec<Input> {
    let cases: Value = serde_json::from_str(CASES).expect("cases.json parses");
    let clean_250 = cases["cases"]
        .as_array()
        .expect("cases is a list")
        .iter()
        .find(|case| case["id"] == "pub-clean-250-pages")
        .expect("the 250-page case exists");
    vec![
        Input {
            name: "pub-clean-250-pages",
            page_text: clean_250["input"]["page_text"].as_str().expect("page_text").to_string(),
            original: (Duration::from_millis(1150), Duration::from_millis(1520)),
        },
        Input {
            name: "whole book (book.txt from page 1)",
            page_text: format!("==__MATCH__:[[Page:{FILE}/1]]==\n{BOOK}"),
            original: (Duration::from_millis(1470), Duration::from_millis(1940)),
        },
    ]
}

fn tagged(input: &Input) -> TaggedPage<'_> {
    parse_match_tag(&input.page_text, &["Page"]).expect("the input has a Match tag")
}

fn run(pages: &[String], page: &TaggedPage) -> String {
    do_match(pages, &page.tag, page.target, "Page").expect("the input matches")
}

fn median_duration(pages: &[String], page: &TaggedPage) -> Duration {
    let mut durations: Vec<Duration> = (0..MEDIAN_RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(run(pages, page));
            started.elapsed()
        })
        .collect();
    durations.sort();
    durations[MEDIAN_RUNS / 2]
}

fn print_comparison(pages: &[String], inputs: &[Input]) {
    println!("Match alignment, median of {MEDIAN_RUNS} runs, beside the original's recorded medians");
    println!("(the original cannot run here; its figures were measured with Python 3.11 and 2.7 on this project's 2-core machine)");
    println!("| input | target characters | markers | phetools-align | original, Python 3.11 | original, Python 2.7 | speed-up vs 3.11 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for input in inputs {
        let page = tagged(input);
        let markers = run(pages, &page).matches("\n==[[Page:").count();
        let median = median_duration(pages, &page);
        let (python3, python2) = input.original;
        println!(
            "| {} | {} | {} | {:.1} ms | {:.2} s | {:.2} s | {:.0}× |",
            input.name,
            page.target.chars().count(),
            markers,
            median.as_secs_f64() * 1e3,
            python3.as_secs_f64(),
            python2.as_secs_f64(),
            python3.as_secs_f64() / median.as_secs_f64()
        );
    }
}

fn match_benchmarks(criterion: &mut Criterion) {
    let pages: Vec<String> = serde_json::from_str(TEXT_LAYER).expect("textlayer.json parses");
    let inputs = inputs();
    print_comparison(&pages, &inputs);

    let mut group = criterion.benchmark_group("do_match");
    group.sample_size(20);
    for input in &inputs {
        let page = tagged(input);
        group.bench_function(input.name, |bencher| bencher.iter(|| run(&pages, &page)));
    }
    group.finish();
}

criterion_group!(benches, match_benchmarks);
criterion_main!(benches);
