//! Attributes of an extension tag, read the way MediaWiki's `Sanitizer::decodeTagAttributes`
//! reads them (MediaWiki 1.39).
//!
//! An attribute starts at the beginning of the text or after a whitespace character. Its
//! name starts with a letter, a number, `:` or `_` and goes on with those or `.` and `-`;
//! names are lower-cased. The value after `=` is double-quoted, single-quoted (a missing
//! closing quote takes the rest of the text) or bare (up to whitespace or `>`). A name
//! without `=` has the empty value. Runs of whitespace in a value become one space, the
//! value is trimmed and its character references are decoded. A repeated name keeps its
//! first position and takes the last value.

/// Whitespace as MediaWiki's attribute grammar defines it: tab, LF, FF, CR and space.
fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{000C}' | '\r' | ' ')
}

fn is_name_start(c: char) -> bool {
    c == ':' || c == '_' || c.is_alphanumeric()
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c == '.' || c == '-'
}

/// Attributes in the order of their first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    pairs: Vec<(String, String)>,
}

impl Attributes {
    /// Reads every attribute of `text`, the part of a tag between its name and `>` or `/>`.
    pub fn parse(text: &str) -> Self {
        let mut attributes = Self::default();
        let mut position = 0;
        while let Some((name_start, name_end)) = find_name(text, position) {
            let name = text[name_start..name_end].to_lowercase();
            let (raw_value, end) = read_value(text, name_end);
            attributes.insert(name, clean_value(raw_value));
            position = end;
        }
        attributes
    }

    fn insert(&mut self, name: String, value: String) {
        match self.pairs.iter_mut().find(|(existing, _)| *existing == name) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((name, value)),
        }
    }

    /// Returns the value of the attribute `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Name and value pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Adds a pair read elsewhere (a template parameter), with the same repeated-name rule.
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.insert(name.to_lowercase(), value.to_owned());
    }
}

/// Finds the next attribute name at or after byte `from`: at the start of the text or
/// right after a whitespace character. Returns its byte range.
fn find_name(text: &str, from: usize) -> Option<(usize, usize)> {
    let candidates = text[from..].char_indices().map(|(offset, c)| (from + offset, c));
    if from == 0 {
        if let Some(found) = name_at(text, 0) {
            return Some(found);
        }
    }
    for (offset, c) in candidates {
        if is_space(c) {
            if let Some(found) = name_at(text, offset + c.len_utf8()) {
                return Some(found);
            }
        }
    }
    None
}

fn name_at(text: &str, start: usize) -> Option<(usize, usize)> {
    let rest = &text[start..];
    let first = rest.chars().next()?;
    if !is_name_start(first) {
        return None;
    }
    let length = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    Some((start, start + length))
}

/// Reads the optional `= value` after a name ending at byte `from`. Returns the raw value
/// and the byte where reading stopped.
fn read_value(text: &str, from: usize) -> (&str, usize) {
    let rest = &text[from..];
    let after_space = rest.trim_start_matches(is_space);
    let Some(after_equals) = after_space.strip_prefix('=') else {
        return ("", from);
    };
    let value_text = after_equals.trim_start_matches(is_space);
    let value_start = text.len() - value_text.len();
    for quote in ['"', '\''] {
        if let Some(inner) = value_text.strip_prefix(quote) {
            return match inner.find(quote) {
                Some(close) => (&inner[..close], value_start + 1 + close + 1),
                None => (inner, text.len()),
            };
        }
    }
    let length = value_text
        .find(|c: char| is_space(c) || c == '>')
        .unwrap_or(value_text.len());
    (&value_text[..length], value_start + length)
}

fn clean_value(raw: &str) -> String {
    let collapsed = raw
        .split(is_space)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    decode_char_references(&collapsed)
}

/// Decodes numeric character references and the named ones of XML (`&amp;` `&lt;` `&gt;`
/// `&quot;` `&apos;`) plus `&nbsp;`. Anything else is kept as written.
// NOTE: MediaWiki decodes every HTML named entity; the rare others stay undecoded here.
pub fn decode_char_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let candidate = &rest[amp..];
        match decode_one(candidate) {
            Some((decoded, consumed)) => {
                out.push(decoded);
                rest = &candidate[consumed..];
            }
            None => {
                out.push('&');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_one(candidate: &str) -> Option<(char, usize)> {
    let semicolon = candidate.find(';')?;
    let entity = &candidate[1..semicolon];
    let decoded = if let Some(hex) = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
        decode_code_point(hex, 16)?
    } else if let Some(decimal) = entity.strip_prefix('#') {
        decode_code_point(decimal, 10)?
    } else {
        match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{00A0}',
            _ => return None,
        }
    };
    Some((decoded, semicolon + 1))
}

fn decode_code_point(digits: &str, radix: u32) -> Option<char> {
    if digits.is_empty() || digits.len() > 8 || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok().and_then(char::from_u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        Attributes::parse(text)
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn quoting_forms() {
        assert_eq!(
            pairs(r#" index="A b.djvu" from=3 to='5' header"#),
            owned(&[("index", "A b.djvu"), ("from", "3"), ("to", "5"), ("header", "")])
        );
    }

    #[test]
    fn names_lower_cased_and_last_value_wins() {
        assert_eq!(pairs(" FROM=1 to=2 from=3"), owned(&[("from", "3"), ("to", "2")]));
    }

    #[test]
    fn whitespace_and_entities() {
        assert_eq!(
            pairs(" a = \" x \n y \" b=&amp;&#65;&#x42;&bogus;"),
            owned(&[("a", "x y"), ("b", "&AB&bogus;")])
        );
    }

    #[test]
    fn unterminated_quote_takes_rest() {
        assert_eq!(pairs(" a=\"x y"), owned(&[("a", "x y")]));
    }

    #[test]
    fn name_needs_preceding_space() {
        assert_eq!(pairs(" a=1b=2"), owned(&[("a", "1b=2")]));
        assert_eq!(pairs(" a=\"1\"b=2 c=3"), owned(&[("a", "1"), ("c", "3")]));
    }

    #[test]
    fn pagelist_names() {
        assert_eq!(
            pairs(" 1to4=- 5=1 5to24=roman 3to9even=\"folio\""),
            owned(&[("1to4", "-"), ("5", "1"), ("5to24", "roman"), ("3to9even", "folio")])
        );
    }
}
