//! Statistics API under `/api/v1/stats`: counts, daily rows, differences,
//! level transitions and not-transcluded books, as JSON or, with
//! `format=csv`, as CSV. Every parameter is checked; a wrong one gets a 400
//! that names it and the accepted values.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, Utc};
use phetools_stats::report::{self, csv, NotTranscludedQuery, WikiRef};
use serde_json::json;

use crate::routes::{parse_positive, query_parameters};
use crate::{messages, AppError, AppState};

/// Periods that `/api/v1/stats/diff` compares over, in days.
const DIFF_DAYS: [u32; 4] = [1, 7, 30, 365];
/// Bounds of `min_pages`, `idle_days` and `limit` of the not-transcluded list.
const MAX_MIN_PAGES: i64 = 100_000;
const MAX_IDLE_DAYS: i64 = 36_500;
const MAX_BOOKS: i64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// Checked query parameters of one request.
struct Parameters {
    values: HashMap<String, String>,
}

impl Parameters {
    /// Decodes the query and rejects a parameter that is not in `accepted` or that is repeated.
    fn parse(query: Option<String>, accepted: &[&str]) -> Result<Parameters, AppError> {
        let values = query_parameters(query.as_deref().unwrap_or(""))?;
        if let Some(unknown) = values.keys().find(|name| !accepted.contains(&name.as_str())) {
            return Err(AppError::BadRequest(messages::unknown_parameter(unknown, accepted)));
        }
        Ok(Parameters { values })
    }

    fn format(&self) -> Result<Format, AppError> {
        match self.values.get("format").map(String::as_str) {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(AppError::BadRequest(messages::invalid_format(other))),
        }
    }

    fn day(&self, name: &str, default: NaiveDate) -> Result<NaiveDate, AppError> {
        match self.values.get(name) {
            None => Ok(default),
            Some(raw) => parse_day(raw).ok_or_else(|| AppError::BadRequest(messages::invalid_day(name, raw))),
        }
    }

    /// `from` and `to`, by default the whole history up to today (UTC).
    fn day_range(&self) -> Result<(NaiveDate, NaiveDate), AppError> {
        let (first, _) = report::all_days();
        let from = self.day("from", first)?;
        let to = self.day("to", Utc::now().date_naive())?;
        if from > to {
            return Err(AppError::BadRequest(messages::day_range_reversed(from, to)));
        }
        Ok((from, to))
    }

    fn bounded(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, AppError> {
        match self.values.get(name) {
            None => Ok(default),
            Some(raw) => parse_positive::<i64>(raw)
                .filter(|value| (min..=max).contains(value))
                .ok_or_else(|| AppError::BadRequest(messages::invalid_bounded(name, raw, min, max))),
        }
    }
}

/// Parses `YYYY-MM-DD` between 1970-01-01 and 9999-12-31, nothing else.
fn parse_day(raw: &str) -> Option<NaiveDate> {
    let (first, last) = report::all_days();
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(index, byte)| {
            if index == 4 || index == 7 {
                byte == b'-'
            } else {
                byte.is_ascii_digit()
            }
        });
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|day| (first..=last).contains(day))
}

fn csv_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
}

fn stats_error(error: phetools_stats::StatsError) -> AppError {
    AppError::Internal(anyhow::Error::new(error))
}

/// Resolves the `{wiki}` path segment: 400 for a malformed name, 404 for an unknown wiki.
async fn wiki_of(state: &AppState, raw: &str) -> Result<WikiRef, AppError> {
    match report::find_wiki(&state.pool, raw).await.map_err(stats_error)? {
        Ok(Some(wiki)) => Ok(wiki),
        Ok(None) => Err(AppError::NotFound(messages::unknown_stats_wiki(raw))),
        Err(invalid) => Err(AppError::BadRequest(invalid.to_string())),
    }
}

/// `GET /api/v1/stats[?format=csv]`: every wiki's current counts.
pub async fn counts(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let parameters = Parameters::parse(query, &["format"])?;
    let format = parameters.format()?;
    let rows = report::current_counts(&state.pool).await.map_err(stats_error)?;
    Ok(match format {
        Format::Csv => csv_response(csv::current_counts_csv(&rows)),
        Format::Json => Json(rows).into_response(),
    })
}

/// `GET /api/v1/stats/daily[?from=&to=&format=]`: the family's daily sums.
pub async fn family_daily(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let parameters = Parameters::parse(query, &["from", "to", "format"])?;
    let format = parameters.format()?;
    let (from, to) = parameters.day_range()?;
    let days = report::family_days(&state.pool, from, to).await.map_err(stats_error)?;
    Ok(match format {
        Format::Csv => csv_response(csv::family_csv(&days)),
        Format::Json => Json(json!({ "from": from, "to": to, "days": days })).into_response(),
    })
}

/// `GET /api/v1/stats/transitions[?from=&to=&format=]`: every wiki's level transitions per day, summed.
pub async fn family_transitions(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    transitions_response(&state, None, query).await
}

/// `GET /api/v1/stats/diff?diff=1|7|30|365[&to=&format=]`: every wiki's change over the period.
pub async fn differences(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let parameters = Parameters::parse(query, &["diff", "to", "format"])?;
    let format = parameters.format()?;
    let raw_diff = parameters
        .values
        .get("diff")
        .ok_or_else(|| AppError::BadRequest(messages::missing_diff()))?;
    let diff = parse_positive::<u32>(raw_diff)
        .filter(|days| DIFF_DAYS.contains(days))
        .ok_or_else(|| AppError::BadRequest(messages::invalid_stats_diff(raw_diff)))?;
    let to = parameters.day("to", Utc::now().date_naive())?;
    let rows = report::differences(&state.pool, diff, to).await.map_err(stats_error)?;
    Ok(match format {
        Format::Csv => csv_response(csv::differences_csv(&rows)),
        Format::Json => Json(json!({ "diff": diff, "to": to, "wikis": rows })).into_response(),
    })
}

/// `GET /api/v1/stats/{wiki}[?format=]`: one wiki's names and current counts
/// (`counts` is null while the wiki has only history).
pub async fn wiki_counts(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let parameters = Parameters::parse(query, &["format"])?;
    let format = parameters.format()?;
    let wiki = wiki_of(&state, &raw).await?;
    let counts = report::wiki_current_counts(&state.pool, &wiki.wiki)
        .await
        .map_err(stats_error)?;
    Ok(match format {
        Format::Csv => csv_response(csv::current_counts_csv(counts.as_slice())),
        Format::Json => Json(json!({ "wiki": wiki, "counts": counts })).into_response(),
    })
}

/// `GET /api/v1/stats/{wiki}/daily[?from=&to=&format=]`: one wiki's daily
/// rows, unknown values as null and rows of wrong data flagged.
pub async fn wiki_daily(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let parameters = Parameters::parse(query, &["from", "to", "format"])?;
    let format = parameters.format()?;
    let (from, to) = parameters.day_range()?;
    let wiki = wiki_of(&state, &raw).await?;
    let days = report::daily_rows(&state.pool, &wiki.wiki, from, to)
        .await
        .map_err(stats_error)?;
    Ok(match format {
        Format::Csv => csv_response(csv::daily_csv(&days)),
        Format::Json => Json(json!({ "wiki": wiki, "from": from, "to": to, "days": days })).into_response(),
    })
}

/// `GET /api/v1/stats/{wiki}/transitions[?from=&to=&format=]`: one wiki's level transitions per day.
pub async fn wiki_transitions(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let wiki = wiki_of(&state, &raw).await?;
    transitions_response(&state, Some(wiki), query).await
}

async fn transitions_response(
    state: &AppState,
    wiki: Option<WikiRef>,
    query: Option<String>,
) -> Result<Response, AppError> {
    let parameters = Parameters::parse(query, &["from", "to", "format"])?;
    let format = parameters.format()?;
    let (from, to) = parameters.day_range()?;
    let rows = report::transitions(&state.pool, wiki.as_ref().map(|wiki| wiki.wiki.as_str()), from, to)
        .await
        .map_err(stats_error)?;
    Ok(match format {
        Format::Csv => csv_response(csv::transitions_csv(&rows)),
        Format::Json => Json(json!({ "wiki": wiki, "from": from, "to": to, "transitions": rows })).into_response(),
    })
}

/// `GET /api/v1/stats/{wiki}/not-transcluded[?min_pages=5&idle_days=30&limit=&format=]`.
pub async fn wiki_not_transcluded(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let parameters = Parameters::parse(query, &["min_pages", "idle_days", "limit", "format"])?;
    let format = parameters.format()?;
    let defaults = NotTranscludedQuery::default();
    let list_query = NotTranscludedQuery {
        min_pages: parameters.bounded("min_pages", defaults.min_pages, 1, MAX_MIN_PAGES)?,
        idle_days: parameters.bounded("idle_days", defaults.idle_days, 0, MAX_IDLE_DAYS)?,
        limit: parameters.bounded("limit", defaults.limit, 1, MAX_BOOKS)?,
    };
    let wiki = wiki_of(&state, &raw).await?;
    let books = report::not_transcluded(&state.pool, &wiki.wiki, list_query, Utc::now())
        .await
        .map_err(stats_error)?;
    Ok(match format {
        Format::Csv => csv_response(csv::not_transcluded_csv(&books)),
        Format::Json => Json(json!({
            "wiki": wiki,
            "min_pages": list_query.min_pages,
            "idle_days": list_query.idle_days,
            "books": books,
        }))
        .into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_day;

    #[test]
    fn days_are_checked_strictly() {
        assert_eq!(parse_day("2016-04-26").unwrap().to_string(), "2016-04-26");
        for raw in [
            "",
            "2016-4-26",
            "2016-04-31",
            "20160426",
            "2016-04-26T00:00",
            "1969-12-31",
            "+2016-04-26",
            "2016/04/26",
            "2016-04-2x",
            "٢٠١٦-04-26",
        ] {
            assert_eq!(parse_day(raw), None, "{raw}");
        }
    }
}
