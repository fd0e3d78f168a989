//! The queue job that carries a [`RecheckRequest`].

use phetools_queue::NewJob;

use crate::events::RecheckRequest;

/// Job kind of a transclusion re-check.
pub const RECHECK_JOB_KIND: &str = "stats_recheck";

/// Below every other kind: the counts can wait, uploads and Page editor requests cannot.
pub const RECHECK_PRIORITY: i16 = -50;

/// Builds the job of `request`. The dedupe key names the wiki and the page, so
/// that edits in a row while a re-check is queued add no second job.
pub fn recheck_job(request: &RecheckRequest) -> NewJob {
    let target = if request.is_index() { "index" } else { "main" };
    let payload = serde_json::to_value(request).unwrap_or_default();
    NewJob::new(RECHECK_JOB_KIND, payload)
        .priority(RECHECK_PRIORITY)
        .dedupe_key(format!(
            "{RECHECK_JOB_KIND}:{}:{target}:{}",
            request.wiki, request.title
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::RecheckReason;

    #[test]
    fn dedupe_key_names_wiki_and_page() {
        let request = RecheckRequest {
            wiki: "enwikisource".to_owned(),
            title: "Book".to_owned(),
            page_id: Some(5),
            reason: RecheckReason::MainEdited,
        };
        let job = recheck_job(&request);
        assert_eq!(job.kind, "stats_recheck");
        assert_eq!(job.dedupe_key.as_deref(), Some("stats_recheck:enwikisource:main:Book"));
        assert_eq!(job.payload["reason"], "main_edited");
        let index = RecheckRequest {
            reason: RecheckReason::IndexEdited,
            ..request
        };
        assert_eq!(
            recheck_job(&index).dedupe_key.as_deref(),
            Some("stats_recheck:enwikisource:index:Book")
        );
    }
}
