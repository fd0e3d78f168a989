//! Names of a wiki in URLs: database name, code of the old tool or domain.

use serde::Serialize;
use sqlx::PgPool;

use crate::error::StatsError;
use crate::messages;
use crate::wiki::{code_for_dbname, dbname_for_code, domain_for_code};

/// A wiki the statistics know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WikiRef {
    /// Database name, such as `frwikisource` or `sourceswiki`.
    pub wiki: String,
    /// Code of the old tool, such as `fr` or `old`.
    pub code: String,
    /// Host name, such as `fr.wikisource.org`.
    pub domain: String,
    /// Index namespace id, when `stats_wiki` has the wiki's configuration.
    pub index_namespace: Option<i32>,
}

/// A wiki name that cannot be a Wikisource database name, code or domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidWikiName(pub String);

/// Maximum length of a wiki name. The longest Wikisource domain, zh-min-nan.wikisource.org, has 25 characters.
const MAX_WIKI_NAME: usize = 60;

/// Maps `raw` to a database name: `frwikisource` and `sourceswiki` stay as
/// they are, a code (`fr`, `zh-min-nan`, `old`) and a domain
/// (`fr.wikisource.org`, `wikisource.org`) are converted. Only lowercase ASCII
/// letters, digits, `-`, `_` and `.` are accepted.
pub fn dbname_for_name(raw: &str) -> Result<String, InvalidWikiName> {
    let plain = !raw.is_empty()
        && raw.len() <= MAX_WIKI_NAME
        && raw
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'-' | b'_' | b'.'));
    if !plain {
        return Err(InvalidWikiName(messages::invalid_wiki_name(raw)));
    }
    if raw == "wikisource.org" {
        return Ok(dbname_for_code("old"));
    }
    if let Some(code) = raw.strip_suffix(".wikisource.org") {
        if code.is_empty() || code.contains('.') {
            return Err(InvalidWikiName(messages::invalid_wiki_name(raw)));
        }
        return Ok(dbname_for_code(code));
    }
    if raw.contains('.') {
        return Err(InvalidWikiName(messages::invalid_wiki_name(raw)));
    }
    if raw.ends_with("wikisource") || raw == "sourceswiki" {
        return Ok(raw.to_owned());
    }
    Ok(dbname_for_code(raw))
}

/// Finds the wiki that `raw` names among the wikis with configuration,
/// counts, snapshots or imported history. `Ok(None)` when it has none of them.
pub async fn find_wiki(pool: &PgPool, raw: &str) -> Result<Result<Option<WikiRef>, InvalidWikiName>, StatsError> {
    let dbname = match dbname_for_name(raw) {
        Ok(dbname) => dbname,
        Err(invalid) => return Ok(Err(invalid)),
    };
    let row: Option<(Option<String>, Option<String>, Option<i32>)> = sqlx::query_as(
        "SELECT w.code, w.domain, w.index_namespace \
         FROM (SELECT $1::text AS wiki) AS requested \
         LEFT JOIN stats_wiki AS w USING (wiki) \
         WHERE w.wiki IS NOT NULL \
            OR EXISTS (SELECT 1 FROM stats_wiki_count WHERE wiki = $1) \
            OR EXISTS (SELECT 1 FROM stats_snapshot WHERE wiki = $1) \
            OR EXISTS (SELECT 1 FROM stats_history WHERE wiki = $1) \
            OR EXISTS (SELECT 1 FROM stats_transition WHERE wiki = $1)",
    )
    .bind(&dbname)
    .fetch_optional(pool)
    .await
    .map_err(StatsError::database("cannot look the wiki up in the statistics"))?;
    Ok(Ok(row.map(|(code, domain, index_namespace)| {
        let code = code.unwrap_or_else(|| code_for_dbname(&dbname));
        let domain = domain.unwrap_or_else(|| domain_for_code(&code));
        WikiRef {
            wiki: dbname,
            code,
            domain,
            index_namespace,
        }
    })))
}

/// Lists the wikis with a configuration row, ordered by code.
pub async fn configured_wikis(pool: &PgPool) -> Result<Vec<WikiRef>, StatsError> {
    let rows: Vec<(String, String, String, i32)> =
        sqlx::query_as("SELECT wiki, code, domain, index_namespace FROM stats_wiki ORDER BY code")
            .fetch_all(pool)
            .await
            .map_err(StatsError::database("cannot read the configured wikis"))?;
    Ok(rows
        .into_iter()
        .map(|(wiki, code, domain, index_namespace)| WikiRef {
            wiki,
            code,
            domain,
            index_namespace: Some(index_namespace),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::dbname_for_name;

    #[test]
    fn names_map_to_database_names() {
        for (raw, dbname) in [
            ("frwikisource", "frwikisource"),
            ("fr", "frwikisource"),
            ("fr.wikisource.org", "frwikisource"),
            ("old", "sourceswiki"),
            ("sourceswiki", "sourceswiki"),
            ("wikisource.org", "sourceswiki"),
            ("zh-min-nan", "zh_min_nanwikisource"),
            ("zh-min-nan.wikisource.org", "zh_min_nanwikisource"),
        ] {
            assert_eq!(dbname_for_name(raw).unwrap(), dbname, "{raw}");
        }
    }

    #[test]
    fn hostile_names_are_rejected() {
        for raw in [
            "",
            "FR",
            "fr wikisource",
            "fr/../etc",
            "fr;drop",
            "en.wikipedia.org",
            ".wikisource.org",
            "a.b.wikisource.org",
            "fr%00",
            "été",
            &"a".repeat(61),
        ] {
            let error = dbname_for_name(raw).unwrap_err();
            assert!(error.0.contains("invalid wiki"), "{raw}: {error}");
        }
    }
}
