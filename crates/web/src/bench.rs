//! Render time of pages through the router, for `phetools bench`: each request
//! goes through the same handlers, database queries and rendering as a real
//! one, without a socket.

use std::time::Instant;

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use crate::{router, AppState};

/// Timing of one path in [`bench_pages`].
#[derive(Debug, Clone)]
pub struct PageTiming {
    pub path: String,
    pub requests: usize,
    pub median_ms: f64,
    pub mean_ms: f64,
    /// Size of the last response body.
    pub bytes: usize,
}

/// Requests each of `paths` `requests` times, one after the other, after one
/// unmeasured request that warms the connection pool, and times the full
/// response, body included. A reply other than 200 stops the benchmark.
pub async fn bench_pages(state: AppState, paths: &[&str], requests: usize) -> anyhow::Result<Vec<PageTiming>> {
    let router = router(state);
    let mut timings = Vec::with_capacity(paths.len());
    for path in paths {
        get(&router, path).await?;
        let mut elapsed_ms = Vec::with_capacity(requests);
        let mut bytes = 0;
        for _ in 0..requests {
            let started = Instant::now();
            bytes = get(&router, path).await?;
            elapsed_ms.push(started.elapsed().as_secs_f64() * 1_000.0);
        }
        elapsed_ms.sort_by(f64::total_cmp);
        let median_ms = elapsed_ms.get(elapsed_ms.len() / 2).copied().unwrap_or(0.0);
        let mean_ms = elapsed_ms.iter().sum::<f64>() / elapsed_ms.len().max(1) as f64;
        timings.push(PageTiming {
            path: (*path).to_owned(),
            requests,
            median_ms,
            mean_ms,
            bytes,
        });
    }
    Ok(timings)
}

/// Sends one GET and returns the body size.
async fn get(router: &axum::Router, path: &str) -> anyhow::Result<usize> {
    let request = Request::builder()
        .uri(path)
        .body(Body::empty())
        .with_context(|| format!("invalid benchmark path {path:?}"))?;
    let response = router.clone().oneshot(request).await.context("the router failed")?;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .with_context(|| format!("cannot read the body of {path}"))?;
    if status != StatusCode::OK {
        bail!(
            "{path} returned {status} during the benchmark: {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(body.len())
}
