//! Server-rendered SVG charts of the statistics, usable without JavaScript.
//!
//! The plotter is written here instead of using `plotters`: its last release
//! (0.3.7) dates from September 2024, and a few hundred lines of our own give
//! byte-identical output for the same data, which the tests compare directly.

mod chart;

pub use chart::{render, render_sized, Chart, Series, Style};

use chrono::NaiveDate;

/// Quality-level colours of ProofreadPage, index = level.
pub const LEVEL_COLORS: [&str; 5] = ["#dddddd", "#ffa0a0", "#b0b0ff", "#ffe867", "#90ff90"];

/// A wiki's Page: pages per level on one day (`None` = unknown). `q1` is the
/// old tool's q1: every page not at level 0, 2, 3 or 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelPoint {
    pub day: NaiveDate,
    pub q0: Option<i64>,
    pub q1: Option<i64>,
    pub q2: Option<i64>,
    pub q3: Option<i64>,
    pub q4: Option<i64>,
}

/// Pages that became proofread (level 3 or 4 from below 3) and validated
/// (level 4 from below) on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionPoint {
    pub day: NaiveDate,
    pub proofread: i64,
    pub validated: i64,
}

/// A wiki's main-namespace texts on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextsPoint {
    pub day: NaiveDate,
    pub with_scans: Option<i64>,
    pub naked: Option<i64>,
    pub disambiguation: Option<i64>,
}

fn values<T>(points: &[T], value: impl Fn(&T) -> Option<i64>) -> Vec<Option<f64>> {
    points
        .iter()
        .map(|point| value(point).map(|value| value as f64))
        .collect()
}

/// Stacked areas of the five levels over time, validated at the bottom.
pub fn levels_chart(title: &str, points: &[LevelPoint]) -> String {
    render(&levels(title, points))
}

/// Builds the chart of [`levels_chart`] without rendering it.
pub fn levels(title: &str, points: &[LevelPoint]) -> Chart {
    let series = |label: &str, level: usize, value: fn(&LevelPoint) -> Option<i64>| Series {
        label: label.to_owned(),
        color: LEVEL_COLORS[level],
        values: values(points, value),
    };
    Chart {
        title: title.to_owned(),
        days: points.iter().map(|point| point.day).collect(),
        series: vec![
            series("validated", 4, |point| point.q4),
            series("proofread", 3, |point| point.q3),
            series("without text", 0, |point| point.q0),
            series("problematic", 2, |point| point.q2),
            series("not proofread", 1, |point| point.q1),
        ],
        style: Style::StackedAreas,
    }
}

/// Lines of the pages proofread and validated per day.
pub fn transitions_chart(title: &str, points: &[TransitionPoint]) -> String {
    render(&transitions(title, points))
}

/// Builds the chart of [`transitions_chart`] without rendering it.
pub fn transitions(title: &str, points: &[TransitionPoint]) -> Chart {
    Chart {
        title: title.to_owned(),
        days: points.iter().map(|point| point.day).collect(),
        series: vec![
            Series {
                label: "proofread per day".to_owned(),
                color: "#c0a000",
                values: values(points, |point| Some(point.proofread)),
            },
            Series {
                label: "validated per day".to_owned(),
                color: "#00a000",
                values: values(points, |point| Some(point.validated)),
            },
        ],
        style: Style::Lines,
    }
}

/// Stacked areas of texts with scans, naked texts and disambiguation pages.
pub fn texts_chart(title: &str, points: &[TextsPoint]) -> String {
    render(&texts(title, points))
}

/// Builds the chart of [`texts_chart`] without rendering it.
pub fn texts(title: &str, points: &[TextsPoint]) -> Chart {
    Chart {
        title: title.to_owned(),
        days: points.iter().map(|point| point.day).collect(),
        series: vec![
            Series {
                label: "with scans".to_owned(),
                color: "#c0c0ff",
                values: values(points, |point| point.with_scans),
            },
            Series {
                label: "without scans".to_owned(),
                color: "#ffa0a0",
                values: values(points, |point| point.naked),
            },
            Series {
                label: "disambiguation".to_owned(),
                color: "#dddddd",
                values: values(points, |point| point.disambiguation),
            },
        ],
        style: Style::StackedAreas,
    }
}
