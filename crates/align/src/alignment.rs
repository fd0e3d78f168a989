//! `do_match`: places a page marker in the target text before the text of each
//! page, by aligning the target with the text layer page by page.
//!
//! For each marked page `p` the text layer of the page pair (`p`, `p + 1`) is
//! compared with a window of the target that starts where the previous page's
//! text ended and is 1.5 times as long as the pair. The target's words up to the
//! first one that matched a word of page `p + 1` are the text of page `p`. The
//! behaviour, including the quirks listed below, is that of the original phetools
//! Match, because users rely on its exact output:
//!
//! * the two pages are joined without a separator, so the last word of one page
//!   and the first word of the next form one token;
//! * the text of a page is trimmed of a short final paragraph start and, with an
//!   ASCII-only word class, of a final one-word line (see [`trim_chunk`]);
//! * the last page of the file is never marked, because it has no following page;
//! * the target text after the last marked page is appended as it is, after a
//!   `=== no match ===` line when it is 16 characters or longer;
//! * with a step `K > 1` the chunk marked `p` is aligned against page
//!   `p - K + K / 2 + 1`, which is right for `K = 2` and one page early for odd `K`.

use std::ops::Range;

use crate::sequence_matcher::{ratio_of, Match};
use crate::tag::MatchTag;
use crate::vocabulary::{PageWords, TargetWords, Vocabulary};
use crate::{messages, MatchError};

/// Maximum number of pages after the start page that one match covers.
const MAX_PAGES: usize = 1000;

/// Number of pages after the start page at which a match that found no text at
/// all gives up. Only checked when the step divides it.
const NO_TEXT_LAYER_PAGES: usize = 10;

/// A final paragraph start at most this many characters long (from its blank
/// line) belongs to the next page.
const PARAGRAPH_START_MAX_CHARS: usize = 16;

/// An unmatched tail of at least this many characters gets a `=== no match ===` line.
const NO_MATCH_LINE_MIN_CHARS: usize = 16;

/// Below this similarity the page pair and the window are unrelated, and the
/// match ends.
const MIN_RATIO: f64 = 0.1;

const NO_MATCH_LINE: &str = "\n=== no match ===\n";

/// Aligns `target` with `pages` (index 0 is page 1 of the file) from the tag's
/// start page, and returns `target` with a `==[[<prefix>:<file>/<n>]]==` marker
/// before the text of each page.
///
/// The main page is then saved as head + the returned text.
pub fn do_match<S: AsRef<str>>(pages: &[S], tag: &MatchTag, target: &str, prefix: &str) -> Result<String, MatchError> {
    let MatchTag { file, start, step } = tag;
    let (start, step) = (*start, *step);
    check_tag(start, step)?;
    let before = step.div_ceil(2);
    let after = step / 2;

    let mut vocabulary = Vocabulary::default();
    let previous_text = pages
        .get(start - before)
        .ok_or(MatchError::PageNotInTextLayer { start })?
        .as_ref();
    let mut previous_page = vocabulary.page_words(previous_text);
    let target_words = vocabulary.target_words(target);
    let mut offset = 0;
    let mut output = String::with_capacity(target.len() + target.len() / 16);
    let mut in_poem = false;

    let end = start.saturating_add(MAX_PAGES).min(pages.len());
    for page in (start..end).step_by(step) {
        if page - start == NO_TEXT_LAYER_PAGES && offset == 0 {
            return Err(MatchError::NoTextLayer);
        }
        let current_text = pages
            .get(page + after)
            .ok_or_else(|| MatchError::InvalidTag {
                message: messages::step_past_last_page(page, step, page + after + 1, pages.len()),
            })?
            .as_ref();
        let current_page = vocabulary.page_words(current_text);
        let aligned = align_page(&mut vocabulary, &target_words, offset, &previous_page, &current_page);
        let Some(chunk_length) = aligned else {
            break;
        };
        previous_page = current_page;

        let chunk = &target[offset..offset + chunk_length];
        offset += chunk_length;
        push_page(&mut output, chunk, prefix, file, page, in_poem);
        in_poem = poem_open_after(chunk, in_poem);
    }

    if offset == 0 {
        return Err(MatchError::NoMatch);
    }
    push_tail(&mut output, &target[offset..]);
    Ok(output)
}

fn check_tag(start: usize, step: usize) -> Result<(), MatchError> {
    let message = if step == 0 {
        messages::step_zero()
    } else if start == 0 {
        messages::start_page_zero()
    } else if start < step.div_ceil(2) {
        messages::start_before_first_page(start, step)
    } else {
        return Ok(());
    };
    Err(MatchError::InvalidTag { message })
}

/// Aligns the window of the target at `offset` (the start of the text not yet
/// assigned to a page) with the page pair, and returns the length in bytes of the text of `page` after
/// trimming. Returns `None` when the pair does not match the window, which ends
/// the match.
fn align_page<'a>(
    vocabulary: &mut Vocabulary<'a>,
    target: &TargetWords<'a>,
    offset: usize,
    page: &PageWords,
    next_page: &PageWords,
) -> Option<usize> {
    let pair_ids = vocabulary.joined_ids(page, next_page);
    let rest = &target.text()[offset..];
    let window_length = prefix_of_chars(rest, (page.chars + next_page.chars) * 3 / 2).len();
    let window = vocabulary.window_words(target, offset..offset + window_length);

    let matcher = vocabulary.matcher(&pair_ids, &window.ids);
    let blocks = matcher.matching_blocks();
    if blocks.len() < 2 {
        return None;
    }
    if ratio_of(&blocks, pair_ids.len(), window.ids.len()) < MIN_RATIO {
        return None;
    }
    let chunk_end = chunk_end(&blocks, page.ids.len(), &window.spans);
    Some(trim_chunk(&rest[..chunk_end]).len())
}

/// Returns the byte length of the text of the page: the window's words, each with
/// its following separator, up to the first word that matched a word past the
/// page (index `page_word_count` or more in the pair). Words after the last
/// matching block never belong to the page, and neither does the window's last
/// word, which has no separator after it.
fn chunk_end(blocks: &[Match], page_word_count: usize, window_spans: &[Range<usize>]) -> usize {
    let last = blocks[blocks.len() - 2];
    let mut end = 0;
    let mut block_index = 0;
    for j in 0..last.b + last.size {
        while blocks[block_index].b + blocks[block_index].size <= j {
            block_index += 1;
        }
        let block = blocks[block_index];
        if block.b <= j && block.a + (j - block.b) >= page_word_count {
            break;
        }
        if let Some(next_word) = window_spans.get(j + 1) {
            end = next_word.start;
        }
    }
    end
}

/// Trims the end of a page's text as the original did.
///
/// Trailing whitespace goes first. Then, if the text from the last blank line to
/// the end is at most 16 characters, it is cut: it is the start of a paragraph of
/// the next page. Otherwise the original meant to cut a final line made of one
/// word. Its pattern `(?ms).*(\n\w+\W*)$` has an ASCII-only `\w` and a multi-line
/// `$`, so it finds the last newline followed by ASCII word characters, then
/// characters outside `[A-Za-z0-9_]`, then a line end. The original then cut that
/// match's length minus one characters from the end of the text, wherever the
/// match was.
pub fn trim_chunk(chunk: &str) -> &str {
    let chunk = chunk.trim_end_matches(is_python_space);
    if let Some(blank_line) = chunk.rfind("\n\n") {
        if chunk[blank_line..].chars().count() <= PARAGRAPH_START_MAX_CHARS {
            return &chunk[..blank_line];
        }
    }
    match last_one_word_line_chars(chunk) {
        Some(match_chars) => drop_last_chars(chunk, match_chars - 1),
        None => chunk,
    }
}

/// Returns the length in characters of the match of `\n\w+\W*$` (ASCII `\w`,
/// multi-line `$`) that starts at the last possible newline.
fn last_one_word_line_chars(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    for (newline, _) in text.rmatch_indices('\n') {
        let word_start = newline + 1;
        let word_end = word_start
            + bytes[word_start..]
                .iter()
                .take_while(|&&b| is_ascii_word_byte(b))
                .count();
        if word_end == word_start {
            continue;
        }
        let non_word_end = word_end
            + bytes[word_end..]
                .iter()
                .take_while(|&&b| !is_ascii_word_byte(b))
                .count();
        // `\W*` is greedy, so the match ends at the last line end it can reach.
        let match_end = if non_word_end == bytes.len() {
            Some(non_word_end)
        } else {
            text[word_end..non_word_end]
                .rfind('\n')
                .map(|line_end| word_end + line_end)
        };
        if let Some(match_end) = match_end {
            return Some(text[newline..match_end].chars().count());
        }
    }
    None
}

fn is_ascii_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Returns whether Python's `str.isspace()` is true for `c`: Unicode White_Space
/// and the separators U+001C to U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn drop_last_chars(text: &str, count: usize) -> &str {
    match text.char_indices().rev().nth(count.saturating_sub(1)) {
        Some((start, _)) if count > 0 => &text[..start],
        Some(_) => text,
        None => "",
    }
}

/// Returns the longest prefix of `text` of at most `count` characters.
fn prefix_of_chars(text: &str, count: usize) -> &str {
    const BLOCK: usize = 64;
    let bytes = text.as_bytes();
    let is_char_start = |byte: &u8| (*byte as i8) >= -0x40;
    // Skip whole blocks while they end before character `count` starts. `seen` is
    // the number of characters starting before `position`.
    let mut seen = 0;
    let mut position = 0;
    while position + BLOCK <= bytes.len() {
        let starts = bytes[position..position + BLOCK]
            .iter()
            .filter(|byte| is_char_start(byte))
            .count();
        if seen + starts > count {
            break;
        }
        seen += starts;
        position += BLOCK;
    }
    while position < bytes.len() {
        if is_char_start(&bytes[position]) {
            if seen == count {
                return &text[..position];
            }
            seen += 1;
        }
        position += 1;
    }
    text
}

/// Appends the marker of `page` and its text, without one leading newline and
/// then without leading spaces. Inside a poem the marker closes and reopens it.
fn push_page(output: &mut String, chunk: &str, prefix: &str, file: &str, page: usize, in_poem: bool) {
    let marker = format!("==[[{prefix}:{file}/{page}]]==");
    if in_poem {
        output.push_str("\n</poem>\n");
        output.push_str(&marker);
        output.push_str("\n<poem>\n");
    } else {
        output.push('\n');
        output.push_str(&marker);
        output.push('\n');
    }
    let text = chunk.strip_prefix('\n').unwrap_or(chunk);
    output.push_str(text.trim_start_matches(' '));
}

/// Returns whether a `<poem>` is open after `chunk`: the last `<poem>` comes after
/// the last `</poem>`. Without either, the state is unchanged.
fn poem_open_after(chunk: &str, in_poem: bool) -> bool {
    let text = chunk.strip_prefix('\n').unwrap_or(chunk).trim_start_matches(' ');
    match (text.rfind("<poem>"), text.rfind("</poem>")) {
        (None, None) => in_poem,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (Some(open), Some(close)) if open > close => true,
        (Some(open), Some(close)) if open < close => false,
        _ => in_poem,
    }
}

fn push_tail(output: &mut String, tail: &str) {
    if tail.is_empty() {
        return;
    }
    if tail.chars().count() >= NO_MATCH_LINE_MIN_CHARS {
        output.push_str(NO_MATCH_LINE);
    }
    output.push_str(tail.trim_start_matches(' '));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paragraph_start_is_cut() {
        assert_eq!(trim_chunk("end of page.\n\n12 And  \n"), "end of page.");
    }

    #[test]
    fn one_word_line_cut_from_end() {
        assert_eq!(
            trim_chunk("a long first paragraph here\nword\nmore stuff here"),
            "a long first paragraph here\nword\nmore stuff "
        );
        assert_eq!(trim_chunk("some words here\nlast."), "some words here\n");
    }

    #[test]
    fn non_ascii_word_line_kept() {
        assert_eq!(trim_chunk("some words here\nété"), "some words here\nété");
    }

    #[test]
    fn prefix_counts_characters() {
        let text = "é".repeat(50) + &"a".repeat(100);
        for count in [0, 1, 49, 50, 51, 63, 64, 65, 149, 150, 151, 1000] {
            let expected: String = text.chars().take(count).collect();
            assert_eq!(prefix_of_chars(&text, count), expected, "count {count}");
        }
    }

    #[test]
    fn poem_state_follows_last_tag() {
        assert!(poem_open_after("<poem>a", false));
        assert!(!poem_open_after("<poem>a</poem>", true));
        assert!(poem_open_after("no tags", true));
    }
}
