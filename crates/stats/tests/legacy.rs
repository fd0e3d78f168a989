//! The statistics.php table and template values: exact format on fixed data,
//! hostile parameters rejected, and tables built from stored counts.

mod common;

use chrono::NaiveDate;
use phetools_stats::apply::apply_events;
use phetools_stats::history::{import_history, parse_history_text, PHETOOLS_SOURCE};
use phetools_stats::legacy::{load_table, render_page, render_table, LegacyFigures, LegacyQuery, LegacyTable};
use phetools_stats::snapshot::take_snapshot;
use sqlx::PgPool;

fn figures(code: &str, values: [i64; 8]) -> LegacyFigures {
    let [pages, q0, q2, q3, q4, with_scans, texts, disambiguation] = values.map(Some);
    LegacyFigures {
        code: code.to_owned(),
        pages,
        q0,
        q2,
        q3,
        q4,
        texts,
        with_scans,
        disambiguation,
    }
}

/// Returns the cells of every `<tr>` whose first cell is a plain `<td>`, as the
/// scripts that copy the table to Meta read it.
fn data_rows(html: &str) -> Vec<Vec<String>> {
    html.split("<tr>")
        .filter(|row| row.starts_with("<td>") && !row.starts_with("<td></td>"))
        .map(|row| {
            let row = row.split("</tr>").next().unwrap();
            row.trim_start_matches("<td>")
                .trim_end_matches("</td>")
                .split("</td><td>")
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn table_matches_legacy_layout() {
    let table = LegacyTable::Counts {
        as_of: "Tue Apr 26 04:52:00 2016 UTC".to_owned(),
        wikis: vec![
            figures("te", [9_000, 100, 10, 500, 50, 300, 1_000, 20]),
            figures(
                "fr",
                [1_724_570, 101_563, 739, 625_998, 258_956, 179_818, 201_425, 2_018],
            ),
        ],
    };
    let html = render_table(&table);
    let expected = "<table style=\"text-align:right; border:1px solid #999;\" rules=\"all\" cellpadding=\"3px\">\n\
<tr>\n<td></td>\n<th colspan=\"6\" style=\"text-align:center\">Page namespace</th>\n\
<th colspan=\"5\" style=\"text-align:center\">Main namespace</th>\n</tr>\n<tr>\n<th>language</th>\n\
<th>all pages</th>\n<th class=\"quality1\">not proof.</th>\n<th class=\"quality2\">problem.</th>\n\
<th class=\"quality0\">w/o text</th>\n<th class=\"quality3\">proofread</th>\n<th class=\"quality4\">validated</th>\n\
<th>all pages</th>\n<th class=\"withscans\">with scans</th>\n<th class=\"naked\">w/o scans</th>\n\
<th class=\"disamb\">disamb</th>\n<th>percent</th>\n</tr>Statistics on Tue Apr 26 04:52:00 2016 UTC<br/>\
<tr><td>fr</td><td>1724570</td><td>737314</td><td>739</td><td>101563</td><td>884954</td><td>258956</td>\
<td>201425</td><td>179818</td><td>19589</td><td>2018</td><td>90.18</td></tr>\
<tr><td>te</td><td>9000</td><td>8340</td><td>10</td><td>100</td><td>550</td><td>50</td>\
<td>1000</td><td>300</td><td>680</td><td>20</td><td>30.61</td></tr>\
<tr><td>total</td><td>1733570</td><td>745654</td><td>749</td><td>101663</td><td>885504</td><td>259006</td>\
<td>202425</td><td>180118</td><td>20269</td><td>2038</td><td></td></tr></table>\n";
    assert_eq!(html, expected);

    let rows = data_rows(&html);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|row| row.len() == 12));
    assert_eq!(rows[1][0], "te");
}

#[test]
fn difference_table_counts_new_wikis_from_zero() {
    let table = LegacyTable::Difference {
        from: "Mon Apr 25 2016".to_owned(),
        to: "Tue Apr 26 2016".to_owned(),
        current: vec![
            figures("fr", [1_000, 100, 10, 300, 200, 50, 100, 10]),
            figures("ta", [10, 1, 1, 1, 1, 1, 2, 0]),
        ],
        earlier: vec![figures("fr", [900, 90, 10, 250, 150, 45, 100, 10])],
    };
    let html = render_page(&table);
    assert!(html.contains("Difference between Mon Apr 25 2016 and Tue Apr 26 2016<br/>"));
    let rows = data_rows(&html);
    assert_eq!(
        rows[0],
        ["fr", "100", "-10", "0", "10", "100", "50", "0", "5", "-5", "0", "5.56"].map(str::to_owned)
    );
    assert_eq!(rows[1][0], "ta");
    assert_eq!(rows[1][1], "10");
    assert_eq!(rows[1][11], "50.00");
    assert_eq!(rows[2][0], "total");
    assert_eq!(rows[2][1], "110");
    assert_eq!(rows[2][11], "");
}

#[test]
fn unknown_values_leave_cells_empty() {
    let mut partial = figures("old", [40, 0, 0, 4, 4, 5, 9, 0]);
    partial.q0 = None;
    partial.disambiguation = None;
    let html = render_table(&LegacyTable::Counts {
        as_of: "x".to_owned(),
        wikis: vec![partial],
    });
    let rows = data_rows(&html);
    // q1 and naked need the unknown values; percent needs disambiguation.
    assert_eq!(
        rows[0],
        ["old", "40", "", "0", "", "8", "4", "9", "5", "", "", ""].map(str::to_owned)
    );
}

#[test]
fn hostile_parameters_are_rejected() {
    for (diff, days_ago) in [
        (Some("1; rm -rf ~"), None),
        (Some("2"), None),
        (Some("-d365"), None),
        (None, Some("1;id")),
        (None, Some("-1")),
        (Some("7"), Some("1 -w")),
        (Some(""), None),
    ] {
        assert!(LegacyQuery::parse(diff, days_ago).is_err(), "{diff:?} {days_ago:?}");
    }
    assert!(LegacyQuery::parse(Some("365"), Some("10")).is_ok());
}

#[test]
fn codes_are_escaped() {
    let html = render_table(&LegacyTable::Counts {
        as_of: "<now>".to_owned(),
        wikis: vec![figures("<b>", [1, 0, 0, 0, 0, 0, 1, 0])],
    });
    assert!(html.contains("<td>&lt;b&gt;</td>"));
    assert!(html.contains("Statistics on &lt;now&gt;<br/>"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn table_from_stored_counts_and_history(pool: PgPool) {
    // A history line for 2016-04-20 and live counts from events.
    let history =
        parse_history_text("(1461110400.0, {'fr': (3, 0, 0, 0, 0, 0, 0, 0), 'de': (7, 1, 1, 1, 1, 1, 2, 0)})\n")
            .unwrap();
    import_history(&pool, PHETOOLS_SOURCE, &history).await.unwrap();
    apply_events(&pool, &common::scenario("frwikisource")).await.unwrap();
    let today = NaiveDate::from_ymd_opt(2016, 4, 27).unwrap();
    take_snapshot(&pool, today).await.unwrap();

    let counts = load_table(&pool, LegacyQuery::default(), today).await.unwrap();
    let LegacyTable::Counts { wikis, .. } = &counts else {
        panic!("expected counts")
    };
    assert_eq!(wikis.len(), 1, "live counts cover the wikis that have events");
    assert_eq!(wikis[0].code, "fr");
    assert_eq!(wikis[0].pages, Some(6));

    let query = LegacyQuery::parse(Some("7"), None).unwrap();
    let difference = load_table(&pool, query, today).await.unwrap();
    let rows = data_rows(&render_table(&difference));
    assert_eq!(rows[0][0], "fr");
    assert_eq!(rows[0][1], "3", "6 pages now, 3 on 2016-04-20");

    // Five days ago there are only history rows: both wikis, from the daily view.
    let query = LegacyQuery::parse(None, Some("5")).unwrap();
    let past = load_table(&pool, query, today).await.unwrap();
    let rows = data_rows(&render_table(&past));
    let codes: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
    assert_eq!(codes, ["de", "fr", "total"]);
}
