//! Bounded retries with exponential backoff that honour `Retry-After`.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use tracing::warn;

use crate::client::WikiError;

/// Limits of the retries of one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Maximum single wait. A longer `Retry-After` ends the retries at once.
    pub max_wait: Duration,
    /// Maximum sum of the waits of one request.
    pub max_total_wait: Duration,
}

/// Runs `attempt` until it succeeds, fails with an error for which `should_retry`
/// is false, or the policy is exhausted; the last error is returned then.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: RetryPolicy,
    domain: &str,
    attempt: F,
    should_retry: impl Fn(&WikiError) -> bool,
) -> Result<T, WikiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, WikiError>>,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(policy.max_wait)
        .with_max_times(policy.max_retries as usize)
        .with_jitter();
    let mut waited = Duration::ZERO;
    attempt
        .retry(backoff)
        .when(should_retry)
        .adjust(move |error: &WikiError, delay| {
            let delay = retry_delay(error.retry_after_secs(), delay, policy.max_wait)?;
            if waited + delay > policy.max_total_wait {
                return None;
            }
            waited += delay;
            Some(delay)
        })
        .notify(|error, delay| {
            warn!(domain, error = %error, delay_secs = delay.as_secs_f64(), "retrying API request");
        })
        .await
}

/// Delay before the next retry: the backoff's delay, raised to `Retry-After`.
/// `None` stops the retries, when the backoff is exhausted or the wiki requests
/// a longer wait than `max_wait`.
pub(crate) fn retry_delay(
    retry_after_secs: Option<u64>,
    backoff: Option<Duration>,
    max_wait: Duration,
) -> Option<Duration> {
    let backoff = backoff?;
    let Some(retry_after) = retry_after_secs.map(Duration::from_secs) else {
        return Some(backoff);
    };
    if retry_after > max_wait {
        return None;
    }
    Some(backoff.max(retry_after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn retry_delay_honours_retry_after() {
        let max_wait = Duration::from_secs(60);
        let one = Some(Duration::from_secs(1));
        assert_eq!(retry_delay(Some(5), one, max_wait), Some(Duration::from_secs(5)));
        assert_eq!(
            retry_delay(Some(5), Some(Duration::from_secs(8)), max_wait),
            Some(Duration::from_secs(8))
        );
        assert_eq!(retry_delay(None, one, max_wait), one);
        assert_eq!(retry_delay(Some(120), one, max_wait), None);
        assert_eq!(retry_delay(Some(5), None, max_wait), None);
    }

    fn lagged() -> WikiError {
        WikiError::Lagged {
            domain: "en.wikisource.org".to_owned(),
            info: "lagged".to_owned(),
            retry_after_secs: 1,
        }
    }

    /// Runs an attempt that always lags under `policy`; returns the attempt count.
    async fn attempts_while_lagged(policy: RetryPolicy) -> u32 {
        let attempts = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(
            policy,
            "en.wikisource.org",
            || async {
                attempts.fetch_add(1, Ordering::SeqCst);
                Err(lagged())
            },
            WikiError::is_retryable,
        )
        .await;
        assert!(matches!(result, Err(WikiError::Lagged { .. })), "{result:?}");
        attempts.load(Ordering::SeqCst)
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_at_total_wait() {
        let attempts = attempts_while_lagged(RetryPolicy {
            max_retries: 10,
            max_wait: Duration::from_secs(2),
            max_total_wait: Duration::from_secs(3),
        })
        .await;
        assert!((2..=4).contains(&attempts), "{attempts} attempts");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_at_max_retries() {
        let attempts = attempts_while_lagged(RetryPolicy {
            max_retries: 2,
            max_wait: Duration::from_secs(60),
            max_total_wait: Duration::from_secs(600),
        })
        .await;
        assert_eq!(attempts, 3);
    }
}
