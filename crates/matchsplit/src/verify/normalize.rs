//! Normalisation of a Page's wikitext and of its text layer to comparable word lists.
//!
//! The wiki side loses its markup: comments, header and footer, template calls (per the
//! wiki's [`VerifyRules`]), links, HTML tags, bold and italic quotes, table and list
//! markup. Footnotes (`<ref>`) move to the end, where a scan prints them, and the
//! parameters of running-header templates (`{{Nr|…}}`) move to the start. Both sides
//! get the literal replacements and lose hyphens at line ends.

use super::rules::{TemplateAction, VerifyRules};
use super::templates::{replace_templates, TemplateCall};

/// Returns the words of a Page's wikitext once normalised.
pub fn wiki_words(rules: &VerifyRules, wikitext: &str) -> Vec<String> {
    let text = remove_comments(wikitext);
    let (body, noinclude) = split_noinclude(&text);
    let header_numbers = header_numbers(rules, &noinclude);
    let (body, notes) = move_refs(&body);
    let text = format!("{header_numbers}\n{body}\n{notes}");

    let text = expand_templates(rules, &text, 0);
    let text = unwrap_links(&text);
    let text = remove_tags(&text);
    let text = text.replace("'''", "").replace("''", "");
    let text = strip_line_markup(&text);
    common_words(rules, &text)
}

/// Returns the words of a page of the text layer once normalised.
pub fn ocr_words(rules: &VerifyRules, text: &str) -> Vec<String> {
    common_words(rules, text)
}

fn common_words(rules: &VerifyRules, text: &str) -> Vec<String> {
    let mut text = text.to_owned();
    for (from, to) in &rules.replacements {
        text = text.replace(from.as_str(), to);
    }
    let text = join_hyphenated_lines(&text);
    text.split_whitespace().map(str::to_owned).collect()
}

fn remove_comments(text: &str) -> String {
    remove_spans(text, "<!--", "-->")
}

/// Removes every `open … close` span; an unclosed span runs to the end.
fn remove_spans(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find(close) {
            Some(end) => &rest[start + end + close.len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Splits the text into what is transcluded and the `<noinclude>` parts (header, footer).
fn split_noinclude(text: &str) -> (String, String) {
    let mut body = String::with_capacity(text.len());
    let mut noinclude = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<noinclude>") {
        body.push_str(&rest[..start]);
        let inside = &rest[start + "<noinclude>".len()..];
        let end = inside.find("</noinclude>").unwrap_or(inside.len());
        noinclude.push_str(&inside[..end]);
        noinclude.push('\n');
        rest = inside.get(end + "</noinclude>".len()..).unwrap_or("");
    }
    body.push_str(rest);
    (body, noinclude)
}

/// Returns the positional parameters of the running-header templates of `noinclude`.
fn header_numbers(rules: &VerifyRules, noinclude: &str) -> String {
    let mut found = Vec::new();
    replace_templates(noinclude, |call| {
        if rules.is_header_number_template(call.name) {
            found.extend(call.positional().into_iter().map(str::to_owned));
        }
        String::new()
    });
    found.join(" ")
}

/// Takes the footnotes out of the text and returns (text, footnotes).
fn move_refs(text: &str) -> (String, String) {
    let mut out = String::with_capacity(text.len());
    let mut notes = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<ref") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(open_end) = tag.find('>') else {
            rest = "";
            break;
        };
        // `<ref name="x" />` reuses a note printed elsewhere.
        if tag[..open_end].ends_with('/') {
            rest = &tag[open_end + 1..];
            continue;
        }
        let inside = &tag[open_end + 1..];
        let end = inside.find("</ref>").unwrap_or(inside.len());
        notes.push(inside[..end].to_owned());
        rest = inside.get(end + "</ref>".len()..).unwrap_or("");
    }
    out.push_str(rest);
    (out, notes.join("\n"))
}

/// Nested calls inside kept parameters are expanded too, up to this depth.
const MAX_TEMPLATE_DEPTH: usize = 10;

fn expand_templates(rules: &VerifyRules, text: &str, depth: usize) -> String {
    if depth >= MAX_TEMPLATE_DEPTH {
        return text.to_owned();
    }
    replace_templates(text, |call| {
        let kept = template_text(rules, call);
        expand_templates(rules, &kept, depth + 1)
    })
}

fn template_text(rules: &VerifyRules, call: &TemplateCall<'_>) -> String {
    // Parser functions and magic words ({{#if:…}}, {{PAGENAME}}) print nothing comparable.
    if call.name.starts_with('#') || call.name.contains(':') {
        return String::new();
    }
    let positional = call.positional();
    match rules.template_action(call.name) {
        TemplateAction::Drop => String::new(),
        TemplateAction::First => positional.first().map_or(String::new(), |p| (*p).to_owned()),
        TemplateAction::Last => positional.last().map_or(String::new(), |p| (*p).to_owned()),
        TemplateAction::Name => call.name.to_owned(),
        TemplateAction::All => positional.join(" "),
    }
}

/// `[[target|label]]` becomes `label` and `[[target]]` becomes `target`; file and
/// category links are removed, external links `[url label]` keep their label.
fn unwrap_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[[") {
        out.push_str(&rest[..start]);
        let inside = &rest[start + 2..];
        let Some(end) = inside.find("]]") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let link = &inside[..end];
        let target = link.split('|').next().unwrap_or("").trim();
        let is_media = ["File:", "Fichier:", "Image:", "Category:", "Catégorie:"]
            .iter()
            .any(|prefix| target.len() >= prefix.len() && target[..prefix.len()].eq_ignore_ascii_case(prefix));
        if !is_media {
            out.push_str(link.rsplit('|').next().unwrap_or(""));
        }
        rest = &inside[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Removes HTML and extension tags, keeping their content; `<br>` becomes a space.
fn remove_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tag = &rest[start + 1..];
        let looks_like_tag = tag.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/');
        match tag.find('>').filter(|_| looks_like_tag) {
            Some(end) => {
                out.push(' ');
                rest = &tag[end + 1..];
            }
            None => {
                out.push('<');
                rest = tag;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Removes headings' `=`, list and indentation markers and table markup, line by line.
fn strip_line_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("{|") || trimmed.starts_with("|}") || trimmed.starts_with("|-") {
            out.push('\n');
            continue;
        }
        let line = trimmed.trim_start_matches([':', '*', '#', ';']);
        let line = line.trim_matches('=');
        let line = if line.starts_with('|') || line.starts_with('!') {
            table_row_text(line)
        } else {
            line.to_owned()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Returns the cell texts of a table row (`| a || style="x" | b`), without attributes.
fn table_row_text(line: &str) -> String {
    let cells = line[1..].split("||").flat_map(|cell| cell.split("!!"));
    cells
        .map(|cell| match cell.split_once('|') {
            Some((attributes, text)) if attributes.contains('=') => text,
            _ => cell,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Joins `word-\nword` into `wordword`: a scan hyphenates at line ends, the wiki does not.
fn join_hyphenated_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find("-\n") {
        let before = &rest[..position];
        let after = rest[position + 2..].trim_start_matches([' ', '\t']);
        let letter_before = before.chars().next_back().is_some_and(char::is_alphabetic);
        let letter_after = after.chars().next().is_some_and(char::is_alphabetic);
        out.push_str(before);
        if letter_before && letter_after {
            rest = after;
        } else {
            out.push_str("-\n");
            rest = &rest[position + 2..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::super::rules::VerifyConfig;
    use super::*;

    fn french() -> VerifyRules {
        VerifyConfig::shipped().rules_for("fr.wikisource.org").clone()
    }

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn markup_is_removed() {
        let page = "<noinclude><pagequality level=\"1\" user=\"X\" />{{Nr|12|TITRE|}}</noinclude>\
                    {{c|'''CHAPITRE I'''}}\n\n:Il ''était'' une [[Auteur:Foo|fois]]<br />un {{sc|roi}}.\
                    <noinclude><references/></noinclude>";

        assert_eq!(
            wiki_words(&french(), page),
            words("12 TITRE CHAPITRE I Il était une fois un roi.")
        );
    }

    #[test]
    fn notes_move_to_the_end() {
        let page = "Texte<ref>Une note.</ref> suivant<ref name=\"a\" /> fin.";

        assert_eq!(wiki_words(&french(), page), words("Texte suivant fin. Une note."));
    }

    #[test]
    fn typography_and_hyphens_are_normalised() {
        let rules = french();

        assert_eq!(
            ocr_words(&rules, "l’homme… ſans pa-\nreil"),
            words("l'homme... sans pareil")
        );
        assert_eq!(ocr_words(&rules, "1870-\n1871"), words("1870-\n1871"));
    }

    #[test]
    fn superscript_abbreviations_keep_their_name() {
        assert_eq!(wiki_words(&french(), "le 1{{er}} mai"), words("le 1er mai"));
    }

    #[test]
    fn table_attributes_are_removed() {
        let page = "{| class=\"x\"\n|-\n| style=\"a\" | un || deux\n|}";

        assert_eq!(wiki_words(&french(), page), words("un deux"));
    }

    #[test]
    fn unknown_and_parser_function_templates_are_dropped() {
        assert_eq!(wiki_words(&french(), "a {{Inconnu|x}} b {{#if:y|z}} c"), words("a b c"));
    }
}
