//! Reading main-namespace pages through the Action API: transcluded Page:
//! titles, redirect flag, `disambiguation` and `expectwithoutscans` page
//! properties, and the pages embedding an Index page.

use std::collections::BTreeMap;

use phetools_wiki::{WikiClient, WikiError};
use serde_json::Value;

/// Page ids or titles sent in one request: the limit without the `apihighlimits` right.
pub(crate) const PAGES_PER_REQUEST: usize = 50;

/// A main-namespace page as the API returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedPage {
    pub page_id: i64,
    pub namespace: i64,
    /// dbkey, with the namespace prefix outside the main namespace.
    pub title: String,
    pub last_rev_id: i64,
    pub redirect: bool,
    pub disambiguation: bool,
    pub expect_without_scans: bool,
    /// Transcluded Page: pages as dbkeys without the prefix, red links included.
    pub transcluded: Vec<String>,
}

/// Result of the lookup of one requested page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageLookup {
    Found(CheckedPage),
    /// The page id or title names no page: the page was deleted or never existed.
    Missing {
        page_id: Option<i64>,
        title: Option<String>,
    },
}

/// Selection of the pages to read: by page id (stable across moves) or by title.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PageSelector<'a> {
    Ids(&'a [i64]),
    Titles(&'a [String]),
}

/// Reads up to [`PAGES_PER_REQUEST`] pages, following `continue` until the
/// template lists are complete.
pub(crate) async fn read_pages(
    client: &WikiClient,
    domain: &str,
    page_namespace: i32,
    pages: PageSelector<'_>,
) -> Result<Vec<PageLookup>, WikiError> {
    let (selector_key, selector) = match pages {
        PageSelector::Ids(ids) => ("pageids", join(ids.iter().map(i64::to_string))),
        PageSelector::Titles(titles) => ("titles", join(titles.iter().map(|title| title.replace('_', " ")))),
    };
    let page_namespace = page_namespace.to_string();
    let mut merged: BTreeMap<String, Value> = BTreeMap::new();
    let mut continuation: Vec<(String, String)> = Vec::new();
    loop {
        let mut params: Vec<(&str, &str)> = vec![
            ("action", "query"),
            (selector_key, &selector),
            ("prop", "templates|pageprops|info"),
            ("tlnamespace", &page_namespace),
            ("tllimit", "max"),
            ("ppprop", "disambiguation|expectwithoutscans"),
        ];
        params.extend(continuation.iter().map(|(key, value)| (key.as_str(), value.as_str())));
        let response = client.query(domain, &params).await?;
        merge_pages(&mut merged, &response);
        continuation = continuation_params(&response);
        if continuation.is_empty() {
            break;
        }
    }
    merged.values().map(|page| lookup_from(domain, page)).collect()
}

/// Returns the ids of the main-namespace pages that transclude the page `index_page_id`.
pub(crate) async fn embedding_pages(
    client: &WikiClient,
    domain: &str,
    index_page_id: Option<i64>,
    index_title: &str,
) -> Result<Vec<i64>, WikiError> {
    let page_id = index_page_id.map(|id| id.to_string());
    let mut page_ids = Vec::new();
    let mut continuation: Vec<(String, String)> = Vec::new();
    loop {
        let mut params: Vec<(&str, &str)> = vec![
            ("action", "query"),
            ("list", "embeddedin"),
            ("einamespace", "0"),
            ("eilimit", "max"),
        ];
        match &page_id {
            Some(id) => params.push(("eipageid", id)),
            None => params.push(("eititle", index_title)),
        }
        params.extend(continuation.iter().map(|(key, value)| (key.as_str(), value.as_str())));
        let response = client.query(domain, &params).await?;
        let embedded = response["query"]["embeddedin"].as_array().cloned().unwrap_or_default();
        page_ids.extend(embedded.iter().filter_map(|page| page["pageid"].as_i64()));
        continuation = continuation_params(&response);
        if continuation.is_empty() {
            break;
        }
    }
    Ok(page_ids)
}

fn join(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join("|")
}

/// Adds the pages of one response to `merged`, keyed by page id (or title for
/// missing pages). Template lists split over continued responses are
/// appended, and page properties are taken from whichever response has them.
fn merge_pages(merged: &mut BTreeMap<String, Value>, response: &Value) {
    let Some(pages) = response["query"]["pages"].as_array() else {
        return;
    };
    for page in pages {
        let key = match page["pageid"].as_i64() {
            Some(id) => id.to_string(),
            None => format!("missing:{}:{}", page["title"], page["pageid"]),
        };
        let Some(stored) = merged.get_mut(&key) else {
            merged.insert(key, page.clone());
            continue;
        };
        if let Some(more) = page["templates"].as_array() {
            match stored["templates"].as_array_mut() {
                Some(templates) => templates.extend(more.iter().cloned()),
                None => stored["templates"] = Value::Array(more.clone()),
            }
        }
        if stored.get("pageprops").is_none() {
            if let Some(properties) = page.get("pageprops") {
                stored["pageprops"] = properties.clone();
            }
        }
    }
}

/// Returns the parameters of the `continue` object, empty when the response is complete.
fn continuation_params(response: &Value) -> Vec<(String, String)> {
    let Some(object) = response["continue"].as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .map(|(key, value)| {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            (key.clone(), value)
        })
        .collect()
}

fn lookup_from(domain: &str, page: &Value) -> Result<PageLookup, WikiError> {
    let unexpected = |detail: String| WikiError::UnexpectedResponse {
        domain: domain.to_owned(),
        detail,
    };
    if page.get("missing").is_some() || page.get("invalid").is_some() {
        return Ok(PageLookup::Missing {
            page_id: page["pageid"].as_i64().filter(|id| *id > 0),
            title: page["title"].as_str().map(|title| title.replace(' ', "_")),
        });
    }
    let page_id = page["pageid"]
        .as_i64()
        .ok_or_else(|| unexpected(format!("page without pageid: {page}")))?;
    let last_rev_id = page["lastrevid"]
        .as_i64()
        .ok_or_else(|| unexpected(format!("page {page_id} without lastrevid")))?;
    let properties = &page["pageprops"];
    let transcluded = page["templates"]
        .as_array()
        .map(|templates| templates.iter().filter_map(|template| template["title"].as_str()))
        .into_iter()
        .flatten()
        .map(unprefixed_dbkey)
        .collect();
    Ok(PageLookup::Found(CheckedPage {
        page_id,
        namespace: page["ns"].as_i64().unwrap_or(0),
        title: page["title"].as_str().unwrap_or_default().replace(' ', "_"),
        last_rev_id,
        redirect: page.get("redirect").is_some_and(|value| value != &Value::Bool(false)),
        disambiguation: properties.get("disambiguation").is_some(),
        expect_without_scans: properties.get("expectwithoutscans").is_some(),
        transcluded,
    }))
}

/// Turns `Page:Foo bar.djvu/3` into `Foo_bar.djvu/3`. Namespace names
/// contain no colon, so the prefix ends at the first one.
fn unprefixed_dbkey(title: &str) -> String {
    let unprefixed = title.split_once(':').map_or(title, |(_, rest)| rest);
    unprefixed.replace(' ', "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn continued_template_lists_are_merged() {
        let mut merged = BTreeMap::new();
        merge_pages(
            &mut merged,
            &json!({"query": {"pages": [
                {"pageid": 5, "ns": 0, "title": "Book one", "lastrevid": 50,
                 "templates": [{"ns": 104, "title": "Page:Book.djvu/1"}]},
                {"ns": 0, "title": "Gone", "missing": true}
            ]}}),
        );
        merge_pages(
            &mut merged,
            &json!({"query": {"pages": [
                {"pageid": 5, "ns": 0, "title": "Book one", "lastrevid": 50,
                 "templates": [{"ns": 104, "title": "Page:Book.djvu/2"}],
                 "pageprops": {"disambiguation": ""}}
            ]}}),
        );
        let lookups: Vec<PageLookup> = merged
            .values()
            .map(|page| lookup_from("en.wikisource.org", page).unwrap())
            .collect();
        let PageLookup::Found(page) = &lookups[0] else {
            panic!("{lookups:?}")
        };
        assert_eq!(page.transcluded, ["Book.djvu/1", "Book.djvu/2"]);
        assert_eq!(page.title, "Book_one");
        assert!(page.disambiguation, "the second answer carries the page properties");
        assert_eq!(
            lookups[1],
            PageLookup::Missing {
                page_id: None,
                title: Some("Gone".to_owned())
            }
        );
    }

    #[test]
    fn continuation_is_copied() {
        let response = json!({"continue": {"tlcontinue": "5|104|Book.djvu/3", "continue": "||"}});
        let mut params = continuation_params(&response);
        params.sort();
        assert_eq!(
            params,
            [
                ("continue".to_owned(), "||".to_owned()),
                ("tlcontinue".to_owned(), "5|104|Book.djvu/3".to_owned())
            ]
        );
        assert!(continuation_params(&json!({"batchcomplete": true})).is_empty());
    }
}
