//! The Wikisource wikis the statistics count, with their ProofreadPage namespaces.

use std::collections::HashMap;

use sqlx::PgPool;

use crate::error::StatsError;
use crate::model::Namespace;
use crate::wiki::code_for_dbname;

/// One counted wiki.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WikiInfo {
    /// Database name, such as `frwikisource`.
    pub dbname: String,
    /// Domain, such as `fr.wikisource.org`.
    pub domain: String,
    /// The old tool's code: `fr`, `zh-min-nan`, `old` for wikisource.org.
    pub code: String,
    pub page_namespace: i32,
    pub index_namespace: i32,
}

impl WikiInfo {
    /// Builds the entry of `dbname` from its Page and Index namespace ids; the
    /// domain and code follow from the dbname. Returns `None` for a dbname
    /// outside the Wikimedia families.
    pub fn new(dbname: &str, page_namespace: i32, index_namespace: i32) -> Option<WikiInfo> {
        Some(WikiInfo {
            dbname: dbname.to_owned(),
            domain: phetools_wiki::sites::domain_for_dbname(dbname)?,
            code: code_for_dbname(dbname),
            page_namespace,
            index_namespace,
        })
    }

    /// Classifies a namespace id as the statistics count it.
    pub fn namespace(&self, id: i64) -> Namespace {
        match id {
            0 => Namespace::Main,
            id if id == i64::from(self.page_namespace) => Namespace::Page,
            _ => Namespace::Other,
        }
    }

    pub fn is_index(&self, id: i64) -> bool {
        id == i64::from(self.index_namespace)
    }
}

/// The wikis whose events the statistics decode, by dbname. Events of other
/// wikis are dropped before any other field is read.
#[derive(Debug, Clone, Default)]
pub struct WikiDirectory {
    wikis: HashMap<String, WikiInfo>,
}

impl WikiDirectory {
    /// Returns the Wikisource wikis of the namespace table shipped with
    /// `phetools-wiki` (every `*wikisource` dbname and `sourceswiki`).
    pub fn shipped() -> Self {
        let mut directory = WikiDirectory::default();
        for (dbname, namespaces) in phetools_wiki::sites::shipped_proofread_wikis() {
            if !is_wikisource(dbname) {
                continue;
            }
            if let Some(info) = WikiInfo::new(dbname, namespaces.page, namespaces.index) {
                directory.insert(info);
            }
        }
        directory
    }

    /// Returns [`WikiDirectory::shipped`] with the rows of `stats_wiki`
    /// (namespaces read from each wiki's API) taking precedence.
    pub async fn load(pool: &PgPool) -> Result<Self, StatsError> {
        let rows: Vec<(String, String, String, i32, i32)> =
            sqlx::query_as("SELECT wiki, domain, code, page_namespace, index_namespace FROM stats_wiki")
                .fetch_all(pool)
                .await
                .map_err(StatsError::database("cannot read the statistics wikis"))?;
        let mut directory = WikiDirectory::shipped();
        for (dbname, domain, code, page_namespace, index_namespace) in rows {
            directory.insert(WikiInfo {
                dbname,
                domain,
                code,
                page_namespace,
                index_namespace,
            });
        }
        Ok(directory)
    }

    /// Returns the entry of `dbname` from `stats_wiki`, or from the shipped
    /// table when the wiki has no row there.
    pub async fn find(pool: &PgPool, dbname: &str) -> Result<Option<WikiInfo>, StatsError> {
        let row: Option<(String, String, String, i32, i32)> = sqlx::query_as(
            "SELECT wiki, domain, code, page_namespace, index_namespace FROM stats_wiki WHERE wiki = $1",
        )
        .bind(dbname)
        .fetch_optional(pool)
        .await
        .map_err(StatsError::database("cannot read the statistics wiki"))?;
        if let Some((dbname, domain, code, page_namespace, index_namespace)) = row {
            return Ok(Some(WikiInfo {
                dbname,
                domain,
                code,
                page_namespace,
                index_namespace,
            }));
        }
        Ok(WikiDirectory::shipped().get(dbname).cloned())
    }

    /// Adds or replaces the entry of `info.dbname`.
    pub fn insert(&mut self, info: WikiInfo) {
        self.wikis.insert(info.dbname.clone(), info);
    }

    pub fn get(&self, dbname: &str) -> Option<&WikiInfo> {
        self.wikis.get(dbname)
    }

    pub fn len(&self) -> usize {
        self.wikis.len()
    }

    pub fn is_empty(&self) -> bool {
        self.wikis.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &WikiInfo> {
        self.wikis.values()
    }
}

/// Returns `true` for a Wikisource dbname: a language edition or wikisource.org.
pub fn is_wikisource(dbname: &str) -> bool {
    dbname == "sourceswiki" || dbname.strip_suffix("wikisource").is_some_and(|code| !code.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_directory_holds_wikisources_only() {
        let directory = WikiDirectory::shipped();
        let english = directory.get("enwikisource").unwrap();
        assert_eq!((english.page_namespace, english.index_namespace), (104, 106));
        assert_eq!(english.domain, "en.wikisource.org");
        assert_eq!(english.code, "en");
        assert_eq!(directory.get("sourceswiki").unwrap().code, "old");
        assert!(directory.get("test2wiki").is_none());
        assert!(directory.get("commonswiki").is_none());
        assert!(directory.len() > 70, "{}", directory.len());
    }

    #[test]
    fn namespaces_are_classified_per_wiki() {
        let directory = WikiDirectory::shipped();
        let french = directory.get("frwikisource").unwrap();
        assert_eq!(french.namespace(0), Namespace::Main);
        assert_eq!(french.namespace(104), Namespace::Page);
        assert_eq!(french.namespace(102), Namespace::Other);
        assert!(french.is_index(112));
    }
}
