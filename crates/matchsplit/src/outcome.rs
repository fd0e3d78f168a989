//! The outcome of each page a job read or wrote, as stored in the job's `result`.

use serde::{Deserialize, Serialize};

/// The outcome of one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// The page did not exist and was created.
    Created { revid: u64 },
    /// The page was saved over its previous revision.
    Updated { revid: u64 },
    /// The new text equals the current one: no edit was needed.
    Unchanged,
    /// The page was left as it is, on purpose.
    Skipped { reason: String },
    /// Someone edited the page between the read and the save. Their text was kept.
    Conflict { reason: String },
    /// The save failed.
    Failed { reason: String },
}

impl Outcome {
    /// Returns whether the outcome must turn the legacy reply into an error.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Conflict { .. } | Outcome::Failed { .. })
    }
}

/// The outcome of one page, with its title and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageOutcome {
    pub title: String,
    pub role: PageRole,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Remarks that do not change the outcome, such as a referring page left unadjusted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The reason a job touches a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageRole {
    /// The main-namespace page carrying the Match tag or the split markers.
    Main,
    /// A page of the Page namespace.
    Page,
    /// A page whose `<pages>` tag transcludes a boundary page of the split.
    Referring,
    /// A page the job writes for the user (`User:<name>/Text`, a `/Diff` talk page).
    Report,
}
