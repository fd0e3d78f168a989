//! Property tests: Page wikitext round trips, and no parser panics on any input.

use phetools_proofread::{find_pages_tags, IndexContent, PageContent, PageNamespace, Pagelist, QualityLevel};
use proptest::prelude::*;

/// Pieces of Page wikitext that steer the parser into each of its branches.
const TOKENS: &[&str] = &[
    "<noinclude>",
    "</noinclude>",
    "<pagequality level=\"2\" user=\"Ann\" />",
    "<pagequality level=\"4\" user=\"\"></pagequality>",
    "<pagequality level=\"",
    "\" user=\"",
    "{{PageQuality|3|Bob}}",
    "{{pagequality|0}}",
    "<div class=\"pagetext\">",
    "<div>",
    "</div>",
    "\n",
    "\n\n",
    " ",
    "\"",
    "/>",
    ">",
    "}}",
    "|",
    "text",
    "é",
    "১২",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..24).prop_map(|tokens| tokens.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![token_soup(), any::<String>()]
}

/// Text without `<noinclude>`, `</noinclude>` or `<div` (which ProofreadPage's reader
/// would treat as structure), with newlines, quotes and non-ASCII letters.
fn plain_text() -> impl Strategy<Value = String> {
    "[a-zé১ \n\"'{}|=<>/]{0,40}".prop_filter("no structure", |text| {
        !text.contains("<noinclude>") && !text.contains("</noinclude>") && !text.contains("<div")
    })
}

fn level() -> impl Strategy<Value = QualityLevel> {
    (0u8..=4).prop_map(|level| QualityLevel::from_u8(level).unwrap())
}

fn user() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[A-Za-z0-9 .é-]{1,20}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_round_trips(text in any_text()) {
        let page = PageContent::parse(&text);
        prop_assert_eq!(page.to_wikitext(), text.clone());
        prop_assert_eq!([page.prefix(), page.body(), page.suffix()].concat(), text);
    }

    #[test]
    fn canonical_text_round_trips(
        header in plain_text().prop_filter("no final newline", |h| !h.ends_with('\n')),
        body in plain_text(),
        footer in plain_text(),
        level in level(),
        user in user(),
    ) {
        let page = PageContent::from_parts(&header, &body, &footer, level, user.as_deref());
        let text = page.to_wikitext();
        prop_assert_eq!(&text, &page.to_canonical_wikitext());

        let parsed = PageContent::parse(&text);
        prop_assert_eq!(parsed.header(), header.as_str());
        prop_assert_eq!(parsed.body(), body.as_str());
        prop_assert_eq!(parsed.footer(), footer.as_str());
        prop_assert_eq!(parsed.level(), level);
        prop_assert_eq!(parsed.user(), user.as_deref());
        prop_assert_eq!(parsed.to_wikitext(), text.clone());
        prop_assert_eq!(parsed.to_canonical_wikitext(), text);
    }

    #[test]
    fn set_body_keeps_the_rest(original in any_text(), body in plain_text()) {
        let page = PageContent::parse(&original);
        let replaced = page.with_body(&body);
        prop_assert_eq!(replaced.to_wikitext(), [page.prefix(), body.as_str(), page.suffix()].concat());
        prop_assert_eq!(replaced.header(), page.header());
        prop_assert_eq!(replaced.footer(), page.footer());
        prop_assert_eq!(replaced.level(), page.level());
        prop_assert_eq!(replaced.user(), page.user());
    }

    #[test]
    fn new_page_reads_back(body in plain_text(), user in "[A-Za-z0-9 .é-]{1,20}") {
        let page = PageContent::parse(&PageContent::new_page(&body, &user).to_wikitext());
        prop_assert_eq!(page.header(), "");
        prop_assert_eq!(page.body(), body.as_str());
        prop_assert_eq!(page.footer(), "\n<references/>");
        prop_assert_eq!(page.level(), QualityLevel::NotProofread);
        prop_assert_eq!(page.user(), Some(user.as_str()));
    }

    #[test]
    fn json_round_trips(
        header in any::<String>(),
        body in any::<String>(),
        footer in any::<String>(),
        level in level(),
        user in user(),
    ) {
        let page = PageContent::from_parts(&header, &body, &footer, level, user.as_deref());
        let read = PageContent::from_json(&page.to_json()).unwrap();
        prop_assert_eq!(read, page);
    }

    #[test]
    fn tag_readers_never_panic(text in any::<String>(), soup in tag_soup(), page_count in 0u32..3000) {
        for input in [&text, &soup] {
            for tag in find_pages_tags(input) {
                let _ = tag.file_pages(page_count);
                prop_assert!(input.get(tag.span()).is_some());
            }
            if let Some(pagelist) = Pagelist::from_index_wikitext(input) {
                let _ = pagelist.labels(page_count.min(50), phetools_proofread::DigitScript::LATIN);
            }
            let _ = IndexContent::parse(input).pagelist();
            let _ = PageNamespace::new(["Seite"]).parse_title(input);
        }
    }
}

/// Pieces of `<pages>`, `<pagelist>` and Index wikitext.
fn tag_soup() -> impl Strategy<Value = String> {
    const TAG_TOKENS: &[&str] = &[
        "<pages",
        "<pagelist",
        "</pages>",
        "{{#tag:pages|",
        "{{",
        "}}",
        "[[",
        "]]",
        "|",
        " index=\"A.djvu\"",
        " from=",
        " to=",
        " include=",
        " exclude=",
        " step=",
        "3",
        "১০",
        "1-4,7",
        "0",
        "=",
        "'",
        "\"",
        " ",
        "/>",
        ">",
        "<!--",
        "-->",
        "to",
        "even",
        "folio",
        "roman",
        ";",
        "Page:",
        "/",
    ];
    prop::collection::vec(prop::sample::select(TAG_TOKENS), 0..30).prop_map(|tokens| tokens.concat())
}
