//! SVG charts: well-formed (parsed back with roxmltree), byte-identical for
//! the same data, and drawing every series.

use chrono::NaiveDate;
use phetools_stats::svg::{levels_chart, texts_chart, transitions_chart, LevelPoint, TextsPoint, TransitionPoint};

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2016, 1, 1).unwrap() + chrono::Duration::days(offset)
}

fn level_points() -> Vec<LevelPoint> {
    (0..60)
        .map(|offset| LevelPoint {
            day: day(offset * 3),
            q0: Some(100 + offset),
            q1: Some(1_000 - offset * 5),
            q2: if offset == 10 { None } else { Some(7) },
            q3: Some(200 + offset * 4),
            q4: Some(50 + offset * 2),
        })
        .collect()
}

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|error| panic!("SVG is not well-formed: {error}\n{svg}"))
}

fn paths(document: &roxmltree::Document<'_>) -> usize {
    document.descendants().filter(|node| node.has_tag_name("path")).count()
}

#[test]
fn levels_chart_is_well_formed_and_stable() {
    let first = levels_chart("Wikisource - pages fr", &level_points());
    let second = levels_chart("Wikisource - pages fr", &level_points());
    assert_eq!(first, second);
    let document = parse(&first);
    assert_eq!(document.root_element().tag_name().name(), "svg");
    assert_eq!(paths(&document), 5);
    // The day with an unknown value is left out of the areas, not drawn as zero.
    let point_count = first
        .lines()
        .find(|line| line.contains("<path"))
        .unwrap()
        .matches('L')
        .count()
        + 1;
    assert_eq!(point_count, 59 * 2);
}

#[test]
fn transitions_chart_is_well_formed_and_stable() {
    let points: Vec<TransitionPoint> = (0..30)
        .map(|offset| TransitionPoint {
            day: day(offset),
            proofread: offset * 3 % 17,
            validated: offset % 5,
        })
        .collect();
    let svg = transitions_chart("Wikisource - proofread pages per day", &points);
    assert_eq!(svg, transitions_chart("Wikisource - proofread pages per day", &points));
    assert_eq!(paths(&parse(&svg)), 2);
}

#[test]
fn texts_chart_is_well_formed_and_stable() {
    let points: Vec<TextsPoint> = (0..10)
        .map(|offset| TextsPoint {
            day: day(offset * 30),
            with_scans: Some(1_000 + offset * 100),
            naked: Some(500),
            disambiguation: Some(20),
        })
        .collect();
    let svg = texts_chart("Wikisource - texts & <scans>", &points);
    assert_eq!(svg, texts_chart("Wikisource - texts & <scans>", &points));
    let document = parse(&svg);
    assert_eq!(paths(&document), 3);
    let title = document.descendants().find(|node| node.has_tag_name("title")).unwrap();
    assert_eq!(title.text(), Some("Wikisource - texts & <scans>"));
}

#[test]
fn empty_chart_says_no_data() {
    let svg = levels_chart("empty", &[]);
    let document = parse(&svg);
    assert!(document.descendants().any(|node| node.text() == Some("no data")));
    let single = levels_chart("one day", &level_points()[..1]);
    parse(&single);
}
