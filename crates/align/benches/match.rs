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

/// Returns the CPU time this process has used. On a shared machine it shows the
/// work done, where the wall time also counts waiting for a core.
fn process_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for clock_gettime to write.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Returns the medians of the wall time and the CPU time of `MEDIAN_RUNS` runs.
fn median_durations(pages: &[String], page: &TaggedPage) -> (Duration, Duration) {
    let mut wall = Vec::with_capacity(MEDIAN_RUNS);
    let mut cpu = Vec::with_capacity(MEDIAN_RUNS);
    for _ in 0..MEDIAN_RUNS {
        let (wall_start, cpu_start) = (Instant::now(), process_cpu_time());
        black_box(run(pages, page));
        cpu.push(process_cpu_time() - cpu_start);
        wall.push(wall_start.elapsed());
    }
    wall.sort();
    cpu.sort();
    (wall[MEDIAN_RUNS / 2], cpu[MEDIAN_RUNS / 2])
}

fn print_comparison(pages: &[String], inputs: &[Input]) {
    println!("Match alignment, median of {MEDIAN_RUNS} runs, beside the original's recorded medians");
    println!("(the original cannot run here; its figures were measured with Python 3.11 and 2.7 on this project's 2-core machine)");
    println!("| input | target characters | markers | phetools-align wall | phetools-align CPU | original, Python 3.11 | original, Python 2.7 | speed-up vs 3.11 (wall) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for input in inputs {
        let page = tagged(input);
        let markers = run(pages, &page).matches("\n==[[Page:").count();
        let (wall, cpu) = median_durations(pages, &page);
        let (python3, python2) = input.original;
        println!(
            "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.2} s | {:.2} s | {:.0}× |",
            input.name,
            page.target.chars().count(),
            markers,
            wall.as_secs_f64() * 1e3,
            cpu.as_secs_f64() * 1e3,
            python3.as_secs_f64(),
            python2.as_secs_f64(),
            python3.as_secs_f64() / wall.as_secs_f64()
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
