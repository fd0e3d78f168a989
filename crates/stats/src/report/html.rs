//! Server-rendered statistics pages: `/stats`, `/stats/{wiki}`, the old
//! `stats.html`, `transclusions.html` and `index.html`, and the not-found page.
//! They need no JavaScript: the charts are inline SVG or `<img>` elements.

use std::fmt::Write;

use super::graphs::{NAKED_TEXT_WIKIS, PAGE_GRAPH_WIKIS};
use super::load::{CurrentCounts, DailyRow};
use super::wikis::WikiRef;
use crate::legacy::{group_thousands, percent_with_scans};
use crate::markup::escape;
use crate::messages;

/// Page chrome: the old pages keep their plain look, the new ones get the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    Legacy,
    Modern,
}

const STYLE: &str = "body { font-family: sans-serif; margin: 1em 2em; color: #202122; }\n\
nav a { margin-right: 1em; }\n\
table.counts { border-collapse: collapse; margin: 1em 0; }\n\
table.counts th, table.counts td { border: 1px solid #a2a9b1; padding: 2px 6px; }\n\
table.counts td { text-align: right; }\n\
table.counts td:first-child { text-align: left; }\n\
table.counts tr.total { font-weight: bold; }\n\
figure { display: inline-block; margin: 0.5em; vertical-align: top; }\n\
figure svg { max-width: 100%; height: auto; }\n\
.quality4 { background: #90ff90; }\n.quality3 { background: #ffe867; }\n\
.quality2 { background: #b0b0ff; }\n.quality1 { background: #ffa0a0; }\n.quality0 { background: #dddddd; }\n\
.withscans { background: #c0c0ff; }\n.naked { background: #ffa0a0; }\n.disamb { background: #dddddd; }\n";

/// Wraps `body` in a complete HTML5 document.
pub(crate) fn document(title: &str, body: &str, layout: Layout) -> String {
    let mut page = String::with_capacity(body.len() + 2_048);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(page, "<title>{}</title>", escape(title));
    let _ = write!(page, "<style>\n{STYLE}</style>\n</head>\n<body>\n");
    if layout == Layout::Modern {
        page.push_str(&navigation());
    }
    page.push_str(body);
    page.push_str("</body>\n</html>\n");
    page
}

fn navigation() -> String {
    let mut nav = String::from("<nav>");
    for (href, label) in messages::NAVIGATION {
        let _ = write!(nav, "<a href=\"{href}\">{label}</a>");
    }
    nav.push_str("</nav>\n");
    nav
}

/// Inlines a rendered SVG document in `<figure id="{id}">`: the XML declaration
/// goes, and the title id becomes unique on the page.
pub(crate) fn figure(id: &str, svg: &str, links: &[(String, &str)]) -> String {
    let element = svg
        .split_once('\n')
        .filter(|(first, _)| first.starts_with("<?xml"))
        .map_or(svg, |(_, rest)| rest);
    let element = element.replacen("\"chart-title\"", &format!("\"{id}-title\""), 2);
    let mut html = format!("<figure id=\"{id}\">\n{element}");
    if !links.is_empty() {
        html.push_str("<figcaption>");
        for (href, label) in links {
            let _ = write!(html, "<a href=\"{}\">{label}</a> ", escape(href));
        }
        html.push_str("</figcaption>\n");
    }
    html.push_str("</figure>\n");
    html
}

/// Figures of one table row; `None` is unknown and shows as an empty cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CountsRow {
    /// Label cell, already HTML.
    pub label: String,
    pub pages: Option<i64>,
    pub q0: Option<i64>,
    /// The old tool's q1, which includes pages without a level.
    pub q1: Option<i64>,
    pub q2: Option<i64>,
    pub q3: Option<i64>,
    pub q4: Option<i64>,
    pub texts: Option<i64>,
    pub with_scans: Option<i64>,
    pub disambiguation: Option<i64>,
}

impl CountsRow {
    pub fn from_current(label: String, counts: &CurrentCounts) -> CountsRow {
        CountsRow {
            label,
            pages: Some(counts.pages),
            q0: Some(counts.q0),
            q1: Some(counts.legacy_q1()),
            q2: Some(counts.q2),
            q3: Some(counts.q3),
            q4: Some(counts.q4),
            texts: Some(counts.texts),
            with_scans: Some(counts.with_scans),
            disambiguation: Some(counts.disambiguation),
        }
    }

    pub fn from_daily(label: String, row: &DailyRow) -> CountsRow {
        CountsRow {
            label,
            pages: row.pages,
            q0: row.q0,
            q1: row.legacy_q1(),
            q2: row.q2,
            q3: row.q3,
            q4: row.q4,
            texts: row.texts,
            with_scans: row.with_scans,
            disambiguation: row.disambiguation,
        }
    }

    fn naked(&self) -> Option<i64> {
        Some(self.texts? - self.with_scans? - self.disambiguation.unwrap_or(0))
    }

    fn percent(&self) -> Option<f64> {
        percent_with_scans(self.with_scans?, self.texts?, self.disambiguation.unwrap_or(0))
    }

    fn cells(&self) -> [Option<i64>; 10] {
        [
            self.pages,
            self.q1,
            self.q2,
            self.q0,
            self.q3,
            self.q4,
            self.texts,
            self.with_scans,
            self.naked(),
            self.disambiguation,
        ]
    }
}

/// Renders a counts table with `id`, one row per entry of `rows`, and a total
/// row of the known values when `total` is set.
pub(crate) fn counts_table(id: &str, rows: &[CountsRow], total: bool) -> String {
    let mut html = format!("<table class=\"counts\" id=\"{id}\">\n<thead>\n<tr><th></th>");
    let _ = write!(
        html,
        "<th colspan=\"6\">{}</th><th colspan=\"5\">{}</th></tr>\n<tr>",
        messages::PAGE_NAMESPACE,
        messages::MAIN_NAMESPACE
    );
    for (label, class) in messages::COUNTS_COLUMNS {
        if class.is_empty() {
            let _ = write!(html, "<th>{label}</th>");
        } else {
            let _ = write!(html, "<th class=\"{class}\">{label}</th>");
        }
    }
    html.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in rows {
        html.push_str(&table_row("", row));
    }
    if total {
        let mut sums = [0_i64; 10];
        for row in rows {
            for (sum, value) in sums.iter_mut().zip(row.cells()) {
                *sum += value.unwrap_or(0);
            }
        }
        let total_row = CountsRow {
            label: messages::TOTAL.to_owned(),
            pages: Some(sums[0]),
            q1: Some(sums[1]),
            q2: Some(sums[2]),
            q0: Some(sums[3]),
            q3: Some(sums[4]),
            q4: Some(sums[5]),
            texts: Some(sums[6]),
            with_scans: Some(sums[7]),
            disambiguation: Some(sums[9]),
        };
        html.push_str(&table_row(" class=\"total\"", &total_row));
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

fn table_row(attributes: &str, row: &CountsRow) -> String {
    let mut html = format!("<tr{attributes}><td>{}</td>", row.label);
    for value in row.cells() {
        let text = value.map(|value| group_thousands(value, ",")).unwrap_or_default();
        let _ = write!(html, "<td>{text}</td>");
    }
    let percent = row.percent().map(|percent| format!("{percent:.2}")).unwrap_or_default();
    let _ = writeln!(html, "<td>{percent}</td></tr>");
    html
}

/// `<a href="graphs/NAME"><img src="graphs/thumb/NAME"></a>` for each old graph name.
fn thumbnails(names: &[String]) -> String {
    let mut html = String::new();
    for name in names {
        let name = escape(name);
        let _ = writeln!(
            html,
            "<a href=\"graphs/{name}\"><img src=\"graphs/thumb/{name}\" width=\"400\" height=\"240\" alt=\"{}\"></a>",
            escape(&messages::graph_alt(&name))
        );
    }
    html
}

/// Renders the old `stats.html`: thumbnails of the proofreading graphs, each
/// linking to the graph at full size, under their old names.
pub fn render_stats_html() -> String {
    let names = |stems: &[&str]| {
        stems
            .iter()
            .map(|stem| format!("Wikisource_-_{stem}.png"))
            .collect::<Vec<_>>()
    };
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        messages::STATS_HTML_TITLE,
        messages::STATS_HTML_INTRO
    );
    let _ = writeln!(
        body,
        "<h2>{}</h2>\n<p>{}</p>",
        messages::PER_DAY_HEADING,
        messages::PER_DAY_NOTE
    );
    body.push_str(&thumbnails(&names(&[
        "proofread_pages_per_day_(all_wikisources)",
        "validated_pages_per_day_(all_wikisources)",
        "proofread_pages_per_day",
        "validated_pages_per_day",
    ])));
    let _ = writeln!(
        body,
        "<h2>{}</h2>\n<p>{}</p>",
        messages::COMPARED_HEADING,
        messages::COMPARED_NOTE
    );
    body.push_str(&thumbnails(&names(&[
        "all_pages",
        "proofread_pages",
        "validated_pages",
        "all_pages.log",
        "proofread_pages.log",
        "validated_pages.log",
    ])));
    let _ = writeln!(body, "<h2>{}</h2>", messages::PER_WIKI_PAGES_HEADING);
    let per_wiki: Vec<String> = PAGE_GRAPH_WIKIS
        .iter()
        .map(|code| format!("Wikisource_-_pages_{code}.png"))
        .collect();
    body.push_str(&thumbnails(&per_wiki));
    body.push_str(&legacy_links());
    document(messages::STATS_HTML_TITLE, &body, Layout::Legacy)
}

/// Renders the old `transclusions.html`: thumbnails of the texts graphs.
pub fn render_transclusions_html() -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        messages::TRANSCLUSIONS_HTML_TITLE,
        messages::TRANSCLUSIONS_HTML_INTRO
    );
    let _ = writeln!(body, "<h2>{}</h2>", messages::TEXTS_COMPARED_HEADING);
    body.push_str(&thumbnails(&[
        "Wikisource_-_pr_texts.png".to_owned(),
        "Wikisource_-_pr_percent.png".to_owned(),
    ]));
    let _ = writeln!(body, "<h2>{}</h2>", messages::TEXTS_PER_WIKI_HEADING);
    let per_wiki: Vec<String> = PAGE_GRAPH_WIKIS
        .iter()
        .map(|code| format!("Wikisource_-_texts_{code}.png"))
        .collect();
    body.push_str(&thumbnails(&per_wiki));
    let _ = writeln!(body, "<h2>{}</h2>", messages::NAKED_TEXTS_HEADING);
    let naked: Vec<String> = NAKED_TEXT_WIKIS
        .iter()
        .map(|code| format!("Wikisource_-_nonpr_texts_{code}.png"))
        .collect();
    body.push_str(&thumbnails(&naked));
    body.push_str(&legacy_links());
    document(messages::TRANSCLUSIONS_HTML_TITLE, &body, Layout::Legacy)
}

fn legacy_links() -> String {
    let mut html = String::from("<ul>\n");
    for (href, label) in messages::LEGACY_PAGE_LINKS {
        let _ = writeln!(html, "<li><a href=\"{href}\">{label}</a></li>");
    }
    html.push_str("</ul>\n");
    html
}

/// Renders `index.html`, the portal of the tool's pages.
pub fn render_index_html() -> String {
    let mut body = format!("<h1>{}</h1>\n<ul>\n", messages::INDEX_TITLE);
    for (href, label) in messages::INDEX_LINKS {
        let _ = writeln!(body, "<li><a href=\"{href}\">{label}</a></li>");
    }
    body.push_str("</ul>\n");
    document(messages::INDEX_TITLE, &body, Layout::Legacy)
}

/// Renders the list of not-transcluded pages, one link per wiki.
pub fn render_not_transcluded_directory(wikis: &[WikiRef]) -> String {
    let mut body = format!("<h1>{}</h1>\n<ul>\n", messages::NOT_TRANSCLUDED_DIRECTORY_TITLE);
    for wiki in wikis {
        let code = escape(&wiki.code);
        let _ = writeln!(
            body,
            "<li><a href=\"{code}.html\">{code}.html</a> ({})</li>",
            escape(&wiki.domain)
        );
    }
    body.push_str("</ul>\n");
    document(messages::NOT_TRANSCLUDED_DIRECTORY_TITLE, &body, Layout::Legacy)
}

/// Renders a page for a 404 reply, with `message` saying what was not found.
pub fn render_not_found(message: &str) -> String {
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/stats\">{}</a></p>\n",
        messages::NOT_FOUND_TITLE,
        escape(message),
        messages::ALL_WIKIS_LINK
    );
    document(messages::NOT_FOUND_TITLE, &body, Layout::Modern)
}
