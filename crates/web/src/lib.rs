//! The web server: health check, job, text-layer and statistics API, the status
//! page and the legacy statistics table.
//!
//! Routes under `/api/` return JSON with `Access-Control-Allow-Origin: *`, because
//! on-wiki gadgets call them from the browser.

mod error;
mod html;
pub mod legacy;
mod messages;
mod routes;
mod stats_routes;
mod status_page;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use phetools_queue::{JobWaiter, Queue};
use phetools_textlayer::TextLayerStore;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// Shared state of the request handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub queue: Queue,
    pub text_layers: TextLayerStore,
    /// Lets requests wait for the job they enqueued.
    pub waiter: JobWaiter,
}

impl AppState {
    pub fn new(pool: PgPool) -> Self {
        AppState {
            queue: Queue::new(pool.clone()),
            text_layers: TextLayerStore::new(pool.clone()),
            waiter: JobWaiter::new(pool.clone()),
            pool,
        }
    }
}

/// Builds the router; tests call it without a socket.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/jobs/{id}", get(routes::job))
        .route("/text-layer", get(routes::text_layer))
        .route("/stats", get(stats_routes::counts))
        .fallback(routes::api_not_found)
        .method_not_allowed_fallback(routes::api_method_not_allowed)
        .layer(CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any));

    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/status", get(status_page::status))
        .route(
            "/statistics.php",
            get(stats_routes::statistics_php).layer(CorsLayer::new().allow_origin(Any)),
        )
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
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    tracing::info!("web server stopped");
    Ok(())
}
