//! Every case of the ProofreadPage fixtures in `tests/fixtures/`.

use phetools_proofread::{DigitScript, IndexContent, PageContent, PageNamespace, Pagelist, QualityLevel};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("invalid JSON in {path}: {error}"))
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {case}"))
}

#[test]
fn page_wikitext_cases() {
    let cases = fixture("page-wikitext-unserialize-cases.json");
    let cases = cases["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let wikitext = text(case, "wikitext");
        let page = PageContent::parse(wikitext);
        assert_eq!(page.header(), text(case, "header"), "header of {wikitext:?}");
        assert_eq!(page.body(), text(case, "body"), "body of {wikitext:?}");
        assert_eq!(page.footer(), text(case, "footer"), "footer of {wikitext:?}");
        assert_eq!(
            u64::from(page.level().as_u8()),
            case["level"].as_u64().unwrap(),
            "level of {wikitext:?}"
        );
        assert_eq!(page.user(), case["user"].as_str(), "user of {wikitext:?}");
        assert_eq!(page.to_wikitext(), wikitext, "round trip of {wikitext:?}");
    }
}

#[test]
fn page_serializer_template() {
    let cases = fixture("page-wikitext-unserialize-cases.json");
    let template = text(&cases, "serializer_output_template");
    let page = PageContent::from_parts("H", "B", "F", QualityLevel::Proofread, Some("U"));
    let expected = template
        .replace("{level}", "3")
        .replace("{user}", "U")
        .replace("{header}", "H")
        .replace("{body}", "B")
        .replace("{footer}", "F");
    assert_eq!(page.to_canonical_wikitext(), expected);
    assert_eq!(page.to_wikitext(), expected);
}

#[test]
fn page_json_examples() {
    let examples = fixture("page-json-format.json");
    for example in examples["examples"].as_array().unwrap() {
        let page = PageContent::from_json(&example.to_string()).unwrap();
        assert_eq!(page.header(), text(example, "header"));
        assert_eq!(page.body(), text(example, "body"));
        assert_eq!(page.footer(), text(example, "footer"));
        assert_eq!(page.level(), QualityLevel::Problematic);
        assert_eq!(page.user(), example["level"]["user"].as_str());
        let written: Value = serde_json::from_str(&page.to_json()).unwrap();
        assert_eq!(written["level"]["level"], 2);
        assert_eq!(written["level"].get("user"), example["level"].get("user"));
    }
}

#[test]
fn real_page_titles() {
    let facts = fixture("enwikisource-real-page-facts.json");
    let page = PageNamespace::new(["Page"]);
    let title = page.parse_title(text(&facts["page"], "title")).unwrap();
    assert_eq!(title.file_dbkey, "Popular_Science_Monthly_Volume_1.djvu");
    assert_eq!(title.page, Some(12));

    let without_text = page.parse_title(text(&facts["page_without_text"], "title")).unwrap();
    assert_eq!(without_text.file_dbkey, "Popular_Science_Monthly_Volume_49.djvu");
    assert_eq!(without_text.page, Some(1));

    let seite = PageNamespace::new(["Seite"]);
    let pattern = text(&facts["index_pages"][1], "page_title_pattern");
    let title = seite.parse_title(&pattern.replace("{n:03d}", "007")).unwrap();
    assert_eq!(title.file_dbkey, "Schiller_Musenalmanach_1799_007.jpg");
    assert_eq!(title.page, None);
}

#[test]
fn index_pagelist_example() {
    let examples = fixture("index-wikitext-examples.json");
    let lorem = &examples["examples"][0];
    assert_eq!(text(lorem, "title"), "Index:LoremIpsum.djvu");
    let pagelist = Pagelist::from_index_wikitext(text(lorem, "wikitext")).unwrap();
    let labels = pagelist.labels(6, DigitScript::LATIN);
    assert_eq!(labels, ["i", "II", "1", "2", "3", "4"]);
    assert!(pagelist.label(5).is_empty);
    assert!(!pagelist.label(4).is_empty);
}

#[test]
fn index_without_pagelist() {
    let examples = fixture("index-wikitext-examples.json");
    let image_index = &examples["examples"][1];
    assert_eq!(Pagelist::from_index_wikitext(text(image_index, "wikitext")), None);
}

#[test]
fn index_json_format_examples() {
    let examples = fixture("index-wikitext-examples.json");
    for example in examples["json_format_examples"].as_array().unwrap() {
        let content = IndexContent::parse(text(example, "wikitext"));
        let expected_fields: Vec<(String, String)> = match &example["json"]["fields"] {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect(),
            _ => Vec::new(),
        };
        let fields: Vec<(String, String)> = content.fields().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        assert_eq!(fields, expected_fields, "fields of {example}");
        let categories: Vec<&str> = example["json"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(content.categories(), categories, "categories of {example}");
    }
}

#[test]
fn index_fields_of_examples() {
    let examples = fixture("index-wikitext-examples.json");
    let lorem = IndexContent::parse(text(&examples["examples"][0], "wikitext"));
    assert_eq!(lorem.field("Title"), Some("Lorem Ipsum"));
    assert_eq!(lorem.field("Author"), Some("[[Author:Me]]"));
    assert_eq!(
        lorem.field("TOC"),
        Some("* [[Test/Chapter 1]]\n* [[Test/Chapter 2|Chapter 2]]\n* [[Test/Chapter 3|Chapter 3]]")
    );
    assert_eq!(
        lorem.pagelist().unwrap().labels(3, DigitScript::LATIN),
        ["i", "II", "1"]
    );
    let images = IndexContent::parse(text(&examples["examples"][1], "wikitext"));
    assert_eq!(
        images.field("Pages"),
        Some("[[Page:Test 1.jpg|TOC]] [[Page:Test 2.tiff|1]] [[Page:Test 3.png|2]]")
    );
    assert_eq!(images.pagelist(), None);
}

#[test]
fn localized_page_namespaces() {
    let names = fixture("proofreadpage-namespace-names.json");
    let languages = names["names_by_language"].as_object().unwrap();
    assert!(languages.len() >= 70);
    for (language, names_of_language) in languages {
        let page_name = text(names_of_language, "page");
        let aliases: Vec<&str> = names["aliases_by_language"][language]["page"]
            .as_array()
            .map(|list| list.iter().map(|alias| alias.as_str().unwrap()).collect())
            .unwrap_or_default();
        let namespace = PageNamespace::new(std::iter::once(page_name).chain(aliases.iter().copied()));

        for written in std::iter::once(page_name)
            .chain(aliases.iter().copied())
            .chain(["Page"])
        {
            let title = format!("{}:Some book.djvu/7", written.replace('_', " "));
            let parsed = namespace
                .parse_title(&title)
                .unwrap_or_else(|error| panic!("{language}: {error}"));
            assert_eq!(parsed.file_dbkey, "Some_book.djvu", "{language}: {title}");
            assert_eq!(parsed.page, Some(7), "{language}: {title}");
        }

        let index_name = text(names_of_language, "index");
        let index_title = format!("{index_name}:Some book.djvu");
        assert!(
            namespace.parse_title(&index_title).is_err(),
            "{language}: {index_title} read as a Page title"
        );
    }
}
