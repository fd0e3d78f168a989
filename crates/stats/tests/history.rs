//! Import of the old tool's history file (the 2016 copy in fixtures/history)
//! on a real PostgreSQL: the figures of the fixture README, idempotence,
//! NULL for unknown values, bad-data flags, and malformed lines.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use phetools_stats::history::{import_history, parse_history_text, read_history, PHETOOLS_SOURCE};
use phetools_stats::StatsError;
use sqlx::PgPool;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history/phetools-new_stats-2016-04-27.py.gz")
}

#[test]
fn fixture_summary_matches_readme() {
    let history = read_history(&fixture()).unwrap();
    let summary = history.summary();
    assert_eq!(summary.lines, 3_051);
    assert_eq!(summary.lines_out_of_order, 0, "times strictly increase");
    assert_eq!(summary.distinct_days, 2_959);
    assert_eq!(summary.days_with_several_lines, 60);
    assert_eq!(summary.rows, 87_384);
    assert_eq!(summary.wikis_in_first_line, 22);
    assert_eq!(summary.wikis_in_last_line, 55);
    assert_eq!(summary.seven_field_rows, 23_467);
    assert_eq!(summary.eight_field_rows, 63_917);
    assert_eq!(summary.values.ints, 625_363);
    assert_eq!(summary.values.nones, 28_996);
    assert_eq!(summary.values.empty_lists, 21_246);
    let first = summary.first.unwrap().format("%Y-%m-%d %H:%M").to_string();
    let last = summary.last.unwrap().format("%Y-%m-%d %H:%M").to_string();
    assert_eq!(first, "2007-09-24 18:55");
    assert_eq!(last, "2016-04-26 04:52");
    assert!(summary.bad_data_rows > 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn import_is_idempotent_and_keeps_unknown_as_null(pool: PgPool) {
    let history = read_history(&fixture()).unwrap();
    let first = import_history(&pool, PHETOOLS_SOURCE, &history).await.unwrap();
    assert_eq!(first.rows, 87_384);
    assert_eq!(first.inserted, 87_384);

    let second = import_history(&pool, PHETOOLS_SOURCE, &history).await.unwrap();
    assert_eq!(second.inserted, 0);
    assert_eq!(second.already_present, 87_384);

    let (rows, nulls, seven, bad): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), \
                sum(num_nulls(pages, q0, q2, q3, q4, with_scans, texts, disambiguation)), \
                count(*) FILTER (WHERE fields = 7), count(*) FILTER (WHERE bad_data) \
         FROM stats_history",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rows, 87_384);
    // None and [] of the file, plus the missing disambiguation of each 7-field row.
    assert_eq!(nulls, 28_996 + 21_246 + 23_467);
    assert_eq!(seven, 23_467);
    let summary_bad = history.summary().bad_data_rows as i64;
    assert_eq!(bad, summary_bad);

    let days: i64 = sqlx::query_scalar("SELECT count(DISTINCT day) FROM stats_daily")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(days, 2_959);
}

/// taken_at, code, wiki, bad_data, q0, q2, disambiguation.
type HistoryRow = (
    DateTime<Utc>,
    String,
    String,
    bool,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

#[sqlx::test(migrations = "../../migrations")]
async fn bad_data_ranges_are_flagged_not_dropped(pool: PgPool) {
    let text = "(1243728000.0, {'en': (10, 1, 1, 1, 1, 5, 9, 0), 'fr': (20, 2, 2, 2, 2, 5, 9, 0)})\n\
                (1256947200.5, {'sv': (30, 3, 3, 3, 3, 5, 9, 0), 'old': (40, [], None, 4, 4, 5, 9)})\n\
                (1272067200, {'sv': (50, 5, 5, 5, 5, 5, 9, 0), 'zh-min-nan': (60, 6, 6, 6, 6, 5, 9, 0)})\n";
    let history = parse_history_text(text).unwrap();
    import_history(&pool, PHETOOLS_SOURCE, &history).await.unwrap();
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT taken_at, code, wiki, bad_data, q0, q2, disambiguation FROM stats_history ORDER BY taken_at, code",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let flags: Vec<(&str, &str, bool)> = rows.iter().map(|row| (row.1.as_str(), row.2.as_str(), row.3)).collect();
    assert_eq!(
        flags,
        vec![
            // 2009-05-31: en only.
            ("en", "enwikisource", true),
            ("fr", "frwikisource", false),
            // 2009-10-31: every wiki.
            ("old", "sourceswiki", true),
            ("sv", "svwikisource", true),
            // 2010-04-24: sv only.
            ("sv", "svwikisource", true),
            ("zh-min-nan", "zh_min_nanwikisource", false),
        ]
    );
    assert_eq!((rows[2].4, rows[2].5, rows[2].6), (None, None, None));
    assert_eq!(rows[0].0.timestamp(), 1_243_728_000);
    assert_eq!(rows[2].0.timestamp_micros(), 1_256_947_200_500_000);
}

#[test]
fn malformed_line_fails_with_its_number() {
    let cases = [
        (
            "(1.0, {'fr': (1, 2, 3, 4, 5, 6, 7)})\n(2.0, {'fr': (1, 2, 3)})\n",
            "line 2",
            "7 or 8",
        ),
        (
            "(1.0, {'fr': (1, 2, 3, 4, 5, 6, 7)})\n\n(2.0, {'fr': (1, 2, 3, 4, 5, 6, 7)}\n",
            "line 3",
            "column",
        ),
        (
            "(1.0, {'fr': (1, 2, 3, 4, 5, 6, 7, 'x')})\n",
            "line 1",
            "expected an integer",
        ),
        ("__import__('os').system('true')\n", "line 1", "column 1"),
        ("(1.0, {'fr': (1, 2, 3, 4, 5, 6, [1])})\n", "line 1", "field 7"),
        ("(1.0, {5: (1, 2, 3, 4, 5, 6, 7)})\n", "line 1", "not a string"),
        ("(-5.0, {'fr': (1, 2, 3, 4, 5, 6, 7)})\n", "line 1", "Unix time"),
    ];
    for (text, line, detail) in cases {
        let error = parse_history_text(text).unwrap_err();
        assert!(matches!(error, StatsError::History(_)), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(line), "{text}: {message}");
        assert!(message.contains(detail), "{text}: {message}");
    }
}

#[test]
fn malformed_gzip_line_names_its_number() {
    let directory = std::env::temp_dir().join(format!("phetools-stats-history-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("new_stats.py.gz");
    let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
    encoder
        .write_all(b"(1.0, {'fr': (1, 2, 3, 4, 5, 6, 7)})\n(2.0, {'fr': (1, 2, 3, 4, 5, 6, 7)})\n(3.0 {})\n")
        .unwrap();
    encoder.finish().unwrap();
    let error = read_history(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&directory).unwrap();
    assert!(error.contains("history line 3"), "{error}");
}

#[test]
fn missing_file_names_the_path() {
    let error = read_history(std::path::Path::new("/nonexistent/new_stats.py")).unwrap_err();
    assert!(error.to_string().contains("/nonexistent/new_stats.py"), "{error}");
}
