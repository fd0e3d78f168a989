//! The decision of what one event does to one page, without the database.
//!
//! Two guards make duplicate and out-of-order events harmless:
//!
//! * lifecycle changes (create, delete, undelete, move, main-namespace flags)
//!   apply only when the event's `(rev_id, time)` is greater than the pair
//!   stored with the last lifecycle change;
//! * level changes apply only when the event's revision is greater than the
//!   revision the stored level comes from.
//!
//! A level change also proves that the page exists at its revision, so it makes
//! the page present and raises the lifecycle guard to that revision (with the
//! earliest time, so that a deletion carrying the same revision still applies).
//! A level tag applies under the level guard and proves presence as well, so the tag and the property
//! event of one revision count once, whichever arrives first.
//!
//! A main-namespace property change applies when its revision is not older
//! than the lifecycle guard: it sets only the flags it names, so an edit and
//! a property change of the same revision both apply. A newer revision also
//! makes the page present, as a level change does.
//!
//! The last human edit time is the latest one any event reported.

use chrono::{DateTime, Utc};

use super::event::{Change, PageEvent};
use crate::model::{Counts, Level, Namespace};

/// The lowest event time of a guard, below every real event time; also
/// within the range of PostgreSQL's timestamptz.
const EARLIEST: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

/// The stored state of one page (a `stats_page` row).
#[derive(Debug, Clone, PartialEq)]
pub struct PageState {
    pub namespace: Namespace,
    pub present: bool,
    pub redirect: bool,
    pub level: Option<Level>,
    pub disambiguation: bool,
    pub with_scans: bool,
    pub expect_without_scans: bool,
    pub state_rev_id: i64,
    pub state_at: DateTime<Utc>,
    pub level_rev_id: i64,
    /// dbkey without the namespace prefix, as the last applied event named it.
    pub title: Option<String>,
    pub last_human_edit_at: Option<DateTime<Utc>>,
}

/// A level change to count for the day of the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// `None`: the page had no level or did not exist.
    pub from: Option<Level>,
    pub to: Level,
}

/// A level event whose old level is not the stored one: an event was missed or
/// arrived out of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelDrift {
    pub stored: Option<Level>,
    pub reported: Option<Level>,
}

/// The effect of one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Stale or duplicate: nothing changes.
    Ignore,
    Apply {
        next: PageState,
        transition: Option<Transition>,
        drift: Option<LevelDrift>,
    },
}

/// Returns the counts one page adds to its wiki's totals.
pub fn contribution(state: Option<&PageState>) -> Counts {
    let mut counts = Counts::default();
    let Some(state) = state else { return counts };
    if !state.present || state.redirect {
        return counts;
    }
    match state.namespace {
        Namespace::Page => {
            counts.pages = 1;
            match state.level {
                Some(level) => counts.levels[usize::from(level.get())] = 1,
                None => counts.no_level = 1,
            }
        }
        Namespace::Main => {
            counts.texts = 1;
            counts.with_scans = i64::from(state.with_scans);
            counts.disambiguation = i64::from(state.disambiguation);
            counts.expected_without_scans =
                i64::from(state.expect_without_scans && !state.with_scans && !state.disambiguation);
        }
        Namespace::Other => {}
    }
    counts
}

/// Decides what `event` does to a page whose stored state is `current`
/// (`None` when the page has no row yet).
pub fn decide(current: Option<&PageState>, event: &PageEvent) -> Decision {
    let mut next = current.cloned().unwrap_or_else(|| unseen_page(event));
    let lifecycle_applied = apply_lifecycle(&mut next, event);
    let (level_applied, drift) = apply_level(&mut next, current, event);
    let properties_applied = apply_properties(&mut next, current, event);
    let human_edit_applied = apply_human_edit(&mut next, event);
    if !lifecycle_applied && !level_applied && !properties_applied && !human_edit_applied {
        return Decision::Ignore;
    }
    if lifecycle_applied || level_applied || properties_applied {
        if let Some(title) = &event.title {
            next.title = Some(title.clone());
        }
    }

    let transition = transition(current, &next, event);
    Decision::Apply {
        next,
        transition,
        drift,
    }
}

/// Returns the state assumed for a page without a row: absent, no level, and guards
/// lower than any event.
fn unseen_page(event: &PageEvent) -> PageState {
    PageState {
        namespace: event.namespace,
        present: false,
        redirect: false,
        level: None,
        disambiguation: false,
        with_scans: false,
        expect_without_scans: false,
        state_rev_id: 0,
        state_at: EARLIEST,
        level_rev_id: 0,
        title: None,
        last_human_edit_at: None,
    }
}

/// Returns `true` for the changes guarded by the lifecycle pair.
fn is_lifecycle(change: &Change) -> bool {
    !matches!(
        change,
        Change::LevelChanged { .. } | Change::LevelTagged { .. } | Change::MainPropertiesChanged { .. }
    )
}

fn lifecycle_is_newer(state: &PageState, event: &PageEvent) -> bool {
    (event.rev_id, event.at) > (state.state_rev_id, state.state_at)
}

fn apply_lifecycle(state: &mut PageState, event: &PageEvent) -> bool {
    if !is_lifecycle(&event.change) || !lifecycle_is_newer(state, event) {
        return false;
    }
    match event.change {
        Change::Created { redirect, .. } | Change::Edited { redirect } | Change::Undeleted { redirect } => {
            state.present = true;
            state.redirect = redirect;
        }
        Change::Deleted => state.present = false,
        Change::Moved => state.present = true,
        Change::MainFlagsChanged {
            redirect,
            disambiguation,
            with_scans,
            expect_without_scans,
        } => {
            state.present = true;
            state.redirect = redirect;
            state.disambiguation = disambiguation;
            state.with_scans = with_scans;
            state.expect_without_scans = expect_without_scans;
        }
        Change::LevelChanged { .. } | Change::LevelTagged { .. } | Change::MainPropertiesChanged { .. } => {
            unreachable!("level and property changes are not lifecycle changes")
        }
    }
    if event.change != Change::Deleted {
        state.namespace = event.namespace;
    }
    state.state_rev_id = event.rev_id;
    state.state_at = event.at;
    true
}

/// Applies the level part of a creation or a level change. Returns whether it
/// applied and, for a level change, any disagreement with the stored level.
fn apply_level(state: &mut PageState, current: Option<&PageState>, event: &PageEvent) -> (bool, Option<LevelDrift>) {
    // `old` is `None` when the event does not report the old level.
    let (old, new) = match event.change {
        Change::LevelChanged { old, new } => (Some(old), new),
        Change::Created { level: Some(level), .. } => (None, Some(level)),
        Change::LevelTagged { new } => (None, Some(new)),
        _ => return (false, None),
    };
    if event.rev_id <= state.level_rev_id {
        return (false, None);
    }

    let drift = match (old, current) {
        (Some(reported), Some(stored)) if stored.level_rev_id > 0 && stored.level != reported => Some(LevelDrift {
            stored: stored.level,
            reported,
        }),
        _ => None,
    };
    state.level = new;
    state.level_rev_id = event.rev_id;

    // A creation made the page present already, under the lifecycle guard.
    let proves_presence = !matches!(event.change, Change::Created { .. });
    if proves_presence && event.rev_id > state.state_rev_id {
        state.present = true;
        state.namespace = event.namespace;
        state.state_rev_id = event.rev_id;
        state.state_at = EARLIEST;
    }
    (true, drift)
}

/// Applies a main-namespace property change. Returns whether a flag changed
/// or the event raised the lifecycle guard.
fn apply_properties(state: &mut PageState, current: Option<&PageState>, event: &PageEvent) -> bool {
    let Change::MainPropertiesChanged {
        disambiguation,
        expect_without_scans,
    } = event.change
    else {
        return false;
    };
    if event.rev_id < state.state_rev_id {
        return false;
    }
    if let Some(disambiguation) = disambiguation {
        state.disambiguation = disambiguation;
    }
    if let Some(expect_without_scans) = expect_without_scans {
        state.expect_without_scans = expect_without_scans;
    }
    if event.rev_id > state.state_rev_id {
        state.present = true;
        state.namespace = event.namespace;
        state.state_rev_id = event.rev_id;
        state.state_at = EARLIEST;
    }
    current != Some(state)
}

/// Keeps the later of the stored and the reported human edit time.
fn apply_human_edit(state: &mut PageState, event: &PageEvent) -> bool {
    match event.human_edit_at {
        Some(at) if state.last_human_edit_at.is_none_or(|stored| at > stored) => {
            state.last_human_edit_at = Some(at);
            true
        }
        _ => false,
    }
}

/// Returns the level a page counts at: `Some` only for a present, non-redirect Page: page with a level.
fn counted_level(state: &PageState) -> Option<Level> {
    let counted = state.present && !state.redirect && state.namespace == Namespace::Page;
    if counted {
        state.level
    } else {
        None
    }
}

/// Returns the transition an event makes: a creation with a level or a level change of a counted page.
/// When the page had no row, the event's own old level is the starting point.
///
/// NOTE: a level change that arrives after a newer one is ignored, so events
/// out of order count one transition (1→4) where the in-order events count two
/// (1→3, 3→4). Pages that became proofread or validated count the same, but
/// on the day of the later event.
fn transition(current: Option<&PageState>, next: &PageState, event: &PageEvent) -> Option<Transition> {
    let counts_transitions = matches!(
        event.change,
        Change::Created { .. } | Change::LevelChanged { .. } | Change::LevelTagged { .. }
    );
    let to = counted_level(next)?;
    if !counts_transitions {
        return None;
    }
    let from = match (current, &event.change) {
        (Some(current), _) => counted_level(current),
        (None, Change::LevelChanged { old, .. }) => *old,
        (None, _) => None,
    };
    (from != Some(to)).then_some(Transition { from, to })
}
