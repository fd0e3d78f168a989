//! Black-box tests of `/hocr_cgi.py` through the real binary: `phetools serve`
//! answers, `phetools work` builds, against the MediaWiki test wiki and a
//! PostgreSQL database of the test's own.
//!
//! Needs the test wiki (`PHETOOLS_TEST_WIKI_API`, `PHETOOLS_TEST_WIKI_DIR`) and
//! PostgreSQL (`DATABASE_URL`), which `ops/test.sh` provides.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use roxmltree::{Document, ParsingOptions};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// 4 pages, each with the words "A file with non-ASCII characters, like é or ç".
const SMALL_DJVU: &str = "tests/fixtures/textlayer/pywikibot-myfile-4pages-with-text.djvu";
/// 308 pages; page 89 has the words of a real scan.
const TRIBULAT_DJVU: &str = "tests/fixtures/textlayer/fr_tribulat-bonhomet_1887_308p_ia-textlayer.djvu";
/// Bounds the wait for builds of the small test files.
const DEADLINE: Duration = Duration::from_secs(120);
/// A cold request must get its reply at once, without waiting for a build. No worker
/// runs while it is measured, so a request that waited would hit this bound.
const COLD_ANSWER_BOUND: Duration = Duration::from_secs(3);

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
        assert!(
            std::env::var_os("CI").is_none(),
            "the test wiki is missing under CI; run the tests with ops/test.sh"
        );
        eprintln!("SKIPPED: PHETOOLS_TEST_WIKI_API is not set; run the tests with ops/test.sh");
    }
    api
}

fn free_loopback_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn database_url_for(database: &str) -> String {
    let mut url = url::Url::parse(&std::env::var("DATABASE_URL").expect("DATABASE_URL is set")).unwrap();
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// Starts `phetools <role>` on the test's database, pointed at the test wiki.
fn start(role: &str, database: &str, wiki_api: &str, port: u16) -> ChildGuard {
    let origin = url::Url::parse(wiki_api).unwrap().origin().ascii_serialization();
    let child = Command::new(env!("CARGO_BIN_EXE_phetools"))
        .arg(role)
        .env("DATABASE_URL", database_url_for(database))
        .env("PHETOOLS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PHETOOLS_WIKI_API_URL", wiki_api)
        .env("PHETOOLS_UPLOAD_HOSTS", origin)
        .env("PHETOOLS_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("phetools binary starts");
    ChildGuard(child)
}

/// Uploads `path` to the test wiki as File:`name`, or as its new version.
fn import_into_wiki(wiki_api: &str, path: &str, name: &str) {
    let wiki_dir =
        std::env::var("PHETOOLS_TEST_WIKI_DIR").expect("PHETOOLS_TEST_WIKI_DIR is set with PHETOOLS_TEST_WIKI_API");
    let port = url::Url::parse(wiki_api).unwrap().port_or_known_default().unwrap();
    let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/ops/mediawiki-test-wiki.sh"))
        .arg("import")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + path)
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

fn unique_name(stem: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{stem}-{}-{nanos}.djvu", std::process::id())
}

/// One response of /hocr_cgi.py.
struct Answer {
    status: u16,
    content_type: String,
    allow_origin: String,
    body: String,
    elapsed: Duration,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.body))
    }
}

async fn get(client: &reqwest::Client, base: &str, query: &[(&str, &str)]) -> Answer {
    let started = Instant::now();
    let response = client
        .get(format!("{base}/hocr_cgi.py"))
        .query(query)
        .send()
        .await
        .expect("the server answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, content_type, allow_origin) = (
        response.status().as_u16(),
        header("content-type"),
        header("access-control-allow-origin"),
    );
    let body = response.text().await.unwrap();
    Answer {
        status,
        content_type,
        allow_origin,
        body,
        elapsed: started.elapsed(),
    }
}

async fn hocr(client: &reqwest::Client, base: &str, book: &str, lang: &str) -> Answer {
    get(
        client,
        base,
        &[("cmd", "hocr"), ("book", book), ("lang", lang), ("user", "Someone")],
    )
    .await
}

async fn wait_until_up(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < DEADLINE, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn hocr_job_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = 'hocr'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits until no job is queued or running, and returns (kind, state,
/// dedupe_key) of every job.
async fn wait_for_jobs(pool: &PgPool) -> Vec<(String, String, Option<String>)> {
    let started = Instant::now();
    loop {
        let jobs: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT kind, state::text, dedupe_key FROM job ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        if jobs.iter().all(|(_, state, _)| state != "queued" && state != "running") {
            return jobs;
        }
        assert!(started.elapsed() < DEADLINE, "jobs not finished: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Parses an hOCR document and returns its words.
fn words_of_hocr(hocr: &str) -> Vec<String> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(hocr, options).expect("the hOCR is well-formed XML");
    for class in ["ocr_page", "ocr_carea", "ocr_par", "ocr_line", "ocrx_word"] {
        assert!(
            document
                .descendants()
                .any(|node| node.attribute("class") == Some(class)),
            "no {class} in {hocr}"
        );
    }
    document
        .descendants()
        .filter(|node| node.attribute("class") == Some("ocrx_word"))
        .filter_map(|node| node.text())
        .map(str::to_owned)
        .collect()
}

fn assert_unavailable(answer: &Answer, expected: &str) {
    assert_eq!(answer.status, 200, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["error"], 1, "{}", answer.body);
    let text = json["text"].as_str().unwrap();
    assert!(text.contains(expected), "{text:?} lacks {expected:?}");
    assert!(
        !text.contains("/tmp") && !text.contains("/var/"),
        "a server path leaks: {text}"
    );
}

#[sqlx::test(migrations = false)]
async fn hocr_cgi_contract(_pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    let Some(wiki_api) = test_wiki_api() else { return };
    let database = connect_options.get_database().unwrap().to_owned();
    let book = unique_name("Hocr-cgi");
    import_into_wiki(&wiki_api, SMALL_DJVU, &book);

    let port = free_loopback_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = start("serve", &database, &wiki_api, port);
    let client = reqwest::Client::new();
    wait_until_up(&client, &base).await;
    let pool = PgPool::connect(&database_url_for(&database)).await.unwrap();

    // C5: the fixed pong, as text/plain.
    let pong = get(&client, &base, &[("cmd", "ping")]).await;
    assert_eq!(pong.status, 200);
    assert_eq!(pong.content_type, "text/plain; charset=UTF-8");
    assert_eq!(pong.allow_origin, "*");
    assert_eq!(pong.body, r#"{"error":0,"text":"pong","server":"hocr","ping":0.001}"#);

    // Empty parameters: 400 with the former JSON shape.
    for query in [
        vec![("cmd", "hocr"), ("lang", "en")],
        vec![("cmd", "hocr"), ("book", "X.djvu/1"), ("lang", "")],
    ] {
        let answer = get(&client, &base, &query).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.content_type, "application/json; charset=UTF-8");
        assert_eq!(answer.body, r#"{"error":1,"text":"400 Bad Request"}"#);
    }
    // Any other command: the HTML status page.
    let status = get(&client, &base, &[("cmd", "status"), ("filter", "all")]).await;
    assert_eq!(status.status, 200);
    assert!(status.content_type.starts_with("text/html"), "{}", status.content_type);

    // C4, cold: 20 concurrent requests all answer error 1 at once, and exactly
    // one build is queued.
    let page_1 = format!("{book}/1");
    let answers = futures_util::future::join_all((0..20).map(|_| hocr(&client, &base, &page_1, "en"))).await;
    for answer in &answers {
        assert_eq!(answer.content_type, "application/json; charset=UTF-8");
        assert_eq!(answer.allow_origin, "*");
        assert_unavailable(answer, "unable to locate file");
        assert!(
            answer.elapsed < COLD_ANSWER_BOUND,
            "a cold request took {:?}",
            answer.elapsed
        );
    }
    assert_eq!(hocr_job_count(&pool).await, 1);

    // Requests that must queue nothing.
    assert_unavailable(&hocr(&client, &base, "Photo.jpg/1", "en").await, ".djvu and .pdf");
    assert_unavailable(
        &hocr(&client, &base, &format!("{book}/1"), "bn").await,
        "Bengali digits",
    );
    let no_number = hocr(&client, &base, &book, "en").await;
    assert_eq!(
        no_number.json()["text"],
        format!("unable to extract page number from page: {book}")
    );
    assert_unavailable(&hocr(&client, &base, &format!("{book}/1"), "zz").await, "language code");
    assert_eq!(hocr_job_count(&pool).await, 1);

    // nb is served as no; bn takes Bengali digits; each queues its own build.
    assert_unavailable(&hocr(&client, &base, &page_1, "nb").await, "lang no");
    assert_unavailable(&hocr(&client, &base, &format!("{book}/১"), "bn").await, "being built");
    let missing = unique_name("Hocr-missing");
    assert_unavailable(
        &hocr(&client, &base, &format!("{missing}/1"), "en").await,
        "being built",
    );
    assert_eq!(hocr_job_count(&pool).await, 4);

    // The builds run.
    let worker = start("work", &database, &wiki_api, free_loopback_port());
    let jobs = wait_for_jobs(&pool).await;
    let dbkey = book.clone();
    for (lang_key, state) in [
        (format!("hocr:en.wikisource.org:{dbkey}:en"), "succeeded"),
        (format!("hocr:no.wikisource.org:{dbkey}:no"), "succeeded"),
        (format!("hocr:bn.wikisource.org:{dbkey}:bn"), "succeeded"),
        (format!("hocr:en.wikisource.org:{missing}:en"), "failed"),
    ] {
        assert!(
            jobs.iter()
                .any(|(kind, found, key)| kind == "hocr" && found == state && key.as_deref() == Some(&lang_key)),
            "no {state} job {lang_key}: {jobs:?}"
        );
    }

    // C4, warm: error 0 and a valid hOCR document.
    let expected_words = ["A", "file", "with", "non-ASCII", "characters,", "like", "é", "or", "ç"];
    for (page, lang) in [
        (page_1.clone(), "en"),
        (page_1.clone(), "nb"),
        (format!("{book}/৪"), "bn"),
    ] {
        let answer = hocr(&client, &base, &page, lang).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "application/json; charset=UTF-8");
        let json = answer.json();
        assert_eq!(json["error"], 0, "{page} {lang}: {}", answer.body);
        assert_eq!(words_of_hocr(json["text"].as_str().unwrap()), expected_words);
    }
    // Past the last page: error 1 naming the page count, and no build.
    assert_unavailable(&hocr(&client, &base, &format!("{book}/5"), "en").await, "4 pages");
    // A build that failed for good is not queued again at once.
    assert_unavailable(&hocr(&client, &base, &format!("{missing}/1"), "en").await, "failed");
    assert_eq!(hocr_job_count(&pool).await, 4);

    // Stale: a new version of the file reaches wiki_file (as the text_layer
    // job of its upload event does); its old hOCR is no longer served, and a
    // request queues the rebuild.
    import_into_wiki(&wiki_api, TRIBULAT_DJVU, &book);
    sqlx::query("INSERT INTO job (kind, payload) VALUES ('text_layer', $1)")
        .bind(serde_json::json!({"wiki": "en.wikisource.org", "file": book}))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("SELECT pg_notify('phetools_job', 'text_layer')")
        .execute(&pool)
        .await
        .unwrap();
    wait_for_jobs(&pool).await;
    assert_unavailable(&hocr(&client, &base, &page_1, "en").await, "being built");
    assert_eq!(hocr_job_count(&pool).await, 5);
    wait_for_jobs(&pool).await;
    let fresh = hocr(&client, &base, &format!("{book}/89"), "en").await.json();
    assert_eq!(fresh["error"], 0, "{fresh}");
    let words = words_of_hocr(fresh["text"].as_str().unwrap());
    assert_eq!(words.first().map(String::as_str), Some("CLAIRE"), "{words:?}");

    drop(worker);
    pool.close().await;
}
