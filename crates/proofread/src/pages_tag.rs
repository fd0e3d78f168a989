//! The `<pages>` tag, which transcludes pages of an Index into another page.
//!
//! Both spellings are found: the extension tag `<pages index="F.djvu" from=3 to=7 />` and
//! the parser function `{{#tag:pages||index=F.djvu|from=3|to=7}}`. Attribute values may be
//! double-quoted, single-quoted or bare. [`PagesTag::file_pages`] expands the selection
//! to file page numbers the way ProofreadPage does for an Index of a multipage file.

use std::collections::BTreeSet;
use std::ops::Range;

use thiserror::Error;

use crate::attrs::Attributes;
use crate::digits;
use crate::messages;
use crate::wikitext::split_template_parts;

/// ProofreadPage refuses a selection of more than this many pages (after `step`).
pub const MAX_PAGES: usize = 1000;

/// Spelling of a `<pages>` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagSyntax {
    /// `<pages … />` or `<pages …>…</pages>`.
    ExtensionTag,
    /// `{{#tag:pages|…|name=value…}}`.
    ParserFunction,
}

/// One `<pages>` tag found in a wikitext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesTag {
    attributes: Attributes,
    syntax: TagSyntax,
    span: Range<usize>,
}

/// Failure to expand the page selection of a `<pages>` tag.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PagesTagError {
    #[error("{}", messages::pages_index_missing())]
    IndexMissing,
    #[error("{}", messages::pages_file_empty())]
    FileWithoutPages,
    #[error("{}", messages::pages_number_expected(.attribute, .value))]
    NumberExpected { attribute: &'static str, value: String },
    #[error("{}", messages::pages_invalid_interval(.attribute, .value, *.page_count))]
    InvalidInterval {
        attribute: &'static str,
        value: String,
        page_count: u32,
    },
    #[error("{}", messages::pages_too_many(*.count))]
    TooManyPages { count: usize },
}

impl PagesTag {
    /// Reads the attributes of an extension tag, the text between `<pages` and `/>` or `>`.
    pub fn from_attribute_text(text: &str) -> Self {
        Self {
            attributes: Attributes::parse(text),
            syntax: TagSyntax::ExtensionTag,
            span: 0..0,
        }
    }

    /// Returns the attributes, names lower-cased, in order.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// Returns the spelling of the tag.
    pub fn syntax(&self) -> TagSyntax {
        self.syntax
    }

    /// Returns the byte range of the whole tag in the wikitext it was found in.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Returns the value of attribute `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes.get(name)
    }

    /// Returns the Index page name without namespace (`index=`), usually the file name.
    pub fn index(&self) -> Option<&str> {
        self.get("index")
    }

    pub fn from(&self) -> Option<&str> {
        self.get("from")
    }

    pub fn to(&self) -> Option<&str> {
        self.get("to")
    }

    pub fn include(&self) -> Option<&str> {
        self.get("include")
    }

    pub fn exclude(&self) -> Option<&str> {
        self.get("exclude")
    }

    pub fn step(&self) -> Option<&str> {
        self.get("step")
    }

    pub fn fromsection(&self) -> Option<&str> {
        self.get("fromsection")
    }

    pub fn tosection(&self) -> Option<&str> {
        self.get("tosection")
    }

    pub fn onlysection(&self) -> Option<&str> {
        self.get("onlysection")
    }

    pub fn header(&self) -> Option<&str> {
        self.get("header")
    }

    /// Expands the selection to file page numbers (1-based, ascending) for an Index of a
    /// multipage file of `page_count` pages, with ProofreadPage's rules. The selection is
    /// the `include` pages plus the `from`–`to` range (defaults 1 and `page_count`), less
    /// the `exclude` pages. Of these, every `step`-th page counted from the smallest is
    /// kept. Numbers may use any script's digits.
    /// A tag with none of `from`, `to`, `include` selects no page (it shows the table of
    /// contents) and returns an empty list.
    pub fn file_pages(&self, page_count: u32) -> Result<Vec<u32>, PagesTagError> {
        if self.index().is_none_or(str::is_empty) {
            return Err(PagesTagError::IndexMissing);
        }
        let from = self.from().filter(|value| is_php_truthy(value));
        let to = self.to().filter(|value| is_php_truthy(value));
        let include = self.include().filter(|value| is_php_truthy(value));
        if from.is_none() && to.is_none() && include.is_none() {
            return Ok(Vec::new());
        }
        if page_count == 0 {
            return Err(PagesTagError::FileWithoutPages);
        }
        // A step that reads as 0 means the default step 1, as in ProofreadPage.
        let step = match self.step() {
            Some(value) if !value.is_empty() => parse_number("step", value)?.max(1),
            _ => 1,
        };

        let mut pages = BTreeSet::new();
        if let Some(value) = include {
            pages.extend(parse_page_list("include", value, page_count)?);
        }
        if let Some(range) = Self::selected_range(from, to, page_count)? {
            pages.extend(range);
        }
        if let Some(value) = self.exclude().filter(|value| is_php_truthy(value)) {
            for page in parse_page_list("exclude", value, page_count)? {
                pages.remove(&page);
            }
        }
        if pages.len() > MAX_PAGES.saturating_mul(step as usize) {
            return Err(PagesTagError::TooManyPages { count: pages.len() });
        }

        let Some(&first) = pages.first() else {
            return Ok(Vec::new());
        };
        let phase = first % step;
        Ok(pages.into_iter().filter(|page| page % step == phase).collect())
    }

    /// Reads the `from`–`to` range. Returns `None` when both read as 0 (or are absent),
    /// because ProofreadPage then adds no range.
    fn selected_range(
        from: Option<&str>,
        to: Option<&str>,
        page_count: u32,
    ) -> Result<Option<std::ops::RangeInclusive<u32>>, PagesTagError> {
        let from = from.map(|value| parse_number("from", value)).transpose()?.unwrap_or(0);
        let to = to.map(|value| parse_number("to", value)).transpose()?.unwrap_or(0);
        if from == 0 && to == 0 {
            return Ok(None);
        }
        let first = if from == 0 { 1 } else { from };
        let last = if to == 0 { page_count } else { to };
        if !(1 <= first && first <= last && last <= page_count) {
            let (attribute, value) = if last > page_count {
                ("to", last)
            } else {
                ("from", first)
            };
            return Err(PagesTagError::InvalidInterval {
                attribute,
                value: value.to_string(),
                page_count,
            });
        }
        Ok(Some(first..=last))
    }

    /// Writes the tag Split writes after the pages of one file:
    /// `<pages index="F" from=A to=B />`, or with sections
    /// `<pages index="F" from=A to=B fromsection=s2 tosection=s1 />` (each section part ends
    /// with a space, so the tag always ends ` />`).
    pub fn split_form(index: &str, from: u32, to: u32, fromsection: Option<&str>, tosection: Option<&str>) -> String {
        let fromsection = fromsection
            .map(|name| format!("fromsection={name} "))
            .unwrap_or_default();
        let tosection = tosection.map(|name| format!("tosection={name} ")).unwrap_or_default();
        format!("<pages index=\"{index}\" from={from} to={to} {fromsection}{tosection}/>")
    }
}

/// PHP treats `""` and `"0"` as false: ProofreadPage ignores such `from`, `to`, `include`.
fn is_php_truthy(value: &str) -> bool {
    !value.is_empty() && value != "0"
}

fn parse_number(attribute: &'static str, value: &str) -> Result<u32, PagesTagError> {
    digits::parse_u32(value.trim()).map_err(|_| PagesTagError::NumberExpected {
        attribute,
        value: value.to_owned(),
    })
}

/// Reads a page list such as `1-4,7` (whitespace ignored). Every item is a number or an
/// ascending `a-b` interval. Every page of an `include` list must lie in the file; pages of
/// an `exclude` list past the end of the file are dropped.
// NOTE: ProofreadPage accepts an `include` page past the end when `exclude` removes it
// again; such a list is rejected here.
pub fn parse_page_list(attribute: &'static str, value: &str, page_count: u32) -> Result<Vec<u32>, PagesTagError> {
    let invalid = || PagesTagError::InvalidInterval {
        attribute,
        value: value.to_owned(),
        page_count,
    };
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let mut pages = Vec::new();
    for item in compact.split(',') {
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (first, last),
            None => (item, item),
        };
        let first = digits::parse_u32(first).map_err(|_| invalid())?;
        let last = digits::parse_u32(last).map_err(|_| invalid())?;
        if first == 0 || last < first || (attribute == "include" && last > page_count) {
            return Err(invalid());
        }
        pages.extend(first..=last.min(page_count));
    }
    Ok(pages)
}

/// Finds every `<pages>` tag of a wikitext, in both spellings, in text order. Tags inside
/// HTML comments and `<nowiki>` elements are skipped.
pub fn find_pages_tags(wikitext: &str) -> Vec<PagesTag> {
    let mut tags = Vec::new();
    let mut position = 0;
    while position < wikitext.len() {
        let rest = &wikitext[position..];
        let Some(offset) = rest.find(['<', '{']) else {
            break;
        };
        let start = position + offset;
        let remaining = &wikitext[start..];
        if let Some(comment) = remaining.strip_prefix("<!--") {
            position = match comment.find("-->") {
                Some(end) => start + 4 + end + 3,
                None => wikitext.len(),
            };
            continue;
        }
        if let Some(end) = nowiki_end(remaining) {
            position = start + end;
            continue;
        }
        let found = if remaining.starts_with('<') {
            read_extension_tag(wikitext, start)
        } else {
            read_tag_function(wikitext, start)
        };
        match found {
            Some(tag) => {
                position = tag.span.end;
                tags.push(tag);
            }
            None => position = start + 1,
        }
    }
    tags
}

/// Length of a `<nowiki>…</nowiki>` element (or `<nowiki/>`) at the start of `text`, whose
/// content the parser leaves as text. An unclosed `<nowiki>` is plain text as well, so
/// only its opening tag is skipped.
fn nowiki_end(text: &str) -> Option<usize> {
    if !starts_with_ignore_case(text, "<nowiki") {
        return None;
    }
    let after_name = &text["<nowiki".len()..];
    if !after_name.starts_with(|c: char| c.is_whitespace() || c == '/' || c == '>') {
        return None;
    }
    let open_end = "<nowiki".len() + after_name.find('>')? + 1;
    if text[..open_end].ends_with("/>") {
        return Some(open_end);
    }
    let content = &text[open_end..];
    let close = content
        .match_indices("</")
        .find(|(at, _)| starts_with_ignore_case(&content[at + 2..], "nowiki>"));
    Some(match close {
        Some((at, _)) => open_end + at + "</nowiki>".len(),
        None => open_end,
    })
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Reads `<pages attrs/>` or `<pages attrs>content</pages>` starting at byte `start`.
fn read_extension_tag(wikitext: &str, start: usize) -> Option<PagesTag> {
    let remaining = &wikitext[start..];
    if !starts_with_ignore_case(remaining, "<pages") {
        return None;
    }
    let after_name = &remaining["<pages".len()..];
    let next = after_name.chars().next()?;
    if !(next.is_whitespace() || next == '/' || next == '>') {
        return None;
    }
    let close = after_name.find('>')?;
    let inside = &after_name[..close];
    let tag_end = start + "<pages".len() + close + 1;
    let (attribute_text, end) = match inside.strip_suffix('/') {
        Some(attribute_text) => (attribute_text, tag_end),
        None => (inside, tag_end + find_closing_tag(&wikitext[tag_end..])?),
    };
    Some(PagesTag {
        attributes: Attributes::parse(attribute_text),
        syntax: TagSyntax::ExtensionTag,
        span: start..end,
    })
}

/// Length up to the end of the first `</pages>` (any case, spaces allowed before `>`).
fn find_closing_tag(text: &str) -> Option<usize> {
    for (at, _) in text.match_indices("</") {
        let after_slash = &text[at + 2..];
        if !starts_with_ignore_case(after_slash, "pages") {
            continue;
        }
        let rest = &after_slash["pages".len()..];
        let trimmed = rest.trim_start();
        if trimmed.starts_with('>') {
            return Some(text.len() - trimmed.len() + 1);
        }
    }
    None
}

/// Reads `{{#tag:pages|content|name=value|…}}` starting at byte `start`. Parameters are
/// split on `|` outside nested `{{…}}` and `[[…]]`, and names and values are trimmed.
fn read_tag_function(wikitext: &str, start: usize) -> Option<PagesTag> {
    let remaining = &wikitext[start..];
    let after_braces = remaining.strip_prefix("{{")?;
    let after_spaces = after_braces.trim_start();
    if !starts_with_ignore_case(after_spaces, "#tag:") {
        return None;
    }
    let after_tag = after_spaces["#tag:".len()..].trim_start();
    if !starts_with_ignore_case(after_tag, "pages") {
        return None;
    }
    let after_name = &after_tag["pages".len()..];
    let body_start = start + (remaining.len() - after_name.len());
    let (parts, end) = split_template_parts(wikitext, body_start)?;
    if !parts.first()?.trim().is_empty() {
        return None;
    }

    let mut attributes = Attributes::default();
    // The first part is the text between the tag name and the first `|`, which must be
    // blank. The second is the tag content, which `<pages>` ignores.
    for part in parts.iter().skip(2) {
        if let Some((name, value)) = part.split_once('=') {
            attributes.push(name.trim(), value.trim());
        }
    }
    Some(PagesTag {
        attributes,
        syntax: TagSyntax::ParserFunction,
        span: start..end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> PagesTag {
        let tags = find_pages_tags(text);
        assert_eq!(tags.len(), 1, "{text}");
        tags.into_iter().next().unwrap()
    }

    #[test]
    fn quoting_forms() {
        let found = tag(r#"Text <pages index="A b.djvu" from='3' to=7 fromsection=s2 /> more"#);
        assert_eq!(found.index(), Some("A b.djvu"));
        assert_eq!(found.from(), Some("3"));
        assert_eq!(found.to(), Some("7"));
        assert_eq!(found.fromsection(), Some("s2"));
        assert_eq!(found.syntax(), TagSyntax::ExtensionTag);
        assert_eq!(
            &r#"Text <pages index="A b.djvu" from='3' to=7 fromsection=s2 /> more"#[found.span()],
            r#"<pages index="A b.djvu" from='3' to=7 fromsection=s2 />"#
        );
    }

    #[test]
    fn tag_function_form() {
        let text = "x {{#tag:pages||index=Le Tour.djvu|from=5|to=9|header=1}} y";
        let found = tag(text);
        assert_eq!(found.syntax(), TagSyntax::ParserFunction);
        assert_eq!(found.index(), Some("Le Tour.djvu"));
        assert_eq!(found.header(), Some("1"));
        assert_eq!(
            &text[found.span()],
            "{{#tag:pages||index=Le Tour.djvu|from=5|to=9|header=1}}"
        );
    }

    #[test]
    fn tag_function_nested_template() {
        let found = tag("{{#tag:pages||index={{PAGENAME}}.djvu|from=1|to=2|prev=[[A|B]]}}");
        assert_eq!(found.index(), Some("{{PAGENAME}}.djvu"));
        assert_eq!(found.get("prev"), Some("[[A|B]]"));
    }

    #[test]
    fn open_close_form_and_case() {
        let found = tag("<PAGES index=X from=1 to=2></Pages >");
        assert_eq!(found.index(), Some("X"));
    }

    #[test]
    fn skips_comments_and_other_tags() {
        assert!(find_pages_tags("<!-- <pages index=X from=1 /> --> <pagesx index=Y/> <pagelist />").is_empty());
        assert!(find_pages_tags("<pages index=X from=1 to=2>never closed").is_empty());
    }

    #[test]
    fn skips_nowiki() {
        assert!(find_pages_tags("<nowiki><pages index=X from=1 /></nowiki>").is_empty());
        assert!(find_pages_tags("<NOWIKI >{{#tag:pages||index=X|from=1}}</NoWiki>").is_empty());
        assert_eq!(find_pages_tags("<nowiki/><pages index=X from=1 />").len(), 1);
        assert_eq!(find_pages_tags("<nowiki>unclosed <pages index=X from=1 />").len(), 1);
    }

    #[test]
    fn finds_several() {
        let tags = find_pages_tags("<pages index=A from=1 to=2 />\n<pages index=B from=3 to=4 />");
        assert_eq!(tags.iter().map(|t| t.index().unwrap()).collect::<Vec<_>>(), ["A", "B"]);
    }

    #[test]
    fn expand_from_to() {
        assert_eq!(
            tag("<pages index=A from=3 to=6 />").file_pages(10),
            Ok(vec![3, 4, 5, 6])
        );
        assert_eq!(tag("<pages index=A from=8 />").file_pages(10), Ok(vec![8, 9, 10]));
        assert_eq!(tag("<pages index=A to=২ />").file_pages(10), Ok(vec![1, 2]));
    }

    #[test]
    fn expand_include_exclude_step() {
        assert_eq!(
            tag("<pages index=A include=\"1-4, 7\" exclude=2 />").file_pages(10),
            Ok(vec![1, 3, 4, 7])
        );
        assert_eq!(
            tag("<pages index=A from=3 to=10 step=2 />").file_pages(10),
            Ok(vec![3, 5, 7, 9])
        );
        assert_eq!(
            tag("<pages index=A from=1 to=3 include=9 />").file_pages(10),
            Ok(vec![1, 2, 3, 9])
        );
    }

    #[test]
    fn expand_table_of_contents() {
        assert_eq!(tag("<pages index=A header=1 />").file_pages(10), Ok(vec![]));
        assert_eq!(tag("<pages index=A from=0 />").file_pages(10), Ok(vec![]));
        assert_eq!(tag("<pages index=A from=00 />").file_pages(10), Ok(vec![]));
        assert_eq!(tag("<pages index=A from=00 to=2 />").file_pages(10), Ok(vec![1, 2]));
        assert_eq!(
            tag("<pages index=A from=1 to=3 step=0 />").file_pages(10),
            Ok(vec![1, 2, 3])
        );
        assert_eq!(
            tag("<pages index=A from=1 to=3 step=00 />").file_pages(10),
            Ok(vec![1, 2, 3])
        );
    }

    #[test]
    fn expand_errors() {
        assert_eq!(tag("<pages from=1 />").file_pages(10), Err(PagesTagError::IndexMissing));
        assert!(matches!(
            tag("<pages index=A from=x />").file_pages(10),
            Err(PagesTagError::NumberExpected { .. })
        ));
        assert!(matches!(
            tag("<pages index=A from=5 to=3 />").file_pages(10),
            Err(PagesTagError::InvalidInterval { .. })
        ));
        assert!(matches!(
            tag("<pages index=A to=11 />").file_pages(10),
            Err(PagesTagError::InvalidInterval { .. })
        ));
        assert!(matches!(
            tag("<pages index=A include=4-2 />").file_pages(10),
            Err(PagesTagError::InvalidInterval { .. })
        ));
        assert!(matches!(
            tag("<pages index=A include=1, />").file_pages(10),
            Err(PagesTagError::InvalidInterval { .. })
        ));
        assert!(matches!(
            tag("<pages index=A from=1 step=x />").file_pages(10),
            Err(PagesTagError::NumberExpected { .. })
        ));
        assert!(matches!(
            tag("<pages index=A from=1 />").file_pages(2000),
            Err(PagesTagError::TooManyPages { .. })
        ));
        assert_eq!(
            tag("<pages index=A from=1 step=2 />").file_pages(2000).map(|p| p.len()),
            Ok(1000)
        );
        assert_eq!(
            tag("<pages index=A from=1 />").file_pages(0),
            Err(PagesTagError::FileWithoutPages)
        );
    }

    #[test]
    fn split_forms() {
        assert_eq!(
            PagesTag::split_form("F.djvu", 3, 9, None, None),
            "<pages index=\"F.djvu\" from=3 to=9 />"
        );
        assert_eq!(
            PagesTag::split_form("F.djvu", 3, 9, Some("s2"), Some("s1")),
            "<pages index=\"F.djvu\" from=3 to=9 fromsection=s2 tosection=s1 />"
        );
        assert_eq!(
            PagesTag::split_form("F", 1, 1, None, Some("s1")),
            "<pages index=\"F\" from=1 to=1 tosection=s1 />"
        );
        let parsed = tag(&PagesTag::split_form("F G.djvu", 3, 9, Some("s2"), None));
        assert_eq!(parsed.index(), Some("F G.djvu"));
        assert_eq!(parsed.fromsection(), Some("s2"));
    }
}
