//! End-to-end tests through the real binary. A replayed EventStreams upload event
//! for a real DjVu file on the test wiki becomes a `text_layer` job. The worker
//! looks the file up and downloads it from the wiki, djvulibre extracts its text,
//! and the web server shows the stored text and the status page.
//!
//! Needs the MediaWiki test wiki (`PHETOOLS_TEST_WIKI_API`) and PostgreSQL
//! (`DATABASE_URL`), which `ops/test.sh` provides.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use phetools_stream::{Faults, Frame, ReplayServer};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The 325-page scanned book that the test wiki serves as File:Kjv-genesis-numbers.djvu.
const BOOK: &str = "tests/fixtures/textlayer/kjv-genesis-numbers.djvu";
const BOOK_FILE_NAME: &str = "Kjv-genesis-numbers.djvu";
/// Extraction and download of the book take a few seconds; this bounds a hang.
const DEADLINE: Duration = Duration::from_secs(120);

/// Kills the child process when a test ends, even by a failed assertion.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn test_wiki_api() -> Option<String> {
    let api = std::env::var("PHETOOLS_TEST_WIKI_API")
        .ok()
        .filter(|value| !value.is_empty());
    if api.is_none() {
        // CI runs ops/test.sh, which always starts the wiki: a skip there would hide a broken set-up.
        assert!(
            std::env::var_os("CI").is_none(),
            "the test wiki is missing under CI; run the tests with ops/test.sh"
        );
        eprintln!("SKIPPED: PHETOOLS_TEST_WIKI_API is not set; run the tests with ops/test.sh");
    }
    api
}

/// Returns the origin (`http://127.0.0.1:18080`) of the wiki's API URL, where uploads are served.
fn origin_of(api: &str) -> String {
    let url = url::Url::parse(api).expect("PHETOOLS_TEST_WIKI_API is a URL");
    url.origin().ascii_serialization()
}

/// MediaWiki's base-36 SHA-1 (as in `log_params.img_sha1`) of `bytes`.
fn sha1_base36(bytes: &[u8]) -> String {
    let mut digits = Vec::new();
    let mut number: Vec<u8> = Sha1::digest(bytes).to_vec();
    while number.iter().any(|byte| *byte != 0) {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 36) as u8;
            remainder = value % 36;
        }
        digits.push(std::char::from_digit(remainder, 36).unwrap());
    }
    digits.iter().rev().collect()
}

/// Builds an upload log event on en.wikisource in the shape of `mediawiki.recentchange` 1.0.0.
fn upload_event(file_name: &str, sha1_base36: &str, offset: u64) -> Frame {
    let event_id = format!("6f1f9c2e-4d0e-4b8e-9a57-{offset:012x}");
    let data = json!({
        "$schema": "/mediawiki/recentchange/1.0.0",
        "meta": {
            "uri": format!("https://en.wikisource.org/wiki/File:{}", file_name.replace(' ', "_")),
            "request_id": "5b8b4bc4-7c8e-4a33-9f59-0a4f9d0b3c11",
            "id": event_id,
            "dt": "2026-11-30T10:15:00.123Z",
            "domain": "en.wikisource.org",
            "stream": "mediawiki.recentchange",
            "topic": "eqiad.mediawiki.recentchange",
            "partition": 0,
            "offset": offset
        },
        "id": 98765432,
        "type": "log",
        "namespace": 6,
        "title": format!("File:{file_name}"),
        "title_url": format!("https://en.wikisource.org/wiki/File:{}", file_name.replace(' ', "_")),
        "comment": "scan of the first four books of Moses",
        "timestamp": 1_764_497_700,
        "user": "Example uploader",
        "bot": false,
        "log_id": 4_242_424,
        "log_type": "upload",
        "log_action": "upload",
        "log_params": { "img_sha1": sha1_base36, "img_timestamp": "20261130101500" },
        "log_action_comment": format!("uploaded \"[[File:{file_name}]]\""),
        "server_url": "https://en.wikisource.org",
        "server_name": "en.wikisource.org",
        "server_script_path": "/w",
        "wiki": "enwikisource",
        "parsedcomment": "scan of the first four books of Moses"
    });
    let id = json!([{ "topic": "eqiad.mediawiki.recentchange", "partition": 0, "timestamp": 1_764_497_700_124u64 + offset % 1000 }]);
    Frame::message(&id.to_string(), &data.to_string())
}

/// Starts `phetools run` on its own database, with the stream and the wiki pointed at
/// local servers. Returns the guard and the web server's base URL.
fn start_phetools(database: &str, stream: &ReplayServer, wiki_api: &str) -> (ChildGuard, String) {
    let port = free_loopback_port();
    let child = Command::new(env!("CARGO_BIN_EXE_phetools"))
        .arg("run")
        .env("DATABASE_URL", database_url_for(database))
        .env("PHETOOLS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PHETOOLS_EVENTSTREAMS_URL", stream.base_url())
        .env("PHETOOLS_WIKI_API_URL", wiki_api)
        .env("PHETOOLS_UPLOAD_HOSTS", origin_of(wiki_api))
        .env(
            "PHETOOLS_STREAMS_FILE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/streams.toml"),
        )
        .env("PHETOOLS_WORKERS", "2")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("phetools binary starts");
    (ChildGuard(child), format!("http://127.0.0.1:{port}"))
}

/// Uploads `path` to the test wiki as File:`name` with the harness.
fn import_into_wiki(wiki_api: &str, path: &std::path::Path, name: &str) {
    let wiki_dir =
        std::env::var("PHETOOLS_TEST_WIKI_DIR").expect("PHETOOLS_TEST_WIKI_DIR is set with PHETOOLS_TEST_WIKI_API");
    let port = url::Url::parse(wiki_api).unwrap().port_or_known_default().unwrap();
    let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/ops/mediawiki-test-wiki.sh"))
        .arg("import")
        .arg(path)
        .arg(name)
        .env("MW_WIKI_DIR", wiki_dir)
        .env("MW_PORT", port.to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Fetches the HTML of `/status`.
async fn get_status_page(client: &reqwest::Client, base: &str) -> String {
    let response = client
        .get(format!("{base}/status"))
        .send()
        .await
        .expect("web server responds");
    response.text().await.expect("status page body is text")
}

/// Polls job `id` until it is in a final state.
async fn wait_for_final_job(client: &reqwest::Client, base: &str, id: i64) -> Value {
    let started = Instant::now();
    loop {
        // The server may still be starting: connection errors only mean "not yet".
        if let Ok(response) = client.get(format!("{base}/api/v1/jobs/{id}")).send().await {
            let job: Value = response.json().await.unwrap_or(Value::Null);
            if matches!(job["state"].as_str(), Some("succeeded" | "failed" | "cancelled")) {
                return job;
            }
        }
        assert!(
            started.elapsed() < DEADLINE,
            "job {id} not finished within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A canary event, which the consumer must drop.
fn canary_event() -> Frame {
    let data = json!({
        "$schema": "/mediawiki/recentchange/1.0.1",
        "meta": { "stream": "mediawiki.recentchange", "dt": "2026-11-30T10:14:59Z", "domain": "canary",
                  "id": "00000000-0000-0000-0000-000000000000", "topic": "eqiad.mediawiki.recentchange",
                  "partition": 0, "offset": 1 }
    });
    let id = json!([{ "topic": "eqiad.mediawiki.recentchange", "partition": 0, "timestamp": 1_764_497_699_001u64 }]);
    Frame::message(&id.to_string(), &data.to_string())
}

fn free_loopback_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// DATABASE_URL of the test's own database: the configured URL with its database replaced.
fn database_url_for(database: &str) -> String {
    let mut url = url::Url::parse(&std::env::var("DATABASE_URL").expect("DATABASE_URL is set")).unwrap();
    url.set_path(&format!("/{database}"));
    url.to_string()
}

async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.expect("web server answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[sqlx::test(migrations = false)]
async fn replayed_upload_reaches_text_layer_api(_pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    let Some(wiki_api) = test_wiki_api() else { return };
    let database = connect_options
        .get_database()
        .expect("sqlx::test names the database")
        .to_owned();
    let book = std::fs::read(BOOK).expect("fixture present");

    let frames = vec![
        canary_event(),
        upload_event(BOOK_FILE_NAME, &sha1_base36(&book), 7_000_001),
    ];
    let stream = ReplayServer::start(frames, Faults::default()).await.unwrap();
    let (_child, base) = start_phetools(&database, &stream, &wiki_api);
    let client = reqwest::Client::new();
    let text_url = format!("{base}/api/v1/text-layer?wiki=en.wikisource.org&file={BOOK_FILE_NAME}&page=3");
    let started = Instant::now();
    let page = loop {
        if let Ok(response) = client.get(&text_url).send().await {
            if response.status() == 200 {
                break response.json::<Value>().await.unwrap();
            }
        }
        assert!(
            started.elapsed() < DEADLINE,
            "text layer of page 3 not served within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    // Page 3 opens Genesis; its OCR text layer has the book heading and verse 1.
    let text = page["text"].as_str().expect("text is a string");
    assert!(text.contains("GENESIS"), "page 3 text: {text}");
    assert!(
        text.contains("In the beginning God created the heaven and the earth"),
        "page 3 text: {text}"
    );
    assert_eq!(page["page_count"], 325);
    assert_eq!(page["sha1"], hex::encode(Sha1::digest(&book)));

    // Page 2 is blank in the scan: an empty text, not an error.
    let (status, blank) = get_json(
        &client,
        &format!("{base}/api/v1/text-layer?wiki=enwikisource&file=File:{BOOK_FILE_NAME}&page=2"),
    )
    .await;
    assert_eq!(status, 200, "{blank}");
    assert_eq!(blank["text"], "");

    // Past the last page: a 404 that names the page count.
    let (status, beyond) = get_json(
        &client,
        &format!("{base}/api/v1/text-layer?wiki=en.wikisource.org&file={BOOK_FILE_NAME}&page=326"),
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        beyond["error"]["message"].as_str().unwrap().contains("325 pages"),
        "{beyond}"
    );

    // The job that did it: one text_layer job, succeeded on its first attempt. The
    // text is visible before the job ends, because the handler looks the file up
    // once more after storing it.
    let job = wait_for_final_job(&client, &base, 1).await;
    assert_eq!(job["kind"], "text_layer");
    assert_eq!(job["state"], "succeeded");
    assert_eq!(job["attempt"], 1);
    assert_eq!(job["payload"]["file"], "Kjv-genesis-numbers.djvu");

    // The status page shows the finished job and the stream position.
    let status_page = get_status_page(&client, &base).await;
    assert!(status_page.contains("text_layer"), "{status_page}");
    assert!(status_page.contains("succeeded"), "{status_page}");
    assert!(status_page.contains("eventstreams"), "{status_page}");
    assert!(
        status_page.contains("2026-11-30 10:15:00"),
        "stream position missing: {status_page}"
    );

    // CORS for gadgets on every API route.
    let response = client
        .get(&text_url)
        .header("Origin", "https://en.wikisource.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");

    // Exactly one job although the consumer may have reconnected meanwhile.
    let pool = sqlx::PgPool::connect(&database_url_for(&database)).await.unwrap();
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM job")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 1);
    pool.close().await;
    stream.shutdown().await;
}

#[sqlx::test(migrations = false)]
async fn corrupt_upload_fails_alone(_pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    let Some(wiki_api) = test_wiki_api() else { return };
    let database = connect_options
        .get_database()
        .expect("sqlx::test names the database")
        .to_owned();

    // The first 300,000 bytes of the book: a DjVu whose header promises more.
    let book = std::fs::read(BOOK).expect("fixture present");
    let truncated = &book[..300_000];
    let directory = tempfile::tempdir().unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let corrupt_name = format!("Truncated-{}-{nanos}.djvu", std::process::id());
    let corrupt_path = directory.path().join(&corrupt_name);
    std::fs::write(&corrupt_path, truncated).unwrap();
    import_into_wiki(&wiki_api, &corrupt_path, &corrupt_name);

    let frames = vec![
        upload_event(&corrupt_name, &sha1_base36(truncated), 7_100_001),
        upload_event(BOOK_FILE_NAME, &sha1_base36(&book), 7_100_002),
    ];
    let stream = ReplayServer::start(frames, Faults::default()).await.unwrap();
    let (_child, base) = start_phetools(&database, &stream, &wiki_api);
    let client = reqwest::Client::new();

    // Jobs are numbered in event order: the corrupt file first, then the book.
    let corrupt = wait_for_final_job(&client, &base, 1).await;
    let good = wait_for_final_job(&client, &base, 2).await;

    assert_eq!(corrupt["payload"]["file"], corrupt_name.as_str());
    assert_eq!(corrupt["state"], "failed", "{corrupt}");
    assert_eq!(corrupt["attempt"], 1, "a corrupt file is not retried: {corrupt}");
    let errors = corrupt["errors"].as_array().expect("errors is a list");
    assert_eq!(errors.len(), 1, "{corrupt}");
    let message = errors[0]["error"].as_str().unwrap();
    assert!(message.contains(&corrupt_name), "the error names the file: {message}");
    assert!(
        message.contains("truncated") || message.contains("corrupt"),
        "the error says what is wrong: {message}"
    );

    assert_eq!(good["state"], "succeeded", "{good}");
    let (status, page) = get_json(
        &client,
        &format!("{base}/api/v1/text-layer?wiki=en.wikisource.org&file={BOOK_FILE_NAME}&page=3"),
    )
    .await;
    assert_eq!(status, 200, "{page}");

    // The failure is on the status page with its reason.
    let status_page = get_status_page(&client, &base).await;
    assert!(status_page.contains("Recent failures"), "{status_page}");
    assert!(status_page.contains(&corrupt_name), "{status_page}");
    stream.shutdown().await;
}
