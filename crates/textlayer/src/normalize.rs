//! Normalisation of the text of one page, the same for DjVu and PDF.

/// Normalises the raw text of one page:
///
/// * The DjVu separators `\x1f` (end of paragraph), `\x1d` (end of region) and
///   `\x0b` (end of column), and blank lines (pdftotext's paragraph breaks),
///   become one blank line. Runs of them collapse into one.
/// * A tab becomes a space. Other control characters (C0, DEL, C1, including
///   `\r` and form feed) are removed.
/// * The Latin ligatures U+FB00 to U+FB06 are spelled out: ﬀ ﬁ ﬂ ﬃ ﬄ become ff
///   fi fl ffi ffl, and ﬆ becomes st. ﬅ becomes ſt, its Unicode compatibility
///   decomposition, which keeps the long s that some Wikisources transcribe.
/// * A soft hyphen (U+00AD) is removed. At the end of a line it also joins the
///   two halves of the hyphenated word.
/// * Trailing whitespace of every line is removed, and blank lines at the
///   start and end of the page are dropped.
///
/// Invalid UTF-8 is replaced with U+FFFD before this step, when the tool
/// output is decoded.
pub fn normalize_page(raw: &str) -> String {
    let unfolded = unfold_characters(raw);
    let mut page = String::with_capacity(unfolded.len());
    let mut pending_break = false;
    for line in unfolded.split('\n').map(str::trim_end) {
        if line.is_empty() {
            pending_break = !page.is_empty();
            continue;
        }
        if !page.is_empty() {
            page.push_str(if pending_break { "\n\n" } else { "\n" });
        }
        page.push_str(line);
        pending_break = false;
    }
    page
}

/// Maps every character of `raw` as `normalize_page` describes, except the
/// line-level steps. Paragraph separators become `\n\n`.
fn unfold_characters(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1f}' | '\u{1d}' | '\u{0b}' => text.push_str("\n\n"),
            '\n' => text.push('\n'),
            '\t' => text.push(' '),
            '\u{ad}' => {
                // Join "exam\u{ad} \nple" into "example". Before a paragraph
                // break or the end of the page, only the hyphen goes.
                let mut lookahead = chars.clone();
                while lookahead.next_if(|&next| next == ' ').is_some() {}
                if lookahead.next() == Some('\n')
                    && lookahead
                        .peek()
                        .is_some_and(|next| !matches!(next, '\n' | '\u{1f}' | '\u{1d}' | '\u{0b}'))
                {
                    chars = lookahead;
                }
            }
            '\u{fb00}' => text.push_str("ff"),
            '\u{fb01}' => text.push_str("fi"),
            '\u{fb02}' => text.push_str("fl"),
            '\u{fb03}' => text.push_str("ffi"),
            '\u{fb04}' => text.push_str("ffl"),
            '\u{fb05}' => text.push_str("ſt"),
            '\u{fb06}' => text.push_str("st"),
            c if c.is_control() => {}
            c => text.push(c),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn djvu_separators_become_one_blank_line() {
        let raw = "4 GENESIS \n\x1f\x1dand the lesser light \nto rule the night. \n\x1f5 And God \n\x1f\x1d";
        assert_eq!(
            normalize_page(raw),
            "4 GENESIS\n\nand the lesser light\nto rule the night.\n\n5 And God"
        );
    }

    #[test]
    fn column_separator_without_newline_breaks_paragraph() {
        assert_eq!(normalize_page("\x0b\x1f\x1f\x1d\x0by/ \n\x1f\x1d\x0b"), "y/");
        assert_eq!(normalize_page("left\x0bright"), "left\n\nright");
    }

    #[test]
    fn pdf_blank_lines_are_kept_once() {
        let raw = "Chapitre premier. Le texte de la page un.\nSecond line of text on page one.\n\n\n\nNext block\n\n";
        assert_eq!(
            normalize_page(raw),
            "Chapitre premier. Le texte de la page un.\nSecond line of text on page one.\n\nNext block"
        );
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(normalize_page("a\0b\x07c\r\nd\x0ce\x7ff\u{85}g\th"), "abc\ndefg h");
    }

    #[test]
    fn ligatures_are_spelled_out() {
        assert_eq!(
            normalize_page("e\u{fb00}ect \u{fb01}n \u{fb02}ow o\u{fb03}ce ba\u{fb04}e \u{fb05}op \u{fb06}ar"),
            "effect fin flow office baffle ſtop star"
        );
    }

    #[test]
    fn soft_hyphens_are_folded() {
        assert_eq!(normalize_page("exam\u{ad}\nple"), "example");
        assert_eq!(normalize_page("exam\u{ad} \nple and more"), "example and more");
        assert_eq!(normalize_page("ex\u{ad}am\u{ad}ple"), "example");
        assert_eq!(normalize_page("end\u{ad}\n\npara"), "end\n\npara");
        assert_eq!(normalize_page("end\u{ad} \n\x1fpara"), "end\n\npara");
        assert_eq!(normalize_page("last\u{ad}\n"), "last");
    }

    #[test]
    fn trailing_whitespace_and_edge_blank_lines_are_dropped() {
        assert_eq!(
            normalize_page("\n \n  indented line   \nnext\t\n\n"),
            "  indented line\nnext"
        );
        assert_eq!(normalize_page(""), "");
        assert_eq!(normalize_page(" \n\x1f\x1d \n"), "");
    }

    #[test]
    fn replacement_character_is_kept() {
        assert_eq!(normalize_page(&String::from_utf8_lossy(b"caf\xe9")), "caf\u{fffd}");
    }
}
