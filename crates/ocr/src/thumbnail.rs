//! Page thumbnail URLs of multi-page files.
//!
//! MediaWiki serves a page of a DjVu or PDF file as a thumbnail
//! `…/<repository>/thumb/<h>/<hh>/<File>/page<N>-<W>px-<File>.jpg`, with
//! `lossy-page<N>` for some PDF thumbnails, where `<repository>` is
//! `wikipedia/commons` or a wiki's own path such as `wikisource/fr`. The file,
//! page and width name what was read, so they make the cache key.

use percent_encoding::percent_decode_str;
use url::Url;

/// A page of a multi-page file, as a thumbnail URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageThumbnail {
    /// Path of the file repository before `/thumb/`, such as `wikipedia/commons`.
    pub repository: String,
    /// File name as a dbkey: no namespace, underscores for spaces.
    pub file_dbkey: String,
    /// Page number, from 1.
    pub page: u32,
    /// Thumbnail width in pixels.
    pub width: u32,
}

impl PageThumbnail {
    /// Reads a page thumbnail URL; `None` for any other image URL.
    pub fn parse(url: &Url) -> Option<PageThumbnail> {
        let segments: Vec<&str> = url.path_segments()?.collect();
        let thumb_at = segments.iter().rposition(|segment| *segment == "thumb")?;
        if segments.len() != thumb_at + 5 {
            return None;
        }
        let file = decode(segments[thumb_at + 3])?;
        let thumbnail_name = decode(segments[thumb_at + 4])?;
        let (page, width, rest) = parse_thumbnail_name(&thumbnail_name)?;
        let file_dbkey = file.replace(' ', "_");
        if !rest.starts_with(&file_dbkey) && !rest.starts_with(&file) {
            return None;
        }
        Some(PageThumbnail {
            repository: segments[..thumb_at].join("/"),
            file_dbkey,
            page,
            width,
        })
    }

    /// Returns the `source` column of the cache: `page:<repository>/<file dbkey>/<page>/<width>px`.
    pub fn source_key(&self) -> String {
        format!(
            "page:{}/{}/{}/{}px",
            self.repository, self.file_dbkey, self.page, self.width
        )
    }
}

fn decode(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// Splits `page<N>-<W>px-<rest>` or `lossy-page<N>-<W>px-<rest>`.
fn parse_thumbnail_name(name: &str) -> Option<(u32, u32, &str)> {
    let name = name.strip_prefix("lossy-").unwrap_or(name);
    let name = name.strip_prefix("page")?;
    let (page, name) = name.split_once('-')?;
    let (width, rest) = name.split_once("px-")?;
    let page: u32 = digits(page)?;
    let width: u32 = digits(width)?;
    (page >= 1 && width >= 1).then_some((page, width, rest))
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Option<PageThumbnail> {
        PageThumbnail::parse(&Url::parse(url).unwrap())
    }

    #[test]
    fn commons_djvu_page() {
        let thumbnail = parse("https://upload.wikimedia.org/wikipedia/commons/thumb/a/ab/Tribulat_Bonhomet.djvu/page89-1024px-Tribulat_Bonhomet.djvu.jpg").unwrap();
        assert_eq!(thumbnail.repository, "wikipedia/commons");
        assert_eq!(thumbnail.file_dbkey, "Tribulat_Bonhomet.djvu");
        assert_eq!(thumbnail.page, 89);
        assert_eq!(thumbnail.width, 1024);
        assert_eq!(
            thumbnail.source_key(),
            "page:wikipedia/commons/Tribulat_Bonhomet.djvu/89/1024px"
        );
    }

    #[test]
    fn local_pdf_lossy_page_with_non_ascii_name() {
        let thumbnail = parse("https://upload.wikimedia.org/wikisource/fr/thumb/1/12/Fran%C3%A7ais.pdf/lossy-page3-800px-Fran%C3%A7ais.pdf.jpg").unwrap();
        assert_eq!(thumbnail.repository, "wikisource/fr");
        assert_eq!(thumbnail.file_dbkey, "Français.pdf");
        assert_eq!(thumbnail.page, 3);
        assert_eq!(thumbnail.width, 800);
    }

    #[test]
    fn other_urls_are_not_pages() {
        for url in [
            "https://upload.wikimedia.org/wikipedia/commons/a/ab/Photo.jpg",
            "https://upload.wikimedia.org/wikipedia/commons/thumb/a/ab/Photo.jpg/800px-Photo.jpg",
            "https://upload.wikimedia.org/wikipedia/commons/thumb/a/ab/A.djvu/page0-800px-A.djvu.jpg",
            "https://upload.wikimedia.org/wikipedia/commons/thumb/a/ab/A.djvu/pagex-800px-A.djvu.jpg",
            "https://upload.wikimedia.org/wikipedia/commons/thumb/a/ab/A.djvu/page2-800px-B.djvu.jpg",
        ] {
            assert_eq!(parse(url), None, "{url}");
        }
    }
}
