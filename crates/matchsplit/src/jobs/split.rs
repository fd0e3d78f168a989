//! The `split` job: reads the main page and every Page it marks, plans the split,
//! then saves the Pages, the referring pages and last the main page.
//!
//! The main page is saved only when every Page that needed an edit was saved: its
//! markers hold the only copy of the text of a Page that was not.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use phetools_proofread::{PageNamespace, QualityLevel};
use phetools_queue::{JobContext, JobError, JobHandler};
use phetools_wiki::{Bot, SiteData};
use serde::Serialize;
use serde_json::{json, Value};
use tracing::Instrument;

use super::shared::{namespace_name, wiki_error, ReadPage, Shared};
use crate::messages;
use crate::outcome::{Outcome, PageOutcome, PageRole};
use crate::request::{PageRequest, SPLIT_KIND};
use crate::split::{parse_markers, plan_split, CurrentPage, MarkedText, PlannedEdit, ReferringPage, SplitInput};

pub(crate) struct SplitHandler(pub Arc<Shared>);

#[async_trait]
impl JobHandler for SplitHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let request = PageRequest::from_job(SPLIT_KIND, &job.payload)?;
        let span = tracing::info_span!("split", job_id = job.job_id, kind = %job.kind, wiki = %request.wiki, title = %request.title);
        let report = run_split(&self.0, &job, &request).instrument(span).await?;
        serde_json::to_value(report).map_err(JobError::permanent)
    }
}

/// The result of a split job.
#[derive(Debug, Serialize)]
pub struct SplitReport {
    pub main: String,
    /// `false` when a page was not saved (conflict or failure).
    pub complete: bool,
    pub counts: HashMap<&'static str, usize>,
    pub pages: Vec<PageOutcome>,
}

async fn run_split(shared: &Shared, job: &JobContext, request: &PageRequest) -> Result<SplitReport, JobError> {
    let bot = shared.bot(&request.wiki)?;
    let site = bot.site().await.map_err(wiki_error)?;
    let namespace = PageNamespace::new([namespace_name(&site, site.proofread.page)]);

    let main = shared.read(&bot, &request.title).await?;
    let Some(text) = main.text() else {
        return Err(JobError::permanent(messages::main_page_missing(&main.title_text)));
    };
    shared.check_requester(&bot, &main, &request.user_name()).await?;
    let marked = parse_markers(text, &namespace)
        .ok_or_else(|| JobError::permanent(messages::no_split_markers(&main.title_text)))?;

    let reads = read_pages(shared, job, &bot, &site, &marked).await?;
    let identity = bot.identity().await.map_err(wiki_error)?;
    let plan = plan_split(&SplitInput {
        main_title: &main.title_text,
        main_revid: main.revid().unwrap_or_default(),
        marked: &marked,
        current: &reads.current,
        referring: &reads.referring,
        bot_user: &identity.user,
    });

    let summary = messages::split_summary(&request.user_name());
    let mut outcomes = plan.outcomes;
    let total = plan.edits.len();
    let mut pages_failed = 0;
    for (done, edit) in plan.edits.into_iter().enumerate() {
        if job.cancel.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        job.progress
            .report(json!({ "stage": "save", "done": done, "total": total }));
        let outcome = if edit.role == PageRole::Main && pages_failed > 0 {
            Outcome::Skipped {
                reason: messages::main_kept_after_failures(pages_failed),
            }
        } else {
            save_edit(shared, &bot, &main, &reads, &edit, &summary).await
        };
        if edit.role == PageRole::Page && outcome.is_failure() {
            pages_failed += 1;
        }
        outcomes.push(PageOutcome {
            title: edit.title,
            role: edit.role,
            outcome,
            notes: edit.notes,
        });
    }
    Ok(report(&main.title_text, outcomes))
}

/// The Pages and referring pages as read before planning.
struct Reads {
    current: HashMap<String, CurrentPage>,
    referring: HashMap<String, Vec<ReferringPage>>,
    /// Every page read, by the title the plan uses, for the save.
    pages: HashMap<String, ReadPage>,
}

async fn read_pages(
    shared: &Shared,
    job: &JobContext,
    bot: &Bot,
    site: &SiteData,
    marked: &MarkedText,
) -> Result<Reads, JobError> {
    let mut reads = Reads {
        current: HashMap::new(),
        referring: HashMap::new(),
        pages: HashMap::new(),
    };
    let last = marked.pages.len() - 1;
    for (i, marked_page) in marked.pages.iter().enumerate() {
        if job.cancel.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        job.progress
            .report(json!({ "stage": "read", "done": i, "total": marked.pages.len() }));
        if reads.pages.contains_key(&marked_page.title) {
            continue;
        }
        let page = shared.read(bot, &marked_page.title).await?;
        if let Some(revision) = &page.revision.revision {
            let quality = page
                .revision
                .quality
                .filter(|quality| quality.from_api)
                .and_then(|quality| QualityLevel::from_u8(quality.level));
            reads.current.insert(
                marked_page.title.clone(),
                CurrentPage {
                    revid: revision.revid,
                    wikitext: revision.text.clone(),
                    quality,
                },
            );
            if i == 0 || i == last {
                let referring = read_referring(shared, bot, site, &page, &mut reads.pages).await?;
                reads.referring.insert(marked_page.title.clone(), referring);
            }
        }
        reads.pages.insert(marked_page.title.clone(), page);
    }
    Ok(reads)
}

/// Reads the pages that transclude `page`.
async fn read_referring(
    shared: &Shared,
    bot: &Bot,
    site: &SiteData,
    page: &ReadPage,
    pages: &mut HashMap<String, ReadPage>,
) -> Result<Vec<ReferringPage>, JobError> {
    let titles = bot.transcluded_in(&page.title).await.map_err(wiki_error)?;
    let mut referring = Vec::new();
    for title in titles {
        let read = shared.read_title(bot, site, title).await?;
        if let (Some(text), Some(revid)) = (read.text(), read.revid()) {
            referring.push(ReferringPage {
                title: read.title_text.clone(),
                revid,
                wikitext: text.to_owned(),
            });
        }
        pages.insert(read.title_text.clone(), read);
    }
    Ok(referring)
}

async fn save_edit(
    shared: &Shared,
    bot: &Bot,
    main: &ReadPage,
    reads: &Reads,
    edit: &PlannedEdit,
    summary: &str,
) -> Outcome {
    let page = if edit.role == PageRole::Main {
        Some(main)
    } else {
        reads.pages.get(&edit.title)
    };
    match page {
        Some(page) => shared.save(bot, page, &edit.text, summary).await,
        None => Outcome::Failed {
            reason: messages::page_not_read(&edit.title),
        },
    }
}

fn report(main: &str, pages: Vec<PageOutcome>) -> SplitReport {
    let mut counts = HashMap::new();
    for page in &pages {
        let name = match page.outcome {
            Outcome::Created { .. } => "created",
            Outcome::Updated { .. } => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Conflict { .. } => "conflict",
            Outcome::Failed { .. } => "failed",
        };
        *counts.entry(name).or_insert(0) += 1;
    }
    SplitReport {
        main: main.to_owned(),
        complete: !pages.iter().any(|page| page.outcome.is_failure()),
        counts,
        pages,
    }
}
