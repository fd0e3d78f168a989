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
//! * [`digits`]: decimal numbers in the digits of any script.
//!
//! Everything here is pure and synchronous: no I/O, no network.

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
pub use pagelist::{DisplayMode, LabelValue, PageLabel, Pagelist};
pub use pages_tag::{find_pages_tags, PagesTag, PagesTagError, TagSyntax};
pub use title::{PageNamespace, PageTitle, TitleError};
