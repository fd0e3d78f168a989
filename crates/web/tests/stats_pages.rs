//! The statistics pages, old graph URLs, not-transcluded lists and the
//! statistics API through the router, on a real PostgreSQL filled with the
//! fixed data of `crates/stats/tests/fixtures/pages/stats-pages.sql`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::time::Duration;

use phetools_web::page_cache::PageCache;
use phetools_web::{router, AppState};
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;

const FIXTURE: &str = include_str!("../../stats/tests/fixtures/pages/stats-pages.sql");

struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn get(pool: &PgPool, uri: &str) -> Reply {
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let response = router(AppState::new(pool.clone())).oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        content_type,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn get_json(pool: &PgPool, uri: &str) -> (StatusCode, Value) {
    let reply = get(pool, uri).await;
    let json = serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("{uri} answered non-JSON: {}", reply.body));
    (reply.status, json)
}

async fn fill(pool: &PgPool) {
    sqlx::raw_sql(FIXTURE).execute(pool).await.unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn overview_shows_table_and_charts(pool: PgPool) {
    fill(&pool).await;
    let reply = get(&pool, "/stats").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type.starts_with("text/html"), "{}", reply.content_type);
    let html = reply.body;
    assert!(html.contains("<table class=\"counts\" id=\"counts\">"), "{html}");
    assert!(html.contains("<a href=\"/stats/frwikisource\">fr</a>"), "{html}");
    assert!(html.contains("<a href=\"/stats/enwikisource\">en</a>"), "{html}");
    // Total of all pages: 1000 + 800.
    assert!(
        html.contains("<tr class=\"total\"><td>total</td><td>1,800</td>"),
        "{html}"
    );
    for id in ["chart-levels", "chart-transitions", "chart-texts"] {
        let start = html
            .find(&format!("<figure id=\"{id}\">"))
            .unwrap_or_else(|| panic!("{id} missing"));
        let figure = &html[start..start + html[start..].find("</figure>").unwrap()];
        assert!(figure.contains("<svg "), "{id}: {figure}");
        assert!(figure.contains("<g class=\"series\""), "{id} has no series: {figure}");
        assert!(!figure.contains("no data"), "{id} has no data");
        assert!(figure.contains(&format!("aria-labelledby=\"{id}-title\"")), "{id}");
    }
    assert!(!html.contains("<?xml"), "XML declarations inside HTML");
    assert!(!html.contains("<script"), "the page must work without JavaScript");
    assert!(html.contains("href=\"/api/v1/stats?format=csv\""), "{html}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn wiki_page_accepts_every_name(pool: PgPool) {
    fill(&pool).await;
    for name in ["frwikisource", "fr", "fr.wikisource.org"] {
        let reply = get(&pool, &format!("/stats/{name}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}");
        let html = reply.body;
        assert!(
            html.contains("<h1>Statistics of fr.wikisource.org</h1>"),
            "{name}: {html}"
        );
        assert!(html.contains("<td>1,000</td>"), "{name}");
        for id in ["counts", "chart-levels", "chart-transitions", "chart-texts"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{name}: {id} missing");
        }
        assert!(
            html.contains("href=\"/api/v1/stats/frwikisource/daily?format=csv\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"/api/v1/stats/frwikisource/transitions\""),
            "{html}"
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn wiki_page_of_unknown_wiki_is_404(pool: PgPool) {
    fill(&pool).await;
    let reply = get(&pool, "/stats/dewikisource").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.content_type.starts_with("text/html"));
    assert!(
        reply
            .body
            .contains("no statistics for the wiki &quot;dewikisource&quot;"),
        "{}",
        reply.body
    );

    let reply = get(&pool, "/stats/FR%3Bdrop").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("invalid wiki"), "{}", reply.body);
}

#[sqlx::test(migrations = "../../migrations")]
async fn old_graph_urls_serve_svg(pool: PgPool) {
    fill(&pool).await;
    let mut names: Vec<String> = Vec::new();
    for page in ["/stats.html", "/transclusions.html"] {
        let reply = get(&pool, page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        for part in reply.body.split("<img src=\"graphs/thumb/").skip(1) {
            names.push(part.split('"').next().unwrap().to_owned());
        }
    }
    assert!(names.len() >= 40, "{names:?}");
    assert!(names.contains(&"Wikisource_-_all_pages.log.png".to_owned()));
    for name in &names {
        for (prefix, width) in [("/graphs/", "800"), ("/graphs/thumb/", "400")] {
            let uri = format!("{prefix}{}", name.replace('(', "%28").replace(')', "%29"));
            let reply = get(&pool, &uri).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
            assert_eq!(reply.content_type, "image/svg+xml", "{uri}");
            assert!(reply.body.starts_with("<?xml"), "{uri}");
            assert!(
                reply
                    .body
                    .contains(&format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\"")),
                "{uri}"
            );
            assert!(reply.body.ends_with("</svg>\n"), "{uri}");
        }
    }

    // The fr levels graph has the snapshots; the per-day graph has the transitions.
    for name in [
        "Wikisource_-_pages_fr.png",
        "Wikisource_-_proofread_pages_per_day_(all_wikisources).svg",
    ] {
        let reply = get(
            &pool,
            &format!("/graphs/{}", name.replace('(', "%28").replace(')', "%29")),
        )
        .await;
        assert!(reply.body.contains("<path d=\"M"), "{name}: {}", reply.body);
    }

    for unknown in [
        "/graphs/Wikisource_-_pages_FR.png",
        "/graphs/evil.svg",
        "/graphs/thumb/..%2F..%2Fetc%2Fpasswd",
    ] {
        let reply = get(&pool, unknown).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{unknown}");
        assert!(reply.body.contains("no graph named"), "{unknown}: {}", reply.body);
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn not_transcluded_page_lists_idle_books(pool: PgPool) {
    fill(&pool).await;
    let reply = get(&pool, "/not_transcluded/fr.html").await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.body;
    let book_a = html.find(">Book A.djvu</a> 6 — ").expect("Book_A listed with 6 pages");
    let book_c = html.find(">Book C.tif</a> 5 — ").expect("Book_C listed with 5 pages");
    assert!(book_a < book_c, "sorted by count");
    for absent in ["Book B", "Book D", "Book E"] {
        assert!(!html.contains(absent), "{absent} listed: {html}");
    }
    assert!(html.contains(
        "href=\"//fr.wikisource.org/w/index.php?title=Special:PrefixIndex&amp;namespace=112&amp;prefix=Book_A.djvu\""
    ));
    assert!(
        html.contains("?db=frwikisource&amp;title=Book_A.djvu\">Check pages</a>"),
        "{html}"
    );
    assert_eq!(html.matches("<li>").count(), 2);

    let reply = get(&pool, "/not_transcluded/en.html").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("No book meets these conditions."));

    let reply = get(&pool, "/not_transcluded/zz.html").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.body.contains("no statistics for the wiki &quot;zz&quot;"),
        "{}",
        reply.body
    );
    let reply = get(&pool, "/not_transcluded/fr.txt").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let reply = get(&pool, "/not_transcluded/").await;
    assert!(reply.body.contains("<a href=\"fr.html\">fr.html</a>"), "{}", reply.body);
    assert!(reply.body.contains("<a href=\"en.html\">en.html</a>"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn index_links_every_page(pool: PgPool) {
    for uri in ["/", "/index.html"] {
        let reply = get(&pool, uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        for link in [
            "statistics.php",
            "stats.html",
            "transclusions.html",
            "not_transcluded/",
            "stats",
        ] {
            assert!(reply.body.contains(&format!("href=\"{link}\"")), "{uri}: {link}");
        }
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn api_returns_counts_series_and_lists(pool: PgPool) {
    fill(&pool).await;

    let (status, json) = get_json(&pool, "/api/v1/stats/fr").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["wiki"]["wiki"], "frwikisource");
    assert_eq!(json["wiki"]["index_namespace"], 112);
    assert_eq!(json["counts"]["pages"], 1000);
    assert_eq!(json["counts"]["naked"], 40);

    let (status, json) = get_json(&pool, "/api/v1/stats/frwikisource/daily?to=2016-12-31").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let days = json["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(days[1]["q0"], Value::Null, "unknown stays null");
    assert_eq!(days[1]["q1"], Value::Null);
    assert_eq!(days[2]["bad_data"], true);
    assert_eq!(days[2]["source"], "phetools");

    let (_, json) = get_json(&pool, "/api/v1/stats/fr/daily?from=2026-10-01&to=2026-10-02").await;
    assert_eq!(json["days"][1]["pages"], 528);
    assert_eq!(json["days"][1]["source"], "snapshot");

    let reply = get(&pool, "/api/v1/stats/fr/daily?to=2016-12-31&format=csv").await;
    assert_eq!(reply.content_type, "text/csv; charset=utf-8");
    let lines: Vec<&str> = reply.body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "day,source,pages,q0,q1,q2,q3,q4,texts,with_scans,disambiguation,bad_data"
    );
    assert_eq!(lines[2], "2016-04-25,phetools,310,,,5,104,52,152,92,8,false");

    // Change in 7 days up to 2026-11-30: fr gains 8 pages a day.
    let (status, json) = get_json(&pool, "/api/v1/stats/diff?diff=7&to=2026-11-30").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let fr = json["wikis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|wiki| wiki["wiki"] == "frwikisource")
        .unwrap();
    assert_eq!(fr["pages"], 56);
    assert_eq!(fr["q3"], 35);
    assert_eq!(fr["from"], "2026-11-23");

    let (_, json) = get_json(&pool, "/api/v1/stats/fr/transitions?from=2026-11-01&to=2026-11-01").await;
    assert_eq!(json["transitions"].as_array().unwrap().len(), 2);
    let (_, json) = get_json(&pool, "/api/v1/stats/transitions?from=2026-11-01&to=2026-11-01").await;
    assert_eq!(json["transitions"][0]["from_level"], -1, "{json}");

    let (_, json) = get_json(&pool, "/api/v1/stats/daily?from=2026-10-01&to=2026-10-01").await;
    assert_eq!(json["days"][0]["wikis"], 2);
    assert_eq!(json["days"][0]["pages"], 520 + 260);

    let (_, json) = get_json(&pool, "/api/v1/stats/fr/not-transcluded").await;
    assert_eq!(json["books"][0]["book"], "Book_A.djvu");
    assert_eq!(json["books"][0]["pages"], 6);
    let (_, json) = get_json(
        &pool,
        "/api/v1/stats/fr/not-transcluded?idle_days=0&min_pages=4&limit=10",
    )
    .await;
    let books: Vec<&str> = json["books"]
        .as_array()
        .unwrap()
        .iter()
        .map(|book| book["book"].as_str().unwrap())
        .collect();
    assert_eq!(books, ["Book_A.djvu", "Book_B.pdf", "Book_C.tif", "Book_D.djvu"]);

    let reply = get(&pool, "/api/v1/stats?format=csv").await;
    assert!(reply.body.starts_with("wiki,code,domain,pages,"), "{}", reply.body);
    assert_eq!(reply.body.matches("\r\n").count(), 3);
}

#[sqlx::test(migrations = "../../migrations")]
async fn api_rejects_bad_parameters(pool: PgPool) {
    fill(&pool).await;
    for (uri, expected) in [
        ("/api/v1/stats?format=xml", "invalid format"),
        ("/api/v1/stats?limit=1", "unknown parameter"),
        ("/api/v1/stats/diff", "missing parameter \"diff\""),
        ("/api/v1/stats/diff?diff=2", "invalid diff"),
        ("/api/v1/stats/diff?diff=7;rm", "invalid diff"),
        ("/api/v1/stats/diff?diff=7&diff=1", "more than once"),
        ("/api/v1/stats/fr/daily?from=2016-02-30", "invalid from"),
        ("/api/v1/stats/fr/daily?to=yesterday", "invalid to"),
        ("/api/v1/stats/fr/daily?from=2020-01-02&to=2020-01-01", "is after to"),
        ("/api/v1/stats/fr/daily?from=1900-01-01", "invalid from"),
        ("/api/v1/stats/fr/not-transcluded?min_pages=0", "invalid min_pages"),
        ("/api/v1/stats/fr/not-transcluded?limit=-1", "invalid limit"),
        (
            "/api/v1/stats/fr/not-transcluded?idle_days=99999999999",
            "invalid idle_days",
        ),
        ("/api/v1/stats/FR", "invalid wiki"),
        ("/api/v1/stats/fr%20wikisource/daily", "invalid wiki"),
        ("/api/v1/stats/en.wikipedia.org", "invalid wiki"),
    ] {
        let (status, json) = get_json(&pool, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {json}");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{uri}: {message}");
    }

    let (status, json) = get_json(&pool, "/api/v1/stats/dewikisource/daily").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no statistics for the wiki"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn pages_are_cached_for_a_minute(pool: PgPool) {
    fill(&pool).await;
    let body_of = |router: axum::Router| async move {
        let request = Request::builder().uri("/stats").body(Body::empty()).unwrap();
        let response = router.oneshot(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    };
    let cached = router(AppState::new(pool.clone()));
    let uncached = router(AppState::new(pool.clone()).with_page_cache(PageCache::new(Duration::ZERO)));
    assert!(body_of(cached.clone()).await.contains("<td>1,800</td>"));

    sqlx::query("UPDATE stats_wiki_count SET pages = 1001 WHERE wiki = 'frwikisource'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        body_of(cached).await.contains("<td>1,800</td>"),
        "served from the cache"
    );
    assert!(
        body_of(uncached).await.contains("<td>1,801</td>"),
        "rendered again without the cache"
    );
}
