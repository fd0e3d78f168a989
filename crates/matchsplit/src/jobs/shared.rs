//! Parts common to the four jobs: the bots, text layers, reads, the requester check and saves.

use std::sync::Arc;

use async_trait::async_trait;
use phetools_queue::{JobContext, JobError, JobHandler, ProgressReporter};
use phetools_textlayer::{StoreError, TextLayerHandler, TextLayerStore};
use phetools_wiki::{
    Bot, EditBase, EditError, EditOutcome, PageRevision, SiteData, Title, WikiBots, WikiClient, WikiError,
};
use serde_json::json;
use tracing::{info, warn};

use crate::messages;
use crate::outcome::Outcome;
use crate::verify::VerifyConfig;

/// Runs before every save of a job. Tests use it to edit a page between the job's
/// read and its save.
#[async_trait]
pub trait EditHook: Send + Sync {
    async fn before_save(&self, wiki: &str, title: &str);
}

pub(crate) struct Shared {
    pub bots: Arc<WikiBots>,
    /// Anonymous reads that the bot's page reads do not cover (edit summaries).
    pub client: Arc<WikiClient>,
    pub text_layers: TextLayerHandler,
    pub store: TextLayerStore,
    pub verify_rules: VerifyConfig,
    pub edit_hook: Option<Arc<dyn EditHook>>,
}

/// A page as read, with the title the save needs.
pub(crate) struct ReadPage {
    pub title: Title,
    pub title_text: String,
    pub revision: PageRevision,
}

impl ReadPage {
    pub fn text(&self) -> Option<&str> {
        self.revision.revision.as_ref().map(|revision| revision.text.as_str())
    }

    pub fn revid(&self) -> Option<u64> {
        self.revision.revision.as_ref().map(|revision| revision.revid)
    }
}

impl Shared {
    pub fn bot(&self, wiki: &str) -> Result<Arc<Bot>, JobError> {
        self.bots.bot(wiki).map_err(wiki_error)
    }

    /// Parses `title` on the bot's wiki and reads its latest revision.
    pub async fn read(&self, bot: &Bot, title: &str) -> Result<ReadPage, JobError> {
        let site = bot.site().await.map_err(wiki_error)?;
        let parsed = site.parse_title(bot.domain(), title).map_err(wiki_error)?;
        self.read_title(bot, &site, parsed).await
    }

    pub async fn read_title(&self, bot: &Bot, site: &SiteData, title: Title) -> Result<ReadPage, JobError> {
        let revision = bot.read_page(&title).await.map_err(wiki_error)?;
        Ok(ReadPage {
            title_text: site.title_text(&title),
            title,
            revision,
        })
    }

    /// Returns the text of every page of `file` (`pages[0]` is page 1), extracting
    /// and storing the text layer first when the current version of the file has none.
    pub async fn text_layer(&self, job: &JobContext, wiki: &str, file: &str) -> Result<Vec<String>, JobError> {
        let extraction = JobContext {
            job_id: job.job_id,
            kind: phetools_textlayer::JOB_KIND.to_owned(),
            payload: json!({ "wiki": wiki, "file": file, "reason": format!("{} job {}", job.kind, job.job_id) }),
            attempt: 1,
            max_attempts: 1,
            cancel: job.cancel.clone(),
            progress: ProgressReporter::detached(),
        };
        job.progress.report(json!({ "stage": "text layer", "file": file }));
        // The text_layer handler looks the file up, and downloads and extracts it only
        // when the stored text layer is not of its current version.
        self.text_layers
            .run(extraction)
            .await
            .map_err(|error| relabel(error, |message| messages::text_layer_failed(file, message)))?;
        let text = self.store.file_text(wiki, file).await.map_err(|error| match error {
            StoreError::Database(_) => JobError::retryable(messages::text_layer_failed(file, &error.to_string())),
            other => JobError::permanent(messages::text_layer_failed(file, &other.to_string())),
        })?;
        Ok(text.pages)
    }

    /// Rejects the request unless `user` made the latest revision of `page`, or
    /// the bot did with the summary of a match that `user` requested. The bot edits
    /// in the requester's name, so only the author of the markers may ask.
    pub async fn check_requester(&self, bot: &Bot, page: &ReadPage, user: &str) -> Result<(), JobError> {
        if page.revision.last_edited_by(user) {
            return Ok(());
        }
        let bot_user = bot.identity().await.map_err(wiki_error)?.user;
        if page.revision.last_edited_by(&bot_user) {
            if let Some(revid) = page.revid() {
                if self.revision_comment(bot.domain(), revid).await? == messages::match_summary(user) {
                    return Ok(());
                }
            }
        }
        let last = page
            .revision
            .revision
            .as_ref()
            .map(|revision| revision.user.as_str())
            .unwrap_or_default();
        Err(JobError::permanent(messages::not_last_editor(
            user,
            &page.title_text,
            last,
        )))
    }

    async fn revision_comment(&self, wiki: &str, revid: u64) -> Result<String, JobError> {
        let revid = revid.to_string();
        let response = self
            .client
            .query(
                wiki,
                &[
                    ("action", "query"),
                    ("prop", "revisions"),
                    ("revids", &revid),
                    ("rvprop", "comment"),
                ],
            )
            .await
            .map_err(wiki_error)?;
        Ok(response["query"]["pages"][0]["revisions"][0]["comment"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Saves `text` on a page read earlier, against the revision of that read, and
    /// returns its outcome. A concurrent edit gives [`Outcome::Conflict`].
    pub async fn save(&self, bot: &Bot, page: &ReadPage, text: &str, summary: &str) -> Outcome {
        self.save_on(
            bot,
            &page.title,
            &page.title_text,
            text,
            summary,
            &page.revision.edit_base(),
        )
        .await
    }

    pub async fn save_on(
        &self,
        bot: &Bot,
        title: &Title,
        title_text: &str,
        text: &str,
        summary: &str,
        base: &EditBase,
    ) -> Outcome {
        if let Some(hook) = &self.edit_hook {
            hook.before_save(bot.domain(), title_text).await;
        }
        let result = bot.save_page(title, text, summary, base).await;
        let outcome = edit_outcome(result);
        match &outcome {
            Outcome::Conflict { reason } | Outcome::Failed { reason } => {
                warn!(wiki = bot.domain(), title = title_text, reason, "page not saved");
            }
            other => info!(wiki = bot.domain(), title = title_text, outcome = ?other, "page saved"),
        }
        outcome
    }
}

fn edit_outcome(result: Result<EditOutcome, EditError>) -> Outcome {
    match result {
        Ok(EditOutcome::Saved {
            old_revid: None,
            new_revid,
            ..
        }) => Outcome::Created { revid: new_revid },
        Ok(EditOutcome::Saved { new_revid, .. }) => Outcome::Updated { revid: new_revid },
        Ok(EditOutcome::NoChange { .. }) => Outcome::Unchanged,
        Err(error @ (EditError::Conflict { .. } | EditError::PageExists { .. } | EditError::PageMissing { .. })) => {
            Outcome::Conflict {
                reason: error.to_string(),
            }
        }
        Err(error) => Outcome::Failed {
            reason: error.to_string(),
        },
    }
}

/// Returns the localized name of namespace `id` on the wiki, such as `Page` or `Seite`.
pub(crate) fn namespace_name(site: &SiteData, id: i32) -> String {
    site.codec
        .namespace_map()
        .get_name(id)
        .map(str::to_owned)
        .unwrap_or_default()
}

pub(crate) fn wiki_error(error: WikiError) -> JobError {
    if error.is_retryable() {
        JobError::retryable(error)
    } else {
        JobError::permanent(error)
    }
}

/// Rewrites the message of `error` and keeps its kind.
fn relabel(error: JobError, label: impl Fn(&str) -> String) -> JobError {
    match error {
        JobError::Retryable(message) => JobError::Retryable(label(&message)),
        JobError::Permanent(message) => JobError::Permanent(label(&message)),
        JobError::Cancelled => JobError::Cancelled,
    }
}
