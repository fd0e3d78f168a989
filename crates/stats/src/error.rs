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
    #[error("{0}")]
    InvalidSetting(String),
    /// The wiki has no `stats_wiki` row.
    #[error("{0}")]
    UnknownWiki(String),
    /// An Action API request of a recount, cross-check or template update failed.
    #[error("API request to {wiki} failed: {source}")]
    Api {
        wiki: String,
        #[source]
        source: Box<phetools_wiki::WikiError>,
    },
    /// An API response lacks a field the recount needs.
    #[error("{0}")]
    UnexpectedResponse(String),
    /// A template edit was not saved.
    #[error("cannot save {template} on {wiki}: {source}")]
    TemplateEdit {
        wiki: String,
        template: String,
        #[source]
        source: Box<phetools_wiki::EditError>,
    },
}

impl StatsError {
    pub(crate) fn database(context: &'static str) -> impl FnOnce(sqlx::Error) -> StatsError {
        move |source| StatsError::Database { context, source }
    }
}
