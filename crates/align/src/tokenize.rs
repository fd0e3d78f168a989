//! Word tokens as Python's `re.split(r'\W+', text, flags=re.U)` and
//! `re.split(r'(\W+)', text, flags=re.U)` produce them.
//!
//! A word character is one for which Python 3's `str.isalnum()` is true, or `_`:
//! the general categories L* and N*. Combining marks (Mn, Mc) are not word
//! characters. The split keeps the empty word before a leading separator and after
//! a trailing one, so a text of `n` separator runs always has `n + 1` words.

use std::ops::Range;

use crate::word_ranges::NON_ASCII_WORD_RANGES;

/// Returns whether Python's `\w` (Unicode mode) matches `c`.
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let code_point = c as u32;
    let index = NON_ASCII_WORD_RANGES.partition_point(|&(_, hi)| hi < code_point);
    NON_ASCII_WORD_RANGES
        .get(index)
        .is_some_and(|&(lo, _)| lo <= code_point)
}

/// Returns the byte ranges of the words of `text`, as `re.split(r'\W+', text)`
/// returns them. Separator `j` lies between the ends of words `j` and `j + 1`.
pub fn word_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::with_capacity(text.len() / 5 + 1);
    let mut word_start = 0;
    let mut position = 0;
    while position < text.len() {
        let (is_word, width) = classify_at(text, position);
        if is_word {
            position += width;
            continue;
        }
        spans.push(word_start..position);
        position += width;
        while position < text.len() {
            let (is_word, width) = classify_at(text, position);
            if is_word {
                break;
            }
            position += width;
        }
        word_start = position;
    }
    spans.push(word_start..text.len());
    spans
}

/// Splits `text` into words as `re.split(r'\W+', text, flags=re.U)` does.
pub fn split_words(text: &str) -> Vec<&str> {
    word_spans(text).into_iter().map(|span| &text[span]).collect()
}

/// Splits `text` into words and the separators between them, as
/// `re.split(r'(\W+)', text, flags=re.U)` does: `[w0, s0, w1, s1, …, wn]`.
pub fn split_with_separators(text: &str) -> Vec<&str> {
    let spans = word_spans(text);
    let mut tokens = Vec::with_capacity(spans.len() * 2);
    for (index, span) in spans.iter().enumerate() {
        tokens.push(&text[span.clone()]);
        if let Some(next) = spans.get(index + 1) {
            tokens.push(&text[span.end..next.start]);
        }
    }
    tokens
}

/// Returns whether the character at byte `position`, a char boundary, is a word
/// character, and its width in bytes.
#[inline(always)]
fn classify_at(text: &str, position: usize) -> (bool, usize) {
    let bytes = text.as_bytes();
    let lead = bytes[position];
    if lead < 0x80 {
        return (ASCII_WORD[lead as usize], 1);
    }
    let (code_point, width) = decode_non_ascii(bytes, position);
    let c = char::from_u32(code_point).expect("a str holds valid UTF-8");
    (is_word_char(c), width)
}

/// Decodes the multi-byte UTF-8 sequence at `position` of a valid UTF-8 text.
#[inline]
fn decode_non_ascii(bytes: &[u8], position: usize) -> (u32, usize) {
    let lead = bytes[position] as u32;
    let continuation = |offset: usize| (bytes[position + offset] & 0x3F) as u32;
    if lead < 0xE0 {
        (((lead & 0x1F) << 6) | continuation(1), 2)
    } else if lead < 0xF0 {
        (((lead & 0x0F) << 12) | (continuation(1) << 6) | continuation(2), 3)
    } else {
        let code_point = ((lead & 0x07) << 18) | (continuation(1) << 12) | (continuation(2) << 6) | continuation(3);
        (code_point, 4)
    }
}

/// Whether each ASCII byte is a word character: `[A-Za-z0-9_]`.
static ASCII_WORD: [bool; 128] = {
    let mut table = [false; 128];
    let mut byte = 0;
    while byte < 128 {
        let c = byte as u8;
        table[byte] = c.is_ascii_alphanumeric() || c == b'_';
        byte += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_empty_edges() {
        assert_eq!(split_words(""), vec![""]);
        assert_eq!(split_words(" a, b "), vec!["", "a", "b", ""]);
        assert_eq!(split_words("abc"), vec!["abc"]);
    }

    #[test]
    fn split_with_separators_alternates() {
        assert_eq!(split_with_separators(" a, b "), vec!["", " ", "a", ", ", "b", " ", ""]);
        assert_eq!(split_with_separators("x"), vec!["x"]);
    }

    #[test]
    fn word_class_follows_python() {
        assert!(is_word_char('é'));
        assert!(is_word_char('_'));
        assert!(is_word_char('²'));
        assert!(is_word_char('〇'));
        assert!(!is_word_char('\u{0301}'));
        assert!(!is_word_char('\u{093F}'));
        assert!(!is_word_char('’'));
        assert!(!is_word_char('\u{a0}'));
    }
}
