//! Chart points from the stored rows, for the pages and the legacy graph URLs.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::load::{DailyRow, FamilyDay, TransitionRow};
use crate::svg::{LevelPoint, TextsPoint, TransitionPoint};

/// Most points a chart draws; longer series keep evenly spaced days. The plot
/// area is 700 units wide, so more points would not show.
pub(crate) const MAX_POINTS: usize = 1_000;

/// Keeps at most [`MAX_POINTS`] evenly spaced items, always the first and the last.
pub(crate) fn thin<T: Clone>(items: Vec<T>) -> Vec<T> {
    if items.len() <= MAX_POINTS {
        return items;
    }
    let last = items.len() - 1;
    (0..MAX_POINTS)
        .map(|index| items[index * last / (MAX_POINTS - 1)].clone())
        .collect()
}

/// Levels of a wiki per day; rows marked as wrong data become unknown days.
pub fn level_points(rows: &[DailyRow]) -> Vec<LevelPoint> {
    let points = rows
        .iter()
        .map(|row| {
            let known = |value: Option<i64>| value.filter(|_| !row.bad_data);
            LevelPoint {
                day: row.day,
                q0: known(row.q0),
                q1: known(row.legacy_q1()),
                q2: known(row.q2),
                q3: known(row.q3),
                q4: known(row.q4),
            }
        })
        .collect();
    thin(points)
}

/// Texts of a wiki per day; rows marked as wrong data become unknown days.
/// A missing disambiguation figure (history before 2010-09-29) counts as 0.
pub fn texts_points(rows: &[DailyRow]) -> Vec<TextsPoint> {
    let points = rows
        .iter()
        .map(|row| {
            let known = |value: Option<i64>| value.filter(|_| !row.bad_data);
            TextsPoint {
                day: row.day,
                with_scans: known(row.with_scans),
                naked: known(row.naked()),
                disambiguation: known(Some(row.disambiguation.unwrap_or(0))),
            }
        })
        .collect();
    thin(points)
}

/// Family levels per day; days with a wiki's row marked as wrong data are unknown.
pub fn family_level_points(days: &[FamilyDay]) -> Vec<LevelPoint> {
    let points = days
        .iter()
        .map(|day| {
            let known = |value: i64| Some(value).filter(|_| !day.bad_data);
            LevelPoint {
                day: day.day,
                q0: known(day.q0),
                q1: known(day.pages - day.q0 - day.q2 - day.q3 - day.q4),
                q2: known(day.q2),
                q3: known(day.q3),
                q4: known(day.q4),
            }
        })
        .collect();
    thin(points)
}

/// Family texts per day; days with a wiki's row marked as wrong data are unknown.
pub fn family_texts_points(days: &[FamilyDay]) -> Vec<TextsPoint> {
    let points = days
        .iter()
        .map(|day| {
            let known = |value: i64| Some(value).filter(|_| !day.bad_data);
            TextsPoint {
                day: day.day,
                with_scans: known(day.with_scans),
                naked: known(day.texts - day.with_scans - day.disambiguation),
                disambiguation: known(day.disambiguation),
            }
        })
        .collect();
    thin(points)
}

/// Pages proofread and validated per day, every day from the first to the last
/// transition, with 0 on days without one. A page proofread is one that reached
/// level 3 or 4 from below 3 (or as a new page); a page validated reached level 4.
pub fn transition_points(rows: &[TransitionRow]) -> Vec<TransitionPoint> {
    let mut per_day: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let counts = per_day.entry(row.day).or_default();
        if row.to_level >= 3 && row.from_level < 3 {
            counts.0 += row.pages;
        }
        if row.to_level == 4 {
            counts.1 += row.pages;
        }
    }
    let (Some(first), Some(last)) = (per_day.keys().next().copied(), per_day.keys().last().copied()) else {
        return Vec::new();
    };
    let points = first
        .iter_days()
        .take_while(|day| *day <= last)
        .map(|day| {
            let (proofread, validated) = per_day.get(&day).copied().unwrap_or_default();
            TransitionPoint {
                day,
                proofread,
                validated,
            }
        })
        .collect();
    thin(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(number: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, number).unwrap()
    }

    #[test]
    fn transitions_fill_days_and_classify() {
        let row = |day_number, from_level, to_level, pages| TransitionRow {
            day: day(day_number),
            from_level,
            to_level,
            pages,
        };
        let points = transition_points(&[
            row(1, 1, 3, 5),
            row(1, -1, 4, 2),
            row(1, 3, 4, 7),
            row(3, 4, 3, 1),
            row(3, 2, 1, 9),
        ]);
        assert_eq!(points.len(), 3);
        assert_eq!((points[0].proofread, points[0].validated), (7, 9));
        assert_eq!((points[1].proofread, points[1].validated), (0, 0));
        assert_eq!((points[2].proofread, points[2].validated), (0, 0));
    }

    #[test]
    fn thin_keeps_first_and_last() {
        let items: Vec<usize> = (0..5_000).collect();
        let thinned = thin(items);
        assert_eq!(thinned.len(), MAX_POINTS);
        assert_eq!(thinned[0], 0);
        assert_eq!(thinned[MAX_POINTS - 1], 4_999);
    }
}
