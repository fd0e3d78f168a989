//! The stats_recheck job against the MediaWiki 1.39 of
//! `ops/mediawiki-test-wiki.sh` and a real PostgreSQL.
//!
//! The wiki comes from PHETOOLS_TEST_WIKI_API and PHETOOLS_TEST_WIKI_DIR (see
//! `ops/mediawiki-test-wiki.sh env`); without them the tests are skipped with a
//! message, and under CI they fail. The test wiki has the Page (104) and Index
//! (106) namespaces as plain wikitext namespaces, so pages transclude Page:
//! pages with `{{Page:…}}`. Without ProofreadPage and Disambiguator the
//! `expectwithoutscans` and `disambiguation` properties cannot be set there.
//! Titles carry a suffix of their own, because the wiki keeps pages between runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use phetools_queue::{JobContext, JobError, JobHandler, ProgressReporter};
use phetools_stats::recheck::{RecheckHandler, RECHECK_JOB_KIND};
use phetools_wiki::{WikiClient, WikiConfig};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

const WIKI: &str = "enwikisource";
const DOMAIN: &str = "en.wikisource.org";

struct TestWiki {
    client: Arc<WikiClient>,
    dir: PathBuf,
    suffix: String,
}

fn test_wiki() -> Option<TestWiki> {
    let Ok(api) = std::env::var("PHETOOLS_TEST_WIKI_API") else {
        eprintln!(
            "SKIPPED: PHETOOLS_TEST_WIKI_API is unset. Start the test wiki with \
             ops/mediawiki-test-wiki.sh (install, setup, start) and export the output of its `env` command."
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "the test wiki is missing under CI; run the tests with ops/test.sh"
        );
        return None;
    };
    let dir =
        std::env::var("PHETOOLS_TEST_WIKI_DIR").expect("PHETOOLS_TEST_WIKI_DIR is set with PHETOOLS_TEST_WIKI_API");
    let config = WikiConfig {
        api_url_pattern: api,
        ..WikiConfig::default()
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Some(TestWiki {
        client: Arc::new(WikiClient::new(config).unwrap()),
        dir: PathBuf::from(dir),
        suffix: format!("{}-{nanos}", std::process::id()),
    })
}

/// Saves `text` on `title` with MediaWiki's edit.php, bypassing the API.
fn edit(dir: &Path, title: &str, text: &str) {
    use std::io::Write;
    let mut child = Command::new("php")
        .arg("/usr/share/mediawiki/maintenance/edit.php")
        .args(["--user", "Admin", "--summary", "test set-up", title])
        .env("MW_CONFIG_FILE", dir.join("LocalSettings.php"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("php runs edit.php");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "edit.php of {title} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl TestWiki {
    fn book(&self) -> String {
        format!("Recheck-{}.djvu", self.suffix)
    }

    /// Creates a text that transcludes page 1 (existing) and page 2 (a red
    /// link) of the book and its Index page, a text without scans and a redirect.
    fn set_up(&self) {
        let book = self.book();
        edit(&self.dir, &format!("Page:{book}/1"), "Page text.");
        edit(&self.dir, &format!("Index:{book}"), "Index of the book.");
        edit(
            &self.dir,
            &self.title("Book"),
            &format!("{{{{Page:{book}/1}}}}\n{{{{Page:{book}/2}}}}\n{{{{Index:{book}}}}}"),
        );
        edit(&self.dir, &self.title("Plain"), "A text typed in, without scans.");
        edit(
            &self.dir,
            &self.title("Redirect"),
            &format!("#REDIRECT [[{}]]", self.title("Book")),
        );
    }

    fn title(&self, name: &str) -> String {
        format!("{name} {}", self.suffix)
    }

    async fn page_id(&self, title: &str) -> i64 {
        let response = self
            .client
            .query(DOMAIN, &[("action", "query"), ("titles", title)])
            .await
            .unwrap();
        response["query"]["pages"][0]["pageid"].as_i64().unwrap()
    }

    async fn run(&self, pool: &PgPool, payload: Value) -> Result<Value, JobError> {
        let handler = RecheckHandler::new(pool.clone(), self.client.clone());
        handler
            .run(JobContext {
                job_id: 1,
                kind: RECHECK_JOB_KIND.to_owned(),
                payload,
                attempt: 1,
                max_attempts: 3,
                cancel: CancellationToken::new(),
                progress: ProgressReporter::detached(),
            })
            .await
    }
}

fn request(title: &str, page_id: Option<i64>, reason: &str) -> Value {
    json!({"wiki": WIKI, "title": title.replace(' ', "_"), "page_id": page_id, "reason": reason})
}

async fn transcluded(pool: &PgPool, page_id: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT page_title FROM stats_transclusion WHERE wiki = $1 AND main_page_id = $2 ORDER BY page_title",
    )
    .bind(WIKI)
    .bind(page_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// present, redirect, with_scans of a stored page.
async fn flags(pool: &PgPool, page_id: i64) -> (bool, bool, bool) {
    sqlx::query_as("SELECT present, redirect, with_scans FROM stats_page WHERE wiki = $1 AND page_id = $2")
        .bind(WIKI)
        .bind(page_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// texts, with_scans of the wiki.
async fn text_counts(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT texts, with_scans FROM stats_wiki_count WHERE wiki = $1")
        .bind(WIKI)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn main_pages_get_transclusions_and_flags(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    wiki.set_up();
    let book_id = wiki.page_id(&wiki.title("Book")).await;
    let plain_id = wiki.page_id(&wiki.title("Plain")).await;
    let redirect_id = wiki.page_id(&wiki.title("Redirect")).await;

    let result = wiki
        .run(&pool, request(&wiki.title("Book"), Some(book_id), "main_edited"))
        .await
        .unwrap();
    assert_eq!(result["with_scans"], 1, "{result}");
    let book = wiki.book();
    assert_eq!(
        transcluded(&pool, book_id).await,
        [format!("{book}/1"), format!("{book}/2")],
        "red links count as the old tool counted them"
    );
    assert_eq!(flags(&pool, book_id).await, (true, false, true));

    // By title, as a request without page id names the page.
    wiki.run(&pool, request(&wiki.title("Plain"), None, "main_created"))
        .await
        .unwrap();
    assert_eq!(flags(&pool, plain_id).await, (true, false, false));
    wiki.run(
        &pool,
        request(&wiki.title("Redirect"), Some(redirect_id), "main_created"),
    )
    .await
    .unwrap();
    assert_eq!(flags(&pool, redirect_id).await, (true, true, false));
    assert_eq!(text_counts(&pool).await, (2, 1), "the redirect is no text");

    // The text loses its scans.
    edit(&wiki.dir, &wiki.title("Book"), "Typed in after all.");
    wiki.run(&pool, request(&wiki.title("Book"), Some(book_id), "main_edited"))
        .await
        .unwrap();
    assert!(transcluded(&pool, book_id).await.is_empty());
    assert_eq!(flags(&pool, book_id).await, (true, false, false));
    assert_eq!(text_counts(&pool).await, (2, 0));
}

#[sqlx::test(migrations = "../../migrations")]
async fn index_edit_rechecks_embedding_pages(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    wiki.set_up();
    let book_id = wiki.page_id(&wiki.title("Book")).await;
    let index_id = wiki.page_id(&format!("Index:{}", wiki.book())).await;

    let result = wiki
        .run(&pool, request(&wiki.book(), Some(index_id), "index_edited"))
        .await
        .unwrap();
    assert_eq!(result["pages"], 1, "only the text embeds the Index page: {result}");
    assert_eq!(transcluded(&pool, book_id).await.len(), 2);
    assert_eq!(text_counts(&pool).await, (1, 1));

    // By title, when the request has no page id.
    let result = wiki
        .run(&pool, request(&wiki.book(), None, "index_edited"))
        .await
        .unwrap();
    assert_eq!(result["pages"], 1, "{result}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn missing_page_loses_its_rows(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    sqlx::query("INSERT INTO stats_transclusion (wiki, main_page_id, page_title) VALUES ($1, 99999999, 'Old.djvu/1')")
        .bind(WIKI)
        .execute(&pool)
        .await
        .unwrap();
    let result = wiki
        .run(&pool, request("Deleted text", Some(99_999_999), "main_deleted"))
        .await
        .unwrap();
    assert_eq!(result["missing"], 1, "{result}");
    assert!(transcluded(&pool, 99_999_999).await.is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_payloads_fail_permanently(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let error = wiki.run(&pool, json!({"wiki": WIKI})).await.unwrap_err();
    assert!(matches!(error, JobError::Permanent(_)), "{error:?}");
    assert!(error.to_string().contains("invalid stats_recheck payload"), "{error}");

    let error = wiki
        .run(
            &pool,
            json!({"wiki": "enwiki", "title": "X", "page_id": null, "reason": "main_edited"}),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, JobError::Permanent(_)), "{error:?}");
    assert!(error.to_string().contains("\"enwiki\""), "{error}");
}

/// The test wiki has no ProofreadPage, so its configuration comes from the
/// shipped table; the job stores it and queues the next day's run.
#[sqlx::test(migrations = "../../migrations")]
async fn wiki_config_falls_back_to_shipped_table(pool: PgPool) {
    use phetools_stats::wiki_config::{WikiConfigHandler, CONFIG_JOB_KIND};
    let Some(wiki) = test_wiki() else { return };
    let handler = WikiConfigHandler::new(pool.clone(), wiki.client.clone());
    let result = handler
        .run(JobContext {
            job_id: 2,
            kind: CONFIG_JOB_KIND.to_owned(),
            payload: json!({"wiki": WIKI}),
            attempt: 1,
            max_attempts: 3,
            cancel: CancellationToken::new(),
            progress: ProgressReporter::detached(),
        })
        .await
        .unwrap();
    assert_eq!(result["shipped"], 1, "{result}");
    let row: (String, i32, i32, Vec<String>, String) = sqlx::query_as(
        "SELECT domain, page_namespace, index_namespace, quality_categories, config_source FROM stats_wiki WHERE wiki = $1",
    )
    .bind(WIKI)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.0, DOMAIN);
    assert_eq!((row.1, row.2), (104, 106));
    assert_eq!(row.3[4], "Validated");
    assert_eq!(row.4, "shipped");

    let directory = phetools_stats::WikiDirectory::load(&pool).await.unwrap();
    assert_eq!(directory.get(WIKI).unwrap().page_namespace, 104);
}
