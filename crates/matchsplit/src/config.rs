//! Settings of Match & Split, extract and verify (`[match_split]` of the configuration file).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::verify::{RulesError, VerifyConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchSplitConfig {
    /// Maximum wait of a request of the old `.php` endpoints for its job, in
    /// seconds. The job goes on after that, and the reply names its status URL.
    pub legacy_wait_seconds: f64,
    /// Rules file of verify match in the format of `verify-rules.toml`; `None`
    /// uses the rules compiled into the binary.
    pub verify_rules_path: Option<PathBuf>,
}

impl Default for MatchSplitConfig {
    fn default() -> Self {
        MatchSplitConfig {
            // The old PHP front-end gave up on its daemon after 600 s.
            legacy_wait_seconds: 600.0,
            verify_rules_path: None,
        }
    }
}

impl MatchSplitConfig {
    pub fn legacy_wait(&self) -> Duration {
        Duration::from_secs_f64(self.legacy_wait_seconds)
    }

    /// Checks the values; returns the message naming the key of the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.legacy_wait_seconds.is_finite() && (0.0..=3600.0).contains(&self.legacy_wait_seconds)) {
            return Err(crate::messages::invalid_legacy_wait(self.legacy_wait_seconds));
        }
        Ok(())
    }

    /// Reads the verify rules: the configured file, or the shipped rules.
    pub fn verify_rules(&self) -> Result<VerifyConfig, RulesError> {
        match &self.verify_rules_path {
            Some(path) => VerifyConfig::load(path),
            None => Ok(VerifyConfig::shipped()),
        }
    }
}
