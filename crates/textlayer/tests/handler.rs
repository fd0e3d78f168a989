//! The text_layer job against the MediaWiki of `ops/mediawiki-test-wiki.sh`
//! and a real PostgreSQL. Each test reads the API URL from
//! PHETOOLS_TEST_WIKI_API and is skipped, with a message, when it is unset.

use std::path::PathBuf;
use std::sync::Arc;

use phetools_queue::{JobContext, JobError, JobHandler, ProgressReporter};
use phetools_textlayer::{ExtractConfig, Outcome, TextLayerHandler, TextLayerResult, TextLayerStore};
use phetools_wiki::{DownloadConfig, Downloader, WikiClient, WikiConfig, COMMONS_DOMAIN};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use url::Url;

const EN: &str = "en.wikisource.org";
const TEST_DJVU_SHA1: &str = "2cf4474e6cac7cc7bb4abc4ec12cb3d127872b38";

fn test_wiki_api() -> Option<Url> {
    let Ok(api) = std::env::var("PHETOOLS_TEST_WIKI_API") else {
        eprintln!(
            "SKIPPED: PHETOOLS_TEST_WIKI_API is unset. Start the test wiki with \
             ops/mediawiki-test-wiki.sh (install, setup, start) and export the output of its `env` command."
        );
        // CI runs ops/test.sh, which always starts the wiki: a skip there would hide a broken set-up.
        assert!(
            std::env::var_os("CI").is_none(),
            "the test wiki is missing under CI; run the tests with ops/test.sh"
        );
        return None;
    };
    Some(Url::parse(&api).expect("PHETOOLS_TEST_WIKI_API is a URL"))
}

fn handler(pool: PgPool, api: &Url, download: DownloadConfig) -> TextLayerHandler {
    let wiki = WikiClient::new(WikiConfig {
        api_url_pattern: api.to_string(),
        ..WikiConfig::default()
    })
    .unwrap();
    let download = DownloadConfig {
        allowed_origins: vec![api.origin().ascii_serialization()],
        ..download
    };
    let downloader = Downloader::new(download, "phetools-test").unwrap();
    TextLayerHandler::new(
        Arc::new(wiki),
        downloader,
        TextLayerStore::new(pool),
        ExtractConfig::default(),
    )
}

fn job(payload: Value) -> JobContext {
    JobContext {
        job_id: 1,
        kind: "text_layer".to_owned(),
        payload,
        attempt: 1,
        max_attempts: 5,
        cancel: CancellationToken::new(),
        progress: ProgressReporter::detached(),
    }
}

async fn run(handler: &TextLayerHandler, payload: Value) -> Result<TextLayerResult, JobError> {
    let value = handler.run(job(payload)).await?;
    Ok(serde_json::from_value(value).expect("the result is a TextLayerResult"))
}

fn permanent_message(result: Result<TextLayerResult, JobError>) -> String {
    match result {
        Err(JobError::Permanent(message)) => message,
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn djvu_is_extracted_then_unchanged(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool.clone(), &api, DownloadConfig::default());

    let first = run(
        &handler,
        json!({"wiki": EN, "file": "File:Test.djvu", "reason": "upload"}),
    )
    .await
    .unwrap();
    assert_eq!(
        first,
        TextLayerResult {
            sha1: TEST_DJVU_SHA1.to_owned(),
            page_count: 4,
            pages_with_text: 4,
            outcome: Outcome::Extracted,
            downloaded_bytes: Some(3130),
        }
    );

    let second = run(&handler, json!({"wiki": EN, "file": "Test.djvu"})).await.unwrap();
    assert_eq!(second.outcome, Outcome::Unchanged);
    assert_eq!(second.downloaded_bytes, None);
    assert_eq!(second.page_count, 4);
    assert_eq!(second.pages_with_text, 4);

    let page = TextLayerStore::new(pool).page_text(EN, "Test.djvu", 2).await.unwrap();
    assert_eq!(page.text, "A file with non-ASCII characters,\nlike é or ç");
}

#[sqlx::test(migrations = "../../migrations")]
async fn same_version_on_other_wiki_is_linked_without_download(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool.clone(), &api, DownloadConfig::default());
    run(&handler, json!({"wiki": COMMONS_DOMAIN, "file": "Test.djvu"}))
        .await
        .unwrap();

    let result = run(
        &handler,
        json!({"wiki": EN, "file": "Test.djvu", "sha1": TEST_DJVU_SHA1}),
    )
    .await
    .unwrap();
    assert_eq!(result.outcome, Outcome::Unchanged);

    let rows: Vec<String> = sqlx::query_scalar("SELECT wiki FROM wiki_file WHERE sha1 = $1 ORDER BY wiki")
        .bind(TEST_DJVU_SHA1)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows, vec![COMMONS_DOMAIN, EN]);
}

#[sqlx::test(migrations = "../../migrations")]
async fn stale_event_sha1_extracts_current_version(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool, &api, DownloadConfig::default());
    let stale = "0123456789abcdef0123456789abcdef01234567";

    let result = run(&handler, json!({"wiki": EN, "file": "Test.djvu", "sha1": stale}))
        .await
        .unwrap();
    assert_eq!(result.sha1, TEST_DJVU_SHA1);
    assert_eq!(result.outcome, Outcome::Extracted);
}

#[sqlx::test(migrations = "../../migrations")]
async fn pdf_is_extracted(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool.clone(), &api, DownloadConfig::default());

    let result = run(&handler, json!({"wiki": EN, "file": "Test.pdf"})).await.unwrap();
    assert_eq!(result.page_count, 2);
    assert_eq!(result.pages_with_text, 2);
    assert_eq!(result.downloaded_bytes, Some(1432));

    let page = TextLayerStore::new(pool).page_text(EN, "Test.pdf", 2).await.unwrap();
    assert_eq!(page.text, "Page two has a single line.");
}

#[sqlx::test(migrations = "../../migrations")]
async fn kjv_book_is_extracted(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool.clone(), &api, DownloadConfig::default());

    let result = run(&handler, json!({"wiki": EN, "file": "Kjv-genesis-numbers.djvu"}))
        .await
        .unwrap();
    assert_eq!(result.page_count, 325);
    assert_eq!(result.pages_with_text, 321);
    assert_eq!(result.downloaded_bytes, Some(5_129_727));

    let store = TextLayerStore::new(pool);
    assert_eq!(
        store.page_text(EN, "Kjv-genesis-numbers.djvu", 2).await.unwrap().text,
        ""
    );
    let page_3 = store.page_text(EN, "Kjv-genesis-numbers.djvu", 3).await.unwrap().text;
    assert!(
        page_3.contains("1 In the beginning God created the heaven and the earth."),
        "{page_3}"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn kjv_pdf_is_extracted(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool, &api, DownloadConfig::default());

    let result = run(&handler, json!({"wiki": EN, "file": "Kjv-genesis-numbers-p1-4.pdf"}))
        .await
        .unwrap();
    assert_eq!(result.page_count, 4);
    assert_eq!(result.pages_with_text, 3);
}

#[sqlx::test(migrations = "../../migrations")]
async fn djvu_without_text_has_no_pages_with_text(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool, &api, DownloadConfig::default());

    let result = run(&handler, json!({"wiki": EN, "file": "Test-no-text.djvu"}))
        .await
        .unwrap();
    assert_eq!(result.page_count, 4);
    assert_eq!(result.pages_with_text, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn missing_file_fails_permanently(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool.clone(), &api, DownloadConfig::default());

    let message = permanent_message(run(&handler, json!({"wiki": EN, "file": "No such book.djvu"})).await);
    assert_eq!(
        message,
        "File:No_such_book.djvu not found on en.wikisource.org: the wiki has no such file, locally or on a shared repository"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM wiki_file")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_payloads_fail_permanently(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool, &api, DownloadConfig::default());

    for (payload, expected) in [
        (json!({"wiki": EN}), "missing field `file`"),
        (json!({"wiki": EN, "file": 3}), "invalid type"),
        (
            json!({"wiki": EN, "file": "A|B.djvu"}),
            "invalid file name \"A|B.djvu\"",
        ),
        (
            json!({"wiki": EN, "file": "Test.djvu", "sha1": "591htih6i9428nf7mq6i2oow1daiy48"}),
            "is not 40 hex digits",
        ),
        (
            json!({"wiki": "evil.example.org", "file": "Test.djvu"}),
            "invalid wiki domain \"evil.example.org\"",
        ),
    ] {
        let message = permanent_message(run(&handler, payload.clone()).await);
        assert!(message.contains(expected), "{payload}: {message}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn file_over_size_limit_fails_permanently(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(
        pool,
        &api,
        DownloadConfig {
            max_file_bytes: 1000,
            ..DownloadConfig::default()
        },
    );

    let message = permanent_message(run(&handler, json!({"wiki": EN, "file": "Test.djvu"})).await);
    assert_eq!(
        message,
        format!("File:Test.djvu on en.wikisource.org (sha1 {TEST_DJVU_SHA1}): the file has 3130 bytes, over the download limit of 1000 bytes")
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn cancelled_job_stops_before_download(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool.clone(), &api, DownloadConfig::default());
    let job = job(json!({"wiki": EN, "file": "Kjv-genesis-numbers.djvu"}));
    job.cancel.cancel();

    let err = handler.run(job).await.unwrap_err();
    assert!(matches!(err, JobError::Cancelled), "{err}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM text_layer_file")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn progress_reports_stages(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    let handler = handler(pool, &api, DownloadConfig::default());
    let (sender, receiver) = tokio::sync::watch::channel(None);
    let job = JobContext {
        progress: ProgressReporter::new(sender),
        ..job(json!({"wiki": EN, "file": "Test.pdf"}))
    };

    handler.run(job).await.unwrap();
    assert_eq!(*receiver.borrow(), Some(json!({"stage": "store", "pages": 2})));
}

/// Uploads `fixture` as File:`name` through the harness, as a new version when
/// the name exists. Returns `false`, with a message, when
/// PHETOOLS_TEST_WIKI_DIR is unset.
fn import_into_wiki(api: &Url, fixture: &str, name: &str) -> bool {
    let Ok(wiki_dir) = std::env::var("PHETOOLS_TEST_WIKI_DIR") else {
        eprintln!("SKIPPED: PHETOOLS_TEST_WIKI_DIR is unset; export the output of `ops/mediawiki-test-wiki.sh env`.");
        // CI runs ops/test.sh, which always starts the wiki: a skip there would hide a broken set-up.
        assert!(
            std::env::var_os("CI").is_none(),
            "the test wiki is missing under CI; run the tests with ops/test.sh"
        );
        return false;
    };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = std::process::Command::new(repo.join("ops/mediawiki-test-wiki.sh"))
        .arg("import")
        .arg(repo.join("tests/fixtures/textlayer").join(fixture))
        .arg(name)
        .env("MW_WIKI_DIR", wiki_dir)
        .env("MW_PORT", api.port_or_known_default().unwrap().to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

#[sqlx::test(migrations = "../../migrations")]
async fn reupload_replaces_stored_text(pool: PgPool) {
    let Some(api) = test_wiki_api() else { return };
    // A name of its own per run, because the wiki keeps every version.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("Reupload-{}-{nanos}.pdf", std::process::id());
    if !import_into_wiki(&api, "synthetic-2pages.pdf", &name) {
        return;
    }
    let handler = handler(pool.clone(), &api, DownloadConfig::default());
    let first = run(&handler, json!({"wiki": EN, "file": name})).await.unwrap();
    assert_eq!(first.page_count, 2);

    assert!(import_into_wiki(&api, "kjv-genesis-numbers.p1-4.pdf", &name));
    let second = run(&handler, json!({"wiki": EN, "file": name})).await.unwrap();

    assert_eq!(second.outcome, Outcome::Extracted);
    assert_eq!(second.page_count, 4);
    assert_ne!(second.sha1, first.sha1);
    let store = TextLayerStore::new(pool);
    assert_eq!(
        store.summary(&first.sha1).await.unwrap(),
        None,
        "the old version's text is deleted"
    );
    let page = store.page_text(EN, &name, 3).await.unwrap();
    assert_eq!(page.sha1, second.sha1);
    assert!(page.text.contains("In the beginning God created"), "{}", page.text);
}
