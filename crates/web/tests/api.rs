//! The router against a real PostgreSQL database, without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use phetools_queue::{enqueue, NewJob};
use phetools_web::{router, AppState};
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt;

async fn get(pool: &PgPool, uri: &str) -> (StatusCode, String, Option<String>) {
    request(pool, "GET", uri).await
}

async fn request(pool: &PgPool, method: &str, uri: &str) -> (StatusCode, String, Option<String>) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("Origin", "https://fr.wikisource.org")
        .body(Body::empty())
        .unwrap();
    let response = router(AppState::new(pool.clone())).oneshot(request).await.unwrap();
    let status = response.status();
    let cors = response
        .headers()
        .get("access-control-allow-origin")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap(), cors)
}

async fn get_json(pool: &PgPool, uri: &str) -> (StatusCode, Value) {
    let (status, body, _) = get(pool, uri).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{uri} answered non-JSON: {body}")),
    )
}

/// Stores a two-page text layer for File:Example_book.djvu on Commons.
async fn store_example_book(pool: &PgPool) {
    let sha1 = "2cf4474e6cac7cc7bb4abc4ec12cb3d127872b38";
    sqlx::query(
        "INSERT INTO text_layer_file (sha1, mime, byte_size, page_count) VALUES ($1, 'image/vnd.djvu', 3130, 2)",
    )
    .bind(sha1)
    .execute(pool)
    .await
    .unwrap();
    for (page, text) in [(1, "A file with non-ASCII characters,\nlike é or ç"), (2, "")] {
        sqlx::query("INSERT INTO text_layer_page (sha1, page, text) VALUES ($1, $2, $3)")
            .bind(sha1)
            .bind(page)
            .bind(text)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO wiki_file (wiki, file_dbkey, sha1, url, repository)
         VALUES ('commons.wikimedia.org', 'Example_book.djvu', $1, 'https://upload.wikimedia.org/x.djvu', 'local')",
    )
    .bind(sha1)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn healthz_reports_database(pool: PgPool) {
    let (status, body) = get_json(&pool, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "status": "ok" }));
}

#[sqlx::test(migrations = "../../migrations")]
async fn job_view_and_errors(pool: PgPool) {
    let mut connection = pool.acquire().await.unwrap();
    let id = enqueue(
        &mut connection,
        &NewJob::new("text_layer", json!({ "wiki": "en.wikisource.org", "file": "X.djvu" })),
    )
    .await
    .unwrap()
    .job_id();
    drop(connection);

    let (status, job) = get_json(&pool, &format!("/api/v1/jobs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["state"], "queued");
    assert_eq!(job["kind"], "text_layer");
    assert_eq!(job["errors"], json!([]));

    let (status, missing) = get_json(&pool, "/api/v1/jobs/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing["error"]["message"]
        .as_str()
        .unwrap()
        .contains("job 999999 not found"));

    for bad in ["abc", "-1", "0", "99999999999999999999999"] {
        let (status, body) = get_json(&pool, &format!("/api/v1/jobs/{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("invalid job id"),
            "{body}"
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn text_layer_served_with_commons_fallback(pool: PgPool) {
    store_example_book(&pool).await;

    let (status, page, cors) = get(
        &pool,
        "/api/v1/text-layer?wiki=frwikisource&file=Fichier%20inconnu&page=1",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    assert_eq!(cors.as_deref(), Some("*"));

    let (status, page) = get_json(
        &pool,
        "/api/v1/text-layer?wiki=fr.wikisource.org&file=File:Example%20book.djvu&page=1",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["text"], "A file with non-ASCII characters,\nlike é or ç");
    assert_eq!(page["source_wiki"], "commons.wikimedia.org");
    assert_eq!(page["page_count"], 2);

    let (status, blank) = get_json(
        &pool,
        "/api/v1/text-layer?wiki=enwikisource&file=Example_book.djvu&page=2",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(blank["text"], "");

    let (status, beyond) = get_json(
        &pool,
        "/api/v1/text-layer?wiki=enwikisource&file=Example_book.djvu&page=3",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        beyond["error"]["message"].as_str().unwrap().contains("2 pages"),
        "{beyond}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn text_layer_rejects_bad_parameters(pool: PgPool) {
    let cases = [
        ("/api/v1/text-layer?file=X.djvu&page=1", "missing parameter \"wiki\""),
        (
            "/api/v1/text-layer?wiki=enwikisource&page=1",
            "missing parameter \"file\"",
        ),
        (
            "/api/v1/text-layer?wiki=enwikisource&file=X.djvu",
            "missing parameter \"page\"",
        ),
        (
            "/api/v1/text-layer?wiki=en.wikisource.org&file=X.djvu&page=0",
            "invalid page \"0\"",
        ),
        (
            "/api/v1/text-layer?wiki=en.wikisource.org&file=X.djvu&page=abc",
            "invalid page \"abc\"",
        ),
        (
            "/api/v1/text-layer?wiki=en.wikisource.org&file=X.djvu&page=100001",
            "invalid page",
        ),
        (
            "/api/v1/text-layer?wiki=..%2F..%2Fetc&file=X.djvu&page=1",
            "invalid wiki",
        ),
        (
            "/api/v1/text-layer?wiki=http://evil.example/&file=X.djvu&page=1",
            "invalid wiki",
        ),
        (
            "/api/v1/text-layer?wiki=en.wikisource.org&file=%3Cscript%3E&page=1",
            "invalid file name",
        ),
        (
            "/api/v1/text-layer?wiki=en.wikisource.org&file=A%7CB.djvu&page=1",
            "invalid file name",
        ),
        (
            "/api/v1/text-layer?wiki=en.wikisource.org&file=X.djvu&page=%2B3",
            "invalid page \"+3\"",
        ),
        (
            "/api/v1/text-layer?wiki=en.wikisource.org&file=X.djvu&page=3&page=4",
            "given more than once",
        ),
    ];
    for (uri, expected) in cases {
        let (status, body) = get_json(&pool, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{uri}: {message}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn status_page_escapes_and_lists(pool: PgPool) {
    let mut connection = pool.acquire().await.unwrap();
    enqueue(
        &mut connection,
        &NewJob::new("text_layer", json!({ "file": "<b>bold</b>.djvu" })),
    )
    .await
    .unwrap();
    sqlx::query(
        "UPDATE job SET state = 'failed', attempt = 1, finished_at = now(),
                errors = '[{\"attempt\": 1, \"at\": \"2026-12-01T00:00:00Z\", \"worker\": \"w\", \"error\": \"<script>x</script>\"}]'",
    )
    .execute(&mut *connection)
    .await
    .unwrap();
    drop(connection);

    let (status, page, _) = get(&pool, "/status").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Recent failures"), "{page}");
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"), "{page}");
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<b>bold</b>"), "{page}");
    assert!(page.contains("No event has been consumed yet"), "{page}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn api_errors_are_json_with_cors(pool: PgPool) {
    let cases = [
        ("GET", "/api/v1/jobs", StatusCode::NOT_FOUND, "no API route"),
        ("GET", "/api/v1/jobs/1/extra", StatusCode::NOT_FOUND, "no API route"),
        ("GET", "/api/v1/nothing", StatusCode::NOT_FOUND, "no API route"),
        ("POST", "/api/v1/jobs/1", StatusCode::METHOD_NOT_ALLOWED, "use GET"),
        (
            "DELETE",
            "/api/v1/text-layer",
            StatusCode::METHOD_NOT_ALLOWED,
            "use GET",
        ),
        ("GET", "/api/v1/jobs/%FF", StatusCode::BAD_REQUEST, "invalid URL path"),
        ("GET", "/api/v1/jobs/+1", StatusCode::BAD_REQUEST, "invalid job id"),
    ];
    for (method, uri, expected_status, expected_message) in cases {
        let (status, body, cors) = request(&pool, method, uri).await;
        assert_eq!(status, expected_status, "{method} {uri}: {body}");
        assert_eq!(cors.as_deref(), Some("*"), "{method} {uri}");
        let json: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{method} {uri} answered non-JSON: {body}"));
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected_message), "{method} {uri}: {message}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn statistics_php_renders_and_rejects_hostile_values(pool: PgPool) {
    sqlx::query("INSERT INTO stats_wiki_count (wiki, pages, q3, q4, texts) VALUES ('tewikisource', 10, 2, 1, 4)")
        .execute(&pool)
        .await
        .unwrap();
    let (status, body, cors) = get(&pool, "/statistics.php").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cors.as_deref(), Some("*"));
    assert!(body.contains("<tr><td>te</td><td>10</td>"), "{body}");

    for uri in [
        "/statistics.php?diff=2",
        "/statistics.php?diff=1%3Brm%20-rf%20~",
        "/statistics.php?daysago=1;id",
        "/statistics.php?daysago=-1",
        "/statistics.php?diff=7&daysago=%241",
    ] {
        let (status, body, _) = get(&pool, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
    let (status, _, _) = get(&pool, "/statistics.php?diff=365&daysago=3").await;
    assert_eq!(status, StatusCode::OK);

    let (status, json) = get_json(&pool, "/api/v1/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json[0]["wiki"], "tewikisource");
    assert_eq!(json[0]["naked"], 4);
}
