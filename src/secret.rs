//! Secrets read from the environment or from files that only their owner can
//! read. The type and the file check live in `phetools-wiki`, which reads the
//! bot credentials the same way.

use std::path::Path;

pub use phetools_wiki::Secret;

/// Reads a secret from `path`, rejecting a file that its group or others may read.
pub fn read_secret_file(path: &Path) -> anyhow::Result<Secret> {
    Ok(phetools_wiki::read_secret_file(path)?)
}
