//! The `<pagelist>` tag of an Index page: labels of the pages of a multipage file.
//!
//! Attributes, in order, set the label of file page `n` with ProofreadPage's rules
//! (`Pagination\PageList`):
//!
//! * `N=M` with numbers: from file page `N` on, the printed number is the file page minus
//!   `N - M` (the last such attribute with `N` ≤ `n` wins);
//! * `N=…` or `AtoB=…` (optionally `AtoBeven` / `AtoBodd`) applies when its range contains
//!   `n`. Its value is a display mode (`roman`, `highroman`, `folio`, `folioroman`,
//!   `foliohighroman`, or a numbering system such as `beng`, `deva`, `thai`), or `empty`
//!   (no text on the page), or else a literal label (`Cover`, `-`);
//! * a value may combine parts with `;` (`1;roman`), and a numeric part sets the offset
//!   as above;
//! * folio modes count two file pages per printed leaf, recto then verso, starting at
//!   the first page of the range;
//! * other attributes (`from`, `to`) only limit the display and do not change labels.
//!
//! Attribute names repeated across tags keep their first position and their last value.

use std::collections::BTreeMap;

use crate::attrs::Attributes;
use crate::digits::DigitScript;
use crate::php;
use crate::roman::to_roman;

/// Numbering style of a page label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisplayMode {
    /// Decimal, in the wiki language's digits.
    Normal,
    /// Lower-case Roman numerals.
    Roman,
    /// Upper-case Roman numerals.
    HighRoman,
    /// Decimal leaf number with `r` (recto) or `v` (verso).
    Folio,
    /// Lower-case Roman leaf number with `r` or `v`.
    FolioRoman,
    /// Upper-case Roman leaf number with `r` or `v`.
    FolioHighRoman,
    /// Decimal in the digits of a given script (`beng`, `deva`, `gujr`, …).
    Digits(DigitScript),
    /// ProofreadPage's `prpbengalicurrency` mode.
    // NOTE: ProofreadPage writes this mode in the traditional Bengali currency notation;
    // here it is written with plain Bengali digits.
    BengaliCurrency,
}

impl DisplayMode {
    /// Returns the mode named `name` in a `<pagelist>` attribute value, or `None` when the
    /// name is no display mode (then the value is a label).
    pub fn from_name(name: &str) -> Option<Self> {
        let mode = match name {
            "normal" => Self::Normal,
            "roman" => Self::Roman,
            "highroman" => Self::HighRoman,
            "folio" => Self::Folio,
            "folioroman" => Self::FolioRoman,
            "foliohighroman" => Self::FolioHighRoman,
            "prpbengalicurrency" => Self::BengaliCurrency,
            "beng" | "deva" | "tamldec" | "guru" | "gujr" | "telu" | "knda" | "mlym" | "orya" | "thai" => {
                Self::Digits(DigitScript::from_numbering_system(name)?)
            }
            _ => return None,
        };
        Some(mode)
    }

    fn is_folio(self) -> bool {
        matches!(self, Self::Folio | Self::FolioRoman | Self::FolioHighRoman)
    }
}

/// The label of one file page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageLabel {
    /// A number to write in [`PageLabel::mode`], or a literal label.
    pub value: LabelValue,
    pub mode: DisplayMode,
    /// True when the pagelist marks the page `empty` (nothing to transcribe).
    pub is_empty: bool,
    /// For folio modes: true on the recto (front) of the leaf, false on the verso.
    pub is_recto: bool,
}

/// The number or the literal text of a label.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelValue {
    Number(i64),
    Text(String),
}

impl PageLabel {
    /// The label as text, the form ProofreadPage returns as the raw page number: `12`,
    /// `xiv`, `12r`, `Cover`. `normal_digits` are the digits of the wiki's language,
    /// used by the normal and folio modes (Latin on most wikis, Bengali on bn, …).
    pub fn text(&self, normal_digits: DigitScript) -> String {
        let number = match &self.value {
            LabelValue::Number(number) => *number,
            LabelValue::Text(text) => return text.clone(),
        };
        let side = if self.is_recto { "r" } else { "v" };
        match self.mode {
            DisplayMode::Normal => format_decimal(number, normal_digits),
            DisplayMode::Roman => to_roman(number).to_lowercase(),
            DisplayMode::HighRoman => to_roman(number),
            DisplayMode::Folio => format_decimal(number, normal_digits) + side,
            DisplayMode::FolioRoman => to_roman(number).to_lowercase() + side,
            DisplayMode::FolioHighRoman => to_roman(number) + side,
            DisplayMode::Digits(script) => format_decimal(number, script),
            DisplayMode::BengaliCurrency => format_decimal(number, DigitScript::BENGALI),
        }
    }
}

fn format_decimal(number: i64, script: DigitScript) -> String {
    let digits = script.format(number.unsigned_abs());
    if number < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// The combined attributes of every `<pagelist>` tag of an Index page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pagelist {
    attributes: Attributes,
}

impl Pagelist {
    /// Reads the attributes of one tag, the text between `<pagelist` and `/>`.
    pub fn from_attribute_text(text: &str) -> Self {
        Self {
            attributes: Attributes::parse(text),
        }
    }

    /// Reads every self-closing `<pagelist … />` tag (any case) of an Index page's
    /// wikitext or of its `Pages` field, joined in text order. Returns `None` when there is
    /// no such tag (an Index of one image per page lists `[[Page:…]]` links instead).
    pub fn from_index_wikitext(wikitext: &str) -> Option<Self> {
        let attribute_texts = find_pagelist_attribute_texts(wikitext);
        if attribute_texts.is_empty() {
            return None;
        }
        Some(Self::from_attribute_text(&attribute_texts.concat()))
    }

    /// Returns the attributes, names lower-cased, in order.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// Computes the label of file page `page` (1-based).
    pub fn label(&self, page: u32) -> PageLabel {
        let page_number = f64::from(page);
        let mut mode = DisplayMode::Normal;
        let mut offset = 0.0;
        // The last literal label or folio leaf number set by a range containing the page.
        let mut displayed: Option<LabelValue> = None;
        let mut is_empty = false;
        let mut is_recto = true;

        for (name, value) in self.attributes.iter() {
            if let Some(start) = php::numeric_value(name).filter(|&start| start <= page_number) {
                for part in value.split(';') {
                    if let Some(printed) = php::numeric_value(part) {
                        offset = start - printed;
                    }
                }
            }
            let Some(range) = Range::parse(name) else { continue };
            if !range.contains(page_number) {
                continue;
            }
            for part in value.split(';').filter(|part| php::numeric_value(part).is_none()) {
                if let Some(found) = DisplayMode::from_name(part) {
                    mode = found;
                } else if part == "empty" {
                    is_empty = true;
                } else {
                    displayed = Some(LabelValue::Text(part.to_owned()));
                }
            }
            let last_part = value.rsplit(';').next().unwrap_or("");
            if DisplayMode::from_name(last_part).is_some_and(DisplayMode::is_folio) {
                let leaves = ((page_number - range.start) / 2.0).trunc();
                displayed = Some(LabelValue::Number(php_int(range.start - offset + leaves)));
                is_recto = (page_number - range.start) % 2.0 == 0.0;
            }
        }

        let value = displayed.unwrap_or_else(|| LabelValue::Number(php_int(page_number - offset)));
        PageLabel {
            value,
            mode,
            is_empty,
            is_recto,
        }
    }

    /// Computes the labels of file pages 1 to `page_count`, as text (see [`PageLabel::text`]).
    pub fn labels(&self, page_count: u32, normal_digits: DigitScript) -> Vec<String> {
        (1..=page_count)
            .map(|page| self.label(page).text(normal_digits))
            .collect()
    }

    /// File pages (ascending) among 1 to `page_count` whose label text is `label`. A
    /// label such as `-` or `Cover` is usually shared by several pages.
    pub fn file_pages_with_label(&self, label: &str, page_count: u32, normal_digits: DigitScript) -> Vec<u32> {
        (1..=page_count)
            .filter(|&page| self.label(page).text(normal_digits) == label)
            .collect()
    }

    /// Maps each label text to its file pages, for pages 1 to `page_count`.
    pub fn file_pages_by_label(&self, page_count: u32, normal_digits: DigitScript) -> BTreeMap<String, Vec<u32>> {
        let mut map: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for page in 1..=page_count {
            map.entry(self.label(page).text(normal_digits)).or_default().push(page);
        }
        map
    }
}

/// Maps a printed page number to a file page the way the legacy Match tool did for the
/// Revue des Deux Mondes volumes of fr.wikisource, from the `<pagelist … />` tags of an
/// Index wikitext. Only whitespace-separated tokens starting with `<digits>=<digits>`
/// count, as pairs `A=B` (file page `A` is printed page `B`). Among the pairs sorted by
/// `A`, the last one with `B` ≤ `printed` gives the file page `printed + A − B`. Returns
/// `None` when no pair applies or the result is below 1.
pub fn legacy_file_page_for_printed(index_wikitext: &str, printed: u32) -> Option<u32> {
    let mut pairs: Vec<(u64, u64)> = find_pagelist_attribute_texts(index_wikitext)
        .into_iter()
        .flat_map(|text| text.split_whitespace())
        .filter_map(leading_number_pair)
        .collect();
    pairs.sort_by_key(|&(file_page, _)| file_page);
    let printed = u64::from(printed);
    let (file_page, printed_at) = pairs.into_iter().rfind(|&(_, label)| label <= printed)?;
    u32::try_from(printed + file_page - printed_at)
        .ok()
        .filter(|&page| page >= 1)
}

/// Reads `<digits>=<digits>` at the start of a token, ignoring what follows.
fn leading_number_pair(token: &str) -> Option<(u64, u64)> {
    let (file_page, rest) = token.split_once('=')?;
    let printed_length = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let is_digits = !file_page.is_empty() && file_page.bytes().all(|b| b.is_ascii_digit());
    if !is_digits || printed_length == 0 {
        return None;
    }
    Some((file_page.parse().ok()?, rest[..printed_length].parse().ok()?))
}

/// PHP's `(int)` of a float: truncation toward zero, saturating.
fn php_int(value: f64) -> i64 {
    value as i64
}

/// A file page range written as an attribute name: `N`, `AtoB`, `AtoBeven` or `AtoBodd`.
struct Range {
    start: f64,
    end: f64,
    parity: Option<u32>,
}

impl Range {
    fn parse(name: &str) -> Option<Self> {
        if let Some(single) = php::numeric_value(name) {
            return Some(Self {
                start: single,
                end: single,
                parity: None,
            });
        }
        let (start, rest) = name.split_once("to")?;
        let (end, parity) = match rest.strip_suffix("even") {
            Some(end) => (end, Some(0)),
            None => match rest.strip_suffix("odd") {
                Some(end) => (end, Some(1)),
                None => (rest, None),
            },
        };
        let is_digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
        if !is_digits(start) || !is_digits(end) {
            return None;
        }
        // An empty start compares as smaller than any page and an empty end as smaller
        // than every page, as PHP 8 compares "" with an integer.
        let start = if start.is_empty() {
            f64::NEG_INFINITY
        } else {
            start.parse().ok()?
        };
        let end = if end.is_empty() {
            f64::NEG_INFINITY
        } else {
            end.parse().ok()?
        };
        Some(Self { start, end, parity })
    }

    fn contains(&self, page: f64) -> bool {
        let in_bounds = self.start <= page && page <= self.end;
        let parity_ok = self.parity.is_none_or(|parity| page % 2.0 == f64::from(parity));
        in_bounds && parity_ok
    }
}

/// Attribute texts of every `<pagelist … />` (any case): the text after `<pagelist` up to
/// the first `/>` with no `<` in between.
fn find_pagelist_attribute_texts(wikitext: &str) -> Vec<&str> {
    const OPEN: &str = "<pagelist";
    let lower = wikitext.to_ascii_lowercase();
    let mut texts = Vec::new();
    let mut position = 0;
    while let Some(offset) = lower[position..].find(OPEN) {
        let start = position + offset + OPEN.len();
        let rest = &wikitext[start..];
        let until_lt = rest.find('<').unwrap_or(rest.len());
        match rest[..until_lt].find("/>") {
            Some(end) => {
                texts.push(&rest[..end]);
                position = start + end + 2;
            }
            None => position = start,
        }
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(attributes: &str, page: u32) -> String {
        Pagelist::from_attribute_text(attributes)
            .label(page)
            .text(DigitScript::LATIN)
    }

    /// Pagelist attributes, file page, then the expected number, mode, empty flag and side,
    /// for the rules of ProofreadPage's `PageList::getNumber`.
    #[test]
    fn label_rules_table() {
        use DisplayMode::*;
        let cases: &[(&str, u32, i64, DisplayMode, bool, bool)] = &[
            (" 5=1", 6, 2, Normal, false, true),
            (" 5=1", 3, 3, Normal, false, true),
            (" 5to24=roman", 6, 6, Roman, false, true),
            (" 5=1 5to24=highroman", 6, 2, HighRoman, false, true),
            (" 5to24=roman 6to28=highroman", 8, 8, HighRoman, false, true),
            (" 5=1 5to24=empty", 7, 3, Normal, true, true),
            (" 5=1 5to24=highroman 7to22=empty", 8, 4, HighRoman, true, true),
            (" 4=\"1;highroman\"", 4, 1, HighRoman, false, true),
            (" 7to10=folio", 8, 7, Folio, false, false),
            (" 7to10=folio", 9, 8, Folio, false, true),
            (" 1to20=folioroman", 5, 3, FolioRoman, false, true),
            (" 1to20=foliohighroman", 6, 3, FolioHighRoman, false, false),
            (" 7=2 7to10=folio", 9, 3, Folio, false, true),
            (" 7=folio", 7, 7, Folio, false, true),
            (" 1to20=folio", 21, 21, Normal, false, true),
            (" 3to10odd=roman", 3, 3, Roman, false, true),
            (" 3to10odd=folio", 3, 3, Folio, false, true),
            (" 3to10odd=folioroman", 3, 3, FolioRoman, false, true),
            (" 3to10odd=foliohighroman", 3, 3, FolioHighRoman, false, true),
            (" 3to10even=roman", 3, 3, Normal, false, true),
            (" 3to10even=folio", 3, 3, Normal, false, true),
            (" 3to10odd=roman", 4, 4, Normal, false, true),
            (" 3to10odd=folio", 4, 4, Normal, false, true),
            (" 3to10even=roman", 4, 4, Roman, false, true),
            (" 3to10even=folio", 4, 3, Folio, false, false),
            (" 3to10even=folioroman", 4, 3, FolioRoman, false, false),
            (" 3to10even=foliohighroman", 4, 3, FolioHighRoman, false, false),
            (" 3to10odd=folio", 5, 4, Folio, false, true),
            (" 3to10=thai", 3, 3, Digits(DigitScript::THAI), false, true),
        ];
        for &(attributes, page, number, mode, is_empty, is_recto) in cases {
            let label = Pagelist::from_attribute_text(attributes).label(page);
            let expected = PageLabel {
                value: LabelValue::Number(number),
                mode,
                is_empty,
                is_recto,
            };
            assert_eq!(label, expected, "page {page} of{attributes}");
        }
        let dash = Pagelist::from_attribute_text(" 5=1 5to10=-").label(8);
        assert_eq!(dash.value, LabelValue::Text("-".into()));
    }

    #[test]
    fn folio_label_text() {
        let list = Pagelist::from_attribute_text(" 1to20=folio 21to40=foliohighroman 41to60=folioroman");
        assert_eq!(list.label(3).text(DigitScript::LATIN), "2r");
        assert_eq!(list.label(4).text(DigitScript::LATIN), "2v");
        assert_eq!(list.label(26).text(DigitScript::LATIN), "XXIIIv");
        assert_eq!(list.label(45).text(DigitScript::LATIN), "xliiir");
    }

    #[test]
    fn offsets_and_ranges() {
        let list = " 1to4=- 5=1 5to24=roman 25=1";
        assert_eq!(label(list, 1), "-");
        assert_eq!(label(list, 4), "-");
        assert_eq!(label(list, 5), "i");
        assert_eq!(label(list, 24), "xx");
        assert_eq!(label(list, 25), "1");
        assert_eq!(label(list, 30), "6");
    }

    #[test]
    fn literal_label_only_on_its_page() {
        let list = " 12=\"Cover\" 13=1";
        assert_eq!(label(list, 11), "11");
        assert_eq!(label(list, 12), "Cover");
        assert_eq!(label(list, 13), "1");
    }

    #[test]
    fn even_odd_ranges() {
        assert_eq!(label(" 3to10even=Plate", 4), "Plate");
        assert_eq!(label(" 3to10even=Plate", 5), "5");
        assert_eq!(label(" 3to10odd=roman", 5), "v");
    }

    #[test]
    fn normal_digits_of_wiki() {
        let list = Pagelist::from_attribute_text(" 5=1");
        assert_eq!(list.label(16).text(DigitScript::BENGALI), "১২");
        assert_eq!(list.label(16).text(DigitScript::LATIN), "12");
        assert_eq!(label(" 1to9=beng", 7), "৭");
    }

    #[test]
    fn reverse_lookup() {
        let list = Pagelist::from_attribute_text(" 1to2=- 3=1 10=- 11=8");
        assert_eq!(list.file_pages_with_label("-", 12, DigitScript::LATIN), vec![1, 2, 10]);
        assert_eq!(list.file_pages_with_label("8", 12, DigitScript::LATIN), vec![11]);
        assert_eq!(list.file_pages_by_label(4, DigitScript::LATIN).get("2"), Some(&vec![4]));
    }

    #[test]
    fn legacy_printed_page_mapping() {
        let index = "|Pages=<pagelist 1to4=- 5=1 5to10=roman 11=1 300=\"290\" 250=240;roman />";
        assert_eq!(legacy_file_page_for_printed(index, 1), Some(11));
        assert_eq!(legacy_file_page_for_printed(index, 100), Some(110));
        assert_eq!(legacy_file_page_for_printed(index, 245), Some(255));
        assert_eq!(legacy_file_page_for_printed(index, 0), None);
        assert_eq!(legacy_file_page_for_printed("no tag", 3), None);
    }

    #[test]
    fn tags_in_index_wikitext() {
        let wikitext = "{{:MediaWiki:Proofreadpage_index_template\n|Pages=<PageList to=24 1to4=- 5=1 5to24=roman />\
            <pagelist from=25 25=1 1021to1024=- />\n|Author=[[Author:Me]]\n}}";
        let list = Pagelist::from_index_wikitext(wikitext).unwrap();
        let names: Vec<_> = list.attributes().iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["to", "1to4", "5", "5to24", "from", "25", "1021to1024"]);
        assert_eq!(Pagelist::from_index_wikitext("|Pages=[[Page:A.jpg|1]]"), None);
        assert_eq!(Pagelist::from_index_wikitext("<pagelist/>"), Some(Pagelist::default()));
    }
}
