//! The split markers of a main page: `==[[<Page namespace>:<File>/<n>]]==`
//! followed by a newline, as Match writes them.

use phetools_proofread::{PageNamespace, PageTitle};

const MARKER_OPEN: &str = "==[[";
const MARKER_CLOSE: &str = "]]==\n";

/// A main page cut at its split markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedText {
    /// The text before the first marker, kept on the main page.
    pub header: String,
    pub pages: Vec<MarkedPage>,
}

/// The text that follows one marker, up to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedPage {
    /// The title as written in the marker, such as `Page:Foo.djvu/12`.
    pub title: String,
    /// The file and page number, when the title names a page of a multipage file.
    pub file_page: Option<FilePage>,
    /// The text for the page, without trailing spaces and newlines.
    pub content: String,
}

/// A page of a multipage file, with the file name as written in the marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePage {
    pub file: String,
    pub dbkey: String,
    pub page: u32,
}

/// Cuts `text` at its split markers. Returns `None` when it has none.
///
/// A marker's title must be in the Page namespace (any of `namespace`'s names)
/// and contain no `=`. Anything else that looks like a marker stays in the text.
pub fn parse_markers(text: &str, namespace: &PageNamespace) -> Option<MarkedText> {
    let markers = find_markers(text, namespace);
    let first = markers.first()?;
    let header = text[..first.start].to_owned();
    let pages = markers
        .iter()
        .enumerate()
        .map(|(i, marker)| {
            let end = markers.get(i + 1).map_or(text.len(), |next| next.start);
            MarkedPage {
                title: marker.title.clone(),
                file_page: file_page(&marker.title, namespace),
                content: text[marker.end..end].trim_end_matches([' ', '\n']).to_owned(),
            }
        })
        .collect();
    Some(MarkedText { header, pages })
}

struct Marker {
    start: usize,
    end: usize,
    title: String,
}

fn find_markers(text: &str, namespace: &PageNamespace) -> Vec<Marker> {
    let mut markers = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find(MARKER_OPEN) {
        let start = from + offset;
        let title_start = start + MARKER_OPEN.len();
        from = title_start;
        let Some(length) = text[title_start..].find(MARKER_CLOSE) else {
            break;
        };
        let title = &text[title_start..title_start + length];
        if title.contains(['=', '\n', '[', ']']) || !in_page_namespace(title, namespace) {
            continue;
        }
        let end = title_start + length + MARKER_CLOSE.len();
        markers.push(Marker {
            start,
            end,
            title: title.to_owned(),
        });
        from = end;
    }
    markers
}

fn in_page_namespace(title: &str, namespace: &PageNamespace) -> bool {
    title
        .split_once(':')
        .is_some_and(|(name, rest)| namespace.is_name(name) && !rest.trim().is_empty())
}

/// Reads the file and page number of a marker title. A title whose page part is
/// not a number (`…/12a`) names a page of its own and gets `None`.
fn file_page(title: &str, namespace: &PageNamespace) -> Option<FilePage> {
    let PageTitle { file_dbkey, page } = namespace.parse_title(title).ok()?;
    let (_, rest) = title.split_once(':')?;
    let (file, _) = rest.rsplit_once('/')?;
    Some(FilePage {
        file: file.trim().to_owned(),
        dbkey: file_dbkey,
        page: page?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespace() -> PageNamespace {
        PageNamespace::new(["Seite"])
    }

    #[test]
    fn markers_split_the_text() {
        let text = "head\n==[[Page:A b.djvu/3]]==\none  \n\n==[[Seite:A b.djvu/4]]==\ntwo\n";

        let marked = parse_markers(text, &namespace()).unwrap();

        assert_eq!(marked.header, "head\n");
        assert_eq!(marked.pages.len(), 2);
        assert_eq!(marked.pages[0].title, "Page:A b.djvu/3");
        assert_eq!(marked.pages[0].content, "one");
        assert_eq!(marked.pages[1].content, "two");
        assert_eq!(
            marked.pages[1].file_page,
            Some(FilePage {
                file: "A b.djvu".to_owned(),
                dbkey: "A_b.djvu".to_owned(),
                page: 4
            })
        );
    }

    #[test]
    fn leading_blank_line_is_kept() {
        let marked = parse_markers("==[[Page:A.djvu/1]]==\n\nfirst", &namespace()).unwrap();

        assert_eq!(marked.pages[0].content, "\nfirst");
    }

    #[test]
    fn other_namespaces_and_equal_signs_are_not_markers() {
        assert!(parse_markers("==[[Talk:A.djvu/1]]==\nx", &namespace()).is_none());
        assert!(parse_markers("==[[Page:A=b.djvu/1]]==\nx", &namespace()).is_none());
        assert!(parse_markers("==[[Page:A.djvu/1]]== no newline", &namespace()).is_none());
    }

    #[test]
    fn title_without_page_number_has_no_file_page() {
        let marked = parse_markers("==[[Page:A.djvu/12a]]==\nx\n==[[Page:Plate.jpg]]==\ny", &namespace()).unwrap();

        assert_eq!(marked.pages[0].file_page, None);
        assert_eq!(marked.pages[1].file_page, None);
    }
}
