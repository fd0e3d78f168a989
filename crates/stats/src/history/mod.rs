//! The old tool's statistics history (`new_stats.py`): parsing and import.
//!
//! Each line of the file is a Python 2 literal `(unix_time, {code: figures})`
//! that the old tool appended once a day. [`read_history`] parses a file (plain
//! or gzip) with [`literal::parse`], never evaluating it, and fails on the first
//! malformed line with its number. [`import_history`] stores every wiki row in
//! `stats_history`: unknown values stay NULL, and rows in the ranges the old
//! graphs skipped keep `bad_data = true`. Importing the same file again inserts
//! nothing.

pub mod literal;
mod record;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use flate2::read::GzDecoder;
use sqlx::PgPool;
use tracing::info;

pub use record::{interpret, is_bad_data, HistoryLine, HistoryRow, ValueCounts};

use crate::error::StatsError;
use crate::messages;

/// The name `stats_history.source` gives to rows of the old phetools file.
pub const PHETOOLS_SOURCE: &str = "phetools";

/// Rows per INSERT statement during an import.
const INSERT_CHUNK: usize = 5_000;

/// A parsed history file and figures about it.
#[derive(Debug, Clone)]
pub struct History {
    pub lines: Vec<HistoryLine>,
    pub values: ValueCounts,
}

/// Figures about a parsed history, for checking an import against the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySummary {
    pub lines: usize,
    pub rows: usize,
    pub seven_field_rows: usize,
    pub eight_field_rows: usize,
    pub values: ValueCounts,
    pub distinct_days: usize,
    /// Days with more than one line.
    pub days_with_several_lines: usize,
    /// Lines whose time is not later than the previous line's.
    pub lines_out_of_order: usize,
    pub bad_data_rows: usize,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub wikis_in_first_line: usize,
    pub wikis_in_last_line: usize,
}

impl History {
    pub fn summary(&self) -> HistorySummary {
        let rows = || self.lines.iter().flat_map(|line| &line.rows);
        let mut lines_per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for line in &self.lines {
            *lines_per_day.entry(line.taken_at.date_naive()).or_default() += 1;
        }
        let lines_out_of_order = self
            .lines
            .windows(2)
            .filter(|pair| pair[1].taken_at <= pair[0].taken_at)
            .count();
        HistorySummary {
            lines: self.lines.len(),
            rows: rows().count(),
            seven_field_rows: rows().filter(|row| row.fields == 7).count(),
            eight_field_rows: rows().filter(|row| row.fields == 8).count(),
            values: self.values,
            distinct_days: lines_per_day.len(),
            days_with_several_lines: lines_per_day.values().filter(|count| **count > 1).count(),
            lines_out_of_order,
            bad_data_rows: rows().filter(|row| row.bad_data).count(),
            first: self.lines.first().map(|line| line.taken_at),
            last: self.lines.last().map(|line| line.taken_at),
            wikis_in_first_line: self.lines.first().map_or(0, |line| line.rows.len()),
            wikis_in_last_line: self.lines.last().map_or(0, |line| line.rows.len()),
        }
    }
}

/// Reads and parses a history file; a name ending in `.gz` or gzip content is
/// decompressed.
pub fn read_history(path: &Path) -> Result<History, StatsError> {
    let display = path.display().to_string();
    let read_error = |source| StatsError::Read {
        path: display.clone(),
        source,
    };
    let mut file = BufReader::new(std::fs::File::open(path).map_err(read_error)?);
    let is_gzip = file.fill_buf().map_err(read_error)?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = if is_gzip {
        Box::new(GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let history = parse_history(BufReader::new(reader)).map_err(|error| match error {
        ParseFailure::Io(source) => read_error(source),
        ParseFailure::Line(message) => StatsError::History(message),
    })?;
    if history.lines.is_empty() {
        return Err(StatsError::History(messages::history_empty(&display)));
    }
    Ok(history)
}

enum ParseFailure {
    Io(std::io::Error),
    Line(String),
}

/// Parses every line; blank lines are skipped, and line numbers start at 1.
fn parse_history(reader: impl BufRead) -> Result<History, ParseFailure> {
    let mut lines = Vec::new();
    let mut values = ValueCounts::default();
    for (index, line) in reader.split(b'\n').enumerate() {
        let number = index + 1;
        let bytes = line.map_err(ParseFailure::Io)?;
        let text = String::from_utf8(bytes).map_err(|_| ParseFailure::Line(messages::history_not_utf8(number)))?;
        if text.trim().is_empty() {
            continue;
        }
        let literal = literal::parse(&text).map_err(|error| {
            ParseFailure::Line(messages::history_line(
                number,
                &format!("column {}: {}", error.column, error.message),
            ))
        })?;
        let line = interpret(literal, &mut values)
            .map_err(|detail| ParseFailure::Line(messages::history_line(number, &detail)))?;
        lines.push(line);
    }
    Ok(History { lines, values })
}

/// Parses history text held in memory, as [`read_history`] does for a file.
pub fn parse_history_text(text: &str) -> Result<History, StatsError> {
    parse_history(text.as_bytes()).map_err(|error| match error {
        ParseFailure::Io(source) => StatsError::Read {
            path: "memory".to_owned(),
            source,
        },
        ParseFailure::Line(message) => StatsError::History(message),
    })
}

/// Outcome of [`import_history`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: u64,
    /// Rows already present from an earlier import, left unchanged.
    pub already_present: u64,
}

/// Stores every row of `history` under `source` in one transaction. Rows
/// already stored for the same (source, time, wiki code) are left as they are,
/// so a second import of the same file changes nothing.
pub async fn import_history(pool: &PgPool, source: &str, history: &History) -> Result<ImportReport, StatsError> {
    let rows: Vec<(DateTime<Utc>, &HistoryRow)> = history
        .lines
        .iter()
        .flat_map(|line| line.rows.iter().map(move |row| (line.taken_at, row)))
        .collect();
    let mut transaction = pool
        .begin()
        .await
        .map_err(StatsError::database("cannot start a transaction"))?;
    let mut inserted = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        inserted += insert_chunk(&mut transaction, source, chunk).await?;
    }
    transaction
        .commit()
        .await
        .map_err(StatsError::database("cannot commit the history import"))?;
    let report = ImportReport {
        rows: rows.len(),
        inserted,
        already_present: rows.len() as u64 - inserted,
    };
    info!(
        source,
        rows = report.rows,
        inserted = report.inserted,
        "statistics history imported"
    );
    Ok(report)
}

async fn insert_chunk(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    source: &str,
    chunk: &[(DateTime<Utc>, &HistoryRow)],
) -> Result<u64, StatsError> {
    let taken_at: Vec<DateTime<Utc>> = chunk.iter().map(|(time, _)| *time).collect();
    let codes: Vec<&str> = chunk.iter().map(|(_, row)| row.code.as_str()).collect();
    let wikis: Vec<&str> = chunk.iter().map(|(_, row)| row.wiki.as_str()).collect();
    let value = |index: usize| -> Vec<Option<i64>> { chunk.iter().map(|(_, row)| row.values[index]).collect() };
    let fields: Vec<i16> = chunk.iter().map(|(_, row)| i16::from(row.fields)).collect();
    let bad_data: Vec<bool> = chunk.iter().map(|(_, row)| row.bad_data).collect();
    let result = sqlx::query(
        "INSERT INTO stats_history (source, taken_at, code, wiki, pages, q0, q2, q3, q4, with_scans, texts, \
                                    disambiguation, fields, bad_data) \
         SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], \
                                  $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], \
                                  $12::bigint[], $13::smallint[], $14::bool[]) \
         ON CONFLICT (source, taken_at, code) DO NOTHING",
    )
    .bind(source)
    .bind(&taken_at)
    .bind(&codes)
    .bind(&wikis)
    .bind(value(0))
    .bind(value(1))
    .bind(value(2))
    .bind(value(3))
    .bind(value(4))
    .bind(value(5))
    .bind(value(6))
    .bind(value(7))
    .bind(&fields)
    .bind(&bad_data)
    .execute(&mut **transaction)
    .await
    .map_err(StatsError::database("cannot store the history rows"))?;
    Ok(result.rows_affected())
}
