//! A parser for the Python 2 literals of the old history file, so that the
//! file is read without evaluating it.
//!
//! It accepts what `repr()` of the old tool's values produces. That is tuples,
//! lists, dicts, integers (with an optional `L` suffix), floats, `None`, `True`
//! and `False`. Strings may use single or double quotes, an optional `u` prefix
//! and backslash escapes of quotes and backslashes. Anything else is an
//! error with its byte column.

/// A parsed literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i64),
    /// The float's digits as written, so that no precision is lost.
    Float(String),
    Str(String),
    None,
    Bool(bool),
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// A syntax error at a byte column (1-based) of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub column: usize,
    pub message: String,
}

/// Nesting limit, so that a hostile line cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

/// Parses one line holding exactly one literal (surrounding spaces allowed).
pub fn parse(line: &str) -> Result<Literal, SyntaxError> {
    let mut parser = Parser {
        text: line.as_bytes(),
        position: 0,
    };
    let value = parser.value(0)?;
    parser.skip_spaces();
    if parser.position < parser.text.len() {
        return Err(parser.error("unexpected text after the literal"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a [u8],
    position: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            column: self.position + 1,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.position).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.position += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Literal, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("literal nested too deeply"));
        }
        self.skip_spaces();
        match self.peek() {
            Some(b'(') => self.sequence(b')', depth).map(Literal::Tuple),
            Some(b'[') => self.sequence(b']', depth).map(Literal::List),
            Some(b'{') => self.dict(depth),
            Some(b'\'' | b'"') => self.string(),
            Some(b'u') if matches!(self.text.get(self.position + 1), Some(b'\'' | b'"')) => {
                self.position += 1;
                self.string()
            }
            Some(b'-' | b'0'..=b'9' | b'.') => self.number(),
            Some(b'N' | b'T' | b'F') => self.keyword(),
            Some(_) => Err(self.error("expected a tuple, list, dict, number, string or None")),
            None => Err(self.error("unexpected end of line")),
        }
    }

    /// Parses `(a, b, …)` or `[a, b, …]`, with an optional trailing comma.
    fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Literal>, SyntaxError> {
        self.position += 1;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            if self.peek() == Some(close) {
                self.position += 1;
                return Ok(items);
            }
            items.push(self.value(depth + 1)?);
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.position += 1,
                Some(byte) if byte == close => {}
                _ => return Err(self.error("expected a comma or the closing bracket")),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Literal, SyntaxError> {
        self.position += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_spaces();
            if self.peek() == Some(b'}') {
                self.position += 1;
                return Ok(Literal::Dict(entries));
            }
            let key = self.value(depth + 1)?;
            self.skip_spaces();
            if self.peek() != Some(b':') {
                return Err(self.error("expected a colon after the dict key"));
            }
            self.position += 1;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.position += 1,
                Some(b'}') => {}
                _ => return Err(self.error("expected a comma or the closing brace")),
            }
        }
    }

    fn string(&mut self) -> Result<Literal, SyntaxError> {
        let quote = self.text[self.position];
        self.position += 1;
        let mut bytes = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(byte) if byte == quote => {
                    self.position += 1;
                    break;
                }
                Some(b'\\') => {
                    let escaped = self.text.get(self.position + 1).copied();
                    match escaped {
                        Some(byte @ (b'\\' | b'\'' | b'"')) => bytes.push(byte),
                        _ => return Err(self.error("unsupported escape in string")),
                    }
                    self.position += 2;
                }
                Some(byte) => {
                    bytes.push(byte);
                    self.position += 1;
                }
            }
        }
        String::from_utf8(bytes)
            .map(Literal::Str)
            .map_err(|_| self.error("string is not valid UTF-8"))
    }

    fn number(&mut self) -> Result<Literal, SyntaxError> {
        let start = self.position;
        if self.peek() == Some(b'-') {
            self.position += 1;
        }
        let mut is_float = false;
        while let Some(byte) = self.peek() {
            match byte {
                b'0'..=b'9' => {}
                b'.' | b'e' | b'E' => is_float = true,
                b'+' | b'-' if matches!(self.text[self.position - 1], b'e' | b'E') => {}
                _ => break,
            }
            self.position += 1;
        }
        let digits = std::str::from_utf8(&self.text[start..self.position]).unwrap_or_default();
        if is_float {
            return match digits.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(Literal::Float(digits.to_owned())),
                _ => Err(SyntaxError {
                    column: start + 1,
                    message: format!("invalid number {digits:?}"),
                }),
            };
        }
        let value = digits.parse::<i64>().map_err(|_| SyntaxError {
            column: start + 1,
            message: format!("invalid or too large integer {digits:?}"),
        })?;
        // Python 2 prints long integers with an L suffix.
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.position += 1;
        }
        Ok(Literal::Int(value))
    }

    fn keyword(&mut self) -> Result<Literal, SyntaxError> {
        for (word, value) in [
            ("None", Literal::None),
            ("True", Literal::Bool(true)),
            ("False", Literal::Bool(false)),
        ] {
            let end = self.position + word.len();
            let followed_by_name = self
                .text
                .get(end)
                .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'_');
            if self.text.get(self.position..end) == Some(word.as_bytes()) && !followed_by_name {
                self.position = end;
                return Ok(value);
            }
        }
        Err(self.error("expected None, True or False"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_history_line() {
        let line = "(1190660100.58, {'fr': (100, 1, None, 3, [], 5, 6), 'zh-min-nan': (1L, 2, 3, 4, 5, 6, 7, 8)})";
        let Literal::Tuple(items) = parse(line).unwrap() else {
            panic!("not a tuple")
        };
        assert_eq!(items[0], Literal::Float("1190660100.58".to_owned()));
        let Literal::Dict(entries) = &items[1] else {
            panic!("not a dict")
        };
        assert_eq!(entries[0].0, Literal::Str("fr".to_owned()));
        assert_eq!(
            entries[0].1,
            Literal::Tuple(vec![
                Literal::Int(100),
                Literal::Int(1),
                Literal::None,
                Literal::Int(3),
                Literal::List(vec![]),
                Literal::Int(5),
                Literal::Int(6)
            ])
        );
        assert_eq!(entries[1].0, Literal::Str("zh-min-nan".to_owned()));
    }

    #[test]
    fn parses_scalars() {
        assert_eq!(parse(" -12 ").unwrap(), Literal::Int(-12));
        assert_eq!(parse("1e3").unwrap(), Literal::Float("1e3".to_owned()));
        assert_eq!(parse("u'caf\\'e'").unwrap(), Literal::Str("caf'e".to_owned()));
        assert_eq!(parse("\"a\"").unwrap(), Literal::Str("a".to_owned()));
        assert_eq!(parse("True").unwrap(), Literal::Bool(true));
        assert_eq!(parse("(1,)").unwrap(), Literal::Tuple(vec![Literal::Int(1)]));
        assert_eq!(parse("{}").unwrap(), Literal::Dict(vec![]));
    }

    #[test]
    fn rejects_code_and_garbage() {
        for (line, column) in [
            ("__import__('os').system('rm')", 1),
            ("(1, 2", 6),
            ("(1 2)", 4),
            ("{'a' 1}", 6),
            ("'open", 6),
            ("Nonesuch", 1),
            ("(1, 2) extra", 8),
            ("99999999999999999999", 1),
            ("", 1),
        ] {
            let error = parse(line).unwrap_err();
            assert_eq!(error.column, column, "{line}: {error:?}");
        }
    }

    #[test]
    fn rejects_deep_nesting() {
        let line = "(".repeat(100) + &")".repeat(100);
        assert!(parse(&line).unwrap_err().message.contains("nested"));
    }
}
