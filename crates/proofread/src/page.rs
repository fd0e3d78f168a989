//! Wikitext of a page in the Page namespace (content model `proofread-page`).
//!
//! ProofreadPage (`PageContentHandler`, MediaWiki 1.39 era) stores a page as
//! `<noinclude><pagequality level="L" user="U" />HEADER</noinclude>BODY<noinclude>FOOTER</noinclude>`.
//! [`PageContent::parse`] reads that form and the older ones with the rules of
//! ProofreadPage's own reader, so header, body, footer, quality level and user are what
//! the wiki shows:
//!
//! * the header runs to the first `</noinclude>`, without the newlines just before it;
//! * the footer is the text between the last `<noinclude>` and a final `</noinclude>`.
//!   Without such a footer, the body runs to the end, less one final newline;
//! * the quality comes from `<pagequality level="L" user="U" />` (or
//!   `<pagequality …></pagequality>`) or the legacy `{{PageQuality|L|U}}` at the start of
//!   the header; without either the level is 1 and the user unknown;
//! * after a quality marker, a legacy `<div class="pagetext">` (or `<div>`) wrapper is
//!   removed from the header together with the `</div>` ending the footer (or the body).
//!
//! Parsing never fails and loses nothing: the text before and after the body is kept
//! verbatim, so [`PageContent::to_wikitext`] returns the input byte for byte, and
//! [`PageContent::set_body`] replaces only the body.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::messages;

const NOINCLUDE_OPEN: &str = "<noinclude>";
const NOINCLUDE_CLOSE: &str = "</noinclude>";

/// Proofreading status of a page, as ProofreadPage numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum QualityLevel {
    /// Level 0, category "Without text".
    WithoutText = 0,
    /// Level 1, category "Not proofread".
    NotProofread = 1,
    /// Level 2, category "Problematic".
    Problematic = 2,
    /// Level 3, category "Proofread".
    Proofread = 3,
    /// Level 4, category "Validated".
    Validated = 4,
}

impl QualityLevel {
    /// Returns the level as ProofreadPage writes it (0 to 4).
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Returns the level numbered `level`, or `None` outside 0 to 4.
    pub fn from_u8(level: u8) -> Option<Self> {
        match level {
            0 => Some(Self::WithoutText),
            1 => Some(Self::NotProofread),
            2 => Some(Self::Problematic),
            3 => Some(Self::Proofread),
            4 => Some(Self::Validated),
            _ => None,
        }
    }

    fn from_ascii_digit(byte: u8) -> Option<Self> {
        byte.checked_sub(b'0').and_then(Self::from_u8)
    }
}

impl From<QualityLevel> for u8 {
    fn from(level: QualityLevel) -> u8 {
        level.as_u8()
    }
}

impl TryFrom<u8> for QualityLevel {
    type Error = PageJsonError;

    fn try_from(level: u8) -> Result<Self, Self::Error> {
        Self::from_u8(level).ok_or_else(|| PageJsonError::InvalidLevel {
            value: level.to_string(),
        })
    }
}

/// Division of the page text around the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `<noinclude>HEADER</noinclude>BODY<noinclude>FOOTER</noinclude>`.
    HeaderBodyFooter,
    /// `<noinclude>HEADER</noinclude>BODY`, with no footer.
    HeaderBody,
    /// No `<noinclude>` wrapper: the whole text is the body.
    BodyOnly,
}

/// Markup that carried the quality level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityMarkup {
    /// `<pagequality level="L" user="U" />`, the current form.
    Tag,
    /// `{{PageQuality|L|U}}`, the legacy template form.
    LegacyTemplate,
    /// No quality markup: level 1, user unknown.
    Missing,
}

/// A Page-namespace page: header, body, footer, quality level and the user who set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageContent {
    header: String,
    body: String,
    footer: String,
    level: QualityLevel,
    user: Option<String>,
    layout: Layout,
    quality_markup: QualityMarkup,
    /// Source text before the body, kept verbatim.
    prefix: String,
    /// Source text after the body, kept verbatim.
    suffix: String,
}

/// Byte ranges of the parts of a page text.
struct Split {
    layout: Layout,
    header: (usize, usize),
    body: (usize, usize),
    footer: (usize, usize),
}

impl PageContent {
    /// Reads the wikitext of a Page-namespace page. Any text is accepted.
    pub fn parse(wikitext: &str) -> Self {
        let split = split_wrappers(wikitext);
        let mut header = &wikitext[split.header.0..split.header.1];
        let mut body_range = split.body;
        let mut footer = &wikitext[split.footer.0..split.footer.1];

        let quality = read_quality(header);
        let (level, user, quality_markup) = match &quality {
            Some(found) => (found.level, found.user.clone(), found.markup),
            None => (QualityLevel::NotProofread, None, QualityMarkup::Missing),
        };
        if let Some(found) = quality {
            header = &header[found.rest_start..];
            if let Some(inner) = strip_div_opening(header) {
                header = inner;
                match split.layout {
                    Layout::HeaderBodyFooter => footer = strip_div_closing(footer),
                    Layout::HeaderBody => {
                        let body = strip_div_closing(&wikitext[body_range.0..body_range.1]);
                        body_range.1 = body_range.0 + body.len();
                    }
                    Layout::BodyOnly => {}
                }
            }
        }

        Self {
            header: header.to_owned(),
            body: wikitext[body_range.0..body_range.1].to_owned(),
            footer: footer.to_owned(),
            level,
            user,
            layout: split.layout,
            quality_markup,
            prefix: wikitext[..body_range.0].to_owned(),
            suffix: wikitext[body_range.1..].to_owned(),
        }
    }

    /// Builds the text of a page that does not exist yet, at level 1 ("Not proofread") by
    /// `user`: `<noinclude><pagequality level="1" user="U" />\n\n\n</noinclude>BODY<noinclude>\n<references/></noinclude>`.
    pub fn new_page(body: &str, user: &str) -> Self {
        let prefix = format!(
            "{NOINCLUDE_OPEN}{}\n\n\n{NOINCLUDE_CLOSE}",
            quality_tag(QualityLevel::NotProofread, user)
        );
        let footer = "\n<references/>";
        Self {
            header: String::new(),
            body: body.to_owned(),
            footer: footer.to_owned(),
            level: QualityLevel::NotProofread,
            user: (!user.is_empty()).then(|| user.to_owned()),
            layout: Layout::HeaderBodyFooter,
            quality_markup: QualityMarkup::Tag,
            prefix,
            suffix: format!("{NOINCLUDE_OPEN}{footer}{NOINCLUDE_CLOSE}"),
        }
    }

    /// Builds a page in the canonical form from its parts. An empty `user` means unknown.
    pub fn from_parts(header: &str, body: &str, footer: &str, level: QualityLevel, user: Option<&str>) -> Self {
        let mut page = Self {
            header: header.to_owned(),
            body: body.to_owned(),
            footer: footer.to_owned(),
            level,
            user: user.filter(|name| !name.is_empty()).map(str::to_owned),
            layout: Layout::HeaderBodyFooter,
            quality_markup: QualityMarkup::Tag,
            prefix: String::new(),
            suffix: String::new(),
        };
        page.rewrite_wrappers();
        page
    }

    /// Returns the header, shown above the body in the Page namespace and never transcluded.
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Returns the body, the part transcluded into other pages.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Returns the footer, shown below the body and never transcluded.
    pub fn footer(&self) -> &str {
        &self.footer
    }

    /// Returns the proofreading quality level.
    pub fn level(&self) -> QualityLevel {
        self.level
    }

    /// Returns the user who set the quality level, if the text names one.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Returns the division of the source text around the body.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Returns the markup that carried the quality level in the source text.
    pub fn quality_markup(&self) -> QualityMarkup {
        self.quality_markup
    }

    /// Returns the source text before the body, verbatim (wrappers, quality marker and header).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Returns the source text after the body, verbatim (footer and wrappers).
    pub fn suffix(&self) -> &str {
        &self.suffix
    }

    /// Replaces the body and keeps every other byte of the text as it was.
    pub fn set_body(&mut self, body: &str) {
        body.clone_into(&mut self.body);
    }

    /// Returns a copy with the body replaced and every other byte kept.
    pub fn with_body(&self, body: &str) -> Self {
        let mut page = self.clone();
        page.set_body(body);
        page
    }

    /// Replaces the header. The text around the body is then rewritten in the canonical form.
    pub fn set_header(&mut self, header: &str) {
        header.clone_into(&mut self.header);
        self.rewrite_wrappers();
    }

    /// Replaces the footer. The text around the body is then rewritten in the canonical form.
    pub fn set_footer(&mut self, footer: &str) {
        footer.clone_into(&mut self.footer);
        self.rewrite_wrappers();
    }

    /// Sets the quality level and its user. The text around the body is then rewritten in
    /// the canonical form.
    pub fn set_level(&mut self, level: QualityLevel, user: Option<&str>) {
        self.level = level;
        self.user = user.filter(|name| !name.is_empty()).map(str::to_owned);
        self.rewrite_wrappers();
    }

    fn rewrite_wrappers(&mut self) {
        let user = self.user.as_deref().unwrap_or("");
        self.prefix = format!(
            "{NOINCLUDE_OPEN}{}{}{NOINCLUDE_CLOSE}",
            quality_tag(self.level, user),
            self.header
        );
        self.suffix = format!("{NOINCLUDE_OPEN}{}{NOINCLUDE_CLOSE}", self.footer);
        self.layout = Layout::HeaderBodyFooter;
        self.quality_markup = QualityMarkup::Tag;
    }

    /// Writes the page text: the kept text before the body, the body, the kept text after it.
    pub fn to_wikitext(&self) -> String {
        [self.prefix.as_str(), &self.body, &self.suffix].concat()
    }

    /// Writes the page text in the form ProofreadPage writes on save:
    /// `<noinclude><pagequality level="L" user="U" />HEADER</noinclude>BODY<noinclude>FOOTER</noinclude>`
    /// (`user=""` when the user is unknown).
    pub fn to_canonical_wikitext(&self) -> String {
        let user = self.user.as_deref().unwrap_or("");
        format!(
            "{NOINCLUDE_OPEN}{}{}{NOINCLUDE_CLOSE}{}{NOINCLUDE_OPEN}{}{NOINCLUDE_CLOSE}",
            quality_tag(self.level, user),
            self.header,
            self.body,
            self.footer
        )
    }

    /// Reads the JSON serialization (`rvcontentformat=application/json`):
    /// `{"header": …, "body": …, "footer": …, "level": {"level": L, "user": U}}`, where `L`
    /// is a number or a string and `user` may be absent.
    pub fn from_json(json: &str) -> Result<Self, PageJsonError> {
        let raw: JsonPage = serde_json::from_str(json).map_err(|error| PageJsonError::Invalid {
            reason: error.to_string(),
        })?;
        let level = raw.level.level.to_level()?;
        Ok(Self::from_parts(
            &raw.header,
            &raw.body,
            &raw.footer,
            level,
            raw.level.user.as_deref(),
        ))
    }

    /// Writes the JSON serialization, with the level as a number and `user` only when known.
    pub fn to_json(&self) -> String {
        let json = JsonPage {
            header: self.header.clone(),
            body: self.body.clone(),
            footer: self.footer.clone(),
            level: JsonLevel {
                level: JsonLevelNumber::Number(self.level.as_u8().into()),
                user: self.user.clone(),
            },
        };
        serde_json::to_string(&json).expect("a struct of strings and a number always serializes")
    }
}

/// Failure to read the JSON serialization of a page.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PageJsonError {
    #[error("{}", messages::page_json_invalid(.reason))]
    Invalid { reason: String },
    #[error("{}", messages::page_json_invalid_level(.value))]
    InvalidLevel { value: String },
}

#[derive(Serialize, Deserialize)]
struct JsonPage {
    header: String,
    body: String,
    footer: String,
    level: JsonLevel,
}

#[derive(Serialize, Deserialize)]
struct JsonLevel {
    level: JsonLevelNumber,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum JsonLevelNumber {
    Number(i64),
    Text(String),
}

impl JsonLevelNumber {
    fn to_level(&self) -> Result<QualityLevel, PageJsonError> {
        let (number, text) = match self {
            Self::Number(number) => (Some(*number), number.to_string()),
            Self::Text(text) => (text.trim().parse::<i64>().ok(), text.clone()),
        };
        number
            .and_then(|n| u8::try_from(n).ok())
            .and_then(QualityLevel::from_u8)
            .ok_or(PageJsonError::InvalidLevel { value: text })
    }
}

fn quality_tag(level: QualityLevel, user: &str) -> String {
    format!("<pagequality level=\"{}\" user=\"{user}\" />", level.as_u8())
}

/// End of the text for a pattern anchored with PCRE's `$`, which also matches before a
/// final newline: returns the candidates, the end of the text first.
fn ends_with_at_dollar(text: &str, suffix: &str) -> Option<usize> {
    if text.ends_with(suffix) {
        Some(text.len())
    } else if text.strip_suffix('\n').is_some_and(|trimmed| trimmed.ends_with(suffix)) {
        Some(text.len() - 1)
    } else {
        None
    }
}

/// Divides the text into header, body and footer byte ranges.
fn split_wrappers(text: &str) -> Split {
    let whole_body = Split {
        layout: Layout::BodyOnly,
        header: (0, 0),
        body: (0, text.len()),
        footer: (0, 0),
    };
    if !text.starts_with(NOINCLUDE_OPEN) {
        return whole_body;
    }
    let header_start = NOINCLUDE_OPEN.len();
    let Some(close_offset) = text[header_start..].find(NOINCLUDE_CLOSE) else {
        return whole_body;
    };
    let header_close = header_start + close_offset;
    let header_end = header_start + text[header_start..header_close].trim_end_matches('\n').len();
    let body_start = header_close + NOINCLUDE_CLOSE.len();

    if let Some(footer) = find_footer(text, body_start) {
        return Split {
            layout: Layout::HeaderBodyFooter,
            header: (header_start, header_end),
            body: (body_start, footer.0 - NOINCLUDE_OPEN.len()),
            footer,
        };
    }

    let body_end = if text.ends_with('\n') && text.len() > body_start {
        text.len() - 1
    } else {
        text.len()
    };
    Split {
        layout: Layout::HeaderBody,
        header: (header_start, header_end),
        body: (body_start, body_end),
        footer: (body_end, body_end),
    }
}

/// Finds the footer range: the text after the last `<noinclude>` that follows the body
/// start and ends right before a `</noinclude>` closing the text.
fn find_footer(text: &str, body_start: usize) -> Option<(usize, usize)> {
    let end = ends_with_at_dollar(text, NOINCLUDE_CLOSE)?;
    let footer_end = end - NOINCLUDE_CLOSE.len();
    let searchable = text.get(body_start..footer_end)?;
    let open = searchable.rfind(NOINCLUDE_OPEN)?;
    Some((body_start + open + NOINCLUDE_OPEN.len(), footer_end))
}

struct QualityFound {
    level: QualityLevel,
    user: Option<String>,
    markup: QualityMarkup,
    /// Byte in the header where the text after the marker starts.
    rest_start: usize,
}

fn read_quality(header: &str) -> Option<QualityFound> {
    read_quality_tag(header).or_else(|| read_quality_template(header))
}

/// Reads `<pagequality level="L" user="U" />` or `<pagequality level="L" user="U"></pagequality>`
/// at the start of the header. The user ends at the first `"` that such an ending follows.
fn read_quality_tag(header: &str) -> Option<QualityFound> {
    let after_open = header.strip_prefix("<pagequality level=\"")?;
    let level = QualityLevel::from_ascii_digit(*after_open.as_bytes().first()?)?;
    let user_text = after_open[1..].strip_prefix("\" user=\"")?;
    let user_start = header.len() - user_text.len();

    for (quote, _) in user_text.match_indices('"') {
        if let Some(length) = quality_tag_ending(&user_text[quote + 1..]) {
            let user = &user_text[..quote];
            return Some(QualityFound {
                level,
                user: (!user.is_empty()).then(|| user.to_owned()),
                markup: QualityMarkup::Tag,
                rest_start: user_start + quote + 1 + length,
            });
        }
    }
    None
}

/// Length of ` */>` or ` *> *</pagequality>` at the start of `text`.
fn quality_tag_ending(text: &str) -> Option<usize> {
    let after_spaces = text.trim_start_matches(' ');
    let spaces = text.len() - after_spaces.len();
    if after_spaces.starts_with("/>") {
        return Some(spaces + 2);
    }
    let after_gt = after_spaces.strip_prefix('>')?;
    let after_inner_spaces = after_gt.trim_start_matches(' ');
    after_inner_spaces
        .starts_with("</pagequality>")
        .then(|| text.len() - after_inner_spaces.len() + "</pagequality>".len())
}

/// Reads the legacy `{{PageQuality|L}}` or `{{PageQuality|L|U}}` (template name in any case)
/// at the start of the header. The user ends at the first `}}`.
fn read_quality_template(header: &str) -> Option<QualityFound> {
    const OPEN: &str = "{{pagequality|";
    let head = header.get(..OPEN.len())?;
    if !head.eq_ignore_ascii_case(OPEN) {
        return None;
    }
    let after_open = &header[OPEN.len()..];
    let level = QualityLevel::from_ascii_digit(*after_open.as_bytes().first()?)?;
    let after_level = &after_open[1..];
    let after_level_start = header.len() - after_level.len();

    if let Some(user_text) = after_level.strip_prefix('|') {
        if let Some(close) = user_text.find("}}") {
            let user = &user_text[..close];
            return Some(QualityFound {
                level,
                user: (!user.is_empty()).then(|| user.to_owned()),
                markup: QualityMarkup::LegacyTemplate,
                rest_start: after_level_start + 1 + close + 2,
            });
        }
        return None;
    }
    after_level.starts_with("}}").then_some(QualityFound {
        level,
        user: None,
        markup: QualityMarkup::LegacyTemplate,
        rest_start: after_level_start + 2,
    })
}

/// Removes everything up to and including the first legacy `<div class="pagetext">`, or
/// failing that the first `<div>`. Returns `None` when the header has neither.
fn strip_div_opening(header: &str) -> Option<&str> {
    ["<div class=\"pagetext\">", "<div>"]
        .into_iter()
        .find_map(|opening| header.find(opening).map(|at| &header[at + opening.len()..]))
}

/// Removes a `</div>` ending the text (or ending it before a final newline, with that newline).
fn strip_div_closing(text: &str) -> &str {
    match ends_with_at_dollar(text, "</div>") {
        Some(end) => &text[..end - "</div>".len()],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_page_exact_text() {
        let page = PageContent::new_page("Body text", "Phe-bot");
        assert_eq!(
            page.to_wikitext(),
            "<noinclude><pagequality level=\"1\" user=\"Phe-bot\" />\n\n\n</noinclude>Body text<noinclude>\n<references/></noinclude>"
        );
        assert_eq!(PageContent::parse(&page.to_wikitext()), page);
    }

    #[test]
    fn set_body_keeps_everything_else() {
        let text = "<noinclude>{{PageQuality|3|Ann}}<div class=\"pagetext\">{{rh|1}}\n\n</noinclude>old<noinclude>{{smallrefs}}</div></noinclude>";
        let mut page = PageContent::parse(text);
        page.set_body("new");
        assert_eq!(page.to_wikitext(), text.replace("old", "new"));
        assert_eq!(page.level(), QualityLevel::Proofread);
        assert_eq!(page.user(), Some("Ann"));
        assert_eq!(page.header(), "{{rh|1}}");
        assert_eq!(page.footer(), "{{smallrefs}}");
    }

    #[test]
    fn unterminated_noinclude_is_body() {
        let page = PageContent::parse("<noinclude><pagequality level=\"3\" user=\"X\" />head");
        assert_eq!(page.layout(), Layout::BodyOnly);
        assert_eq!(page.body(), "<noinclude><pagequality level=\"3\" user=\"X\" />head");
        assert_eq!(page.level(), QualityLevel::NotProofread);
    }

    #[test]
    fn header_only_wrapper() {
        let page = PageContent::parse("<noinclude><pagequality level=\"0\" user=\"\" /></noinclude>");
        assert_eq!(page.layout(), Layout::HeaderBody);
        assert_eq!(page.level(), QualityLevel::WithoutText);
        assert_eq!(page.user(), None);
        assert_eq!(page.body(), "");
    }

    #[test]
    fn final_newline_after_footer() {
        let text = "<noinclude><pagequality level=\"2\" user=\"U\" />h</noinclude>b<noinclude>f</noinclude>\n";
        let page = PageContent::parse(text);
        assert_eq!(page.footer(), "f");
        assert_eq!(page.body(), "b");
        assert_eq!(page.to_wikitext(), text);
    }

    #[test]
    fn body_without_footer_drops_final_newline() {
        let page = PageContent::parse("<noinclude></noinclude>body\n");
        assert_eq!(page.body(), "body");
        assert_eq!(page.suffix(), "\n");
    }

    #[test]
    fn user_with_quote_before_ending() {
        let page = PageContent::parse("<noinclude><pagequality level=\"4\" user=\"a\"b\" />h</noinclude>x");
        assert_eq!(page.user(), Some("a\"b"));
        assert_eq!(page.header(), "h");
        assert_eq!(page.level(), QualityLevel::Validated);
    }

    #[test]
    fn level_out_of_range_is_not_quality() {
        let page = PageContent::parse("<noinclude><pagequality level=\"5\" user=\"a\" /></noinclude>x");
        assert_eq!(page.level(), QualityLevel::NotProofread);
        assert_eq!(page.quality_markup(), QualityMarkup::Missing);
        assert_eq!(page.header(), "<pagequality level=\"5\" user=\"a\" />");
    }

    #[test]
    fn legacy_template_any_case_without_user() {
        let page = PageContent::parse("<noinclude>{{pagequality|0}}H</noinclude>B<noinclude>F</noinclude>");
        assert_eq!(page.level(), QualityLevel::WithoutText);
        assert_eq!(page.user(), None);
        assert_eq!(page.header(), "H");
        assert_eq!(page.quality_markup(), QualityMarkup::LegacyTemplate);
    }

    #[test]
    fn set_level_rewrites_canonical() {
        let mut page = PageContent::parse("<noinclude>{{PageQuality|1|A}}<div>H\n</noinclude>B</div>");
        page.set_level(QualityLevel::Proofread, Some("B"));
        assert_eq!(
            page.to_wikitext(),
            "<noinclude><pagequality level=\"3\" user=\"B\" />H</noinclude>B<noinclude></noinclude>"
        );
    }

    #[test]
    fn json_round_trip() {
        let page = PageContent::from_parts("h", "b", "f", QualityLevel::Problematic, Some("U"));
        let json = page.to_json();
        assert_eq!(
            json,
            r#"{"header":"h","body":"b","footer":"f","level":{"level":2,"user":"U"}}"#
        );
        assert_eq!(PageContent::from_json(&json), Ok(page));
    }

    #[test]
    fn json_rejects_bad_level() {
        let json = r#"{"header":"","body":"","footer":"","level":{"level":7}}"#;
        assert_eq!(
            PageContent::from_json(json),
            Err(PageJsonError::InvalidLevel { value: "7".into() })
        );
        assert!(matches!(
            PageContent::from_json("{}"),
            Err(PageJsonError::Invalid { .. })
        ));
    }
}
