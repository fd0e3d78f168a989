//! The `verify_match` job: compares every Page of a book with the text layer of
//! its file page and writes the differences to the talk page of `<title>/Diff`.

use std::sync::Arc;

use async_trait::async_trait;
use phetools_proofread::digits::parse_u32;
use phetools_queue::{JobContext, JobError, JobHandler};
use serde_json::{json, Value};
use tracing::Instrument;

use super::shared::{namespace_name, wiki_error, Shared};
use crate::messages;
use crate::outcome::{Outcome, PageOutcome, PageRole};
use crate::request::{PageRequest, VERIFY_KIND};
use crate::verify::{diff_pages, write_report, BookPage, ReportTitles};

/// Pages that carry this template were imported from another wiki and have no
/// text layer of their own to compare with.
const IMPORTED_PAGE_TEMPLATE: &str = "{{iwpage";

pub(crate) struct VerifyHandler(pub Arc<Shared>);

#[async_trait]
impl JobHandler for VerifyHandler {
    async fn run(&self, job: JobContext) -> Result<Value, JobError> {
        let request = PageRequest::from_job(VERIFY_KIND, &job.payload)?;
        let span = tracing::info_span!("verify_match", job_id = job.job_id, kind = %job.kind, wiki = %request.wiki, title = %request.title);
        run_verify(&self.0, &job, &request).instrument(span).await
    }
}

async fn run_verify(shared: &Shared, job: &JobContext, request: &PageRequest) -> Result<Value, JobError> {
    let bot = shared.bot(&request.wiki)?;
    let site = bot.site().await.map_err(wiki_error)?;
    let rules = shared.verify_rules.rules_for(&request.wiki);
    let page_namespace = namespace_name(&site, site.proofread.page);
    let index_namespace = namespace_name(&site, site.proofread.index);

    let title = site.parse_title(bot.domain(), &request.title).map_err(wiki_error)?;
    let book = title.dbkey().to_owned();
    let book_name = book.replace('_', " ");

    let titles = bot
        .pages_with_prefix(site.proofread.page, &format!("{book}/"))
        .await
        .map_err(wiki_error)?;
    if titles.is_empty() {
        return Err(JobError::permanent(messages::no_pages_of_book(
            &page_namespace,
            &book_name,
        )));
    }
    let text_layer = shared.text_layer(job, &request.wiki, &book).await?;

    let mut pages = Vec::new();
    for (done, page_title) in titles.into_iter().enumerate() {
        if job.cancel.is_cancelled() {
            return Err(JobError::Cancelled);
        }
        job.progress.report(json!({ "stage": "read", "done": done }));
        let Some(number) = page_title
            .dbkey()
            .rsplit_once('/')
            .and_then(|(_, number)| parse_u32(number).ok())
        else {
            continue;
        };
        let read = shared.read_title(&bot, &site, page_title).await?;
        let Some(text) = read.text().filter(|text| !text.contains(IMPORTED_PAGE_TEMPLATE)) else {
            continue;
        };
        let Some(layer) = (number as usize).checked_sub(1).and_then(|index| text_layer.get(index)) else {
            continue;
        };
        pages.push((number, text.to_owned(), layer.clone()));
    }
    pages.sort_by_key(|(number, ..)| *number);

    let book_pages: Vec<BookPage<'_>> = pages
        .iter()
        .map(|(page, wikitext, text_layer)| BookPage {
            page: *page,
            wikitext,
            text_layer,
        })
        .collect();
    let diffs = diff_pages(rules, &book_pages);
    let report = write_report(
        rules,
        ReportTitles {
            index_namespace: &index_namespace,
            page_namespace: &page_namespace,
            book: &book_name,
        },
        &diffs,
    );

    let talk_namespace = namespace_name(&site, title.namespace() | 1);
    let target_name = format!("{talk_namespace}:{}/Diff", title.dbkey());
    let target = shared.read(&bot, &target_name).await?;
    job.progress.report(json!({ "stage": "save" }));
    let outcome = shared.save(&bot, &target, &report.wikitext, &rules.summary).await;
    if let Outcome::Conflict { reason } | Outcome::Failed { reason } = &outcome {
        return Err(JobError::permanent(messages::verify_not_saved(reason)));
    }
    let pages_with_differences = diffs.iter().filter(|diff| !diff.hunks.is_empty()).count();
    let result = PageOutcome {
        title: target.title_text.clone(),
        role: PageRole::Report,
        outcome,
        notes: Vec::new(),
    };
    Ok(json!({
        "report": result,
        "pages_compared": diffs.len(),
        "pages_with_differences": pages_with_differences,
        "truncated": report.truncated,
    }))
}
