//! Server-sent events parser that frames on bytes.
//!
//! Follows the event-stream interpretation rules of the WHATWG HTML standard
//! (section 9.2.6): lines end at CR, LF or CRLF, a blank line dispatches the
//! event, `data` lines are joined with `\n`, and a line starting with `:` is a
//! comment. Input arrives in arbitrary chunks, so a line, a CRLF pair or a
//! UTF-8 character may be split between two calls to [`SseParser::feed`].
//!
//! UTF-8 is checked once per event at dispatch. An event whose `event`, `data`
//! or `id` field is not valid UTF-8 becomes an [`SseError`] for that event
//! only, and the parser goes on with the next one.

use std::fmt;

/// Default for [`SseParser::with_max_event_bytes`]: 4 MiB. EventStreams events
/// are a few kilobytes; the limit only stops a server from growing the buffer
/// without bound.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field, or `message` when the block had none.
    pub event: String,
    /// The `data` lines joined with `\n`.
    pub data: String,
    /// The `id` field of this block, if it had one. Unlike a browser's
    /// `lastEventId`, an id is not carried over to later blocks.
    pub id: Option<String>,
}

/// Item produced by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    Event(SseEvent),
    /// A comment line without its leading `:` (EventStreams opens with `:ok`).
    /// Invalid UTF-8 is replaced with U+FFFD.
    Comment(String),
    /// A `retry` field: the server's reconnection delay in milliseconds.
    Retry(u64),
    /// An event that could not be decoded. The parser continues after it.
    Invalid(SseError),
}

/// A block of lines that could not become an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// The named field of the event contains bytes that are not UTF-8.
    InvalidUtf8 {
        field: &'static str,
        /// The block's `id` if that one was valid, to locate the event.
        id: Option<String>,
    },
    /// The event or one of its lines was longer than the configured maximum,
    /// so its fields were discarded up to the next blank line.
    TooLarge { max_bytes: usize },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::InvalidUtf8 { field, id: Some(id) } => {
                write!(f, "SSE event with id {id}: the {field} field is not valid UTF-8")
            }
            SseError::InvalidUtf8 { field, id: None } => {
                write!(f, "SSE event without id: the {field} field is not valid UTF-8")
            }
            SseError::TooLarge { max_bytes } => {
                write!(f, "SSE event larger than {max_bytes} bytes was discarded")
            }
        }
    }
}

impl std::error::Error for SseError {}

/// Incremental parser. Feed it the body chunks in order, then call
/// [`SseParser::finish`] at the end of the stream.
#[derive(Debug)]
pub struct SseParser {
    max_event_bytes: usize,
    /// Bytes of the current line that arrived without its line ending.
    line: Vec<u8>,
    /// The previous chunk ended with CR, so an LF at the start of the next
    /// chunk belongs to that line ending.
    skip_lf: bool,
    /// The current line outgrew the size limit; its bytes up to the next line
    /// ending are dropped instead of buffered.
    discarding_line: bool,
    /// Still at the start of the stream, where a UTF-8 byte order mark is dropped.
    at_stream_start: bool,
    block: Block,
}

/// Fields of the event being assembled, kept as bytes until dispatch.
#[derive(Debug, Default)]
struct Block {
    event: Option<Vec<u8>>,
    data: Vec<u8>,
    has_data: bool,
    id: Option<Vec<u8>>,
    /// Bytes taken by this block so far, for the size limit.
    size: usize,
    too_large: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new()
    }
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// Creates a parser that discards events (and lines) longer than `max_event_bytes`.
    pub fn with_max_event_bytes(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes,
            line: Vec::new(),
            skip_lf: false,
            discarding_line: false,
            at_stream_start: true,
            block: Block::default(),
        }
    }

    /// Parses `chunk` and appends every item it completes to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<SseItem>) {
        if self.skip_lf && !chunk.is_empty() {
            self.skip_lf = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }

        while let Some(end) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            if self.discarding_line {
                self.discarding_line = false;
            } else if self.line.is_empty() {
                self.process_line(&chunk[..end], out);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&chunk[..end]);
                self.process_line(&line, out);
                line.clear();
                self.line = line;
            }

            let ending_len = if chunk[end] == b'\r' {
                match chunk.get(end + 1) {
                    Some(b'\n') => 2,
                    Some(_) => 1,
                    None => {
                        self.skip_lf = true;
                        1
                    }
                }
            } else {
                1
            };
            chunk = &chunk[end + ending_len..];
        }

        self.buffer_partial_line(chunk);
    }

    /// Ends the stream. Per the standard, a block that was not closed by a
    /// blank line is discarded; returns whether such a partial event existed.
    pub fn finish(&mut self) -> bool {
        let partial = !self.line.is_empty() || self.block.size > 0 || self.block.too_large;
        self.line.clear();
        self.block = Block::default();
        self.skip_lf = false;
        self.discarding_line = false;
        self.at_stream_start = true;
        partial
    }

    fn buffer_partial_line(&mut self, rest: &[u8]) {
        if rest.is_empty() || self.discarding_line {
            return;
        }
        if self.block.size + self.line.len() + rest.len() > self.max_event_bytes {
            self.line.clear();
            self.discarding_line = true;
            self.block.too_large = true;
            return;
        }
        self.line.extend_from_slice(rest);
    }

    fn process_line(&mut self, mut line: &[u8], out: &mut Vec<SseItem>) {
        if self.at_stream_start {
            // The first line is buffered until its line ending, so a BOM split
            // between chunks has been joined by now.
            if line.starts_with(BOM) {
                line = &line[BOM.len()..];
            }
            self.at_stream_start = false;
        }

        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if self.block.too_large {
            return;
        }
        if let Some(comment) = line.strip_prefix(b":") {
            let text = comment.strip_prefix(b" ").unwrap_or(comment);
            out.push(SseItem::Comment(String::from_utf8_lossy(text).into_owned()));
            return;
        }

        self.block.size += line.len();
        if self.block.size > self.max_event_bytes {
            self.block.too_large = true;
            return;
        }

        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        self.process_field(name, value, out);
    }

    fn process_field(&mut self, name: &[u8], value: &[u8], out: &mut Vec<SseItem>) {
        match name {
            b"event" => self.block.event = Some(value.to_vec()),
            b"data" => {
                if self.block.has_data {
                    self.block.data.push(b'\n');
                }
                self.block.data.extend_from_slice(value);
                self.block.has_data = true;
            }
            // The standard ignores an id that contains NUL.
            b"id" if !value.contains(&0) => self.block.id = Some(value.to_vec()),
            b"retry" => {
                if let Some(milliseconds) = parse_retry(value) {
                    out.push(SseItem::Retry(milliseconds));
                }
            }
            // Unknown field names are ignored, as the standard requires.
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseItem>) {
        let block = std::mem::take(&mut self.block);
        if block.too_large {
            out.push(SseItem::Invalid(SseError::TooLarge {
                max_bytes: self.max_event_bytes,
            }));
            return;
        }
        if !block.has_data {
            // A block without data dispatches nothing; an id in it is dropped
            // because the consumer only stores ids of events it processed.
            return;
        }

        let id = match block.id.map(String::from_utf8).transpose() {
            Ok(id) => id,
            Err(_) => {
                out.push(SseItem::Invalid(SseError::InvalidUtf8 { field: "id", id: None }));
                return;
            }
        };
        let event = match block.event.map(String::from_utf8).transpose() {
            Ok(event) => event
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| "message".to_owned()),
            Err(_) => {
                out.push(SseItem::Invalid(SseError::InvalidUtf8 { field: "event", id }));
                return;
            }
        };
        let data = match String::from_utf8(block.data) {
            Ok(data) => data,
            Err(_) => {
                out.push(SseItem::Invalid(SseError::InvalidUtf8 { field: "data", id }));
                return;
            }
        };
        out.push(SseItem::Event(SseEvent { event, data, id }));
    }
}

/// Parses a `retry` value, which the standard accepts only as ASCII digits.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseItem> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out);
        }
        out
    }

    fn event(event: &str, data: &str, id: Option<&str>) -> SseItem {
        SseItem::Event(SseEvent {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.map(str::to_owned),
        })
    }

    #[test]
    fn parses_eventstreams_frame() {
        let items = parse_chunks(&[b":ok\n\nevent: message\nid: [1]\ndata: {\"a\":1}\n\n"]);
        assert_eq!(
            items,
            vec![
                SseItem::Comment("ok".to_owned()),
                event("message", "{\"a\":1}", Some("[1]"))
            ]
        );
    }

    #[test]
    fn joins_multiline_data_with_lf() {
        let items = parse_chunks(&[b"data: one\ndata:two\ndata\n\n"]);
        assert_eq!(items, vec![event("message", "one\ntwo\n", None)]);
    }

    #[test]
    fn accepts_cr_lf_and_crlf_endings() {
        let items = parse_chunks(&[b"data: a\r\rdata: b\n\ndata: c\r\n\r\n"]);
        assert_eq!(
            items,
            vec![
                event("message", "a", None),
                event("message", "b", None),
                event("message", "c", None)
            ]
        );
    }

    #[test]
    fn crlf_split_between_chunks() {
        let items = parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]);
        assert_eq!(items, vec![event("message", "a\nb", None)]);
    }

    #[test]
    fn cr_at_chunk_end_then_other_byte() {
        let items = parse_chunks(&[b"data: a\r", b"\r"]);
        assert_eq!(items, vec![event("message", "a", None)]);
    }

    #[test]
    fn utf8_character_split_between_chunks() {
        let text = "data: {\"title\":\"사용자\"}\n\n".as_bytes();
        let split = text.iter().position(|&b| b >= 0x80).unwrap() + 1;
        let items = parse_chunks(&[&text[..split], &text[split..]]);
        assert_eq!(items, vec![event("message", "{\"title\":\"사용자\"}", None)]);
    }

    #[test]
    fn invalid_utf8_fails_only_its_event() {
        let items = parse_chunks(&[b"id: 1\ndata: \xff\xfe\n\nid: 2\ndata: ok\n\n"]);
        assert_eq!(
            items,
            vec![
                SseItem::Invalid(SseError::InvalidUtf8 {
                    field: "data",
                    id: Some("1".to_owned())
                }),
                event("message", "ok", Some("2")),
            ]
        );
    }

    #[test]
    fn invalid_utf8_in_id_and_event_name() {
        let items = parse_chunks(&[b"id: \xc3\ndata: x\n\nevent: \xc3(\ndata: y\n\n"]);
        assert_eq!(
            items,
            vec![
                SseItem::Invalid(SseError::InvalidUtf8 { field: "id", id: None }),
                SseItem::Invalid(SseError::InvalidUtf8 {
                    field: "event",
                    id: None
                }),
            ]
        );
    }

    #[test]
    fn ids_are_not_carried_over() {
        let items = parse_chunks(&[b"id: 7\ndata: a\n\ndata: b\n\n"]);
        assert_eq!(
            items,
            vec![event("message", "a", Some("7")), event("message", "b", None)]
        );
    }

    #[test]
    fn block_without_data_dispatches_nothing() {
        let items = parse_chunks(&[b"id: 7\nevent: x\n\n"]);
        assert!(items.is_empty(), "{items:?}");
    }

    #[test]
    fn retry_and_unknown_fields() {
        let items = parse_chunks(&[b"retry: 1500\nretry: soon\nfoo: bar\nnocolon\ndata: x\n\n"]);
        assert_eq!(items, vec![SseItem::Retry(1500), event("message", "x", None)]);
    }

    #[test]
    fn error_event_type() {
        let items = parse_chunks(&[b"event: error\ndata: {\"message\":\"boom\"}\n\n"]);
        assert_eq!(items, vec![event("error", "{\"message\":\"boom\"}", None)]);
    }

    #[test]
    fn byte_order_mark_dropped_at_start() {
        let items = parse_chunks(&[b"\xEF\xBB", b"\xBFdata: x\n\n"]);
        assert_eq!(items, vec![event("message", "x", None)]);
    }

    #[test]
    fn finish_discards_unterminated_event() {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        parser.feed(b"data: complete\n\ndata: partial\n", &mut out);
        assert!(parser.finish());
        assert_eq!(out, vec![event("message", "complete", None)]);
        assert!(!parser.finish());
    }

    #[test]
    fn oversized_event_is_discarded() {
        let mut parser = SseParser::with_max_event_bytes(32);
        let mut out = Vec::new();
        parser.feed(b"data: ", &mut out);
        parser.feed(&[b'x'; 100], &mut out);
        parser.feed(b"\ndata: more\n\ndata: small\n\n", &mut out);
        assert_eq!(
            out,
            vec![
                SseItem::Invalid(SseError::TooLarge { max_bytes: 32 }),
                event("message", "small", None)
            ]
        );
    }

    /// Splits the same stream at random offsets many times: the items must
    /// not depend on where the chunks end.
    #[test]
    fn random_chunking_gives_same_items() {
        let stream = "\u{FEFF}:ok\r\n\r\nevent: message\r\nid: [{\"t\":1}]\r\ndata: {\"title\":\"Livre:Œuvres complètes.djvu\"}\r\n\r\n\
             data: 廢后\rdata: line2\r\r\
             id: 3\ndata: \u{1F4D6}\n\n: comment\nretry: 10\n\n"
            .as_bytes()
            .to_vec();
        let expected = parse_chunks(&[&stream]);
        assert_eq!(expected.len(), 6, "{expected:?}");

        let mut rng = StdRng::seed_from_u64(0x5eed);
        for _ in 0..2000 {
            let mut parser = SseParser::new();
            let mut out = Vec::new();
            let mut rest = &stream[..];
            while !rest.is_empty() {
                let take = rng.random_range(1..=rest.len().min(9));
                parser.feed(&rest[..take], &mut out);
                rest = &rest[take..];
            }
            assert_eq!(out, expected);
        }
    }

    /// Feeds random bytes with line endings and field names mixed in; the
    /// parser must not panic on any of them.
    #[test]
    fn random_bytes_never_panic() {
        let alphabet: &[&[u8]] = &[
            b"\n", b"\r", b"\r\n", b":", b" ", b"data", b"id", b"event", b"retry", b"\xff", b"\xc3", b"\xa9", b"9",
            b"\0",
        ];
        let mut rng = StdRng::seed_from_u64(42);
        for _ in 0..500 {
            let mut parser = SseParser::with_max_event_bytes(64);
            let mut out = Vec::new();
            for _ in 0..rng.random_range(0..200) {
                let piece: Vec<u8> = if rng.random_bool(0.7) {
                    alphabet[rng.random_range(0..alphabet.len())].to_vec()
                } else {
                    (0..rng.random_range(0..20)).map(|_| rng.random::<u8>()).collect()
                };
                parser.feed(&piece, &mut out);
            }
            parser.finish();
        }
    }
}
