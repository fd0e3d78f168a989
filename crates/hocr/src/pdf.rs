//! hOCR pages from the text layer of a PDF file.
//!
//! `pdftotext -bbox-layout` prints every page as XHTML: `page` (width and
//! height in PostScript points, 1/72 inch) > `flow` > `block` > `line` > `word`,
//! with `xMin yMin xMax yMax` in points from the top left. Flows become
//! `ocr_carea`, blocks `ocr_par`, lines `ocr_line`, words `ocrx_word`. Points
//! are converted to the pixels of the page image rendered at `dpi` dots per
//! inch (`pdftoppm -r <dpi>`), and the page title carries `scan_res <dpi> <dpi>`.

use std::ffi::OsString;
use std::path::Path;

use phetools_textlayer::runner::ToolRunner;
use roxmltree::{Document, Node, ParsingOptions};
use tokio_util::sync::CancellationToken;

use crate::build::{malformed, run_tool, BuildError};
use crate::xhtml::{Area, BBox, Line, Page, Paragraph, Word};

/// Returns every page of the file at `dpi`: its size and the content of its
/// text layer (no areas when the page has no text).
pub async fn pages(
    path: &Path,
    file: &str,
    dpi: u32,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<Vec<Page>, BuildError> {
    let args = [
        OsString::from("-bbox-layout"),
        OsString::from("-enc"),
        OsString::from("UTF-8"),
        path.as_os_str().to_owned(),
        OsString::from("-"),
    ];
    let output = run_tool(runner, "pdftotext", &args, file, cancel).await?;
    let text = String::from_utf8_lossy(&output.stdout);
    pages_from_bbox_layout(&text, dpi).map_err(|detail| malformed(file, "pdftotext -bbox-layout", detail))
}

/// Parses `pdftotext -bbox-layout` output into pages at `dpi`.
pub fn pages_from_bbox_layout(xhtml: &str, dpi: u32) -> Result<Vec<Page>, String> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(xhtml, options).map_err(|err| err.to_string())?;
    let scale = f64::from(dpi) / 72.0;
    document
        .descendants()
        .filter(|node| node.has_tag_name_local("page"))
        .map(|node| page(node, scale, dpi))
        .collect()
}

fn page(node: Node, scale: f64, dpi: u32) -> Result<Page, String> {
    let width = to_pixels(number(node, "width")?, scale);
    let height = to_pixels(number(node, "height")?, scale);
    let mut page = Page::new(width, height);
    page.scan_res = Some(dpi);
    for flow in children(node, "flow") {
        let mut paragraphs = Vec::new();
        for block in children(flow, "block") {
            let mut lines = Vec::new();
            for line in children(block, "line") {
                let mut words = Vec::new();
                for word in children(line, "word") {
                    let text = word.text().unwrap_or("").trim();
                    if !text.is_empty() {
                        words.push(Word {
                            bbox: bbox(word, scale, &page)?,
                            text: text.to_owned(),
                        });
                    }
                }
                if !words.is_empty() {
                    lines.push(Line {
                        bbox: union_with(bbox(line, scale, &page)?, words.iter().map(|word| word.bbox)),
                        words,
                    });
                }
            }
            if !lines.is_empty() {
                paragraphs.push(Paragraph {
                    bbox: union_with(bbox(block, scale, &page)?, lines.iter().map(|line| line.bbox)),
                    lines,
                });
            }
        }
        if let Some(bbox) = BBox::union_all(paragraphs.iter().map(|paragraph| paragraph.bbox)) {
            page.areas.push(Area { bbox, paragraphs });
        }
    }
    Ok(page)
}

fn union_with(own: BBox, children: impl Iterator<Item = BBox>) -> BBox {
    BBox::union_all(children).map_or(own, |inner| inner.union(own))
}

trait LocalName {
    fn has_tag_name_local(&self, name: &str) -> bool;
}

impl LocalName for Node<'_, '_> {
    fn has_tag_name_local(&self, name: &str) -> bool {
        self.is_element() && self.tag_name().name() == name
    }
}

fn children<'a, 'input>(node: Node<'a, 'input>, name: &'static str) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |child| child.has_tag_name_local(name))
}

fn number(node: Node, attribute: &str) -> Result<f64, String> {
    let raw = node
        .attribute(attribute)
        .ok_or_else(|| format!("<{}> has no {attribute} attribute", node.tag_name().name()))?;
    raw.parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .ok_or_else(|| format!("<{}> {attribute}={raw:?} is not a number", node.tag_name().name()))
}

fn to_pixels(points: f64, scale: f64) -> u32 {
    (points * scale).round().clamp(0.0, f64::from(u32::MAX)) as u32
}

fn bbox(node: Node, scale: f64, page: &Page) -> Result<BBox, String> {
    let pixel = |attribute| number(node, attribute).map(|points| (points * scale).round() as i64);
    Ok(BBox::clamped(
        pixel("xMin")?,
        pixel("yMin")?,
        pixel("xMax")?,
        pixel("yMax")?,
        page.width,
        page.height,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><html xmlns="http://www.w3.org/1999/xhtml">
<head></head><body><doc>
  <page width="72.000000" height="144.000000">
    <flow><block xMin="1" yMin="2" xMax="60" yMax="20">
      <line xMin="1" yMin="2" xMax="60" yMax="20">
        <word xMin="1" yMin="2" xMax="30" yMax="20">a&lt;b&amp;</word>
        <word xMin="31" yMin="2" xMax="80" yMax="20">&quot;c</word>
      </line></block></flow>
  </page>
  <page width="72.000000" height="72.000000"></page>
</doc></body></html>"#;

    #[test]
    fn converts_points_to_pixels_and_clamps() {
        let pages = pages_from_bbox_layout(SAMPLE, 300).unwrap();
        assert_eq!(pages.len(), 2);
        let first = &pages[0];
        assert_eq!((first.width, first.height, first.scan_res), (300, 600, Some(300)));
        let words: Vec<(&str, BBox)> = first.words().map(|word| (word.text.as_str(), word.bbox)).collect();
        assert_eq!(words[0].0, "a<b&");
        assert_eq!(
            words[0].1,
            BBox {
                x0: 4,
                y0: 8,
                x1: 125,
                y1: 83
            }
        );
        assert_eq!(words[1].0, "\"c");
        assert_eq!(words[1].1.x1, 300, "clamped to the page width");
        assert_eq!(pages[1].word_count(), 0);
    }

    #[test]
    fn rejects_pages_without_size() {
        let err = pages_from_bbox_layout("<doc><page/></doc>", 300).unwrap_err();
        assert!(err.contains("width"), "{err}");
    }
}
