//! EventStreams consumer of phetools.
//!
//! Reads Wikimedia's EventStreams service (server-sent events) over one
//! connection and turns matching events into jobs of the PostgreSQL queue,
//! following the rules in `streams.toml`. Each module covers one concern:
//!
//! * [`sse`]: byte-level SSE parser.
//! * [`event`]: lenient decoding of event envelopes into [`ChangeEvent`].
//! * [`rules`]: the rules file and the jobs it produces.
//! * [`StreamConsumer`]: connection, resume, backoff, batches and the leader
//!   lock that keeps one consumer per database.
//! * [`stream_status`]: position, lag, counters and gaps for the status page.
//! * [`replay`]: a local SSE server replaying recorded frames, with faults.
//! * [`bench_consume`]: throughput of the pipeline on recorded frames.
//!
//! Delivery is at least once: a batch's jobs, the ids of the events that
//! produced them and the stream position commit in one transaction, and a
//! replayed event is recognised by its `meta.id`.
//!
//! The SSE parser is our own rather than the `eventsource-client` crate's. The
//! consumer owns every reconnect: the resume id comes from the transaction that
//! stored it, a rejected id switches to `?since=` and records a gap, a 429 or 5xx
//! response waits for its `Retry-After`, and a silent connection is dropped. That
//! client runs its own reconnect loop with its own copy of the last id, so using
//! it would mean turning that loop off and keeping only the parser, which is the
//! small part.

mod backoff;
mod bench;
mod config;
mod consumer;
pub mod event;
mod leader;
mod pipeline;
pub mod replay;
pub mod rules;
pub mod sse;
mod status;
mod store;

pub use bench::{bench_consume, BenchError, BenchReport};
pub use config::{default_user_agent, ConfigError, StreamConfig, DEFAULT_BASE_URL};
pub use consumer::{ConsumerError, StreamConsumer};
pub use event::{decode_event, ChangeEvent, ChangeKind, DecodedEvent, EventError};
pub use replay::{Faults, Frame, ReplayServer};
pub use rules::{Rules, RulesError};
pub use status::{stream_status, MetricsSnapshot, StreamGap, StreamMetrics, StreamStatus};
pub use store::StoreError;
