//! A local SSE server that replays recorded frames the way EventStreams
//! serves them, with faults for tests.
//!
//! `GET /v2/stream/<streams>` responds with `:ok` and then every frame of the
//! requested streams (aliases such as `recentchange` accepted). Unlike
//! EventStreams, a request without `Last-Event-ID` or `since=` starts at the
//! first frame, not at the newest one, so that a test receives every frame.
//!
//! * `Last-Event-ID: <id>` resumes after the frame with that id. The id is
//!   compared as JSON when it parses as JSON, so key order and whitespace do
//!   not matter. An unknown id gets HTTP 400, as EventStreams does
//!   for an id it cannot assign.
//! * `?since=<RFC 3339 time or epoch milliseconds>` starts at the first frame
//!   whose `meta.dt` is not earlier; an unparsable value gets HTTP 400.
//! * After the last frame the connection stays open and silent, like a quiet
//!   live stream, unless [`Faults::close_at_end`] is set.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::event::canonical_stream_name;
use crate::sse::{SseItem, SseParser};

/// One frame as sent on the wire, with what the server needs to know about it.
#[derive(Debug, Clone)]
pub struct Frame {
    bytes: Bytes,
    id: Option<String>,
    id_json: Option<serde_json::Value>,
    stream: Option<&'static str>,
    dt: Option<DateTime<Utc>>,
}

impl Frame {
    /// Builds an `event: message` frame with this SSE id and data. The stream and
    /// time for filtering come from `meta.stream` (or `meta.topic`) and
    /// `meta.dt` of the data, when it is JSON.
    pub fn message(id: &str, data: &str) -> Frame {
        Frame::event("message", Some(id), data)
    }

    /// Builds a frame of any event type; `id` is left out when `None`.
    pub fn event(event: &str, id: Option<&str>, data: &str) -> Frame {
        let mut text = format!("event: {event}\n");
        if let Some(id) = id {
            text.push_str(&format!("id: {id}\n"));
        }
        for line in data.split('\n') {
            text.push_str(&format!("data: {line}\n"));
        }
        text.push('\n');

        let (stream, dt) = stream_and_dt(data);
        Frame {
            bytes: Bytes::from(text),
            id: id.map(str::to_owned),
            id_json: id.and_then(|id| serde_json::from_str(id).ok()),
            stream,
            dt,
        }
    }

    /// Bytes sent as they are (for malformed input). A raw frame has no id,
    /// so it is never a resume point, and it is sent for every stream.
    pub fn raw(bytes: impl Into<Bytes>) -> Frame {
        Frame {
            bytes: bytes.into(),
            id: None,
            id_json: None,
            stream: None,
            dt: None,
        }
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Canonical stream of the frame's event, if its data names one.
    pub fn stream(&self) -> Option<&'static str> {
        self.stream
    }

    fn has_id(&self, id: &str) -> bool {
        match (&self.id_json, serde_json::from_str::<serde_json::Value>(id)) {
            (Some(own), Ok(other)) => *own == other,
            _ => self.id.as_deref() == Some(id),
        }
    }
}

fn stream_and_dt(data: &str) -> (Option<&'static str>, Option<DateTime<Utc>>) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(data) else {
        return (None, None);
    };
    let meta = value.get("meta");
    let text = |key: &str| meta.and_then(|meta| meta.get(key)).and_then(|value| value.as_str());
    let stream = text("stream")
        .or_else(|| text("topic").and_then(|topic| topic.split_once('.').map(|(_, stream)| stream)))
        .and_then(canonical_stream_name);
    let dt = text("dt")
        .and_then(|dt| DateTime::parse_from_rfc3339(dt).ok())
        .map(|dt| dt.with_timezone(&Utc));
    (stream, dt)
}

/// Splits an SSE capture into frames; comments are dropped, because the
/// server sends its own `:ok`.
pub fn frames_from_sse(capture: &[u8]) -> Vec<Frame> {
    let mut parser = SseParser::new();
    let mut items = Vec::new();
    parser.feed(capture, &mut items);
    parser.finish();
    items
        .into_iter()
        .filter_map(|item| match item {
            SseItem::Event(event) => Some(Frame::event(&event.event, event.id.as_deref(), &event.data)),
            _ => None,
        })
        .collect()
}

/// Returns the recorded frames shipped in `tests/fixtures/eventstreams`: the 2021 and
/// 2025 captures of `mediawiki.recentchange`, then the constructed Wikisource
/// frames (uploads, Index creations, a canary), in time order.
pub fn recorded_frames() -> Vec<Frame> {
    let mut frames = frames_from_sse(include_bytes!(
        "../../../tests/fixtures/eventstreams/sse-sample-2021.txt"
    ));
    frames.extend(frames_from_sse(include_bytes!(
        "../../../tests/fixtures/eventstreams/sse-sample.txt"
    )));
    frames.extend(frames_from_sse(include_bytes!(
        "../../../tests/fixtures/eventstreams/wikisource-constructed.sse"
    )));
    frames
}

/// `count` frames for load tests: the `message` frames of
/// [`recorded_frames`] repeated in order, each copy with a fresh `meta.id`,
/// a `meta.dt` one millisecond after the previous frame and a matching SSE id.
pub fn synthetic_frames(count: usize) -> Vec<Frame> {
    let templates: Vec<serde_json::Value> = recorded_frames()
        .iter()
        .filter_map(|frame| {
            let mut items = Vec::new();
            SseParser::new().feed(frame.bytes(), &mut items);
            match items.into_iter().next() {
                Some(SseItem::Event(event)) if event.event == "message" => serde_json::from_str(&event.data).ok(),
                _ => None,
            }
        })
        .collect();
    let start_ms: i64 = 1_756_450_000_000;
    (0..count)
        .map(|index| {
            let mut data = templates[index % templates.len()].clone();
            let ms = start_ms + index as i64;
            let dt = DateTime::from_timestamp_millis(ms).unwrap_or_default();
            if let Some(meta) = data.get_mut("meta").and_then(|meta| meta.as_object_mut()) {
                meta.insert("id".to_owned(), uuid::Uuid::new_v4().to_string().into());
                meta.insert(
                    "dt".to_owned(),
                    dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into(),
                );
            }
            let topic = data
                .pointer("/meta/topic")
                .and_then(|topic| topic.as_str())
                .unwrap_or("eqiad.mediawiki.recentchange")
                .to_owned();
            let id = format!(r#"[{{"topic":"{topic}","partition":0,"timestamp":{}}}]"#, ms + 1);
            Frame::message(&id, &data.to_string())
        })
        .collect()
}

/// Faults the server injects. The default injects none.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// End each response after this many frames.
    pub cut_every: Option<usize>,
    /// When cutting, first send the start of the next frame, up to and
    /// including the first byte of its first multi-byte UTF-8 character (or
    /// half the frame if it has none).
    pub cut_mid_frame: bool,
    /// Cut by aborting the connection (a transport error for the client)
    /// instead of ending the chunked body cleanly.
    pub cut_abruptly: bool,
    /// Write each frame in pieces of these sizes in bytes, used in turn; empty
    /// writes each frame whole.
    pub chunk_sizes: Vec<usize>,
    /// Stop sending after this many frames of each response and keep the
    /// connection open without a byte.
    pub stall_after: Option<usize>,
    /// Respond to the first this many requests with HTTP 429.
    pub too_many_requests: usize,
    /// `Retry-After` seconds sent with the 429 responses.
    pub retry_after_seconds: u64,
    /// Respond with HTTP 400 to every request that carries `Last-Event-ID`, as
    /// EventStreams does when the position has left its retention.
    pub reject_resume_ids: bool,
    /// End the response after the last frame instead of staying open.
    pub close_at_end: bool,
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub at: Instant,
    /// The `{streams}` path segment.
    pub streams: String,
    pub last_event_id: Option<String>,
    pub since: Option<String>,
    pub user_agent: Option<String>,
    pub status: u16,
}

struct ServerState {
    frames: Vec<Frame>,
    faults: Faults,
    requests: Mutex<Vec<RequestRecord>>,
    open_streams: AtomicUsize,
    max_open_streams: AtomicUsize,
    shutdown: CancellationToken,
}

/// A running replay server; stopped by [`ReplayServer::shutdown`] or on drop.
pub struct ReplayServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ReplayServer {
    /// Starts the server on an ephemeral port of 127.0.0.1.
    pub async fn start(frames: Vec<Frame>, faults: Faults) -> std::io::Result<ReplayServer> {
        ReplayServer::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), frames, faults).await
    }

    /// Starts the server on `addr`.
    pub async fn start_on(addr: SocketAddr, frames: Vec<Frame>, faults: Faults) -> std::io::Result<ReplayServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ServerState {
            frames,
            faults,
            requests: Mutex::new(Vec::new()),
            open_streams: AtomicUsize::new(0),
            max_open_streams: AtomicUsize::new(0),
            shutdown: CancellationToken::new(),
        });
        let router = Router::new()
            .route("/v2/stream/{streams}", get(serve_stream))
            .with_state(Arc::clone(&state));
        let stop = state.shutdown.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "replay server failed");
            }
        });
        tracing::info!(%addr, "replay server listening");
        Ok(ReplayServer {
            addr,
            state,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// URL to use as [`crate::StreamConfig::base_url`].
    pub fn base_url(&self) -> String {
        format!("http://{}/v2/stream", self.addr)
    }

    /// Returns every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state
            .requests
            .lock()
            .map(|requests| requests.clone())
            .unwrap_or_default()
    }

    /// Most streaming responses that were open at the same time.
    pub fn max_open_streams(&self) -> usize {
        self.state.max_open_streams.load(Ordering::SeqCst)
    }

    /// Stops accepting, ends open responses and waits for the server task.
    pub async fn shutdown(mut self) {
        self.state.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.state.shutdown.cancel();
    }
}

async fn serve_stream(
    State(state): State<Arc<ServerState>>,
    Path(streams): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
            .map(str::to_owned)
    };
    let last_event_id = header_text("last-event-id");
    let since = query.get("since").cloned();
    let user_agent = header_text(header::USER_AGENT.as_str());

    let answer = choose_answer(&state, &streams, last_event_id.as_deref(), since.as_deref());
    let status = match &answer {
        Ok(_) => StatusCode::OK,
        Err((status, _, _)) => *status,
    };
    if let Ok(mut requests) = state.requests.lock() {
        requests.push(RequestRecord {
            at: Instant::now(),
            streams: streams.clone(),
            last_event_id,
            since,
            user_agent,
            status: status.as_u16(),
        });
    }

    match answer {
        Ok((start, wanted)) => stream_response(state, start, wanted),
        Err((status, retry_after, message)) => {
            let mut response = (status, message).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

type Rejection = (StatusCode, Option<u64>, String);

/// Returns the first frame index and the wanted streams, or the error response.
fn choose_answer(
    state: &ServerState,
    streams: &str,
    last_event_id: Option<&str>,
    since: Option<&str>,
) -> Result<(usize, Vec<&'static str>), Rejection> {
    let request_number = state.requests.lock().map(|requests| requests.len()).unwrap_or(0);
    if request_number < state.faults.too_many_requests {
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            Some(state.faults.retry_after_seconds),
            "Too Many Concurrent Connections From Your Client IP".to_owned(),
        ));
    }

    let mut wanted = Vec::new();
    for name in streams.split(',') {
        match canonical_stream_name(name) {
            Some(stream) => wanted.push(stream),
            None => return Err((StatusCode::BAD_REQUEST, None, format!("Stream Not Found: {name}"))),
        }
    }

    if let Some(id) = last_event_id {
        if state.faults.reject_resume_ids {
            return Err((
                StatusCode::BAD_REQUEST,
                None,
                "Invalid assignments in Last-Event-ID".to_owned(),
            ));
        }
        return match state.frames.iter().position(|frame| frame.has_id(id)) {
            Some(index) => Ok((index + 1, wanted)),
            None => Err((StatusCode::BAD_REQUEST, None, format!("Unknown Last-Event-ID: {id}"))),
        };
    }
    if let Some(since) = since {
        let Some(since) = parse_since(since) else {
            return Err((StatusCode::BAD_REQUEST, None, format!("invalid_timestamp: {since}")));
        };
        let start = state
            .frames
            .iter()
            .position(|frame| frame.dt.is_some_and(|dt| dt >= since));
        return Ok((start.unwrap_or(state.frames.len()), wanted));
    }
    Ok((0, wanted))
}

fn parse_since(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(milliseconds) = text.parse::<i64>() {
        return DateTime::from_timestamp_millis(milliseconds);
    }
    DateTime::parse_from_rfc3339(text).ok().map(|dt| dt.with_timezone(&Utc))
}

fn stream_response(state: Arc<ServerState>, start: usize, wanted: Vec<&'static str>) -> Response {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(write_frames(state, start, wanted, sender));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Writes one response body through `sender`; ends when the client is gone,
/// the server shuts down, or a fault ends the response.
async fn write_frames(
    state: Arc<ServerState>,
    start: usize,
    wanted: Vec<&'static str>,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let open = state.open_streams.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_open_streams.fetch_max(open, Ordering::SeqCst);
    let mut writer = ChunkWriter {
        sender,
        sizes: &state.faults.chunk_sizes,
        next_size: 0,
    };
    let faults = &state.faults;

    let finished = async {
        writer.send(Bytes::from_static(b":ok\n\n")).await?;
        let frames = state.frames[start.min(state.frames.len())..]
            .iter()
            .filter(|frame| frame.stream.is_none_or(|stream| wanted.contains(&stream)));
        for (sent, frame) in frames.enumerate() {
            if faults.stall_after == Some(sent) {
                return Some(End::Stall);
            }
            if faults.cut_every == Some(sent) {
                if faults.cut_mid_frame {
                    writer.send(frame.bytes.slice(..mid_frame_cut(&frame.bytes))).await?;
                }
                return Some(End::Cut);
            }
            writer.send(frame.bytes.clone()).await?;
        }
        Some(if faults.close_at_end { End::Cut } else { End::Stall })
    }
    .await;

    match finished {
        Some(End::Stall) => {
            tokio::select! {
                _ = state.shutdown.cancelled() => {}
                _ = writer.sender.closed() => {}
            }
        }
        Some(End::Cut) if faults.cut_abruptly => {
            let _ = writer
                .sender
                .send(Err(std::io::Error::other("connection cut by the replay server")))
                .await;
        }
        Some(End::Cut) | None => {}
    }
    state.open_streams.fetch_sub(1, Ordering::SeqCst);
}

enum End {
    Stall,
    Cut,
}

/// Offset just after the first byte of the frame's first multi-byte UTF-8
/// character, or half the frame if it has none.
fn mid_frame_cut(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&byte| byte >= 0xC0) {
        Some(lead) => lead + 1,
        None => bytes.len() / 2,
    }
}

/// Sends bytes in the configured piece sizes.
struct ChunkWriter<'a> {
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    sizes: &'a [usize],
    next_size: usize,
}

impl ChunkWriter<'_> {
    /// Returns `None` when the client is gone.
    async fn send(&mut self, mut bytes: Bytes) -> Option<()> {
        while !bytes.is_empty() {
            let size = match self.sizes {
                [] => bytes.len(),
                sizes => sizes[self.next_size % sizes.len()].max(1),
            };
            self.next_size += 1;
            let piece = bytes.split_to(size.min(bytes.len()));
            self.sender.send(Ok(piece)).await.ok()?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_frames_have_unique_ids() {
        let frames = recorded_frames();
        assert_eq!(frames.len(), 1 + 9 + 12);
        for (index, frame) in frames.iter().enumerate() {
            let id = frame.id().unwrap();
            assert_eq!(frames.iter().position(|other| other.has_id(id)), Some(index), "id {id}");
        }
    }

    #[test]
    fn frame_ids_compare_as_json() {
        let frame = Frame::message(r#"[{"topic":"t","partition":0,"timestamp":5}]"#, "{}");
        assert!(frame.has_id(r#"[ {"timestamp":5, "topic":"t", "partition":0} ]"#));
        assert!(!frame.has_id(r#"[{"topic":"t","partition":0,"timestamp":6}]"#));
    }

    #[test]
    fn capture_round_trips_byte_for_byte() {
        let capture = include_bytes!("../../../tests/fixtures/eventstreams/sse-sample.txt");
        let frames = frames_from_sse(capture);
        let mut rebuilt = b":ok\n\n".to_vec();
        for frame in &frames {
            rebuilt.extend_from_slice(frame.bytes());
        }
        assert_eq!(String::from_utf8_lossy(&rebuilt), String::from_utf8_lossy(capture));
    }

    #[test]
    fn frames_know_stream_and_time() {
        let frames = recorded_frames();
        assert_eq!(frames[0].stream, Some("mediawiki.recentchange"));
        assert!(frames.iter().any(|frame| frame.stream == Some("mediawiki.page-create")));
        assert!(frames.iter().all(|frame| frame.dt.is_some()));
    }

    #[test]
    fn mid_frame_cut_lands_inside_a_character() {
        let bytes = "data: Œuvres\n\n".as_bytes();
        let cut = mid_frame_cut(bytes);
        assert!(std::str::from_utf8(&bytes[..cut]).is_err());
    }

    #[test]
    fn synthetic_frames_are_distinct() {
        let frames = synthetic_frames(50);
        assert_eq!(frames.len(), 50);
        assert_ne!(frames[0].id(), frames[1].id());
        assert_ne!(frames[0].bytes(), frames[22].bytes(), "same template, fresh meta.id");
    }
}
