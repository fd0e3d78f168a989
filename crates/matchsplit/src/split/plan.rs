//! The split planner: from a main page cut at its markers and the current state of
//! the pages it names, the edits to make and the pages to leave alone.
//!
//! Rules that keep every volunteer's work:
//!
//! * an existing Page is saved only when its quality level is 1 ("Not proofread"),
//!   taken from the wiki's `prop=proofread` when it has ProofreadPage, else from the
//!   page's own `<pagequality>`; a page with no readable level is left alone;
//! * the header and footer of an existing Page are kept, only its body changes;
//! * a first or last Page already transcluded elsewhere keeps its old body in a
//!   section of its own (`s1`/`s2`), and the `<pages>` tag that covers it on the
//!   referring page gets the matching `tosection`/`fromsection`;
//! * every existing page is saved against the revision that was read, so a
//!   concurrent edit makes the save fail instead of being overwritten.

use std::collections::{BTreeMap, HashMap, HashSet};

use phetools_proofread::{PageContent, QualityLevel, QualityMarkup};

use super::markers::{MarkedPage, MarkedText};
use super::transclusion::{add_section, transclusion_list, FIRST_SECTION, SECOND_SECTION};
use crate::messages;
use crate::outcome::{Outcome, PageOutcome, PageRole};

/// A page as read before the split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentPage {
    pub revid: u64,
    pub wikitext: String,
    /// Quality level reported by the wiki (`prop=proofread`), when it has ProofreadPage.
    pub quality: Option<QualityLevel>,
}

/// A page that transcludes a boundary Page of the split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferringPage {
    pub title: String,
    pub revid: u64,
    pub wikitext: String,
}

/// Everything the planner reads.
#[derive(Debug, Clone, Copy)]
pub struct SplitInput<'a> {
    pub main_title: &'a str,
    pub main_revid: u64,
    pub marked: &'a MarkedText,
    /// Existing Pages by marker title; a title missing here does not exist.
    pub current: &'a HashMap<String, CurrentPage>,
    /// Pages transcluding the first or the last Page, by marker title.
    pub referring: &'a HashMap<String, Vec<ReferringPage>>,
    /// User named in the `<pagequality>` of new Pages: the bot account.
    pub bot_user: &'a str,
}

/// One save to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEdit {
    pub title: String,
    pub role: PageRole,
    pub text: String,
    /// Revision the text was built on; `None` creates the page and fails if it exists.
    pub base_revid: Option<u64>,
    pub notes: Vec<String>,
}

/// The edits in the order to save them (Pages, referring pages, main page), and
/// the outcome of the pages that need no edit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitPlan {
    pub edits: Vec<PlannedEdit>,
    pub outcomes: Vec<PageOutcome>,
}

/// The end of the split a boundary Page is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    First,
    Last,
}

/// Plans the split of `input.marked`.
pub fn plan_split(input: &SplitInput<'_>) -> SplitPlan {
    let mut plan = SplitPlan::default();
    let mut referring_edits: BTreeMap<String, PlannedEdit> = BTreeMap::new();
    let mut sectioned_first = false;
    let mut sectioned_last = false;
    let mut seen = HashSet::new();
    let pages = &input.marked.pages;

    for (i, page) in pages.iter().enumerate() {
        if !seen.insert(page.title.as_str()) {
            plan.outcomes.push(skipped(page, messages::page_marked_twice()));
            continue;
        }
        let content = with_leading_blank_line(&page.content);
        let Some(current) = input.current.get(&page.title) else {
            plan.edits.push(PlannedEdit {
                title: page.title.clone(),
                role: PageRole::Page,
                text: PageContent::new_page(&content, input.bot_user).to_wikitext(),
                base_revid: None,
                notes: Vec::new(),
            });
            continue;
        };
        if let Err(reason) = check_overwritable(current) {
            plan.outcomes.push(skipped(page, reason));
            continue;
        }

        let old = PageContent::parse(&current.wikitext);
        let boundary = match i {
            0 => Some(Boundary::First),
            i if i + 1 == pages.len() => Some(Boundary::Last),
            _ => None,
        };
        let referring = input.referring.get(&page.title).map(Vec::as_slice).unwrap_or_default();
        let referring: Vec<&ReferringPage> = referring
            .iter()
            .filter(|referrer| referrer.title != input.main_title)
            .collect();
        let mut notes = Vec::new();
        let body = match boundary.filter(|_| !referring.is_empty() && !old.body().trim().is_empty()) {
            Some(side) => {
                match side {
                    Boundary::First => sectioned_first = true,
                    Boundary::Last => sectioned_last = true,
                }
                notes.extend(adjust_referring(page, side, &referring, &mut referring_edits));
                sectioned_body(side, old.body(), &content)
            }
            None => content,
        };
        let text = old.with_body(&body).to_wikitext();
        if text == current.wikitext {
            plan.outcomes.push(PageOutcome {
                title: page.title.clone(),
                role: PageRole::Page,
                outcome: Outcome::Unchanged,
                notes,
            });
            continue;
        }
        plan.edits.push(PlannedEdit {
            title: page.title.clone(),
            role: PageRole::Page,
            text,
            base_revid: Some(current.revid),
            notes,
        });
    }

    plan.edits.extend(referring_edits.into_values());
    let main_text = format!(
        "{}{}",
        input.marked.header,
        transclusion_list(pages, sectioned_first, sectioned_last)
    );
    plan.edits.push(PlannedEdit {
        title: input.main_title.to_owned(),
        role: PageRole::Main,
        text: main_text,
        base_revid: Some(input.main_revid),
        notes: Vec::new(),
    });
    plan
}

/// Keeps a leading blank line behind `<nowiki />`, because the wiki drops the
/// leading newlines of a saved text.
fn with_leading_blank_line(content: &str) -> String {
    if content.starts_with('\n') {
        format!("<nowiki />\n{content}")
    } else {
        content.to_owned()
    }
}

/// Accepts a Page at quality level 1 only.
fn check_overwritable(current: &CurrentPage) -> Result<(), String> {
    let from_text = PageContent::parse(&current.wikitext);
    let level = match current.quality {
        Some(level) => level,
        None if from_text.quality_markup() != QualityMarkup::Missing => from_text.level(),
        None => return Err(messages::quality_unknown()),
    };
    if level == QualityLevel::NotProofread {
        Ok(())
    } else {
        Err(messages::quality_protected(level.as_u8()))
    }
}

/// Puts the old body and the new text in two sections. The first Page of a split
/// continues a text transcluded elsewhere, so its old body comes first (`s1`); the
/// last Page starts one, so its old body comes second (`s2`).
fn sectioned_body(side: Boundary, old_body: &str, new_text: &str) -> String {
    let (first, second) = match side {
        Boundary::First => (old_body, new_text),
        Boundary::Last => (new_text, old_body),
    };
    format!(
        "<section begin={FIRST_SECTION}/>{first}<section end={FIRST_SECTION}/>\n----\n\
         <section begin={SECOND_SECTION}/>{second}<section end={SECOND_SECTION}/>"
    )
}

/// Limits the `<pages>` tags covering `page` on each referring page to the
/// section with the old body. Returns notes for the referring pages left as they are.
fn adjust_referring(
    page: &MarkedPage,
    side: Boundary,
    referring: &[&ReferringPage],
    edits: &mut BTreeMap<String, PlannedEdit>,
) -> Vec<String> {
    let Some(file_page) = &page.file_page else {
        return vec![messages::referring_not_adjusted_no_number(&page.title)];
    };
    let (attribute, value) = match side {
        Boundary::First => ("tosection", FIRST_SECTION),
        Boundary::Last => ("fromsection", SECOND_SECTION),
    };
    let mut notes = Vec::new();
    for referrer in referring {
        let edit = edits.entry(referrer.title.clone()).or_insert_with(|| PlannedEdit {
            title: referrer.title.clone(),
            role: PageRole::Referring,
            text: referrer.wikitext.clone(),
            base_revid: Some(referrer.revid),
            notes: Vec::new(),
        });
        match add_section(&edit.text, &file_page.dbkey, file_page.page, attribute, value) {
            Ok(text) => edit.text = text,
            Err(reason) => notes.push(messages::referring_not_adjusted(&referrer.title, &reason)),
        }
    }
    edits.retain(|title, edit| {
        let unchanged = referring
            .iter()
            .any(|referrer| &referrer.title == title && referrer.wikitext == edit.text);
        !unchanged
    });
    notes
}

fn skipped(page: &MarkedPage, reason: String) -> PageOutcome {
    PageOutcome {
        title: page.title.clone(),
        role: PageRole::Page,
        outcome: Outcome::Skipped { reason },
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use phetools_proofread::PageNamespace;

    use super::super::markers::parse_markers;
    use super::*;

    const MAIN: &str = "Chapter 2";

    fn marked(text: &str) -> MarkedText {
        parse_markers(text, &PageNamespace::new(["Page"])).unwrap()
    }

    fn existing(wikitext: &str) -> CurrentPage {
        CurrentPage {
            revid: 7,
            wikitext: wikitext.to_owned(),
            quality: None,
        }
    }

    fn plan(text: &str, current: &[(&str, CurrentPage)], referring: &[(&str, Vec<ReferringPage>)]) -> SplitPlan {
        let marked = marked(text);
        let current = current
            .iter()
            .map(|(title, page)| ((*title).to_owned(), page.clone()))
            .collect();
        let referring = referring
            .iter()
            .map(|(title, pages)| ((*title).to_owned(), pages.clone()))
            .collect();
        plan_split(&SplitInput {
            main_title: MAIN,
            main_revid: 42,
            marked: &marked,
            current: &current,
            referring: &referring,
            bot_user: "PheBot",
        })
    }

    fn edit<'a>(plan: &'a SplitPlan, title: &str) -> &'a PlannedEdit {
        plan.edits
            .iter()
            .find(|edit| edit.title == title)
            .unwrap_or_else(|| panic!("no edit of {title}: {plan:#?}"))
    }

    const TWO_PAGES: &str = "Intro\n==[[Page:B.djvu/3]]==\nthree\n==[[Page:B.djvu/4]]==\n\nfour\n";

    #[test]
    fn new_pages_are_created_at_level_one() {
        let plan = plan(TWO_PAGES, &[], &[]);

        let three = edit(&plan, "Page:B.djvu/3");
        assert_eq!(
            three.text,
            "<noinclude><pagequality level=\"1\" user=\"PheBot\" />\n\n\n</noinclude>three<noinclude>\n<references/></noinclude>"
        );
        assert_eq!(three.base_revid, None);
        assert!(!three.text.contains("</div>"));
    }

    #[test]
    fn leading_blank_line_gets_nowiki() {
        let plan = plan(TWO_PAGES, &[], &[]);

        assert!(edit(&plan, "Page:B.djvu/4")
            .text
            .contains("</noinclude><nowiki />\n\nfour<noinclude>"));
    }

    #[test]
    fn main_page_is_saved_last_with_pages_tag() {
        let plan = plan(TWO_PAGES, &[], &[]);

        let main = plan.edits.last().unwrap();
        assert_eq!(main.title, MAIN);
        assert_eq!(main.text, "Intro\n\n<pages index=\"B.djvu\" from=3 to=4 />\n");
        assert_eq!(main.base_revid, Some(42));
    }

    #[test]
    fn proofread_page_is_never_overwritten() {
        let proofread = "<noinclude><pagequality level=\"3\" user=\"Ann\" /></noinclude>done<noinclude></noinclude>";
        let plan = plan(TWO_PAGES, &[("Page:B.djvu/3", existing(proofread))], &[]);

        assert!(plan.edits.iter().all(|edit| edit.title != "Page:B.djvu/3"));
        assert!(matches!(&plan.outcomes[0].outcome, Outcome::Skipped { reason } if reason.contains('3')));
    }

    #[test]
    fn wiki_quality_wins_over_wikitext() {
        let text = "<noinclude><pagequality level=\"1\" user=\"Ann\" /></noinclude>old<noinclude></noinclude>";
        let mut page = existing(text);
        page.quality = Some(QualityLevel::Validated);

        let plan = plan(TWO_PAGES, &[("Page:B.djvu/3", page)], &[]);

        assert!(plan.edits.iter().all(|edit| edit.title != "Page:B.djvu/3"));
    }

    #[test]
    fn page_without_quality_is_left_alone() {
        let plan = plan(TWO_PAGES, &[("Page:B.djvu/3", existing("plain text"))], &[]);

        assert!(plan.edits.iter().all(|edit| edit.title != "Page:B.djvu/3"));
        assert_eq!(plan.outcomes.len(), 1);
    }

    #[test]
    fn level_one_page_keeps_header_and_footer() {
        let text = "<noinclude><pagequality level=\"1\" user=\"Ann\" />{{rh|3|B}}</noinclude>old<noinclude>{{note}}</noinclude>";
        let plan = plan(TWO_PAGES, &[("Page:B.djvu/3", existing(text))], &[]);

        let three = edit(&plan, "Page:B.djvu/3");
        assert_eq!(
            three.text,
            "<noinclude><pagequality level=\"1\" user=\"Ann\" />{{rh|3|B}}</noinclude>three<noinclude>{{note}}</noinclude>"
        );
        assert_eq!(three.base_revid, Some(7));
    }

    #[test]
    fn transcluded_middle_page_keeps_header_and_footer() {
        let text = "A\n==[[Page:B.djvu/2]]==\ntwo\n==[[Page:B.djvu/3]]==\nthree\n==[[Page:B.djvu/4]]==\nfour";
        let three = "<noinclude><pagequality level=\"1\" user=\"Ann\" />HEAD</noinclude>old<noinclude>FOOT</noinclude>";
        let referrer = ReferringPage {
            title: "Other".to_owned(),
            revid: 9,
            wikitext: "<pages index=\"B.djvu\" from=3 to=3 />".to_owned(),
        };
        let plan = plan(
            text,
            &[("Page:B.djvu/3", existing(three))],
            &[("Page:B.djvu/3", vec![referrer])],
        );

        assert!(edit(&plan, "Page:B.djvu/3")
            .text
            .contains("HEAD</noinclude>three<noinclude>FOOT"));
        assert!(plan.edits.iter().all(|edit| edit.title != "Other"));
    }

    #[test]
    fn identical_text_is_unchanged() {
        let text = "<noinclude><pagequality level=\"1\" user=\"Ann\" /></noinclude>three<noinclude></noinclude>";
        let plan = plan(TWO_PAGES, &[("Page:B.djvu/3", existing(text))], &[]);

        assert!(plan.edits.iter().all(|edit| edit.title != "Page:B.djvu/3"));
        assert_eq!(plan.outcomes[0].outcome, Outcome::Unchanged);
    }

    #[test]
    fn transcluded_first_page_gets_sections() {
        let three =
            "<noinclude><pagequality level=\"1\" user=\"Ann\" />H</noinclude>end of chapter 1<noinclude>F</noinclude>";
        let chapter_one = ReferringPage {
            title: "Chapter 1".to_owned(),
            revid: 5,
            wikitext: "<pages index=\"B.djvu\" from=1 to=2 />\n<pages index=\"B.djvu\" from=3 to=3 />".to_owned(),
        };
        let unrelated = ReferringPage {
            title: "Anthology".to_owned(),
            revid: 6,
            wikitext: "{{Page:B.djvu/3}}".to_owned(),
        };
        let plan = plan(
            TWO_PAGES,
            &[("Page:B.djvu/3", existing(three))],
            &[("Page:B.djvu/3", vec![chapter_one, unrelated])],
        );

        assert_eq!(
            edit(&plan, "Page:B.djvu/3").text,
            "<noinclude><pagequality level=\"1\" user=\"Ann\" />H</noinclude><section begin=s1/>end of chapter 1\
             <section end=s1/>\n----\n<section begin=s2/>three<section end=s2/><noinclude>F</noinclude>"
        );
        let referring = edit(&plan, "Chapter 1");
        assert_eq!(
            referring.text,
            "<pages index=\"B.djvu\" from=1 to=2 />\n<pages index=\"B.djvu\" from=3 to=3 tosection=s1 />"
        );
        assert_eq!(referring.base_revid, Some(5));
        assert!(plan.edits.iter().all(|edit| edit.title != "Anthology"));
        assert!(edit(&plan, "Page:B.djvu/3").notes[0].contains("Anthology"));
        assert!(edit(&plan, MAIN).text.contains("from=3 to=4 fromsection=s2 />"));
    }

    #[test]
    fn transcluded_last_page_gets_sections() {
        let four =
            "<noinclude><pagequality level=\"1\" user=\"Ann\" /></noinclude>start of chapter 3<noinclude></noinclude>";
        let chapter_three = ReferringPage {
            title: "Chapter 3".to_owned(),
            revid: 8,
            wikitext: "<pages index=\"B.djvu\" from=4 to=9 />".to_owned(),
        };
        let plan = plan(
            TWO_PAGES,
            &[("Page:B.djvu/4", existing(four))],
            &[("Page:B.djvu/4", vec![chapter_three])],
        );

        assert!(edit(&plan, "Page:B.djvu/4").text.contains(
            "<section begin=s1/><nowiki />\n\nfour<section end=s1/>\n----\n<section begin=s2/>start of chapter 3"
        ));
        assert_eq!(
            edit(&plan, "Chapter 3").text,
            "<pages index=\"B.djvu\" from=4 to=9 fromsection=s2 />"
        );
        assert!(edit(&plan, MAIN).text.contains("from=3 to=4 tosection=s1 />"));
    }

    #[test]
    fn page_marked_twice_is_saved_once() {
        let text = "==[[Page:B.djvu/3]]==\na\n==[[Page:B.djvu/3]]==\nb";
        let plan = plan(text, &[], &[]);

        assert_eq!(plan.edits.len(), 2);
        assert!(matches!(plan.outcomes[0].outcome, Outcome::Skipped { .. }));
    }
}
