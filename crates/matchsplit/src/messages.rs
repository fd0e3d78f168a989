//! User-facing texts of Match & Split, extract and verify, kept in one place so
//! that they can be translated later.

pub fn verify_rules_unreadable(path: &str, reason: &str) -> String {
    format!("cannot read the verify rules file {path}: {reason}")
}

pub fn verify_rules_invalid(source: &str, reason: &str) -> String {
    format!(
        "invalid verify rules in {source}: {reason}; the format is documented in crates/matchsplit/src/verify/rules.rs"
    )
}

pub fn verify_rules_default_missing(default: &str) -> String {
    format!(
        "`default` names {default:?}, which has no [wiki.{default:?}] table; add the table or name a wiki that has one"
    )
}
