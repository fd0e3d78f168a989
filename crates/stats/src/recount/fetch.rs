//! The API reads of a recount: site figures, the Page namespace with levels,
//! and the main namespace with flags and template links into the Page namespace.

use std::collections::BTreeMap;

use serde_json::Value;
use tracing::warn;

use super::api::{Pager, Stop};
use super::budget::{HIGH_LIST_LIMIT, LIST_LIMIT};
use super::settings::WikiSettings;
use crate::messages;
use crate::model::{Level, Namespace};

/// Figures of one request: `meta=siteinfo|userinfo` and the quality categories' `categoryinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFigures {
    /// `statistics.pages`: every page of the wiki, all namespaces, redirects included.
    pub site_pages: u64,
    /// `statistics.edits`.
    pub site_edits: u64,
    /// The list limit of the account: 5,000 with `apihighlimits`, 500 otherwise.
    pub list_limit: u32,
    /// Members of each quality category (`categoryinfo.pages`), index = level;
    /// 0 for a category without members, which the API returns without `categoryinfo`.
    pub category_pages: [i64; 5],
}

/// One non-redirect page of the Page or the main namespace, as the API returned it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CensusPage {
    pub namespace: Option<Namespace>,
    /// dbkey without the namespace prefix.
    pub title: String,
    /// `lastrevid` when the page was read.
    pub rev_id: i64,
    /// Page namespace: the `proofread_page_quality_level` property, else the
    /// first quality category the page is in.
    pub level: Option<Level>,
    pub disambiguation: bool,
    pub expect_without_scans: bool,
    /// Main namespace: the Page-namespace titles (dbkeys without prefix) it
    /// transcludes, red links included.
    pub transcludes: Vec<String>,
    /// Levels of the quality categories the page is in, for the fallback.
    category_levels: Vec<u8>,
    level_property: Option<Level>,
}

/// Everything a full recount read, by page id.
///
/// NOTE: the whole census is held in memory until the repair, with one title
/// per page and per template link. For the largest wikis (millions of Page:
/// pages) that is likely above a gigabyte, an estimate that was not measured.
/// Such wikis would need the census written to the temporary tables batch by batch.
#[derive(Debug, Default)]
pub struct Census {
    pub pages: BTreeMap<i64, CensusPage>,
}

/// Reads the site figures: one request.
pub(crate) async fn read_site_figures(pager: &mut Pager<'_>, settings: &WikiSettings) -> Result<SiteFigures, Stop> {
    let titles = settings.category_titles().join("|");
    let response = pager
        .request(&[
            ("action", "query"),
            ("meta", "siteinfo|userinfo"),
            ("siprop", "statistics"),
            ("uiprop", "rights"),
            ("prop", "categoryinfo"),
            ("titles", &titles),
        ])
        .await?;
    parse_site_figures(&settings.wiki, settings, &response)
}

fn parse_site_figures(wiki: &str, settings: &WikiSettings, response: &Value) -> Result<SiteFigures, Stop> {
    let query = &response["query"];
    let statistic = |name: &str| {
        query["statistics"][name]
            .as_u64()
            .ok_or_else(|| Stop::Unexpected(messages::recount_missing_field(wiki, &format!("statistics.{name}"))))
    };
    let high_limits = query["userinfo"]["rights"]
        .as_array()
        .is_some_and(|rights| rights.iter().any(|right| right == "apihighlimits"));
    let mut category_pages = [0; 5];
    for page in query["pages"].as_array().into_iter().flatten() {
        let Some(level) = page["title"].as_str().and_then(|title| settings.category_level(title)) else {
            continue;
        };
        category_pages[usize::from(level)] = page["categoryinfo"]["pages"].as_i64().unwrap_or(0);
    }
    Ok(SiteFigures {
        site_pages: statistic("pages")?,
        site_edits: statistic("edits")?,
        list_limit: if high_limits { HIGH_LIST_LIMIT } else { LIST_LIMIT },
        category_pages,
    })
}

/// Reads every non-redirect page of the Page namespace with its level and of
/// the main namespace with its flags and template links.
pub(crate) async fn read_census(pager: &mut Pager<'_>, settings: &WikiSettings) -> Result<Census, Stop> {
    let mut census = Census::default();
    let page_namespace = settings.page_namespace.to_string();
    let categories = settings.category_titles().join("|");
    let page_params = [
        ("action", "query"),
        ("generator", "allpages"),
        ("gapnamespace", page_namespace.as_str()),
        ("gapfilterredir", "nonredirects"),
        ("gaplimit", "max"),
        ("prop", "info|pageprops|categories"),
        ("ppprop", "proofread_page_quality_level"),
        ("clcategories", categories.as_str()),
        ("cllimit", "max"),
    ];
    pager
        .each_response(&page_params, |response| {
            merge_pages(&mut census, settings, Namespace::Page, response)
        })
        .await?;

    let main_params = [
        ("action", "query"),
        ("generator", "allpages"),
        ("gapnamespace", "0"),
        ("gapfilterredir", "nonredirects"),
        ("gaplimit", "max"),
        ("prop", "info|pageprops|templates"),
        ("ppprop", "disambiguation|expectwithoutscans"),
        ("tlnamespace", page_namespace.as_str()),
        ("tllimit", "max"),
    ];
    pager
        .each_response(&main_params, |response| {
            merge_pages(&mut census, settings, Namespace::Main, response)
        })
        .await?;

    for page in census.pages.values_mut() {
        page.level = page.level_property.or_else(|| {
            let first = page.category_levels.iter().min()?;
            Level::new(i64::from(*first)).ok()
        });
        page.transcludes.sort_unstable();
        page.transcludes.dedup();
    }
    Ok(census)
}

/// Adds the pages of one response to the census. A page can appear in several
/// responses of one pass, each with part of its categories or template links.
fn merge_pages(
    census: &mut Census,
    settings: &WikiSettings,
    namespace: Namespace,
    response: &Value,
) -> Result<(), Stop> {
    let wiki = settings.wiki.as_str();
    let Some(pages) = response["query"]["pages"].as_array() else {
        // A namespace without pages returns no `query` at all.
        return Ok(());
    };
    for page in pages {
        let page_id = page["pageid"]
            .as_i64()
            .ok_or_else(|| Stop::Unexpected(messages::recount_missing_field(wiki, "pageid")))?;
        let entry = census.pages.entry(page_id).or_default();
        entry.namespace = Some(namespace);
        if let Some(title) = page["title"].as_str() {
            entry.title = dbkey_of(title, namespace);
        }
        if let Some(rev_id) = page["lastrevid"].as_i64() {
            entry.rev_id = rev_id;
        }
        let properties = &page["pageprops"];
        if let Some(value) = properties["proofread_page_quality_level"].as_str() {
            entry.level_property = parse_level(wiki, page_id, value);
        }
        entry.disambiguation |= properties.get("disambiguation").is_some();
        entry.expect_without_scans |= properties.get("expectwithoutscans").is_some();
        for category in page["categories"].as_array().into_iter().flatten() {
            if let Some(level) = category["title"]
                .as_str()
                .and_then(|title| settings.category_level(title))
            {
                entry.category_levels.push(level);
            }
        }
        for template in page["templates"].as_array().into_iter().flatten() {
            if let Some(title) = template["title"].as_str() {
                entry.transcludes.push(dbkey_of(title, Namespace::Page));
            }
        }
    }
    Ok(())
}

fn parse_level(wiki: &str, page_id: i64, value: &str) -> Option<Level> {
    let level = value
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|number| Level::new(number).ok());
    if level.is_none() {
        warn!(
            wiki,
            page_id, value, "ignored an invalid proofread_page_quality_level; the categories decide"
        );
    }
    level
}

/// Returns the dbkey without namespace prefix of an API title: spaces become
/// underscores, and a Page-namespace title loses the text up to its first colon.
pub(crate) fn dbkey_of(title: &str, namespace: Namespace) -> String {
    let name = match namespace {
        Namespace::Main => title,
        _ => title.split_once(':').map_or(title, |(_, name)| name),
    };
    name.replace(' ', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbkey_strips_the_page_prefix_only() {
        assert_eq!(dbkey_of("Page:Test book.djvu/1", Namespace::Page), "Test_book.djvu/1");
        assert_eq!(dbkey_of("Foo: a text", Namespace::Main), "Foo:_a_text");
    }
}
