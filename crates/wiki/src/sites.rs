//! Wiki identities (dbname and domain) and the ProofreadPage namespace ids of each wiki.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Page and Index namespace ids of one wiki.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ProofreadNamespaces {
    pub page: i32,
    pub index: i32,
}

/// ProofreadPage's defaults, used by wikis that do not configure their own ids.
pub const DEFAULT_NAMESPACES: ProofreadNamespaces = ProofreadNamespaces { page: 250, index: 252 };

#[derive(Deserialize)]
struct ShippedTable {
    resolved_by_dbname: HashMap<String, ProofreadNamespaces>,
}

fn shipped_table() -> &'static HashMap<String, ProofreadNamespaces> {
    static TABLE: OnceLock<HashMap<String, ProofreadNamespaces>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let table: ShippedTable = serde_json::from_str(include_str!("../data/proofreadpage-namespace-ids.json"))
            .expect("the shipped namespace table is valid JSON");
        table.resolved_by_dbname
    })
}

/// ProofreadPage namespace ids of the wiki `dbname` from the shipped table, or
/// `None` for a wiki without ProofreadPage (Commons, Wikipedias).
pub fn proofread_namespaces(dbname: &str) -> Option<ProofreadNamespaces> {
    shipped_table().get(dbname).copied()
}

/// Returns every wiki of the shipped table with its ProofreadPage namespace
/// ids, in no particular order.
pub fn shipped_proofread_wikis() -> impl Iterator<Item = (&'static str, ProofreadNamespaces)> {
    shipped_table()
        .iter()
        .map(|(dbname, namespaces)| (dbname.as_str(), *namespaces))
}

/// Converts a Wikimedia dbname to its domain: `enwikisource` → `en.wikisource.org`,
/// `sourceswiki` → `wikisource.org`, `commonswiki` → `commons.wikimedia.org`.
/// Returns `None` for a dbname of another family.
pub fn domain_for_dbname(dbname: &str) -> Option<String> {
    match dbname {
        "sourceswiki" => return Some("wikisource.org".to_owned()),
        "commonswiki" => return Some("commons.wikimedia.org".to_owned()),
        "metawiki" => return Some("meta.wikimedia.org".to_owned()),
        "test2wiki" => return Some("test2.wikipedia.org".to_owned()),
        _ => {}
    }
    for (suffix, family) in [("wikisource", "wikisource"), ("wiki", "wikipedia")] {
        if let Some(language) = dbname.strip_suffix(suffix) {
            if !language.is_empty() && language.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Some(format!("{}.{family}.org", language.replace('_', "-")));
            }
        }
    }
    None
}

/// Converts a domain back to its dbname (the inverse of [`domain_for_dbname`]).
pub fn dbname_for_domain(domain: &str) -> Option<String> {
    match domain {
        "wikisource.org" => return Some("sourceswiki".to_owned()),
        "commons.wikimedia.org" => return Some("commonswiki".to_owned()),
        "meta.wikimedia.org" => return Some("metawiki".to_owned()),
        "test2.wikipedia.org" => return Some("test2wiki".to_owned()),
        _ => {}
    }
    let (language, family) = domain.split_once('.')?;
    let suffix = match family {
        "wikisource.org" => "wikisource",
        "wikipedia.org" => "wiki",
        _ => return None,
    };
    if language.is_empty() || !language.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        return None;
    }
    Some(format!("{}{suffix}", language.replace('-', "_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_differ_per_wiki() {
        assert_eq!(
            proofread_namespaces("enwikisource"),
            Some(ProofreadNamespaces { page: 104, index: 106 })
        );
        assert_eq!(proofread_namespaces("frwikisource").map(|ns| ns.index), Some(112));
        assert_eq!(
            proofread_namespaces("dewikisource"),
            Some(ProofreadNamespaces { page: 102, index: 104 })
        );
        assert_eq!(proofread_namespaces("commonswiki"), None);
    }

    #[test]
    fn dbname_domain_round_trip() {
        for (dbname, domain) in [
            ("enwikisource", "en.wikisource.org"),
            ("zh_min_nanwikisource", "zh-min-nan.wikisource.org"),
            ("sourceswiki", "wikisource.org"),
            ("commonswiki", "commons.wikimedia.org"),
            ("dewiki", "de.wikipedia.org"),
        ] {
            assert_eq!(domain_for_dbname(dbname).as_deref(), Some(domain));
            assert_eq!(dbname_for_domain(domain).as_deref(), Some(dbname));
        }
        assert_eq!(domain_for_dbname("wikisource"), None);
        assert_eq!(dbname_for_domain("evil.example.org"), None);
    }
}
