//! The hOCR document of one page: its model and its XHTML serialisation.
//!
//! Coordinates are pixels of the page image with the origin at the top left,
//! as hOCR requires. Every box is clamped inside the page and ordered
//! (`x0 <= x1`, `y0 <= y1`) when it is added, so the writer never prints a
//! box outside the page or an inverted one.

use std::fmt::Write;

/// Name and version written to the `ocr-system` meta element.
pub const OCR_SYSTEM: &str = concat!("phetools-hocr ", env!("CARGO_PKG_VERSION"));
/// hOCR classes the documents use, written to the `ocr-capabilities` meta element.
pub const OCR_CAPABILITIES: &str = "ocr_page ocr_carea ocr_par ocr_line ocrx_word";

/// A rectangle `x0 y0 x1 y1` in page pixels, top-left origin, never inverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl BBox {
    /// Returns the box of the whole page.
    pub fn page(width: u32, height: u32) -> BBox {
        BBox {
            x0: 0,
            y0: 0,
            x1: width,
            y1: height,
        }
    }

    /// Orders the corners of a box given in page pixels (top-left origin) and
    /// clamps it inside a page of `width` × `height`.
    pub fn clamped(x0: i64, y0: i64, x1: i64, y1: i64, width: u32, height: u32) -> BBox {
        let clamp_x = |x: i64| x.clamp(0, i64::from(width)) as u32;
        let clamp_y = |y: i64| y.clamp(0, i64::from(height)) as u32;
        BBox {
            x0: clamp_x(x0.min(x1)),
            y0: clamp_y(y0.min(y1)),
            x1: clamp_x(x0.max(x1)),
            y1: clamp_y(y0.max(y1)),
        }
    }

    /// Returns the smallest box that contains both.
    pub fn union(self, other: BBox) -> BBox {
        BBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }

    /// Returns the union of `boxes`, or `None` when there is none.
    pub fn union_all(boxes: impl IntoIterator<Item = BBox>) -> Option<BBox> {
        boxes.into_iter().reduce(BBox::union)
    }
}

/// A word and its box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub bbox: BBox,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub bbox: BBox,
    pub words: Vec<Word>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    pub bbox: BBox,
    pub lines: Vec<Line>,
}

/// A content area (`ocr_carea`): a DjVu column or region, a poppler flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub bbox: BBox,
    pub paragraphs: Vec<Paragraph>,
}

/// One page: its size in pixels and its content areas in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub width: u32,
    pub height: u32,
    /// Resolution of the pixel grid in dots per inch, written as `scan_res`
    /// when known.
    pub scan_res: Option<u32>,
    pub areas: Vec<Area>,
}

impl Page {
    pub fn new(width: u32, height: u32) -> Page {
        Page {
            width,
            height,
            scan_res: None,
            areas: Vec::new(),
        }
    }

    pub fn words(&self) -> impl Iterator<Item = &Word> {
        self.areas
            .iter()
            .flat_map(|area| &area.paragraphs)
            .flat_map(|paragraph| &paragraph.lines)
            .flat_map(|line| &line.words)
    }

    pub fn word_count(&self) -> usize {
        self.words().count()
    }

    /// Serialises the page as a complete XHTML hOCR document. `image` names
    /// the page image in the page's title, e.g. `Foo.djvu page 3`.
    pub fn to_xhtml(&self, image: &str, lang: &str) -> String {
        let mut out = String::with_capacity(256 + 160 * self.word_count());
        write_head(&mut out, lang, OCR_SYSTEM, OCR_CAPABILITIES);

        let page_box = BBox::page(self.width, self.height);
        let _ = write!(
            out,
            "  <div class=\"ocr_page\" id=\"page_1\" title=\"image &quot;{}&quot;; bbox {}; ppageno 0",
            escape(image),
            format_box(page_box)
        );
        if let Some(dpi) = self.scan_res {
            let _ = write!(out, "; scan_res {dpi} {dpi}");
        }
        out.push_str("\">\n");
        let mut ids = Ids::default();
        for area in &self.areas {
            ids.area += 1;
            let _ = writeln!(
                out,
                "   <div class=\"ocr_carea\" id=\"block_1_{}\" title=\"bbox {}\">",
                ids.area,
                format_box(area.bbox)
            );
            for paragraph in &area.paragraphs {
                ids.paragraph += 1;
                let _ = writeln!(
                    out,
                    "    <p class=\"ocr_par\" id=\"par_1_{}\" title=\"bbox {}\">",
                    ids.paragraph,
                    format_box(paragraph.bbox)
                );
                for line in &paragraph.lines {
                    ids.line += 1;
                    let _ = write!(
                        out,
                        "     <span class=\"ocr_line\" id=\"line_1_{}\" title=\"bbox {}\">",
                        ids.line,
                        format_box(line.bbox)
                    );
                    for word in &line.words {
                        ids.word += 1;
                        let _ = write!(
                            out,
                            "<span class=\"ocrx_word\" id=\"word_1_{}\" title=\"bbox {}\">{}</span> ",
                            ids.word,
                            format_box(word.bbox),
                            escape(&word.text)
                        );
                    }
                    out.push_str("</span>\n");
                }
                out.push_str("    </p>\n");
            }
            out.push_str("   </div>\n");
        }
        out.push_str("  </div>\n");
        out.push_str(DOCUMENT_END);
        out
    }
}

/// Closes the `body` and `html` elements [`write_head`] opens.
const DOCUMENT_END: &str = " </body>\n</html>\n";

/// Wraps an `ocr_page` element written by another OCR system, such as
/// tesseract's hOCR of one page, in the XHTML document the built pages use.
/// `ocr_system` and `capabilities` (the hOCR classes and properties it
/// writes) fill the `ocr-system` and `ocr-capabilities` meta elements.
pub fn page_document(ocr_page: &str, lang: &str, ocr_system: &str, capabilities: &str) -> String {
    let mut out = String::with_capacity(512 + ocr_page.len());
    write_head(&mut out, lang, ocr_system, capabilities);
    out.push_str(ocr_page);
    if !ocr_page.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(DOCUMENT_END);
    out
}

/// Writes the XML declaration, the doctype, the `head` element and opens `body`.
fn write_head(out: &mut String, lang: &str, ocr_system: &str, capabilities: &str) {
    let lang = escape(lang);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \
         \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n",
    );
    let _ = writeln!(
        out,
        "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"{lang}\" lang=\"{lang}\">"
    );
    out.push_str(" <head>\n  <title></title>\n");
    out.push_str("  <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n");
    let _ = writeln!(out, "  <meta name=\"ocr-system\" content=\"{}\"/>", escape(ocr_system));
    let _ = writeln!(
        out,
        "  <meta name=\"ocr-capabilities\" content=\"{}\"/>",
        escape(capabilities)
    );
    out.push_str(" </head>\n <body>\n");
}

/// Element counters; ids are unique within the page.
#[derive(Default)]
struct Ids {
    area: u32,
    paragraph: u32,
    line: u32,
    word: u32,
}

/// Prints a box as hOCR's `x0 y0 x1 y1`.
struct FormatBox(BBox);

impl std::fmt::Display for FormatBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bbox = self.0;
        write!(f, "{} {} {} {}", bbox.x0, bbox.y0, bbox.x1, bbox.y1)
    }
}

fn format_box(bbox: BBox) -> FormatBox {
    FormatBox(bbox)
}

/// Escapes text for XML content and attribute values. Characters that XML 1.0
/// forbids (C0 controls other than tab, line feed and carriage return, and
/// U+FFFE/U+FFFF) are dropped: DjVu text layers contain separators such as
/// U+001F.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    let needs_work = text
        .chars()
        .any(|c| matches!(c, '<' | '>' | '&' | '"' | '\'') || !is_xml_char(c));
    if !needs_work {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamped_box_is_ordered_and_inside_the_page() {
        assert_eq!(
            BBox::clamped(120, -5, 10, 3000, 100, 2000),
            BBox {
                x0: 10,
                y0: 0,
                x1: 100,
                y1: 2000
            }
        );
    }

    #[test]
    fn escape_covers_markup_and_forbidden_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1f}d"), "a&lt;b&gt;&amp;&quot;c&#39;d");
        assert!(matches!(escape("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn empty_page_has_the_page_box() {
        let page = Page::new(1650, 2550);
        let xhtml = page.to_xhtml("Book.djvu page 2", "en");
        assert!(xhtml.contains("bbox 0 0 1650 2550; ppageno 0"), "{xhtml}");
        assert!(!xhtml.contains("class=\"ocr_carea\""), "{xhtml}");
    }
}
