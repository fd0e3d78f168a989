//! Match & Split, extract text layer and verify match.
//!
//! * [`split`]: the split markers of a main page and the split planner.
//! * [`verify`]: normalisation, word diff and report of verify match, with rules per wiki.
//! * [`outcome`]: the per-page outcomes stored in a job's result.

pub mod messages;
pub mod outcome;
pub mod split;
pub mod verify;
