//! The logged-in session of the bot on one wiki: login, identity, CSRF token
//! and writes that recover from a stale token or a lost session.
//!
//! `mwapi` performs the login (login token, `action=login` with the bot
//! password) and keeps the session cookies in its HTTP client; the requests
//! themselves go through [`Transport`], which reports `Retry-After` for HTTP 503
//! too and decodes errors into [`WikiError`].

use std::time::Duration;

use serde_json::Value;
use tokio::sync::Mutex;
use tracing::{info, warn};

use crate::api::{Method, Transport};
use crate::client::{error_chain, WikiError};
use crate::config::WikiConfig;
use crate::credentials::Credentials;
use crate::messages;
use crate::retry::{with_retries, RetryPolicy};

/// The `assert` parameter of writes, chosen from the rights of the account.
///
/// `assert=bot` when the account has the `bot` right, so that losing the bot
/// flag (or a bot password without the `highvolume` grant) stops the edits
/// instead of flooding recent changes; `assert=user` otherwise, so that a
/// tool account without the flag still edits, but never logged out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertMode {
    Bot,
    User,
}

impl AssertMode {
    fn param(self) -> &'static str {
        match self {
            AssertMode::Bot => "bot",
            AssertMode::User => "user",
        }
    }
}

/// The account a session is logged in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// User name as the wiki spells it, e.g. `PheBot`.
    pub user: String,
    pub assert: AssertMode,
}

#[derive(Debug)]
struct Session {
    transport: Transport,
    identity: Identity,
    csrf_token: Option<String>,
}

/// Logs in on first use and keeps the session of one wiki.
#[derive(Debug)]
pub(crate) struct SessionManager {
    domain: String,
    api_url: String,
    config: WikiConfig,
    credentials: Option<Credentials>,
    session: Mutex<Option<Session>>,
}

impl SessionManager {
    pub fn new(domain: &str, api_url: &str, config: &WikiConfig, credentials: Option<Credentials>) -> Self {
        SessionManager {
            domain: domain.to_owned(),
            api_url: api_url.to_owned(),
            config: config.clone(),
            credentials,
            session: Mutex::new(None),
        }
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_retries: self.config.max_retries,
            max_wait: Duration::from_secs(self.config.max_retry_wait_secs),
            max_total_wait: Duration::from_secs(self.config.max_retry_total_secs),
        }
    }

    /// Returns the account of the session, logging in first if needed.
    pub async fn identity(&self) -> Result<Identity, WikiError> {
        let mut session = self.session.lock().await;
        Ok(self.ensure_session(&mut session).await?.identity.clone())
    }

    /// Sends a read (GET) with the session's cookies, retrying lag, read-only
    /// mode, rate limits and network failures. Reads need no login: without
    /// credentials they are anonymous.
    pub async fn read(&self, params: &[(&str, &str)]) -> Result<Value, WikiError> {
        let transport = self.read_transport().await?;
        read_with(&transport, self.retry_policy(), params).await
    }

    /// Sends a write (POST) with a CSRF token and `assert`. A `badtoken`
    /// answer makes the session fetch a new token and send the write once
    /// more; a failed `assert` (the session expired) makes it log in again
    /// and send once more.
    pub async fn write(&self, params: &[(&str, &str)]) -> Result<Value, WikiError> {
        let mut token_refreshed = false;
        let mut logged_in_again = false;
        loop {
            let (transport, token, assert) = self.write_context().await?;
            let mut request: Vec<(&str, &str)> = params.to_vec();
            request.push(("assert", assert.param()));
            request.push(("token", &token));
            let result = with_retries(
                self.retry_policy(),
                &self.domain,
                || transport.send(Method::Post, &request),
                WikiError::is_retryable_write,
            )
            .await;
            match result {
                Err(WikiError::BadToken { .. }) if !token_refreshed => {
                    warn!(domain = %self.domain, "CSRF token rejected; fetching a new one");
                    token_refreshed = true;
                    self.forget_token().await;
                }
                Err(WikiError::AssertFailed { ref code, .. }) if !logged_in_again => {
                    warn!(domain = %self.domain, code, "session lost; logging in again");
                    logged_in_again = true;
                    *self.session.lock().await = None;
                }
                result => return result,
            }
        }
    }

    /// Replaces the cached CSRF token, as an expired session would make it stale.
    #[cfg(feature = "test-hooks")]
    pub async fn set_csrf_token(&self, token: &str) -> Result<(), WikiError> {
        let mut session = self.session.lock().await;
        self.ensure_session(&mut session).await?.csrf_token = Some(token.to_owned());
        Ok(())
    }

    async fn read_transport(&self) -> Result<Transport, WikiError> {
        if self.credentials.is_none() {
            return self.anonymous_transport();
        }
        let mut session = self.session.lock().await;
        Ok(self.ensure_session(&mut session).await?.transport.clone())
    }

    async fn write_context(&self) -> Result<(Transport, String, AssertMode), WikiError> {
        let mut guard = self.session.lock().await;
        let session = self.ensure_session(&mut guard).await?;
        let token = match &session.csrf_token {
            Some(token) => token.clone(),
            None => {
                let token = fetch_csrf_token(&session.transport, self.retry_policy()).await?;
                session.csrf_token = Some(token.clone());
                token
            }
        };
        Ok((session.transport.clone(), token, session.identity.assert))
    }

    async fn forget_token(&self) {
        if let Some(session) = self.session.lock().await.as_mut() {
            session.csrf_token = None;
        }
    }

    async fn ensure_session<'a>(&self, slot: &'a mut Option<Session>) -> Result<&'a mut Session, WikiError> {
        if slot.is_none() {
            *slot = Some(self.log_in().await?);
        }
        Ok(slot.as_mut().expect("the session was just set"))
    }

    async fn log_in(&self) -> Result<Session, WikiError> {
        let Some(credentials) = &self.credentials else {
            return Err(WikiError::Credentials {
                reason: messages::no_credentials(),
            });
        };
        let http = self.logged_in_http_client(credentials).await?;
        let transport = Transport {
            domain: self.domain.clone(),
            api_url: self.api_url.clone(),
            http,
            bearer: match credentials {
                Credentials::OAuth2 { token } => Some(token.clone()),
                Credentials::BotPassword { .. } => None,
            },
            maxlag_secs: self.config.maxlag_secs,
        };
        let identity = fetch_identity(&transport, self.retry_policy()).await?;
        if identity.assert == AssertMode::User {
            warn!(domain = %self.domain, user = %identity.user, "the account lacks the bot right; edits use assert=user and are not marked as bot edits");
        }
        info!(domain = %self.domain, user = %identity.user, assert = identity.assert.param(), "logged in");
        Ok(Session {
            transport,
            identity,
            csrf_token: None,
        })
    }

    /// Builds the HTTP client of the session. With a bot password, `mwapi`
    /// logs in and the client keeps the session cookies.
    async fn logged_in_http_client(&self, credentials: &Credentials) -> Result<reqwest::Client, WikiError> {
        let timeout = Duration::from_secs(self.config.request_timeout_secs);
        let builder = mwapi::Client::builder(&self.api_url)
            .set_user_agent(&self.config.user_agent)
            .set_retry_limit(0)
            .set_http_client(move || reqwest::Client::builder().timeout(timeout));
        let (builder, user) = match credentials {
            Credentials::BotPassword { user, password } => {
                (builder.set_botpassword(user, password.expose()), user.clone())
            }
            Credentials::OAuth2 { token } => (builder.set_oauth2_token(token.expose()), "(OAuth 2)".to_owned()),
        };
        let client = builder.build().await.map_err(|error| self.login_error(&user, error))?;
        Ok(client.http_client().clone())
    }

    fn login_error(&self, user: &str, error: mwapi::Error) -> WikiError {
        let (code, text) = match error {
            mwapi::Error::ApiError(api) => (api.code, api.text),
            mwapi::Error::HttpError(error) => {
                return WikiError::Network {
                    domain: self.domain.clone(),
                    message: error_chain(&error),
                }
            }
            other => ("login".to_owned(), other.to_string()),
        };
        WikiError::Login {
            domain: self.domain.clone(),
            user: user.to_owned(),
            code,
            text,
        }
    }

    fn anonymous_transport(&self) -> Result<Transport, WikiError> {
        let timeout = Duration::from_secs(self.config.request_timeout_secs);
        let http = reqwest::Client::builder()
            .user_agent(&self.config.user_agent)
            .timeout(timeout)
            .build()
            .map_err(|error| WikiError::Network {
                domain: self.domain.clone(),
                message: error_chain(&error),
            })?;
        Ok(Transport {
            domain: self.domain.clone(),
            api_url: self.api_url.clone(),
            http,
            bearer: None,
            maxlag_secs: self.config.maxlag_secs,
        })
    }
}

/// Sends a read through `transport`, retrying as [`SessionManager::read`] does.
async fn read_with(transport: &Transport, policy: RetryPolicy, params: &[(&str, &str)]) -> Result<Value, WikiError> {
    with_retries(
        policy,
        &transport.domain,
        || transport.send(Method::Get, params),
        WikiError::is_retryable,
    )
    .await
}

async fn fetch_identity(transport: &Transport, policy: RetryPolicy) -> Result<Identity, WikiError> {
    let params = [("action", "query"), ("meta", "userinfo"), ("uiprop", "rights")];
    let response = read_with(transport, policy, &params).await?;
    parse_identity(&transport.domain, &response["query"]["userinfo"])
}

fn parse_identity(domain: &str, userinfo: &Value) -> Result<Identity, WikiError> {
    if userinfo.get("anon").is_some_and(|anon| anon.as_bool() != Some(false)) {
        return Err(WikiError::Login {
            domain: domain.to_owned(),
            user: String::new(),
            code: "anon".to_owned(),
            text: messages::session_anonymous(),
        });
    }
    let user = userinfo["name"]
        .as_str()
        .ok_or_else(|| WikiError::UnexpectedResponse {
            domain: domain.to_owned(),
            detail: "meta=userinfo has no name".to_owned(),
        })?
        .to_owned();
    let has_bot_right = userinfo["rights"]
        .as_array()
        .is_some_and(|rights| rights.iter().any(|right| right == "bot"));
    let assert = if has_bot_right {
        AssertMode::Bot
    } else {
        AssertMode::User
    };
    Ok(Identity { user, assert })
}

async fn fetch_csrf_token(transport: &Transport, policy: RetryPolicy) -> Result<String, WikiError> {
    let params = [("action", "query"), ("meta", "tokens"), ("type", "csrf")];
    let response = read_with(transport, policy, &params).await?;
    match response["query"]["tokens"]["csrftoken"].as_str() {
        // `+\` is the token of every logged-out session: the login did not hold.
        Some(r"+\") | None => Err(WikiError::Login {
            domain: transport.domain.clone(),
            user: String::new(),
            code: "anon".to_owned(),
            text: messages::session_anonymous(),
        }),
        Some(token) => Ok(token.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_of_bot_asserts_bot() {
        let userinfo = json!({"id": 2, "name": "PheBot", "rights": ["edit", "bot", "read"]});
        let identity = parse_identity("en.wikisource.org", &userinfo).unwrap();
        assert_eq!(identity.user, "PheBot");
        assert_eq!(identity.assert, AssertMode::Bot);
    }

    #[test]
    fn identity_without_bot_right_asserts_user() {
        let userinfo = json!({"id": 3, "name": "OtherUser", "rights": ["edit", "read"]});
        let identity = parse_identity("en.wikisource.org", &userinfo).unwrap();
        assert_eq!(identity.assert, AssertMode::User);
    }

    #[test]
    fn anonymous_identity_rejected() {
        let userinfo = json!({"id": 0, "name": "127.0.0.1", "anon": true});
        let error = parse_identity("en.wikisource.org", &userinfo).unwrap_err();
        assert!(matches!(error, WikiError::Login { .. }), "{error:?}");
    }
}
