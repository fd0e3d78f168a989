//! The `<pages>` tags of a split main page, and the section attributes added to
//! the tags of the pages that already transclude a boundary page.

use phetools_proofread::digits::parse_u32;
use phetools_proofread::title::to_dbkey;
use phetools_proofread::{find_pages_tags, PagesTag, TagSyntax};

use super::markers::MarkedPage;
use crate::messages;

/// Section holding the old text of the last page and the new text of the first page.
pub const FIRST_SECTION: &str = "s1";
/// Section holding the new text of the last page and the old text of the first page.
pub const SECOND_SECTION: &str = "s2";

/// One line of the new main page.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Transclusion {
    /// Consecutive pages of one file: `<pages index="F" from=A to=B />`.
    Range { file: String, from: u32, to: u32 },
    /// A title without a page number of a multipage file: `{{<title>}}`.
    Title(String),
}

/// Groups the marked pages into ranges of consecutive pages of the same file.
fn transclusions(pages: &[MarkedPage]) -> Vec<Transclusion> {
    let mut lines: Vec<Transclusion> = Vec::new();
    for page in pages {
        let Some(file_page) = &page.file_page else {
            lines.push(Transclusion::Title(page.title.clone()));
            continue;
        };
        if let Some(Transclusion::Range { file, to, .. }) = lines.last_mut() {
            if to_dbkey(file) == file_page.dbkey && *to + 1 == file_page.page {
                *to = file_page.page;
                continue;
            }
        }
        lines.push(Transclusion::Range {
            file: file_page.file.clone(),
            from: file_page.page,
            to: file_page.page,
        });
    }
    lines
}

/// Writes the transclusion list that replaces the markers: a newline, then one
/// line per range or title. `fromsection` goes on the first line when the first
/// page was sectioned, and `tosection` on the last line when the last page was.
pub fn transclusion_list(pages: &[MarkedPage], fromsection: bool, tosection: bool) -> String {
    let lines = transclusions(pages);
    let last = lines.len().saturating_sub(1);
    let mut list = String::from("\n");
    for (i, line) in lines.iter().enumerate() {
        match line {
            Transclusion::Range { file, from, to } => {
                let fromsection = (fromsection && i == 0).then_some(SECOND_SECTION);
                let tosection = (tosection && i == last).then_some(FIRST_SECTION);
                list.push_str(&PagesTag::split_form(file, *from, *to, fromsection, tosection));
            }
            Transclusion::Title(title) => list.push_str(&format!("{{{{{title}}}}}")),
        }
        list.push('\n');
    }
    list
}

/// Adds `attribute=value` to every `<pages>` tag of `wikitext` whose index is the
/// file `file_dbkey` and whose `from`–`to` range covers `page`.
///
/// Returns the new text, or why no tag could be adjusted: none covers the page,
/// or a covering tag already names another section.
pub fn add_section(
    wikitext: &str,
    file_dbkey: &str,
    page: u32,
    attribute: &str,
    value: &str,
) -> Result<String, String> {
    let covering: Vec<PagesTag> = find_pages_tags(wikitext)
        .into_iter()
        .filter(|tag| covers(tag, file_dbkey, page))
        .collect();
    if covering.is_empty() {
        return Err(messages::no_covering_pages_tag(file_dbkey, page));
    }
    let mut text = wikitext.to_owned();
    for tag in covering.iter().rev() {
        match tag.get(attribute) {
            Some(existing) if existing == value => continue,
            Some(existing) => return Err(messages::section_already_set(attribute, existing, value)),
            None => {}
        }
        let position = insertion_point(&text, tag);
        let insert = match tag.syntax() {
            TagSyntax::ExtensionTag if text[..position].ends_with(' ') => format!("{attribute}={value} "),
            TagSyntax::ExtensionTag => format!(" {attribute}={value}"),
            TagSyntax::ParserFunction => format!("|{attribute}={value}"),
        };
        text.insert_str(position, &insert);
    }
    Ok(text)
}

fn covers(tag: &PagesTag, file_dbkey: &str, page: u32) -> bool {
    if tag.index().is_none_or(|index| to_dbkey(index) != file_dbkey) {
        return false;
    }
    let bound = |value: Option<&str>| value.and_then(|v| parse_u32(v.trim()).ok());
    let (Some(from), to) = (bound(tag.from()).or(tag.to().map(|_| 1)), bound(tag.to())) else {
        return false;
    };
    from <= page && to.is_none_or(|to| page <= to)
}

/// Byte offset where a new attribute goes: before `/>` or `>` of an extension tag,
/// before the final `}}` of `{{#tag:pages|…}}`.
fn insertion_point(text: &str, tag: &PagesTag) -> usize {
    let span = tag.span();
    let inner = &text[span.clone()];
    match tag.syntax() {
        TagSyntax::ExtensionTag => {
            let close = inner.find('>').expect("a found tag has its '>'");
            let before = if inner[..close].ends_with('/') {
                close - 1
            } else {
                close
            };
            span.start + before
        }
        TagSyntax::ParserFunction => span.end - 2,
    }
}

#[cfg(test)]
mod tests {
    use super::super::markers::FilePage;
    use super::*;

    fn page(title: &str, file: Option<(&str, u32)>) -> MarkedPage {
        MarkedPage {
            title: title.to_owned(),
            file_page: file.map(|(file, page)| FilePage {
                file: file.to_owned(),
                dbkey: to_dbkey(file),
                page,
            }),
            content: String::new(),
        }
    }

    #[test]
    fn consecutive_pages_form_one_range() {
        let pages = [
            page("Page:A b.djvu/3", Some(("A b.djvu", 3))),
            page("Page:A b.djvu/4", Some(("A b.djvu", 4))),
            page("Page:A b.djvu/6", Some(("A b.djvu", 6))),
            page("Page:Plate.jpg", None),
            page("Page:C.djvu/1", Some(("C.djvu", 1))),
        ];

        assert_eq!(
            transclusion_list(&pages, false, false),
            "\n<pages index=\"A b.djvu\" from=3 to=4 />\n<pages index=\"A b.djvu\" from=6 to=6 />\n\
             {{Page:Plate.jpg}}\n<pages index=\"C.djvu\" from=1 to=1 />\n"
        );
    }

    #[test]
    fn sections_go_on_the_first_and_last_ranges() {
        let pages = [
            page("Page:A.djvu/3", Some(("A.djvu", 3))),
            page("Page:B.djvu/1", Some(("B.djvu", 1))),
        ];

        assert_eq!(
            transclusion_list(&pages, true, true),
            "\n<pages index=\"A.djvu\" from=3 to=3 fromsection=s2 />\n<pages index=\"B.djvu\" from=1 to=1 tosection=s1 />\n"
        );
    }

    #[test]
    fn section_is_added_to_the_covering_tag_only() {
        let text = "<pages index=\"A.djvu\" from=1 to=2 />\n<pages index=\"A.djvu\" from=3 to=5/>\n\
                    {{#tag:pages||index=A.djvu|from=5|to=9}}";

        let adjusted = add_section(text, "A.djvu", 5, "tosection", "s1").unwrap();

        assert_eq!(
            adjusted,
            "<pages index=\"A.djvu\" from=1 to=2 />\n<pages index=\"A.djvu\" from=3 to=5 tosection=s1/>\n\
             {{#tag:pages||index=A.djvu|from=5|to=9|tosection=s1}}"
        );
    }

    #[test]
    fn section_needs_a_covering_tag() {
        let error = add_section("<pages index=\"B.djvu\" from=1 to=9 />", "A.djvu", 5, "tosection", "s1").unwrap_err();

        assert!(error.contains("A.djvu"), "{error}");
    }

    #[test]
    fn other_section_is_not_replaced() {
        let text = "<pages index=\"A.djvu\" from=1 to=5 tosection=x />";

        assert!(add_section(text, "A.djvu", 5, "tosection", "s1").is_err());
        assert_eq!(
            add_section(
                "<pages index=\"A.djvu\" from=1 to=5 tosection=s1 />",
                "A.djvu",
                5,
                "tosection",
                "s1"
            )
            .unwrap(),
            "<pages index=\"A.djvu\" from=1 to=5 tosection=s1 />"
        );
    }
}
