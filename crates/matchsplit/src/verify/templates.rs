//! Template calls `{{name|a|b|key=c}}` in wikitext, nested calls and links included.

/// One template call: its name and its parameters, split at the top-level `|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCall<'a> {
    pub name: &'a str,
    pub params: Vec<&'a str>,
}

impl<'a> TemplateCall<'a> {
    /// Parameters without a `name=` part, in order.
    pub fn positional(&self) -> Vec<&'a str> {
        self.params.iter().copied().filter(|param| !is_named(param)).collect()
    }
}

/// A parameter is named when a `=` comes before any nested markup.
fn is_named(param: &str) -> bool {
    let cut = param.find(['{', '[', '<']).unwrap_or(param.len());
    param[..cut].contains('=')
}

/// Replaces every outermost template call of `text` by `replace(call)`. Text
/// outside calls is copied. An unclosed `{{` is kept as text.
pub fn replace_templates(text: &str, mut replace: impl FnMut(&TemplateCall<'_>) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let from_call = &rest[start..];
        match call_end(from_call) {
            Some(end) => {
                let inner = &from_call[2..end - 2];
                out.push_str(&replace(&parse_call(inner)));
                rest = &from_call[end..];
            }
            None => {
                out.push_str("{{");
                rest = &from_call[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Returns the byte length of the call starting at `text` (which begins with
/// `{{`), through its closing `}}`, counting nested calls.
fn call_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'{', b'{') => {
                depth += 1;
                i += 2;
            }
            (b'}', b'}') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Splits the inside of a call at the `|` that are outside nested calls and links.
fn parse_call(inner: &str) -> TemplateCall<'_> {
    let mut parts = Vec::new();
    let bytes = inner.as_bytes();
    let (mut braces, mut brackets) = (0i32, 0i32);
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let pair = bytes.get(i..i + 2);
        match pair {
            Some(b"{{") => {
                braces += 1;
                i += 2;
                continue;
            }
            Some(b"}}") => {
                braces -= 1;
                i += 2;
                continue;
            }
            Some(b"[[") => {
                brackets += 1;
                i += 2;
                continue;
            }
            Some(b"]]") => {
                brackets -= 1;
                i += 2;
                continue;
            }
            _ => {}
        }
        if bytes[i] == b'|' && braces == 0 && brackets == 0 {
            parts.push(&inner[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    parts.push(&inner[start..]);
    let name = parts.remove(0).trim();
    TemplateCall { name, params: parts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_calls_are_one_call() {
        let out = replace_templates("a {{c|b {{sc|x}}|fs=1}} d", |call| {
            format!("[{}:{}]", call.name, call.positional().join(","))
        });

        assert_eq!(out, "a [c:b {{sc|x}}] d");
    }

    #[test]
    fn pipes_inside_links_do_not_split() {
        let out = replace_templates("{{d|[[A|B]]|2}}", |call| call.params.len().to_string());

        assert_eq!(out, "2");
    }

    #[test]
    fn unclosed_call_is_kept() {
        assert_eq!(replace_templates("a {{b c", |_| String::new()), "a {{b c");
    }
}
