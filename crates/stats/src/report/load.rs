//! Queries behind the statistics pages and the JSON and CSV API. They only
//! read: the event path and the recounts write these tables.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::error::StatsError;
use crate::wiki::{code_for_dbname, domain_for_code};

/// Returns the day range that means every stored day: 1970-01-01 to 9999-12-31.
pub fn all_days() -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    (first, last)
}

/// One wiki's current counts, from `stats_wiki_count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentCounts {
    /// Database name, such as `frwikisource`.
    pub wiki: String,
    /// Code of the old tool, such as `fr` or `old`.
    pub code: String,
    pub domain: String,
    pub pages: i64,
    pub q0: i64,
    /// Page: pages at level 1 only; `no_level` counts those without a level.
    pub q1: i64,
    pub q2: i64,
    pub q3: i64,
    pub q4: i64,
    pub no_level: i64,
    pub texts: i64,
    pub with_scans: i64,
    pub disambiguation: i64,
    /// Texts neither with scans nor disambiguation pages.
    pub naked: i64,
    pub expected_without_scans: i64,
    pub updated_at: DateTime<Utc>,
}

impl CurrentCounts {
    /// Returns the old tool's q1: every Page: page not at level 0, 2, 3 or 4.
    pub fn legacy_q1(&self) -> i64 {
        self.pages - self.q0 - self.q2 - self.q3 - self.q4
    }

    /// Returns texts with scans × 100 / (texts − disambiguation pages), the old tool's percent.
    pub fn percent_with_scans(&self) -> Option<f64> {
        crate::legacy::percent_with_scans(self.with_scans, self.texts, self.disambiguation)
    }
}

type CurrentRow = (String, Option<String>, Option<String>, [i64; 11], i64, DateTime<Utc>);

/// Reads every wiki's current counts, ordered by database name.
pub async fn current_counts(pool: &PgPool) -> Result<Vec<CurrentCounts>, StatsError> {
    current_counts_where(pool, None).await
}

/// Reads one wiki's current counts; `None` when the events and recounts have not counted it yet.
pub async fn wiki_current_counts(pool: &PgPool, wiki: &str) -> Result<Option<CurrentCounts>, StatsError> {
    Ok(current_counts_where(pool, Some(wiki)).await?.pop())
}

async fn current_counts_where(pool: &PgPool, wiki: Option<&str>) -> Result<Vec<CurrentCounts>, StatsError> {
    let rows: Vec<CurrentRow> = sqlx::query_as(
        "SELECT c.wiki, w.code, w.domain, \
                ARRAY[c.pages, c.q0, c.q1, c.q2, c.q3, c.q4, c.no_level, c.texts, c.with_scans, \
                      c.disambiguation, c.naked], \
                c.expected_without_scans, c.updated_at \
         FROM stats_wiki_count AS c LEFT JOIN stats_wiki AS w USING (wiki) \
         WHERE $1::text IS NULL OR c.wiki = $1 \
         ORDER BY c.wiki",
    )
    .bind(wiki)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot read the current statistics counts"))?;
    Ok(rows.into_iter().map(current_from_row).collect())
}

fn current_from_row((wiki, code, domain, values, expected_without_scans, updated_at): CurrentRow) -> CurrentCounts {
    let code = code.unwrap_or_else(|| code_for_dbname(&wiki));
    let domain = domain.unwrap_or_else(|| domain_for_code(&code));
    let [pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, naked] = values;
    CurrentCounts {
        wiki,
        code,
        domain,
        pages,
        q0,
        q1,
        q2,
        q3,
        q4,
        no_level,
        texts,
        with_scans,
        disambiguation,
        naked,
        expected_without_scans,
        updated_at,
    }
}

/// One row of `stats_daily`: the own snapshot of a day, or the last imported
/// history row of that day. `None` is unknown, as the history file recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DailyRow {
    pub day: NaiveDate,
    /// `snapshot`, or the tool that wrote the imported history (`phetools`).
    pub source: String,
    pub pages: Option<i64>,
    pub q0: Option<i64>,
    /// Level 1 only; `None` on history rows, which did not record it.
    pub q1: Option<i64>,
    pub q2: Option<i64>,
    pub q3: Option<i64>,
    pub q4: Option<i64>,
    pub texts: Option<i64>,
    pub with_scans: Option<i64>,
    pub disambiguation: Option<i64>,
    /// The old graphs left this row out as wrong data.
    pub bad_data: bool,
}

impl DailyRow {
    /// Returns the old tool's q1: every Page: page not at level 0, 2, 3 or 4.
    pub fn legacy_q1(&self) -> Option<i64> {
        Some(self.pages? - self.q0? - self.q2? - self.q3? - self.q4?)
    }

    pub fn naked(&self) -> Option<i64> {
        Some(self.texts? - self.with_scans? - self.disambiguation.unwrap_or(0))
    }
}

/// Reads one wiki's daily rows from `from` to `to`, both included, oldest first.
pub async fn daily_rows(
    pool: &PgPool,
    wiki: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyRow>, StatsError> {
    sqlx::query_as(
        "SELECT day, source, pages, q0, q1, q2, q3, q4, texts, with_scans, disambiguation, bad_data \
         FROM stats_daily WHERE wiki = $1 AND day BETWEEN $2 AND $3 ORDER BY day",
    )
    .bind(wiki)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot read the daily statistics of a wiki"))
}

/// The sums over every wiki of one day's daily rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FamilyDay {
    pub day: NaiveDate,
    /// Wikis with a row on that day.
    pub wikis: i64,
    /// Sums of the known values; a wiki whose value is unknown adds nothing.
    pub pages: i64,
    pub q0: i64,
    pub q2: i64,
    pub q3: i64,
    pub q4: i64,
    pub texts: i64,
    pub with_scans: i64,
    pub disambiguation: i64,
    /// Some wiki's row of that day is marked as wrong data, so the old graphs
    /// left the day's total out.
    pub bad_data: bool,
}

/// Reads the family's daily sums from `from` to `to`, both included, oldest first.
pub async fn family_days(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<Vec<FamilyDay>, StatsError> {
    sqlx::query_as(
        "SELECT day, count(*) AS wikis, \
                coalesce(sum(pages), 0)::bigint AS pages, coalesce(sum(q0), 0)::bigint AS q0, \
                coalesce(sum(q2), 0)::bigint AS q2, coalesce(sum(q3), 0)::bigint AS q3, \
                coalesce(sum(q4), 0)::bigint AS q4, coalesce(sum(texts), 0)::bigint AS texts, \
                coalesce(sum(with_scans), 0)::bigint AS with_scans, \
                coalesce(sum(disambiguation), 0)::bigint AS disambiguation, bool_or(bad_data) AS bad_data \
         FROM stats_daily WHERE day BETWEEN $1 AND $2 GROUP BY day ORDER BY day",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot read the daily statistics of the family"))
}

/// Reads the daily rows of the listed wikis (database names), oldest day
/// first, for the charts that compare wikis.
pub async fn daily_rows_of(pool: &PgPool, wikis: &[String]) -> Result<Vec<(String, DailyRow)>, StatsError> {
    let rows: Vec<WikiDailyRow> = sqlx::query_as(
        "SELECT wiki, day, source, pages, q0, q1, q2, q3, q4, texts, with_scans, disambiguation, bad_data \
         FROM stats_daily WHERE wiki = ANY($1) ORDER BY day, wiki",
    )
    .bind(wikis)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database(
        "cannot read the daily statistics of several wikis",
    ))?;
    Ok(rows.into_iter().map(|row| (row.wiki.clone(), row.into())).collect())
}

#[derive(sqlx::FromRow)]
struct WikiDailyRow {
    wiki: String,
    #[sqlx(flatten)]
    row: DailyRow,
}

impl From<WikiDailyRow> for DailyRow {
    fn from(row: WikiDailyRow) -> DailyRow {
        row.row
    }
}

/// Changes of one wiki's daily row over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub wiki: String,
    pub code: String,
    /// Day of the row at the end of the period.
    pub to: NaiveDate,
    /// Day of the row at the start; `None` when the wiki has no row that old,
    /// in which case the changes count from zero.
    pub from: Option<NaiveDate>,
    /// End minus start per column; `None` when either value is unknown.
    pub pages: Option<i64>,
    pub q0: Option<i64>,
    pub q1: Option<i64>,
    pub q2: Option<i64>,
    pub q3: Option<i64>,
    pub q4: Option<i64>,
    pub texts: Option<i64>,
    pub with_scans: Option<i64>,
    pub disambiguation: Option<i64>,
    pub naked: Option<i64>,
}

/// Computes, for every wiki, the change between its last daily row on or
/// before `to` and its last daily row on or before that row's day minus `days`.
/// `q1` is the old tool's q1, so that history rows have one.
pub async fn differences(pool: &PgPool, days: u32, to: NaiveDate) -> Result<Vec<Difference>, StatsError> {
    let rows: Vec<DifferenceRow> = sqlx::query_as(
        "WITH ends AS ( \
             SELECT DISTINCT ON (wiki) * FROM stats_daily WHERE day <= $1 ORDER BY wiki, day DESC \
         ) \
         SELECT e.wiki, e.day, s.day, \
                ARRAY[e.pages, e.q0, e.q2, e.q3, e.q4, e.texts, e.with_scans, e.disambiguation], \
                ARRAY[s.pages, s.q0, s.q2, s.q3, s.q4, s.texts, s.with_scans, s.disambiguation] \
         FROM ends AS e LEFT JOIN LATERAL ( \
             SELECT * FROM stats_daily AS d WHERE d.wiki = e.wiki AND d.day <= e.day - $2::integer \
             ORDER BY d.day DESC LIMIT 1 \
         ) AS s ON true \
         ORDER BY e.wiki",
    )
    .bind(to)
    .bind(days as i32)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database(
        "cannot read the daily statistics for the differences",
    ))?;
    Ok(rows.into_iter().map(difference_from_row).collect())
}

type DifferenceRow = (
    String,
    NaiveDate,
    Option<NaiveDate>,
    Vec<Option<i64>>,
    Option<Vec<Option<i64>>>,
);

fn difference_from_row((wiki, to, from, end, start): DifferenceRow) -> Difference {
    let start = start.unwrap_or_else(|| vec![Some(0); 8]);
    let value = |index: usize| -> Option<i64> { Some(end.get(index).copied()?? - start.get(index).copied()??) };
    let legacy_q1 = |values: &[Option<i64>]| -> Option<i64> {
        Some(values[0]? - values[1]? - values[2]? - values[3]? - values[4]?)
    };
    let naked = |values: &[Option<i64>]| -> Option<i64> { Some(values[5]? - values[6]? - values[7].unwrap_or(0)) };
    let start_naked = if from.is_some() { naked(&start) } else { Some(0) };
    let start_q1 = if from.is_some() { legacy_q1(&start) } else { Some(0) };
    Difference {
        code: code_for_dbname(&wiki),
        wiki,
        to,
        from,
        pages: value(0),
        q0: value(1),
        q1: legacy_q1(&end).zip(start_q1).map(|(end, start)| end - start),
        q2: value(2),
        q3: value(3),
        q4: value(4),
        texts: value(5),
        with_scans: value(6),
        disambiguation: value(7),
        naked: naked(&end).zip(start_naked).map(|(end, start)| end - start),
    }
}

/// Number of pages of one wiki (or of the family) whose level changed from
/// `from_level` to `to_level` on one day. A `from_level` of -1 means that the
/// page was new or had no level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TransitionRow {
    pub day: NaiveDate,
    pub from_level: i16,
    pub to_level: i16,
    pub pages: i64,
}

/// Reads the level transitions of `wiki` (every wiki when `None`) from `from`
/// to `to`, both included, ordered by day and levels.
pub async fn transitions(
    pool: &PgPool,
    wiki: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TransitionRow>, StatsError> {
    sqlx::query_as(
        "SELECT day, from_level, to_level, sum(pages)::bigint AS pages FROM stats_transition \
         WHERE ($1::text IS NULL OR wiki = $1) AND day BETWEEN $2 AND $3 \
         GROUP BY day, from_level, to_level ORDER BY day, from_level, to_level",
    )
    .bind(wiki)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .map_err(StatsError::database("cannot read the level transitions"))
}
