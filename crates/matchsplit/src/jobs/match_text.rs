//! The `match` job: aligns the text after the Match tag of a main page with the
//! text layer of the scan, and saves the page with a marker before each Page's text.

use std::sync::Arc;

use async_trait::async_trait;
use phetools_align::{match_page, parse_match_tag};
use phetools_queue::{JobContext, JobError, JobHandler};
use serde_json::{json, Value};
use tracing::Instrument;

use super::shared::{namespace_name, wiki_error, Shared};
use crate::messages;
use crate::outcome::{Outcome, PageOutcome, PageRole};
use crate::request::{PageRequest, MATCH_KIND};

pub(crate) struct MatchHandler(pub Arc<Shared>);

#[async_trait]
impl JobHandler for MatchHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let request = PageRequest::from_job(MATCH_KIND, &job.payload)?;
        let span = tracing::info_span!("match", job_id = job.job_id, kind = %job.kind, wiki = %request.wiki, title = %request.title);
        run_match(&self.0, &job, &request).instrument(span).await
    }
}

async fn run_match(shared: &Shared, job: &JobContext, request: &PageRequest) -> Result<Value, JobError> {
    let bot = shared.bot(&request.wiki)?;
    let site = bot.site().await.map_err(wiki_error)?;
    let page_namespace = namespace_name(&site, site.proofread.page);

    let main = shared.read(&bot, &request.title).await?;
    let Some(text) = main.text() else {
        return Err(JobError::permanent(messages::main_page_missing(&main.title_text)));
    };
    shared.check_requester(&bot, &main, &request.user_name()).await?;
    if text.contains("{{R2Mondes") {
        return Err(JobError::permanent(messages::r2mondes_unsupported()));
    }

    let names = [page_namespace.as_str()];
    let tagged = parse_match_tag(text, &names).map_err(JobError::permanent)?;
    let pages = shared.text_layer(job, &request.wiki, &tagged.tag.file).await?;
    let new_text = match_page(text, &names, &page_namespace, &pages).map_err(JobError::permanent)?;

    job.progress.report(json!({ "stage": "save" }));
    let summary = messages::match_summary(&request.user_name());
    let outcome = shared.save(&bot, &main, &new_text, &summary).await;
    if let Outcome::Conflict { reason } | Outcome::Failed { reason } = &outcome {
        return Err(JobError::permanent(messages::match_not_saved(reason)));
    }
    let markers = new_text.matches(&format!("==[[{page_namespace}:")).count();
    let result = PageOutcome {
        title: main.title_text.clone(),
        role: PageRole::Main,
        outcome,
        notes: Vec::new(),
    };
    Ok(json!({ "main": result, "file": tagged.tag.file, "markers": markers }))
}
