//! The old tool's `/ocr.php` contract through the real binary: `phetools serve` and
//! `phetools work` on their own database, reading page images from a loopback
//! image server that serves the fixture scans under thumbnail-style paths.
//!
//! Needs PostgreSQL (`DATABASE_URL`) and tesseract with the `eng` and `osd` models.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Thumbnail path under which the image server serves the phototest page.
const PAGE_PATH: &str = "/wikipedia/commons/thumb/a/ab/Phototest.djvu/page1-640px-Phototest.djvu.jpg";
const DEADLINE: Duration = Duration::from_secs(120);

/// Kills the child process when a test ends, even by a failed assertion.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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

/// Serves the fixture page, a redirect to 127.0.0.1 and a huge image header on
/// `localhost:<port>`; returns the origin.
async fn start_image_server() -> String {
    let page = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/ocr/tests/fixtures/en_phototest.tif"
    ))
    .expect("fixture readable");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = Router::new()
        .route(
            PAGE_PATH,
            get(move || async move { ([(header::CONTENT_TYPE, "image/jpeg")], page) }),
        )
        .route(
            "/wikipedia/commons/redirect.jpg",
            get(move || async move {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, format!("http://127.0.0.1:{port}{PAGE_PATH}"))],
                )
                    .into_response()
            }),
        )
        .route("/wikipedia/commons/huge.png", get(|| async { huge_png_header() }));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://localhost:{port}")
}

/// A PNG header claiming 20000×20000 pixels followed by the start of an empty IDAT chunk.
fn huge_png_header() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png.extend_from_slice(&[0; 4]);
    png.extend_from_slice(b"IDAT");
    png.extend_from_slice(&[0; 64]);
    png
}

/// Starts `phetools <role>` on `database` with images allowed from `image_origin`
/// and no rate limit.
fn start_role(role: &str, database: &str, image_origin: &str, port: u16) -> ChildGuard {
    start_role_with_rate_limit(role, database, image_origin, port, 0)
}

/// Starts `phetools <role>` allowing `per_minute` OCR requests per client and
/// minute after the default burst; 0 turns the limit off.
fn start_role_with_rate_limit(
    role: &str,
    database: &str,
    image_origin: &str,
    port: u16,
    per_minute: u32,
) -> ChildGuard {
    let child = Command::new(env!("CARGO_BIN_EXE_phetools"))
        .arg(role)
        .env("DATABASE_URL", database_url_for(database))
        .env("PHETOOLS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PHETOOLS_UPLOAD_HOSTS", image_origin)
        .env("PHETOOLS_OCR_ALLOW_LOOPBACK", "true")
        .env("PHETOOLS_OCR_RATE_LIMIT", per_minute.to_string())
        .env("PHETOOLS_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .env_remove("OMP_THREAD_LIMIT")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("phetools binary starts");
    ChildGuard(child)
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|value| value.to_str().unwrap())
            .unwrap_or("")
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Reply {
    let response = client.get(url).send().await.expect("web server answers");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

async fn wait_until_serving(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < DEADLINE, "the web server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends a GET request whose query string has `length` bytes over a raw socket
/// (HTTP clients refuse to build such a URL) and returns the response's status line.
async fn send_huge_query(port: u16, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "GET /ocr.php?cmd=ocr&url={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "a".repeat(length)
    );
    // The server may answer and close before the whole request is written.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut response = vec![0; 1024];
    let read = stream.read(&mut response).await.unwrap_or(0);
    String::from_utf8_lossy(&response[..read])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

fn percent_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A running `phetools serve` on the test's database and the image server it reads from.
struct TestServer {
    database: String,
    image_origin: String,
    port: u16,
    base: String,
    client: reqwest::Client,
    _server: ChildGuard,
}

impl TestServer {
    /// Starts the image server and `phetools serve` with `per_minute` OCR
    /// requests allowed per client (0: no limit), and waits until it serves.
    async fn start(connect_options: &PgConnectOptions, per_minute: u32) -> TestServer {
        let database = connect_options
            .get_database()
            .expect("sqlx::test names the database")
            .to_owned();
        let image_origin = start_image_server().await;
        let port = free_loopback_port();
        let server = start_role_with_rate_limit("serve", &database, &image_origin, port, per_minute);
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        wait_until_serving(&client, &base).await;
        TestServer {
            database,
            image_origin,
            port,
            base,
            client,
            _server: server,
        }
    }

    /// Starts `phetools work` on the same database.
    fn start_worker(&self) -> ChildGuard {
        start_role("work", &self.database, &self.image_origin, free_loopback_port())
    }
}

#[sqlx::test(migrations = false)]
async fn legacy_ocr_contract(_pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    let server = TestServer::start(&connect_options, 0).await;
    let (base, client, image_origin) = (&server.base, &server.client, &server.image_origin);
    let _worker = server.start_worker();

    // C2: ping.
    let ping = fetch(client, &format!("{base}/ocr.php?cmd=ping")).await;
    assert_eq!(ping.status, 200);
    assert_eq!(ping.header("content-type"), "application/json");
    assert_eq!(ping.header("access-control-allow-origin"), "*");
    assert_eq!(ping.header("cache-control"), "no-cache");
    let body = ping.json();
    assert_eq!(body["error"], 0);
    assert_eq!(body["text"], "pong");
    assert_eq!(body["server"], "ws_ocr_daemon");
    assert!(body["ping"].as_f64().is_some(), "{body}");

    // C3: no cmd and cmd=status give the HTML status page.
    for url in [format!("{base}/ocr.php"), format!("{base}/ocr.php?cmd=status")] {
        let status = fetch(client, &url).await;
        assert_eq!(status.status, 200);
        assert!(status.header("content-type").starts_with("text/html"), "{url}");
        assert!(status.body.contains("OCR service"), "{}", status.body);
    }

    // Unknown command.
    let unknown = fetch(client, &format!("{base}/ocr.php?cmd=frobnicate")).await;
    assert_eq!(unknown.json()["error"], 1);
    assert_eq!(unknown.json()["text"], "unknown command: frobnicate");

    // C1 and C17: the URL unencoded, encoded once and encoded twice give the same text.
    let page_url = format!("{image_origin}{PAGE_PATH}");
    let truth = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/ocr/tests/fixtures/en_phototest.gt.txt"
    ))
    .unwrap();
    let mut texts = Vec::new();
    for encoded in [
        page_url.clone(),
        percent_encode(&page_url),
        percent_encode(&percent_encode(&page_url)),
    ] {
        let reply = fetch(
            client,
            &format!("{base}/ocr.php?cmd=ocr&url={encoded}&lang=en&user=Tester"),
        )
        .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), "application/json");
        assert_eq!(reply.header("access-control-allow-origin"), "*");
        let body = reply.json();
        assert_eq!(body["error"], 0, "{body}");
        // C16: error is an integer, text a string, the JSON is ASCII.
        assert!(body["error"].is_i64());
        assert!(reply.body.is_ascii());
        texts.push(body["text"].as_str().unwrap().to_owned());
    }
    assert!(texts.iter().all(|text| text == &texts[0]), "{texts:?}");
    assert!(texts[0].contains("quick brown dog"), "{}", texts[0]);
    assert!(
        truth.lines().next().is_some_and(|line| texts[0].starts_with(line)),
        "{}",
        texts[0]
    );

    // Unknown language: the English model, error 0.
    let fallback = fetch(
        client,
        &format!("{base}/ocr.php?cmd=ocr&url={page_url}&lang=xx&user=Tester"),
    )
    .await;
    assert_eq!(fallback.json()["error"], 0);

    // Invalid UTF-8: error 1 naming the parameter, not pywikibot-breaking error 4.
    let invalid = fetch(client, &format!("{base}/ocr.php?cmd=ocr&url=%FF&lang=en")).await;
    assert_eq!(invalid.status, 200);
    assert_eq!(invalid.json()["error"], 1);
    assert!(
        invalid.json()["text"].as_str().unwrap().contains("\"url\""),
        "{}",
        invalid.body
    );

    // Rejected image URLs: error 1 with the reason.
    for (url, expected) in [
        ("https://evil.example/a.jpg".to_owned(), "not an allowed image origin"),
        ("file:///etc/passwd".to_owned(), "scheme file"),
        (format!("{image_origin}/wikipedia/commons/redirect.jpg"), "redirect"),
        (format!("{image_origin}/wikipedia/commons/huge.png"), "20000×20000"),
    ] {
        let reply = fetch(
            client,
            &format!("{base}/ocr.php?cmd=ocr&url={}&lang=en", percent_encode(&url)),
        )
        .await;
        let body = reply.json();
        assert_ne!(body["error"], 0, "{url}: {body}");
        let text = body["text"].as_str().unwrap();
        assert!(text.contains(expected), "{url}: {text:?} does not contain {expected:?}");
    }

    // The JSON API rejects a non-language with 400.
    let bad_lang = fetch(client, &format!("{base}/api/v1/ocr?image={page_url}&lang=../../etc")).await;
    assert_eq!(bad_lang.status, 400, "{}", bad_lang.body);
    let api = fetch(client, &format!("{base}/api/v1/ocr?image={page_url}&langs[]=en")).await;
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(api.json()["text"], Value::String(texts[0].clone()));
    assert_eq!(api.json()["cached"], true);

    // A 10 MB query string is rejected by the HTTP server before any handler reads it.
    let started = Instant::now();
    let status_line = send_huge_query(server.port, 10 * 1024 * 1024).await;
    assert!(
        ["400", "414", "431"].iter().any(|code| status_line.contains(code)),
        "a 10 MB query string was answered with {status_line:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    let status = fetch(client, &format!("{base}/api/v1/ocr/languages")).await;
    assert_eq!(status.status, 200);
    assert!(status.json()["installed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|model| model == "eng"));
}

/// Counts the OCR jobs in the test's database.
async fn ocr_job_count(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = 'ocr'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn identical_requests_share_one_job(pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    let server = TestServer::start(&connect_options, 0).await;
    let (base, client, image_origin) = (&server.base, &server.client, &server.image_origin);
    let pool = pool_options.connect_with(connect_options).await.unwrap();

    // No worker runs yet, so the three requests wait on the queue together.
    let url = format!(
        "{base}/ocr.php?cmd=ocr&url={}&lang=en&user=Tester",
        percent_encode(&format!("{image_origin}{PAGE_PATH}"))
    );
    let requests: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move { fetch(&client, &url).await })
        })
        .collect();
    let started = Instant::now();
    while ocr_job_count(&pool).await == 0 {
        assert!(started.elapsed() < DEADLINE, "no OCR job was queued");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Leaves the other requests time to arrive and find the queued job.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(ocr_job_count(&pool).await, 1, "identical requests must share one job");

    let _worker = server.start_worker();
    let mut texts = Vec::new();
    for request in requests {
        let reply = request.await.unwrap();
        let body = reply.json();
        assert_eq!(body["error"], 0, "{body}");
        texts.push(body["text"].as_str().unwrap().to_owned());
    }
    assert!(texts[0].contains("quick brown dog"), "{}", texts[0]);
    assert!(texts.iter().all(|text| text == &texts[0]), "{texts:?}");
    assert_eq!(ocr_job_count(&pool).await, 1);
}

#[sqlx::test(migrations = false)]
async fn rate_limit_answers_429(_pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    let server = TestServer::start(&connect_options, 1).await;
    let (base, client) = (&server.base, &server.client);

    // A foreign host is rejected without a download, so only the limiter is exercised.
    let legacy = format!("{base}/ocr.php?cmd=ocr&url=https%3A%2F%2Fevil.example%2Fa.jpg&lang=en");
    let burst = 20; // the default ocr.rate_limit_burst
    for attempt in 0..burst {
        let reply = fetch(client, &legacy).await;
        assert_eq!(reply.status, 200, "request {attempt} of the burst: {}", reply.body);
    }

    let limited = fetch(client, &legacy).await;
    assert_eq!(limited.status, 429);
    let retry_after: u64 = limited.header("retry-after").parse().expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(limited.header("access-control-allow-origin"), "*");
    let body = limited.json();
    assert_eq!(body["error"], 1, "{body}");
    assert!(
        body["text"].as_str().unwrap().starts_with("too many OCR requests"),
        "{body}"
    );

    // The JSON API shares the limit. X-Forwarded-For is ignored unless the proxy is trusted.
    let api = client
        .get(format!(
            "{base}/api/v1/ocr?image=https%3A%2F%2Fevil.example%2Fa.jpg&lang=en"
        ))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 429);
    assert!(api.headers().contains_key("retry-after"));

    // The limit covers OCR requests only, so ping still succeeds.
    let ping = fetch(client, &format!("{base}/ocr.php?cmd=ping")).await;
    assert_eq!(ping.status, 200);
    assert_eq!(ping.json()["error"], 0);
}

/// Starts `phetools <role>` in a mount namespace whose `/etc/hosts` maps
/// `private.test` to 10.1.2.3, a private address. Returns `None` when this
/// process may not create mount namespaces (it needs root or user namespaces).
fn start_role_with_private_host(role: &str, database: &str, hosts: &std::path::Path, port: u16) -> Option<ChildGuard> {
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind /dev/null /etc/hostname"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|status| status.success()) {
        return None;
    }
    let child = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind \"$1\" /etc/hosts && exec \"$2\" \"$3\""])
        .args(["phetools-private-host"])
        .arg(hosts)
        .arg(env!("CARGO_BIN_EXE_phetools"))
        .arg(role)
        .env("DATABASE_URL", database_url_for(database))
        .env("PHETOOLS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PHETOOLS_UPLOAD_HOSTS", format!("https://{PRIVATE_HOST}:9"))
        .env("PHETOOLS_OCR_ALLOW_LOOPBACK", "true")
        .env("PHETOOLS_OCR_RATE_LIMIT", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("unshare starts");
    Some(ChildGuard(child))
}

/// An allowed image host name that `start_role_with_private_host` resolves to a private address.
const PRIVATE_HOST: &str = "private.test";

#[sqlx::test(migrations = false)]
async fn host_resolving_to_private_address_rejected(_pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    let database = connect_options
        .get_database()
        .expect("sqlx::test names the database")
        .to_owned();
    let directory = tempfile::tempdir().unwrap();
    let hosts = directory.path().join("hosts");
    std::fs::write(&hosts, format!("127.0.0.1 localhost\n10.1.2.3 {PRIVATE_HOST}\n")).unwrap();
    let port = free_loopback_port();
    let Some(_server) = start_role_with_private_host("serve", &database, &hosts, port) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "unshare -m is not permitted, so the private-address test cannot run"
        );
        eprintln!("skipped: unshare -m is not permitted here");
        return;
    };
    let _worker = start_role_with_private_host("work", &database, &hosts, free_loopback_port()).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until_serving(&client, &base).await;

    // Loopback is allowed in this set-up, so only the private address can cause the rejection.
    let image = percent_encode(&format!("https://{PRIVATE_HOST}:9/wikipedia/commons/a.jpg"));
    let legacy = fetch(&client, &format!("{base}/ocr.php?cmd=ocr&url={image}&lang=en")).await;
    assert_eq!(legacy.status, 200);
    let body = legacy.json();
    assert_ne!(body["error"], 0, "{body}");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("non-public"), "{text}");
    assert!(text.contains(PRIVATE_HOST), "{text}");

    let api = fetch(&client, &format!("{base}/api/v1/ocr?image={image}&lang=en")).await;
    assert!((400..500).contains(&api.status), "{} {}", api.status, api.body);
    assert!(api.body.contains("non-public"), "{}", api.body);
}
