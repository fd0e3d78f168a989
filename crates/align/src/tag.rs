//! The Match tag, `==__MATCH__:[[<Page namespace>:<file>/<start>]]==` with an
//! optional `|step=<K>` before `]]`.
//!
//! As in the original tool, the first tag in the text counts. The file name is
//! the shortest text on the tag's line that is followed by `/<digits>`, the
//! optional step and `]]==`. The text before the tag is the head, and the text
//! after it (from the newline that usually follows it) is the target. A tag whose
//! step is not made of digits is not a tag. Numbers are ASCII digits.
//!
//! The namespace may be written with any of the names the caller accepts (the
//! wiki's localized name and its aliases) or the canonical `Page`. Namespace
//! names compare as MediaWiki compares them: case-insensitively, with `_` equal to
//! a space.

use crate::{messages, MatchError};

const TAG_OPEN: &str = "==__MATCH__:[[";
const TAG_CLOSE: &str = "]]==";
const STEP_PARAMETER: &str = "|step=";

/// The canonical name of the ProofreadPage Page namespace, accepted on every wiki.
pub const CANONICAL_PAGE_NAMESPACE: &str = "Page";

/// The values of a Match tag: the file name as written, the first page and the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchTag {
    /// The file name as written in the tag, without namespace.
    pub file: String,
    /// The 1-based page number of the file where the text starts.
    pub start: usize,
    /// The distance between marked pages, 1 when the tag has no `|step=`.
    pub step: usize,
}

/// A main page split at its Match tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedPage<'a> {
    /// The text before the tag, kept as it is.
    pub head: &'a str,
    pub tag: MatchTag,
    /// The text after the tag: the text to align and split.
    pub target: &'a str,
}

/// Finds the first Match tag in `page_text` whose namespace is `Page` or one of
/// `namespace_names`.
///
/// Returns [`MatchError::TagNotFound`] when there is none, and a tag error when
/// the page number or step does not fit in a `usize`.
pub fn parse_match_tag<'a>(page_text: &'a str, namespace_names: &[&str]) -> Result<TaggedPage<'a>, MatchError> {
    for (tag_start, _) in page_text.match_indices(TAG_OPEN) {
        let after_open = tag_start + TAG_OPEN.len();
        let Some(found) = parse_tag_body(&page_text[after_open..], namespace_names) else {
            continue;
        };
        let tag = MatchTag {
            file: found.file.to_string(),
            start: parse_number(found.start_digits).ok_or_else(|| MatchError::InvalidTag {
                message: messages::page_number_too_large(found.start_digits),
            })?,
            step: match found.step_digits {
                None => 1,
                Some(digits) => parse_number(digits).ok_or_else(|| MatchError::InvalidTag {
                    message: messages::step_too_large(digits),
                })?,
            },
        };
        return Ok(TaggedPage {
            head: &page_text[..tag_start],
            tag,
            target: &page_text[after_open + found.length..],
        });
    }
    Err(MatchError::TagNotFound)
}

/// The parts of one tag, borrowed from the text after `==__MATCH__:[[`.
struct TagBody<'a> {
    file: &'a str,
    start_digits: &'a str,
    step_digits: Option<&'a str>,
    /// Bytes from the start of the body to the end of `]]==`.
    length: usize,
}

fn parse_tag_body<'a>(body: &'a str, namespace_names: &[&str]) -> Option<TagBody<'a>> {
    let colon = body.find(':')?;
    let namespace = &body[..colon];
    let accepted = std::iter::once(CANONICAL_PAGE_NAMESPACE)
        .chain(namespace_names.iter().copied())
        .any(|name| same_namespace_name(name, namespace));
    if !accepted {
        return None;
    }
    let after_colon = colon + 1;
    let line = body[after_colon..].split('\n').next().unwrap_or_default();
    for (slash, _) in line.match_indices('/') {
        if let Some((start_digits, step_digits, suffix_length)) = parse_tag_end(&line[slash..]) {
            return Some(TagBody {
                file: &line[..slash],
                start_digits,
                step_digits,
                length: after_colon + slash + suffix_length,
            });
        }
    }
    None
}

/// Parses `/<digits>`, an optional `|step=<digits>` and `]]==` at the start of
/// `text`. Returns the two digit strings and the length of the parsed text.
fn parse_tag_end(text: &str) -> Option<(&str, Option<&str>, usize)> {
    let after_slash = text.strip_prefix('/')?;
    let start_digits = leading_digits(after_slash)?;
    let mut rest = &after_slash[start_digits.len()..];
    let mut step_digits = None;
    if let Some(after_step) = rest.strip_prefix(STEP_PARAMETER) {
        let digits = leading_digits(after_step)?;
        step_digits = Some(digits);
        rest = &after_step[digits.len()..];
    }
    rest.strip_prefix(TAG_CLOSE)?;
    let length = text.len() - rest.len() + TAG_CLOSE.len();
    Some((start_digits, step_digits, length))
}

fn leading_digits(text: &str) -> Option<&str> {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
}

fn parse_number(digits: &str) -> Option<usize> {
    digits.parse().ok()
}

fn same_namespace_name(accepted: &str, written: &str) -> bool {
    let normalize = |name: &str| -> Vec<char> {
        name.trim()
            .chars()
            .map(|c| if c == '_' { ' ' } else { c })
            .flat_map(char::to_lowercase)
            .collect()
    };
    normalize(accepted) == normalize(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_with_step_parses() {
        let page = parse_match_tag("h\n==__MATCH__:[[Seite:A b.djvu/12|step=2]]==\nrest", &["Seite"]).unwrap();
        assert_eq!(page.head, "h\n");
        assert_eq!(page.tag.file, "A b.djvu");
        assert_eq!(page.tag.start, 12);
        assert_eq!(page.tag.step, 2);
        assert_eq!(page.target, "\nrest");
    }

    #[test]
    fn file_name_is_shortest_before_page_number() {
        let page = parse_match_tag("==__MATCH__:[[Page:A/1/2]]==", &[]).unwrap();
        assert_eq!(page.tag.file, "A/1");
        assert_eq!(page.tag.start, 2);
    }

    #[test]
    fn canonical_and_alias_names_accepted() {
        let text = "==__MATCH__:[[page:F.djvu/3]]==";
        assert_eq!(parse_match_tag(text, &["Strona"]).unwrap().tag.start, 3);
        let text = "==__MATCH__:[[Strona:F.djvu/3]]==";
        assert_eq!(parse_match_tag(text, &["Strona"]).unwrap().tag.file, "F.djvu");
    }

    #[test]
    fn other_namespace_is_not_a_tag() {
        let text = "==__MATCH__:[[Seite:F.djvu/3]]==";
        assert_eq!(parse_match_tag(text, &["Strona"]), Err(MatchError::TagNotFound));
    }

    #[test]
    fn step_must_be_digits() {
        let text = "==__MATCH__:[[Page:F.djvu/3|step=x]]==";
        assert_eq!(parse_match_tag(text, &[]), Err(MatchError::TagNotFound));
    }

    #[test]
    fn regex_characters_in_names_are_literal() {
        let text = "==__MATCH__:[[Pxge:F.djvu/3]]==";
        assert_eq!(parse_match_tag(text, &["P.ge"]), Err(MatchError::TagNotFound));
    }

    #[test]
    fn tag_does_not_span_lines() {
        let text = "==__MATCH__:[[Page:F.djvu\n/3]]==";
        assert_eq!(parse_match_tag(text, &[]), Err(MatchError::TagNotFound));
    }

    #[test]
    fn later_tag_used_when_first_is_broken() {
        let text = "==__MATCH__:[[Page:F.djvu/x]]==\n==__MATCH__:[[Page:G.djvu/4]]==\nT";
        let page = parse_match_tag(text, &[]).unwrap();
        assert_eq!(page.tag.file, "G.djvu");
        assert_eq!(page.target, "\nT");
    }

    #[test]
    fn broken_tag_extends_to_next_on_same_line() {
        // Python's non-greedy `(.*?)/(\d+)` gives the same file name.
        let text = "==__MATCH__:[[Page:F.djvu/x]]== ==__MATCH__:[[Page:G.djvu/4]]==\nT";
        let page = parse_match_tag(text, &[]).unwrap();
        assert_eq!(page.tag.file, "F.djvu/x]]== ==__MATCH__:[[Page:G.djvu");
        assert_eq!(page.head, "");
    }

    #[test]
    fn huge_page_number_is_an_error() {
        let text = "==__MATCH__:[[Page:F.djvu/99999999999999999999999]]==";
        assert!(matches!(parse_match_tag(text, &[]), Err(MatchError::InvalidTag { .. })));
    }
}
