//! Statistics pages for people: the legacy `statistics.php` table,
//! `stats.html`, `transclusions.html`, `index.html`, the old graph files and
//! `not_transcluded/<code>.html`, and the new `/stats` and `/stats/{wiki}`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use phetools_stats::legacy::{statistics_page, LegacyQuery};
use phetools_stats::report::{self, LegacyGraph, NotTranscludedQuery, WikiRef};

use crate::{messages, AppError, AppState};

/// Display width of the graphs under `graphs/thumb/`, as the old thumbnails had.
const THUMBNAIL_WIDTH: f64 = 400.0;
/// Display width of the graphs under `graphs/`.
const GRAPH_WIDTH: f64 = 800.0;

/// `GET /statistics.php[?diff=0|1|7|30|365][&daysago=N]`: the table of every
/// wiki's counts or of their change. Any other parameter value gets a 400 and
/// reaches neither a shell nor the database.
pub async fn statistics_php(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, AppError> {
    let (diff, days_ago) = legacy_parameters(query.as_deref().unwrap_or(""));
    let query = LegacyQuery::parse(diff.as_deref(), days_ago.as_deref())
        .map_err(|invalid| AppError::BadRequest(invalid.to_string()))?;
    let today = Utc::now().date_naive();
    let html = statistics_page(&state.pool, query, today).await.map_err(stats_error)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// `GET /stats`: every wiki's current counts and the family's charts.
pub async fn overview(State(state): State<AppState>) -> Result<Response, AppError> {
    let page = state
        .stats_pages
        .get_or_render("/stats", async {
            let overview = report::load_overview(&state.pool).await.map_err(stats_error)?;
            Ok::<_, AppError>(report::render_overview(&overview))
        })
        .await?;
    Ok(html_response(page))
}

/// Sends a cached page without copying it.
fn html_response(page: Arc<String>) -> Response {
    let body = Body::from(Bytes::from_owner(ArcText(page)));
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// A shared page as the bytes of a response body.
struct ArcText(Arc<String>);

impl AsRef<[u8]> for ArcText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// `GET /stats/{wiki}`, where `{wiki}` is a database name, a code or a domain.
pub async fn wiki_page(State(state): State<AppState>, Path(raw): Path<String>) -> Result<Response, AppError> {
    let wiki = match find_wiki_page(&state, &raw).await? {
        Ok(wiki) => wiki,
        Err(not_found) => return Ok(not_found),
    };
    let key = format!("/stats/{}", wiki.wiki);
    let page = state
        .stats_pages
        .get_or_render(&key, async {
            let wiki_report = report::load_wiki_report(&state.pool, wiki).await.map_err(stats_error)?;
            Ok::<_, AppError>(report::render_wiki_report(&wiki_report))
        })
        .await?;
    Ok(html_response(page))
}

/// Finds the wiki of a page URL; a malformed or unknown name gets the 404 page.
async fn find_wiki_page(state: &AppState, raw: &str) -> Result<Result<WikiRef, Response>, AppError> {
    Ok(match report::find_wiki(&state.pool, raw).await.map_err(stats_error)? {
        Ok(Some(wiki)) => Ok(wiki),
        Ok(None) => Err(not_found_page(&messages::unknown_stats_wiki(raw))),
        Err(invalid) => Err(not_found_page(&invalid.to_string())),
    })
}

fn not_found_page(message: &str) -> Response {
    (StatusCode::NOT_FOUND, Html(report::render_not_found(message))).into_response()
}

fn stats_error(error: phetools_stats::StatsError) -> AppError {
    AppError::Internal(anyhow::Error::new(error))
}

/// `GET /stats.html`: the old page of proofreading graphs.
pub async fn stats_html() -> Html<String> {
    Html(report::render_stats_html())
}

/// `GET /transclusions.html`: the old page of texts graphs.
pub async fn transclusions_html() -> Html<String> {
    Html(report::render_transclusions_html())
}

/// `GET /` and `GET /index.html`: links to every page of the tool.
pub async fn index_html() -> Html<String> {
    Html(report::render_index_html())
}

/// `GET /graphs/{name}`: an old graph, at 800 pixels wide.
pub async fn graph(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, AppError> {
    graph_response(&state, &name, GRAPH_WIDTH).await
}

/// `GET /graphs/thumb/{name}`: an old graph, at the old thumbnails' 400 pixels.
pub async fn graph_thumbnail(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, AppError> {
    graph_response(&state, &name, THUMBNAIL_WIDTH).await
}

/// Sends the SVG under the requested name, `.png` included. Wiki pages embed
/// the old `.png` URLs in `<img>`, and browsers draw an `<img>` by its
/// Content-Type, not by the extension, so the old URLs keep working without
/// the extra request a redirect would cost. The Content-Disposition file name
/// ends in `.svg`, so that a saved graph opens as what it is.
async fn graph_response(state: &AppState, name: &str, width: f64) -> Result<Response, AppError> {
    let Some(graph) = LegacyGraph::parse(name) else {
        return Ok(not_found_page(&messages::unknown_graph(name)));
    };
    let key = format!("/graphs/{width}/{name}");
    let svg = state
        .stats_pages
        .get_or_render(&key, async {
            report::render_legacy_graph(&state.pool, &graph, width)
                .await
                .map_err(stats_error)
        })
        .await?;
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"{stem}.svg\""))
        .unwrap_or_else(|_| HeaderValue::from_static("inline"));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
        (header::CONTENT_DISPOSITION, disposition),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        // The SVG has no script; this keeps it so if it is opened on its own.
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=600")),
    ];
    Ok((headers, Body::from(Bytes::from_owner(ArcText(svg)))).into_response())
}

/// `GET /not_transcluded/`: the list of per-wiki pages.
pub async fn not_transcluded_directory(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let wikis = report::configured_wikis(&state.pool).await.map_err(stats_error)?;
    Ok(Html(report::render_not_transcluded_directory(&wikis)))
}

/// `GET /not_transcluded/{code}.html`: books with at least 5 proofread pages
/// that no text transcludes and that no person (bots aside) edited in 30 days.
pub async fn not_transcluded_page(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let Some(code) = file.strip_suffix(".html") else {
        return Ok(not_found_page(&messages::not_transcluded_file(&file)));
    };
    let wiki = match find_wiki_page(&state, code).await? {
        Ok(wiki) => wiki,
        Err(not_found) => return Ok(not_found),
    };
    let books = report::not_transcluded(&state.pool, &wiki.wiki, NotTranscludedQuery::default(), Utc::now())
        .await
        .map_err(stats_error)?;
    Ok(Html(report::render_not_transcluded(&wiki, &books)).into_response())
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
