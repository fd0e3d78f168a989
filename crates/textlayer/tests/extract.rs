//! Extraction with the real djvulibre and poppler tools on the files in
//! tests/fixtures/textlayer/, including corrupt and truncated copies made here.

use std::path::{Path, PathBuf};

use phetools_textlayer::{
    bench_extraction, extract, normalize_page, parse_page_texts, ExtractConfig, ExtractError, FileKind, TextLayer,
};
use tokio_util::sync::CancellationToken;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/textlayer")
        .join(name)
}

async fn extract_file(path: &Path, kind: FileKind) -> Result<TextLayer, ExtractError> {
    extract_with(path, kind, &ExtractConfig::default()).await
}

async fn extract_with(path: &Path, kind: FileKind, config: &ExtractConfig) -> Result<TextLayer, ExtractError> {
    extract(path, kind, "File:Test", config, &CancellationToken::new()).await
}

/// A copy of a fixture in a temporary directory, changed by `change`.
fn altered_copy(name: &str, change: impl FnOnce(&mut Vec<u8>)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let mut bytes = std::fs::read(fixture(name)).unwrap();
    change(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[tokio::test]
async fn kjv_djvu_has_325_pages_and_4_blank() {
    let layer = extract_file(&fixture("kjv-genesis-numbers.djvu"), FileKind::Djvu)
        .await
        .unwrap();

    assert_eq!(layer.page_count(), 325);
    assert_eq!(layer.pages_with_text(), 321);
    for blank in [2, 180, 240, 325] {
        assert_eq!(layer.pages[blank - 1], "", "page {blank} is blank");
    }
}

#[tokio::test]
async fn kjv_djvu_matches_recorded_djvutxt_output() {
    let layer = extract_file(&fixture("kjv-genesis-numbers.djvu"), FileKind::Djvu)
        .await
        .unwrap();
    let recorded = std::fs::read(fixture("kjv-genesis-numbers.djvutxt-detail-page.txt")).unwrap();
    let expected: Vec<String> = parse_page_texts(&recorded)
        .unwrap()
        .iter()
        .map(|raw| normalize_page(&String::from_utf8_lossy(raw)))
        .collect();

    assert_eq!(expected.len(), 325);
    for (index, (page, expected)) in layer.pages.iter().zip(&expected).enumerate() {
        assert_eq!(page, expected, "page {}", index + 1);
    }
}

#[tokio::test]
async fn kjv_djvu_pages_keep_lines_and_paragraphs() {
    let layer = extract_file(&fixture("kjv-genesis-numbers.djvu"), FileKind::Djvu)
        .await
        .unwrap();

    assert_eq!(
        layer.pages[0],
        "THE HOLY BIBLE\nSHE FIRST FOUR BOOKS OF MOSES\nGENESIS, EXODUS, LEVITICUS AND NUMBERS |\n\
         Translated out of the original tongues\nAuthorized King lames Version\n\nMDCXI"
    );
    assert!(
        layer.pages[2].starts_with(
            "THE FIRST BOOK OF MOSES, CALLED\nGENESIS\n\nCHAPTER 1.\n\n\
             1 In the beginning God created the heaven and the earth.\n\n\
             2 And the earth was without form, and void; and darkness -was upon\nthe face of the deep."
        ),
        "{}",
        &layer.pages[2][..300]
    );
    for (index, page) in layer.pages.iter().enumerate() {
        assert!(
            !page.chars().any(|c| c.is_control() && c != '\n'),
            "page {} has control characters",
            index + 1
        );
        assert!(
            !page.contains("\n\n\n"),
            "page {} has more than one blank line in a row",
            index + 1
        );
        assert!(
            page.lines().all(|line| line == line.trim_end()),
            "page {} has trailing whitespace",
            index + 1
        );
    }
}

#[tokio::test]
async fn small_djvu_matches_recorded_output() {
    let layer = extract_file(&fixture("pywikibot-myfile-4pages-with-text.djvu"), FileKind::Djvu)
        .await
        .unwrap();
    let recorded = std::fs::read(fixture("pywikibot-myfile-4pages-with-text.djvutxt-detail-page.sexp")).unwrap();
    let recorded_pages = parse_page_texts(&recorded).unwrap();

    assert_eq!(layer.pages, vec!["A file with non-ASCII characters,\nlike é or ç"; 4]);
    assert_eq!(recorded_pages.len(), 4);
    assert_eq!(
        normalize_page(&String::from_utf8_lossy(&recorded_pages[0])),
        layer.pages[0]
    );
}

#[tokio::test]
async fn djvu_without_text_has_empty_pages() {
    let layer = extract_file(&fixture("pywikibot-myfile-wo-text.djvu"), FileKind::Djvu)
        .await
        .unwrap();

    assert_eq!(layer.pages, vec![""; 4]);
    assert_eq!(layer.pages_with_text(), 0);
}

#[tokio::test]
async fn internet_archive_djvu_matches_plain_djvutxt() {
    // IA's ABBYY layer nests page-level columns that contain only separators,
    // and escapes quotes and backslashes.
    let layer = extract_file(
        &fixture("fr_tribulat-bonhomet_1887_308p_ia-textlayer.djvu"),
        FileKind::Djvu,
    )
    .await
    .unwrap();
    let plain_page_89 = std::fs::read(fixture("fr_tribulat-bonhomet_1887_p089.ia-ocr.txt")).unwrap();

    assert_eq!(layer.page_count(), 308);
    assert_eq!(
        layer.pages[88],
        normalize_page(&String::from_utf8_lossy(&plain_page_89))
    );
    assert!(
        layer.pages[88].starts_with("CLAIRE LENOIR\n\n/)\n\ntion violente fut douce à mon âme -, mais la\n"),
        "{}",
        layer.pages[88]
    );
    assert_eq!(layer.pages[2], "y/");
}

#[tokio::test]
async fn djvu_with_invalid_utf8_text_is_replaced() {
    let (dir, path) = altered_copy("pywikibot-myfile-4pages-with-text.djvu", |_| {});
    let sexp = dir.path().join("page1.sexp");
    // Octal escapes of Latin-1 bytes, as legacy producers wrote them.
    std::fs::write(&sexp, "(page 0 0 1092 221 \"caf\\351 cr\\350me \\n\\037fin\\n\")\n").unwrap();
    let status = std::process::Command::new("djvused")
        .arg(&path)
        .args(["-e", &format!("select 1; set-txt {}", sexp.display()), "-s"])
        .status()
        .unwrap();
    assert!(status.success());

    let layer = extract_file(&path, FileKind::Djvu).await.unwrap();

    assert_eq!(layer.pages[0], "caf\u{fffd} cr\u{fffd}me\n\nfin");
    assert_eq!(layer.pages[1], "A file with non-ASCII characters,\nlike é or ç");
}

#[tokio::test]
async fn truncated_djvu_is_rejected() {
    // djvulibre reads this file without an error and returns empty pages.
    let (_dir, path) = altered_copy("kjv-genesis-numbers.djvu", |bytes| bytes.truncate(2_000_000));
    let err = extract_file(&path, FileKind::Djvu).await.unwrap_err();

    assert!(
        matches!(
            err,
            ExtractError::Truncated {
                declared_bytes: 5_129_727,
                actual_bytes: 2_000_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        "File:Test is truncated: its DjVu header declares 5129727 bytes but the file has 2000000; upload the complete file again"
    );
}

#[tokio::test]
async fn garbled_djvu_is_rejected_with_tool_message() {
    let (_dir, path) = altered_copy("pywikibot-myfile-4pages-with-text.djvu", |bytes| {
        bytes[20..1000].fill(0)
    });
    let err = extract_file(&path, FileKind::Djvu).await.unwrap_err();

    match &err {
        ExtractError::Unreadable { file, tool, message } => {
            assert_eq!(file, "File:Test");
            assert_eq!(*tool, "djvused");
            assert!(message.starts_with("exit status 10: "), "{message}");
            assert!(message.contains("Failed to open document"), "{message}");
        }
        other => panic!("expected Unreadable, got {other}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn non_djvu_content_is_rejected() {
    let (_dir, path) = altered_copy("synthetic-2pages.pdf", |_| {});
    let err = extract_file(&path, FileKind::Djvu).await.unwrap_err();

    assert!(
        matches!(&err, ExtractError::WrongFormat { found, .. } if found == "its content is a PDF file"),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn empty_file_is_rejected() {
    let (_dir, path) = altered_copy("synthetic-2pages.pdf", Vec::clear);
    let err = extract_file(&path, FileKind::Pdf).await.unwrap_err();

    assert_eq!(
        err.to_string(),
        "File:Test is not a PDF file: it starts with nothing (the file is empty)"
    );
}

#[tokio::test]
async fn synthetic_pdf_pages() {
    let layer = extract_file(&fixture("synthetic-2pages.pdf"), FileKind::Pdf)
        .await
        .unwrap();
    let recorded = std::fs::read_to_string(fixture("synthetic-2pages.plain.txt")).unwrap();
    let recorded_pages: Vec<String> = recorded.split('\u{0c}').take(2).map(normalize_page).collect();

    assert_eq!(
        layer.pages,
        vec![
            "Chapitre premier. Le texte de la page un.\nSecond line of text on page one.",
            "Page two has a single line."
        ]
    );
    assert_eq!(layer.pages, recorded_pages);
}

#[tokio::test]
async fn kjv_pdf_pages() {
    let layer = extract_file(&fixture("kjv-genesis-numbers.p1-4.pdf"), FileKind::Pdf)
        .await
        .unwrap();

    assert_eq!(layer.page_count(), 4);
    assert_eq!(layer.pages[1], "", "page 2 is blank");
    assert!(
        layer.pages[0].starts_with("THE HOLY BIBLE\nSHE\n\nFIRST FOUR"),
        "{}",
        layer.pages[0]
    );
    assert!(
        layer.pages[2].contains("1 In the beginning God created the heaven and the earth."),
        "{}",
        layer.pages[2]
    );
    assert!(!layer.pages[2].contains("\n\n\n"));
}

#[tokio::test]
async fn truncated_pdf_is_rejected_with_tool_message() {
    let (_dir, path) = altered_copy("kjv-genesis-numbers.p1-4.pdf", |bytes| bytes.truncate(50_000));
    let err = extract_file(&path, FileKind::Pdf).await.unwrap_err();

    match &err {
        ExtractError::Unreadable { tool, message, .. } => {
            assert_eq!(*tool, "pdfinfo");
            assert_eq!(message, "exit status 1: Syntax Error: Couldn't find trailer dictionary | Syntax Error: Couldn't read xref table");
        }
        other => panic!("expected Unreadable, got {other}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn garbled_pdf_is_rejected() {
    // Keep the %PDF- header and overwrite everything after it.
    let (_dir, path) = altered_copy("synthetic-2pages.pdf", |bytes| bytes[16..].fill(b'#'));
    let err = extract_file(&path, FileKind::Pdf).await.unwrap_err();

    assert!(matches!(err, ExtractError::Unreadable { tool: "pdfinfo", .. }), "{err}");
}

#[tokio::test]
async fn tool_timeout_is_retryable() {
    let config = ExtractConfig {
        tool_timeout_secs: 0,
        ..ExtractConfig::default()
    };
    let err = extract_with(&fixture("kjv-genesis-numbers.djvu"), FileKind::Djvu, &config)
        .await
        .unwrap_err();

    assert!(err.to_string().contains("timed out after 0 s and was killed"), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn output_over_limit_is_rejected() {
    let config = ExtractConfig {
        max_output_bytes: 10_000,
        ..ExtractConfig::default()
    };
    let err = extract_with(&fixture("kjv-genesis-numbers.djvu"), FileKind::Djvu, &config)
        .await
        .unwrap_err();

    assert!(err.to_string().contains("djvutxt --detail=page"), "{err}");
    assert!(
        err.to_string().contains("wrote more than 10000 bytes to stdout"),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn cancelled_extraction_stops() {
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = extract(
        &fixture("kjv-genesis-numbers.djvu"),
        FileKind::Djvu,
        "File:Test",
        &ExtractConfig::default(),
        &cancel,
    )
    .await
    .unwrap_err();

    assert!(err.is_cancelled(), "{err}");
}

#[tokio::test]
async fn bench_reports_each_file() {
    let paths = [
        fixture("pywikibot-myfile-4pages-with-text.djvu"),
        fixture("synthetic-2pages.pdf"),
    ];
    let timings = bench_extraction(&paths, &ExtractConfig::default(), 2).await.unwrap();

    assert_eq!(timings.len(), 2);
    assert_eq!(
        (timings[0].kind, timings[0].page_count, timings[0].rounds.len()),
        (FileKind::Djvu, 4, 2)
    );
    assert_eq!(
        (timings[1].kind, timings[1].page_count, timings[1].pages_with_text),
        (FileKind::Pdf, 2, 2)
    );
    assert!(
        timings[1].to_string().contains("PDF 1432 bytes, 2 pages (2 with text)"),
        "{}",
        timings[1]
    );
}
