//! The `extract_text_layer` job: writes the text layer of a file to
//! `User:<user>/Text` with a split marker before each page, ready to be edited and
//! split.

use std::sync::Arc;

use async_trait::async_trait;
use phetools_align::text_layer_document;
use phetools_queue::{JobContext, JobError, JobHandler};
use serde_json::{json, Value};
use tracing::Instrument;

use super::shared::{namespace_name, wiki_error, Shared};
use crate::messages;
use crate::outcome::{Outcome, PageOutcome, PageRole};
use crate::request::{PageRequest, EXTRACT_KIND};

pub(crate) struct ExtractHandler(pub Arc<Shared>);

#[async_trait]
impl JobHandler for ExtractHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let request = PageRequest::from_job(EXTRACT_KIND, &job.payload)?;
        let span = tracing::info_span!("extract_text_layer", job_id = job.job_id, kind = %job.kind, wiki = %request.wiki, title = %request.title);
        run_extract(&self.0, &job, &request).instrument(span).await
    }
}

async fn run_extract(shared: &Shared, job: &JobContext, request: &PageRequest) -> Result<Value, JobError> {
    let bot = shared.bot(&request.wiki)?;
    let site = bot.site().await.map_err(wiki_error)?;
    let page_namespace = namespace_name(&site, site.proofread.page);
    let file = request.title.trim();
    let file = file
        .split_once(':')
        .filter(|(namespace, _)| site.codec.namespace_map().get_id(*namespace) == Some(phetools_wiki::NS_FILE))
        .map_or(file, |(_, name)| name);

    let pages = shared.text_layer(job, &request.wiki, file).await?;
    let document = text_layer_document(&page_namespace, file, &pages);

    let user = request.user_name();
    let target = shared.read(&bot, &format!("User:{user}/Text")).await?;
    let bot_user = bot.identity().await.map_err(wiki_error)?.user;
    if target.revision.exists() && !target.revision.last_edited_by(&user) && !target.revision.last_edited_by(&bot_user)
    {
        let last = target
            .revision
            .revision
            .as_ref()
            .map(|revision| revision.user.clone())
            .unwrap_or_default();
        return Err(JobError::permanent(messages::extract_target_taken(
            &target.title_text,
            &last,
        )));
    }

    job.progress.report(json!({ "stage": "save" }));
    let outcome = shared.save(&bot, &target, &document, messages::EXTRACT_SUMMARY).await;
    if let Outcome::Conflict { reason } | Outcome::Failed { reason } = &outcome {
        return Err(JobError::permanent(messages::extract_not_saved(reason)));
    }
    let result = PageOutcome {
        title: target.title_text.clone(),
        role: PageRole::Report,
        outcome,
        notes: Vec::new(),
    };
    Ok(json!({ "report": result, "file": file, "pages": pages.len() }))
}
