//! The new statistics pages: `/stats` for the whole family and
//! `/stats/{wiki}` for one wiki, with their charts inline.

use std::fmt::Write;

use sqlx::PgPool;

use super::charts::{family_level_points, family_texts_points, level_points, texts_points, transition_points};
use super::html::{counts_table, document, figure, CountsRow, Layout};
use super::load::{
    all_days, current_counts, daily_rows, family_days, transitions, wiki_current_counts, CurrentCounts, DailyRow,
    FamilyDay, TransitionRow,
};
use super::wikis::WikiRef;
use crate::error::StatsError;
use crate::markup::escape;
use crate::messages;
use crate::svg;

/// Data of the `/stats` page.
#[derive(Debug, Clone)]
pub struct Overview {
    pub counts: Vec<CurrentCounts>,
    pub family: Vec<FamilyDay>,
    pub transitions: Vec<TransitionRow>,
}

/// Reads what `/stats` shows.
pub async fn load_overview(pool: &PgPool) -> Result<Overview, StatsError> {
    let (from, to) = all_days();
    Ok(Overview {
        counts: current_counts(pool).await?,
        family: family_days(pool, from, to).await?,
        transitions: transitions(pool, None, from, to).await?,
    })
}

/// Renders `/stats`: every wiki's current counts with a total row, and the
/// family's levels, pages proofread and validated per day, and texts.
pub fn render_overview(overview: &Overview) -> String {
    let mut body = format!("<h1>{}</h1>\n", messages::OVERVIEW_TITLE);
    match overview.counts.iter().map(|counts| counts.updated_at).max() {
        Some(updated_at) => {
            let _ = writeln!(
                body,
                "<p>{}</p>",
                escape(&messages::counts_as_of(
                    &updated_at.format("%Y-%m-%d %H:%M UTC").to_string()
                ))
            );
        }
        None => {
            let _ = writeln!(body, "<p>{}</p>", messages::NO_CURRENT_COUNTS);
        }
    }
    body.push_str(&data_links(&[
        ("/api/v1/stats".to_owned(), messages::LINK_COUNTS_JSON),
        ("/api/v1/stats?format=csv".to_owned(), messages::LINK_COUNTS_CSV),
        ("/api/v1/stats/diff?diff=1".to_owned(), messages::LINK_DIFF_JSON),
        (
            "/api/v1/stats/diff?diff=1&format=csv".to_owned(),
            messages::LINK_DIFF_CSV,
        ),
    ]));
    let rows: Vec<CountsRow> = overview
        .counts
        .iter()
        .map(|counts| CountsRow::from_current(wiki_link(&counts.wiki, &counts.code), counts))
        .collect();
    let _ = writeln!(body, "<h2>{}</h2>", messages::CURRENT_COUNTS_HEADING);
    body.push_str(&counts_table("counts", &rows, true));

    let _ = writeln!(body, "<h2>{}</h2>", messages::CHARTS_HEADING);
    let family_links = [
        ("/api/v1/stats/daily".to_owned(), messages::LINK_JSON),
        ("/api/v1/stats/daily?format=csv".to_owned(), messages::LINK_CSV),
    ];
    let transition_links = [
        ("/api/v1/stats/transitions".to_owned(), messages::LINK_JSON),
        ("/api/v1/stats/transitions?format=csv".to_owned(), messages::LINK_CSV),
    ];
    let levels = svg::levels_chart(messages::FAMILY_LEVELS_TITLE, &family_level_points(&overview.family));
    body.push_str(&figure("chart-levels", &levels, &family_links));
    let per_day = svg::transitions_chart(
        messages::FAMILY_PER_DAY_TITLE,
        &transition_points(&overview.transitions),
    );
    body.push_str(&figure("chart-transitions", &per_day, &transition_links));
    let texts = svg::texts_chart(messages::FAMILY_TEXTS_TITLE, &family_texts_points(&overview.family));
    body.push_str(&figure("chart-texts", &texts, &family_links));
    document(messages::OVERVIEW_TITLE, &body, Layout::Modern)
}

fn wiki_link(wiki: &str, code: &str) -> String {
    format!("<a href=\"/stats/{}\">{}</a>", escape(wiki), escape(code))
}

fn data_links(links: &[(String, &str)]) -> String {
    let mut html = String::from("<p class=\"data\">");
    for (href, label) in links {
        let _ = write!(html, "<a href=\"{}\">{label}</a> ", escape(href));
    }
    html.push_str("</p>\n");
    html
}

/// Data of the `/stats/{wiki}` page.
#[derive(Debug, Clone)]
pub struct WikiReport {
    pub wiki: WikiRef,
    pub counts: Option<CurrentCounts>,
    pub daily: Vec<DailyRow>,
    pub transitions: Vec<TransitionRow>,
}

/// Reads what `/stats/{wiki}` shows.
pub async fn load_wiki_report(pool: &PgPool, wiki: WikiRef) -> Result<WikiReport, StatsError> {
    let (from, to) = all_days();
    Ok(WikiReport {
        counts: wiki_current_counts(pool, &wiki.wiki).await?,
        daily: daily_rows(pool, &wiki.wiki, from, to).await?,
        transitions: transitions(pool, Some(&wiki.wiki), from, to).await?,
        wiki,
    })
}

/// Renders `/stats/{wiki}`: the current counts (or, without them, the last
/// daily row), the levels over time, pages proofread and validated per day,
/// and texts with scans, each with links to the same data as JSON and CSV.
pub fn render_wiki_report(report: &WikiReport) -> String {
    let wiki = &report.wiki;
    let title = messages::wiki_title(&wiki.domain);
    let api = format!("/api/v1/stats/{}", wiki.wiki);
    let mut body = format!("<h1>{}</h1>\n", escape(&title));
    body.push_str(&data_links(&[
        (api.clone(), messages::LINK_COUNTS_JSON),
        (
            format!("/not_transcluded/{}.html", wiki.code),
            messages::LINK_NOT_TRANSCLUDED,
        ),
        (
            format!("{api}/not-transcluded?format=csv"),
            messages::LINK_NOT_TRANSCLUDED_CSV,
        ),
    ]));

    let row = match (&report.counts, report.daily.last()) {
        (Some(counts), _) => Some(CountsRow::from_current(
            escape(&messages::counts_as_of(
                &counts.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            )),
            counts,
        )),
        (None, Some(daily)) => Some(CountsRow::from_daily(
            escape(&messages::daily_row_of(&daily.day.to_string())),
            daily,
        )),
        (None, None) => None,
    };
    let _ = writeln!(body, "<h2>{}</h2>", messages::CURRENT_COUNTS_HEADING);
    match row {
        Some(row) => body.push_str(&counts_table("counts", &[row], false)),
        None => {
            let _ = writeln!(body, "<p>{}</p>", messages::NO_CURRENT_COUNTS);
        }
    }

    let _ = writeln!(body, "<h2>{}</h2>", messages::CHARTS_HEADING);
    let daily_links = [
        (format!("{api}/daily"), messages::LINK_JSON),
        (format!("{api}/daily?format=csv"), messages::LINK_CSV),
    ];
    let transition_links = [
        (format!("{api}/transitions"), messages::LINK_JSON),
        (format!("{api}/transitions?format=csv"), messages::LINK_CSV),
    ];
    let levels = svg::levels_chart(&messages::levels_title(&wiki.domain), &level_points(&report.daily));
    body.push_str(&figure("chart-levels", &levels, &daily_links));
    let per_day = svg::transitions_chart(
        &messages::per_day_wiki_title(&wiki.domain),
        &transition_points(&report.transitions),
    );
    body.push_str(&figure("chart-transitions", &per_day, &transition_links));
    let texts = svg::texts_chart(&messages::texts_title(&wiki.domain), &texts_points(&report.daily));
    body.push_str(&figure("chart-texts", &texts, &daily_links));
    document(&title, &body, Layout::Modern)
}
