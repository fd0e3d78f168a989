//! Reads of pages: the latest revision with its text, author and quality
//! level, the pages that transclude a page, and prefix listings.

use mwtitle::Title;
use serde_json::Value;
use tracing::{debug, instrument};

use crate::bot::Bot;
use crate::client::WikiError;
use crate::edit::EditBase;
use crate::site::SiteData;

/// The latest revision of a page as read, or its absence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRevision {
    pub title: Title,
    /// `None` when the page does not exist.
    pub revision: Option<Revision>,
    /// ProofreadPage quality level (0 to 4) of a page in the Page namespace.
    /// See [`QualityLevel`] for where it comes from.
    pub quality: Option<QualityLevel>,
    /// Server time of the read (`curtimestamp`), the `starttimestamp` of an
    /// edit based on this read.
    pub read_timestamp: String,
}

/// One revision of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub page_id: u64,
    pub revid: u64,
    /// ISO 8601 time of the revision, e.g. `2026-12-04T20:15:12Z`.
    pub timestamp: String,
    /// Author of the revision; empty when the name is hidden (revision deletion).
    pub user: String,
    /// Wikitext of the main slot; empty when the content is hidden.
    pub text: String,
}

/// Quality level of a page in the Page namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QualityLevel {
    /// 0 without text, 1 not proofread, 2 problematic, 3 proofread, 4 validated.
    pub level: u8,
    /// `true` when `prop=proofread` of ProofreadPage reported it, `false` when
    /// it was read from the `<pagequality level="N" …/>` tag of the wikitext,
    /// on wikis whose API lacks ProofreadPage.
    pub from_api: bool,
}

impl PageRevision {
    pub fn exists(&self) -> bool {
        self.revision.is_some()
    }

    /// Returns `true` when `user` made the latest revision.
    pub fn last_edited_by(&self, user: &str) -> bool {
        let normalise = |name: &str| name.trim().replace('_', " ");
        self.revision
            .as_ref()
            .is_some_and(|revision| normalise(&revision.user) == normalise(user))
    }

    /// Returns the base of an edit that replaces this revision: saving on it
    /// fails with a conflict when someone else edited the page in the meantime.
    pub fn edit_base(&self) -> EditBase {
        EditBase {
            base_revid: self.revision.as_ref().map(|revision| revision.revid),
            base_timestamp: self.revision.as_ref().map(|revision| revision.timestamp.clone()),
            start_timestamp: self.read_timestamp.clone(),
        }
    }
}

impl Bot {
    /// Reads the latest revision of `title` with its wikitext, author and quality level.
    #[instrument(skip(self, title), fields(wiki = %self.domain, title = %title.dbkey(), ns = title.namespace()))]
    pub async fn read_page(&self, title: &Title) -> Result<PageRevision, WikiError> {
        let site = self.site().await?;
        let title_text = site.title_text(title);
        let with_quality = site.has_proofread_api() && title.namespace() == site.proofread.page;
        let prop = if with_quality {
            "revisions|proofread"
        } else {
            "revisions"
        };
        let response = self
            .session
            .read(&[
                ("action", "query"),
                ("prop", prop),
                ("titles", &title_text),
                ("rvprop", "ids|timestamp|user|content"),
                ("rvslots", "main"),
                ("curtimestamp", "1"),
            ])
            .await?;
        let page = first_page(&self.domain, &response)?;
        let read_timestamp = response["curtimestamp"].as_str().unwrap_or_default().to_owned();
        let revision = parse_revision(page);
        let quality = quality_level(&site, title, page, revision.as_ref());
        debug!(exists = revision.is_some(), "page read");
        Ok(PageRevision {
            title: title.clone(),
            revision,
            quality,
            read_timestamp,
        })
    }

    /// Lists the pages that transclude `title` (`list=embeddedin`), e.g. the
    /// chapters that show a page of the Page namespace.
    #[instrument(skip(self, title), fields(wiki = %self.domain, title = %title.dbkey()))]
    pub async fn transcluded_in(&self, title: &Title) -> Result<Vec<Title>, WikiError> {
        let site = self.site().await?;
        let title_text = site.title_text(title);
        let params = [
            ("action", "query"),
            ("list", "embeddedin"),
            ("eititle", title_text.as_str()),
            ("eilimit", "max"),
        ];
        let entries = self.list_all(&params, "embeddedin").await?;
        self.titles_of(&site, &entries)
    }

    /// Lists the pages of `namespace` whose title starts with `prefix`
    /// (`list=allpages`), e.g. every page `Page:Foo.djvu/…` of a book.
    #[instrument(skip(self), fields(wiki = %self.domain))]
    pub async fn pages_with_prefix(&self, namespace: i32, prefix: &str) -> Result<Vec<Title>, WikiError> {
        let site = self.site().await?;
        let namespace_text = namespace.to_string();
        let params = [
            ("action", "query"),
            ("list", "allpages"),
            ("apnamespace", namespace_text.as_str()),
            ("apprefix", prefix),
            ("aplimit", "max"),
        ];
        let entries = self.list_all(&params, "allpages").await?;
        self.titles_of(&site, &entries)
    }

    /// Runs a `list=` query and follows `continue` until the list is complete.
    async fn list_all(&self, params: &[(&str, &str)], list: &str) -> Result<Vec<Value>, WikiError> {
        let mut entries = Vec::new();
        let mut continuation: Vec<(String, String)> = Vec::new();
        loop {
            let mut request: Vec<(&str, &str)> = params.to_vec();
            request.extend(continuation.iter().map(|(key, value)| (key.as_str(), value.as_str())));
            let response = self.session.read(&request).await?;
            if let Some(batch) = response["query"][list].as_array() {
                entries.extend(batch.iter().cloned());
            }
            let Some(next) = response.get("continue").and_then(Value::as_object) else {
                return Ok(entries);
            };
            continuation = next
                .iter()
                .map(|(key, value)| {
                    let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    (key.clone(), value)
                })
                .collect();
        }
    }

    fn titles_of(&self, site: &SiteData, entries: &[Value]) -> Result<Vec<Title>, WikiError> {
        entries
            .iter()
            .filter_map(|entry| entry["title"].as_str())
            .map(|title| site.parse_title(&self.domain, title))
            .collect()
    }
}

fn first_page<'a>(domain: &str, response: &'a Value) -> Result<&'a Value, WikiError> {
    let page = &response["query"]["pages"][0];
    if page.is_null() {
        return Err(WikiError::UnexpectedResponse {
            domain: domain.to_owned(),
            detail: "prop=revisions returned no page".to_owned(),
        });
    }
    if page.get("invalid").is_some() {
        return Err(WikiError::InvalidTitle {
            domain: domain.to_owned(),
            title: page["title"].as_str().unwrap_or_default().to_owned(),
            reason: page["invalidreason"].as_str().unwrap_or_default().to_owned(),
        });
    }
    Ok(page)
}

fn parse_revision(page: &Value) -> Option<Revision> {
    if page.get("missing").is_some() {
        return None;
    }
    let revision = &page["revisions"][0];
    Some(Revision {
        page_id: page["pageid"].as_u64()?,
        revid: revision["revid"].as_u64()?,
        timestamp: revision["timestamp"].as_str().unwrap_or_default().to_owned(),
        user: revision["user"].as_str().unwrap_or_default().to_owned(),
        text: revision["slots"]["main"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    })
}

fn quality_level(site: &SiteData, title: &Title, page: &Value, revision: Option<&Revision>) -> Option<QualityLevel> {
    if title.namespace() != site.proofread.page {
        return None;
    }
    if let Some(level) = page["proofread"]["quality"].as_u64() {
        return Some(QualityLevel {
            level: u8::try_from(level).ok()?,
            from_api: true,
        });
    }
    let level = pagequality_tag_level(&revision?.text)?;
    Some(QualityLevel { level, from_api: false })
}

/// Reads N from the `<pagequality level="N" user="…" />` tag that
/// ProofreadPage writes at the start of a page's header.
pub(crate) fn pagequality_tag_level(wikitext: &str) -> Option<u8> {
    let tag_start = wikitext.find("<pagequality")?;
    let tag = &wikitext[tag_start..];
    let tag = &tag[..tag.find('>')?];
    let after = &tag[tag.find("level=")? + "level=".len()..];
    let digit = after.trim_start_matches(['"', '\'']).chars().next()?;
    let level = u8::try_from(digit.to_digit(10)?).ok()?;
    (level <= 4).then_some(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::site::site_data_from;
    use crate::test_fixtures::api_response as fixture;

    #[test]
    fn recorded_revision_parsed() {
        let response = fixture("revisions-page.json");
        let page = first_page("en.wikisource.org", &response).unwrap();
        let revision = parse_revision(page).unwrap();
        assert!(revision.revid > 0);
        assert!(!revision.user.is_empty());
        assert!(revision.text.contains("<pagequality"), "{}", revision.text);
        assert_eq!(pagequality_tag_level(&revision.text), Some(1));
    }

    #[test]
    fn quality_from_proofread_api() {
        let siteinfo = fixture("siteinfo.json");
        let proofreadinfo = fixture("meta-proofreadinfo.enwikisource.DERIVED.json");
        let site = site_data_from("en.wikisource.org", &siteinfo["query"], Some(&proofreadinfo["query"])).unwrap();
        let response = fixture("prop-proofread.enwikisource.DERIVED.json");
        let page = first_page("en.wikisource.org", &response).unwrap();
        let title = site
            .parse_title("en.wikisource.org", page["title"].as_str().unwrap())
            .unwrap();
        let quality = quality_level(&site, &title, page, None);
        assert_eq!(
            quality,
            Some(QualityLevel {
                level: 4,
                from_api: true
            })
        );
    }

    #[test]
    fn missing_page_has_no_revision() {
        let page = serde_json::json!({"ns": 104, "title": "Page:X.djvu/1", "missing": true});
        assert_eq!(parse_revision(&page), None);
    }

    #[test]
    fn pagequality_tag_levels() {
        for (text, expected) in [
            (r#"<noinclude><pagequality level="3" user="A" />"#, Some(3)),
            ("<pagequality level='4' user='B'/>", Some(4)),
            ("<pagequality user=\"C\" level=\"0\" />", Some(0)),
            (r#"<pagequality level="7" user="A" />"#, None),
            ("{{PageQuality|3|A}}", None),
            ("", None),
        ] {
            assert_eq!(pagequality_tag_level(text), expected, "{text}");
        }
    }
}
