//! Secrets read from the environment or from files that only their owner can read.

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{bail, Context};

/// A value that must never reach a log: `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("<redacted>")
    }
}

/// Reads a secret from `path`, rejecting a file that its group or others may read.
/// Surrounding whitespace (the final newline) is removed.
pub fn read_secret_file(path: &Path) -> anyhow::Result<Secret> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read the secret file {}", path.display()))?;
    let mode = metadata.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "the secret file {} has mode {:o}, which lets other users read it; run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    let contents =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the secret file {}", path.display()))?;
    let value = contents.trim();
    if value.is_empty() {
        bail!("the secret file {} is empty", path.display());
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn secret_debug_is_redacted() {
        let secret = Secret::new("postgres://user:hunter2@host/db");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret}").contains("hunter2"));
    }

    #[test]
    fn secret_file_readable_by_others_rejected() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "postgres://x").unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = read_secret_file(file.path()).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");

        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(file.path()).unwrap().expose(), "postgres://x");
    }
}
