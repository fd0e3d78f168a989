//! Token ids for the alignment: every distinct word of the pages and the target
//! gets one id, so that the sequence matcher compares integers, and each page is
//! split into words once.

use std::borrow::Cow;
use std::ops::Range;

use rustc_hash::FxHashMap;

use crate::sequence_matcher::{SequenceMatcher, ABSENT};
use crate::tokenize::word_spans;

/// Ids of the distinct words seen so far, and the scratch space of the matcher.
#[derive(Default)]
pub(crate) struct Vocabulary<'a> {
    /// Ids of words of up to [`SHORT_WORD_MAX`] bytes, keyed by [`short_key`],
    /// which avoids hashing and comparing strings for most words.
    short_ids: FxHashMap<u64, u32>,
    /// Ids of longer words.
    long_ids: FxHashMap<Cow<'a, str>, u32>,
    /// [`ABSENT`] for every id, sized to the vocabulary before each comparison.
    remap: Vec<u32>,
}

/// Maximum length in bytes of a word that [`short_key`] packs into an integer.
const SHORT_WORD_MAX: usize = 7;

/// Packs a word of at most [`SHORT_WORD_MAX`] bytes and its length into a `u64`:
/// the bytes in the low seven bytes, the length in the high byte, so different
/// words get different keys.
fn short_key(word: &[u8]) -> u64 {
    let mut key = (word.len() as u64) << 56;
    for (index, &byte) in word.iter().enumerate() {
        key |= u64::from(byte) << (8 * index);
    }
    key
}

/// The words of the whole target, split once. A window of the target has the
/// same words, clipped at the window's ends.
pub(crate) struct TargetWords<'a> {
    text: &'a str,
    spans: Vec<Range<usize>>,
    ids: Vec<u32>,
}

/// The words of a window of the target: byte ranges relative to the window, and ids.
pub(crate) struct WindowWords {
    pub(crate) spans: Vec<Range<usize>>,
    pub(crate) ids: Vec<u32>,
}

/// The words of one text-layer page as ids, and what joining it needs.
pub(crate) struct PageWords<'a> {
    pub(crate) ids: Vec<u32>,
    pub(crate) chars: usize,
    first_word: &'a str,
    last_word: &'a str,
    starts_with_separator: bool,
    ends_with_separator: bool,
}

impl<'a> TargetWords<'a> {
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }
}

impl<'a> Vocabulary<'a> {
    fn len(&self) -> usize {
        self.short_ids.len() + self.long_ids.len()
    }

    pub(crate) fn id(&mut self, word: &'a str) -> u32 {
        self.id_of(Cow::Borrowed(word))
    }

    fn id_of_joined(&mut self, left: &str, right: &str) -> u32 {
        self.id_of(Cow::Owned([left, right].concat()))
    }

    fn id_of(&mut self, word: Cow<'a, str>) -> u32 {
        let next = self.len() as u32;
        if word.len() <= SHORT_WORD_MAX {
            return *self.short_ids.entry(short_key(word.as_bytes())).or_insert(next);
        }
        if let Some(&id) = self.long_ids.get(word.as_ref()) {
            return id;
        }
        self.long_ids.insert(word, next);
        next
    }

    pub(crate) fn page_words(&mut self, text: &'a str) -> PageWords<'a> {
        let spans = word_spans(text);
        let first_word = &text[spans[0].clone()];
        let last_word = &text[spans[spans.len() - 1].clone()];
        PageWords {
            ids: spans.iter().map(|span| self.id(&text[span.clone()])).collect(),
            chars: text.chars().count(),
            first_word,
            last_word,
            starts_with_separator: !text.is_empty() && first_word.is_empty(),
            ends_with_separator: !text.is_empty() && last_word.is_empty(),
        }
    }

    /// Returns the word ids of the concatenation of two pages without splitting it
    /// again. When the first page ends and the second starts with a separator, the
    /// two separator runs merge. Otherwise the first page's last word and the
    /// second page's first word join into one token.
    pub(crate) fn joined_ids(&mut self, first: &PageWords, second: &PageWords) -> Vec<u32> {
        let mut ids = Vec::with_capacity(first.ids.len() + second.ids.len());
        ids.extend_from_slice(&first.ids[..first.ids.len() - 1]);
        if !(first.ends_with_separator && second.starts_with_separator) {
            ids.push(self.id_of_joined(first.last_word, second.first_word));
        }
        ids.extend_from_slice(&second.ids[1..]);
        ids
    }

    pub(crate) fn target_words(&mut self, text: &'a str) -> TargetWords<'a> {
        let spans = word_spans(text);
        let ids = spans.iter().map(|span| self.id(&text[span.clone()])).collect();
        TargetWords { text, spans, ids }
    }

    /// Returns the words of `target.text[window]` as [`word_spans`] would split
    /// that slice. These are the target's words clipped to the window, after an
    /// empty word when the window starts with a separator and before one when it
    /// ends with a separator.
    pub(crate) fn window_words(&mut self, target: &TargetWords<'a>, window: Range<usize>) -> WindowWords {
        let Range { start, end } = window;
        let first = target.spans.partition_point(|span| span.end <= start);
        let last = first + target.spans[first..].partition_point(|span| span.start < end);
        let capacity = last - first + 2;
        let mut words = WindowWords {
            spans: Vec::with_capacity(capacity),
            ids: Vec::with_capacity(capacity),
        };
        let starts_in_word = target.spans.get(first).is_some_and(|span| span.start <= start);
        if !starts_in_word || start == end {
            words.spans.push(0..0);
            words.ids.push(self.id(""));
        }
        for (span, &id) in target.spans[first..last].iter().zip(&target.ids[first..last]) {
            let clipped = span.start.max(start)..span.end.min(end);
            if clipped.is_empty() {
                continue;
            }
            let id = if clipped == *span {
                id
            } else {
                self.id(&target.text[clipped.clone()])
            };
            words.spans.push(clipped.start - start..clipped.end - start);
            words.ids.push(id);
        }
        let ends_in_word = words
            .spans
            .last()
            .is_some_and(|span| span.end == end - start && !span.is_empty());
        if start < end && !ends_in_word {
            words.spans.push(end - start..end - start);
            words.ids.push(self.id(""));
        }
        words
    }

    pub(crate) fn matcher(&mut self, a: &[u32], b: &[u32]) -> SequenceMatcher {
        self.remap.resize(self.len(), ABSENT);
        SequenceMatcher::from_token_ids(a, b, &mut self.remap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::split_words;

    #[test]
    fn joined_ids_equal_split_of_concatenation() {
        let texts = ["", " ", "abc", "abc ", " abc", "a b", "é’", "x\n\n", "\ny"];
        for first in texts {
            for second in texts {
                let mut vocabulary = Vocabulary::default();
                let first_words = vocabulary.page_words(first);
                let second_words = vocabulary.page_words(second);
                let joined = vocabulary.joined_ids(&first_words, &second_words);
                let concatenation = [first, second].concat();
                let expected: Vec<u32> = split_words(&concatenation)
                    .into_iter()
                    .map(|word| vocabulary.id_of_joined(word, ""))
                    .collect();
                assert_eq!(joined, expected, "{first:?} + {second:?}");
            }
        }
    }

    #[test]
    fn window_words_equal_split_of_window() {
        let text = " ab, c’d  é\nfg_h ";
        let mut vocabulary = Vocabulary::default();
        let target = vocabulary.target_words(text);
        let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        for &start in &boundaries {
            for &end in boundaries.iter().filter(|&&end| end >= start) {
                let window = &text[start..end];
                let words = vocabulary.window_words(&target, start..end);
                assert_eq!(words.spans, word_spans(window), "window {window:?}");
                let expected: Vec<u32> = split_words(window)
                    .into_iter()
                    .map(|word| vocabulary.id(word))
                    .collect();
                assert_eq!(words.ids, expected, "window {window:?}");
            }
        }
    }
}
