//! Parser of the hidden-text s-expressions that `djvutxt --detail=...` and
//! `djvused -e print-txt` print: one `(page x0 y0 x1 y1 ...)` per page, or `()`
//! for a page without text. [`parse_page_texts`] gives the text of each page,
//! [`parse_page_zones`] its zone tree.
//!
//! Strings use the escapes of djvulibre's `miniexp` printer: `\n`, `\"`,
//! `\\`, octal bytes such as `\037` or `\303\251`, and also `\a \b \t \v \f
//! \r`, `\xHH`, `\uXXXX` and a backslash before a line break (skipped). Strings
//! are bytes: octal escapes and raw bytes may form UTF-8, or may not (old
//! producers wrote legacy code pages), so decoding is left to the caller.

/// An s-expression: a list, a quoted string (unescaped bytes) or a bare atom.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sexp {
    List(Vec<Sexp>),
    Str(Vec<u8>),
    Atom(Vec<u8>),
}

/// Output that is not a list of page expressions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct SexpError {
    pub offset: usize,
    pub message: String,
}

/// Parses `djvutxt --detail=page` output into the raw text of each page, in
/// page order.
///
/// A page with nested zones instead of one string (`--detail` of `line` or
/// finer) gets its strings joined with the separators of djvulibre's page
/// text. These are a space after a word, `\n` after a line, `\x1f` after a
/// paragraph, `\x1d` after a region and `\x0b` after a column.
pub fn parse_page_texts(input: &[u8]) -> Result<Vec<Vec<u8>>, SexpError> {
    let pages = page_lists(input)?;
    Ok(pages
        .iter()
        .map(|(_, items)| {
            // The four coordinates follow the zone name.
            let mut text = Vec::new();
            for item in items.iter().skip(5) {
                collect_text(item, &mut text);
            }
            text
        })
        .collect())
}

/// Splits the output into one list per page, with the byte offset where each
/// starts. A page printed as `()` gives an empty list; any other list must be
/// a `page` zone.
fn page_lists(input: &[u8]) -> Result<Vec<(usize, Vec<Sexp>)>, SexpError> {
    let mut parser = Parser { input, offset: 0 };
    let mut pages = Vec::new();
    loop {
        parser.skip_whitespace();
        let offset = parser.offset;
        let Some(expression) = parser.next_expression()? else {
            return Ok(pages);
        };
        let error = |message: &str| SexpError {
            offset,
            message: message.to_owned(),
        };
        let Sexp::List(items) = expression else {
            return Err(error("expected (page ...) or ()"));
        };
        if !items.is_empty() && items.first() != Some(&Sexp::Atom(b"page".to_vec())) {
            return Err(error("expected a page zone, found another list"));
        }
        pages.push((offset, items));
    }
}

/// A hidden-text zone of a DjVu page, as `djvused print-txt` and `djvutxt
/// --detail=...` print it: `(kind x0 y0 x1 y1 "text")` or `(kind x0 y0 x1 y1
/// child...)`. Coordinates are pixels with the origin at the bottom left of
/// the page, as stored; they are not checked against the page size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// `page`, `column`, `region`, `para`, `line`, `word` or `char`.
    pub kind: String,
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
    /// Text of a leaf zone as raw bytes (see the module documentation); empty
    /// for a zone with children.
    pub text: Vec<u8>,
    pub children: Vec<Zone>,
}

/// Parses hidden-text output into the zone tree of each page, in page order.
/// A page printed as `()` has no text layer and gives `None`.
pub fn parse_page_zones(input: &[u8]) -> Result<Vec<Option<Zone>>, SexpError> {
    page_lists(input)?
        .into_iter()
        .map(|(offset, items)| {
            if items.is_empty() {
                return Ok(None);
            }
            zone_from_items(items)
                .map(Some)
                .map_err(|message| SexpError { offset, message })
        })
        .collect()
}

fn zone_from_items(items: Vec<Sexp>) -> Result<Zone, String> {
    let mut items = items.into_iter();
    let kind = match items.next() {
        Some(Sexp::Atom(kind)) => String::from_utf8_lossy(&kind).into_owned(),
        _ => return Err("expected a zone name at the start of a list".to_owned()),
    };
    let mut coordinate = |name: &str| -> Result<i32, String> {
        match items.next() {
            Some(Sexp::Atom(number)) => std::str::from_utf8(&number)
                .ok()
                .and_then(|number| number.parse().ok())
                .ok_or_else(|| {
                    format!(
                        "{kind} zone: {name} {:?} is not an integer",
                        String::from_utf8_lossy(&number)
                    )
                }),
            _ => Err(format!("{kind} zone: expected the coordinate {name}")),
        }
    };
    let (x0, y0, x1, y1) = (
        coordinate("xmin")?,
        coordinate("ymin")?,
        coordinate("xmax")?,
        coordinate("ymax")?,
    );
    let mut zone = Zone {
        kind,
        x0,
        y0,
        x1,
        y1,
        text: Vec::new(),
        children: Vec::new(),
    };
    for item in items {
        match item {
            Sexp::Str(text) => zone.text.extend_from_slice(&text),
            Sexp::List(child) => zone.children.push(zone_from_items(child)?),
            Sexp::Atom(_) => {}
        }
    }
    Ok(zone)
}

fn collect_text(expression: &Sexp, text: &mut Vec<u8>) {
    match expression {
        Sexp::Str(bytes) => text.extend_from_slice(bytes),
        Sexp::Atom(_) => {}
        Sexp::List(items) => {
            for item in items.iter().skip(5) {
                collect_text(item, text);
            }
            let separator: &[u8] = match items.first() {
                Some(Sexp::Atom(zone)) => match zone.as_slice() {
                    b"word" => b" ",
                    b"line" => b"\n",
                    b"para" => b"\x1f",
                    b"region" => b"\x1d",
                    b"column" => b"\x0b",
                    _ => b"",
                },
                _ => b"",
            };
            text.extend_from_slice(separator);
        }
    }
}

struct Parser<'a> {
    input: &'a [u8],
    offset: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> SexpError {
        SexpError {
            offset: self.offset,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.offset).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.offset += 1;
        }
    }

    /// Parses the next top-level expression, or returns `None` at the end of the input.
    fn next_expression(&mut self) -> Result<Option<Sexp>, SexpError> {
        self.skip_whitespace();
        if self.peek().is_none() {
            return Ok(None);
        }
        self.expression().map(Some)
    }

    fn expression(&mut self) -> Result<Sexp, SexpError> {
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.error("unexpected end of output inside a list")),
            Some(b'(') => self.list(),
            Some(b')') => Err(self.error("unexpected ')'")),
            Some(b'"') => self.string(),
            Some(_) => Ok(self.atom()),
        }
    }

    fn list(&mut self) -> Result<Sexp, SexpError> {
        self.offset += 1;
        let mut items = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Err(self.error("unexpected end of output: a list is not closed")),
                Some(b')') => {
                    self.offset += 1;
                    return Ok(Sexp::List(items));
                }
                Some(_) => items.push(self.expression()?),
            }
        }
    }

    fn atom(&mut self) -> Sexp {
        let start = self.offset;
        while self
            .peek()
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'(' | b')' | b'"'))
        {
            self.offset += 1;
        }
        Sexp::Atom(self.input[start..self.offset].to_vec())
    }

    fn string(&mut self) -> Result<Sexp, SexpError> {
        let start = self.offset;
        self.offset += 1;
        let mut bytes = Vec::new();
        loop {
            let Some(byte) = self.peek() else {
                self.offset = start;
                return Err(self.error("unexpected end of output: a string is not closed"));
            };
            self.offset += 1;
            match byte {
                b'"' => return Ok(Sexp::Str(bytes)),
                b'\\' => self.escape(&mut bytes)?,
                _ => bytes.push(byte),
            }
        }
    }

    /// Decodes the escape after a backslash into `bytes`.
    fn escape(&mut self, bytes: &mut Vec<u8>) -> Result<(), SexpError> {
        let Some(byte) = self.peek() else {
            return Err(self.error("unexpected end of output after a backslash"));
        };
        self.offset += 1;
        match byte {
            b'n' => bytes.push(b'\n'),
            b't' => bytes.push(b'\t'),
            b'r' => bytes.push(b'\r'),
            b'a' => bytes.push(0x07),
            b'b' => bytes.push(0x08),
            b'v' => bytes.push(0x0b),
            b'f' => bytes.push(0x0c),
            b'\n' => {}
            b'0'..=b'7' => {
                let mut value = u32::from(byte - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(digit @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(digit - b'0');
                            self.offset += 1;
                        }
                        _ => break,
                    }
                }
                // Three octal digits reach 0o777; miniexp writes bytes only, so
                // keep the low byte.
                bytes.push((value & 0xff) as u8);
            }
            b'x' => {
                let value = self.hex_digits(2)?;
                bytes.push(value as u8);
            }
            b'u' => {
                let mut code = self.hex_digits(4)?;
                if (0xd800..0xdc00).contains(&code) && self.input[self.offset..].starts_with(b"\\u") {
                    self.offset += 2;
                    let low = self.hex_digits(4)?;
                    code = 0x10000 + ((code - 0xd800) << 10) + (low.wrapping_sub(0xdc00) & 0x3ff);
                }
                let decoded = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                bytes.extend_from_slice(decoded.encode_utf8(&mut [0; 4]).as_bytes());
            }
            // `\"`, `\\` and any other escaped byte stand for themselves.
            other => bytes.push(other),
        }
        Ok(())
    }

    /// Reads 1 to `max_digits` hex digits.
    fn hex_digits(&mut self, max_digits: usize) -> Result<u32, SexpError> {
        let mut value = 0;
        let mut count = 0;
        while count < max_digits {
            let Some(digit) = self.peek().and_then(|b| (b as char).to_digit(16)) else {
                break;
            };
            value = value * 16 + digit;
            self.offset += 1;
            count += 1;
        }
        if count == 0 {
            return Err(self.error("expected hex digits after \\x or \\u"));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(input: &str) -> Vec<Vec<u8>> {
        parse_page_texts(input.as_bytes()).unwrap()
    }

    #[test]
    fn parses_pages_and_empty_pages() {
        let input = "(page 0 0 1650 2550 \n  \"THE HOLY BIBLE \\n\\037\\035MDCXI \\n\\037\\035\" )\n()\n(page 0 -1 1651 2764 \"\")\n";
        assert_eq!(
            pages(input),
            vec![
                b"THE HOLY BIBLE \n\x1f\x1dMDCXI \n\x1f\x1d".to_vec(),
                Vec::new(),
                Vec::new()
            ]
        );
    }

    #[test]
    fn decodes_escapes() {
        let input = r#"(page 0 0 1 1 "a\"b\\c\td\303\251\x41\u00e9\ud83d\ude00\q")"#;
        assert_eq!(pages(input), vec!["a\"b\\c\tdéAé😀q".as_bytes().to_vec()]);
    }

    #[test]
    fn escaped_backslash_before_n_is_not_a_newline() {
        assert_eq!(pages(r#"(page 0 0 1 1 "C:\\new")"#), vec![b"C:\\new".to_vec()]);
    }

    #[test]
    fn keeps_invalid_utf8_bytes() {
        let input = b"(page 0 0 1 1 \"caf\\351 \xe9\")";
        assert_eq!(parse_page_texts(input).unwrap(), vec![b"caf\xe9 \xe9".to_vec()]);
    }

    #[test]
    fn joins_nested_zones() {
        let input = r#"(page 0 0 1092 221
 (line 25 125 1054 178
  (word 25 125 56 178 "A")
  (word 91 125 211 178 "file"))
 (line 28 56 367 113
  (word 28 56 148 113 "like")
  (word 185 56 211 113 "\303\251")))"#;
        assert_eq!(pages(input), vec!["A file \nlike é \n".as_bytes().to_vec()]);
    }

    #[test]
    fn parses_zone_tree() {
        let input = r#"(page 0 0 1092 221
 (line 25 125 1054 178
  (word 25 125 56 178 "A")
  (word 91 125 211 178 "\303\251"))
)
()
(page 0 0 10 10 "")"#;
        let pages = parse_page_zones(input.as_bytes()).unwrap();
        assert_eq!(pages.len(), 3);
        let page = pages[0].as_ref().unwrap();
        assert_eq!((page.kind.as_str(), page.x1, page.y1), ("page", 1092, 221));
        let line = &page.children[0];
        assert_eq!((line.kind.as_str(), line.x0, line.y0), ("line", 25, 125));
        assert_eq!(line.children[1].text, "é".as_bytes());
        assert!(pages[1].is_none());
        assert!(pages[2].as_ref().unwrap().children.is_empty());
    }

    #[test]
    fn zone_tree_rejects_bad_coordinates() {
        let err = parse_page_zones(b"(page 0 0 x 1)").unwrap_err();
        assert!(err.message.contains("xmax"), "{err}");
        let err = parse_page_zones(b"(line 0 0 1 1)").unwrap_err();
        assert!(err.message.contains("expected a page zone"), "{err}");
    }

    #[test]
    fn rejects_malformed_output() {
        for (input, message) in [
            ("(page 0 0 1 1 \"open", "a string is not closed"),
            ("(page 0 0 1 1 \"text\"", "a list is not closed"),
            (")", "unexpected ')'"),
            ("page", "expected (page ...) or ()"),
            ("(line 0 0 1 1 \"x\")", "expected a page zone"),
            ("(page 0 0 1 1 \"\\x\")", "expected hex digits"),
        ] {
            let err = parse_page_texts(input.as_bytes()).expect_err(input);
            assert!(err.message.contains(message), "{input:?}: {err}");
        }
    }
}
