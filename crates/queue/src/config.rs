//! Queue settings, read from the `[queue]` table of the configuration file.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::QueueError;

/// Settings of the worker pool, the retry backoff and the maintenance tasks.
///
/// Every field has a default, so an empty table is valid. Unknown fields are
/// rejected, which catches misspelt keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Number of jobs this process runs at the same time.
    pub workers: usize,
    /// Lease length: a running job whose worker has not heartbeated for this long
    /// is rescued and may run again elsewhere.
    pub lease_seconds: f64,
    /// Heartbeat interval while a job runs. Must be less than a third of
    /// `lease_seconds`, so that a lease survives two lost heartbeats.
    pub heartbeat_seconds: f64,
    /// Interval of the claim poll that backs up the LISTEN wake-up, in milliseconds.
    /// It also bounds how late a retry whose `run_after` has passed is picked up.
    pub poll_interval_ms: u64,
    /// Retry delay after the first failed attempt (see [`Backoff`]).
    pub backoff_base_seconds: f64,
    /// Upper bound of the retry delay before jitter (see [`Backoff`]).
    pub backoff_max_seconds: f64,
    /// Interval of the search for running jobs with an expired lease.
    pub rescue_interval_seconds: f64,
    /// Interval of the deletion of old finished jobs.
    pub prune_interval_seconds: f64,
    /// Age (since `finished_at`) after which succeeded, failed and cancelled jobs are deleted.
    pub prune_after_hours: f64,
    /// Rows deleted per DELETE statement, which bounds lock time and WAL per statement.
    pub prune_batch_size: u32,
    /// Run time after which a handler is cancelled and the attempt failed, unless
    /// `kind_timeout_seconds` sets another value for the job's kind.
    pub job_timeout_seconds: f64,
    /// Timeouts per job kind, overriding `job_timeout_seconds`.
    pub kind_timeout_seconds: BTreeMap<String, f64>,
    /// Time a handler gets to return after its cancellation token fired (timeout,
    /// cancel request, lost lease, shutdown) before its task is aborted.
    pub cancel_grace_seconds: f64,
    /// At shutdown, time running jobs get to finish before their handlers are cancelled.
    pub shutdown_drain_seconds: f64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            workers: 4,
            lease_seconds: 60.0,
            heartbeat_seconds: 10.0,
            poll_interval_ms: 3_000,
            backoff_base_seconds: 10.0,
            backoff_max_seconds: 3_600.0,
            rescue_interval_seconds: 30.0,
            prune_interval_seconds: 600.0,
            prune_after_hours: 14.0 * 24.0,
            prune_batch_size: 1_000,
            job_timeout_seconds: 1_800.0,
            kind_timeout_seconds: BTreeMap::new(),
            cancel_grace_seconds: 5.0,
            shutdown_drain_seconds: 15.0,
        }
    }
}

impl QueueConfig {
    /// Checks that every duration is positive and below 1e9, that `workers` and
    /// `prune_batch_size` are at least 1 and that heartbeats fit in the lease.
    pub fn validate(&self) -> Result<(), QueueError> {
        let durations = [
            ("lease_seconds", self.lease_seconds),
            ("heartbeat_seconds", self.heartbeat_seconds),
            ("backoff_base_seconds", self.backoff_base_seconds),
            ("backoff_max_seconds", self.backoff_max_seconds),
            ("rescue_interval_seconds", self.rescue_interval_seconds),
            ("prune_interval_seconds", self.prune_interval_seconds),
            ("prune_after_hours", self.prune_after_hours),
            ("job_timeout_seconds", self.job_timeout_seconds),
            ("cancel_grace_seconds", self.cancel_grace_seconds),
            ("shutdown_drain_seconds", self.shutdown_drain_seconds),
        ];
        for (name, value) in durations {
            check_positive(name, value)?;
        }
        for (kind, &value) in &self.kind_timeout_seconds {
            check_positive(&format!("kind_timeout_seconds.{kind}"), value)?;
        }

        if self.workers == 0 {
            return Err(invalid("workers is 0; set it to 1 or more"));
        }
        if self.poll_interval_ms == 0 {
            return Err(invalid("poll_interval_ms is 0; set it to 1 or more"));
        }
        if self.prune_batch_size == 0 {
            return Err(invalid("prune_batch_size is 0; set it to 1 or more"));
        }
        if self.heartbeat_seconds * 3.0 >= self.lease_seconds {
            return Err(invalid(format!(
                "heartbeat_seconds ({}) must be less than a third of lease_seconds ({}); \
                 lower heartbeat_seconds or raise lease_seconds",
                self.heartbeat_seconds, self.lease_seconds
            )));
        }
        if self.backoff_max_seconds < self.backoff_base_seconds {
            return Err(invalid(format!(
                "backoff_max_seconds ({}) is less than backoff_base_seconds ({}); \
                 raise backoff_max_seconds",
                self.backoff_max_seconds, self.backoff_base_seconds
            )));
        }
        Ok(())
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs_f64(self.lease_seconds)
    }

    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_secs_f64(self.heartbeat_seconds)
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn backoff(&self) -> Backoff {
        Backoff {
            base: Duration::from_secs_f64(self.backoff_base_seconds),
            max: Duration::from_secs_f64(self.backoff_max_seconds),
        }
    }

    pub fn rescue_interval(&self) -> Duration {
        Duration::from_secs_f64(self.rescue_interval_seconds)
    }

    pub fn prune_interval(&self) -> Duration {
        Duration::from_secs_f64(self.prune_interval_seconds)
    }

    pub fn prune_after(&self) -> Duration {
        Duration::from_secs_f64(self.prune_after_hours * 3_600.0)
    }

    /// Timeout of a job of `kind`: its `kind_timeout_seconds` entry, else `job_timeout_seconds`.
    pub fn timeout_for(&self, kind: &str) -> Duration {
        let seconds = self
            .kind_timeout_seconds
            .get(kind)
            .copied()
            .unwrap_or(self.job_timeout_seconds);
        Duration::from_secs_f64(seconds)
    }

    pub fn cancel_grace(&self) -> Duration {
        Duration::from_secs_f64(self.cancel_grace_seconds)
    }

    pub fn shutdown_drain(&self) -> Duration {
        Duration::from_secs_f64(self.shutdown_drain_seconds)
    }
}

/// Retry delay after a failed attempt.
///
/// After attempt `n` (1 for the first) fails, the job waits
/// `min(max, base · 2^(n−1)) · u` with `u` uniform in [0.5, 1). The jitter spreads
/// retries of jobs that failed together, and because each attempt's range starts
/// where the previous one ends, delays never shrink. The formula is computed in SQL
/// by `job_retry_delay()` (migrations/0001_job_queue.sql), in the same statement
/// that records the failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        QueueConfig::default().backoff()
    }
}

impl Backoff {
    /// Range `[low, high)` of the delay after attempt `attempt` failed.
    pub fn delay_range(&self, attempt: i32) -> (Duration, Duration) {
        let exponent = (attempt - 1).clamp(0, 62);
        let uncapped = self.base.as_secs_f64() * 2f64.powi(exponent);
        let high = uncapped.min(self.max.as_secs_f64());
        (Duration::from_secs_f64(high / 2.0), Duration::from_secs_f64(high))
    }
}

/// Upper bound of every duration setting, in its own unit, so that converting it to
/// a `Duration` cannot overflow.
const MAX_DURATION_SETTING: f64 = 1e9;

fn check_positive(name: &str, value: f64) -> Result<(), QueueError> {
    if value.is_finite() && value > 0.0 && value < MAX_DURATION_SETTING {
        Ok(())
    } else {
        Err(invalid(format!(
            "{name} is {value}; set it to a positive number below {MAX_DURATION_SETTING:e}"
        )))
    }
}

fn invalid(message: impl Into<String>) -> QueueError {
    QueueError::InvalidConfig(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        QueueConfig::default().validate().unwrap();
    }

    #[test]
    fn partial_table_keeps_defaults() {
        let config: QueueConfig = serde_json::from_str(r#"{"workers": 8, "lease_seconds": 120}"#).unwrap();
        assert_eq!(config.workers, 8);
        assert_eq!(config.lease_seconds, 120.0);
        assert_eq!(config.heartbeat_seconds, QueueConfig::default().heartbeat_seconds);
    }

    #[test]
    fn unknown_field_rejected() {
        let error = serde_json::from_str::<QueueConfig>(r#"{"lease_secs": 120}"#).unwrap_err();
        assert!(error.to_string().contains("lease_secs"), "{error}");
    }

    #[test]
    fn heartbeat_must_fit_lease() {
        let config = QueueConfig {
            lease_seconds: 30.0,
            heartbeat_seconds: 10.0,
            ..QueueConfig::default()
        };
        let message = config.validate().unwrap_err().to_string();
        assert!(message.contains("heartbeat_seconds (10)"), "{message}");
        assert!(message.contains("lease_seconds (30)"), "{message}");
    }

    #[test]
    fn non_positive_duration_rejected() {
        for value in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let config = QueueConfig {
                cancel_grace_seconds: value,
                ..QueueConfig::default()
            };
            let message = config.validate().unwrap_err().to_string();
            assert!(message.contains("cancel_grace_seconds"), "{message}");
        }
    }

    #[test]
    fn kind_timeout_overrides_default() {
        let mut config = QueueConfig::default();
        config.kind_timeout_seconds.insert("ocr".to_owned(), 120.0);
        assert_eq!(config.timeout_for("ocr"), Duration::from_secs(120));
        assert_eq!(config.timeout_for("split"), Duration::from_secs(1_800));
    }

    #[test]
    fn backoff_ranges_grow_until_cap() {
        let backoff = Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
        };
        assert_eq!(
            backoff.delay_range(1),
            (Duration::from_secs(5), Duration::from_secs(10))
        );
        assert_eq!(
            backoff.delay_range(2),
            (Duration::from_secs(10), Duration::from_secs(20))
        );
        assert_eq!(
            backoff.delay_range(4),
            (Duration::from_secs(30), Duration::from_secs(60))
        );
        assert_eq!(
            backoff.delay_range(1_000),
            (Duration::from_secs(30), Duration::from_secs(60))
        );
    }
}
