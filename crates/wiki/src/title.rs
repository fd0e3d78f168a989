//! Normalisation of file names to the dbkey that MediaWiki stores.

use std::sync::OnceLock;

use mwtitle::{NamespaceAlias, NamespaceInfo, TitleCodec};

/// Namespace id of `File:` on every MediaWiki.
pub const NS_FILE: i32 = 6;

/// A file name that cannot be a MediaWiki file title.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid file name {name:?}: {reason}")]
pub struct InvalidFileName {
    pub name: String,
    pub reason: String,
}

/// A codec with only the namespaces a file name can carry: the main
/// namespace, `File:` and its alias `Image:`, and `Media:`. Case rules are
/// first-letter, as for the file namespace of every Wikisource and of Commons.
fn file_title_codec() -> &'static TitleCodec {
    static CODEC: OnceLock<TitleCodec> = OnceLock::new();
    CODEC.get_or_init(|| {
        let namespace = |id: i32, name: &str| NamespaceInfo {
            id,
            case: "first-letter".to_owned(),
            name: name.to_owned(),
            canonical: (!name.is_empty()).then(|| name.to_owned()),
        };
        TitleCodec::new_from_iters(
            [namespace(0, ""), namespace(-2, "Media"), namespace(NS_FILE, "File")],
            [NamespaceAlias {
                id: NS_FILE,
                alias: "Image".to_owned(),
            }],
            [],
            "Main Page".to_owned(),
            "en".to_owned(),
            // $wgLegalTitleChars of MediaWiki 1.39, as siteinfo reports it.
            r#" %!"$&'()*,\-.\/0-9:;=?@A-Z\\^_`a-z~\x80-\xFF+"#.to_owned(),
        )
        .expect("the built-in file title codec is valid")
    })
}

/// Normalises a file name to its dbkey: without namespace, underscores for
/// spaces, first letter in upper case.
///
/// The name may carry the canonical prefix `File:` or `Image:` (any case) or
/// `Media:`. A localised prefix such as `Fichier:` is not recognised and stays
/// part of the name.
///
/// ```
/// use phetools_wiki::file_dbkey;
/// assert_eq!(file_dbkey("File:popular science monthly.djvu").unwrap(), "Popular_science_monthly.djvu");
/// assert_eq!(file_dbkey("Popular_science_monthly.djvu").unwrap(), "Popular_science_monthly.djvu");
/// ```
pub fn file_dbkey(name: &str) -> Result<String, InvalidFileName> {
    let invalid = |reason: String| InvalidFileName {
        name: name.to_owned(),
        reason,
    };
    let title = file_title_codec()
        .new_title_with_namespace(name, NS_FILE)
        .map_err(|err| invalid(err.to_string()))?;
    if title.fragment().is_some() {
        return Err(invalid("a file name cannot contain '#'".to_owned()));
    }
    match title.namespace() {
        NS_FILE | -2 => Ok(title.dbkey().to_owned()),
        _ => Err(invalid(
            "the name has a leading colon, so it is not in the File namespace".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbkey_normalises_prefix_spaces_and_case() {
        for (input, expected) in [
            ("Test.djvu", "Test.djvu"),
            ("test.djvu", "Test.djvu"),
            ("File:Test.djvu", "Test.djvu"),
            ("file:test file.djvu", "Test_file.djvu"),
            ("Image:Test file.djvu", "Test_file.djvu"),
            ("Media:Test.pdf", "Test.pdf"),
            (
                "  Popular  Science_Monthly Volume 1.djvu ",
                "Popular_Science_Monthly_Volume_1.djvu",
            ),
            ("éloge.djvu", "Éloge.djvu"),
            ("Fichier:Test.djvu", "Fichier:Test.djvu"),
        ] {
            assert_eq!(file_dbkey(input).as_deref(), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn dbkey_rejects_invalid_names() {
        for input in ["", "File:", "A<b>.djvu", "Book.djvu#page=3", ":Test.djvu", "A|B.pdf"] {
            let err = file_dbkey(input).expect_err(input);
            assert_eq!(err.name, input);
            assert!(!err.reason.is_empty(), "input {input:?}");
        }
    }
}
