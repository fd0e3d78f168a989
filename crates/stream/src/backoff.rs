//! Reconnect delays: exponential backoff with jitter, and `Retry-After`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// Longest `Retry-After` that is honoured; a larger value is cut to this, so
/// a wrong header cannot stop the consumer for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Delay before reconnect attempt `attempt` (0 for the first retry):
/// `base * 2^attempt` capped at `max`, of which a random half is waited
/// ("equal jitter"), so that replicas restarted together spread out.
pub(crate) fn backoff_delay(base: Duration, max: Duration, attempt: u32, rng: &mut impl Rng) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(31));
    let cap = base.saturating_mul(factor).min(max);
    let half = cap / 2;
    half + half.mul_f64(rng.random::<f64>())
}

/// Parses a `Retry-After` header: delay seconds or an HTTP date, relative to
/// `now`. Returns `None` for anything else.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_up_to_max() {
        let mut rng = StdRng::seed_from_u64(1);
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        for attempt in 0..40 {
            let cap = Duration::from_secs(1u64 << attempt.min(6)).min(max);
            let delay = backoff_delay(base, max, attempt, &mut rng);
            assert!(delay >= cap / 2, "attempt {attempt}: {delay:?} is below {:?}", cap / 2);
            assert!(delay <= cap, "attempt {attempt}: {delay:?} is above {cap:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = DateTime::parse_from_rfc3339("2025-08-29T06:45:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Fri, 29 Aug 2025 06:45:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Fri, 29 Aug 2025 06:44:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
