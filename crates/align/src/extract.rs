//! The text-layer document of a file: every page's text after its marker, in the
//! format that Split reads, so that extract, edit and split form a workflow.

/// Builds `==[[<prefix>:<title>/<n>]]==\n<text>\n` for every page `n` from 1, with
/// `title` exactly as given (spaces kept).
pub fn text_layer_document<S: AsRef<str>>(prefix: &str, title: &str, pages: &[S]) -> String {
    let text_length: usize = pages.iter().map(|page| page.as_ref().len()).sum();
    let mut document = String::with_capacity(text_length + pages.len() * (prefix.len() + title.len() + 16));
    for (index, page) in pages.iter().enumerate() {
        document.push_str(&format!("==[[{prefix}:{title}/{}]]==\n", index + 1));
        document.push_str(page.as_ref());
        document.push('\n');
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_every_page() {
        let document = text_layer_document("Page", "A b.djvu", &["one", ""]);
        assert_eq!(document, "==[[Page:A b.djvu/1]]==\none\n==[[Page:A b.djvu/2]]==\n\n");
    }

    #[test]
    fn document_of_no_pages_is_empty() {
        let pages: [&str; 0] = [];
        assert_eq!(text_layer_document("Page", "A.djvu", &pages), "");
    }
}
