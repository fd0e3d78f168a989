//! Kinds of the four jobs and the payload they share: what the web server enqueues.

use phetools_queue::{JobError, NewJob};
use serde::{Deserialize, Serialize};

use crate::messages;

pub const MATCH_KIND: &str = "match";
pub const SPLIT_KIND: &str = "split";
pub const EXTRACT_KIND: &str = "extract_text_layer";
pub const VERIFY_KIND: &str = "verify_match";

/// Priority of these jobs: a person waits for each of them, so they go before the
/// background text-layer jobs (priority 0).
pub const JOB_PRIORITY: i16 = 50;

/// Attempts of one job. A later attempt reads every page again, so pages saved by an
/// earlier one come out unchanged.
const MAX_ATTEMPTS: i32 = 3;

/// Payload of the four jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageRequest {
    /// Domain of the wiki, such as `fr.wikisource.org`.
    pub wiki: String,
    /// The main page (match, split), the file (extract) or the book or Index (verify).
    pub title: String,
    /// The user who asked, named in edit summaries.
    pub user: String,
    /// Host name of the wiki the request came from, as old gadgets send it; logged only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

impl PageRequest {
    /// Builds the job of `kind`. Its dedupe key names the kind, wiki and title, so
    /// a second request while the first is queued or running joins it.
    pub fn new_job(&self, kind: &str) -> NewJob {
        let payload = serde_json::to_value(self).expect("a struct of strings serializes");
        NewJob::new(kind, payload)
            .priority(JOB_PRIORITY)
            .max_attempts(MAX_ATTEMPTS)
            .dedupe_key(format!("{kind}:{}:{}", self.wiki, self.title.replace(' ', "_")))
    }

    /// Reads and checks the payload of a job of `kind`.
    pub fn from_job(kind: &str, payload: &serde_json::Value) -> Result<Self, JobError> {
        let request: PageRequest = serde_json::from_value(payload.clone())
            .map_err(|error| JobError::permanent(messages::invalid_payload(kind, payload, &error.to_string())))?;
        for (name, value) in [
            ("wiki", &request.wiki),
            ("title", &request.title),
            ("user", &request.user),
        ] {
            if value.trim().is_empty() {
                return Err(JobError::permanent(messages::empty_payload_field(kind, name)));
            }
        }
        Ok(request)
    }

    /// Returns the user name as MediaWiki writes it, with spaces.
    pub fn user_name(&self) -> String {
        self.user.trim().replace('_', " ")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn job_dedupes_on_kind_wiki_and_title() {
        let request = PageRequest {
            wiki: "fr.wikisource.org".to_owned(),
            title: "Le Livre".to_owned(),
            user: "Ann".to_owned(),
            server: None,
        };

        let job = request.new_job(SPLIT_KIND);

        assert_eq!(job.dedupe_key.as_deref(), Some("split:fr.wikisource.org:Le_Livre"));
        assert_eq!(job.priority, JOB_PRIORITY);
    }

    #[test]
    fn payload_needs_every_field() {
        let error = PageRequest::from_job(MATCH_KIND, &json!({"wiki": "x", "title": "", "user": "u"})).unwrap_err();

        assert!(error.to_string().contains("title"), "{error}");
        assert!(PageRequest::from_job(MATCH_KIND, &json!({"wiki": "x"})).is_err());
    }
}
