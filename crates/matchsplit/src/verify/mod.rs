//! Verify match: lists the places where the Pages of a book differ from the text
//! layer of its scan, to spot alignment or transcription errors after Match & Split.

mod diff;
mod normalize;
mod report;
mod rules;
mod templates;

pub use diff::{word_hunks, Hunk};
pub use normalize::{ocr_words, wiki_words};
pub use report::{write_report, PageDiff, Report, ReportTitles};
pub use rules::{RulesError, TemplateAction, VerifyConfig, VerifyRules};

/// One Page of the book: its number, its wikitext and the text layer of that file page.
#[derive(Debug, Clone, Copy)]
pub struct BookPage<'a> {
    pub page: u32,
    pub wikitext: &'a str,
    pub text_layer: &'a str,
}

/// Returns the hunks of every page, in the order given.
pub fn diff_pages(rules: &VerifyRules, pages: &[BookPage<'_>]) -> Vec<PageDiff> {
    pages
        .iter()
        .map(|page| PageDiff {
            page: page.page,
            hunks: word_hunks(
                rules,
                &ocr_words(rules, page.text_layer),
                &wiki_words(rules, page.wikitext),
            ),
        })
        .collect()
}
