//! Match: insertion of `==[[Page:<file>/<n>]]==` markers into a proofread text by
//! aligning it with the text layer of the scan, with output identical to the
//! original phetools Match, and the text-layer document of extract_text_layer.
//!
//! * [`parse_match_tag`] finds `==__MATCH__:[[Page:<file>/<start>|step=<K>]]==`
//!   in a main page and splits the page into head, tag and target.
//! * [`do_match`] aligns the target with the page texts and returns it with page
//!   markers, or the original error texts.
//! * [`SequenceMatcher`] is the port of Python's `difflib.SequenceMatcher` that the
//!   alignment uses; [`split_words`] and [`split_with_separators`] are Python's
//!   `re.split(r'\W+')` and `re.split(r'(\W+)')` with Unicode word characters.
//! * [`text_layer_document`] builds the extract_text_layer document.
//!
//! Everything here is pure computation: no I/O, no async.

mod alignment;
mod extract;
pub mod messages;
pub mod sequence_matcher;
mod tag;
mod tokenize;
mod vocabulary;
mod word_ranges;

pub use alignment::{do_match, trim_chunk};
pub use extract::text_layer_document;
pub use sequence_matcher::{Match, SequenceMatcher};
pub use tag::{parse_match_tag, MatchTag, TaggedPage, CANONICAL_PAGE_NAMESPACE};
pub use tokenize::{is_word_char, split_with_separators, split_words, word_spans};

/// A failed Match, which leaves the main page unchanged. The `Display` text is the
/// message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// The main page has no Match tag.
    #[error("{}", messages::TAG_NOT_FOUND)]
    TagNotFound,
    /// The tag's start page is past the end of the text layer.
    #[error("{}", messages::page_not_in_text_layer(*start))]
    PageNotInTextLayer { start: usize },
    /// Ten pages from the start produced no text.
    #[error("{}", messages::NO_TEXT_LAYER)]
    NoTextLayer,
    /// The target does not match the text layer from the start page.
    #[error("{}", messages::TEXT_DOES_NOT_MATCH)]
    NoMatch,
    /// The tag's numbers cannot work: step 0, page 0, a page before page 1 or
    /// past the last page. The original tool crashed or wrapped around on these.
    #[error("{message}")]
    InvalidTag { message: String },
}

/// Finds the Match tag in `page_text` and aligns the text after it: returns the
/// new main page text, head + target with page markers.
///
/// `namespace_names` are the names the tag may use for the Page namespace besides
/// the canonical `Page`; `prefix` is the name written in the markers.
pub fn match_page<S: AsRef<str>>(
    page_text: &str,
    namespace_names: &[&str],
    prefix: &str,
    pages: &[S],
) -> Result<String, MatchError> {
    let tagged = parse_match_tag(page_text, namespace_names)?;
    let marked = do_match(pages, &tagged.tag, tagged.target, prefix)?;
    Ok([tagged.head, &marked].concat())
}
