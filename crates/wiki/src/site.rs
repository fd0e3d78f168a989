//! Site data of one wiki: namespaces and their aliases from `meta=siteinfo`,
//! the ProofreadPage namespaces from `meta=proofreadinfo`, and the title codec
//! built from them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mwtitle::{SiteInfo, Title, TitleCodec};
use serde_json::Value;
use tokio::sync::Mutex;
use tracing::{info, warn};

use crate::client::WikiError;
use crate::messages;
use crate::session::SessionManager;
use crate::sites::{dbname_for_domain, proofread_namespaces, ProofreadNamespaces, DEFAULT_NAMESPACES};

/// Where the Page and Index namespace ids of a wiki come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofreadSource {
    /// `meta=proofreadinfo` of the wiki: ProofreadPage is installed.
    Api,
    /// The table shipped with phetools, for a wiki whose API lacks the module.
    ShippedTable,
    /// ProofreadPage's default ids (250 and 252), for a wiki in neither.
    Default,
}

/// Namespaces, title rules and ProofreadPage namespaces of one wiki.
#[derive(Debug)]
pub struct SiteData {
    pub codec: TitleCodec,
    pub proofread: ProofreadNamespaces,
    pub proofread_source: ProofreadSource,
    /// `wikiid` of siteinfo, the wiki's dbname (`enwikisource`).
    pub wiki_id: String,
}

impl SiteData {
    /// Parses `input` as a title of this wiki, e.g. `Page:Foo.djvu/3` or `Index:Foo.djvu`.
    pub fn parse_title(&self, domain: &str, input: &str) -> Result<Title, WikiError> {
        self.codec.new_title(input).map_err(|error| WikiError::InvalidTitle {
            domain: domain.to_owned(),
            title: input.to_owned(),
            reason: error.to_string(),
        })
    }

    /// Returns the title as the API and readers write it: `Page:Foo bar.djvu/3`.
    pub fn title_text(&self, title: &Title) -> String {
        self.codec.to_pretty(title)
    }

    /// Returns `true` when `prop=proofread` exists on the wiki.
    pub fn has_proofread_api(&self) -> bool {
        self.proofread_source == ProofreadSource::Api
    }
}

/// Builds site data from the `query` object of `meta=siteinfo` and, when the
/// wiki has ProofreadPage, the `query` object of `meta=proofreadinfo`.
pub(crate) fn site_data_from(
    domain: &str,
    siteinfo: &Value,
    proofreadinfo: Option<&Value>,
) -> Result<SiteData, WikiError> {
    let unexpected = |detail: String| WikiError::UnexpectedResponse {
        domain: domain.to_owned(),
        detail,
    };
    let mut siteinfo = siteinfo.clone();
    if siteinfo.get("namespacealiases").is_none() {
        siteinfo["namespacealiases"] = Value::Array(Vec::new());
    }
    let wiki_id = siteinfo["general"]["wikiid"].as_str().unwrap_or_default().to_owned();
    let site_info: SiteInfo =
        serde_json::from_value(siteinfo).map_err(|error| unexpected(format!("invalid siteinfo: {error}")))?;
    let codec =
        TitleCodec::from_site_info(site_info).map_err(|error| unexpected(format!("invalid siteinfo: {error}")))?;

    let from_api = proofreadinfo.and_then(|query| {
        let page = query["proofreadnamespaces"]["page"]["id"].as_i64()?;
        let index = query["proofreadnamespaces"]["index"]["id"].as_i64()?;
        Some(ProofreadNamespaces {
            page: i32::try_from(page).ok()?,
            index: i32::try_from(index).ok()?,
        })
    });
    let shipped = dbname_for_domain(domain).and_then(|dbname| proofread_namespaces(&dbname));
    let (proofread, proofread_source) = match (from_api, shipped) {
        (Some(namespaces), _) => (namespaces, ProofreadSource::Api),
        (None, Some(namespaces)) => (namespaces, ProofreadSource::ShippedTable),
        (None, None) => (DEFAULT_NAMESPACES, ProofreadSource::Default),
    };
    Ok(SiteData {
        codec,
        proofread,
        proofread_source,
        wiki_id,
    })
}

/// Site data fetched once and refreshed after `refresh`.
#[derive(Debug)]
pub(crate) struct SiteCache {
    refresh: Duration,
    entry: Mutex<Option<(Instant, Arc<SiteData>)>>,
}

impl SiteCache {
    pub fn new(refresh: Duration) -> Self {
        SiteCache {
            refresh,
            entry: Mutex::new(None),
        }
    }

    /// Returns the cached site data, fetching it when missing or older than
    /// the refresh interval. A failed refresh keeps serving the old data.
    pub async fn get(&self, domain: &str, session: &SessionManager) -> Result<Arc<SiteData>, WikiError> {
        let mut entry = self.entry.lock().await;
        if let Some((fetched, data)) = entry.as_ref() {
            if fetched.elapsed() < self.refresh {
                return Ok(data.clone());
            }
        }
        match fetch_site_data(domain, session).await {
            Ok(data) => {
                let data = Arc::new(data);
                *entry = Some((Instant::now(), data.clone()));
                Ok(data)
            }
            Err(error) => match entry.as_ref() {
                Some((_, data)) => {
                    warn!(domain, %error, "refreshing the site data failed; keeping the old data");
                    Ok(data.clone())
                }
                None => Err(error),
            },
        }
    }
}

async fn fetch_site_data(domain: &str, session: &SessionManager) -> Result<SiteData, WikiError> {
    let siteinfo = session
        .read(&[
            ("action", "query"),
            ("meta", "siteinfo"),
            ("siprop", "general|namespaces|namespacealiases"),
        ])
        .await?;
    let proofreadinfo = match session
        .read(&[
            ("action", "query"),
            ("meta", "proofreadinfo"),
            ("prpiprop", "namespaces"),
        ])
        .await
    {
        Ok(response) => Some(response),
        // A wiki without ProofreadPage rejects the unknown `meta` value.
        Err(WikiError::Api { code, .. }) if code == "badvalue" || code == "unknown_meta" => None,
        Err(error) => return Err(error),
    };
    let data = site_data_from(
        domain,
        &siteinfo["query"],
        proofreadinfo.as_ref().map(|response| &response["query"]),
    )?;
    info!(
        domain,
        page_namespace = data.proofread.page,
        index_namespace = data.proofread.index,
        source = ?data.proofread_source,
        "{}",
        messages::site_data_loaded()
    );
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_fixtures::api_response as fixture;

    #[test]
    fn recorded_siteinfo_parses_page_titles() {
        let siteinfo = fixture("siteinfo.json");
        let data = site_data_from("en.wikisource.org", &siteinfo["query"], None).unwrap();
        assert_eq!(data.proofread, ProofreadNamespaces { page: 104, index: 106 });
        assert_eq!(data.proofread_source, ProofreadSource::ShippedTable);
        assert_eq!(data.wiki_id, "testwiki");

        let title = data.parse_title("en.wikisource.org", "page:test.djvu/3").unwrap();
        assert_eq!(title.namespace(), 104);
        assert_eq!(title.dbkey(), "Test.djvu/3");
        assert_eq!(data.title_text(&title), "Page:Test.djvu/3");
    }

    #[test]
    fn proofreadinfo_wins_over_shipped_table() {
        let siteinfo = fixture("siteinfo.json");
        let proofreadinfo = fixture("meta-proofreadinfo.enwikisource.DERIVED.json");
        let data = site_data_from("fr.wikisource.org", &siteinfo["query"], Some(&proofreadinfo["query"])).unwrap();
        assert_eq!(data.proofread_source, ProofreadSource::Api);
        assert_eq!(data.proofread.index, 106);
    }

    #[test]
    fn unknown_wiki_gets_default_namespaces() {
        let siteinfo = fixture("siteinfo.json");
        let data = site_data_from("xx.wikisource.org", &siteinfo["query"], None).unwrap();
        assert_eq!(data.proofread_source, ProofreadSource::Default);
        assert_eq!(data.proofread, DEFAULT_NAMESPACES);
    }

    #[test]
    fn invalid_title_rejected() {
        let siteinfo = fixture("siteinfo.json");
        let data = site_data_from("en.wikisource.org", &siteinfo["query"], None).unwrap();
        let error = data.parse_title("en.wikisource.org", "Page:A<b>").unwrap_err();
        assert!(matches!(error, WikiError::InvalidTitle { .. }), "{error:?}");
    }
}
