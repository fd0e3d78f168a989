//! Titles of pages in the Page namespace: `<Page namespace>:<File name>/<n>`.
//!
//! The namespace may be written with its canonical name `Page`, the wiki's localized
//! name or an alias, in any letter case, with spaces or underscores. The file name is
//! normalized to a dbkey (first letter upper-cased, runs of spaces and underscores
//! collapsed to one `_`). The page number after the last `/` may use the digits of any
//! script. A title with no `/` names a page of an Index made of one image per page.

use thiserror::Error;

use crate::digits;
use crate::messages;

/// The names of a wiki's Page namespace: canonical, localized and aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageNamespace {
    /// Normalized names (spaces, lower case).
    names: Vec<String>,
}

/// A Page-namespace title split into the file and the page of that file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageTitle {
    /// The file name as a dbkey (`Popular_Science_Monthly_Volume_1.djvu`).
    pub file_dbkey: String,
    /// The 1-based page of a multipage file, `None` for an image-per-page title.
    pub page: Option<u32>,
}

/// Failure to read a Page-namespace title.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TitleError {
    #[error("{}", messages::title_not_page_namespace(.title))]
    NotPageNamespace { title: String },
    #[error("{}", messages::title_file_missing(.title))]
    FileMissing { title: String },
    #[error("{}", messages::title_invalid_page_number(.title, .number))]
    InvalidPageNumber { title: String, number: String },
}

impl PageNamespace {
    /// Builds the namespace from the wiki's localized name and aliases; the canonical name
    /// `Page` is always accepted.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut normalized = vec![normalize_namespace("Page")];
        for name in names {
            let name = normalize_namespace(name.as_ref());
            if !name.is_empty() && !normalized.contains(&name) {
                normalized.push(name);
            }
        }
        Self { names: normalized }
    }

    /// Returns true if `name` is one of this namespace's names.
    pub fn is_name(&self, name: &str) -> bool {
        self.names.contains(&normalize_namespace(name))
    }

    /// Splits a title such as `Page:Popular Science Monthly Volume 1.djvu/12`.
    pub fn parse_title(&self, title: &str) -> Result<PageTitle, TitleError> {
        let without_leading_colon = title.trim().strip_prefix(':').unwrap_or(title.trim());
        let Some((namespace, rest)) = without_leading_colon.split_once(':') else {
            return Err(TitleError::NotPageNamespace {
                title: title.to_owned(),
            });
        };
        if !self.is_name(namespace) {
            return Err(TitleError::NotPageNamespace {
                title: title.to_owned(),
            });
        }

        let (file, page) = match rest.rsplit_once('/') {
            Some((file, number)) => (file, Some(parse_page_number(title, number)?)),
            None => (rest, None),
        };
        let file_dbkey = to_dbkey(file);
        if file_dbkey.is_empty() {
            return Err(TitleError::FileMissing {
                title: title.to_owned(),
            });
        }
        Ok(PageTitle { file_dbkey, page })
    }
}

fn parse_page_number(title: &str, number: &str) -> Result<u32, TitleError> {
    let invalid = || TitleError::InvalidPageNumber {
        title: title.to_owned(),
        number: number.to_owned(),
    };
    match digits::parse_u32(number.trim_matches(|c| c == ' ' || c == '_')) {
        Ok(0) | Err(_) => Err(invalid()),
        Ok(page) => Ok(page),
    }
}

fn normalize_namespace(name: &str) -> String {
    collapse_separators(name, " ").to_lowercase()
}

/// Trims spaces and underscores and joins the words with `separator`.
fn collapse_separators(text: &str, separator: &str) -> String {
    text.split(|c: char| c == '_' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// Normalizes a file name to its dbkey: separators collapsed to `_`, first letter upper-cased.
pub fn to_dbkey(file: &str) -> String {
    let collapsed = collapse_separators(file, "_");
    let mut chars = collapsed.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_name() {
        let namespace = PageNamespace::new(["Seite"]);
        assert_eq!(
            namespace.parse_title("Page:Popular Science Monthly Volume 1.djvu/12"),
            Ok(PageTitle {
                file_dbkey: "Popular_Science_Monthly_Volume_1.djvu".into(),
                page: Some(12)
            })
        );
        assert_eq!(
            namespace.parse_title("seite:schiller_Musenalmanach_1799_001.jpg"),
            Ok(PageTitle {
                file_dbkey: "Schiller_Musenalmanach_1799_001.jpg".into(),
                page: None
            })
        );
    }

    #[test]
    fn localized_digits_and_names() {
        let namespace = PageNamespace::new(["পাতা", "Pātā"]);
        assert_eq!(
            namespace.parse_title("পাতা:বই.pdf/১২"),
            Ok(PageTitle {
                file_dbkey: "বই.pdf".into(),
                page: Some(12)
            })
        );
        assert_eq!(
            namespace.parse_title("pĀtĀ: x  y.djvu /3").map(|t| t.file_dbkey),
            Ok("X_y.djvu".into())
        );
    }

    #[test]
    fn rejects() {
        let namespace = PageNamespace::new(Vec::<String>::new());
        assert!(matches!(
            namespace.parse_title("Index:A.djvu"),
            Err(TitleError::NotPageNamespace { .. })
        ));
        assert!(matches!(
            namespace.parse_title("A.djvu/1"),
            Err(TitleError::NotPageNamespace { .. })
        ));
        assert!(matches!(
            namespace.parse_title("Page:/1"),
            Err(TitleError::FileMissing { .. })
        ));
        assert!(matches!(
            namespace.parse_title("Page:A.djvu/0"),
            Err(TitleError::InvalidPageNumber { .. })
        ));
        assert!(matches!(
            namespace.parse_title("Page:A.djvu/1a"),
            Err(TitleError::InvalidPageNumber { .. })
        ));
    }
}
