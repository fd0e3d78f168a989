//! Secrets read from the environment or from files that only their owner can read.

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::messages;

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

/// A secret file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("{}", messages::secret_file_unreadable(.path, .source))]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("{}", messages::secret_file_shared(.path, *.mode))]
    ReadableByOthers { path: PathBuf, mode: u32 },
    #[error("{}", messages::secret_file_empty(.path))]
    Empty { path: PathBuf },
}

/// Reads a secret from `path`, rejecting a file that its group or others may read.
/// Surrounding whitespace (the final newline) is removed.
pub fn read_secret_file(path: &Path) -> Result<Secret, SecretFileError> {
    let unreadable = |source| SecretFileError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let mode = std::fs::metadata(path).map_err(unreadable)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(SecretFileError::ReadableByOthers {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    let contents = std::fs::read_to_string(path).map_err(unreadable)?;
    let value = contents.trim();
    if value.is_empty() {
        return Err(SecretFileError::Empty { path: path.to_owned() });
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn secret_debug_is_redacted() {
        let secret = Secret::new("0123456789abcdefghijklmnopqrstuv");
        assert!(!format!("{secret:?}").contains("0123"));
        assert!(!format!("{secret}").contains("0123"));
    }

    #[test]
    fn secret_file_readable_by_others_rejected() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "token").unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o640)).unwrap();
        let error = read_secret_file(file.path()).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");

        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(file.path()).unwrap().expose(), "token");
    }

    #[test]
    fn empty_secret_file_rejected() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        let error = read_secret_file(file.path()).unwrap_err();
        assert!(matches!(error, SecretFileError::Empty { .. }), "{error}");
    }
}
