//! Login credentials of the bot account, from the environment.
//!
//! A BotPassword (`PHETOOLS_BOT_USER` with `PHETOOLS_BOT_PASSWORD` or
//! `PHETOOLS_BOT_PASSWORD_FILE`) or an OAuth 2 access token of an owner-only
//! consumer (`PHETOOLS_OAUTH_TOKEN` or `PHETOOLS_OAUTH_TOKEN_FILE`). A `_FILE`
//! variable names a file that only its owner may read.

use std::path::Path;

use crate::messages;
use crate::secret::{read_secret_file, Secret, SecretFileError};

/// How the bot logs in. `Debug` redacts the password and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A bot password made on Special:BotPasswords. `user` is `Account@appid`.
    BotPassword { user: String, password: Secret },
    /// An OAuth 2 access token, sent as `Authorization: Bearer`.
    OAuth2 { token: Secret },
}

/// Credentials that the environment sets incompletely or inconsistently.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{}", messages::credentials_conflict(.first, .second))]
    Conflict { first: &'static str, second: &'static str },
    #[error("{}", messages::credentials_incomplete(.present, .missing))]
    Incomplete {
        present: &'static str,
        missing: &'static str,
    },
    #[error("{}", messages::bot_user_without_app(.user))]
    BotUserWithoutApp { user: String },
    #[error(transparent)]
    SecretFile(#[from] SecretFileError),
}

impl Credentials {
    /// Reads the credentials through `var`, which returns the value of an
    /// environment variable, or `None` when it is unset or empty.
    /// Returns `Ok(None)` when no credential variable is set.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>, CredentialsError> {
        let password = secret_from(&var, "PHETOOLS_BOT_PASSWORD", "PHETOOLS_BOT_PASSWORD_FILE")?;
        let token = secret_from(&var, "PHETOOLS_OAUTH_TOKEN", "PHETOOLS_OAUTH_TOKEN_FILE")?;
        let user = var("PHETOOLS_BOT_USER");
        match (user, password, token) {
            (None, None, None) => Ok(None),
            (_, Some(_), Some(_)) => Err(CredentialsError::Conflict {
                first: "PHETOOLS_BOT_PASSWORD",
                second: "PHETOOLS_OAUTH_TOKEN",
            }),
            (Some(user), Some(password), None) => {
                if !user.contains('@') {
                    return Err(CredentialsError::BotUserWithoutApp { user });
                }
                Ok(Some(Credentials::BotPassword { user, password }))
            }
            (Some(_), None, None) => Err(CredentialsError::Incomplete {
                present: "PHETOOLS_BOT_USER",
                missing: "PHETOOLS_BOT_PASSWORD",
            }),
            (None, Some(_), None) => Err(CredentialsError::Incomplete {
                present: "PHETOOLS_BOT_PASSWORD",
                missing: "PHETOOLS_BOT_USER",
            }),
            (Some(_), None, Some(_)) => Err(CredentialsError::Conflict {
                first: "PHETOOLS_BOT_USER",
                second: "PHETOOLS_OAUTH_TOKEN",
            }),
            (None, None, Some(token)) => Ok(Some(Credentials::OAuth2 { token })),
        }
    }

    /// Reads the credentials from the process environment.
    pub fn from_process_env() -> Result<Option<Credentials>, CredentialsError> {
        Credentials::from_env(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
    }

    /// Account name of a bot password (`PheBot` for `PheBot@phebot`). OAuth
    /// tokens do not carry it: the session learns it from `meta=userinfo`.
    pub fn account_name(&self) -> Option<&str> {
        match self {
            Credentials::BotPassword { user, .. } => user.split('@').next(),
            Credentials::OAuth2 { .. } => None,
        }
    }
}

/// Reads a secret from the variable `direct` or from the file named by `file`;
/// setting both is an error.
fn secret_from(
    var: &impl Fn(&str) -> Option<String>,
    direct: &'static str,
    file: &'static str,
) -> Result<Option<Secret>, CredentialsError> {
    match (var(direct), var(file)) {
        (Some(_), Some(_)) => Err(CredentialsError::Conflict {
            first: direct,
            second: file,
        }),
        (Some(value), None) => Ok(Some(Secret::new(value))),
        (None, Some(path)) => Ok(Some(read_secret_file(Path::new(&path))?)),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::fs::PermissionsExt;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<Credentials>, CredentialsError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Credentials::from_env(|name| map.get(name).cloned())
    }

    #[test]
    fn no_variables_means_no_credentials() {
        assert!(read(&[]).unwrap().is_none());
    }

    #[test]
    fn bot_password_from_variable() {
        let credentials = read(&[
            ("PHETOOLS_BOT_USER", "PheBot@phebot"),
            ("PHETOOLS_BOT_PASSWORD", "0123456789abcdefghijklmnopqrstuv"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(credentials.account_name(), Some("PheBot"));
        assert!(!format!("{credentials:?}").contains("0123456789"));
    }

    #[test]
    fn bot_password_from_owner_only_file() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "0123456789abcdefghijklmnopqrstuv\n").unwrap();
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = file.path().to_str().unwrap();
        let credentials = read(&[
            ("PHETOOLS_BOT_USER", "PheBot@phebot"),
            ("PHETOOLS_BOT_PASSWORD_FILE", path),
        ])
        .unwrap()
        .unwrap();
        let Credentials::BotPassword { password, .. } = credentials else {
            panic!("expected a bot password");
        };
        assert_eq!(password.expose(), "0123456789abcdefghijklmnopqrstuv");
    }

    #[test]
    fn oauth_token_alone_accepted() {
        let credentials = read(&[("PHETOOLS_OAUTH_TOKEN", "secret-token")]).unwrap().unwrap();
        assert!(matches!(credentials, Credentials::OAuth2 { .. }));
        assert!(!format!("{credentials:?}").contains("secret-token"));
    }

    #[test]
    fn inconsistent_variables_rejected() {
        let cases: &[&[(&str, &str)]] = &[
            &[("PHETOOLS_BOT_USER", "PheBot@phebot")],
            &[("PHETOOLS_BOT_PASSWORD", "x")],
            &[("PHETOOLS_BOT_USER", "PheBot"), ("PHETOOLS_BOT_PASSWORD", "x")],
            &[("PHETOOLS_BOT_PASSWORD", "x"), ("PHETOOLS_BOT_PASSWORD_FILE", "/x")],
            &[
                ("PHETOOLS_BOT_USER", "PheBot@phebot"),
                ("PHETOOLS_BOT_PASSWORD", "x"),
                ("PHETOOLS_OAUTH_TOKEN", "y"),
            ],
        ];
        for pairs in cases {
            let error = read(pairs).expect_err(&format!("{pairs:?}"));
            assert!(!error.to_string().contains("x\""), "{error}");
        }
    }
}
