//! The `diff` and `daysago` parameters of `statistics.php`, checked strictly.

use crate::messages;

/// Largest `daysago` accepted: a hundred years of days.
pub const MAX_DAYS_AGO: u32 = 36_500;

/// The periods the table can compare over, in days; 0 shows the counts themselves.
pub const DIFF_DAYS: [u32; 5] = [0, 1, 7, 30, 365];

/// A checked request for the legacy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LegacyQuery {
    /// 0 for the counts, else the number of days to compare over.
    pub diff: u32,
    /// How many days before today the table ends.
    pub days_ago: u32,
}

/// A rejected parameter; the message goes into the HTTP 400 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidQuery(pub String);

impl LegacyQuery {
    /// Checks the raw (already percent-decoded) parameter values. A missing
    /// parameter means 0; every other value than those listed is rejected,
    /// including an empty one, a sign, spaces and leading `+`.
    pub fn parse(diff: Option<&str>, days_ago: Option<&str>) -> Result<LegacyQuery, InvalidQuery> {
        let diff = match diff {
            None => 0,
            Some(value) => plain_number(value)
                .filter(|days| DIFF_DAYS.contains(days))
                .ok_or_else(|| InvalidQuery(messages::invalid_diff(value)))?,
        };
        let days_ago = match days_ago {
            None => 0,
            Some(value) => plain_number(value)
                .filter(|days| *days <= MAX_DAYS_AGO)
                .ok_or_else(|| InvalidQuery(messages::invalid_days_ago(value, MAX_DAYS_AGO)))?,
        };
        Ok(LegacyQuery { diff, days_ago })
    }
}

/// Digits only, at most six of them.
fn plain_number(value: &str) -> Option<u32> {
    let is_plain = !value.is_empty() && value.len() <= 6 && value.bytes().all(|byte| byte.is_ascii_digit());
    if is_plain {
        value.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_legacy_values() {
        assert_eq!(LegacyQuery::parse(None, None).unwrap(), LegacyQuery::default());
        for diff in ["0", "1", "7", "30", "365", "007"] {
            assert!(LegacyQuery::parse(Some(diff), None).is_ok(), "{diff}");
        }
        assert_eq!(
            LegacyQuery::parse(Some("7"), Some("12")).unwrap(),
            LegacyQuery { diff: 7, days_ago: 12 }
        );
    }

    #[test]
    fn rejects_hostile_values() {
        for diff in [
            "2",
            "",
            "-1",
            "+1",
            " 1",
            "1;rm -rf /",
            "1 -y5",
            "$(id)",
            "365000000",
            "1e2",
            "٣",
        ] {
            let error = LegacyQuery::parse(Some(diff), None).unwrap_err();
            assert!(error.0.contains("invalid diff"), "{diff}: {error}");
        }
        for days_ago in ["1;rm", "", "-1", "36501", "1.5", "`id`", "1\n2", "9999999"] {
            let error = LegacyQuery::parse(None, Some(days_ago)).unwrap_err();
            assert!(error.0.contains("invalid daysago"), "{days_ago}: {error}");
        }
    }
}
