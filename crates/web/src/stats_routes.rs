//! Statistics routes: the legacy `statistics.php` table and the JSON counts.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use phetools_stats::legacy::{statistics_page, LegacyQuery};
use serde::Serialize;

use crate::{AppError, AppState};

/// `GET /statistics.php[?diff=0|1|7|30|365][&daysago=N]`: the table of every
/// wiki's counts or of their change. Any other parameter value gets a 400 and
/// reaches neither a shell nor the database.
pub async fn statistics_php(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let (diff, days_ago) = legacy_parameters(query.as_deref().unwrap_or(""));
    let query = LegacyQuery::parse(diff.as_deref(), days_ago.as_deref())
        .map_err(|invalid| AppError::BadRequest(invalid.to_string()))?;
    let today = Utc::now().date_naive();
    let html = statistics_page(&state.pool, query, today)
        .await
        .map_err(|error| AppError::Internal(anyhow::Error::new(error)))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// Returns the values of `diff` and `daysago`; the last occurrence wins, as in PHP.
fn legacy_parameters(query: &str) -> (Option<String>, Option<String>) {
    let mut diff = None;
    let mut days_ago = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "diff" => diff = Some(value.into_owned()),
            "daysago" => days_ago = Some(value.into_owned()),
            _ => {}
        }
    }
    (diff, days_ago)
}

/// One wiki's current counts in `GET /api/v1/stats`.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct WikiCounts {
    /// Database name, such as `frwikisource`.
    pub wiki: String,
    pub pages: i64,
    pub q0: i64,
    pub q1: i64,
    pub q2: i64,
    pub q3: i64,
    pub q4: i64,
    pub no_level: i64,
    pub texts: i64,
    pub with_scans: i64,
    pub disambiguation: i64,
    pub naked: i64,
    pub updated_at: chrono::DateTime<Utc>,
}

/// `GET /api/v1/stats`: every wiki's current counts.
pub async fn counts(State(state): State<AppState>) -> Result<Json<Vec<WikiCounts>>, AppError> {
    let rows = sqlx::query_as::<_, WikiCounts>(
        "SELECT wiki, pages, q0, q1, q2, q3, q4, no_level, texts, with_scans, disambiguation, naked, updated_at \
         FROM stats_wiki_count ORDER BY wiki",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(rows))
}

#[cfg(test)]
mod tests {
    use super::legacy_parameters;

    #[test]
    fn legacy_parameters_decode_and_keep_last() {
        assert_eq!(legacy_parameters(""), (None, None));
        assert_eq!(
            legacy_parameters("diff=1&daysago=2&diff=%3Brm"),
            (Some(";rm".to_owned()), Some("2".to_owned()))
        );
    }
}
