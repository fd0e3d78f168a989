//! Conversion between the two spellings of a file SHA-1 in MediaWiki.

/// Converts a SHA-1 in base 36 (the `img_sha1` column and the `img_sha1` of
/// upload events, 31 digits, sometimes without leading zeros) to the 40
/// lower-case hex digits that `prop=imageinfo` returns. Returns `None` for a
/// string that is not base 36 or exceeds 160 bits.
///
/// ```
/// use phetools_wiki::sha1_hex_from_base36;
/// assert_eq!(
///     sha1_hex_from_base36("591htih6i9428nf7mq6i2oow1daiy48").as_deref(),
///     Some("2cf4474e6cac7cc7bb4abc4ec12cb3d127872b38")
/// );
/// ```
pub fn sha1_hex_from_base36(base36: &str) -> Option<String> {
    if base36.is_empty() {
        return None;
    }
    // Big-endian 160-bit number, built digit by digit: value = value * 36 + digit.
    let mut value = [0u8; 20];
    for c in base36.chars() {
        let mut carry = c.to_digit(36)?;
        for byte in value.iter_mut().rev() {
            let product = u32::from(*byte) * 36 + carry;
            *byte = (product & 0xff) as u8;
            carry = product >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(hex::encode(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_to_hex() {
        for (base36, hex) in [
            (
                "591htih6i9428nf7mq6i2oow1daiy48",
                "2cf4474e6cac7cc7bb4abc4ec12cb3d127872b38",
            ),
            (
                "0000000000000000000000000000001",
                "0000000000000000000000000000000000000001",
            ),
            ("1", "0000000000000000000000000000000000000001"),
            (
                "twj4yidkw7a8pn4g709kzmfoaol3x8f",
                "ffffffffffffffffffffffffffffffffffffffff",
            ),
            (
                "TWJ4YIDKW7A8PN4G709KZMFOAOL3X8F",
                "ffffffffffffffffffffffffffffffffffffffff",
            ),
        ] {
            assert_eq!(sha1_hex_from_base36(base36).as_deref(), Some(hex), "{base36}");
        }
    }

    #[test]
    fn base36_rejects_invalid_input() {
        // One more than 2^160 - 1, a character outside base 36, and nothing.
        for base36 in ["twj4yidkw7a8pn4g709kzmfoaol3x8g", "591htih6i9428nf7mq6i2oow1daiy4!", ""] {
            assert_eq!(sha1_hex_from_base36(base36), None, "{base36}");
        }
    }
}
