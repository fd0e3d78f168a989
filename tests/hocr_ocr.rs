//! hOCR of a PDF page without a text layer: the page is rendered with
//! `pdftoppm` and read by the system's tesseract on the OCR engine threads,
//! through the recognizer the `hocr` job handler is given.
//!
//! Needs pdftoppm, libtesseract and the `eng` model in the configured tessdata
//! folder; no database and no wiki.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use phetools_hocr::{build_book, HocrConfig, PageSource};
use phetools_ocr::{EnginePool, HocrRecognizer, Languages, OcrConfig};
use phetools_textlayer::FileKind;
use roxmltree::{Document, Node, ParsingOptions};
use tokio_util::sync::CancellationToken;

const IMAGE_ONLY_PDF: &str = "tests/fixtures/hocr/en_huckfinn_1884_ch03_p029_image-only.pdf";
const GROUND_TRUTH: &str = "tests/fixtures/hocr/en_huckfinn_1884_ch03_p029.gt.txt";
/// 369.6 × 477.6 pt rendered at the default 300 dpi.
const PAGE_SIZE: (u32, u32) = (1540, 1990);
/// Share of the ground truth's words of four letters or more that the hOCR
/// must contain; tesseract 5.3 with `eng` finds 92 of the 93.
const MIN_WORD_RECALL: f64 = 0.9;

/// Returns the four numbers of the `bbox` property of an element's title.
fn bbox(node: Node) -> [u32; 4] {
    let title = node.attribute("title").expect("hOCR element has a title");
    let property = title
        .split(';')
        .map(str::trim)
        .find_map(|property| property.strip_prefix("bbox "))
        .unwrap_or_else(|| panic!("no bbox in title {title:?}"));
    let numbers: Vec<u32> = property
        .split_whitespace()
        .map(|number| number.parse().unwrap())
        .collect();
    numbers
        .try_into()
        .unwrap_or_else(|_| panic!("bbox {property:?} has not four numbers"))
}

fn has_class(node: Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|classes| classes.split_whitespace().any(|c| c == class))
}

/// Lower-case words of `text` of four letters or more, without punctuation.
fn long_words(text: &str) -> HashSet<String> {
    text.split(|character: char| !character.is_alphabetic())
        .filter(|word| word.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect()
}

#[tokio::test]
async fn page_without_text_layer_is_read_by_tesseract() {
    let config = OcrConfig::default();
    let engines = EnginePool::start(&config).expect("engine threads start");
    let languages = Languages::load(&config.tessdata_dir, &config.default_language).expect("tessdata is listed");
    let recognizer = HocrRecognizer::new(engines.clone(), Arc::new(languages));

    let pages = build_book(
        Path::new(IMAGE_ONLY_PDF),
        FileKind::Pdf,
        "En_huckfinn.pdf",
        "en",
        &HocrConfig::default(),
        Some(&recognizer),
        &CancellationToken::new(),
    )
    .await
    .expect("the hOCR is built");
    engines.shutdown();

    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].source, PageSource::Ocr);
    let hocr = &pages[0].hocr;
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(hocr, options).unwrap_or_else(|error| panic!("{error}\n{hocr}"));
    let root = document.root_element();
    assert_eq!(
        root.attribute(("http://www.w3.org/XML/1998/namespace", "lang")),
        Some("en")
    );
    let system = root
        .descendants()
        .find(|node| node.attribute("name") == Some("ocr-system"))
        .and_then(|node| node.attribute("content"));
    assert!(
        system.is_some_and(|system| system.starts_with("tesseract ")),
        "{system:?}"
    );

    let page = root
        .descendants()
        .find(|node| has_class(*node, "ocr_page"))
        .expect("one ocr_page");
    assert_eq!(bbox(page), [0, 0, PAGE_SIZE.0, PAGE_SIZE.1]);
    let words: Vec<Node> = page
        .descendants()
        .filter(|node| has_class(*node, "ocrx_word"))
        .collect();
    assert!(words.len() > 200, "only {} words", words.len());
    for word in &words {
        let [x0, y0, x1, y1] = bbox(*word);
        assert!(
            x0 <= x1 && y0 <= y1 && x1 <= PAGE_SIZE.0 && y1 <= PAGE_SIZE.1,
            "word box {x0} {y0} {x1} {y1}"
        );
    }

    let text: Vec<String> = words
        .iter()
        .map(|word| {
            word.descendants()
                .filter(Node::is_text)
                .filter_map(|node| node.text())
                .collect()
        })
        .collect();
    assert!(text.iter().any(|word| word.starts_with("WATSON")), "{text:?}");
    let read = long_words(&text.join(" "));
    let truth = long_words(&std::fs::read_to_string(GROUND_TRUTH).expect("ground truth is readable"));
    let found = truth.iter().filter(|word| read.contains(*word)).count();
    let recall = found as f64 / truth.len() as f64;
    println!("word recall {recall:.3} ({found}/{})", truth.len());
    assert!(recall >= MIN_WORD_RECALL, "word recall {recall:.3}");
}
