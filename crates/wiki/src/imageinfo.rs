//! The current version of a file, from `prop=imageinfo`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::client::WikiError;
use crate::title::InvalidFileName;

/// Repository of a file as a wiki shows it: its own uploads, or a shared
/// repository (Commons, for every Wikisource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repository {
    Local,
    Shared,
}

impl Repository {
    /// Returns the value of `imagerepository` in the API and of `wiki_file.repository`.
    pub fn as_str(self) -> &'static str {
        match self {
            Repository::Local => "local",
            Repository::Shared => "shared",
        }
    }
}

/// The current version of a file as one wiki shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Domain of the wiki that was asked.
    pub domain: String,
    /// File name without namespace, with underscores (`Test_file.djvu`).
    pub dbkey: String,
    /// URL of the original file.
    pub url: Url,
    /// SHA-1 of the file, 40 lower-case hex digits.
    pub sha1: String,
    pub mime: String,
    pub size_bytes: u64,
    /// Page count of a multi-page file (DjVu, PDF), when the wiki could read it.
    pub page_count: Option<u32>,
    pub repository: Repository,
}

#[derive(Deserialize)]
struct Response {
    query: Query,
}

#[derive(Deserialize)]
struct Query {
    pages: Vec<PageEntry>,
}

#[derive(Deserialize)]
struct PageEntry {
    title: String,
    #[serde(default)]
    invalid: bool,
    invalidreason: Option<String>,
    imagerepository: Option<String>,
    #[serde(default)]
    imageinfo: Vec<ImageInfoEntry>,
}

#[derive(Deserialize)]
struct ImageInfoEntry {
    url: Option<String>,
    sha1: Option<String>,
    mime: Option<String>,
    size: Option<u64>,
    pagecount: Option<u32>,
    #[serde(default)]
    filehidden: bool,
}

/// Parses the response to `action=query&prop=imageinfo&titles=File:<dbkey>`
/// (formatversion 2).
pub(crate) fn parse_imageinfo(domain: &str, dbkey: &str, response: &Value) -> Result<FileInfo, WikiError> {
    let unexpected = |detail: String| WikiError::UnexpectedResponse {
        domain: domain.to_owned(),
        detail,
    };
    let response =
        Response::deserialize(response).map_err(|err| unexpected(format!("imageinfo of File:{dbkey}: {err}")))?;
    let page = match response.query.pages.as_slice() {
        [page] => page,
        pages => {
            return Err(unexpected(format!(
                "imageinfo of File:{dbkey} returned {} pages, expected 1",
                pages.len()
            )))
        }
    };
    if page.invalid {
        return Err(WikiError::InvalidFileName(InvalidFileName {
            name: dbkey.to_owned(),
            reason: page
                .invalidreason
                .clone()
                .unwrap_or_else(|| "rejected by the wiki".to_owned()),
        }));
    }
    // The title as the wiki normalised it, with its localised namespace name.
    let dbkey = page
        .title
        .split_once(':')
        .map_or(page.title.as_str(), |(_, name)| name)
        .replace(' ', "_");
    let not_found = || WikiError::NotFound {
        domain: domain.to_owned(),
        file: dbkey.clone(),
    };
    let repository = match page.imagerepository.as_deref() {
        Some("local") => Repository::Local,
        Some("shared") => Repository::Shared,
        // "" for a missing file. Other values are foreign repositories that
        // Wikimedia wikis do not use.
        _ => return Err(not_found()),
    };
    let entry = page.imageinfo.first().ok_or_else(not_found)?;
    if entry.filehidden {
        return Err(WikiError::FileHidden {
            domain: domain.to_owned(),
            file: dbkey,
        });
    }

    let missing = |field: &str| unexpected(format!("imageinfo of File:{dbkey} has no {field}"));
    let url_text = entry.url.as_deref().ok_or_else(|| missing("url"))?;
    let url =
        Url::parse(url_text).map_err(|err| unexpected(format!("imageinfo url {url_text:?} of File:{dbkey}: {err}")))?;
    let sha1 = entry.sha1.clone().ok_or_else(|| missing("sha1"))?;
    if sha1.len() != 40 || !sha1.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(unexpected(format!(
            "imageinfo sha1 {sha1:?} of File:{dbkey} is not 40 lower-case hex digits"
        )));
    }
    Ok(FileInfo {
        domain: domain.to_owned(),
        url,
        sha1,
        mime: entry.mime.clone().ok_or_else(|| missing("mime"))?,
        size_bytes: entry.size.ok_or_else(|| missing("size"))?,
        page_count: entry.pagecount,
        repository,
        dbkey,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn imageinfo_of_shared_file() {
        let response = json!({"batchcomplete": true, "query": {"pages": [{
            "ns": 6, "title": "File:Popular Science Monthly Volume 1.djvu",
            "missing": true, "known": true, "imagerepository": "shared",
            "imageinfo": [{
                "size": 123456789, "width": 2500, "height": 3700, "pagecount": 804,
                "sha1": "0123456789abcdef0123456789abcdef01234567", "mime": "image/vnd.djvu",
                "url": "https://upload.wikimedia.org/wikipedia/commons/a/ac/Popular_Science_Monthly_Volume_1.djvu"
            }]
        }]}});
        let info = parse_imageinfo("en.wikisource.org", "Popular_Science_Monthly_Volume_1.djvu", &response).unwrap();
        assert_eq!(info.repository, Repository::Shared);
        assert_eq!(info.dbkey, "Popular_Science_Monthly_Volume_1.djvu");
        assert_eq!(info.page_count, Some(804));
        assert_eq!(info.size_bytes, 123456789);
        assert_eq!(info.url.host_str(), Some("upload.wikimedia.org"));
    }

    #[test]
    fn imageinfo_of_missing_file() {
        let response = json!({"batchcomplete": true, "query": {"pages": [
            {"ns": 6, "title": "File:Missing.djvu", "missing": true, "imagerepository": ""}
        ]}});
        let err = parse_imageinfo("en.wikisource.org", "Missing.djvu", &response).unwrap_err();
        assert!(
            matches!(&err, WikiError::NotFound { file, .. } if file == "Missing.djvu"),
            "{err}"
        );
        assert!(!err.is_retryable());
    }

    #[test]
    fn imageinfo_of_hidden_file() {
        let response = json!({"query": {"pages": [
            {"ns": 6, "title": "File:Gone.pdf", "imagerepository": "local", "imageinfo": [{"filehidden": true}]}
        ]}});
        let err = parse_imageinfo("commons.wikimedia.org", "Gone.pdf", &response).unwrap_err();
        assert!(matches!(err, WikiError::FileHidden { .. }), "{err}");
    }

    #[test]
    fn imageinfo_with_bad_sha1() {
        let response = json!({"query": {"pages": [{
            "ns": 6, "title": "File:A.pdf", "imagerepository": "local",
            "imageinfo": [{"size": 1, "sha1": "xyz", "mime": "application/pdf", "url": "https://upload.wikimedia.org/a.pdf"}]
        }]}});
        let err = parse_imageinfo("commons.wikimedia.org", "A.pdf", &response).unwrap_err();
        assert!(
            matches!(&err, WikiError::UnexpectedResponse { detail, .. } if detail.contains("\"xyz\"")),
            "{err}"
        );
    }
}
