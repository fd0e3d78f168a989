//! The web server: health check, job, text-layer, OCR, Match & Split and
//! statistics API, the status page, and the legacy endpoints of the old tool.
//!
//! Routes under `/api/` return JSON with `Access-Control-Allow-Origin: *`, because
//! on-wiki gadgets call them from the browser.

mod bench;
mod error;
mod hocr_cgi;
mod html;
pub mod legacy;
mod match_split;
mod messages;
pub mod ocr;
pub mod page_cache;
mod routes;
mod stats_api;
mod stats_routes;
mod status_page;

use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use phetools_hocr::{HocrConfig, HocrService, HocrStore};
use phetools_queue::{JobWaiter, Queue};
use phetools_textlayer::TextLayerStore;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

pub use bench::{bench_pages, PageTiming};
pub use error::AppError;

/// Shared state of the request handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub queue: Queue,
    pub text_layers: TextLayerStore,
    /// Lets requests wait for the job they enqueued.
    pub waiter: JobWaiter,
    /// Maximum wait of a `.php` request of Match & Split, extract or verify for its job.
    pub legacy_job_wait: Duration,
    /// Answers `/hocr_cgi.py?cmd=hocr`.
    pub hocr: HocrService,
    /// OCR, when this server has it configured.
    pub ocr: Option<ocr::OcrState>,
    /// Rendered statistics pages and graphs, served again for a minute.
    pub stats_pages: page_cache::PageCache,
}

impl AppState {
    pub fn new(pool: PgPool) -> Self {
        AppState::with_hocr_config(pool, &HocrConfig::default())
    }

    pub fn with_hocr_config(pool: PgPool, hocr: &HocrConfig) -> Self {
        AppState {
            queue: Queue::new(pool.clone()),
            text_layers: TextLayerStore::new(pool.clone()),
            waiter: JobWaiter::new(pool.clone()),
            legacy_job_wait: DEFAULT_LEGACY_JOB_WAIT,
            hocr: HocrService::new(
                HocrStore::new(pool.clone()),
                Queue::new(pool.clone()),
                Duration::from_secs(hocr.failed_build_retry_secs),
            ),
            ocr: None,
            stats_pages: page_cache::PageCache::default(),
            pool,
        }
    }

    /// Adds the OCR routes' state.
    pub fn with_ocr(mut self, ocr: ocr::OcrState) -> Self {
        self.ocr = Some(ocr);
        self
    }

    /// Replaces the cache of statistics pages, such as with one that keeps nothing.
    pub fn with_page_cache(mut self, cache: page_cache::PageCache) -> Self {
        self.stats_pages = cache;
        self
    }

    pub fn with_legacy_job_wait(mut self, wait: Duration) -> Self {
        self.legacy_job_wait = wait;
        self
    }
}

/// The old PHP front-end gave up on its daemon after 600 s.
const DEFAULT_LEGACY_JOB_WAIT: Duration = Duration::from_secs(600);

/// Builds the router; tests call it without a socket.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/jobs/{id}", get(routes::job))
        .route("/text-layer", get(routes::text_layer))
        .route("/ocr", get(ocr::api_ocr_get).post(ocr::api_ocr_post))
        .route("/ocr/languages", get(ocr::api_languages))
        .route("/ocr/status", get(ocr::api_status))
        .route("/ocr/jobs/{id}", get(ocr::api_job))
        .route("/match", post(match_split::post_match))
        .route("/split", post(match_split::post_split))
        .route("/extract", post(match_split::post_extract))
        .route("/verify", post(match_split::post_verify))
        .route("/stats", get(stats_api::counts))
        .route("/stats/daily", get(stats_api::family_daily))
        .route("/stats/transitions", get(stats_api::family_transitions))
        .route("/stats/diff", get(stats_api::differences))
        .route("/stats/{wiki}", get(stats_api::wiki_counts))
        .route("/stats/{wiki}/daily", get(stats_api::wiki_daily))
        .route("/stats/{wiki}/transitions", get(stats_api::wiki_transitions))
        .route("/stats/{wiki}/not-transcluded", get(stats_api::wiki_not_transcluded))
        .fallback(routes::api_not_found)
        .method_not_allowed_fallback(routes::api_method_not_allowed)
        .layer(CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any));

    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/status", get(status_page::status))
        .route("/match_and_split.php", get(match_split::match_and_split))
        .route("/extract_text_layer.php", get(match_split::extract_text_layer))
        .route("/verify_match.php", get(match_split::verify_match))
        .route("/hocr_cgi.py", get(hocr_cgi::hocr_cgi))
        .route("/ocr.php", get(ocr::ocr_php))
        .route(
            "/statistics.php",
            get(stats_routes::statistics_php).layer(CorsLayer::new().allow_origin(Any)),
        )
        .route("/", get(stats_routes::index_html))
        .route("/index.html", get(stats_routes::index_html))
        .route("/stats", get(stats_routes::overview))
        .route("/stats/{wiki}", get(stats_routes::wiki_page))
        .route("/stats.html", get(stats_routes::stats_html))
        .route("/transclusions.html", get(stats_routes::transclusions_html))
        .route("/graphs/{name}", get(stats_routes::graph))
        .route("/graphs/thumb/{name}", get(stats_routes::graph_thumbnail))
        .route("/not_transcluded/", get(stats_routes::not_transcluded_directory))
        .route("/not_transcluded/{file}", get(stats_routes::not_transcluded_page))
        .nest("/api/v1", api)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the router on `listen` until `shutdown` fires, then lets open requests finish.
pub async fn serve(listen: SocketAddr, state: AppState, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|error| {
        anyhow::anyhow!("cannot listen on {listen}: {error}; set PHETOOLS_LISTEN to a free address")
    })?;
    tracing::info!(address = %listener.local_addr()?, "web server listening");
    let service = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    tracing::info!("web server stopped");
    Ok(())
}
