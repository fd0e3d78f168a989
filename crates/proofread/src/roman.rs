//! Roman numerals for page labels.

const VALUES: [(u64, &str); 13] = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
];

/// Largest number written in Roman numerals, as in MediaWiki's `Language::romanNumeral`.
const MAX_ROMAN: i64 = 10_000;

/// Writes `number` in upper-case Roman numerals, with as many `M` as the thousands need.
/// Numbers below 1 or above 10000 are written in decimal.
// NOTE: ProofreadPage formats through ICU's "roman" numbering system, whose output past
// 3999 was not checked against this.
pub(crate) fn to_roman(number: i64) -> String {
    if !(1..=MAX_ROMAN).contains(&number) {
        return number.to_string();
    }
    let mut rest = number.unsigned_abs();
    let mut out = String::new();
    for (value, letters) in VALUES {
        while rest >= value {
            out.push_str(letters);
            rest -= value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_roman;

    #[test]
    fn roman_numerals() {
        assert_eq!(to_roman(1), "I");
        assert_eq!(to_roman(4), "IV");
        assert_eq!(to_roman(14), "XIV");
        assert_eq!(to_roman(1999), "MCMXCIX");
        assert_eq!(to_roman(3888), "MMMDCCCLXXXVIII");
        assert_eq!(to_roman(0), "0");
        assert_eq!(to_roman(-2), "-2");
        assert_eq!(to_roman(10_000), "MMMMMMMMMM");
        assert_eq!(to_roman(10_001), "10001");
    }
}
