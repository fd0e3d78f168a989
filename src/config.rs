//! Settings: an optional TOML file, then environment variables, which win.
//!
//! docs/configuration.md lists every setting; keep it in step with this file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use phetools_hocr::HocrConfig;
use phetools_matchsplit::config::MatchSplitConfig;
use phetools_ocr::OcrConfig;
use phetools_queue::QueueConfig;
use phetools_stats::jobs::StatsConfig;
use phetools_stream::StreamConfig;
use phetools_textlayer::ExtractConfig;
use phetools_wiki::{Credentials, DownloadConfig, WikiConfig};
use serde::Deserialize;

use crate::secret::{read_secret_file, Secret};
use crate::telemetry::LogFormat;

/// Web server address when neither the file nor `PHETOOLS_LISTEN` sets one.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";

/// Process settings. Each section has its own defaults, so an empty file (or
/// none) is a complete configuration for live Wikimedia.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the web server.
    pub listen: SocketAddr,
    /// File that contains the database URL; the file must be readable only by
    /// its owner. `DATABASE_URL` in the environment takes precedence.
    pub database_url_file: Option<PathBuf>,
    /// Size of the database connection pool of this process.
    pub database_max_connections: u32,
    /// User-Agent of every request to Wikimedia (stream, API, downloads). When
    /// unset, each component sends its own default naming phetools.
    pub user_agent: Option<String>,
    pub log_format: LogFormat,
    pub queue: QueueConfig,
    pub stream: StreamConfig,
    pub wiki: WikiConfig,
    pub download: DownloadConfig,
    pub extract: ExtractConfig,
    pub match_split: MatchSplitConfig,
    pub hocr: HocrConfig,
    pub ocr: OcrConfig,
    pub stats: StatsConfig,
}

/// Queue settings with a longer timeout for `split`, whose edits are paced: a
/// 325-page book at 12 edits per minute takes about 27 minutes of saves alone.
fn default_queue_config() -> QueueConfig {
    let mut queue = QueueConfig::default();
    queue.kind_timeout_seconds.insert("split".to_owned(), 10800.0);
    // At one request per second, three hours allow 10,800 recount requests,
    // several times the estimated 1,500 of a recount of fr.wikisource.
    queue
        .kind_timeout_seconds
        .insert(phetools_stats::jobs::RECOUNT_JOB_KIND.to_owned(), 10800.0);
    queue
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("the default listen address is valid"),
            database_url_file: None,
            database_max_connections: 20,
            user_agent: None,
            log_format: LogFormat::Text,
            queue: default_queue_config(),
            stream: StreamConfig::default(),
            wiki: WikiConfig::default(),
            download: DownloadConfig::default(),
            extract: ExtractConfig::default(),
            match_split: MatchSplitConfig::default(),
            hocr: HocrConfig::default(),
            ocr: OcrConfig::default(),
            stats: StatsConfig::default(),
        }
    }
}

/// Source of environment variables, so that tests need not touch the process environment.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }
}

impl Config {
    /// Reads `file` (when given) and applies the environment on top.
    pub fn load(file: Option<&Path>, environment: &dyn Environment) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        config.apply_environment(environment)?;
        config.apply_user_agent();
        Ok(config)
    }

    fn from_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid configuration file {}", path.display()))
    }

    fn apply_environment(&mut self, environment: &dyn Environment) -> anyhow::Result<()> {
        if let Some(listen) = environment.var("PHETOOLS_LISTEN") {
            self.listen = listen.parse().with_context(|| {
                format!("invalid PHETOOLS_LISTEN {listen:?}: expected an address such as 127.0.0.1:8000")
            })?;
        }
        if let Some(url) = environment.var("PHETOOLS_EVENTSTREAMS_URL") {
            self.stream.base_url = url;
        }
        if let Some(pattern) = environment.var("PHETOOLS_WIKI_API_URL") {
            self.wiki.api_url_pattern = pattern;
        }
        if let Some(hosts) = environment.var("PHETOOLS_UPLOAD_HOSTS") {
            self.download.allowed_origins = parse_upload_hosts(&hosts)?;
            self.ocr.allowed_origins = self.download.allowed_origins.clone();
        }
        self.apply_ocr_environment(environment)?;
        if let Some(domains) = environment.var("PHETOOLS_WIKI_DOMAINS") {
            self.wiki.allowed_domains = split_list(&domains);
        }
        if let Some(path) = environment.var("PHETOOLS_STREAMS_FILE") {
            self.stream.rules_path = PathBuf::from(path);
        }
        if let Some(user_agent) = environment.var("PHETOOLS_USER_AGENT") {
            self.user_agent = Some(user_agent);
        }
        if let Some(workers) = environment.var("PHETOOLS_WORKERS") {
            self.queue.workers = workers.parse().ok().filter(|workers| *workers >= 1).with_context(|| {
                format!("invalid PHETOOLS_WORKERS {workers:?}: expected a whole number of at least 1")
            })?;
        }
        if let Some(seconds) = environment.var("PHETOOLS_LEGACY_JOB_WAIT_SECONDS") {
            self.match_split.legacy_wait_seconds = seconds.parse().with_context(|| {
                format!(
                    "invalid PHETOOLS_LEGACY_JOB_WAIT_SECONDS {seconds:?}: expected a number of seconds from 0 to 3600"
                )
            })?;
        }
        if let Some(rate) = environment.var("PHETOOLS_EDITS_PER_MINUTE") {
            self.wiki.edits_per_minute = rate.parse().ok().filter(|rate| *rate >= 1).with_context(|| {
                format!("invalid PHETOOLS_EDITS_PER_MINUTE {rate:?}: expected a whole number of at least 1")
            })?;
        }
        if let Some(path) = environment.var("PHETOOLS_VERIFY_RULES_FILE") {
            self.match_split.verify_rules_path = Some(PathBuf::from(path));
        }
        self.match_split.validate().map_err(anyhow::Error::msg)?;
        self.stats.validate()?;
        if let Some(path) = environment.var("PHETOOLS_DATABASE_URL_FILE") {
            self.database_url_file = Some(PathBuf::from(path));
        }
        if let Some(format) = environment.var("PHETOOLS_LOG_FORMAT") {
            self.log_format = match format.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => bail!("invalid PHETOOLS_LOG_FORMAT {format:?}: expected text or json"),
            };
        }
        Ok(())
    }

    fn apply_ocr_environment(&mut self, environment: &dyn Environment) -> anyhow::Result<()> {
        if let Some(threads) = environment.var("PHETOOLS_OCR_THREADS") {
            self.ocr.engine_threads = threads.parse().ok().with_context(|| {
                format!("invalid PHETOOLS_OCR_THREADS {threads:?}: expected a whole number, 0 for one per CPU")
            })?;
        }
        if let Some(path) = environment.var("PHETOOLS_TESSDATA_DIR") {
            self.ocr.tessdata_dir = PathBuf::from(path);
        }
        if let Some(rate) = environment.var("PHETOOLS_OCR_RATE_LIMIT") {
            self.ocr.rate_limit_per_minute = rate.parse().with_context(|| {
                format!("invalid PHETOOLS_OCR_RATE_LIMIT {rate:?}: expected requests per minute, 0 for no limit")
            })?;
        }
        if let Some(flag) = environment.var("PHETOOLS_TRUST_FORWARDED_FOR") {
            self.ocr.trust_forwarded_for = parse_flag("PHETOOLS_TRUST_FORWARDED_FOR", &flag)?;
        }
        if let Some(flag) = environment.var("PHETOOLS_OCR_ALLOW_LOOPBACK") {
            self.ocr.allow_loopback = parse_flag("PHETOOLS_OCR_ALLOW_LOOPBACK", &flag)?;
        }
        Ok(())
    }

    fn apply_user_agent(&mut self) {
        if let Some(user_agent) = &self.user_agent {
            self.stream.user_agent = user_agent.clone();
            self.wiki.user_agent = user_agent.clone();
        }
    }

    /// Returns the database URL: `DATABASE_URL`, else the contents of `database_url_file`.
    pub fn database_url(&self, environment: &dyn Environment) -> anyhow::Result<Secret> {
        if let Some(url) = environment.var("DATABASE_URL") {
            return Ok(Secret::new(url));
        }
        match &self.database_url_file {
            Some(path) => read_secret_file(path),
            None => bail!(
                "no database configured: set DATABASE_URL (postgres://user:password@host/database) \
                 or PHETOOLS_DATABASE_URL_FILE to a file readable only by you that contains it"
            ),
        }
    }
}

/// Reads the bot credentials: a bot password (`PHETOOLS_BOT_USER` with
/// `PHETOOLS_BOT_PASSWORD` or `PHETOOLS_BOT_PASSWORD_FILE`) or an OAuth 2 token
/// (`PHETOOLS_OAUTH_TOKEN` or `PHETOOLS_OAUTH_TOKEN_FILE`). It returns `None`
/// when none is set, so the wiki client reads anonymously and cannot edit.
pub fn bot_credentials(environment: &dyn Environment) -> anyhow::Result<Option<Credentials>> {
    Credentials::from_env(|name| environment.var(name)).context("invalid bot credentials")
}

fn parse_flag(name: &str, raw: &str) -> anyhow::Result<bool> {
    match raw {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => bail!("invalid {name} {raw:?}: expected true or false"),
    }
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses `PHETOOLS_UPLOAD_HOSTS`: comma-separated hosts or origins. A bare host
/// (`upload.wikimedia.org`) means HTTPS; plain HTTP must be spelt out
/// (`http://127.0.0.1:18080`) and is meant for local test servers.
fn parse_upload_hosts(raw: &str) -> anyhow::Result<Vec<String>> {
    let origins: Vec<String> = split_list(raw)
        .into_iter()
        .map(|entry| {
            if entry.contains("://") {
                entry
            } else {
                format!("https://{entry}")
            }
        })
        .collect();
    if origins.is_empty() {
        bail!("invalid PHETOOLS_UPLOAD_HOSTS {raw:?}: expected at least one host, such as upload.wikimedia.org");
    }
    for origin in &origins {
        let url =
            url::Url::parse(origin).with_context(|| format!("invalid entry {origin:?} in PHETOOLS_UPLOAD_HOSTS"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() || url.path() != "/" {
            bail!("invalid entry {origin:?} in PHETOOLS_UPLOAD_HOSTS: expected a host or an origin such as https://upload.wikimedia.org");
        }
        if url.scheme() == "http" && !is_loopback_host(&url) {
            bail!("invalid entry {origin:?} in PHETOOLS_UPLOAD_HOSTS: plain HTTP is allowed only for loopback test servers such as http://127.0.0.1:18080; use https://");
        }
    }
    Ok(origins)
}

fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(domain)) => domain == "localhost",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct FakeEnvironment(HashMap<&'static str, &'static str>);

    impl Environment for FakeEnvironment {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|value| value.to_string())
        }
    }

    fn environment(pairs: &[(&'static str, &'static str)]) -> FakeEnvironment {
        FakeEnvironment(pairs.iter().copied().collect())
    }

    #[test]
    fn defaults_point_at_wikimedia() {
        let config = Config::load(None, &environment(&[])).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.stream.base_url, "https://stream.wikimedia.org/v2/stream");
        assert_eq!(config.wiki.api_url_pattern, "https://{domain}/w/api.php");
        assert_eq!(config.download.allowed_origins, vec!["https://upload.wikimedia.org"]);
    }

    #[test]
    fn environment_overrides_endpoints() {
        let config = Config::load(
            None,
            &environment(&[
                ("PHETOOLS_LISTEN", "127.0.0.1:9000"),
                ("PHETOOLS_EVENTSTREAMS_URL", "http://127.0.0.1:8081/v2/stream"),
                ("PHETOOLS_WIKI_API_URL", "http://127.0.0.1:18080/api.php"),
                ("PHETOOLS_UPLOAD_HOSTS", "upload.wikimedia.org, http://127.0.0.1:18080"),
                ("PHETOOLS_USER_AGENT", "phetools-test/0 (test@example.org)"),
                ("PHETOOLS_WORKERS", "2"),
            ]),
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.stream.base_url, "http://127.0.0.1:8081/v2/stream");
        assert_eq!(config.wiki.api_url_pattern, "http://127.0.0.1:18080/api.php");
        assert_eq!(
            config.download.allowed_origins,
            vec!["https://upload.wikimedia.org", "http://127.0.0.1:18080"]
        );
        assert_eq!(config.stream.user_agent, "phetools-test/0 (test@example.org)");
        assert_eq!(config.wiki.user_agent, "phetools-test/0 (test@example.org)");
        assert_eq!(config.queue.workers, 2);
    }

    #[test]
    fn invalid_environment_values_rejected() {
        for (name, value, expected) in [
            ("PHETOOLS_LISTEN", "localhost", "PHETOOLS_LISTEN"),
            ("PHETOOLS_UPLOAD_HOSTS", "file:///etc", "PHETOOLS_UPLOAD_HOSTS"),
            (
                "PHETOOLS_UPLOAD_HOSTS",
                "https://upload.wikimedia.org/wikipedia",
                "PHETOOLS_UPLOAD_HOSTS",
            ),
            ("PHETOOLS_UPLOAD_HOSTS", "http://evil.example", "plain HTTP"),
            ("PHETOOLS_WORKERS", "0", "PHETOOLS_WORKERS"),
            ("PHETOOLS_LOG_FORMAT", "xml", "PHETOOLS_LOG_FORMAT"),
        ] {
            let error = Config::load(None, &environment(&[(name, value)])).unwrap_err();
            assert!(format!("{error:#}").contains(expected), "{name}={value}: {error:#}");
        }
    }

    #[test]
    fn unknown_file_key_rejected() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"[queue]\nworkerz = 3\n").unwrap();
        let error = Config::load(Some(file.path()), &environment(&[])).unwrap_err();
        assert!(format!("{error:#}").contains("workerz"), "{error:#}");
    }

    /// The example file in docs/configuration.md parses, and every value it shows
    /// is the code's default, apart from the values it sets on purpose.
    #[test]
    fn documented_example_matches_defaults() {
        let document = include_str!("../docs/configuration.md");
        let example = document
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/configuration.md has a toml example");
        let config: Config = toml::from_str(example).expect("the documented example is valid");

        let defaults = Config::default();
        assert_eq!(config.listen, defaults.listen);
        assert_eq!(config.database_max_connections, defaults.database_max_connections);
        assert_eq!(config.log_format, defaults.log_format);
        let mut expected_queue = defaults.queue.clone();
        expected_queue
            .kind_timeout_seconds
            .insert("text_layer".to_owned(), 1800.0);
        assert_eq!(config.queue, expected_queue);
        assert_eq!(config.stream, defaults.stream);
        assert_eq!(config.wiki, defaults.wiki);
        assert_eq!(config.download, defaults.download);
        assert_eq!(config.extract, defaults.extract);
        assert_eq!(config.hocr, defaults.hocr);
        assert_eq!(config.ocr, defaults.ocr);
        assert_eq!(config.stats, defaults.stats);
    }

    #[test]
    fn bot_credentials_from_environment() {
        assert_eq!(bot_credentials(&environment(&[])).unwrap(), None);
        let credentials = bot_credentials(&environment(&[
            ("PHETOOLS_BOT_USER", "PheBot@phebot"),
            ("PHETOOLS_BOT_PASSWORD", "0123456789abcdefghijklmnopqrstuv"),
        ]))
        .unwrap()
        .unwrap();
        assert!(matches!(credentials, Credentials::BotPassword { .. }));
        let error = bot_credentials(&environment(&[("PHETOOLS_BOT_USER", "PheBot@phebot")])).unwrap_err();
        assert!(format!("{error:#}").contains("PHETOOLS_BOT_PASSWORD"), "{error:#}");
    }

    #[test]
    fn edits_per_minute_from_environment() {
        let config = Config::load(None, &environment(&[("PHETOOLS_EDITS_PER_MINUTE", "6")])).unwrap();
        assert_eq!(config.wiki.edits_per_minute, 6);
        assert!(Config::load(None, &environment(&[("PHETOOLS_EDITS_PER_MINUTE", "0")])).is_err());
    }

    #[test]
    fn database_url_missing_explains_fix() {
        let config = Config::load(None, &environment(&[])).unwrap();
        let error = config.database_url(&environment(&[])).unwrap_err().to_string();
        assert!(error.contains("DATABASE_URL"), "{error}");
    }
}
