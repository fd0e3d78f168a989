//! Folds a batch of events over the stored page states, in memory.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::decide::{contribution, decide, Decision, LevelDrift, PageState, Transition};
use super::event::PageEvent;
use crate::model::Counts;

/// A page's key: wiki database name and page id.
pub type PageKey = (String, i64);

/// A drift found while folding, with the page and revision it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftRecord {
    pub wiki: String,
    pub page_id: i64,
    pub rev_id: i64,
    pub drift: LevelDrift,
}

/// Everything a batch changes, ready to be written.
#[derive(Debug, Default)]
pub struct BatchChanges {
    /// New state of every page an applied event touched.
    pub pages: BTreeMap<PageKey, PageState>,
    /// Count differences per wiki, for every wiki named in the batch.
    pub counts: BTreeMap<String, Counts>,
    /// Pages per (wiki, day, from level, to level); `from` -1 means no level.
    pub transitions: BTreeMap<(String, NaiveDate, i16, i16), i64>,
    pub drifts: Vec<DriftRecord>,
    pub applied: usize,
    pub ignored: usize,
}

/// Applies `events` in order to `states` (the stored rows of the pages they
/// name; a missing key means no row) and collects what changed.
pub fn fold(states: &mut HashMap<PageKey, PageState>, events: &[PageEvent]) -> BatchChanges {
    let mut changes = BatchChanges::default();
    for event in events {
        changes.counts.entry(event.wiki.clone()).or_default();
        let key = (event.wiki.clone(), event.page_id);
        let current = states.get(&key);
        let Decision::Apply {
            next,
            transition,
            drift,
        } = decide(current, event)
        else {
            changes.ignored += 1;
            continue;
        };

        let delta = contribution(Some(&next)) - contribution(current);
        *changes.counts.entry(event.wiki.clone()).or_default() += delta;
        if let Some(Transition { from, to }) = transition {
            let from = from.map_or(-1, |level| i16::from(level.get()));
            let day = event.at.date_naive();
            *changes
                .transitions
                .entry((event.wiki.clone(), day, from, i16::from(to.get())))
                .or_default() += 1;
        }
        if let Some(drift) = drift {
            changes.drifts.push(DriftRecord {
                wiki: event.wiki.clone(),
                page_id: event.page_id,
                rev_id: event.rev_id,
                drift,
            });
        }
        changes.pages.insert(key.clone(), next.clone());
        states.insert(key, next);
        changes.applied += 1;
    }
    changes
}
