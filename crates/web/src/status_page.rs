//! `GET /status`: an HTML page for people that shows the queue and the stream.

use std::fmt::Write;

use axum::extract::State;
use axum::response::Html;
use chrono::{DateTime, Utc};
use phetools_queue::{FailedJob, KindDepth, RunningJob};
use phetools_stream::StreamStatus;

use crate::html::escape;
use crate::{messages, AppError, AppState};

/// Failed jobs listed on the page.
const RECENT_FAILURES: i64 = 20;

pub async fn status(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let depth = state.queue.depth().await.map_err(internal)?;
    let running = state.queue.running_jobs().await.map_err(internal)?;
    let failures = state.queue.recent_failures(RECENT_FAILURES).await.map_err(internal)?;
    let streams = stream_statuses(&state).await?;

    let mut page = String::new();
    write_header(&mut page);
    write_streams(&mut page, &streams);
    write_depth(&mut page, &depth);
    write_running(&mut page, &running);
    write_failures(&mut page, &failures);
    page.push_str("</body>\n</html>\n");
    Ok(Html(page))
}

async fn stream_statuses(state: &AppState) -> Result<Vec<StreamStatus>, AppError> {
    let consumers: Vec<String> = sqlx::query_scalar("SELECT consumer FROM stream_position ORDER BY consumer")
        .fetch_all(&state.pool)
        .await?;
    let mut statuses = Vec::with_capacity(consumers.len());
    for consumer in consumers {
        if let Some(status) = phetools_stream::stream_status(&state.pool, &consumer).await? {
            statuses.push(status);
        }
    }
    Ok(statuses)
}

fn internal(error: phetools_queue::QueueError) -> AppError {
    AppError::Internal(anyhow::Error::new(error).context("read the queue for the status page"))
}

fn write_header(page: &mut String) {
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"refresh\" content=\"30\">\n<title>{title}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 1em 2em; }}\n\
         table {{ border-collapse: collapse; margin-bottom: 1.5em; }}\n\
         th, td {{ border: 1px solid #aaa; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }}\n\
         td.number {{ text-align: right; }}\n pre {{ margin: 0; white-space: pre-wrap; max-width: 60em; }}\n\
         </style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>Generated at {now} UTC; the page reloads every 30 seconds.</p>\n",
        title = escape(messages::STATUS_TITLE),
        now = Utc::now().format("%Y-%m-%d %H:%M:%S"),
    );
}

fn write_streams(page: &mut String, streams: &[StreamStatus]) {
    page.push_str("<h2>EventStreams</h2>\n");
    if streams.is_empty() {
        page.push_str("<p>No event has been consumed yet.</p>\n");
        return;
    }
    page.push_str(
        "<table>\n<tr><th>consumer</th><th>last event</th><th>lag</th><th>last batch</th>\
         <th>events</th><th>canaries</th><th>malformed</th><th>replays skipped</th><th>jobs enqueued</th>\
         <th>possible gaps</th></tr>\n",
    );
    for stream in streams {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td><td>{}</td><td class=\"number\">{}</td>\
             <td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>\
             <td class=\"number\">{}</td><td class=\"number\">{}</td></tr>",
            escape(&stream.consumer),
            stream.last_event_dt.map(format_time).unwrap_or_else(|| "–".to_owned()),
            stream.lag_seconds.map(format_seconds).unwrap_or_else(|| "–".to_owned()),
            format_time(stream.updated_at),
            stream.events_seen,
            stream.canaries_dropped,
            stream.events_malformed,
            stream.duplicates_skipped,
            stream.jobs_enqueued,
            stream.gap_count,
        );
    }
    page.push_str("</table>\n");
    page.push_str(
        "<p>Last batch: when the consumer last stored its position. Replays skipped: events \
         received again after a reconnect and recognised by their id. Possible gaps: reconnects \
         where the stream could not resume exactly and may have skipped events.</p>\n",
    );
    for stream in streams.iter().filter(|stream| !stream.recent_gaps.is_empty()) {
        let _ = writeln!(page, "<p>Possible gaps of {}:</p>\n<ul>", escape(&stream.consumer));
        for gap in &stream.recent_gaps {
            let _ = writeln!(
                page,
                "<li>{}: {} (resumed from {})</li>",
                format_time(gap.noticed_at),
                escape(&gap.reason),
                gap.resumed_since
                    .map(format_time)
                    .unwrap_or_else(|| "the newest event".to_owned()),
            );
        }
        page.push_str("</ul>\n");
    }
}

fn write_depth(page: &mut String, depth: &[KindDepth]) {
    page.push_str("<h2>Jobs per kind and state</h2>\n");
    if depth.is_empty() {
        page.push_str("<p>The queue is empty.</p>\n");
        return;
    }
    page.push_str("<table>\n<tr><th>kind</th><th>state</th><th>jobs</th></tr>\n");
    for row in depth {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"number\">{}</td></tr>",
            escape(&row.kind),
            row.state,
            row.jobs
        );
    }
    page.push_str("</table>\n");
}

fn write_running(page: &mut String, running: &[RunningJob]) {
    page.push_str("<h2>Running jobs</h2>\n");
    if running.is_empty() {
        page.push_str("<p>No job is running.</p>\n");
        return;
    }
    page.push_str(
        "<table>\n<tr><th>job</th><th>kind</th><th>attempt</th><th>worker</th><th>running for</th><th>progress</th></tr>\n",
    );
    for job in running {
        let progress = job.progress.as_ref().map(|value| value.to_string()).unwrap_or_default();
        let _ = writeln!(
            page,
            "<tr><td><a href=\"api/v1/jobs/{id}\">{id}</a></td><td>{}</td><td class=\"number\">{}/{}</td><td>{}</td>\
             <td class=\"number\">{}</td><td>{}</td></tr>",
            escape(&job.kind),
            job.attempt,
            job.max_attempts,
            escape(&job.worker),
            format_seconds(job.age_seconds),
            escape(&progress),
            id = job.id,
        );
    }
    page.push_str("</table>\n");
}

fn write_failures(page: &mut String, failures: &[FailedJob]) {
    page.push_str("<h2>Recent failures</h2>\n");
    if failures.is_empty() {
        page.push_str("<p>No job has failed.</p>\n");
        return;
    }
    page.push_str(
        "<table>\n<tr><th>job</th><th>kind</th><th>ended</th><th>payload</th><th>errors, one per attempt</th></tr>\n",
    );
    for job in failures {
        let errors: Vec<String> = job
            .errors
            .iter()
            .map(|error| format!("{}: {}", error.attempt, error.error))
            .collect();
        let _ = writeln!(
            page,
            "<tr><td><a href=\"api/v1/jobs/{id}\">{id}</a></td><td>{}</td><td>{}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
            escape(&job.kind),
            format_time(job.finished_at),
            escape(&job.payload.to_string()),
            escape(&errors.join("\n")),
            id = job.id,
        );
    }
    page.push_str("</table>\n");
}

fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn format_seconds(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7_200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3_600.0)
    }
}
