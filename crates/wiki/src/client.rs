//! Action API client: one `mwapi` client per wiki domain, with `maxlag` on
//! every request and retries that honour `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use serde_json::Value;
use tracing::{debug, warn};

use crate::config::WikiConfig;
use crate::imageinfo::{parse_imageinfo, FileInfo};
use crate::messages;
use crate::retry::retry_delay;
use crate::title::{file_dbkey, InvalidFileName};

/// Error of an Action API request or file lookup.
#[derive(Debug, thiserror::Error)]
pub enum WikiError {
    #[error("invalid wiki domain {domain:?}: {reason}")]
    InvalidDomain { domain: String, reason: String },
    #[error("invalid api_url_pattern {pattern:?}: {reason}")]
    InvalidApiUrlPattern { pattern: String, reason: String },
    #[error(transparent)]
    InvalidFileName(#[from] InvalidFileName),
    #[error("File:{file} not found on {domain}: the wiki has no such file, locally or on a shared repository")]
    NotFound { domain: String, file: String },
    #[error("File:{file} on {domain} is hidden (its current version was deleted or suppressed)")]
    FileHidden { domain: String, file: String },
    #[error("{domain} is lagged ({info}); retry after {retry_after_secs} s")]
    Lagged {
        domain: String,
        info: String,
        retry_after_secs: u64,
    },
    #[error("{domain} is read-only ({info}); retry after {retry_after_secs} s")]
    ReadOnly {
        domain: String,
        info: String,
        retry_after_secs: u64,
    },
    #[error("{domain} rejected the request with HTTP 429 Too Many Requests; retry after {retry_after_secs} s")]
    RateLimited { domain: String, retry_after_secs: u64 },
    #[error("{}", messages::service_unavailable(.domain, *.retry_after_secs))]
    ServiceUnavailable {
        domain: String,
        retry_after_secs: Option<u64>,
    },
    #[error("{}", messages::action_throttled(.domain, .text))]
    ActionThrottled { domain: String, text: String },
    #[error("{}", messages::bad_token(.domain))]
    BadToken { domain: String },
    #[error("{}", messages::assert_failed(.domain, .code, .text))]
    AssertFailed { domain: String, code: String, text: String },
    #[error("{}", messages::login_failed(.domain, .user, .code, .text))]
    Login {
        domain: String,
        user: String,
        code: String,
        text: String,
    },
    #[error("{}", messages::invalid_setting(.setting, .reason))]
    InvalidSetting { setting: &'static str, reason: String },
    #[error("{}", messages::credentials_unusable(.reason))]
    Credentials { reason: String },
    #[error("{}", messages::invalid_title(.domain, .title, .reason))]
    InvalidTitle {
        domain: String,
        title: String,
        reason: String,
    },
    #[error("the API of {domain} answered HTTP {status}")]
    HttpStatus { domain: String, status: u16 },
    #[error("request to the API of {domain} failed: {message}")]
    Network { domain: String, message: String },
    #[error("the API of {domain} returned error {code}: {text}")]
    Api { domain: String, code: String, text: String },
    #[error("unexpected response from the API of {domain}: {detail}")]
    UnexpectedResponse { domain: String, detail: String },
}

impl WikiError {
    /// Returns `true` when the wiki rejected a write without doing it, and the
    /// same write may succeed later: lag, read-only mode, rate limits, HTTP 503.
    /// A network failure or a timeout is not among them, since the edit may
    /// have been saved before the connection broke.
    pub fn is_retryable_write(&self) -> bool {
        matches!(
            self,
            WikiError::Lagged { .. }
                | WikiError::ReadOnly { .. }
                | WikiError::RateLimited { .. }
                | WikiError::ServiceUnavailable { .. }
                | WikiError::ActionThrottled { .. }
        )
    }

    /// Returns the API error code, or `None` for an error that did not come from the API.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            WikiError::Api { code, .. } | WikiError::AssertFailed { code, .. } | WikiError::Login { code, .. } => {
                Some(code)
            }
            WikiError::Lagged { .. } => Some("maxlag"),
            WikiError::ReadOnly { .. } => Some("readonly"),
            WikiError::ActionThrottled { .. } => Some("ratelimited"),
            WikiError::BadToken { .. } => Some("badtoken"),
            _ => None,
        }
    }

    /// Returns `true` when the same request may succeed later: after lag,
    /// read-only mode, rate limits, network failures, server errors and
    /// MediaWiki's internal errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            WikiError::Lagged { .. }
            | WikiError::ReadOnly { .. }
            | WikiError::RateLimited { .. }
            | WikiError::ServiceUnavailable { .. }
            | WikiError::ActionThrottled { .. }
            | WikiError::Network { .. }
            | WikiError::UnexpectedResponse { .. } => true,
            WikiError::HttpStatus { status, .. } => *status >= 500 || *status == 408,
            WikiError::Api { code, .. } => code.starts_with("internal_api_error_"),
            WikiError::InvalidDomain { .. }
            | WikiError::InvalidApiUrlPattern { .. }
            | WikiError::InvalidFileName(_)
            | WikiError::NotFound { .. }
            | WikiError::FileHidden { .. }
            | WikiError::BadToken { .. }
            | WikiError::AssertFailed { .. }
            | WikiError::Login { .. }
            | WikiError::Credentials { .. }
            | WikiError::InvalidSetting { .. }
            | WikiError::InvalidTitle { .. } => false,
        }
    }

    /// Returns the delay the wiki requested (`Retry-After`), in seconds.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            WikiError::Lagged { retry_after_secs, .. }
            | WikiError::ReadOnly { retry_after_secs, .. }
            | WikiError::RateLimited { retry_after_secs, .. } => Some(*retry_after_secs),
            WikiError::ServiceUnavailable { retry_after_secs, .. } => *retry_after_secs,
            _ => None,
        }
    }

    fn from_mwapi(domain: &str, err: mwapi::Error) -> Self {
        let domain = domain.to_owned();
        match err {
            mwapi::Error::Maxlag { info, retry_after } => WikiError::Lagged {
                domain,
                info,
                retry_after_secs: retry_after.unwrap_or(1),
            },
            mwapi::Error::Readonly { info, retry_after } => WikiError::ReadOnly {
                domain,
                info,
                retry_after_secs: retry_after.unwrap_or(1),
            },
            mwapi::Error::TooManyRequests { retry_after } => WikiError::RateLimited {
                domain,
                retry_after_secs: retry_after.unwrap_or(1),
            },
            mwapi::Error::HttpError(err) => match err.status() {
                Some(status) => WikiError::HttpStatus {
                    domain,
                    status: status.as_u16(),
                },
                None => WikiError::Network {
                    domain,
                    message: error_chain(&err),
                },
            },
            mwapi::Error::InvalidJson(err) => WikiError::UnexpectedResponse {
                domain,
                detail: format!("invalid JSON: {err}"),
            },
            mwapi::Error::ApiError(api) | mwapi::Error::InternalException(api) => WikiError::Api {
                domain,
                code: api.code,
                text: api.text,
            },
            other => WikiError::Api {
                domain,
                code: "mwapi".to_owned(),
                text: other.to_string(),
            },
        }
    }
}

/// Formats an error with its sources, outermost first: reqwest puts the useful
/// part ("connection refused") in a source.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Client of the Action API of every allowed wiki.
#[derive(Debug)]
pub struct WikiClient {
    config: WikiConfig,
    /// `mwapi` clients by domain, each with its own connection pool.
    clients: Mutex<HashMap<String, mwapi::Client>>,
}

impl WikiClient {
    /// Checks the configuration; no request is made.
    pub fn new(config: WikiConfig) -> Result<Self, WikiError> {
        check_api_url_pattern(&config.api_url_pattern)?;
        Ok(WikiClient {
            config,
            clients: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &WikiConfig {
        &self.config
    }

    /// Builds the API URL of `domain` from the pattern, after checking that the
    /// domain is a host name in `allowed_domains`.
    pub fn api_url(&self, domain: &str) -> Result<String, WikiError> {
        check_domain(domain, &self.config.allowed_domains)?;
        Ok(self.config.api_url_pattern.replace("{domain}", domain))
    }

    async fn api(&self, domain: &str) -> Result<mwapi::Client, WikiError> {
        if let Some(client) = self.clients.lock().expect("client map lock").get(domain) {
            return Ok(client.clone());
        }
        let api_url = self.api_url(domain)?;
        let timeout = Duration::from_secs(self.config.request_timeout_secs);
        let client = mwapi::Client::builder(&api_url)
            .set_user_agent(&self.config.user_agent)
            // Retries happen in `query`, where they are bounded by max_retry_wait_secs.
            .set_retry_limit(0)
            .set_http_client(move || reqwest::Client::builder().timeout(timeout))
            .build()
            .await
            .map_err(|err| WikiError::from_mwapi(domain, err))?;
        let mut clients = self.clients.lock().expect("client map lock");
        Ok(clients.entry(domain.to_owned()).or_insert(client).clone())
    }

    /// Sends a GET request to the API of `domain` and returns the JSON body.
    /// `format`, `formatversion=2`, `errorformat` and `maxlag` are added.
    ///
    /// Rejections for maxlag, read-only mode and HTTP 429 are retried up to
    /// `max_retries` times, waiting at least `Retry-After`; other errors return at once.
    pub async fn query(&self, domain: &str, params: &[(&str, &str)]) -> Result<Value, WikiError> {
        let api = self.api(domain).await?;
        let maxlag = self.config.maxlag_secs.to_string();
        let mut request: Vec<(String, String)> = params
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        request.push(("maxlag".to_owned(), maxlag));

        let max_wait = Duration::from_secs(self.config.max_retry_wait_secs);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_secs(1))
            .with_max_delay(max_wait)
            .with_max_times(self.config.max_retries as usize)
            .with_jitter();
        let send = || {
            let api = api.clone();
            let request = mwapi::Params::from(request.clone());
            async move { api.get_value(request).await }
        };
        send.retry(backoff)
            .when(|err: &mwapi::Error| err.retry_after().is_some())
            .adjust(move |err, delay| retry_delay(err.retry_after(), delay, max_wait))
            .notify(|err, delay| warn!(domain, error = %err, delay_secs = delay.as_secs_f64(), "retrying API request"))
            .await
            .map_err(|err| WikiError::from_mwapi(domain, err))
    }

    /// Looks up the current version of a file with `prop=imageinfo`. On a
    /// Wikisource this also finds Commons files ([`Repository::Shared`](crate::Repository)).
    pub async fn imageinfo(&self, domain: &str, file: &str) -> Result<FileInfo, WikiError> {
        let dbkey = file_dbkey(file)?;
        let title = format!("File:{dbkey}");
        debug!(domain, title, "imageinfo");
        let response = self
            .query(
                domain,
                &[
                    ("action", "query"),
                    ("prop", "imageinfo"),
                    ("titles", &title),
                    ("iiprop", "url|sha1|mime|size"),
                ],
            )
            .await?;
        parse_imageinfo(domain, &dbkey, &response)
    }
}

pub(crate) fn check_api_url_pattern(pattern: &str) -> Result<(), WikiError> {
    let invalid = |reason: &str| WikiError::InvalidApiUrlPattern {
        pattern: pattern.to_owned(),
        reason: reason.to_owned(),
    };
    let example = url::Url::parse(&pattern.replace("{domain}", "en.wikisource.org"))
        .map_err(|err| invalid(&format!("not a URL once {{domain}} is replaced: {err}")))?;
    if !matches!(example.scheme(), "https" | "http") {
        return Err(invalid("the scheme must be https, or http for a local test wiki"));
    }
    Ok(())
}

/// Accepts lower-case host names listed in `allowed` (exactly, or under a
/// `*.` entry), so that a domain taken from a job payload cannot point the
/// client at another host.
pub(crate) fn check_domain(domain: &str, allowed: &[String]) -> Result<(), WikiError> {
    let invalid = |reason: String| WikiError::InvalidDomain {
        domain: domain.to_owned(),
        reason,
    };
    let is_host_name = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !is_host_name {
        return Err(invalid(
            "expected a lower-case host name such as en.wikisource.org".to_owned(),
        ));
    }
    let is_allowed = allowed.iter().any(|entry| match entry.strip_prefix("*.") {
        Some(parent) => domain
            .strip_suffix(parent)
            .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
        None => entry == domain,
    });
    if !is_allowed {
        return Err(invalid(format!("not in allowed_domains {allowed:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        WikiConfig::default().allowed_domains
    }

    #[test]
    fn domain_check_accepts_wikisources_and_commons() {
        for domain in [
            "en.wikisource.org",
            "zh-min-nan.wikisource.org",
            "wikisource.org",
            "commons.wikimedia.org",
        ] {
            assert!(check_domain(domain, &allowed()).is_ok(), "{domain}");
        }
    }

    #[test]
    fn domain_check_rejects_other_hosts() {
        for domain in [
            "",
            "evil.org",
            "en.wikisource.org.evil.org",
            "en.wikisource.org/../x",
            "en.wikisource.org:8080",
            "EN.wikisource.org",
            ".wikisource.org",
            "xwikisource.org",
            "meta.wikimedia.org",
            "127.0.0.1",
        ] {
            let err = check_domain(domain, &allowed()).expect_err(domain);
            assert!(matches!(err, WikiError::InvalidDomain { .. }), "{domain}: {err}");
        }
    }

    #[test]
    fn api_url_replaces_domain() {
        let client = WikiClient::new(WikiConfig::default()).unwrap();
        assert_eq!(
            client.api_url("fr.wikisource.org").unwrap(),
            "https://fr.wikisource.org/w/api.php"
        );

        let local = WikiConfig {
            api_url_pattern: "http://127.0.0.1:18080/api.php".to_owned(),
            ..WikiConfig::default()
        };
        let client = WikiClient::new(local).unwrap();
        assert_eq!(
            client.api_url("fr.wikisource.org").unwrap(),
            "http://127.0.0.1:18080/api.php"
        );
    }

    #[test]
    fn api_url_pattern_must_be_http() {
        for pattern in ["ftp://{domain}/api.php", "not a url", "file:///etc/{domain}"] {
            let config = WikiConfig {
                api_url_pattern: pattern.to_owned(),
                ..WikiConfig::default()
            };
            let err = WikiClient::new(config).expect_err(pattern);
            assert!(
                matches!(err, WikiError::InvalidApiUrlPattern { .. }),
                "{pattern}: {err}"
            );
        }
    }
}
