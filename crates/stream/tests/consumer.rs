//! The consumer against the replay server and a real PostgreSQL database.
//!
//! The shipped rules' jobs come from `mediawiki.recentchange`, whose recorded
//! frames (2021 and 2025 captures plus the constructed Wikisource frames)
//! produce five `text_layer` jobs. Every fault must end with exactly those
//! five jobs and the position at the last frame.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use phetools_stream::replay::recorded_frames;
use phetools_stream::{stream_status, Faults, Frame, ReplayServer, Rules};
use serde_json::json;
use sqlx::PgPool;

/// Runs the shipped rules over the recentchange frames with `faults` and
/// checks the outcome every fault must reach. Returns the server for
/// fault-specific checks.
async fn consume_all_with(pool: &PgPool, faults: Faults, idle_timeout_seconds: f64) -> ReplayServer {
    init_tracing();
    let server = ReplayServer::start(recorded_frames(), faults).await.unwrap();
    let config = phetools_stream::StreamConfig {
        idle_timeout_seconds,
        ..test_config(&server)
    };
    let consumer = start_consumer(pool, config, Rules::shipped().unwrap());

    wait_for_position(pool, "test", &last_recentchange_id()).await;
    let metrics = consumer.metrics.snapshot();
    consumer.stop().await;

    assert_eq!(job_dedupe_keys(pool).await, expected_dedupe_keys());
    assert_eq!(seen_event_count(pool).await, 5);
    assert_eq!(metrics.jobs_enqueued, expected_dedupe_keys().len() as u64);
    assert_eq!(metrics.duplicates_skipped, 0);
    assert_eq!(metrics.events_seen, recentchange_frames().len() as u64);
    assert_eq!(metrics.canaries_dropped, 1);
    assert_eq!(metrics.events_malformed, 0);
    assert_eq!(gap_count(pool).await, 0);
    server
}

#[sqlx::test(migrations = "../../migrations")]
async fn consumes_every_frame_once(pool: PgPool) {
    let server = consume_all_with(&pool, Faults::default(), 5.0).await;

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one connection without faults: {requests:?}");
    assert_eq!(
        requests[0].streams,
        "mediawiki.recentchange,mediawiki.page_change.v1,mediawiki.page-properties-change,\
         mediawiki.revision-tags-change"
    );
    assert_eq!(
        requests[0].last_event_id, None,
        "no Last-Event-ID before an id was received"
    );
    let user_agent = requests[0].user_agent.as_deref().unwrap();
    assert!(user_agent.starts_with("phetools/"), "{user_agent}");

    let (kind, priority, payload): (String, i16, serde_json::Value) = sqlx::query_as(
        "SELECT kind, priority, payload FROM job
         WHERE dedupe_key = 'text_layer:commons.wikimedia.org:Le_Tour_du_monde_-_1860.djvu'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kind, "text_layer");
    assert_eq!(priority, 0);
    assert_eq!(
        payload,
        json!({
            "wiki": "commons.wikimedia.org",
            "file": "Le Tour du monde - 1860.djvu",
            "sha1": "a32c73aa8c95de8aa94f3889fcd70c07ed60e1f7",
            "reason": "upload",
            "event_id": "5a1e0000-0000-4000-8000-000000000001",
        })
    );

    let status = stream_status(&pool, "test").await.unwrap().unwrap();
    assert_eq!(status.last_event_id.as_deref(), Some(last_recentchange_id().as_str()));
    assert_eq!(
        status.last_event_dt,
        Some("2025-08-29T06:46:11Z".parse::<DateTime<Utc>>().unwrap())
    );
    assert!(status.lag_seconds.unwrap() > 0.0);
    assert_eq!(status.events_seen, 20);
    assert_eq!(status.canaries_dropped, 1);
    assert_eq!(status.jobs_enqueued, expected_dedupe_keys().len() as i64);
    assert_eq!(status.gap_count, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn cut_every_three_events(pool: PgPool) {
    let faults = Faults {
        cut_every: Some(3),
        ..Faults::default()
    };
    let server = consume_all_with(&pool, faults, 5.0).await;

    let requests = server.requests();
    assert!(
        requests.len() >= 7,
        "20 events in pieces of 3: {} requests",
        requests.len()
    );
    assert!(
        requests[1..].iter().all(|request| request.last_event_id.is_some()),
        "{requests:?}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn abrupt_cut_inside_multibyte_character(pool: PgPool) {
    let faults = Faults {
        cut_every: Some(2),
        cut_mid_frame: true,
        cut_abruptly: true,
        chunk_sizes: vec![1, 3, 7, 13, 64, 5, 2],
        ..Faults::default()
    };
    let server = consume_all_with(&pool, faults, 5.0).await;
    assert!(server.requests().len() >= 10);
}

#[sqlx::test(migrations = "../../migrations")]
async fn writes_split_at_every_byte(pool: PgPool) {
    let faults = Faults {
        chunk_sizes: vec![1],
        ..Faults::default()
    };
    consume_all_with(&pool, faults, 5.0).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn stalled_connection_reconnects(pool: PgPool) {
    let faults = Faults {
        stall_after: Some(4),
        ..Faults::default()
    };
    let server = consume_all_with(&pool, faults, 0.5).await;
    assert!(server.requests().len() >= 5, "20 events, a stall after every 4");
}

#[sqlx::test(migrations = "../../migrations")]
async fn restart_resumes_from_stored_id(pool: PgPool) {
    init_tracing();
    let frames = recentchange_frames();
    let eighth_id = frames[7].id().unwrap().to_owned();

    // First run: the server stalls after 8 events; the consumer is stopped there.
    let first_server = ReplayServer::start(
        recorded_frames(),
        Faults {
            stall_after: Some(8),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let first = start_consumer(&pool, test_config(&first_server), Rules::shipped().unwrap());
    wait_for_position(&pool, "test", &eighth_id).await;
    first.stop().await;
    let jobs_after_first_run = job_dedupe_keys(&pool).await.len();
    assert!(jobs_after_first_run < 5, "the first run must stop before the last job");

    // Second run, as after a process restart: a new consumer and a new connection.
    let second_server = ReplayServer::start(recorded_frames(), Faults::default()).await.unwrap();
    let second = start_consumer(&pool, test_config(&second_server), Rules::shipped().unwrap());
    wait_for_position(&pool, "test", &last_recentchange_id()).await;
    let metrics = second.metrics.snapshot();
    second.stop().await;

    let requests = second_server.requests();
    assert_eq!(requests[0].last_event_id.as_deref(), Some(eighth_id.as_str()));
    assert_eq!(
        metrics.events_seen, 12,
        "the second run reads only the 12 events after the 8th"
    );
    assert_eq!(metrics.duplicates_skipped, 0);
    assert_eq!(job_dedupe_keys(&pool).await, expected_dedupe_keys());
    assert_eq!(gap_count(&pool).await, 0);
    let status = stream_status(&pool, "test").await.unwrap().unwrap();
    assert_eq!(status.events_seen, 20);
}

#[sqlx::test(migrations = "../../migrations")]
async fn malformed_events_are_counted_and_skipped(pool: PgPool) {
    init_tracing();
    let good = recentchange_frames();
    let mut frames: Vec<Frame> = good[..3].to_vec();
    frames.push(Frame::raw(
        &b"event: message\nid: [{\"topic\":\"x\",\"partition\":0,\"timestamp\":1}]\ndata: {\"title\":\"\xff\xfe\"}\n\n"
            [..],
    ));
    frames.push(Frame::message(
        r#"[{"topic":"x","partition":0,"timestamp":2}]"#,
        "this is not JSON",
    ));
    frames.push(Frame::message(
        r#"[{"topic":"x","partition":0,"timestamp":3}]"#,
        r#"{"$schema":"/mediawiki/recentchange/1.0.0","meta":{"stream":"mediawiki.recentchange","domain":"en.wikisource.org","id":"5a1e0000-0000-4000-8000-0000000000ff","dt":"2025-08-29T06:45:59Z"},"type":"log","wiki":"enwikisource"}"#,
    ));
    frames.push(Frame::raw(&b"this line has no colon\n\n"[..]));
    frames.push(Frame::raw(&b": a comment\n\n"[..]));
    frames.push(Frame::raw(
        &b"event: error\ndata: {\"message\":\"broker unavailable\"}\n\n"[..],
    ));
    frames.extend_from_slice(&good[3..]);

    let server = ReplayServer::start(frames, Faults::default()).await.unwrap();
    let consumer = start_consumer(&pool, test_config(&server), Rules::shipped().unwrap());
    wait_for_position(&pool, "test", &last_recentchange_id()).await;
    let metrics = consumer.metrics.snapshot();
    consumer.stop().await;

    assert_eq!(metrics.events_malformed, 3);
    assert_eq!(metrics.server_error_events, 1);
    assert_eq!(
        metrics.events_seen,
        20 + 4,
        "3 malformed events and the error event count as seen"
    );
    assert_eq!(job_dedupe_keys(&pool).await, expected_dedupe_keys());
    let status = stream_status(&pool, "test").await.unwrap().unwrap();
    assert_eq!(status.events_malformed, 3);
}

#[sqlx::test(migrations = "../../migrations")]
async fn rejected_resume_id_falls_back_to_since(pool: PgPool) {
    init_tracing();
    let unknown_id = r#"[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":42}]"#;
    let stored_dt: DateTime<Utc> = "2025-08-29T06:46:05Z".parse().unwrap();
    sqlx::query("INSERT INTO stream_position (consumer, last_event_id, last_event_dt) VALUES ('test', $1, $2)")
        .bind(unknown_id)
        .bind(stored_dt)
        .execute(&pool)
        .await
        .unwrap();
    // The Commons upload (frame 1) was applied before the gap: replaying it
    // must not enqueue its job again.
    sqlx::query(
        "INSERT INTO stream_seen_event (consumer, event_id) VALUES ('test', '5a1e0000-0000-4000-8000-000000000001')",
    )
    .execute(&pool)
    .await
    .unwrap();

    let server = ReplayServer::start(recorded_frames(), Faults::default()).await.unwrap();
    let consumer = start_consumer(&pool, test_config(&server), Rules::shipped().unwrap());
    wait_for_position(&pool, "test", &last_recentchange_id()).await;
    let metrics = consumer.metrics.snapshot();
    consumer.stop().await;

    let requests = server.requests();
    assert_eq!(requests[0].last_event_id.as_deref(), Some(unknown_id));
    assert_eq!(requests[0].status, 400);
    assert_eq!(requests[1].last_event_id, None);
    assert_eq!(
        requests[1].since.as_deref(),
        Some("2025-08-29T06:45:35.000Z"),
        "stored dt minus 30 s"
    );
    assert_eq!(requests[1].status, 200);

    let (rejected, resumed_since, reason): (Option<String>, Option<DateTime<Utc>>, String) =
        sqlx::query_as("SELECT rejected_event_id, resumed_since, reason FROM stream_gap")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(rejected.as_deref(), Some(unknown_id));
    assert_eq!(resumed_since, Some("2025-08-29T06:45:35Z".parse().unwrap()));
    assert!(reason.contains("HTTP 400"), "{reason}");
    assert_eq!(metrics.gaps, 1);

    assert_eq!(metrics.duplicates_skipped, 1);
    let mut expected = expected_dedupe_keys();
    expected.retain(|key| key != "text_layer:commons.wikimedia.org:Le_Tour_du_monde_-_1860.djvu");
    assert_eq!(job_dedupe_keys(&pool).await, expected);
    let status = stream_status(&pool, "test").await.unwrap().unwrap();
    assert_eq!(status.gap_count, 1);
    assert_eq!(status.recent_gaps[0].rejected_event_id.as_deref(), Some(unknown_id));
}

#[sqlx::test(migrations = "../../migrations")]
async fn too_many_requests_honours_retry_after(pool: PgPool) {
    let faults = Faults {
        too_many_requests: 1,
        retry_after_seconds: 1,
        ..Faults::default()
    };
    let server = consume_all_with(&pool, faults, 5.0).await;

    let requests = server.requests();
    assert_eq!(requests[0].status, 429);
    assert_eq!(requests[1].status, 200);
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_secs(1),
        "retried after {waited:?}, before Retry-After: 1"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn two_consumers_only_one_consumes(pool: PgPool) {
    init_tracing();
    let server = ReplayServer::start(recorded_frames(), Faults::default()).await.unwrap();
    let a = start_consumer(&pool, test_config(&server), Rules::shipped().unwrap());
    let b = start_consumer(&pool, test_config(&server), Rules::shipped().unwrap());
    wait_for_position(&pool, "test", &last_recentchange_id()).await;
    // Give the waiting replica several lock retries to (wrongly) start too.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (a_state, b_state) = (a.metrics.snapshot(), b.metrics.snapshot());
    assert!(
        a_state.is_leader != b_state.is_leader,
        "exactly one leader: {a_state:?} {b_state:?}"
    );
    assert_eq!(a_state.events_seen + b_state.events_seen, 20);
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.max_open_streams(), 1);

    // The leader stops; the other replica takes over from the stored position.
    let (leader, standby) = if a_state.is_leader { (a, b) } else { (b, a) };
    leader.stop().await;
    wait_until("the standby leads and reconnects", || async {
        standby.metrics.snapshot().is_leader && server.requests().len() == 2
    })
    .await;
    let last = server.requests().pop().unwrap();
    assert_eq!(last.last_event_id, Some(last_recentchange_id()));
    standby.stop().await;
    assert_eq!(job_dedupe_keys(&pool).await, expected_dedupe_keys());
}

#[sqlx::test(migrations = "../../migrations")]
async fn lost_lock_connection_stops_consuming(pool: PgPool) {
    init_tracing();
    let server = ReplayServer::start(recorded_frames(), Faults::default()).await.unwrap();
    let consumer = start_consumer(&pool, test_config(&server), Rules::shipped().unwrap());
    wait_for_position(&pool, "test", &last_recentchange_id()).await;

    let lock_pid: i32 = sqlx::query_scalar(
        "SELECT pid FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND classid::bigint = 1346913620
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(lock_pid)
        .execute(&pool)
        .await
        .unwrap();

    wait_until("the consumer notices the lost lock and leads again", || async {
        let metrics = consumer.metrics.snapshot();
        metrics.leader_losses == 1 && metrics.is_leader && server.requests().len() == 2
    })
    .await;
    let last = server.requests().pop().unwrap();
    assert_eq!(last.last_event_id, Some(last_recentchange_id()));
    consumer.stop().await;
    assert_eq!(job_dedupe_keys(&pool).await, expected_dedupe_keys());
}

#[sqlx::test(migrations = "../../migrations")]
async fn page_create_of_index_enqueues_job(pool: PgPool) {
    init_tracing();
    let rules = Rules::parse(
        r#"
        streams = ["recentchange", "page-create"]
        [[rule]]
        name = "text-layer-on-index-creation"
        [rule.match]
        change = ["create"]
        namespaces = ["index"]
        title_suffixes = [".djvu", ".pdf"]
        [rule.job]
        kind = "text_layer"
        dedupe_key = "text_layer:{domain}:{dbkey}"
        payload = { wiki = "{domain}", file = "{title}", reason = "index-created", event_id = "{event_id}" }
        "#,
        "test rules",
    )
    .unwrap();
    let frames = recorded_frames();
    let last_id = frames.last().and_then(|frame| frame.id()).unwrap().to_owned();
    let server = ReplayServer::start(frames, Faults::default()).await.unwrap();
    let consumer = start_consumer(&pool, test_config(&server), rules);
    wait_for_position(&pool, "test", &last_id).await;
    consumer.stop().await;

    assert_eq!(
        server.requests()[0].streams,
        "mediawiki.recentchange,mediawiki.page-create"
    );
    let mut expected = vec![
        "text_layer:en.wikisource.org:The_Works_of_H_G_Wells_Volume_6.pdf".to_owned(),
        "text_layer:fr.wikisource.org:Le_Tour_du_monde_-_1860.djvu".to_owned(),
        "text_layer:ru.wikisource.org:Война_и_мир._Том_1_(1868).djvu".to_owned(),
    ];
    expected.sort_unstable();
    assert_eq!(job_dedupe_keys(&pool).await, expected);

    let payload: serde_json::Value =
        sqlx::query_scalar("SELECT payload FROM job WHERE dedupe_key LIKE 'text_layer:en.wikisource.org:%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        payload,
        json!({
            "wiki": "en.wikisource.org",
            "file": "The Works of H G Wells Volume 6.pdf",
            "reason": "index-created",
            "event_id": "5a1e0000-0000-4000-8000-000000000003",
        })
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn unknown_stream_stops_with_error(pool: PgPool) {
    init_tracing();
    let server = ReplayServer::start(recorded_frames(), Faults::default()).await.unwrap();
    let config = phetools_stream::StreamConfig {
        base_url: format!("http://{}/v2/nothing-here", server.addr()),
        ..test_config(&server)
    };
    let consumer = start_consumer(&pool, config, Rules::shipped().unwrap());
    let result = tokio::time::timeout(DEADLINE, consumer.task).await.unwrap().unwrap();
    let error = result.unwrap_err().to_string();
    assert!(error.starts_with("EventStreams returned HTTP 404"), "{error}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn bench_counts_every_event(pool: PgPool) {
    let frames = phetools_stream::replay::synthetic_frames(2_000);
    let report = phetools_stream::bench_consume(&pool, &frames).await.unwrap();

    assert_eq!(report.events, 2_000);
    assert!(report.matched_events > 0);
    assert!(report.jobs_enqueued > 0);
    assert!(report.transactions >= 4, "2000 events in batches of 500");
    assert!(report.events_per_second() > 0.0);
    let jobs_left: i64 = sqlx::query_scalar("SELECT count(*) FROM job")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs_left, 0, "the benchmark deletes its jobs");
    let positions: i64 = sqlx::query_scalar("SELECT count(*) FROM stream_position")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(positions, 0);
}

/// Prints benchmark reports for 100,000 frames: the recorded mix, where about
/// a quarter of the events match a rule, and the 2025 capture alone, where
/// none does (closer to the live stream). Run by hand:
/// `cargo test --release -p phetools-stream --test consumer bench_report -- --ignored --nocapture`.
#[sqlx::test(migrations = "../../migrations")]
#[ignore = "prints a throughput measurement; run in release mode by hand"]
async fn bench_report(pool: PgPool) {
    let frames = phetools_stream::replay::synthetic_frames(100_000);
    let report = phetools_stream::bench_consume(&pool, &frames).await.unwrap();
    println!("recorded mix:\n{report}\n");

    let capture = phetools_stream::replay::frames_from_sse(fixture("sse-sample.txt").as_bytes());
    let frames: Vec<Frame> = capture.iter().cycle().take(100_000).cloned().collect();
    let report = phetools_stream::bench_consume(&pool, &frames).await.unwrap();
    println!("no matching event:\n{report}");
}
