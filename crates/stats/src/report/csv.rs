//! CSV (RFC 4180) of the statistics API: a header line, then one line per
//! row, with CRLF line ends. An unknown value is an empty field.

use super::load::{CurrentCounts, DailyRow, Difference, FamilyDay, TransitionRow};
use super::not_transcluded::NotTranscludedBook;

/// Quotes a field when it contains a comma, a quote or a line break.
fn field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn number(value: Option<i64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn document(header: &str, lines: impl Iterator<Item = Vec<String>>) -> String {
    let mut csv = String::with_capacity(4_096);
    csv.push_str(header);
    csv.push_str("\r\n");
    for line in lines {
        let fields: Vec<String> = line.iter().map(|value| field(value)).collect();
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// Writes the current counts, one line per wiki.
pub fn current_counts_csv(rows: &[CurrentCounts]) -> String {
    document(
        "wiki,code,domain,pages,q0,q1,q2,q3,q4,no_level,texts,with_scans,disambiguation,naked,\
         expected_without_scans,updated_at",
        rows.iter().map(|row| {
            let mut line = vec![row.wiki.clone(), row.code.clone(), row.domain.clone()];
            line.extend(
                [
                    row.pages,
                    row.q0,
                    row.q1,
                    row.q2,
                    row.q3,
                    row.q4,
                    row.no_level,
                    row.texts,
                    row.with_scans,
                    row.disambiguation,
                    row.naked,
                    row.expected_without_scans,
                ]
                .map(|value| value.to_string()),
            );
            line.push(row.updated_at.to_rfc3339());
            line
        }),
    )
}

/// Writes one wiki's daily rows.
pub fn daily_csv(rows: &[DailyRow]) -> String {
    document(
        "day,source,pages,q0,q1,q2,q3,q4,texts,with_scans,disambiguation,bad_data",
        rows.iter().map(|row| {
            let mut line = vec![row.day.to_string(), row.source.clone()];
            line.extend(
                [
                    row.pages,
                    row.q0,
                    row.q1,
                    row.q2,
                    row.q3,
                    row.q4,
                    row.texts,
                    row.with_scans,
                    row.disambiguation,
                ]
                .map(number),
            );
            line.push(row.bad_data.to_string());
            line
        }),
    )
}

/// Writes the family's daily sums.
pub fn family_csv(days: &[FamilyDay]) -> String {
    document(
        "day,wikis,pages,q0,q2,q3,q4,texts,with_scans,disambiguation,bad_data",
        days.iter().map(|day| {
            let mut line = vec![day.day.to_string()];
            line.extend(
                [
                    day.wikis,
                    day.pages,
                    day.q0,
                    day.q2,
                    day.q3,
                    day.q4,
                    day.texts,
                    day.with_scans,
                    day.disambiguation,
                ]
                .map(|value| value.to_string()),
            );
            line.push(day.bad_data.to_string());
            line
        }),
    )
}

/// Writes the differences over a period, one line per wiki.
pub fn differences_csv(rows: &[Difference]) -> String {
    document(
        "wiki,code,from,to,pages,q0,q1,q2,q3,q4,texts,with_scans,disambiguation,naked",
        rows.iter().map(|row| {
            let mut line = vec![
                row.wiki.clone(),
                row.code.clone(),
                row.from.map(|day| day.to_string()).unwrap_or_default(),
                row.to.to_string(),
            ];
            line.extend(
                [
                    row.pages,
                    row.q0,
                    row.q1,
                    row.q2,
                    row.q3,
                    row.q4,
                    row.texts,
                    row.with_scans,
                    row.disambiguation,
                    row.naked,
                ]
                .map(number),
            );
            line
        }),
    )
}

/// Writes the level transitions, one line per day and pair of levels.
pub fn transitions_csv(rows: &[TransitionRow]) -> String {
    document(
        "day,from_level,to_level,pages",
        rows.iter().map(|row| {
            vec![
                row.day.to_string(),
                row.from_level.to_string(),
                row.to_level.to_string(),
                row.pages.to_string(),
            ]
        }),
    )
}

/// Writes the books with pages that no text transcludes.
pub fn not_transcluded_csv(books: &[NotTranscludedBook]) -> String {
    document(
        "book,pages",
        books.iter().map(|book| vec![book.book.clone(), book.pages.to_string()]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn unknown_values_are_empty_fields() {
        let csv = not_transcluded_csv(&[NotTranscludedBook {
            book: "A,B.djvu".to_owned(),
            pages: 7,
        }]);
        assert_eq!(csv, "book,pages\r\n\"A,B.djvu\",7\r\n");
        assert_eq!(number(None), "");
    }
}
