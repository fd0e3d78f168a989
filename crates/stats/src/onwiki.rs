//! Saves the on-wiki statistics templates (`Template:ALL_PAGES`,
//! `PAGES_NOT_PROOFREAD`, `PR_TEXTS`, `ALL_TEXTS`, `PR_PERCENT`) of one wiki
//! from its stored counts, in the wiki's number format.
//!
//! A template is saved only when its value differs both from the value last
//! saved (`stats_template_value`) and from the page's current text. The edit
//! goes through [`Bot::save_page`], which rejects it when the page changed
//! since it was read. The summary is `Bot: update statistics`: the old tool
//! saved with an empty summary, which MediaWiki replaces with an automatic
//! one that shows the new value but not who changed it for what reason.

use phetools_wiki::{Bot, EditOutcome};
use serde::Serialize;
use sqlx::PgPool;
use tracing::{debug, info};

use crate::error::StatsError;
use crate::legacy::template_values;
use crate::messages;
use crate::model::{CountColumns, Counts};

/// Result of [`update_templates`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateReport {
    /// Templates saved with a new revision.
    pub saved: Vec<String>,
    /// Templates whose page already had the value (the stored value is updated).
    pub already_current: Vec<String>,
    /// Templates whose value equals the value last saved: no request was made.
    pub unchanged: Vec<String>,
}

/// Updates the templates of `wiki` (database name) with the number format of
/// `code`, through `bot`, the bot of the wiki's domain.
pub async fn update_templates(pool: &PgPool, bot: &Bot, wiki: &str, code: &str) -> Result<TemplateReport, StatsError> {
    let counts = wiki_counts(pool, wiki).await?;
    let mut report = TemplateReport::default();
    for (title, value) in template_values(code, &counts) {
        let name = title.strip_prefix("Template:").unwrap_or(title);
        if last_saved_value(pool, wiki, name).await?.as_deref() == Some(value.as_str()) {
            report.unchanged.push(name.to_owned());
            continue;
        }
        match save_template(bot, wiki, title, &value).await? {
            Some(rev_id) => {
                record_value(pool, wiki, name, &value, Some(rev_id)).await?;
                report.saved.push(name.to_owned());
            }
            None => {
                record_value(pool, wiki, name, &value, None).await?;
                report.already_current.push(name.to_owned());
            }
        }
    }
    info!(wiki, saved = report.saved.len(), "statistics templates updated");
    Ok(report)
}

/// Saves `value` as the whole text of `title` unless the page already has it.
/// Returns the new revision id, or `None` when nothing was saved.
async fn save_template(bot: &Bot, wiki: &str, title: &str, value: &str) -> Result<Option<i64>, StatsError> {
    let api_error = |source| StatsError::Api {
        wiki: wiki.to_owned(),
        source: Box::new(source),
    };
    let parsed = bot.parse_title(title).await.map_err(api_error)?;
    let current = bot.read_page(&parsed).await.map_err(api_error)?;
    let current_text = current.revision.as_ref().map(|revision| revision.text.trim());
    if current_text == Some(value) {
        debug!(wiki, title, "template already has the value");
        return Ok(None);
    }
    let outcome = bot
        .save_page(&parsed, value, messages::TEMPLATE_SUMMARY, &current.edit_base())
        .await
        .map_err(|source| StatsError::TemplateEdit {
            wiki: wiki.to_owned(),
            template: title.to_owned(),
            source: Box::new(source),
        })?;
    match outcome {
        EditOutcome::Saved { new_revid, .. } => Ok(Some(i64::try_from(new_revid).unwrap_or(i64::MAX))),
        EditOutcome::NoChange { .. } => Ok(None),
    }
}

async fn wiki_counts(pool: &PgPool, wiki: &str) -> Result<Counts, StatsError> {
    let row: Option<CountColumns> = sqlx::query_as(
        "SELECT pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, expected_without_scans \
         FROM stats_wiki_count WHERE wiki = $1",
    )
    .bind(wiki)
    .fetch_optional(pool)
    .await
    .map_err(StatsError::database("cannot read the wiki counts"))?;
    row.map(Counts::from)
        .ok_or_else(|| StatsError::UnknownWiki(messages::no_counts_for_templates(wiki)))
}

async fn last_saved_value(pool: &PgPool, wiki: &str, template: &str) -> Result<Option<String>, StatsError> {
    sqlx::query_scalar("SELECT value FROM stats_template_value WHERE wiki = $1 AND template = $2")
        .bind(wiki)
        .bind(template)
        .fetch_optional(pool)
        .await
        .map_err(StatsError::database("cannot read the last saved template value"))
}

async fn record_value(
    pool: &PgPool,
    wiki: &str,
    template: &str,
    value: &str,
    rev_id: Option<i64>,
) -> Result<(), StatsError> {
    sqlx::query(
        "INSERT INTO stats_template_value (wiki, template, value, rev_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (wiki, template) DO UPDATE SET \
             value = EXCLUDED.value, rev_id = COALESCE(EXCLUDED.rev_id, stats_template_value.rev_id), \
             saved_at = now()",
    )
    .bind(wiki)
    .bind(template)
    .bind(value)
    .bind(rev_id)
    .execute(pool)
    .await
    .map_err(StatsError::database("cannot record the saved template value"))?;
    Ok(())
}
