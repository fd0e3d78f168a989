//! [`WikiBots`], the entry point of wiki writes: one [`Bot`] per wiki, each
//! with its own session, edit pacer and cached site data.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use mwtitle::Title;

use crate::client::{check_api_url_pattern, check_domain, WikiError};
use crate::config::WikiConfig;
use crate::credentials::Credentials;
use crate::session::{Identity, SessionManager};
use crate::site::{SiteCache, SiteData};

/// Bots of every allowed wiki, made on first use.
#[derive(Debug)]
pub struct WikiBots {
    config: WikiConfig,
    credentials: Option<Credentials>,
    bots: Mutex<HashMap<String, Arc<Bot>>>,
}

impl WikiBots {
    /// Checks the configuration; no request is made. Without credentials the
    /// bots read anonymously and every edit fails with [`WikiError::Credentials`].
    pub fn new(config: WikiConfig, credentials: Option<Credentials>) -> Result<Self, WikiError> {
        check_api_url_pattern(&config.api_url_pattern)?;
        if config.edits_per_minute == 0 {
            return Err(WikiError::InvalidSetting {
                setting: "edits_per_minute",
                reason: crate::messages::edits_per_minute_zero(),
            });
        }
        Ok(WikiBots {
            config,
            credentials,
            bots: Mutex::new(HashMap::new()),
        })
    }

    /// Returns the bot of `domain`, which must be in `allowed_domains`.
    pub fn bot(&self, domain: &str) -> Result<Arc<Bot>, WikiError> {
        check_domain(domain, &self.config.allowed_domains)?;
        let mut bots = self.bots.lock().expect("bot map lock");
        let bot = bots
            .entry(domain.to_owned())
            .or_insert_with(|| Arc::new(Bot::new(domain, &self.config, self.credentials.clone())));
        Ok(bot.clone())
    }
}

/// The bot account on one wiki: reads, edits and site data.
#[derive(Debug)]
pub struct Bot {
    pub(crate) domain: String,
    pub(crate) session: SessionManager,
    pacer: DefaultDirectRateLimiter,
    site: SiteCache,
}

impl Bot {
    fn new(domain: &str, config: &WikiConfig, credentials: Option<Credentials>) -> Self {
        let api_url = config.api_url_pattern.replace("{domain}", domain);
        Bot {
            domain: domain.to_owned(),
            session: SessionManager::new(domain, &api_url, config, credentials),
            pacer: RateLimiter::direct(edit_quota(config.edits_per_minute)),
            site: SiteCache::new(Duration::from_secs(config.site_refresh_secs)),
        }
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Returns the account the bot edits as, logging in first if needed.
    pub async fn identity(&self) -> Result<Identity, WikiError> {
        self.session.identity().await
    }

    /// Returns the site data of the wiki, fetched on first use and refreshed
    /// after `site_refresh_secs`.
    pub async fn site(&self) -> Result<Arc<SiteData>, WikiError> {
        self.site.get(&self.domain, &self.session).await
    }

    /// Sends a read request (GET) over the bot's session and returns the JSON
    /// body (`formatversion=2`). A logged-in bot account gets the bot limits
    /// (5,000 items per list with `apihighlimits`). Lag, read-only mode, rate
    /// limits and server errors are retried within the configured bounds.
    pub async fn query(&self, params: &[(&str, &str)]) -> Result<serde_json::Value, WikiError> {
        self.session.read(params).await
    }

    /// Parses `input` as a title of this wiki.
    pub async fn parse_title(&self, input: &str) -> Result<Title, WikiError> {
        self.site().await?.parse_title(&self.domain, input)
    }

    /// Waits until the edit pacer of this wiki lets the next edit go.
    pub(crate) async fn wait_for_edit_slot(&self) {
        self.pacer.until_ready().await;
    }

    /// Replaces the cached CSRF token, as an expired session would make it stale.
    #[cfg(feature = "test-hooks")]
    pub async fn set_csrf_token_for_test(&self, token: &str) -> Result<(), WikiError> {
        self.session.set_csrf_token(token).await
    }
}

/// One edit every `60 / edits_per_minute` seconds, without bursts.
fn edit_quota(edits_per_minute: u32) -> Quota {
    let per_minute = NonZeroU32::new(edits_per_minute).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(NonZeroU32::MIN)
}
