//! Reads the figures of the legacy table from the database.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;

use super::query::LegacyQuery;
use super::table::{LegacyFigures, LegacyTable};
use crate::error::StatsError;
use crate::wiki::code_for_dbname;

type FiguresRow = (
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<DateTime<Utc>>,
);

/// Figures of every wiki and the time they were taken.
struct Figures {
    wikis: Vec<LegacyFigures>,
    taken_at: Option<DateTime<Utc>>,
}

/// Builds the table that `query` requests, with `today` as the current UTC day.
///
/// The end of the period is the live counts when `daysago` is 0 and some wiki
/// has counts, otherwise the last daily row of each wiki on or before
/// `today − daysago`. The start is the last daily row on or before
/// `end − diff`.
pub async fn load_table(pool: &PgPool, query: LegacyQuery, today: NaiveDate) -> Result<LegacyTable, StatsError> {
    let end_day = today - Duration::days(i64::from(query.days_ago));
    let mut end = if query.days_ago == 0 {
        live_counts(pool).await?
    } else {
        Figures {
            wikis: Vec::new(),
            taken_at: None,
        }
    };
    if end.wikis.is_empty() {
        end = daily_figures(pool, end_day).await?;
    }
    let end_label = time_label(end.taken_at, end_day);
    if query.diff == 0 {
        return Ok(LegacyTable::Counts {
            as_of: end_label,
            wikis: end.wikis,
        });
    }

    let start_day = end_day - Duration::days(i64::from(query.diff));
    let start = daily_figures(pool, start_day).await?;
    Ok(LegacyTable::Difference {
        from: day_label(start.taken_at.map_or(start_day, |time| time.date_naive())),
        to: day_label(end.taken_at.map_or(end_day, |time| time.date_naive())),
        current: end.wikis,
        earlier: start.wikis,
    })
}

async fn live_counts(pool: &PgPool) -> Result<Figures, StatsError> {
    let rows: Vec<FiguresRow> = sqlx::query_as(
        "SELECT wiki, pages, q0, q2, q3, q4, texts, with_scans, disambiguation, updated_at \
         FROM stats_wiki_count ORDER BY wiki",
    )
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot read the wiki counts"))?;
    Ok(figures_from_rows(rows))
}

async fn daily_figures(pool: &PgPool, day: NaiveDate) -> Result<Figures, StatsError> {
    let rows: Vec<FiguresRow> = sqlx::query_as(
        "SELECT DISTINCT ON (wiki) wiki, pages, q0, q2, q3, q4, texts, with_scans, disambiguation, taken_at \
         FROM stats_daily WHERE day <= $1 ORDER BY wiki, day DESC",
    )
    .bind(day)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot read the daily statistics"))?;
    Ok(figures_from_rows(rows))
}

fn figures_from_rows(rows: Vec<FiguresRow>) -> Figures {
    let taken_at = rows.iter().filter_map(|row| row.9).max();
    let wikis = rows
        .into_iter()
        .map(
            |(wiki, pages, q0, q2, q3, q4, texts, with_scans, disambiguation, _)| LegacyFigures {
                code: code_for_dbname(&wiki),
                pages,
                q0,
                q2,
                q3,
                q4,
                texts,
                with_scans,
                disambiguation,
            },
        )
        .collect();
    Figures { wikis, taken_at }
}

/// `Sat Dec  5 04:47:10 2026`, the layout of C's `ctime` that the old page showed, in UTC.
fn time_label(time: Option<DateTime<Utc>>, fallback: NaiveDate) -> String {
    match time {
        Some(time) => time.format("%a %b %e %H:%M:%S %Y UTC").to_string(),
        None => day_label(fallback),
    }
}

/// `Sat Dec 5 2026`.
fn day_label(day: NaiveDate) -> String {
    day.format("%a %b %-d %Y").to_string()
}
