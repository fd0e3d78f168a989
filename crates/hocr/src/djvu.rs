//! hOCR pages from the hidden text of a DjVu file.
//!
//! `djvused -e print-txt` prints the zone tree of every page as
//! s-expressions and `djvused -e size` the size of every page. djvutoxml gives
//! the same zones as XML, but takes about ten times longer on the 325-page
//! test book (11.8 s against 1.3 s), so the s-expressions are used.
//!
//! Zones map to hOCR as follows: `column` → `ocr_carea`; `region` →
//! `ocr_carea` when it is not inside a column, else merged into its column;
//! `para` → `ocr_par`; `line` → `ocr_line`; `word` → `ocrx_word`, whose text is
//! its own text followed by that of its `char` zones. A level missing from the
//! tree (a line directly under the page) gets an implied element whose box
//! holds its children. DjVu puts the origin at the bottom left, so a zone
//! `x0 y0 x1 y1` on a page of height `h` becomes the box `x0 (h-y1) x1 (h-y0)`.

use std::ffi::OsString;
use std::path::Path;

use phetools_textlayer::runner::ToolRunner;
use phetools_textlayer::{parse_page_zones, ExtractError, Zone};
use tokio_util::sync::CancellationToken;

use crate::build::{malformed, run_tool, BuildError};
use crate::xhtml::{Area, BBox, Line, Page, Paragraph, Word};

/// Returns every page of the file: its size and the content of its text layer
/// (no areas when the page has no word-level text).
pub async fn pages(
    path: &Path,
    file: &str,
    runner: &ToolRunner,
    cancel: &CancellationToken,
) -> Result<Vec<Page>, BuildError> {
    let size_args = [
        OsString::from("-e"),
        OsString::from("size"),
        path.as_os_str().to_owned(),
    ];
    let text_args = [
        OsString::from("-e"),
        OsString::from("print-txt"),
        path.as_os_str().to_owned(),
    ];
    let (sizes, text) = tokio::try_join!(
        run_tool(runner, "djvused", &size_args, file, cancel),
        run_tool(runner, "djvused", &text_args, file, cancel),
    )?;
    let sizes = parse_sizes(&sizes.stdout).map_err(|detail| malformed(file, "djvused -e size", detail))?;
    let zones =
        parse_page_zones(&text.stdout).map_err(|err| malformed(file, "djvused -e print-txt", err.to_string()))?;
    pages_from_zones(&sizes, zones, file)
}

/// Builds the pages from the page sizes and the zone trees of `djvused`.
pub fn pages_from_zones(sizes: &[(u32, u32)], zones: Vec<Option<Zone>>, file: &str) -> Result<Vec<Page>, BuildError> {
    if zones.len() != sizes.len() {
        return Err(BuildError::Extract(ExtractError::PageCountMismatch {
            file: file.to_owned(),
            tool: "djvused -e print-txt",
            expected: sizes.len(),
            found: zones.len(),
        }));
    }
    Ok(sizes
        .iter()
        .zip(zones)
        .map(|(&(width, height), zone)| {
            let mut builder = PageBuilder::new(width, height);
            if let Some(zone) = zone {
                builder.visit(&zone, false);
            }
            builder.finish()
        })
        .collect())
}

/// Parses the `width=W height=H` lines of `djvused -e size`, one per page.
pub fn parse_sizes(output: &[u8]) -> Result<Vec<(u32, u32)>, String> {
    let text = String::from_utf8_lossy(output);
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value = |name: &str| {
                line.split_whitespace()
                    .find_map(|field| field.strip_prefix(name))
                    .and_then(|number| number.parse::<u32>().ok())
            };
            match (value("width="), value("height=")) {
                (Some(width), Some(height)) => Ok((width, height)),
                _ => Err(format!("expected `width=W height=H`, got {line:?}")),
            }
        })
        .collect()
}

/// Collects zones into a page, opening implied containers where the zone tree
/// skips a level. The last element of each list is the open one.
struct PageBuilder {
    page: Page,
    area_open: bool,
    paragraph_open: bool,
    line_open: bool,
}

impl PageBuilder {
    fn new(width: u32, height: u32) -> Self {
        PageBuilder {
            page: Page::new(width, height),
            area_open: false,
            paragraph_open: false,
            line_open: false,
        }
    }

    /// Converts a zone's box to page pixels with the origin at the top left.
    fn bbox(&self, zone: &Zone) -> BBox {
        let height = i64::from(self.page.height);
        BBox::clamped(
            i64::from(zone.x0),
            height - i64::from(zone.y1),
            i64::from(zone.x1),
            height - i64::from(zone.y0),
            self.page.width,
            self.page.height,
        )
    }

    fn visit(&mut self, zone: &Zone, in_column: bool) {
        match zone.kind.as_str() {
            "column" => {
                self.open_area(self.bbox(zone));
                self.visit_children(zone, true);
                self.area_open = false;
            }
            "region" if in_column => {
                let bbox = self.bbox(zone);
                if let Some(area) = self.page.areas.last_mut().filter(|_| self.area_open) {
                    area.bbox = area.bbox.union(bbox);
                }
                self.visit_children(zone, true);
            }
            "region" => {
                self.open_area(self.bbox(zone));
                self.visit_children(zone, false);
                self.area_open = false;
            }
            "para" => {
                self.open_paragraph(self.bbox(zone));
                self.visit_children(zone, in_column);
                self.paragraph_open = false;
            }
            "line" => {
                self.open_line(self.bbox(zone));
                self.visit_children(zone, in_column);
                self.line_open = false;
            }
            "word" | "char" => self.add_word(zone),
            _ => self.visit_children(zone, in_column),
        }
    }

    fn visit_children(&mut self, zone: &Zone, in_column: bool) {
        for child in &zone.children {
            self.visit(child, in_column);
        }
    }

    fn open_area(&mut self, bbox: BBox) {
        self.page.areas.push(Area {
            bbox,
            paragraphs: Vec::new(),
        });
        self.area_open = true;
        self.paragraph_open = false;
        self.line_open = false;
    }

    fn open_paragraph(&mut self, bbox: BBox) {
        if !self.area_open {
            self.open_area(bbox);
        }
        let area = self.page.areas.last_mut().expect("an area is open");
        area.paragraphs.push(Paragraph {
            bbox,
            lines: Vec::new(),
        });
        self.paragraph_open = true;
        self.line_open = false;
    }

    fn open_line(&mut self, bbox: BBox) {
        if !self.paragraph_open {
            self.open_paragraph(bbox);
        }
        let paragraph = self.current_paragraph();
        paragraph.lines.push(Line {
            bbox,
            words: Vec::new(),
        });
        self.line_open = true;
    }

    fn current_paragraph(&mut self) -> &mut Paragraph {
        let area = self.page.areas.last_mut().expect("an area is open");
        area.paragraphs.last_mut().expect("a paragraph is open")
    }

    /// Adds a word zone, or a character zone found outside a word, as one word.
    fn add_word(&mut self, zone: &Zone) {
        let mut bbox = self.bbox(zone);
        let mut bytes = zone.text.clone();
        for child in &zone.children {
            bbox = bbox.union(self.bbox(child));
            bytes.extend_from_slice(&child.text);
        }
        let text = String::from_utf8_lossy(&bytes).trim().to_owned();
        if text.is_empty() {
            return;
        }
        if !self.line_open {
            self.open_line(bbox);
        }
        let paragraph = self.current_paragraph();
        let line = paragraph.lines.last_mut().expect("a line is open");
        line.words.push(Word { bbox, text });
    }

    /// Drops containers without words and makes every box hold its children.
    fn finish(mut self) -> Page {
        for area in &mut self.page.areas {
            for paragraph in &mut area.paragraphs {
                for line in &mut paragraph.lines {
                    line.bbox = BBox::union_all(line.words.iter().map(|word| word.bbox))
                        .map_or(line.bbox, |words| words.union(line.bbox));
                }
                paragraph.lines.retain(|line| !line.words.is_empty());
                paragraph.bbox = BBox::union_all(paragraph.lines.iter().map(|line| line.bbox))
                    .map_or(paragraph.bbox, |lines| lines.union(paragraph.bbox));
            }
            area.paragraphs.retain(|paragraph| !paragraph.lines.is_empty());
            area.bbox = BBox::union_all(area.paragraphs.iter().map(|paragraph| paragraph.bbox))
                .map_or(area.bbox, |paragraphs| paragraphs.union(area.bbox));
        }
        self.page.areas.retain(|area| !area.paragraphs.is_empty());
        self.page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(sexp: &str, width: u32, height: u32) -> Page {
        let zones = parse_page_zones(sexp.as_bytes()).unwrap();
        pages_from_zones(&[(width, height)], zones, "Test.djvu")
            .unwrap()
            .remove(0)
    }

    #[test]
    fn flips_the_vertical_axis() {
        let page = build(
            "(page 0 0 100 200 (line 10 150 60 180 (word 10 150 60 180 \"top\")))",
            100,
            200,
        );
        let word = page.words().next().unwrap();
        assert_eq!(
            word.bbox,
            BBox {
                x0: 10,
                y0: 20,
                x1: 60,
                y1: 50
            }
        );
        assert_eq!(page.areas.len(), 1, "an implied area and paragraph hold the line");
    }

    #[test]
    fn merges_regions_into_columns_and_chars_into_words() {
        let page = build(
            "(page 0 0 100 100 (column 0 0 50 100 (region 0 50 40 100 (para 0 50 40 100 \
             (line 0 50 40 100 (word 0 50 40 100 (char 0 50 20 100 \"a\") (char 20 50 40 100 \"&\")))))) \
             (column 50 0 100 100 (region 50 0 100 100 (para 50 0 100 100 (line 50 0 100 100 \
             (word 50 0 100 100 \"b\"))))))",
            100,
            100,
        );
        assert_eq!(page.areas.len(), 2);
        let words: Vec<&str> = page.words().map(|word| word.text.as_str()).collect();
        assert_eq!(words, ["a&", "b"]);
    }

    #[test]
    fn clamps_zones_outside_the_page_and_drops_empty_ones() {
        let page = build(
            "(page 0 -1 120 99 (column 0 0 120 99 \"\") (column 90 -1 130 99 (region 90 -1 130 99 \
             (para 90 -1 130 99 (line 90 -1 130 99 (word 90 -1 130 99 \"y/\"))))))",
            110,
            90,
        );
        assert_eq!(page.areas.len(), 1);
        let word = page.words().next().unwrap();
        assert_eq!(
            word.bbox,
            BBox {
                x0: 90,
                y0: 0,
                x1: 110,
                y1: 90
            }
        );
    }

    #[test]
    fn page_level_text_gives_no_words() {
        let page = build("(page 0 0 10 10 \"some text\")", 10, 10);
        assert_eq!(page.word_count(), 0);
    }

    #[test]
    fn sizes_are_read_per_page() {
        assert_eq!(
            parse_sizes(b"width=1650 height=2550\nwidth=10 height=20 rotation=90\n").unwrap(),
            vec![(1650, 2550), (10, 20)]
        );
        assert!(parse_sizes(b"size?\n").is_err());
    }
}
