//! Per-wiki rules of verify match: how wikitext and text layer are normalised
//! before the word diff, which differences are noise, and the report's wording.
//!
//! The rules ship in `verify-rules.toml` beside this crate's `Cargo.toml`, compiled
//! into the binary. Its format:
//!
//! ```toml
//! default = "fr.wikisource.org"      # rules used by wikis without their own table
//!
//! [wiki."fr.wikisource.org"]
//! summary = "Mise à jour"            # edit summary of the report page
//! truncated_warning = "…"            # bold line put first when the report is cut
//! max_report_chars = 1000000
//! replacements = [["’", "'"]]        # literal replacements, both texts, in order
//! unknown_templates = "drop"         # drop | first | last | name | all
//! header_number_templates = ["Nr"]   # their parameters are the running header
//! max_noise_chars = 3                # short hunks with a digit are noise
//! confusions = [["CLANS", "DANS"]]   # OCR word, wiki word: a known OCR misreading
//!
//! [wiki."fr.wikisource.org".templates]
//! c = "first"                        # {{c|text}} becomes text
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::messages;

/// The rules file compiled into the binary.
const SHIPPED_RULES: &str = include_str!("../../verify-rules.toml");

/// The replacement of a template call in the normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateAction {
    /// Removed with its parameters.
    Drop,
    /// Its first positional parameter.
    First,
    /// Its last positional parameter.
    Last,
    /// The template's own name, as for `{{er}}` printed as "er".
    Name,
    /// Every positional parameter, separated by spaces.
    All,
}

/// Rules of one wiki.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRules {
    pub summary: String,
    pub truncated_warning: String,
    pub max_report_chars: usize,
    #[serde(default)]
    pub replacements: Vec<(String, String)>,
    #[serde(default = "default_unknown_templates")]
    pub unknown_templates: TemplateAction,
    /// Template names (first letter case-insensitive, as MediaWiki compares them)
    /// and their action.
    #[serde(default)]
    pub templates: BTreeMap<String, TemplateAction>,
    #[serde(default)]
    pub header_number_templates: Vec<String>,
    pub max_noise_chars: usize,
    #[serde(default)]
    pub confusions: Vec<(String, String)>,
}

fn default_unknown_templates() -> TemplateAction {
    TemplateAction::Drop
}

impl VerifyRules {
    /// Returns the action for the template `name`.
    pub fn template_action(&self, name: &str) -> TemplateAction {
        let key = template_key(name);
        self.templates
            .iter()
            .find(|(rule, _)| template_key(rule) == key)
            .map_or(self.unknown_templates, |(_, action)| *action)
    }

    /// Returns whether `name` is a running-header template such as `{{Nr|…}}`.
    pub fn is_header_number_template(&self, name: &str) -> bool {
        let key = template_key(name);
        self.header_number_templates
            .iter()
            .any(|rule| template_key(rule) == key)
    }

    /// Returns whether the pair (text-layer words, wiki words) is a known OCR misreading.
    pub fn is_confusion(&self, ocr: &str, wiki: &str) -> bool {
        self.confusions.iter().any(|(o, w)| o == ocr && w == wiki)
    }
}

/// Template names compare with spaces for underscores and the first letter in upper case.
fn template_key(name: &str) -> String {
    let name = name.trim().replace('_', " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Error reading a rules file.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{}", messages::verify_rules_unreadable(.path, .reason))]
    Unreadable { path: String, reason: String },
    #[error("{}", messages::verify_rules_invalid(.source_name, .reason))]
    Invalid { source_name: String, reason: String },
}

/// The rules of every configured wiki.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Domain whose rules serve wikis without their own.
    default: String,
    wiki: BTreeMap<String, VerifyRules>,
}

impl VerifyConfig {
    /// Returns the rules compiled into the binary.
    pub fn shipped() -> Self {
        Self::parse(SHIPPED_RULES, "verify-rules.toml (built in)").expect("the shipped verify rules are valid")
    }

    /// Reads a rules file in the format of `verify-rules.toml`.
    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|error| RulesError::Unreadable {
            path: path.display().to_string(),
            reason: error.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, source_name: &str) -> Result<Self, RulesError> {
        let invalid = |reason: String| RulesError::Invalid {
            source_name: source_name.to_owned(),
            reason,
        };
        let config: VerifyConfig = toml::from_str(text).map_err(|error| invalid(error.to_string()))?;
        if !config.wiki.contains_key(&config.default) {
            return Err(invalid(messages::verify_rules_default_missing(&config.default)));
        }
        Ok(config)
    }

    /// Returns the rules of `wiki` (a domain), or the default rules.
    pub fn rules_for(&self, wiki: &str) -> &VerifyRules {
        self.wiki.get(wiki).unwrap_or_else(|| &self.wiki[&self.default])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_default_to_french() {
        let config = VerifyConfig::shipped();

        assert_eq!(config.rules_for("fr.wikisource.org").summary, "Mise à jour");
        assert_eq!(config.rules_for("en.wikisource.org").summary, "Mise à jour");
        assert!(config.rules_for("fr.wikisource.org").is_confusion("CLANS", "DANS"));
    }

    #[test]
    fn template_names_ignore_first_letter_case() {
        let rules = VerifyConfig::shipped().rules_for("fr.wikisource.org").clone();

        assert_eq!(rules.template_action("c"), TemplateAction::First);
        assert_eq!(rules.template_action("C"), TemplateAction::First);
        assert_eq!(rules.template_action("no such template"), rules.unknown_templates);
        assert!(rules.is_header_number_template("nr"));
    }

    #[test]
    fn missing_default_is_rejected() {
        let error = VerifyConfig::parse("default = \"xx.wikisource.org\"\n[wiki]\n", "test.toml").unwrap_err();

        assert!(error.to_string().contains("xx.wikisource.org"), "{error}");
    }
}
