//! Errors of the statistics crate.

/// Error of the statistics crate. Each message names what failed, on which
/// value, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("{0}")]
    InvalidLevel(String),
    #[error("{0}")]
    InvalidEvent(String),
    /// A stored row contains a value the code does not know.
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    History(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Database {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("{0}")]
    Benchmark(String),
}

impl StatsError {
    pub(crate) fn database(context: &'static str) -> impl FnOnce(sqlx::Error) -> StatsError {
        move |source| StatsError::Database { context, source }
    }
}
