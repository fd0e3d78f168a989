//! The wikitext of an Index page (content model `proofread-index`).
//!
//! ProofreadPage stores an Index as one call of the Index template followed by category
//! links: `{{:MediaWiki:Proofreadpage_index_template\n|Title=…\n|Pages=<pagelist … />\n}}\n[[Category:…]]`.
//! Field names are set by each wiki; the page labels are in the `<pagelist>` tags of the
//! fields (usually `Pages`).

use crate::pagelist::Pagelist;
use crate::wikitext::split_template_parts;

/// Fields and categories of an Index page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexContent {
    fields: Vec<(String, String)>,
    categories: Vec<String>,
}

impl IndexContent {
    /// Reads the named parameters of every top-level template call (names trimmed, one
    /// final newline removed from each value) and the top-level `[[Category:…]]` links.
    /// Unnamed parameters are ignored, as ProofreadPage ignores them.
    pub fn parse(wikitext: &str) -> Self {
        let mut content = Self::default();
        let mut position = 0;
        while position < wikitext.len() {
            let rest = &wikitext[position..];
            let Some(offset) = rest.find(['{', '[']) else {
                break;
            };
            let start = position + offset;
            let remaining = &wikitext[start..];
            if remaining.starts_with("{{") {
                match split_template_parts(wikitext, start + 2) {
                    Some((parts, end)) => {
                        content.add_fields(&parts);
                        position = end;
                    }
                    None => break,
                }
            } else if let Some(link) = remaining.strip_prefix("[[") {
                let Some(close) = link.find("]]") else { break };
                if let Some(category) = category_name(&link[..close]) {
                    content.categories.push(category);
                }
                position = start + 2 + close + 2;
            } else {
                position = start + 1;
            }
        }
        content
    }

    fn add_fields(&mut self, parts: &[&str]) {
        for part in parts.iter().skip(1) {
            let Some((name, value)) = part.split_once('=') else {
                continue;
            };
            let value = value.strip_suffix('\n').unwrap_or(value);
            let name = name.trim().to_owned();
            match self.fields.iter_mut().find(|(existing, _)| *existing == name) {
                Some(field) => value.clone_into(&mut field.1),
                None => self.fields.push((name, value.to_owned())),
            }
        }
    }

    /// Returns the field names and values in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Returns the value of the field `name`, compared without letter case (`Pages` = `pages`).
    pub fn field(&self, name: &str) -> Option<&str> {
        let name = name.to_lowercase();
        self.fields
            .iter()
            .find(|(key, _)| key.to_lowercase() == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the names of the categories linked at top level, without the namespace.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Returns the pagelist made of the `<pagelist … />` tags of every field, in field order,
    /// or `None` when no field has one.
    pub fn pagelist(&self) -> Option<Pagelist> {
        let joined: String = self
            .fields
            .iter()
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        Pagelist::from_index_wikitext(&joined)
    }
}

/// Returns the category of a link target `Category:Name|sort key`, or `None` for other links.
// NOTE: only the canonical namespace name `Category` is recognised, not localized names.
fn category_name(target: &str) -> Option<String> {
    let (namespace, rest) = target.split_once(':')?;
    if !namespace.trim().eq_ignore_ascii_case("category") {
        return None;
    }
    let name = rest.split('|').next().unwrap_or("").trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_categories() {
        let content = IndexContent::parse("{{:MediaWiki:Proofreadpage_index_template\n|Title=T\n|Pages=<pagelist 1=5 />\n|TOC=* [[A|b]]\n}}\n[[Category:X]] [[Other]]");
        assert_eq!(content.field("title"), Some("T"));
        assert_eq!(content.field("TOC"), Some("* [[A|b]]"));
        assert_eq!(content.categories(), ["X"]);
        assert_eq!(content.pagelist().unwrap().attributes().get("1"), Some("5"));
    }
}
