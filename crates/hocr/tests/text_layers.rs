//! hOCR built from the DjVu and PDF fixtures of tests/fixtures/textlayer,
//! parsed back with an XML parser: the document structure, every box inside
//! its page and not inverted, and the words, in order, equal to the text layer
//! that djvutxt or pdftotext prints for the same page.

use std::path::{Path, PathBuf};
use std::process::Command;

use phetools_hocr::{build_book, BuiltPage, HocrConfig, PageSource};
use phetools_textlayer::FileKind;
use roxmltree::{Document, Node, ParsingOptions};
use tokio_util::sync::CancellationToken;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/textlayer")
        .join(name)
}

async fn build(path: &Path, kind: FileKind) -> Vec<BuiltPage> {
    build_book(
        path,
        kind,
        "Test.file",
        "en",
        &HocrConfig::default(),
        None,
        &CancellationToken::new(),
    )
    .await
    .expect("the fixture builds")
}

/// A parsed hOCR page: its size and its words with their boxes.
struct Parsed {
    width: u32,
    height: u32,
    words: Vec<(String, [u32; 4])>,
}

fn parse_bbox(node: Node) -> [u32; 4] {
    let title = node.attribute("title").expect("every hOCR element has a title");
    let bbox = title
        .split(';')
        .map(str::trim)
        .find_map(|property| property.strip_prefix("bbox "))
        .unwrap_or_else(|| panic!("no bbox in title {title:?}"));
    let numbers: Vec<u32> = bbox.split(' ').map(|n| n.parse().expect("bbox numbers")).collect();
    numbers.try_into().expect("four numbers")
}

fn class_of<'a>(node: &Node<'a, '_>) -> &'a str {
    node.attribute("class").unwrap_or("")
}

/// Parses the document and checks what every page must satisfy.
fn parse_and_check(hocr: &str) -> Parsed {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(hocr, options).unwrap_or_else(|err| panic!("invalid XML: {err}"));
    assert!(hocr.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(hocr.contains("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\""));
    let meta = |name: &str| {
        document
            .descendants()
            .find(|node| node.has_tag_name("meta") && node.attribute("name") == Some(name))
            .and_then(|node| node.attribute("content"))
            .map(str::to_owned)
    };
    assert!(meta("ocr-system").is_some());
    assert_eq!(
        meta("ocr-capabilities").as_deref(),
        Some("ocr_page ocr_carea ocr_par ocr_line ocrx_word")
    );

    let pages: Vec<Node> = document
        .descendants()
        .filter(|node| class_of(node) == "ocr_page")
        .collect();
    assert_eq!(pages.len(), 1);
    let [x0, y0, width, height] = parse_bbox(pages[0]);
    assert_eq!((x0, y0), (0, 0));
    assert!(width > 0);
    assert!(height > 0);

    // Each class sits in the class above it.
    let parent_class = |node: Node| -> String {
        node.ancestors()
            .skip(1)
            .find(|ancestor| ancestor.attribute("class").is_some())
            .map(|ancestor| class_of(&ancestor).to_owned())
            .unwrap_or_default()
    };
    let mut words = Vec::new();
    for node in document.descendants().filter(|node| node.attribute("class").is_some()) {
        let class = class_of(&node);
        let expected_parent = match class {
            "ocr_page" => continue,
            "ocr_carea" => "ocr_page",
            "ocr_par" => "ocr_carea",
            "ocr_line" => "ocr_par",
            "ocrx_word" => "ocr_line",
            other => panic!("unexpected class {other}"),
        };
        assert_eq!(parent_class(node), expected_parent, "{class} is in the wrong element");
        let bbox = parse_bbox(node);
        assert!(
            bbox[0] <= bbox[2] && bbox[1] <= bbox[3],
            "inverted {class} box {bbox:?}"
        );
        assert!(
            bbox[2] <= width && bbox[3] <= height,
            "{class} box {bbox:?} outside {width}x{height}"
        );
        if class == "ocrx_word" {
            let text: String = node
                .descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect();
            words.push((text, bbox));
        }
    }
    Parsed { width, height, words }
}

/// Words of a page's text, split at white space and djvulibre's separators.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

fn tool_output(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().expect("the tool runs");
    assert!(output.status.success(), "{program} {args:?} failed");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn djvutxt_words(path: &Path, page: usize) -> Vec<String> {
    words_of(&tool_output(
        "djvutxt",
        &[&format!("--page={page}"), path.to_str().unwrap()],
    ))
}

fn pdftotext_words(path: &Path, page: usize) -> Vec<String> {
    let page = page.to_string();
    words_of(&tool_output(
        "pdftotext",
        &["-enc", "UTF-8", "-f", &page, "-l", &page, path.to_str().unwrap(), "-"],
    ))
}

fn hocr_words(parsed: &Parsed) -> Vec<String> {
    parsed.words.iter().flat_map(|(text, _)| words_of(text)).collect()
}

#[tokio::test]
async fn djvu_fixtures_match_djvutxt() {
    for (name, pages_with_words) in [
        ("kjv-genesis-numbers.djvu", 321),
        ("fr_tribulat-bonhomet_1887_308p_ia-textlayer.djvu", 282),
        ("pywikibot-myfile-4pages-with-text.djvu", 4),
    ] {
        let path = fixture(name);
        let pages = build(&path, FileKind::Djvu).await;
        let sizes = tool_output("djvused", &["-e", "size", path.to_str().unwrap()]);
        assert_eq!(pages.len(), sizes.lines().count(), "{name}");
        let with_words = pages.iter().filter(|page| page.source == PageSource::TextLayer).count();
        assert_eq!(with_words, pages_with_words, "{name}");

        for (index, (page, size)) in pages.iter().zip(sizes.lines()).enumerate() {
            let parsed = parse_and_check(&page.hocr);
            assert_eq!(
                format!("width={} height={}", parsed.width, parsed.height),
                size.split_whitespace().take(2).collect::<Vec<_>>().join(" "),
                "{name} page {}",
                index + 1
            );
            // Comparing every page of the big books costs one djvutxt run per
            // page; every 7th page and all pages of the small file are enough.
            if pages.len() < 10 || index % 7 == 0 {
                assert_eq!(
                    hocr_words(&parsed),
                    djvutxt_words(&path, index + 1),
                    "{name} page {}",
                    index + 1
                );
            }
        }
    }
}

#[tokio::test]
async fn tribulat_page_89_reads_downwards() {
    let path = fixture("fr_tribulat-bonhomet_1887_308p_ia-textlayer.djvu");
    let pages = build(&path, FileKind::Djvu).await;
    let parsed = parse_and_check(&pages[88].hocr);
    assert_eq!(hocr_words(&parsed), djvutxt_words(&path, 89));
    // Text runs from the top of the page down: the first word is above the last.
    let first = parsed.words.first().unwrap().1;
    let last = parsed.words.last().unwrap().1;
    assert!(first[1] < last[1], "first {first:?}, last {last:?}");
}

#[tokio::test]
async fn pdf_fixtures_match_pdftotext() {
    for (name, pages_with_words) in [("kjv-genesis-numbers.p1-4.pdf", 3), ("synthetic-2pages.pdf", 2)] {
        let path = fixture(name);
        let pages = build(&path, FileKind::Pdf).await;
        let with_words = pages.iter().filter(|page| page.source == PageSource::TextLayer).count();
        assert_eq!(with_words, pages_with_words, "{name}");
        for (index, page) in pages.iter().enumerate() {
            assert!(page.hocr.contains("scan_res 300 300"), "{name}");
            let parsed = parse_and_check(&page.hocr);
            assert_eq!(
                hocr_words(&parsed),
                pdftotext_words(&path, index + 1),
                "{name} page {}",
                index + 1
            );
        }
    }
    // The KJV pages are 396 x 612 points, 1650 x 2550 pixels at 300 dpi.
    let pages = build(&fixture("kjv-genesis-numbers.p1-4.pdf"), FileKind::Pdf).await;
    let parsed = parse_and_check(&pages[2].hocr);
    assert_eq!((parsed.width, parsed.height), (1650, 2550));
}

#[tokio::test]
async fn markup_characters_in_words_are_escaped() {
    // A copy of the 4-page DjVu whose first page's words are `<b>`, `&amp;`
    // and `"quoted"`.
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("escape.djvu");
    std::fs::copy(fixture("pywikibot-myfile-4pages-with-text.djvu"), &path).unwrap();
    let text = directory.path().join("text.sexp");
    std::fs::write(
        &text,
        "(page 0 0 1092 221 (line 25 125 1054 178 (word 25 125 56 178 \"<b>\") \
         (word 91 125 211 178 \"&amp;\") (word 244 125 368 178 \"\\\"quoted\\\"\")))\n",
    )
    .unwrap();
    let status = Command::new("djvused")
        .args(["-e", &format!("select 1; set-txt {}", text.display()), "-s"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());

    let pages = build(&path, FileKind::Djvu).await;
    assert!(pages[0].hocr.contains("&lt;b&gt;"), "{}", pages[0].hocr);
    let parsed = parse_and_check(&pages[0].hocr);
    let words: Vec<&str> = parsed.words.iter().map(|(text, _)| text.as_str()).collect();
    assert_eq!(words, ["<b>", "&amp;", "\"quoted\""]);
}

#[tokio::test]
async fn file_without_text_and_without_ocr_fails_clearly() {
    let err = build_book(
        &fixture("pywikibot-myfile-wo-text.djvu"),
        FileKind::Djvu,
        "File:Test-no-text.djvu",
        "en",
        &HocrConfig::default(),
        None,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("File:Test-no-text.djvu") && message.contains("no text layer"),
        "{message}"
    );
}
