//! The engine on real scans with the system's tesseract: identical text to the
//! command line, character error rates against ground truth, orientation,
//! resolution metadata and the per-page deadline.
//!
//! Run with `--nocapture` to see the character error rate of each page.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use phetools_ocr::engine::{Engine, EngineError, Image, PageOptions};
use phetools_ocr::{EnginePool, OcrConfig};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|error| panic!("cannot read fixture {name}: {error}"))
}

fn options(languages: &str) -> PageOptions {
    PageOptions {
        languages: languages.to_owned(),
        psm: 3,
        crop: None,
    }
}

fn pool() -> EnginePool {
    EnginePool::start(&OcrConfig::default()).expect("engine threads start")
}

async fn recognize(pool: &EnginePool, image: Vec<u8>, languages: &str) -> String {
    pool.recognize(Bytes::from(image), options(languages))
        .await
        .expect("recognition succeeds")
        .text
}

/// Runs the tesseract command line as the old tool did, printing the text to stdout.
fn tesseract_cli(image: &Path, languages: &str) -> String {
    let output = Command::new("tesseract")
        .arg(image)
        .arg("stdout")
        .args(["-l", languages, "--psm", "3"])
        .env("OMP_THREAD_LIMIT", "1")
        .output()
        .expect("tesseract runs");
    assert!(
        output.status.success(),
        "tesseract failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tesseract writes UTF-8")
}

/// Normalises both sides the same way before comparing: typographic quotes and
/// long s to their plain forms, no space before punctuation, single spaces.
fn normalize(text: &str) -> String {
    let replaced: String = text
        .chars()
        .filter(|character| *character != '\u{364}' && *character != '\u{c}')
        .map(|character| match character {
            '’' | '‘' => '\'',
            '“' | '”' | '«' | '»' => '"',
            'ſ' => 's',
            '—' | '–' => '-',
            _ => character,
        })
        .collect();
    let words: Vec<&str> = replaced.split_whitespace().collect();
    let mut joined = words.join(" ");
    for punctuation in [";", ":", "!", "?", ",", "."] {
        joined = joined.replace(&format!(" {punctuation}"), punctuation);
    }
    joined
}

/// Character error rate: edit distance divided by the ground truth's length.
fn character_error_rate(ocr: &str, truth: &str) -> f64 {
    let ocr: Vec<char> = normalize(ocr).chars().collect();
    let truth: Vec<char> = normalize(truth).chars().collect();
    let mut previous: Vec<usize> = (0..=truth.len()).collect();
    for (i, ocr_char) in ocr.iter().enumerate() {
        let mut current = vec![i + 1; truth.len() + 1];
        for (j, truth_char) in truth.iter().enumerate() {
            let substitution = previous[j] + usize::from(ocr_char != truth_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[truth.len()] as f64 / truth.len().max(1) as f64
}

fn ground_truth(stem: &str) -> String {
    String::from_utf8(read(&format!("{stem}.gt.txt"))).unwrap()
}

#[tokio::test]
async fn engine_text_matches_cli() {
    let pool = pool();
    for (name, languages) in [("en_phototest.tif", "eng"), ("en_huckfinn_1884_ch03_p029.jpg", "eng")] {
        let ours = recognize(&pool, read(name), languages).await;
        let cli = tesseract_cli(&fixture(name), languages);
        assert_eq!(
            ours, cli,
            "{name}: the engine's text differs from the tesseract command line's"
        );
    }
}

#[tokio::test]
async fn character_error_rates_bounded() {
    let pool = pool();
    for (stem, image, languages, bound) in [
        ("en_phototest", "en_phototest.tif", "eng", 0.02),
        (
            "en_huckfinn_1884_ch03_p029",
            "en_huckfinn_1884_ch03_p029.jpg",
            "eng",
            0.05,
        ),
        (
            "fr_tribulat-bonhomet_1887_p089",
            "fr_tribulat-bonhomet_1887_p089.png",
            "fra",
            0.05,
        ),
    ] {
        let text = recognize(&pool, read(image), languages).await;
        let rate = character_error_rate(&text, &ground_truth(stem));
        println!("CER {image} ({languages}): {:.2} %", rate * 100.0);
        assert!(rate <= bound, "{image}: CER {rate:.4} is above {bound}");
    }
}

#[tokio::test]
async fn rotated_page_is_readable() {
    let pool = pool();
    let page = pool
        .recognize(Bytes::from(read("en_phototest-rotated-L.png")), options("eng"))
        .await
        .unwrap();
    let rate = character_error_rate(&page.text, &ground_truth("en_phototest"));
    println!(
        "CER en_phototest-rotated-L.png: {:.2} % after {} quarter turns",
        rate * 100.0,
        page.quarter_turns
    );
    assert_ne!(page.quarter_turns, 0, "OSD did not turn the page");
    assert!(rate <= 0.05, "CER {rate:.4} of the rotated page is above 0.05");
}

/// Rewrites the JFIF density of a JPEG: `units` 0 means no resolution, 1 dots per inch.
fn with_jfif_density(jpeg: &[u8], units: u8, density: u16) -> Vec<u8> {
    assert_eq!(&jpeg[..4], &[0xFF, 0xD8, 0xFF, 0xE0], "expected a JFIF JPEG");
    assert_eq!(&jpeg[6..11], b"JFIF\0");
    let mut copy = jpeg.to_vec();
    copy[13] = units;
    copy[14..16].copy_from_slice(&density.to_be_bytes());
    copy[16..18].copy_from_slice(&density.to_be_bytes());
    copy
}

#[tokio::test]
async fn wrong_resolution_does_not_ruin_page() {
    let pool = pool();
    let original = read("en_huckfinn_1884_ch03_p029.jpg");
    let truth = ground_truth("en_huckfinn_1884_ch03_p029");
    let directory = tempfile::tempdir().unwrap();
    for (label, units, density) in [("no resolution", 0, 1), ("10 dpi", 1, 10), ("9000 dpi", 1, 9000)] {
        let altered = with_jfif_density(&original, units, density);
        let path = directory.path().join(format!("huckfinn-{units}-{density}.jpg"));
        std::fs::write(&path, &altered).unwrap();

        let image = Image::decode(&std::fs::read(&path).unwrap(), u64::MAX).unwrap();
        assert_eq!(
            image.effective_dpi(0),
            None,
            "{label}: tesseract estimates the resolution"
        );

        let page = pool.recognize(Bytes::from(altered), options("eng")).await.unwrap();
        let rate = character_error_rate(&page.text, &truth);
        println!("CER huckfinn with {label}: {:.2} %", rate * 100.0);
        assert!(rate <= 0.05, "{label}: CER {rate:.4} is above 0.05");
    }
}

#[test]
fn page_past_deadline_times_out() {
    let image = Image::decode(&read("fr_tribulat-bonhomet_1887_p089.png"), u64::MAX).unwrap();
    let mut engine = Engine::new(Path::new("/usr/share/tesseract-ocr/5/tessdata"), "fra").unwrap();
    let error = engine
        .recognize(&image, &options("fra"), Some(400), Duration::from_millis(50))
        .unwrap_err();
    assert!(matches!(error, EngineError::TimedOut(_)), "{error}");
    assert!(error.to_string().contains("timed out"), "{error}");

    // The same engine still reads the next page.
    let text = engine
        .recognize(&image, &options("fra"), Some(400), Duration::from_secs(300))
        .unwrap();
    assert!(text.contains("CLAIRE LENOIR"), "{text}");
}

#[test]
fn oversized_image_rejected_before_decoding() {
    // A PNG header claiming 20000×20000 pixels, with no image data behind it.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    // leptonica reads at least 40 bytes; the rest is the start of an empty IDAT chunk.
    png.extend_from_slice(b"\0\0\0\0IDAT\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    let error = Image::decode(&png, 100_000_000).err().expect("the image is rejected");
    assert!(matches!(error, EngineError::ImageTooLarge(_)), "{error}");
    assert!(error.to_string().contains("20000×20000"), "{error}");
}
