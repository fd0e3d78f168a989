//! Readers and writers of the formats of MediaWiki's ProofreadPage extension, the
//! transcription workflow of Wikisource.
//!
//! * [`page`]: the wikitext (and JSON) of a Page-namespace page: header, body, footer,
//!   quality level and its user.
//! * [`pages_tag`]: the `<pages>` transclusion tag, found in a wikitext, expanded to file
//!   pages, and written the way Match & Split writes it.
//! * [`pagelist`]: the `<pagelist>` tag of an Index page, mapping file pages to the page
//!   labels printed in the book and back.
//! * [`title`]: Page-namespace titles `<Page>:<File>/<n>`.
//! * [`index`]: the fields and categories of an Index page.
//! * [`digits`]: decimal numbers in the digits of any script.
//!
//! Everything here is pure and synchronous: no I/O, no network.
//!
//! ```
//! use phetools_proofread::{find_pages_tags, PageContent, PagesTag, QualityLevel};
//!
//! let old = "<noinclude><pagequality level=\"1\" user=\"Ann\" />{{rh}}\n</noinclude>old<noinclude>{{smallrefs}}</noinclude>";
//! let mut page = PageContent::parse(old);
//! assert_eq!(page.level(), QualityLevel::NotProofread);
//! assert_eq!(page.header(), "{{rh}}");
//! page.set_body("new");
//! assert_eq!(page.to_wikitext(), old.replace("old", "new"));
//!
//! let tag = PagesTag::split_form("Book.djvu", 3, 5, None, None);
//! assert_eq!(tag, "<pages index=\"Book.djvu\" from=3 to=5 />");
//! assert_eq!(find_pages_tags(&tag)[0].file_pages(100), Ok(vec![3, 4, 5]));
//! ```

mod attrs;
pub mod digits;
pub mod index;
mod messages;
pub mod page;
pub mod pagelist;
pub mod pages_tag;
mod php;
mod roman;
pub mod title;
mod wikitext;

pub use attrs::{decode_char_references, Attributes};
pub use digits::{parse_decimal, DigitScript, DigitsError};
pub use index::IndexContent;
pub use page::{Layout, PageContent, PageJsonError, QualityLevel, QualityMarkup};
pub use pagelist::{legacy_file_page_for_printed, DisplayMode, LabelValue, PageLabel, Pagelist};
pub use pages_tag::{find_pages_tags, PagesTag, PagesTagError, TagSyntax};
pub use title::{PageNamespace, PageTitle, TitleError};
