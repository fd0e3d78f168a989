//! The `statistics.php` page: one table of every wiki's figures, or of their
//! change over a period, in the old tool's column order and CSS classes.

use std::fmt::Write;

use super::templates::percent_with_scans;
use crate::markup::escape;
use crate::messages;

/// One wiki's figures as the legacy table reads them. `None` is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyFigures {
    /// Language code of the old tool (`fr`, `old`, `zh-min-nan`).
    pub code: String,
    pub pages: Option<i64>,
    pub q0: Option<i64>,
    pub q2: Option<i64>,
    pub q3: Option<i64>,
    pub q4: Option<i64>,
    pub texts: Option<i64>,
    pub with_scans: Option<i64>,
    pub disambiguation: Option<i64>,
}

impl LegacyFigures {
    /// Returns every Page: page not at level 0, 2, 3 or 4 (the old tool's q1).
    fn q1(&self) -> Option<i64> {
        Some(self.pages? - self.q0? - self.q2? - self.q3? - self.q4?)
    }

    fn naked(&self) -> Option<i64> {
        Some(self.texts? - self.with_scans? - self.disambiguation?)
    }

    fn percent(&self) -> Option<f64> {
        percent_with_scans(self.with_scans?, self.texts?, self.disambiguation?)
    }

    /// Rank of the row: page verifications, q3 + 2·q4, with unknown as 0.
    fn rank(&self) -> i64 {
        self.q3.unwrap_or(0) + 2 * self.q4.unwrap_or(0)
    }

    /// Returns the ten numeric columns after the language, percent excluded.
    fn columns(&self) -> [Option<i64>; 10] {
        let proofread = self.q3.zip(self.q4).map(|(q3, q4)| q3 + q4);
        [
            self.pages,
            self.q1(),
            self.q2,
            self.q0,
            proofread,
            self.q4,
            self.texts,
            self.with_scans,
            self.naked(),
            self.disambiguation,
        ]
    }
}

/// The table to render: counts at one time, or the change between two times.
#[derive(Debug, Clone, PartialEq)]
pub enum LegacyTable {
    Counts {
        /// When the counts were taken, as shown in the heading line.
        as_of: String,
        wikis: Vec<LegacyFigures>,
    },
    Difference {
        from: String,
        to: String,
        /// Figures at the end of the period; their order ranks the rows.
        current: Vec<LegacyFigures>,
        /// Figures at the start; a wiki missing here counts from zero.
        earlier: Vec<LegacyFigures>,
    },
}

/// Column headers: label and CSS class.
const COLUMNS: [(&str, &str); 12] = [
    ("language", ""),
    ("all pages", ""),
    ("not proof.", "quality1"),
    ("problem.", "quality2"),
    ("w/o text", "quality0"),
    ("proofread", "quality3"),
    ("validated", "quality4"),
    ("all pages", ""),
    ("with scans", "withscans"),
    ("w/o scans", "naked"),
    ("disamb", "disamb"),
    ("percent", ""),
];

const STYLE: &str = ".quality4 { background:#90ff90; }\n.quality3 { background:#ffe867; }\n\
.quality2 { background:#b0b0ff; }\n.quality1 { background:#ffa0a0; }\n.quality0 { background:#dddddd; }\n\
.withscans { background:#c0c0ff; }\n.naked { background:#ffa0a0; }\n.disamb { background:#dddddd; }\n";

/// Renders the whole page.
pub fn render_page(table: &LegacyTable) -> String {
    let mut page = String::with_capacity(16_384);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(page, "<title>{}</title>", messages::LEGACY_TITLE);
    let _ = write!(page, "<style>\n{STYLE}</style>\n</head>\n<body>\n");
    let _ = writeln!(page, "<h1>{}</h1>", messages::LEGACY_TITLE);
    page.push_str(LEGACY_NOTES);
    page.push_str(&render_table(table));
    page.push_str(LEGACY_LINKS);
    page.push_str("</body>\n</html>\n");
    page
}

const LEGACY_NOTES: &str = "<p>Pages of the Page namespace per ProofreadPage quality level, and texts of \
the main namespace, on every Wikisource. Rows are ranked by q3 + 2&times;q4. \"proofread\" counts levels 3 \
and 4 together. \"with scans\" counts texts that transclude Page: pages, \"w/o scans\" the other texts except \
disambiguation pages, and \"percent\" is with scans &times; 100 / (all texts &minus; disamb).</p>\n";

const LEGACY_LINKS: &str = "<ul>\n<li><a href=\"?diff=0\">Today's table</a></li>\n\
<li><a href=\"?diff=1\">Today's increase</a></li>\n<li><a href=\"?diff=7\">1 week increase</a></li>\n\
<li><a href=\"?diff=30\">1 month increase</a></li>\n<li><a href=\"?diff=365\">1 year increase</a></li>\n\
<li><a href=\"stats.html\">Proofread pages</a></li>\n<li><a href=\"transclusions.html\">Transclusions</a></li>\n\
</ul>\n";

/// Renders the `<table>`: two header rows, the heading line, one row per wiki
/// and a `total` row. Each cell is one `<td>`, the first holding the bare code.
pub fn render_table(table: &LegacyTable) -> String {
    let mut html = String::with_capacity(8_192);
    html.push_str(
        "<table style=\"text-align:right; border:1px solid #999;\" rules=\"all\" cellpadding=\"3px\">\n<tr>\n<td></td>\n\
         <th colspan=\"6\" style=\"text-align:center\">Page namespace</th>\n\
         <th colspan=\"5\" style=\"text-align:center\">Main namespace</th>\n</tr>\n<tr>\n",
    );
    for (label, class) in COLUMNS {
        if class.is_empty() {
            let _ = writeln!(html, "<th>{label}</th>");
        } else {
            let _ = writeln!(html, "<th class=\"{class}\">{label}</th>");
        }
    }
    html.push_str("</tr>");

    let (heading, rows) = table_rows(table);
    let _ = write!(html, "{}<br/>", escape(&heading));
    for row in rows {
        html.push_str("<tr><td>");
        html.push_str(&row.join("</td><td>"));
        html.push_str("</td></tr>");
    }
    html.push_str("</table>\n");
    html
}

/// Returns the heading line and the cells of every row, total last.
fn table_rows(table: &LegacyTable) -> (String, Vec<Vec<String>>) {
    match table {
        LegacyTable::Counts { as_of, wikis } => {
            let ranked = ranked(wikis);
            let rows = ranked
                .iter()
                .map(|figures| cells(&figures.code, figures.columns(), figures.percent().map(format_percent)))
                .collect();
            (
                messages::legacy_heading_counts(as_of),
                with_total(rows, &ranked, |figures| figures.columns()),
            )
        }
        LegacyTable::Difference {
            from,
            to,
            current,
            earlier,
        } => {
            let ranked = ranked(current);
            let mut differences = Vec::with_capacity(ranked.len());
            let mut rows = Vec::with_capacity(ranked.len());
            for figures in &ranked {
                let start = earlier.iter().find(|old| old.code == figures.code);
                let columns = difference(figures.columns(), start.map(LegacyFigures::columns));
                let percent = match start {
                    Some(start) => figures.percent().zip(start.percent()).map(|(end, start)| end - start),
                    None => figures.percent(),
                };
                rows.push(cells(&figures.code, columns, percent.map(format_percent)));
                differences.push(columns);
            }
            let total = total_row(differences.iter().copied());
            rows.push(total);
            (messages::legacy_heading_difference(from, to), rows)
        }
    }
}

fn ranked(wikis: &[LegacyFigures]) -> Vec<LegacyFigures> {
    let mut ranked = wikis.to_vec();
    ranked.sort_by(|a, b| b.rank().cmp(&a.rank()).then_with(|| a.code.cmp(&b.code)));
    ranked
}

fn with_total(
    mut rows: Vec<Vec<String>>,
    wikis: &[LegacyFigures],
    columns: impl Fn(&LegacyFigures) -> [Option<i64>; 10],
) -> Vec<Vec<String>> {
    rows.push(total_row(wikis.iter().map(columns)));
    rows
}

/// Column sums over the known values; the percent cell stays empty.
fn total_row(columns: impl Iterator<Item = [Option<i64>; 10]>) -> Vec<String> {
    let mut sums = [0_i64; 10];
    for row in columns {
        for (sum, value) in sums.iter_mut().zip(row) {
            *sum += value.unwrap_or(0);
        }
    }
    cells("total", sums.map(Some), None)
}

fn difference(end: [Option<i64>; 10], start: Option<[Option<i64>; 10]>) -> [Option<i64>; 10] {
    let start = start.unwrap_or([Some(0); 10]);
    let mut columns = [None; 10];
    for (index, column) in columns.iter_mut().enumerate() {
        *column = end[index].zip(start[index]).map(|(end, start)| end - start);
    }
    columns
}

fn cells(code: &str, columns: [Option<i64>; 10], percent: Option<String>) -> Vec<String> {
    let mut cells = Vec::with_capacity(12);
    cells.push(escape(code));
    cells.extend(
        columns
            .iter()
            .map(|value| value.map(|value| value.to_string()).unwrap_or_default()),
    );
    cells.push(percent.unwrap_or_default());
    cells
}

fn format_percent(percent: f64) -> String {
    format!("{percent:.2}")
}
