//! Word diff of a text layer page against its wikitext, in hunks with one word of
//! context, without the hunks that are known noise.

use similar::{capture_diff_slices, group_diff_ops, Algorithm, DiffTag};

use super::rules::VerifyRules;

/// Words of context on each side of a change.
const CONTEXT_WORDS: usize = 1;

/// One group of changes: the text-layer words and the wiki words it covers,
/// context included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub ocr: Vec<String>,
    pub wiki: Vec<String>,
}

/// Returns the hunks where `wiki` differs from `ocr`, less the noise of `rules`.
pub fn word_hunks(rules: &VerifyRules, ocr: &[String], wiki: &[String]) -> Vec<Hunk> {
    let ops = capture_diff_slices(Algorithm::Myers, ocr, wiki);
    let mut hunks = Vec::new();
    for group in group_diff_ops(ops, CONTEXT_WORDS) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let mut ocr_changed = Vec::new();
        let mut wiki_changed = Vec::new();
        for op in &group {
            let (tag, old, new) = op.as_tag_tuple();
            if tag != DiffTag::Equal {
                ocr_changed.extend(ocr[old].iter().map(String::as_str));
                wiki_changed.extend(wiki[new].iter().map(String::as_str));
            }
        }
        if is_noise(rules, &ocr_changed.join(" "), &wiki_changed.join(" ")) {
            continue;
        }
        let old = first.old_range().start..last.old_range().end;
        let new = first.new_range().start..last.new_range().end;
        hunks.push(Hunk {
            ocr: ocr[old].to_vec(),
            wiki: wiki[new].to_vec(),
        });
    }
    hunks
}

/// A change is noise when both sides are short and one contains a digit (page
/// numbers, footnote calls), or when it is a known OCR misreading.
fn is_noise(rules: &VerifyRules, ocr: &str, wiki: &str) -> bool {
    let short = ocr.chars().count() <= rules.max_noise_chars && wiki.chars().count() <= rules.max_noise_chars;
    let has_digit = |text: &str| text.chars().any(|c| c.is_numeric());
    (short && (has_digit(ocr) || has_digit(wiki))) || rules.is_confusion(ocr, wiki)
}

#[cfg(test)]
mod tests {
    use super::super::rules::VerifyConfig;
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    fn hunks(ocr: &str, wiki: &str) -> Vec<Hunk> {
        let rules = VerifyConfig::shipped().rules_for("fr.wikisource.org").clone();
        word_hunks(&rules, &words(ocr), &words(wiki))
    }

    #[test]
    fn changed_word_has_one_word_of_context() {
        assert_eq!(
            hunks("un deux trois quatre cinq", "un deux troys quatre cinq"),
            vec![Hunk {
                ocr: words("deux trois quatre"),
                wiki: words("deux troys quatre"),
            }]
        );
    }

    #[test]
    fn equal_texts_have_no_hunk() {
        assert!(hunks("un deux", "un deux").is_empty());
    }

    #[test]
    fn short_digit_changes_are_noise() {
        assert!(hunks("un 12 deux", "un deux").is_empty());
        assert!(hunks("un a1 deux", "un al deux").is_empty());
    }

    #[test]
    fn known_misreadings_are_noise() {
        assert!(hunks("et CLANS la", "et DANS la").is_empty());
    }

    #[test]
    fn long_changes_with_digits_are_kept() {
        assert_eq!(hunks("en 1870 ici", "en 1871 ici").len(), 1);
    }
}
