//! Settings of the stream consumer.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default [`StreamConfig::base_url`]: Wikimedia's public EventStreams service.
pub const DEFAULT_BASE_URL: &str = "https://stream.wikimedia.org/v2/stream";

/// Settings of the stream consumer. Every field has a default, so a config
/// file only lists what it changes. Durations are in seconds and may be
/// fractional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// URL that the comma-separated stream names are appended to.
    pub base_url: String,
    /// User-Agent header. Wikimedia's User-Agent policy requires the tool
    /// name, its version and contact information (a URL or an email address).
    pub user_agent: String,
    /// Name of this consumer's row in `stream_position`. Consumers with
    /// different names keep separate positions and leader locks.
    pub consumer: String,
    /// Path of the rules file (`streams.toml`).
    pub rules_path: PathBuf,
    /// Reconnect when no byte arrived for this long, in seconds.
    pub idle_timeout_seconds: f64,
    /// First reconnect delay in seconds; it doubles per failed attempt.
    pub backoff_base_seconds: f64,
    /// Largest reconnect delay in seconds.
    pub backoff_max_seconds: f64,
    /// When the server rejects the stored resume id, streaming restarts from
    /// the last event's `meta.dt` minus this many seconds.
    pub since_margin_seconds: f64,
    /// A replica without the leader lock tries again after this many seconds.
    pub leader_retry_seconds: f64,
    /// The leader checks its lock connection this often, in seconds.
    pub leader_check_seconds: f64,
    /// Most events applied in one transaction.
    pub max_batch_events: usize,
    /// Events longer than this many bytes are discarded as malformed.
    pub max_event_bytes: usize,
    /// `stream_seen_event` rows older than this many hours are deleted.
    pub seen_event_retention_hours: f64,
    /// How often old `stream_seen_event` rows are deleted, in seconds.
    pub prune_interval_seconds: f64,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: default_user_agent(),
            consumer: "eventstreams".to_owned(),
            rules_path: PathBuf::from("streams.toml"),
            idle_timeout_seconds: 60.0,
            backoff_base_seconds: 1.0,
            backoff_max_seconds: 60.0,
            since_margin_seconds: 30.0,
            leader_retry_seconds: 10.0,
            leader_check_seconds: 5.0,
            max_batch_events: 500,
            max_event_bytes: crate::sse::DEFAULT_MAX_EVENT_BYTES,
            seen_event_retention_hours: 48.0,
            prune_interval_seconds: 600.0,
        }
    }
}

/// `phetools/<version> (<tool URL>; <repository URL>) reqwest/0.13`.
pub fn default_user_agent() -> String {
    format!(
        "phetools/{} (https://phetools.toolforge.org/; https://gitlab.wikimedia.org/toolforge-repos/phetools) reqwest/0.13",
        env!("CARGO_PKG_VERSION")
    )
}

/// A setting with an unusable value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream setting `{field}`: {message}")]
pub struct ConfigError {
    pub field: &'static str,
    pub message: String,
}

impl StreamConfig {
    /// Checks every field and returns the first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let error = |field, message: String| Err(ConfigError { field, message });

        match url::Url::parse(&self.base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            Ok(url) => return error("base_url", format!("scheme {:?} is not http or https", url.scheme())),
            Err(parse_error) => return error("base_url", format!("{:?} is not a URL: {parse_error}", self.base_url)),
        }
        if !self.user_agent.contains('@') && !self.user_agent.contains("://") {
            return error(
                "user_agent",
                format!(
                    "{:?} has no contact information; Wikimedia's User-Agent policy requires a URL or an email address",
                    self.user_agent
                ),
            );
        }
        if reqwest::header::HeaderValue::from_str(&self.user_agent).is_err() {
            return error(
                "user_agent",
                "contains characters not allowed in an HTTP header".to_owned(),
            );
        }
        if self.consumer.trim().is_empty() {
            return error("consumer", "must not be empty".to_owned());
        }

        for (field, seconds) in [
            ("idle_timeout_seconds", self.idle_timeout_seconds),
            ("backoff_base_seconds", self.backoff_base_seconds),
            ("backoff_max_seconds", self.backoff_max_seconds),
            ("leader_retry_seconds", self.leader_retry_seconds),
            ("leader_check_seconds", self.leader_check_seconds),
            ("seen_event_retention_hours", self.seen_event_retention_hours),
            ("prune_interval_seconds", self.prune_interval_seconds),
        ] {
            if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e9) {
                return error(field, format!("{seconds} is not a positive duration"));
            }
        }
        if !(self.since_margin_seconds.is_finite() && (0.0..1e9).contains(&self.since_margin_seconds)) {
            return error(
                "since_margin_seconds",
                format!("{} is not a duration", self.since_margin_seconds),
            );
        }
        if self.backoff_max_seconds < self.backoff_base_seconds {
            return error(
                "backoff_max_seconds",
                format!(
                    "{} is less than backoff_base_seconds {}",
                    self.backoff_max_seconds, self.backoff_base_seconds
                ),
            );
        }
        if self.max_batch_events == 0 {
            return error("max_batch_events", "must be at least 1".to_owned());
        }
        if self.max_event_bytes < 1024 {
            return error(
                "max_event_bytes",
                format!("{} is below 1024 bytes", self.max_event_bytes),
            );
        }
        Ok(())
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.idle_timeout_seconds)
    }

    pub(crate) fn backoff_base(&self) -> Duration {
        Duration::from_secs_f64(self.backoff_base_seconds)
    }

    pub(crate) fn backoff_max(&self) -> Duration {
        Duration::from_secs_f64(self.backoff_max_seconds)
    }

    pub(crate) fn since_margin(&self) -> chrono::Duration {
        chrono::Duration::milliseconds((self.since_margin_seconds * 1000.0) as i64)
    }

    pub(crate) fn leader_retry(&self) -> Duration {
        Duration::from_secs_f64(self.leader_retry_seconds)
    }

    pub(crate) fn leader_check(&self) -> Duration {
        Duration::from_secs_f64(self.leader_check_seconds)
    }

    pub(crate) fn seen_event_retention(&self) -> Duration {
        Duration::from_secs_f64(self.seen_event_retention_hours * 3600.0)
    }

    pub(crate) fn prune_interval(&self) -> Duration {
        Duration::from_secs_f64(self.prune_interval_seconds)
    }

    /// Builds the stream URL for `streams`: `<base_url>/<names joined by commas>`.
    pub(crate) fn stream_url(&self, streams: &[&str]) -> Result<url::Url, ConfigError> {
        let joined = format!("{}/{}", self.base_url.trim_end_matches('/'), streams.join(","));
        url::Url::parse(&joined).map_err(|parse_error| ConfigError {
            field: "base_url",
            message: format!("{joined:?} is not a URL: {parse_error}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        StreamConfig::default().validate().unwrap();
    }

    #[test]
    fn user_agent_needs_contact() {
        let config = StreamConfig {
            user_agent: "phetools/0.1".to_owned(),
            ..StreamConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().field, "user_agent");
    }

    #[test]
    fn durations_must_be_positive() {
        let config = StreamConfig {
            idle_timeout_seconds: 0.0,
            ..StreamConfig::default()
        };
        let error = config.validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid stream setting `idle_timeout_seconds`: 0 is not a positive duration"
        );
    }

    #[test]
    fn unknown_setting_is_rejected() {
        let error = toml::from_str::<StreamConfig>("idle_timeout = 5").unwrap_err();
        assert!(error.to_string().contains("unknown field `idle_timeout`"), "{error}");
    }

    #[test]
    fn stream_url_joins_names() {
        let config = StreamConfig {
            base_url: "http://127.0.0.1:9/v2/stream/".to_owned(),
            ..StreamConfig::default()
        };
        let url = config
            .stream_url(&["mediawiki.recentchange", "mediawiki.page-create"])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/v2/stream/mediawiki.recentchange,mediawiki.page-create"
        );
    }
}
