//! Page edits that never overwrite someone else's work.
//!
//! Every edit names the revision it replaces ([`EditBase`]). The page is read
//! again just before the save, and a newer revision than the base is an
//! [`EditError::Conflict`]; MediaWiki's own `editconflict` covers an edit that
//! lands between that read and the save. A page
//! read as missing is created with `createonly`, a page read as existing is
//! saved with `nocreate`, so a page created or deleted in between is a
//! conflict too. The `{{bots}}`/`{{nobots}}` templates of the current text are
//! obeyed, edits of one wiki are spaced by its pacer, and `bot=1` marks them
//! when the account has the bot right.

use mwtitle::Title;
use serde_json::Value;
use tracing::{info, instrument};

use crate::bot::Bot;
use crate::client::WikiError;
use crate::messages;
use crate::nobots::bots_allowed;
use crate::session::AssertMode;

/// The revision an edit replaces, from the read the new text was made from.
/// [`PageRevision::edit_base`](crate::PageRevision::edit_base) builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditBase {
    /// Latest revision when read; `None` when the page did not exist.
    pub base_revid: Option<u64>,
    /// Time of that revision (`basetimestamp`).
    pub base_timestamp: Option<String>,
    /// Server time of the read (`starttimestamp`): a deletion after it is a
    /// conflict. Empty means unknown, and the parameter is left out.
    pub start_timestamp: String,
}

/// A successful edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// A new revision was saved.
    Saved {
        page_id: u64,
        /// `None` when the edit created the page.
        old_revid: Option<u64>,
        new_revid: u64,
        new_timestamp: String,
    },
    /// The text equals the current text; MediaWiki saved nothing (`nochange`).
    NoChange { page_id: u64 },
}

/// An edit that was not saved.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{}", messages::edit_conflict(.domain, .title, *.base_revid))]
    Conflict {
        domain: String,
        title: String,
        base_revid: Option<u64>,
    },
    #[error("{}", messages::page_created_meanwhile(.domain, .title))]
    PageExists { domain: String, title: String },
    #[error("{}", messages::page_missing(.domain, .title))]
    PageMissing { domain: String, title: String },
    #[error("{}", messages::bots_excluded(.domain, .title, .user))]
    BotsExcluded {
        domain: String,
        title: String,
        user: String,
    },
    #[error("{}", messages::edit_rejected(.domain, .title, .code, .text))]
    Rejected {
        domain: String,
        title: String,
        code: String,
        text: String,
    },
    #[error(transparent)]
    Wiki(#[from] WikiError),
}

impl EditError {
    /// Returns `true` when the same edit may succeed later without a new read.
    pub fn is_retryable(&self) -> bool {
        match self {
            EditError::Wiki(error) => error.is_retryable_write(),
            _ => false,
        }
    }
}

impl Bot {
    /// Saves `text` on `title` in place of the revision of `base`.
    ///
    /// Waits for the pacer of the wiki, checks `{{bots}}`/`{{nobots}}` on the
    /// current text, then sends the edit with `baserevid`, `basetimestamp`
    /// and `starttimestamp`. A stale CSRF token is refreshed and the edit sent
    /// once more; lag, read-only mode and rate limits are retried within the
    /// configured bounds.
    #[instrument(skip(self, title, text, summary, base), fields(wiki = %self.domain, title = %title.dbkey(), ns = title.namespace()))]
    pub async fn save_page(
        &self,
        title: &Title,
        text: &str,
        summary: &str,
        base: &EditBase,
    ) -> Result<EditOutcome, EditError> {
        let site = self.site().await?;
        let title_text = site.title_text(title);
        let identity = self.identity().await?;
        self.check_before_save(title, &title_text, &identity.user, base).await?;

        let mut params: Vec<(&str, &str)> = vec![
            ("action", "edit"),
            ("title", &title_text),
            ("text", text),
            ("summary", summary),
        ];
        if !base.start_timestamp.is_empty() {
            params.push(("starttimestamp", &base.start_timestamp));
        }
        let base_revid = base.base_revid.map(|revid| revid.to_string());
        match (&base_revid, &base.base_timestamp) {
            (Some(revid), timestamp) => {
                params.push(("baserevid", revid));
                params.push(("nocreate", "1"));
                if let Some(timestamp) = timestamp {
                    params.push(("basetimestamp", timestamp));
                }
            }
            (None, _) => params.push(("createonly", "1")),
        }
        if identity.assert == AssertMode::Bot {
            params.push(("bot", "1"));
        }

        self.wait_for_edit_slot().await;
        let response = self
            .session
            .write(&params)
            .await
            .map_err(|error| self.edit_error(&title_text, base.base_revid, error))?;
        let outcome = parse_edit_response(&self.domain, &title_text, &response)?;
        info!(outcome = ?outcome, "page saved");
        Ok(outcome)
    }

    /// Creates `title` with `text`; fails with [`EditError::PageExists`] when the page exists.
    pub async fn create_page(&self, title: &Title, text: &str, summary: &str) -> Result<EditOutcome, EditError> {
        let base = EditBase {
            base_revid: None,
            base_timestamp: None,
            start_timestamp: String::new(),
        };
        self.save_page(title, text, summary, &base).await
    }

    /// Reads the current revision, then rejects the edit when the page changed
    /// since `base` was read or its `{{bots}}`/`{{nobots}}` templates exclude `user`.
    ///
    /// MediaWiki alone does not catch every conflict: it compares `basetimestamp`
    /// with the latest revision's timestamp, which has one-second resolution, and
    /// it merges edits to other parts of the text without reporting them. Both
    /// would let a save replace text the job never read.
    async fn check_before_save(
        &self,
        title: &Title,
        title_text: &str,
        user: &str,
        base: &EditBase,
    ) -> Result<(), EditError> {
        let current = self.read_page(title).await?;
        let current_revid = current.revision.as_ref().map(|revision| revision.revid);
        if base.base_revid.is_some() && current_revid != base.base_revid {
            return Err(EditError::Conflict {
                domain: self.domain.clone(),
                title: title_text.to_owned(),
                base_revid: base.base_revid,
            });
        }
        let Some(revision) = &current.revision else {
            return Ok(());
        };
        if bots_allowed(&revision.text, user) {
            return Ok(());
        }
        Err(EditError::BotsExcluded {
            domain: self.domain.clone(),
            title: title_text.to_owned(),
            user: user.to_owned(),
        })
    }

    fn edit_error(&self, title: &str, base_revid: Option<u64>, error: WikiError) -> EditError {
        let domain = self.domain.clone();
        let title = title.to_owned();
        let WikiError::Api { code, text, .. } = error else {
            return EditError::Wiki(error);
        };
        match code.as_str() {
            "editconflict" | "pagedeleted" => EditError::Conflict {
                domain,
                title,
                base_revid,
            },
            "articleexists" => EditError::PageExists { domain, title },
            "missingtitle" => EditError::PageMissing { domain, title },
            _ => EditError::Rejected {
                domain,
                title,
                code,
                text,
            },
        }
    }
}

fn parse_edit_response(domain: &str, title: &str, response: &Value) -> Result<EditOutcome, EditError> {
    let edit = &response["edit"];
    let unexpected = || {
        EditError::Wiki(WikiError::UnexpectedResponse {
            domain: domain.to_owned(),
            detail: format!("edit of {title} returned {edit}"),
        })
    };
    if edit["result"] != "Success" {
        // A failed edit without an error code comes from an extension hook
        // (e.g. a CAPTCHA or AbuseFilter) and carries its details in `edit`.
        return Err(EditError::Rejected {
            domain: domain.to_owned(),
            title: title.to_owned(),
            code: edit["result"].as_str().unwrap_or("unknown").to_owned(),
            text: edit.to_string(),
        });
    }
    let page_id = edit["pageid"].as_u64().ok_or_else(unexpected)?;
    if edit["nochange"].as_bool() == Some(true) {
        return Ok(EditOutcome::NoChange { page_id });
    }
    Ok(EditOutcome::Saved {
        page_id,
        old_revid: edit["oldrevid"].as_u64().filter(|revid| *revid != 0),
        new_revid: edit["newrevid"].as_u64().ok_or_else(unexpected)?,
        new_timestamp: edit["newtimestamp"].as_str().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_fixtures::api_response as fixture;

    #[test]
    fn recorded_success_parsed() {
        let outcome = parse_edit_response("x", "Page:Test.djvu/1", &fixture("edit-update-success.json")).unwrap();
        assert_eq!(
            outcome,
            EditOutcome::Saved {
                page_id: 4,
                old_revid: Some(5),
                new_revid: 6,
                new_timestamp: "2026-12-04T20:15:12Z".to_owned(),
            }
        );
    }

    #[test]
    fn recorded_creation_has_no_old_revid() {
        let outcome = parse_edit_response("x", "Page:Test.djvu/1", &fixture("edit-create-success.json")).unwrap();
        let EditOutcome::Saved { old_revid, .. } = outcome else {
            panic!("expected Saved, got {outcome:?}");
        };
        assert_eq!(old_revid, None);
    }

    #[test]
    fn recorded_nochange_recognised() {
        let outcome = parse_edit_response("x", "Page:Test.djvu/1", &fixture("edit-nochange.json")).unwrap();
        assert_eq!(outcome, EditOutcome::NoChange { page_id: 4 });
    }

    #[test]
    fn failure_result_rejected() {
        let response = serde_json::json!({"edit": {"result": "Failure", "captcha": {"type": "image"}}});
        let error = parse_edit_response("x", "Sandbox", &response).unwrap_err();
        assert!(
            matches!(error, EditError::Rejected { ref code, .. } if code == "Failure"),
            "{error:?}"
        );
    }
}
