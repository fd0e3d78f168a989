//! A small SVG plotter: a date axis, a value axis, stacked areas or lines, and
//! a legend. Coordinates are written with one decimal and no map is iterated,
//! so the same input always gives the same bytes.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::markup::escape;

pub(crate) const WIDTH: f64 = 800.0;
pub(crate) const HEIGHT: f64 = 480.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 90.0;
const VALUE_TICKS: f64 = 5.0;
const DATE_TICKS: i64 = 5;
const LEGEND_COLUMNS: usize = 10;
const LEGEND_ROW_HEIGHT: f64 = 18.0;

/// One named series of values, one per day of the chart (`None` = unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    /// A CSS colour such as `#90ff90`.
    pub color: &'static str,
    pub values: Vec<Option<f64>>,
}

/// Drawing style of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Areas stacked in series order, the first at the bottom. A day on which
    /// any series is unknown is left out of every area. Days with values more
    /// than 62 days apart are not joined.
    StackedAreas,
    /// One line per series, broken where a value is unknown or where two days
    /// with values are more than 62 days apart.
    Lines,
    /// One line per series on a base-10 logarithmic value axis, broken where
    /// a value is unknown or not positive.
    LogLines,
}

/// A chart over days.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub days: Vec<NaiveDate>,
    pub series: Vec<Series>,
    pub style: Style,
}

struct Scale {
    first_day: NaiveDate,
    day_span: f64,
    /// Top of the value axis; for a logarithmic axis, its base-10 exponent.
    max_value: f64,
    /// Base-10 exponent at the bottom of a logarithmic axis; `None` for a linear axis.
    log_floor: Option<f64>,
}

impl Scale {
    fn x(&self, day: NaiveDate) -> f64 {
        let offset = (day - self.first_day).num_days() as f64;
        LEFT + offset / self.day_span * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, value: f64) -> f64 {
        let fraction = match self.log_floor {
            Some(floor) => (value.log10() - floor) / (self.max_value - floor),
            None => value / self.max_value,
        };
        HEIGHT - BOTTOM - fraction * (HEIGHT - TOP - BOTTOM)
    }
}

/// Renders `chart` as a standalone SVG document of its natural size, 800 × 480.
pub fn render(chart: &Chart) -> String {
    render_sized(chart, WIDTH)
}

/// Renders `chart` as a standalone SVG document displayed `width` pixels wide,
/// with the height in proportion. The drawing itself is the same at every size.
pub fn render_sized(chart: &Chart, width: f64) -> String {
    let height = width * HEIGHT / WIDTH;
    let mut svg = String::with_capacity(32_768);
    let _ = writeln!(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-labelledby=\"chart-title\">"
    );
    let _ = writeln!(svg, "<title id=\"chart-title\">{}</title>", escape(&chart.title));
    let _ = writeln!(svg, "<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#ffffff\"/>");
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">{}</text>",
        WIDTH / 2.0,
        escape(&chart.title)
    );

    let stacked = stack(chart);
    match scale(chart, &stacked) {
        Some(scale) => {
            axes(&mut svg, chart, &scale);
            match chart.style {
                Style::StackedAreas => areas(&mut svg, chart, &stacked, &scale),
                Style::Lines | Style::LogLines => lines(&mut svg, chart, &scale),
            }
        }
        None => {
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">no data</text>",
                WIDTH / 2.0,
                HEIGHT / 2.0
            );
        }
    }
    legend(&mut svg, chart);
    svg.push_str("</svg>\n");
    svg
}

/// Cumulative sums per day for stacked areas; `None` for a day with an unknown value.
fn stack(chart: &Chart) -> Vec<Option<Vec<f64>>> {
    (0..chart.days.len())
        .map(|day| {
            let mut total = 0.0;
            let mut tops = Vec::with_capacity(chart.series.len());
            for series in &chart.series {
                total += series.values.get(day).copied().flatten()?;
                tops.push(total);
            }
            Some(tops)
        })
        .collect()
}

fn scale(chart: &Chart, stacked: &[Option<Vec<f64>>]) -> Option<Scale> {
    let first_day = *chart.days.first()?;
    let last_day = *chart.days.last()?;
    let day_span = ((last_day - first_day).num_days() as f64).max(1.0);
    if chart.style == Style::LogLines {
        let positive = || positive_values(chart).map(f64::log10);
        let floor = positive().fold(None, min)?.floor();
        let ceiling = positive().fold(None, max)?.ceil().max(floor + 1.0);
        return Some(Scale {
            first_day,
            day_span,
            max_value: ceiling,
            log_floor: Some(floor),
        });
    }
    let max_value = match chart.style {
        Style::StackedAreas => stacked
            .iter()
            .flatten()
            .filter_map(|tops| tops.last().copied())
            .fold(None, max),
        Style::Lines | Style::LogLines => chart
            .series
            .iter()
            .flat_map(|series| series.values.iter().flatten().copied())
            .fold(None, max),
    }?;
    Some(Scale {
        first_day,
        day_span,
        max_value: nice_ceiling(max_value.max(1.0)),
        log_floor: None,
    })
}

fn positive_values(chart: &Chart) -> impl Iterator<Item = f64> + '_ {
    chart
        .series
        .iter()
        .flat_map(|series| series.values.iter().flatten().copied())
        .filter(|value| *value > 0.0)
}

fn max(current: Option<f64>, value: f64) -> Option<f64> {
    Some(current.map_or(value, |current| current.max(value)))
}

fn min(current: Option<f64>, value: f64) -> Option<f64> {
    Some(current.map_or(value, |current| current.min(value)))
}

/// Values at the gridlines of the value axis, bottom first.
fn value_ticks(scale: &Scale) -> Vec<f64> {
    match scale.log_floor {
        Some(floor) => {
            let decades = (scale.max_value - floor) as i64;
            // At most about six labelled gridlines, each a power of ten.
            let step = (decades + 5) / 6;
            (0..=decades)
                .step_by(step.max(1) as usize)
                .map(|decade| 10_f64.powf(floor + decade as f64))
                .collect()
        }
        None => (0..=VALUE_TICKS as i64)
            .map(|tick| scale.max_value * tick as f64 / VALUE_TICKS)
            .collect(),
    }
}

/// Returns the smallest of 1, 2, 2.5 or 5 times a power of ten, times the tick count, at or above `value`.
fn nice_ceiling(value: f64) -> f64 {
    let step = value / VALUE_TICKS;
    let power = 10_f64.powf(step.log10().floor());
    let nice_step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|factor| factor * power)
        .find(|candidate| *candidate >= step)
        .unwrap_or(10.0 * power);
    nice_step * VALUE_TICKS
}

fn axes(svg: &mut String, chart: &Chart, scale: &Scale) {
    svg.push_str("<g class=\"axes\" stroke=\"#cccccc\">\n");
    for value in value_ticks(scale) {
        let y = scale.y(value);
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" stroke=\"none\" fill=\"#333333\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            format_value(value)
        );
    }
    let span = (scale.day_span as i64).max(1);
    let first_day = chart.days[0];
    for tick in 0..=DATE_TICKS {
        let day = first_day + chrono::Duration::days(span * tick / DATE_TICKS);
        let x = scale.x(day);
        // The last label ends at its gridline, because the right margin is too narrow to centre a date on it.
        let anchor = if tick == DATE_TICKS { "end" } else { "middle" };
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{TOP:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" stroke=\"none\" fill=\"#333333\">{}</text>",
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 16.0,
            day.format("%Y-%m-%d")
        );
    }
    svg.push_str("</g>\n");
}

/// Writes integers without decimals and grouped thousands with a thin space.
fn format_value(value: f64) -> String {
    if value.fract() == 0.0 {
        crate::legacy::group_thousands(value as i64, "\u{2009}")
    } else {
        format!("{value:.1}")
    }
}

/// Maximum span between two days with values that a line or an area bridges.
/// Longer spans, such as the years between the imported history and the own
/// snapshots, stay empty instead of showing a made-up straight line.
const MAX_BRIDGED_DAYS: i64 = 62;

fn joined(earlier: NaiveDate, later: NaiveDate) -> bool {
    (later - earlier).num_days() <= MAX_BRIDGED_DAYS
}

fn areas(svg: &mut String, chart: &Chart, stacked: &[Option<Vec<f64>>], scale: &Scale) {
    svg.push_str("<g class=\"series\" stroke=\"none\">\n");
    let known: Vec<(NaiveDate, &Vec<f64>)> = chart
        .days
        .iter()
        .zip(stacked)
        .filter_map(|(day, tops)| tops.as_ref().map(|tops| (*day, tops)))
        .collect();
    if known.is_empty() {
        svg.push_str("</g>\n");
        return;
    }
    let segments: Vec<&[(NaiveDate, &Vec<f64>)]> =
        known.chunk_by(|earlier, later| joined(earlier.0, later.0)).collect();
    for (index, series) in chart.series.iter().enumerate() {
        let mut path = String::new();
        for segment in &segments {
            for (point, (day, tops)) in segment.iter().enumerate() {
                let command = if point == 0 { 'M' } else { 'L' };
                let _ = write!(path, "{command}{:.1},{:.1} ", scale.x(*day), scale.y(tops[index]));
            }
            for (day, tops) in segment.iter().rev() {
                let bottom = if index == 0 { 0.0 } else { tops[index - 1] };
                let _ = write!(path, "L{:.1},{:.1} ", scale.x(*day), scale.y(bottom));
            }
            path.push_str("Z ");
        }
        let path = path.trim_end();
        let _ = writeln!(
            svg,
            "<path d=\"{path}\" fill=\"{}\"><title>{}</title></path>",
            series.color,
            escape(&series.label)
        );
    }
    svg.push_str("</g>\n");
}

fn lines(svg: &mut String, chart: &Chart, scale: &Scale) {
    svg.push_str("<g class=\"series\" fill=\"none\" stroke-width=\"1.5\">\n");
    for series in &chart.series {
        let mut path = String::new();
        let mut drawing = false;
        let mut last_day: Option<NaiveDate> = None;
        for (day, value) in chart.days.iter().zip(&series.values) {
            let drawable = match (chart.style, value) {
                (Style::LogLines, Some(value)) if *value <= 0.0 => None,
                (_, value) => *value,
            };
            match drawable {
                Some(value) => {
                    let continues = drawing && last_day.is_some_and(|last| joined(last, *day));
                    let command = if continues { 'L' } else { 'M' };
                    let _ = write!(path, "{command}{:.1},{:.1} ", scale.x(*day), scale.y(value));
                    drawing = true;
                    last_day = Some(*day);
                }
                None => drawing = false,
            }
        }
        let _ = writeln!(
            svg,
            "<path d=\"{}\" stroke=\"{}\"><title>{}</title></path>",
            path.trim_end(),
            series.color,
            escape(&series.label)
        );
    }
    svg.push_str("</g>\n");
}

fn legend(svg: &mut String, chart: &Chart) {
    svg.push_str("<g class=\"legend\">\n");
    let y = HEIGHT - BOTTOM + 44.0;
    // Top of the stack first, so that the legend reads in the order of the areas.
    let ordered: Vec<&Series> = match chart.style {
        Style::StackedAreas => chart.series.iter().rev().collect(),
        Style::Lines | Style::LogLines => chart.series.iter().collect(),
    };
    // Up to ten entries a row; a chart of many wikis gets a second row.
    let columns = ordered.len().clamp(1, LEGEND_COLUMNS);
    let slot = (WIDTH - LEFT - RIGHT) / columns as f64;
    for (index, series) in ordered.iter().enumerate() {
        let x = LEFT + slot * (index % columns) as f64;
        let y = y + LEGEND_ROW_HEIGHT * (index / columns) as f64;
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#666666\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\">{}</text>",
            y - 10.0,
            series.color,
            x + 16.0,
            escape(&series.label)
        );
    }
    svg.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceiling_rounds_up_to_round_steps() {
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(1_724_570.0), 2_500_000.0);
        assert_eq!(nice_ceiling(480.0), 500.0);
    }

    #[test]
    fn log_lines_skip_zero_values() {
        let day = |number| NaiveDate::from_ymd_opt(2026, 1, number).unwrap();
        let chart = Chart {
            title: "log".to_owned(),
            days: vec![day(1), day(2), day(3)],
            series: vec![Series {
                label: "fr".to_owned(),
                color: "#0000e0",
                values: vec![Some(0.0), Some(150.0), Some(12_000.0)],
            }],
            style: Style::LogLines,
        };
        let svg = render_sized(&chart, 400.0);
        assert!(
            svg.contains("width=\"400\" height=\"240\" viewBox=\"0 0 800 480\""),
            "{svg}"
        );
        for label in [">100<", ">1\u{2009}000<", ">10\u{2009}000<", ">100\u{2009}000<"] {
            assert!(svg.contains(label), "{label} missing: {svg}");
        }
        // The 0 of the first day cannot be drawn on a logarithmic axis: the line starts on day 2.
        let path = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert!(path.starts_with('M'), "{path}");
        assert_eq!(path.matches('M').count(), 1, "{path}");
        assert_eq!(path.matches('L').count(), 1, "{path}");
    }

    #[test]
    fn long_gaps_are_not_bridged() {
        let day = |year, number| NaiveDate::from_ymd_opt(year, 1, number).unwrap();
        let days = vec![day(2016, 1), day(2016, 2), day(2026, 1), day(2026, 2)];
        let values = vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)];
        for style in [Style::StackedAreas, Style::Lines] {
            let chart = Chart {
                title: "gap".to_owned(),
                days: days.clone(),
                series: vec![Series {
                    label: "pages".to_owned(),
                    color: "#0000e0",
                    values: values.clone(),
                }],
                style,
            };
            let svg = render(&chart);
            let path = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
            assert_eq!(path.matches('M').count(), 2, "{style:?}: {path}");
        }
    }
}
