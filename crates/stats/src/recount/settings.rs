//! The `stats_wiki` row a recount needs: domain, Page namespace and quality categories.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::error::StatsError;
use crate::messages;

/// Per-wiki configuration of the statistics (`stats_wiki`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WikiSettings {
    /// Database name, such as `frwikisource`.
    pub wiki: String,
    pub domain: String,
    /// The old tool's code, such as `fr` or `old`.
    pub code: String,
    pub page_namespace: i32,
    /// Quality categories in level order 0-4, as dbkeys without prefix.
    pub quality_categories: [String; 5],
    pub last_full_recount_at: Option<DateTime<Utc>>,
}

type SettingsRow = (String, String, String, i32, Vec<String>, Option<DateTime<Utc>>);

impl WikiSettings {
    /// Reads the settings of `wiki`; a wiki without a `stats_wiki` row is an error.
    pub async fn load(pool: &PgPool, wiki: &str) -> Result<WikiSettings, StatsError> {
        let row: Option<SettingsRow> = sqlx::query_as(
            "SELECT wiki, domain, code, page_namespace, quality_categories, last_full_recount_at \
             FROM stats_wiki WHERE wiki = $1",
        )
        .bind(wiki)
        .fetch_optional(pool)
        .await
        .map_err(StatsError::database("cannot read the statistics settings of the wiki"))?;
        let Some((wiki, domain, code, page_namespace, categories, last_full_recount_at)) = row else {
            return Err(StatsError::UnknownWiki(messages::unknown_stats_wiki(wiki)));
        };
        let quality_categories: [String; 5] = categories.try_into().map_err(|categories: Vec<String>| {
            StatsError::Corrupt(messages::quality_categories_count(&wiki, categories.len()))
        })?;
        Ok(WikiSettings {
            wiki,
            domain,
            code,
            page_namespace,
            quality_categories,
            last_full_recount_at,
        })
    }

    /// Lists the wikis of `stats_wiki`, sorted by database name.
    pub async fn wikis(pool: &PgPool) -> Result<Vec<String>, StatsError> {
        sqlx::query_scalar("SELECT wiki FROM stats_wiki ORDER BY wiki")
            .fetch_all(pool)
            .await
            .map_err(StatsError::database("cannot list the statistics wikis"))
    }

    /// Returns `Category:<name>` for each quality category, in level order.
    /// The canonical prefix works on every wiki, whatever its language.
    pub fn category_titles(&self) -> Vec<String> {
        self.quality_categories
            .iter()
            .map(|name| format!("Category:{name}"))
            .collect()
    }

    /// Returns the level of a quality category given as an API title
    /// (`Category:Not proofread`, or with the wiki's localized prefix).
    /// When two levels share a name, the lower level is returned.
    pub fn category_level(&self, title: &str) -> Option<u8> {
        let name = title.split_once(':').map_or(title, |(_, name)| name).replace(' ', "_");
        let position = self.quality_categories.iter().position(|category| *category == name)?;
        u8::try_from(position).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WikiSettings {
        WikiSettings {
            wiki: "enwikisource".to_owned(),
            domain: "en.wikisource.org".to_owned(),
            code: "en".to_owned(),
            page_namespace: 104,
            quality_categories: ["Without_text", "Not_proofread", "Problematic", "Proofread", "Validated"]
                .map(str::to_owned),
            last_full_recount_at: None,
        }
    }

    #[test]
    fn category_level_reads_api_titles() {
        let settings = settings();
        assert_eq!(settings.category_level("Category:Not proofread"), Some(1));
        assert_eq!(settings.category_level("Catégorie:Validated"), Some(4));
        assert_eq!(settings.category_level("Category:Other"), None);
    }
}
