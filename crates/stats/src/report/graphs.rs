//! The old tool's graph files (`graphs/Wikisource_-_*.png`), drawn as SVG
//! from the stored statistics under the same names.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::charts::{level_points, texts_points, thin, transition_points};
use super::load::all_days;
use super::load::{daily_rows, daily_rows_of, transitions, DailyRow, TransitionRow};
use crate::error::StatsError;
use crate::messages;
use crate::svg::{self, Chart, Series, Style};
use crate::wiki::{code_for_dbname, dbname_for_code, domain_for_code};

/// Wikis the old graphs compared, by code, and the colour of each line.
pub const COMPARED_WIKIS: [(&str, &str); 19] = [
    ("bn", "#8c564b"),
    ("br", "#17becf"),
    ("ca", "#c000c0"),
    ("da", "#b8a000"),
    ("de", "#008000"),
    ("en", "#e00000"),
    ("es", "#a08030"),
    ("fr", "#0000e0"),
    ("hy", "#ff7000"),
    ("it", "#00a0a0"),
    ("ml", "#006060"),
    ("no", "#436712"),
    ("pl", "#09a0c0"),
    ("pt", "#7f7f7f"),
    ("ru", "#10b060"),
    ("sa", "#909000"),
    ("sv", "#ff2073"),
    ("te", "#9467bd"),
    ("vec", "#a0a0a0"),
];

/// Wikis with their own levels and texts graphs on the old pages, in page order.
pub const PAGE_GRAPH_WIKIS: [&str; 16] = [
    "fr", "en", "de", "pl", "es", "it", "sv", "no", "hy", "ca", "ru", "da", "vec", "br", "pt", "bn",
];

/// Wikis with a graph of texts without scans.
pub const NAKED_TEXT_WIKIS: [&str; 5] = ["fr", "it", "en", "de", "pl"];

/// Quantity drawn by a cumulative graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    AllPages,
    /// Levels 3 and 4.
    Proofread,
    Validated,
}

/// One graph of the old tool, named by its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyGraph {
    /// Pages proofread (or validated) per day, all wikis together.
    FamilyPerDay { validated: bool },
    /// Pages proofread (or validated) per day, one line per compared wiki.
    PerDay { validated: bool },
    /// A count per compared wiki over time, on a linear or logarithmic axis.
    Cumulative { measure: Measure, log: bool },
    /// Texts with scans per compared wiki.
    TextsWithScans,
    /// Percent of texts with scans per compared wiki.
    PercentWithScans,
    /// Texts without scans of one wiki.
    NakedTexts { code: String },
    /// Stacked levels of one wiki.
    Levels { code: String },
    /// Stacked texts of one wiki.
    Texts { code: String },
}

const PREFIX: &str = "Wikisource_-_";

impl LegacyGraph {
    /// Parses a file name such as `Wikisource_-_pages_fr.png`; `.svg` is
    /// accepted in place of `.png`. `None` for a name the old tool never wrote.
    pub fn parse(file_name: &str) -> Option<LegacyGraph> {
        let stem = file_name.strip_prefix(PREFIX)?;
        let stem = stem.strip_suffix(".png").or_else(|| stem.strip_suffix(".svg"))?;
        let (stem, log) = match stem.strip_suffix(".log") {
            Some(stem) => (stem, true),
            None => (stem, false),
        };
        let graph = match stem {
            "all_pages" => LegacyGraph::Cumulative {
                measure: Measure::AllPages,
                log,
            },
            "proofread_pages" => LegacyGraph::Cumulative {
                measure: Measure::Proofread,
                log,
            },
            "validated_pages" => LegacyGraph::Cumulative {
                measure: Measure::Validated,
                log,
            },
            _ if log => return None,
            "proofread_pages_per_day_(all_wikisources)" => LegacyGraph::FamilyPerDay { validated: false },
            "validated_pages_per_day_(all_wikisources)" => LegacyGraph::FamilyPerDay { validated: true },
            "proofread_pages_per_day" => LegacyGraph::PerDay { validated: false },
            "validated_pages_per_day" => LegacyGraph::PerDay { validated: true },
            "pr_texts" => LegacyGraph::TextsWithScans,
            "pr_percent" => LegacyGraph::PercentWithScans,
            _ => return per_wiki_graph(stem),
        };
        Some(graph)
    }
}

fn per_wiki_graph(stem: &str) -> Option<LegacyGraph> {
    let code_of = |code: &str| Some(code.to_owned()).filter(|code| is_code(code));
    if let Some(code) = stem.strip_prefix("nonpr_texts_") {
        return code_of(code).map(|code| LegacyGraph::NakedTexts { code });
    }
    if let Some(code) = stem.strip_prefix("pages_") {
        return code_of(code).map(|code| LegacyGraph::Levels { code });
    }
    if let Some(code) = stem.strip_prefix("texts_") {
        return code_of(code).map(|code| LegacyGraph::Texts { code });
    }
    None
}

/// Checks for a code of the old tool: lowercase ASCII letters and inner hyphens, such as `zh-min-nan`.
fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 20
        && !code.starts_with('-')
        && !code.ends_with('-')
        && code.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'-')
}

/// Draws `graph` from the stored statistics as an SVG document `width` pixels wide.
pub async fn render_legacy_graph(pool: &PgPool, graph: &LegacyGraph, width: f64) -> Result<String, StatsError> {
    let (from, to) = all_days();
    let chart = match graph {
        LegacyGraph::FamilyPerDay { validated } => {
            let rows = transitions(pool, None, from, to).await?;
            per_day_chart(messages::per_day_title(*validated, true), &[(None, rows)], *validated)
        }
        LegacyGraph::PerDay { validated } => {
            let mut per_wiki = Vec::with_capacity(COMPARED_WIKIS.len());
            for (code, _) in COMPARED_WIKIS {
                let rows = transitions(pool, Some(&dbname_for_code(code)), from, to).await?;
                per_wiki.push((Some(code), rows));
            }
            per_day_chart(messages::per_day_title(*validated, false), &per_wiki, *validated)
        }
        LegacyGraph::Cumulative { measure, log } => {
            let value = match measure {
                Measure::AllPages => |row: &DailyRow| row.pages,
                Measure::Proofread => |row: &DailyRow| Some(row.q3? + row.q4?),
                Measure::Validated => |row: &DailyRow| row.q4,
            };
            let style = if *log { Style::LogLines } else { Style::Lines };
            compared_chart(pool, messages::cumulative_title(*measure), style, value).await?
        }
        LegacyGraph::TextsWithScans => {
            compared_chart(pool, messages::TEXTS_WITH_SCANS_TITLE.to_owned(), Style::Lines, |row| {
                row.with_scans
            })
            .await?
        }
        LegacyGraph::PercentWithScans => {
            let percent = |row: &DailyRow| -> Option<f64> {
                crate::legacy::percent_with_scans(row.with_scans?, row.texts?, row.disambiguation.unwrap_or(0))
            };
            compared_chart_f64(pool, messages::PERCENT_WITH_SCANS_TITLE.to_owned(), percent).await?
        }
        LegacyGraph::NakedTexts { code } => {
            let rows = daily_rows(pool, &dbname_for_code(code), from, to).await?;
            let rows = thin(rows);
            Chart {
                title: messages::naked_texts_title(&domain_for_code(code)),
                days: rows.iter().map(|row| row.day).collect(),
                series: vec![Series {
                    label: messages::SERIES_WITHOUT_SCANS.to_owned(),
                    color: "#e00000",
                    values: rows
                        .iter()
                        .map(|row| row.naked().filter(|_| !row.bad_data).map(|value| value as f64))
                        .collect(),
                }],
                style: Style::Lines,
            }
        }
        LegacyGraph::Levels { code } => {
            let rows = daily_rows(pool, &dbname_for_code(code), from, to).await?;
            svg::levels(&domain_for_code(code), &level_points(&rows))
        }
        LegacyGraph::Texts { code } => {
            let rows = daily_rows(pool, &dbname_for_code(code), from, to).await?;
            svg::texts(&domain_for_code(code), &texts_points(&rows))
        }
    };
    Ok(svg::render_sized(&chart, width))
}

fn per_day_chart(title: String, per_wiki: &[(Option<&str>, Vec<TransitionRow>)], validated: bool) -> Chart {
    let mut days: BTreeMap<NaiveDate, Vec<Option<f64>>> = BTreeMap::new();
    for (index, (_, rows)) in per_wiki.iter().enumerate() {
        for point in transition_points(rows) {
            let value = if validated { point.validated } else { point.proofread };
            days.entry(point.day).or_insert_with(|| vec![None; per_wiki.len()])[index] = Some(value as f64);
        }
    }
    let days = thin(days.into_iter().collect());
    let series = per_wiki
        .iter()
        .enumerate()
        .map(|(index, (code, _))| Series {
            label: code.map_or_else(|| messages::SERIES_ALL_WIKIS.to_owned(), str::to_owned),
            color: code.map_or("#000000", color_of),
            values: days.iter().map(|(_, values)| values[index]).collect(),
        })
        .collect();
    Chart {
        title,
        days: days.iter().map(|(day, _)| *day).collect(),
        series,
        style: Style::Lines,
    }
}

fn color_of(code: &str) -> &'static str {
    COMPARED_WIKIS
        .iter()
        .find(|(compared, _)| *compared == code)
        .map_or("#000000", |(_, color)| color)
}

async fn compared_chart(
    pool: &PgPool,
    title: String,
    style: Style,
    value: fn(&DailyRow) -> Option<i64>,
) -> Result<Chart, StatsError> {
    let mut chart = compared_chart_f64(pool, title, move |row| value(row).map(|value| value as f64)).await?;
    chart.style = style;
    Ok(chart)
}

/// Builds a chart of one line per compared wiki. Rows marked as wrong data are left out.
async fn compared_chart_f64(
    pool: &PgPool,
    title: String,
    value: impl Fn(&DailyRow) -> Option<f64>,
) -> Result<Chart, StatsError> {
    let dbnames: Vec<String> = COMPARED_WIKIS.iter().map(|(code, _)| dbname_for_code(code)).collect();
    let rows = daily_rows_of(pool, &dbnames).await?;
    let mut days: BTreeMap<NaiveDate, Vec<Option<f64>>> = BTreeMap::new();
    for (wiki, row) in &rows {
        let code = code_for_dbname(wiki);
        let Some(index) = COMPARED_WIKIS.iter().position(|(compared, _)| *compared == code) else {
            continue;
        };
        let values = days.entry(row.day).or_insert_with(|| vec![None; COMPARED_WIKIS.len()]);
        values[index] = value(row).filter(|_| !row.bad_data);
    }
    let days = thin(days.into_iter().collect());
    let series = COMPARED_WIKIS
        .iter()
        .enumerate()
        .map(|(index, (code, color))| Series {
            label: (*code).to_owned(),
            color,
            values: days.iter().map(|(_, values)| values[index]).collect(),
        })
        .collect();
    Ok(Chart {
        title,
        days: days.iter().map(|(day, _)| *day).collect(),
        series,
        style: Style::Lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_old_file_name_parses() {
        let mut names = vec![
            "Wikisource_-_proofread_pages_per_day_(all_wikisources).png".to_owned(),
            "Wikisource_-_validated_pages_per_day_(all_wikisources).png".to_owned(),
            "Wikisource_-_proofread_pages_per_day.png".to_owned(),
            "Wikisource_-_validated_pages_per_day.png".to_owned(),
            "Wikisource_-_pr_texts.png".to_owned(),
            "Wikisource_-_pr_percent.png".to_owned(),
        ];
        for measure in ["all_pages", "proofread_pages", "validated_pages"] {
            names.push(format!("Wikisource_-_{measure}.png"));
            names.push(format!("Wikisource_-_{measure}.log.png"));
        }
        for code in PAGE_GRAPH_WIKIS {
            names.push(format!("Wikisource_-_pages_{code}.png"));
            names.push(format!("Wikisource_-_texts_{code}.png"));
        }
        for code in NAKED_TEXT_WIKIS {
            names.push(format!("Wikisource_-_nonpr_texts_{code}.png"));
        }
        for name in &names {
            assert!(LegacyGraph::parse(name).is_some(), "{name}");
            let svg_name = name.replace(".png", ".svg");
            assert_eq!(LegacyGraph::parse(&svg_name), LegacyGraph::parse(name), "{svg_name}");
        }
        assert_eq!(
            LegacyGraph::parse("Wikisource_-_pages_zh-min-nan.png"),
            Some(LegacyGraph::Levels {
                code: "zh-min-nan".to_owned()
            })
        );
    }

    #[test]
    fn unknown_names_are_rejected() {
        for name in [
            "",
            "Wikisource_-_all_pages.gif",
            "Wikisource_-_pr_texts.log.png",
            "Wikisource_-_pages_.png",
            "Wikisource_-_pages_FR.png",
            "Wikisource_-_pages_../../etc.png",
            "Wikisource_-_pages_-fr.png",
            "all_pages.png",
            "Wikisource_-_pages_fr.png.png",
        ] {
            assert_eq!(LegacyGraph::parse(name), None, "{name}");
        }
    }
}
