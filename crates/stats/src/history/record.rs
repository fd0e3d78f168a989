//! Interpretation of one parsed history line: `(unix_time, {code: tuple, …})`
//! where the tuple is `(num_pages, q0, q2, q3, q4, num_trans, num_texts[, num_disambig])`.

use chrono::{DateTime, NaiveDate, Utc};

use super::literal::Literal;
use crate::messages;
use crate::wiki::dbname_for_code;

/// One wiki's figures on one history line. `None` is unknown: the file wrote
/// `None` or `[]`, or the tuple had no disambiguation field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub code: String,
    pub wiki: String,
    /// num_pages, q0, q2, q3, q4, num_trans (with scans), num_texts, num_disambig.
    pub values: [Option<i64>; 8],
    /// The tuple length in the file, 7 or 8.
    pub fields: u8,
    pub bad_data: bool,
}

/// One line of the history file.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryLine {
    pub taken_at: DateTime<Utc>,
    pub rows: Vec<HistoryRow>,
}

/// How often each kind of value appeared in the tuples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValueCounts {
    pub ints: u64,
    pub nones: u64,
    pub empty_lists: u64,
}

/// A date range (inclusive, UTC) that the old graphs skipped as bad data.
struct BadDataRange {
    /// The wiki code, or `None` for every wiki.
    code: Option<&'static str>,
    /// First and last day as (year, month, day).
    first: (i32, u32, u32),
    last: (i32, u32, u32),
}

const BAD_DATA_RANGES: [BadDataRange; 3] = [
    BadDataRange {
        code: Some("en"),
        first: (2009, 5, 29),
        last: (2009, 6, 17),
    },
    BadDataRange {
        code: Some("sv"),
        first: (2010, 4, 23),
        last: (2010, 4, 25),
    },
    BadDataRange {
        code: None,
        first: (2009, 10, 28),
        last: (2009, 11, 20),
    },
];

/// Tells whether the old graphs skipped the figures of `code` on `day`.
pub fn is_bad_data(code: &str, day: NaiveDate) -> bool {
    BAD_DATA_RANGES.iter().any(|range| {
        let first = NaiveDate::from_ymd_opt(range.first.0, range.first.1, range.first.2);
        let last = NaiveDate::from_ymd_opt(range.last.0, range.last.1, range.last.2);
        let in_range = first.is_some_and(|first| day >= first) && last.is_some_and(|last| day <= last);
        in_range && range.code.is_none_or(|wiki| wiki == code)
    })
}

/// Reads a parsed line. Errors are messages without the line number.
pub fn interpret(literal: Literal, counts: &mut ValueCounts) -> Result<HistoryLine, String> {
    let Literal::Tuple(items) = literal else {
        return Err(messages::HISTORY_NOT_A_TUPLE.to_owned());
    };
    let [time, wikis] = <[Literal; 2]>::try_from(items).map_err(|items| messages::history_tuple_length(items.len()))?;
    let taken_at = unix_time(&time)?;
    let Literal::Dict(entries) = wikis else {
        return Err(messages::HISTORY_NOT_A_DICT.to_owned());
    };

    let day = taken_at.date_naive();
    let mut rows = Vec::with_capacity(entries.len());
    for (key, figures) in entries {
        let Literal::Str(code) = key else {
            return Err(messages::history_code_not_string(&format!("{key:?}")));
        };
        if code.is_empty() {
            return Err(messages::HISTORY_EMPTY_CODE.to_owned());
        }
        let (values, fields) = figures_of(&code, figures, counts)?;
        rows.push(HistoryRow {
            wiki: dbname_for_code(&code),
            bad_data: is_bad_data(&code, day),
            code,
            values,
            fields,
        });
    }
    Ok(HistoryLine { taken_at, rows })
}

fn figures_of(code: &str, figures: Literal, counts: &mut ValueCounts) -> Result<([Option<i64>; 8], u8), String> {
    let Literal::Tuple(items) = figures else {
        return Err(messages::history_figures_not_tuple(code));
    };
    if items.len() != 7 && items.len() != 8 {
        return Err(messages::history_field_count(code, items.len()));
    }
    let fields = items.len() as u8;
    let mut values = [None; 8];
    for (index, item) in items.into_iter().enumerate() {
        values[index] = match item {
            Literal::Int(value) => {
                counts.ints += 1;
                Some(value)
            }
            Literal::None => {
                counts.nones += 1;
                None
            }
            Literal::List(list) if list.is_empty() => {
                counts.empty_lists += 1;
                None
            }
            other => return Err(messages::history_invalid_value(code, index + 1, &format!("{other:?}"))),
        };
    }
    Ok((values, fields))
}

/// Converts the time field to a UTC time with microsecond precision, reading
/// the decimal digits directly so that the same text always gives the same time.
fn unix_time(time: &Literal) -> Result<DateTime<Utc>, String> {
    let micros = match time {
        Literal::Int(seconds) => seconds.checked_mul(1_000_000),
        Literal::Float(text) => decimal_to_micros(text),
        other => return Err(messages::history_time_not_number(&format!("{other:?}"))),
    };
    micros
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .filter(|time| time.timestamp() >= 0)
        .ok_or_else(|| messages::history_time_out_of_range(&format!("{time:?}")))
}

/// `"1190660100.58"` → 1190660100580000. Exponent notation goes through f64.
fn decimal_to_micros(text: &str) -> Option<i64> {
    if text.contains(['e', 'E']) {
        let seconds: f64 = text.parse().ok()?;
        let micros = (seconds * 1e6).round();
        return (micros.abs() < 9.0e18).then_some(micros as i64);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut digits: Vec<u32> = fraction.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
    let round_up = digits.get(6).is_some_and(|digit| *digit >= 5);
    digits.resize(6, 0);
    let fraction = digits.iter().fold(0_i64, |value, digit| value * 10 + i64::from(*digit)) + i64::from(round_up);
    let sign = if text.starts_with('-') { -1 } else { 1 };
    whole.checked_mul(1_000_000)?.checked_add(sign * fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_times_are_exact() {
        assert_eq!(decimal_to_micros("1190660100.58"), Some(1_190_660_100_580_000));
        assert_eq!(decimal_to_micros("1.5"), Some(1_500_000));
        assert_eq!(decimal_to_micros("2.0000005"), Some(2_000_001));
        assert_eq!(decimal_to_micros("1e3"), Some(1_000_000_000));
        assert_eq!(decimal_to_micros("1.x"), None);
    }

    #[test]
    fn bad_data_ranges_are_inclusive() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(is_bad_data("en", day(2009, 5, 29)));
        assert!(is_bad_data("en", day(2009, 6, 17)));
        assert!(!is_bad_data("en", day(2009, 6, 18)));
        assert!(!is_bad_data("fr", day(2009, 6, 1)));
        assert!(is_bad_data("sv", day(2010, 4, 24)));
        assert!(is_bad_data("fr", day(2009, 10, 28)));
        assert!(is_bad_data("de", day(2009, 11, 20)));
        assert!(!is_bad_data("de", day(2009, 11, 21)));
    }
}
