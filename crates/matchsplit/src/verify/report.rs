//! The wikitext of the verify match report.

use super::diff::Hunk;
use super::rules::VerifyRules;

/// The hunks of one Page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageDiff {
    pub page: u32,
    pub hunks: Vec<Hunk>,
}

/// Names the report links to: `[[<index_namespace>:<book>]]` and
/// `[[<page_namespace>:<book>/<n>]]`.
#[derive(Debug, Clone, Copy)]
pub struct ReportTitles<'a> {
    pub index_namespace: &'a str,
    pub page_namespace: &'a str,
    pub book: &'a str,
}

/// The report and whether it was cut at `rules.max_report_chars`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub wikitext: String,
    pub truncated: bool,
}

/// Writes the link to the Index, then for each Page with hunks its link and one
/// `<pre>` block per hunk: `-` and the text-layer words, `+` and the wiki words.
/// When the next Page would pass `max_report_chars`, the report stops there and
/// starts with the rules' warning.
pub fn write_report(rules: &VerifyRules, titles: ReportTitles<'_>, diffs: &[PageDiff]) -> Report {
    let mut body = format!("[[{}:{}]]\n\n", titles.index_namespace, titles.book);
    let mut truncated = false;
    for diff in diffs.iter().filter(|diff| !diff.hunks.is_empty()) {
        let section = page_section(titles, diff);
        if body.chars().count() + section.chars().count() > rules.max_report_chars {
            truncated = true;
            break;
        }
        body.push_str(&section);
    }
    let wikitext = if truncated {
        format!("{}\n\n{body}", rules.truncated_warning)
    } else {
        body
    };
    Report { wikitext, truncated }
}

fn page_section(titles: ReportTitles<'_>, diff: &PageDiff) -> String {
    let mut section = format!("* [[{}:{}/{}]]\n", titles.page_namespace, titles.book, diff.page);
    for hunk in &diff.hunks {
        section.push_str("<pre>\n");
        if !hunk.ocr.is_empty() {
            section.push_str(&format!("-{}\n", escape_pre(&hunk.ocr.join(" "))));
        }
        if !hunk.wiki.is_empty() {
            section.push_str(&format!("+{}\n", escape_pre(&hunk.wiki.join(" "))));
        }
        section.push_str("</pre>\n");
    }
    section
}

/// A `</pre>` inside the words would end the block early.
fn escape_pre(text: &str) -> String {
    text.replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::super::rules::VerifyConfig;
    use super::*;

    fn hunk(ocr: &str, wiki: &str) -> Hunk {
        Hunk {
            ocr: ocr.split_whitespace().map(str::to_owned).collect(),
            wiki: wiki.split_whitespace().map(str::to_owned).collect(),
        }
    }

    const TITLES: ReportTitles<'static> = ReportTitles {
        index_namespace: "Livre",
        page_namespace: "Page",
        book: "Livre.djvu",
    };

    #[test]
    fn report_lists_pages_with_hunks() {
        let rules = VerifyConfig::shipped().rules_for("fr.wikisource.org").clone();
        let diffs = [
            PageDiff {
                page: 3,
                hunks: vec![hunk("a b c", "a x c")],
            },
            PageDiff { page: 4, hunks: vec![] },
        ];

        let report = write_report(&rules, TITLES, &diffs);

        assert_eq!(
            report.wikitext,
            "[[Livre:Livre.djvu]]\n\n* [[Page:Livre.djvu/3]]\n<pre>\n-a b c\n+a x c\n</pre>\n"
        );
        assert!(!report.truncated);
    }

    #[test]
    fn long_report_is_cut_with_a_warning() {
        let mut rules = VerifyConfig::shipped().rules_for("fr.wikisource.org").clone();
        rules.max_report_chars = 80;
        let diffs: Vec<PageDiff> = (1..10)
            .map(|page| PageDiff {
                page,
                hunks: vec![hunk("a b c", "a x c")],
            })
            .collect();

        let report = write_report(&rules, TITLES, &diffs);

        assert!(report.truncated);
        assert!(report.wikitext.starts_with(&rules.truncated_warning));
        assert!(report.wikitext.contains("/1]]"));
        assert!(!report.wikitext.contains("/9]]"));
    }
}
