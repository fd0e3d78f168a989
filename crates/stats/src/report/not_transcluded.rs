//! Books whose proofread pages no text transcludes yet: Page: pages at level 3
//! or 4, present and not redirects, whose title is not in `stats_transclusion`.

use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::html::{document, Layout};
use super::wikis::WikiRef;
use crate::error::StatsError;
use crate::markup::escape;
use crate::messages;

/// Thresholds of the list; the defaults are those of the old daily list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotTranscludedQuery {
    /// Minimum number of such pages for a book to be listed.
    pub min_pages: i64,
    /// A book is left out when a person (not a bot) edited one of those pages
    /// within this many days, because someone is probably still working on it.
    pub idle_days: i64,
    /// Most books returned, largest first.
    pub limit: i64,
}

impl Default for NotTranscludedQuery {
    fn default() -> Self {
        NotTranscludedQuery {
            min_pages: 5,
            idle_days: 30,
            limit: 10_000,
        }
    }
}

/// A book with pages to transclude. `book` is the Page: title before the first
/// `/`, which is the file name of the scan (`Foo.djvu`, `Foo.pdf`, or any other
/// file type), or the whole title for a page without a `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NotTranscludedBook {
    pub book: String,
    pub pages: i64,
}

/// Lists the books of `wiki` by number of such pages, largest first, then by title.
pub async fn not_transcluded(
    pool: &PgPool,
    wiki: &str,
    query: NotTranscludedQuery,
    now: DateTime<Utc>,
) -> Result<Vec<NotTranscludedBook>, StatsError> {
    let active_since = now - Duration::days(query.idle_days);
    sqlx::query_as(
        "SELECT split_part(p.title, '/', 1) AS book, count(*) AS pages \
         FROM stats_page AS p \
         WHERE p.wiki = $1 AND p.namespace = 'page' AND p.present AND NOT p.redirect \
           AND p.level IN (3, 4) AND p.title IS NOT NULL AND p.title <> '' \
           AND NOT EXISTS (SELECT 1 FROM stats_transclusion AS t WHERE t.wiki = p.wiki AND t.page_title = p.title) \
         GROUP BY 1 \
         HAVING count(*) >= $2 AND coalesce(max(p.last_human_edit_at) < $3, true) \
         ORDER BY pages DESC, book \
         LIMIT $4",
    )
    .bind(wiki)
    .bind(query.min_pages)
    .bind(active_since)
    .bind(query.limit)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot list the pages that no text transcludes"))
}

/// Link to the checker tool, which lists the state of every page of an Index.
// NOTE: the old page linked to /checker/ on the shared tools host; this
// Toolforge address and its parameters are assumed, not checked.
const CHECKER_URL: &str = "https://checker.toolforge.org/";

/// Renders the old tool's page `not_transcluded/<code>.html`: an ordered list
/// of books with their count, a link to the Index page and one to the checker.
/// The multilingual wiki (`old`) is linked on its `mul` host, as the old page did.
pub fn render_not_transcluded(wiki: &WikiRef, books: &[NotTranscludedBook]) -> String {
    let host = if wiki.code == "old" {
        "mul.wikisource.org".to_owned()
    } else {
        wiki.domain.clone()
    };
    let mut body = String::with_capacity(128 + books.len() * 256);
    let _ = writeln!(
        body,
        "<h1>{}</h1>",
        escape(&messages::not_transcluded_title(&wiki.domain))
    );
    let _ = writeln!(body, "<p>{}</p>", messages::NOT_TRANSCLUDED_INTRO);
    if books.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", messages::NOT_TRANSCLUDED_EMPTY);
    } else {
        body.push_str("<ol>\n");
        for book in books {
            body.push_str(&book_line(wiki, &host, book));
        }
        body.push_str("</ol>\n");
    }
    document(&messages::not_transcluded_title(&wiki.domain), &body, Layout::Legacy)
}

/// Renders one `<li>`: the Index page through Special:PrefixIndex, which needs only the
/// namespace id (the stored configuration has no localized namespace names),
/// then the count and the checker link.
fn book_line(wiki: &WikiRef, host: &str, book: &NotTranscludedBook) -> String {
    let index_link = match wiki.index_namespace {
        Some(namespace) => format!(
            "//{host}/w/index.php?title=Special:PrefixIndex&amp;namespace={namespace}&amp;prefix={}",
            query_value(&book.book)
        ),
        None => format!("//{host}/w/index.php?search={}", query_value(&book.book)),
    };
    format!(
        "<li><a href=\"{index_link}\">{}</a> {} — <a href=\"{CHECKER_URL}?db={}&amp;title={}\">{}</a></li>\n",
        escape(&book.book.replace('_', " ")),
        book.pages,
        escape(&wiki.wiki),
        query_value(&book.book),
        messages::CHECK_PAGES,
    )
}

/// Percent-encodes `value` for a query string, keeping unreserved characters.
fn query_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiki(code: &str, domain: &str) -> WikiRef {
        WikiRef {
            wiki: crate::wiki::dbname_for_code(code),
            code: code.to_owned(),
            domain: domain.to_owned(),
            index_namespace: Some(106),
        }
    }

    #[test]
    fn lines_link_index_and_checker() {
        let book = NotTranscludedBook {
            book: "Été_&_<x>.pdf".to_owned(),
            pages: 12,
        };
        let line = book_line(&wiki("fr", "fr.wikisource.org"), "fr.wikisource.org", &book);
        assert_eq!(
            line,
            "<li><a href=\"//fr.wikisource.org/w/index.php?title=Special:PrefixIndex&amp;namespace=106&amp;\
             prefix=%C3%89t%C3%A9_%26_%3Cx%3E.pdf\">Été &amp; &lt;x&gt;.pdf</a> 12 — \
             <a href=\"https://checker.toolforge.org/?db=frwikisource&amp;title=%C3%89t%C3%A9_%26_%3Cx%3E.pdf\">\
             Check pages</a></li>\n"
        );
    }

    #[test]
    fn multilingual_wiki_links_to_mul() {
        let page = render_not_transcluded(
            &wiki("old", "wikisource.org"),
            &[NotTranscludedBook {
                book: "Book.djvu".to_owned(),
                pages: 5,
            }],
        );
        assert!(page.contains("//mul.wikisource.org/w/index.php?"), "{page}");
        assert!(page.contains("db=sourceswiki"), "{page}");
    }
}
