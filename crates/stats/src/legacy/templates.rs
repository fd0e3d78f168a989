//! Values of the on-wiki statistics templates, in each wiki's number format.

use crate::model::Counts;

/// Wikis whose templates the bot keeps up to date (language codes).
pub const TEMPLATE_WIKIS: [&str; 4] = ["fr", "en", "bn", "pl"];

/// Thousands separator of a wiki's templates: a space on fr, a comma on en,
/// none elsewhere (bn, pl).
pub fn thousands_separator(code: &str) -> &'static str {
    match code {
        "fr" => " ",
        "en" => ",",
        _ => "",
    }
}

/// Writes `value` with `separator` between groups of three digits.
pub fn group_thousands(value: i64, separator: &str) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * separator.len() + 1);
    if value < 0 {
        grouped.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push_str(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// Computes the percentage of texts backed by scans, excluding disambiguation pages:
/// `with_scans × 100 / (texts − disambiguation)`. `None` when that divisor is 0.
pub fn percent_with_scans(with_scans: i64, texts: i64, disambiguation: i64) -> Option<f64> {
    let divisor = texts - disambiguation;
    (divisor != 0).then(|| with_scans as f64 * 100.0 / divisor as f64)
}

/// Template titles and texts for one wiki. `Template:PR_PERCENT` is left out
/// when the wiki has no texts other than disambiguation pages.
pub fn template_values(code: &str, counts: &Counts) -> Vec<(&'static str, String)> {
    let separator = thousands_separator(code);
    let mut values = vec![
        (
            "Template:PAGES_NOT_PROOFREAD",
            group_thousands(counts.legacy_q1(), separator),
        ),
        ("Template:ALL_PAGES", group_thousands(counts.pages, separator)),
        ("Template:PR_TEXTS", group_thousands(counts.with_scans, separator)),
        (
            "Template:ALL_TEXTS",
            group_thousands(counts.texts - counts.disambiguation, separator),
        ),
    ];
    if let Some(percent) = percent_with_scans(counts.with_scans, counts.texts, counts.disambiguation) {
        values.push(("Template:PR_PERCENT", format!("{percent:.2}")));
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits_per_wiki() {
        assert_eq!(group_thousands(1_724_570, thousands_separator("fr")), "1 724 570");
        assert_eq!(group_thousands(1_271_741, thousands_separator("en")), "1,271,741");
        assert_eq!(group_thousands(1_271_741, thousands_separator("bn")), "1271741");
        assert_eq!(group_thousands(1_271_741, thousands_separator("pl")), "1271741");
        assert_eq!(group_thousands(999, ","), "999");
        assert_eq!(group_thousands(1_000, ","), "1,000");
        assert_eq!(group_thousands(0, ","), "0");
        assert_eq!(group_thousands(-1_234, ","), "-1,234");
        assert_eq!(group_thousands(1_234_567_890, " "), "1 234 567 890");
    }

    #[test]
    fn template_values_follow_the_legacy_formulas() {
        let counts = Counts {
            pages: 1_724_570,
            levels: [101_563, 737_314, 739, 625_998, 258_956],
            no_level: 0,
            texts: 201_425,
            with_scans: 179_818,
            disambiguation: 2_018,
            expected_without_scans: 0,
        };
        let values = template_values("fr", &counts);
        assert_eq!(
            values,
            vec![
                ("Template:PAGES_NOT_PROOFREAD", "737 314".to_owned()),
                ("Template:ALL_PAGES", "1 724 570".to_owned()),
                ("Template:PR_TEXTS", "179 818".to_owned()),
                ("Template:ALL_TEXTS", "199 407".to_owned()),
                ("Template:PR_PERCENT", "90.18".to_owned()),
            ]
        );
    }

    #[test]
    fn percent_is_left_out_without_texts() {
        let values = template_values("en", &Counts::default());
        assert!(values.iter().all(|(title, _)| *title != "Template:PR_PERCENT"));
    }
}
