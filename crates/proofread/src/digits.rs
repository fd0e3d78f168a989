//! Decimal numbers written in any Unicode script (general category `Nd`).
//!
//! Every `Nd` character belongs to a run of ten consecutive code points holding the
//! digits 0 to 9 of one script, so a script is identified by the code point of its zero.

use thiserror::Error;

use crate::messages;

/// Zero of every run of decimal digits (general category `Nd`) in Unicode 14.0, sorted.
const ZEROS: [char; 66] = [
    '\u{0030}',
    '\u{0660}',
    '\u{06F0}',
    '\u{07C0}',
    '\u{0966}',
    '\u{09E6}',
    '\u{0A66}',
    '\u{0AE6}',
    '\u{0B66}',
    '\u{0BE6}',
    '\u{0C66}',
    '\u{0CE6}',
    '\u{0D66}',
    '\u{0DE6}',
    '\u{0E50}',
    '\u{0ED0}',
    '\u{0F20}',
    '\u{1040}',
    '\u{1090}',
    '\u{17E0}',
    '\u{1810}',
    '\u{1946}',
    '\u{19D0}',
    '\u{1A80}',
    '\u{1A90}',
    '\u{1B50}',
    '\u{1BB0}',
    '\u{1C40}',
    '\u{1C50}',
    '\u{A620}',
    '\u{A8D0}',
    '\u{A900}',
    '\u{A9D0}',
    '\u{A9F0}',
    '\u{AA50}',
    '\u{ABF0}',
    '\u{FF10}',
    '\u{104A0}',
    '\u{10D30}',
    '\u{11066}',
    '\u{110F0}',
    '\u{11136}',
    '\u{111D0}',
    '\u{112F0}',
    '\u{11450}',
    '\u{114D0}',
    '\u{11650}',
    '\u{116C0}',
    '\u{11730}',
    '\u{118E0}',
    '\u{11950}',
    '\u{11C50}',
    '\u{11D50}',
    '\u{11DA0}',
    '\u{16A60}',
    '\u{16AC0}',
    '\u{16B50}',
    '\u{1D7CE}',
    '\u{1D7D8}',
    '\u{1D7E2}',
    '\u{1D7EC}',
    '\u{1D7F6}',
    '\u{1E140}',
    '\u{1E2F0}',
    '\u{1E950}',
    '\u{1FBF0}',
];

/// Failure to read a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DigitsError {
    #[error("{}", messages::number_empty())]
    Empty,
    #[error("{}", messages::number_not_digit(.text, *.character))]
    NotADigit { text: String, character: char },
    #[error("{}", messages::number_mixed_scripts(.text))]
    MixedScripts { text: String },
    #[error("{}", messages::number_too_large(.text))]
    TooLarge { text: String },
}

/// The ten decimal digits of one script, identified by its zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DigitScript {
    zero: char,
}

impl DigitScript {
    pub const LATIN: Self = Self { zero: '0' };
    pub const ARABIC_INDIC: Self = Self { zero: '\u{0660}' };
    /// Eastern Arabic-Indic digits, used for Persian and Urdu.
    pub const EXTENDED_ARABIC_INDIC: Self = Self { zero: '\u{06F0}' };
    pub const DEVANAGARI: Self = Self { zero: '\u{0966}' };
    pub const BENGALI: Self = Self { zero: '\u{09E6}' };
    pub const GURMUKHI: Self = Self { zero: '\u{0A66}' };
    pub const GUJARATI: Self = Self { zero: '\u{0AE6}' };
    pub const ORIYA: Self = Self { zero: '\u{0B66}' };
    pub const TAMIL: Self = Self { zero: '\u{0BE6}' };
    pub const TELUGU: Self = Self { zero: '\u{0C66}' };
    pub const KANNADA: Self = Self { zero: '\u{0CE6}' };
    pub const MALAYALAM: Self = Self { zero: '\u{0D66}' };
    pub const THAI: Self = Self { zero: '\u{0E50}' };
    pub const LAO: Self = Self { zero: '\u{0ED0}' };
    pub const TIBETAN: Self = Self { zero: '\u{0F20}' };
    pub const MYANMAR: Self = Self { zero: '\u{1040}' };
    pub const KHMER: Self = Self { zero: '\u{17E0}' };

    /// Returns the script whose zero is `zero`, if `zero` is the zero of an `Nd` run.
    pub fn from_zero(zero: char) -> Option<Self> {
        ZEROS.binary_search(&zero).ok().map(|_| Self { zero })
    }

    /// Returns the script of a CLDR numbering system name as used by `<pagelist>` display modes
    /// (`latn`, `arab`, `arabext`, `beng`, `deva`, `gujr`, `guru`, `knda`, `mlym`, `orya`,
    /// `tamldec`, `telu`, `thai`, `laoo`, `tibt`, `mymr`, `khmr`).
    pub fn from_numbering_system(name: &str) -> Option<Self> {
        let script = match name {
            "latn" => Self::LATIN,
            "arab" => Self::ARABIC_INDIC,
            "arabext" => Self::EXTENDED_ARABIC_INDIC,
            "beng" => Self::BENGALI,
            "deva" => Self::DEVANAGARI,
            "gujr" => Self::GUJARATI,
            "guru" => Self::GURMUKHI,
            "knda" => Self::KANNADA,
            "mlym" => Self::MALAYALAM,
            "orya" => Self::ORIYA,
            "tamldec" => Self::TAMIL,
            "telu" => Self::TELUGU,
            "thai" => Self::THAI,
            "laoo" => Self::LAO,
            "tibt" => Self::TIBETAN,
            "mymr" => Self::MYANMAR,
            "khmr" => Self::KHMER,
            _ => return None,
        };
        Some(script)
    }

    /// Returns the character of this script's zero.
    pub fn zero(self) -> char {
        self.zero
    }

    /// Writes `number` with this script's digits, without grouping separators.
    pub fn format(self, number: u64) -> String {
        number
            .to_string()
            .chars()
            .map(|ascii| {
                let value = ascii as u32 - '0' as u32;
                char::from_u32(self.zero as u32 + value).unwrap_or(ascii)
            })
            .collect()
    }
}

/// Returns the script and value of a decimal digit, or `None` if `c` is not in category `Nd`.
pub fn digit_value(c: char) -> Option<(DigitScript, u32)> {
    let index = match ZEROS.binary_search(&c) {
        Ok(index) => index,
        Err(0) => return None,
        Err(insert_at) => insert_at - 1,
    };
    let zero = ZEROS[index];
    let value = c as u32 - zero as u32;
    (value < 10).then_some((DigitScript { zero }, value))
}

/// Returns true if every character of `text` is a decimal digit and there is at least one.
pub fn is_decimal(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| digit_value(c).is_some())
}

/// Reads a decimal number written with the digits of one script (`12`, `১২`, `१२`, `١٢`).
///
/// Signs, separators and spaces are rejected, and so is a mix of scripts (`1২`).
pub fn parse_decimal(text: &str) -> Result<(u32, DigitScript), DigitsError> {
    let mut script = None;
    let mut number: u32 = 0;
    for character in text.chars() {
        let Some((digit_script, value)) = digit_value(character) else {
            return Err(DigitsError::NotADigit {
                text: text.to_owned(),
                character,
            });
        };
        if *script.get_or_insert(digit_script) != digit_script {
            return Err(DigitsError::MixedScripts { text: text.to_owned() });
        }
        number = number
            .checked_mul(10)
            .and_then(|n| n.checked_add(value))
            .ok_or_else(|| DigitsError::TooLarge { text: text.to_owned() })?;
    }
    match script {
        Some(script) => Ok((number, script)),
        None => Err(DigitsError::Empty),
    }
}

/// Reads a decimal number like [`parse_decimal`] and drops the script.
pub fn parse_u32(text: &str) -> Result<u32, DigitsError> {
    parse_decimal(text).map(|(number, _)| number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_scripts() {
        assert_eq!(parse_decimal("12"), Ok((12, DigitScript::LATIN)));
        assert_eq!(parse_decimal("১২"), Ok((12, DigitScript::BENGALI)));
        assert_eq!(parse_decimal("१२३"), Ok((123, DigitScript::DEVANAGARI)));
        assert_eq!(parse_decimal("٤٥"), Ok((45, DigitScript::ARABIC_INDIC)));
        assert_eq!(parse_decimal("۴۵"), Ok((45, DigitScript::EXTENDED_ARABIC_INDIC)));
        assert_eq!(parse_decimal("૮"), Ok((8, DigitScript::GUJARATI)));
        assert_eq!(parse_decimal("００7").map(|(n, _)| n).ok(), None);
        assert_eq!(parse_decimal("００７"), Ok((7, DigitScript::from_zero('０').unwrap())));
    }

    #[test]
    fn parse_rejects() {
        assert_eq!(parse_decimal(""), Err(DigitsError::Empty));
        assert!(matches!(parse_decimal("1২"), Err(DigitsError::MixedScripts { .. })));
        assert!(matches!(
            parse_decimal("-1"),
            Err(DigitsError::NotADigit { character: '-', .. })
        ));
        assert!(matches!(
            parse_decimal("12a"),
            Err(DigitsError::NotADigit { character: 'a', .. })
        ));
        assert!(matches!(parse_decimal("4294967296"), Err(DigitsError::TooLarge { .. })));
        assert_eq!(parse_decimal("4294967295"), Ok((u32::MAX, DigitScript::LATIN)));
        // Superscript two is a digit in category No, not Nd.
        assert!(matches!(parse_decimal("²"), Err(DigitsError::NotADigit { .. })));
    }

    #[test]
    fn format_round_trip() {
        for zero in ZEROS {
            let script = DigitScript::from_zero(zero).unwrap();
            for number in [0u32, 7, 10, 305, 1234567890] {
                let text = script.format(number.into());
                assert_eq!(parse_decimal(&text), Ok((number, script)), "{text}");
            }
        }
        assert_eq!(DigitScript::BENGALI.format(2024), "২০২৪");
    }

    #[test]
    fn numbering_system_names() {
        assert_eq!(DigitScript::from_numbering_system("beng"), Some(DigitScript::BENGALI));
        assert_eq!(DigitScript::from_numbering_system("tamldec"), Some(DigitScript::TAMIL));
        assert_eq!(DigitScript::from_numbering_system("roman"), None);
    }
}
