//! The few PHP semantics that ProofreadPage's pagination rules depend on.

/// Reads `text` as PHP 8's `is_numeric` does: optional leading whitespace, an optional sign,
/// decimal digits with an optional fraction and exponent, optional trailing whitespace.
/// Returns the value, or `None` when PHP would call the text non-numeric.
pub(crate) fn numeric_value(text: &str) -> Option<f64> {
    let is_php_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{000B}' | '\u{000C}');
    let trimmed = text.trim_matches(is_php_space);
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() && fraction.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
    }
    trimmed.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::numeric_value;

    #[test]
    fn numeric_forms() {
        assert_eq!(numeric_value("5"), Some(5.0));
        assert_eq!(numeric_value(" -3 "), Some(-3.0));
        assert_eq!(numeric_value("05"), Some(5.0));
        assert_eq!(numeric_value("1.5"), Some(1.5));
        assert_eq!(numeric_value(".5"), Some(0.5));
        assert_eq!(numeric_value("1e3"), Some(1000.0));
        for text in ["", "-", "roman", "1to4", "5a", "e5", "1e", "০", "1 2"] {
            assert_eq!(numeric_value(text), None, "{text:?}");
        }
    }
}
