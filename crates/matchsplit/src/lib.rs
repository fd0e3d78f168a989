//! Match & Split, extract text layer and verify match.
//!
//! * [`verify`]: normalisation, word diff and report of verify match, with rules per wiki.

pub mod messages;
pub mod verify;
