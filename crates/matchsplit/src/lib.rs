//! Match & Split, extract text layer and verify match: the planners and the jobs
//! that run them.
//!
//! * [`split`]: the split markers of a main page and the split planner.
//! * [`verify`]: normalisation, word diff and report of verify match, with rules per wiki.
//! * [`jobs`]: the `match`, `split`, `extract_text_layer` and `verify_match` jobs.
//! * [`request`]: the job kinds and their payload, for the web server.
//! * [`outcome`]: the per-page outcomes stored in a job's result.
//! * [`config`]: the `[match_split]` settings.
//!
//! Match itself (the alignment of a text with the text layer) is in `phetools-align`,
//! and the Page wikitext and `<pages>` formats are in `phetools-proofread`.

pub mod config;
pub mod jobs;
pub mod messages;
pub mod outcome;
pub mod request;
pub mod split;
pub mod verify;
