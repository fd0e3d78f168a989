//! Wiki codes of the old tool and database names.

/// Maps a language code of the old tool to the wiki's database name:
/// `old` is wikisource.org (`sourceswiki`), and a hyphen becomes an underscore
/// (`zh-min-nan` → `zh_min_nanwikisource`).
pub fn dbname_for_code(code: &str) -> String {
    if code == "old" {
        return "sourceswiki".to_owned();
    }
    format!("{}wikisource", code.replace('-', "_"))
}

/// Maps a database name back to its code, the reverse of [`dbname_for_code`], for the legacy table's language column.
pub(crate) fn code_for_dbname(dbname: &str) -> String {
    if dbname == "sourceswiki" {
        return "old".to_owned();
    }
    dbname.strip_suffix("wikisource").unwrap_or(dbname).replace('_', "-")
}

/// Returns the wiki's host name for a code of the old tool: `old` is the
/// multilingual wikisource.org.
pub(crate) fn domain_for_code(code: &str) -> String {
    if code == "old" {
        return "wikisource.org".to_owned();
    }
    format!("{code}.wikisource.org")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_and_dbname_round_trip() {
        for (code, dbname) in [
            ("fr", "frwikisource"),
            ("old", "sourceswiki"),
            ("zh-min-nan", "zh_min_nanwikisource"),
        ] {
            assert_eq!(dbname_for_code(code), dbname);
            assert_eq!(code_for_dbname(dbname), code);
        }
        assert_eq!(domain_for_code("old"), "wikisource.org");
        assert_eq!(domain_for_code("zh-min-nan"), "zh-min-nan.wikisource.org");
    }
}
