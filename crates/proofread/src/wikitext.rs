//! Wikitext structure shared by the tag readers: template and parser-function calls.

/// Splits the text from byte `from` up to the matching `}}` on top-level `|`. Returns the
/// parts and the byte after `}}`.
pub(crate) fn split_template_parts(wikitext: &str, from: usize) -> Option<(Vec<&str>, usize)> {
    let bytes = wikitext.as_bytes();
    let mut parts = Vec::new();
    let mut part_start = from;
    let mut braces = 0usize;
    let mut brackets = 0usize;
    let mut index = from;
    while index < bytes.len() {
        let pair = &bytes[index..bytes.len().min(index + 2)];
        match pair {
            b"{{" => {
                braces += 1;
                index += 2;
                continue;
            }
            b"[[" => {
                brackets += 1;
                index += 2;
                continue;
            }
            b"]]" if brackets > 0 => {
                brackets -= 1;
                index += 2;
                continue;
            }
            b"}}" if braces > 0 => {
                braces -= 1;
                index += 2;
                continue;
            }
            b"}}" => {
                parts.push(&wikitext[part_start..index]);
                return Some((parts, index + 2));
            }
            _ => {}
        }
        if bytes[index] == b'|' && braces == 0 && brackets == 0 {
            parts.push(&wikitext[part_start..index]);
            part_start = index + 1;
        }
        index += 1;
    }
    None
}
