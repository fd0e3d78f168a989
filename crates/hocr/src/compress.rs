//! Compression of stored hOCR documents.
//!
//! gzip (deflate) through flate2, whose pure-Rust backend is already part of
//! the build for HTTP compression. The 325 pages of the test book take 13 MB
//! of hOCR and about 2.5 MB after gzip, and a page decompresses in well under a
//! millisecond, so zstd, which would add a C library to the build, would gain
//! nothing measurable on the serving path. The fastest level is used because
//! compression is part of every build, and the higher levels shrink XHTML
//! only a little further.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

pub fn compress(text: &str) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(text.len() / 4), Compression::fast());
    encoder
        .write_all(text.as_bytes())
        .expect("writing into a Vec cannot fail");
    encoder.finish().expect("writing into a Vec cannot fail")
}

/// Decompresses a stored document. Invalid UTF-8 is an error, since only
/// valid UTF-8 is ever stored.
pub fn decompress(bytes: &[u8]) -> std::io::Result<String> {
    let mut text = String::with_capacity(bytes.len() * 6);
    GzDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let text = "<p>é &amp; ü</p>".repeat(100);
        let packed = compress(&text);
        assert!(packed.len() < text.len() / 4);
        assert_eq!(decompress(&packed).unwrap(), text);
        assert!(decompress(b"not gzip").is_err());
    }
}
