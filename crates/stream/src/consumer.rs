//! The stream consumer: one SSE connection, resumed after every disconnect.
//!
//! ```text
//!            ┌──────────────── reconnect after backoff ◄─────────────────┐
//!            ▼                                                           │
//!  GET /v2/stream/<streams>  ── 200 ──► read, apply batches ── EOF, transport error,
//!  (Last-Event-ID or since=)                                    idle timeout
//!            │ 429 / 5xx (Retry-After) ──────────────────────────────────┤
//!            │ 400 to Last-Event-ID ──► gap row, retry with since= ──────┤
//!            │ 400 to since= ─────────► gap row, retry from newest ──────┘
//!            └ any other status ──────► stop with ConsumerError::Rejected
//! ```
//!
//! Each batch commits its jobs, the `meta.id`s of the events that produced
//! them and the SSE id of its last event in one transaction, so a crash
//! between two batches loses nothing and applies nothing twice. Resuming by
//! id is exact with the replay server but only timestamp-precise with
//! EventStreams; replayed events are skipped by `meta.id`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{FutureExt, StreamExt};
use rand::rngs::StdRng;
use rand::SeedableRng;
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use phetools_stats::WikiDirectory;

use crate::backoff::{backoff_delay, parse_retry_after};
use crate::config::{ConfigError, StreamConfig};
use crate::leader::{LeaderFence, LeaderLock};
use crate::pipeline::EventProcessor;
use crate::rules::{Rules, RulesError};
use crate::sse::{SseItem, SseParser};
use crate::status::StreamMetrics;
use crate::store::{self, Batch, StoreError};

/// Longest prefix of an error response body kept for logs and errors.
const ERROR_BODY_BYTES: usize = 1024;

/// Reads the configured streams and enqueues the jobs that the rules produce.
pub struct StreamConsumer {
    pool: PgPool,
    config: StreamConfig,
    rules: Arc<Rules>,
    wikis: Arc<WikiDirectory>,
    url: url::Url,
    http: reqwest::Client,
    metrics: Arc<StreamMetrics>,
}

/// Error that stops the consumer without a shutdown request.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("EventStreams returned HTTP {status} for {url}: {body:?}; check base_url and the stream names in the rules file")]
    Rejected { url: String, status: u16, body: String },
}

/// Start point of the next connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resume {
    /// After the event with this SSE id, sent as `Last-Event-ID`.
    AfterId { id: String, dt: Option<DateTime<Utc>> },
    /// At this time (`?since=`), after the server rejected a resume id.
    Since(DateTime<Utc>),
    /// At the newest event: the first start, or after `since=` was rejected too.
    Newest,
}

/// Outcome of one connection.
enum ConnectionEnd {
    Shutdown,
    /// The body ended, failed or stayed silent; `events` were applied from it.
    Closed {
        reason: String,
        events: u64,
    },
    /// The request failed or got 408, 429 or 5xx.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// HTTP 400 to a request that carried a resume id or `since=`.
    ResumeRejected {
        reason: String,
    },
    Fatal(ConsumerError),
    LeaderLost,
}

/// Reason for leaving the leader role.
enum LeadEnd {
    LeaderLost,
    Fatal(ConsumerError),
}

impl StreamConsumer {
    /// Validates `config` and builds the HTTP client.
    pub fn new(pool: PgPool, config: StreamConfig, rules: Rules) -> Result<Self, ConsumerError> {
        config.validate()?;
        let url = config.stream_url(rules.streams())?;
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(Duration::from_secs(30))
            // A gzip-compressed SSE body reaches the parser only when the
            // server flushes its compressor, which can delay events.
            .no_gzip()
            .build()
            .map_err(ConsumerError::HttpClient)?;
        Ok(StreamConsumer {
            pool,
            config,
            rules: Arc::new(rules),
            wikis: Arc::new(WikiDirectory::shipped()),
            url,
            http,
            metrics: Arc::default(),
        })
    }

    /// Replaces the wikis whose statistics events are decoded (by default the
    /// shipped Wikisource table), such as with [`WikiDirectory::load`].
    pub fn with_wikis(mut self, wikis: WikiDirectory) -> Self {
        self.wikis = Arc::new(wikis);
        self
    }

    /// Loads the rules from `config.rules_path`, then as [`StreamConsumer::new`].
    pub fn from_config(pool: PgPool, config: StreamConfig) -> Result<Self, ConsumerError> {
        let rules = Rules::load(&config.rules_path)?;
        StreamConsumer::new(pool, config, rules)
    }

    /// Counters of this process, shared with the running consumer.
    pub fn metrics(&self) -> Arc<StreamMetrics> {
        Arc::clone(&self.metrics)
    }

    /// Runs until `shutdown` is cancelled: waits for the leader lock, then
    /// consumes while holding it. Returns an error only for a configuration
    /// the server rejects; network and database failures are retried.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), ConsumerError> {
        let span = tracing::info_span!("stream_consumer", consumer = %self.config.consumer);
        self.run_as_replica(shutdown).instrument(span).await
    }

    async fn run_as_replica(&self, shutdown: CancellationToken) -> Result<(), ConsumerError> {
        tracing::info!(url = %self.url, "stream consumer started");
        let mut waiting_logged = false;
        while !shutdown.is_cancelled() {
            match LeaderLock::try_acquire(&self.pool, &self.config.consumer).await {
                Ok(Some(lock)) => {
                    waiting_logged = false;
                    tracing::info!("leader lock acquired; consuming");
                    self.metrics.is_leader.store(true, Ordering::Relaxed);
                    let end = self.lead(lock, &shutdown).await;
                    self.metrics.is_leader.store(false, Ordering::Relaxed);
                    match end {
                        Ok(()) => break,
                        Err(LeadEnd::Fatal(error)) => {
                            tracing::error!(%error, "stream consumer stopped");
                            return Err(error);
                        }
                        Err(LeadEnd::LeaderLost) => {}
                    }
                }
                Ok(None) => {
                    if !waiting_logged {
                        tracing::info!("the leader lock is held by another process; waiting to take over");
                        waiting_logged = true;
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot try the leader lock; retrying"),
            }
            sleep_or_shutdown(self.config.leader_retry(), &shutdown).await;
        }
        tracing::info!("stream consumer stopped");
        Ok(())
    }

    /// Consumes while checking the lock connection; releases the lock at the end.
    async fn lead(&self, mut lock: LeaderLock, shutdown: &CancellationToken) -> Result<(), LeadEnd> {
        let fence = lock.fence();
        let check_every = self.config.leader_check();
        let end = {
            let consume = self.consume(Some(fence), shutdown);
            let watch = async {
                loop {
                    tokio::time::sleep(check_every).await;
                    if let Err(error) = lock.check(check_every).await {
                        return error;
                    }
                }
            };
            tokio::select! {
                end = consume => end,
                error = watch => {
                    tracing::error!(%error, "lost the leader lock connection; stopping consumption");
                    Err(LeadEnd::LeaderLost)
                }
            }
        };

        match end {
            Err(LeadEnd::LeaderLost) => {
                StreamMetrics::add(&self.metrics.leader_losses, 1);
                // The lock went with its connection; dropping closes what is left.
                drop(lock);
            }
            _ => lock.release().await,
        }
        end
    }

    /// Runs the reconnect loop, checking `fence` in every batch transaction.
    async fn consume(&self, fence: Option<LeaderFence>, shutdown: &CancellationToken) -> Result<(), LeadEnd> {
        // ThreadRng is not Send, so the loop keeps its own generator.
        let mut rng = StdRng::from_rng(&mut rand::rng());
        let mut attempt: u32 = 0;
        let mut resume = loop {
            match store::load_position(&self.pool, &self.config.consumer).await {
                Ok(Some(store::StoredPosition {
                    last_event_id: Some(id),
                    last_event_dt,
                })) => {
                    break Resume::AfterId { id, dt: last_event_dt };
                }
                Ok(_) => break Resume::Newest,
                Err(error) => {
                    let delay = backoff_delay(self.config.backoff_base(), self.config.backoff_max(), attempt, &mut rng);
                    tracing::warn!(%error, ?delay, "cannot read the stored stream position; retrying");
                    attempt = attempt.saturating_add(1);
                    if sleep_or_shutdown(delay, shutdown).await {
                        return Ok(());
                    }
                }
            }
        };
        let mut processor = EventProcessor::new(&self.rules, &self.wikis);
        let mut last_prune: Option<Instant> = None;

        loop {
            let mut retry_after = None;
            let end = self
                .connect_and_read(&mut resume, fence, shutdown, &mut processor, &mut last_prune)
                .await;
            match end {
                ConnectionEnd::Shutdown => return Ok(()),
                ConnectionEnd::LeaderLost => {
                    tracing::error!("the leader lock was lost during a batch; it was rolled back");
                    return Err(LeadEnd::LeaderLost);
                }
                ConnectionEnd::Fatal(error) => return Err(LeadEnd::Fatal(error)),
                ConnectionEnd::Closed { reason, events } => {
                    if events > 0 {
                        attempt = 0;
                    }
                    tracing::info!(%reason, events, "stream connection ended; reconnecting");
                }
                ConnectionEnd::Retry {
                    reason,
                    retry_after: after,
                } => {
                    tracing::warn!(%reason, retry_after = ?after, "stream request failed; retrying");
                    retry_after = after;
                }
                ConnectionEnd::ResumeRejected { reason } => {
                    resume = self.fall_back(resume, &reason).await;
                }
            }

            let mut delay = backoff_delay(self.config.backoff_base(), self.config.backoff_max(), attempt, &mut rng);
            if let Some(after) = retry_after {
                delay = delay.max(after);
            }
            if let Some(milliseconds) = processor.server_retry_ms {
                delay = delay.max(Duration::from_millis(milliseconds));
            }
            attempt = attempt.saturating_add(1);
            tracing::debug!(?delay, attempt, "waiting before reconnecting");
            if sleep_or_shutdown(delay, shutdown).await {
                return Ok(());
            }
        }
    }

    /// Chooses where to restart after the server rejected `rejected`, and
    /// records the possible gap.
    async fn fall_back(&self, rejected: Resume, reason: &str) -> Resume {
        let (next, rejected_id, gap_reason) = match rejected {
            Resume::AfterId { id, dt: Some(dt) } => {
                let since = dt - self.config.since_margin();
                (
                    Resume::Since(since),
                    Some(id),
                    format!("resume id rejected ({reason}); restarted from since={since}"),
                )
            }
            Resume::AfterId { id, dt: None } => (
                Resume::Newest,
                Some(id),
                format!("resume id rejected ({reason}) and no event time stored; restarted from the newest event"),
            ),
            Resume::Since(since) => (
                Resume::Newest,
                None,
                format!("since={since} rejected ({reason}); restarted from the newest event"),
            ),
            // `open` treats a 400 to a request without resume id or since= as
            // fatal, so this arm only keeps the match total.
            Resume::Newest => (
                Resume::Newest,
                None,
                format!("request rejected ({reason}); restarted from the newest event"),
            ),
        };
        let resumed_since = match &next {
            Resume::Since(since) => Some(*since),
            _ => None,
        };
        tracing::warn!(reason = %gap_reason, "possible gap in the event stream");
        StreamMetrics::add(&self.metrics.gaps, 1);
        if let Err(error) = store::record_gap(
            &self.pool,
            &self.config.consumer,
            rejected_id.as_deref(),
            resumed_since,
            &gap_reason,
        )
        .await
        {
            tracing::error!(%error, "cannot record the stream gap");
        }
        next
    }

    async fn connect_and_read(
        &self,
        resume: &mut Resume,
        fence: Option<LeaderFence>,
        shutdown: &CancellationToken,
        processor: &mut EventProcessor<'_>,
        last_prune: &mut Option<Instant>,
    ) -> ConnectionEnd {
        let response = match self.open(resume, shutdown).await {
            Ok(response) => response,
            Err(end) => return end,
        };
        let span = tracing::info_span!("stream_connection", resume = resume_label(resume));
        self.read_body(response, resume, fence, shutdown, processor, last_prune)
            .instrument(span)
            .await
    }

    /// Sends the request and sorts the status; `Ok` only for 200.
    async fn open(&self, resume: &Resume, shutdown: &CancellationToken) -> Result<reqwest::Response, ConnectionEnd> {
        let mut request = self.http.get(self.url.clone()).header(ACCEPT, "text/event-stream");
        match resume {
            Resume::AfterId { id, .. } => match HeaderValue::from_str(id) {
                Ok(value) => request = request.header("Last-Event-ID", value),
                Err(_) => {
                    return Err(ConnectionEnd::ResumeRejected {
                        reason: "the stored id cannot be sent as an HTTP header".to_owned(),
                    })
                }
            },
            Resume::Since(since) => {
                request = request.query(&[("since", since.to_rfc3339_opts(SecondsFormat::Millis, true))]);
            }
            Resume::Newest => {}
        }

        StreamMetrics::add(&self.metrics.connections, 1);
        tracing::info!(resume = resume_label(resume), "connecting to the event stream");
        let idle = self.config.idle_timeout();
        let sent = tokio::select! {
            _ = shutdown.cancelled() => return Err(ConnectionEnd::Shutdown),
            sent = tokio::time::timeout(idle, request.send()) => sent,
        };
        let response = match sent {
            Err(_) => return Err(retry(format!("no response within {idle:?}"), None)),
            Ok(Err(error)) => return Err(retry(format!("request failed: {error}"), None)),
            Ok(Ok(response)) => response,
        };

        let status = response.status();
        if status == StatusCode::OK {
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("");
            if !content_type.starts_with("text/event-stream") {
                return Err(retry(
                    format!("HTTP 200 with content type {content_type:?} instead of text/event-stream"),
                    None,
                ));
            }
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, Utc::now()));
        let body = read_body_prefix(response, idle).await;
        let reason = format!("HTTP {status}: {body:?}");

        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT || status.is_server_error()
        {
            return Err(retry(reason, retry_after));
        }
        if status == StatusCode::BAD_REQUEST && *resume != Resume::Newest {
            return Err(ConnectionEnd::ResumeRejected { reason });
        }
        Err(ConnectionEnd::Fatal(ConsumerError::Rejected {
            url: self.url.to_string(),
            status: status.as_u16(),
            body,
        }))
    }

    /// Reads events and applies them in batches until the connection ends.
    async fn read_body(
        &self,
        response: reqwest::Response,
        resume: &mut Resume,
        fence: Option<LeaderFence>,
        shutdown: &CancellationToken,
        processor: &mut EventProcessor<'_>,
        last_prune: &mut Option<Instant>,
    ) -> ConnectionEnd {
        let idle = self.config.idle_timeout();
        let mut body = response.bytes_stream();
        let mut parser = SseParser::with_max_event_bytes(self.config.max_event_bytes);
        let mut items: Vec<SseItem> = Vec::new();
        let mut applied: u64 = 0;

        loop {
            let next = tokio::select! {
                biased;
                _ = shutdown.cancelled() => return ConnectionEnd::Shutdown,
                next = tokio::time::timeout(idle, body.next()) => next,
            };
            let mut end = match next {
                Err(_) => Some(format!("no data for {idle:?}")),
                Ok(None) => Some("the server ended the stream".to_owned()),
                Ok(Some(Err(error))) => Some(format!("reading the stream failed: {error}")),
                Ok(Some(Ok(chunk))) => {
                    parser.feed(&chunk, &mut items);
                    None
                }
            };

            // Take whatever else has already arrived, so that one transaction
            // covers it.
            while end.is_none() && items.len() < self.config.max_batch_events {
                match body.next().now_or_never() {
                    None => break,
                    Some(Some(Ok(chunk))) => parser.feed(&chunk, &mut items),
                    Some(Some(Err(error))) => end = Some(format!("reading the stream failed: {error}")),
                    Some(None) => end = Some("the server ended the stream".to_owned()),
                }
            }
            if end.is_some() && parser.finish() {
                tracing::debug!(
                    "dropped an incomplete event at the end of the connection; it is read again after reconnecting"
                );
            }

            match self.apply_items(&mut items, processor, resume, fence).await {
                Ok(events) => applied += events,
                Err(StoreError::LeaderLost) => return ConnectionEnd::LeaderLost,
                Err(StoreError::Database(error)) => {
                    return retry(
                        format!("applying events failed: {error}; resuming from the last committed event"),
                        None,
                    )
                }
                // The pipeline validated every statistics event, so this is a database error too.
                Err(error @ StoreError::Stats(_)) => {
                    return retry(format!("{error}; resuming from the last committed event"), None)
                }
            }
            if let Some(reason) = end {
                return ConnectionEnd::Closed {
                    reason,
                    events: applied,
                };
            }
            self.prune_if_due(last_prune).await;
        }
    }

    /// Applies `items` in batches of at most `max_batch_events` events and
    /// moves `resume` past each committed batch. Returns the events applied.
    async fn apply_items(
        &self,
        items: &mut Vec<SseItem>,
        processor: &mut EventProcessor<'_>,
        resume: &mut Resume,
        fence: Option<LeaderFence>,
    ) -> Result<u64, StoreError> {
        let mut applied = 0;
        let mut batch = Batch::default();
        let mut drained = items.drain(..).peekable();
        while let Some(item) = drained.next() {
            processor.push(item, &mut batch);
            let full = batch.events_seen >= self.config.max_batch_events as u64;
            if full || drained.peek().is_none() {
                applied += self
                    .apply_batch(std::mem::take(&mut batch), processor, resume, fence)
                    .await?;
            }
        }
        Ok(applied)
    }

    async fn apply_batch(
        &self,
        batch: Batch,
        processor: &mut EventProcessor<'_>,
        resume: &mut Resume,
        fence: Option<LeaderFence>,
    ) -> Result<u64, StoreError> {
        let server_errors = std::mem::take(&mut processor.server_error_events);
        StreamMetrics::add(&self.metrics.server_error_events, server_errors);
        if batch.is_empty() {
            return Ok(0);
        }

        let outcome = store::apply_batch(&self.pool, &self.config.consumer, &batch, fence.as_ref()).await?;

        let metrics = &self.metrics;
        StreamMetrics::add(&metrics.events_seen, batch.events_seen);
        StreamMetrics::add(&metrics.canaries_dropped, batch.canaries_dropped);
        StreamMetrics::add(&metrics.events_malformed, batch.events_malformed);
        StreamMetrics::add(&metrics.duplicates_skipped, outcome.duplicates_skipped);
        StreamMetrics::add(&metrics.jobs_enqueued, outcome.jobs_inserted);
        StreamMetrics::add(&metrics.jobs_already_queued, outcome.jobs_existing);
        if !batch.stats_events.is_empty() {
            tracing::debug!(
                applied = outcome.stats_applied,
                ignored = outcome.stats_ignored,
                "statistics events of the batch"
            );
        }

        if let Some(id) = batch.last_event_id {
            let previous_dt = match resume {
                Resume::AfterId { dt, .. } => *dt,
                _ => None,
            };
            *resume = Resume::AfterId {
                id,
                dt: batch.last_event_dt.or(previous_dt),
            };
        }
        Ok(batch.events_seen)
    }

    async fn prune_if_due(&self, last_prune: &mut Option<Instant>) {
        if last_prune.is_some_and(|at| at.elapsed() < self.config.prune_interval()) {
            return;
        }
        *last_prune = Some(Instant::now());
        match store::prune_seen_events(&self.pool, &self.config.consumer, self.config.seen_event_retention()).await {
            Ok(0) => {}
            Ok(deleted) => tracing::debug!(deleted, "pruned old seen event ids"),
            Err(error) => tracing::warn!(%error, "cannot prune old seen event ids; retrying later"),
        }
    }
}

fn retry(reason: String, retry_after: Option<Duration>) -> ConnectionEnd {
    ConnectionEnd::Retry { reason, retry_after }
}

fn resume_label(resume: &Resume) -> &'static str {
    match resume {
        Resume::AfterId { .. } => "last-event-id",
        Resume::Since(_) => "since",
        Resume::Newest => "newest",
    }
}

/// Reads at most [`ERROR_BODY_BYTES`] of an error response, as lossy UTF-8.
async fn read_body_prefix(mut response: reqwest::Response, timeout: Duration) -> String {
    let mut body = Vec::new();
    let read = async {
        while body.len() < ERROR_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(timeout, read).await;
    body.truncate(ERROR_BODY_BYTES);
    String::from_utf8_lossy(&body).trim().to_owned()
}

/// Sleeps for `duration`; returns `true` if `shutdown` was cancelled first.
async fn sleep_or_shutdown(duration: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => true,
        _ = tokio::time::sleep(duration) => false,
    }
}
