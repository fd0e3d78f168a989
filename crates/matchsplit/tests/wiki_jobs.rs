//! The match, split, extract_text_layer and verify_match jobs against the MediaWiki of
//! `ops/mediawiki-test-wiki.sh` and a real PostgreSQL.
//!
//! Each test reads the wiki from PHETOOLS_TEST_WIKI_API (and the bot login and wiki
//! directory that `ops/mediawiki-test-wiki.sh env` prints) and is skipped, with a
//! message, when it is unset; under CI a missing wiki fails the test. Pages are set up
//! as other users with MediaWiki's `maintenance/edit.php`, which creates the user.
//! Every test uses page titles of its own, because tests run in parallel on one wiki.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use phetools_matchsplit::jobs::{EditHook, MatchSplitJobs, EXTRACT_KIND, MATCH_KIND, SPLIT_KIND, VERIFY_KIND};
use phetools_queue::{JobContext, JobError, ProgressReporter, Registry};
use phetools_textlayer::{ExtractConfig, TextLayerHandler, TextLayerStore};
use phetools_wiki::{Credentials, DownloadConfig, Downloader, Secret, WikiBots, WikiClient, WikiConfig};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The test wiki answers for every domain; the jobs name this one.
const WIKI: &str = "en.wikisource.org";
const BOOK_FILE: &str = "Kjv-genesis-numbers.djvu";
const SMALL_FILE: &str = "Test.djvu";
const BOT: &str = "PheBot";

struct TestWiki {
    api: Url,
    dir: PathBuf,
    bot_user: String,
    bot_password: String,
}

fn test_wiki() -> Option<TestWiki> {
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
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set with PHETOOLS_TEST_WIKI_API"));
    Some(TestWiki {
        api: Url::parse(&api).expect("PHETOOLS_TEST_WIKI_API is a URL"),
        dir: PathBuf::from(var("PHETOOLS_TEST_WIKI_DIR")),
        bot_user: var("PHETOOLS_TEST_WIKI_BOT_USER"),
        bot_password: var("PHETOOLS_TEST_WIKI_BOT_PASSWORD"),
    })
}

/// The four handlers on `pool`, with the bot sending its requests to `api`.
struct Jobs {
    registry: Registry,
    bots: Arc<WikiBots>,
}

impl TestWiki {
    fn jobs(&self, pool: &PgPool, api: &Url, hook: Option<Arc<dyn EditHook>>) -> Jobs {
        let config = WikiConfig {
            api_url_pattern: api.to_string(),
            // The test wiki has no other users to protect; a 325-page split stays short.
            edits_per_minute: 60_000,
            ..WikiConfig::default()
        };
        let credentials = Credentials::BotPassword {
            user: self.bot_user.clone(),
            password: Secret::new(self.bot_password.clone()),
        };
        let bots = Arc::new(WikiBots::new(config.clone(), Some(credentials)).unwrap());
        let client = Arc::new(WikiClient::new(config).unwrap());
        let downloader = Downloader::new(
            DownloadConfig {
                allowed_origins: vec![self.api.origin().ascii_serialization()],
                ..DownloadConfig::default()
            },
            "phetools-test",
        )
        .unwrap();
        let store = TextLayerStore::new(pool.clone());
        let text_layers = TextLayerHandler::new(client.clone(), downloader, store.clone(), ExtractConfig::default());
        let mut jobs = MatchSplitJobs::new(
            bots.clone(),
            client,
            text_layers,
            store,
            phetools_matchsplit::verify::VerifyConfig::shipped(),
        );
        if let Some(hook) = hook {
            jobs = jobs.with_edit_hook(hook);
        }
        let mut registry = Registry::new();
        jobs.register(&mut registry);
        Jobs { registry, bots }
    }

    /// Saves `text` on `title` as `user` with MediaWiki's edit.php, bypassing the API.
    fn edit_as(&self, user: &str, title: &str, text: &str) {
        edit_with_php(&self.dir, user, title, text);
    }

    /// Reads the current text of `title`, or `None` when it does not exist.
    async fn text_of(&self, title: &str) -> Option<String> {
        let response: Value = reqwest::Client::new()
            .get(self.api.clone())
            .query(&[
                ("action", "query"),
                ("prop", "revisions"),
                ("titles", title),
                ("rvprop", "content|user"),
                ("rvslots", "main"),
                ("format", "json"),
                ("formatversion", "2"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        response["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"]
            .as_str()
            .map(str::to_owned)
    }
}

fn edit_with_php(dir: &std::path::Path, user: &str, title: &str, text: &str) {
    use std::io::Write;
    let mut child = Command::new("php")
        .arg("/usr/share/mediawiki/maintenance/edit.php")
        .args(["--user", user, "--summary", "test set-up", title])
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
        "edit.php of {title} as {user} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Jobs {
    async fn run(&self, kind: &str, title: &str, user: &str) -> Result<Value, JobError> {
        let handler = self.registry.get(kind).expect("the kind is registered");
        handler
            .run(JobContext {
                job_id: 1,
                kind: kind.to_owned(),
                payload: json!({ "wiki": WIKI, "title": title, "user": user }),
                attempt: 1,
                max_attempts: 3,
                cancel: CancellationToken::new(),
                progress: ProgressReporter::detached(),
            })
            .await
    }
}

fn permanent(result: Result<Value, JobError>) -> String {
    match result {
        Err(JobError::Permanent(message)) => message,
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

fn outcome_of<'a>(result: &'a Value, title: &str) -> &'a Value {
    result["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|page| page["title"] == title)
        .unwrap_or_else(|| panic!("no outcome for {title} in {result:#}"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn level_one(user: &str, body: &str) -> String {
    format!("<noinclude><pagequality level=\"1\" user=\"{user}\" /></noinclude>{body}<noinclude></noinclude>")
}

#[sqlx::test(migrations = "../../migrations")]
async fn book_is_matched_then_split(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let jobs = wiki.jobs(&pool, &wiki.api, None);
    let book = std::fs::read_to_string(fixture("kjv-genesis-numbers.book.txt")).unwrap();
    let genesis = &book[book.find("THE FIRST BOOK OF MOSES").unwrap()..];
    let main = "Genesis to Numbers (match and split test)";
    let proofread = format!("Page:{BOOK_FILE}/150");
    wiki.edit_as(
        "Proofreader",
        &proofread,
        "<noinclude><pagequality level=\"3\" user=\"Proofreader\" /></noinclude>proofread by hand<noinclude></noinclude>",
    );
    wiki.edit_as(
        "Volunteer",
        main,
        &format!("{{{{header|title=Genesis}}}}\n==__MATCH__:[[Page:{BOOK_FILE}/3]]==\n{genesis}"),
    );

    let matched = jobs.run(MATCH_KIND, main, "Volunteer").await.unwrap();

    assert_eq!(matched["main"]["outcome"], "updated", "{matched:#}");
    let marked = wiki.text_of(main).await.unwrap();
    assert!(marked.starts_with("{{header|title=Genesis}}\n\n==[[Page:Kjv-genesis-numbers.djvu/3]]==\n"));
    assert!(marked.contains("\n==[[Page:Kjv-genesis-numbers.djvu/324]]==\n"));
    assert!(!marked.contains("__MATCH__"));
    let markers = matched["markers"].as_u64().unwrap();
    assert!(markers >= 318, "only {markers} markers");

    let split = jobs.run(SPLIT_KIND, main, "Volunteer").await.unwrap();

    assert_eq!(split["complete"], true, "{split:#}");
    assert_eq!(outcome_of(&split, &proofread)["outcome"], "skipped");
    assert_eq!(outcome_of(&split, main)["outcome"], "updated");
    let main_text = wiki.text_of(main).await.unwrap();
    // The text before the first marker is kept as Match left it, then the tags follow a newline.
    assert_eq!(
        main_text,
        "{{header|title=Genesis}}\n\n\n<pages index=\"Kjv-genesis-numbers.djvu\" from=3 to=324 />"
    );
    assert!(!main_text.contains("==[[Page:"));
    assert!(wiki.text_of(&proofread).await.unwrap().contains("proofread by hand"));

    let printed: HashMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(fixture("kjv-genesis-numbers.sample-pages.json")).unwrap())
            .unwrap();
    for page in ["3", "50", "300"] {
        let title = format!("Page:{BOOK_FILE}/{page}");
        let text = wiki
            .text_of(&title)
            .await
            .unwrap_or_else(|| panic!("{title} was not created"));
        assert!(
            text.starts_with(&format!("<noinclude><pagequality level=\"1\" user=\"{BOT}\" />")),
            "{title}: {text}"
        );
        assert!(!text.contains("</div>"), "{title}: {text}");
        // Match may move a word across a page boundary, so the middle of the printed
        // page is compared.
        let expected = &printed[page];
        let middle: String = expected.chars().skip(expected.chars().count() / 3).take(300).collect();
        assert!(text.contains(&middle), "{title} lacks {middle:?}: {text}");
        // A second run of the test finds the Pages of the first one, unchanged.
        let outcome = &outcome_of(&split, &title)["outcome"];
        assert!(outcome == "created" || outcome == "unchanged", "{title}: {outcome}");
    }
}

/// Edits `title` as another user just before the job saves it.
struct ConcurrentEdit {
    dir: PathBuf,
    title: String,
    text: String,
    done: Mutex<bool>,
}

#[async_trait]
impl EditHook for ConcurrentEdit {
    async fn before_save(&self, _wiki: &str, title: &str) {
        if title != self.title || std::mem::replace(&mut *self.done.lock().unwrap(), true) {
            return;
        }
        let (dir, title, text) = (self.dir.clone(), self.title.clone(), self.text.clone());
        tokio::task::spawn_blocking(move || edit_with_php(&dir, "Other", &title, &text))
            .await
            .unwrap();
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn concurrent_edit_is_kept(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let main = "Conflict test (split)";
    let page = format!("Page:{SMALL_FILE}/2");
    let other_text = level_one("Other", "the other user's correction");
    let hook = Arc::new(ConcurrentEdit {
        dir: wiki.dir.clone(),
        title: page.clone(),
        text: other_text.clone(),
        done: Mutex::new(false),
    });
    let jobs = wiki.jobs(&pool, &wiki.api, Some(hook));
    wiki.edit_as("Volunteer", &page, &level_one("Volunteer", "old text"));
    let marked = format!("==[[Page:{SMALL_FILE}/1]]==\none\n==[[Page:{SMALL_FILE}/2]]==\ntwo\n");
    wiki.edit_as("Volunteer", main, &marked);

    let split = jobs.run(SPLIT_KIND, main, "Volunteer").await.unwrap();

    assert_eq!(split["complete"], false, "{split:#}");
    let outcome = outcome_of(&split, &page);
    assert_eq!(outcome["outcome"], "conflict", "{split:#}");
    assert_eq!(wiki.text_of(&page).await.unwrap(), other_text);
    assert_eq!(outcome_of(&split, main)["outcome"], "skipped");
    assert_eq!(wiki.text_of(main).await.unwrap().trim_end(), marked.trim_end());
}

#[sqlx::test(migrations = "../../migrations")]
async fn stranger_cannot_split(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let jobs = wiki.jobs(&pool, &wiki.api, None);
    let main = "Requester test (split)";
    wiki.edit_as("Volunteer", main, &format!("==[[Page:{SMALL_FILE}/3]]==\nthree\n"));

    let message = permanent(jobs.run(SPLIT_KIND, main, "Stranger").await);

    assert!(
        message.contains("last edited by Volunteer, not by Stranger"),
        "{message}"
    );
    assert_eq!(wiki.text_of(&format!("Page:{SMALL_FILE}/3")).await, None);
    let message = permanent(jobs.run(MATCH_KIND, main, "Stranger").await);
    assert!(message.contains("not by Stranger"), "{message}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_token_is_renewed_during_a_job(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let jobs = wiki.jobs(&pool, &wiki.api, None);
    let user = "Token tester";
    let bot = jobs.bots.bot(WIKI).unwrap();
    bot.identity().await.unwrap();
    bot.set_csrf_token_for_test("0123456789abcdef+\\").await.unwrap();

    let result = jobs.run(EXTRACT_KIND, SMALL_FILE, user).await.unwrap();

    // A second run of the test finds the page of the first one, unchanged; the edit
    // request still carries the renewed token.
    let outcome = &result["report"]["outcome"];
    assert!(outcome == "created" || outcome == "unchanged", "{result:#}");
    let text = wiki.text_of(&format!("User:{user}/Text")).await.unwrap();
    assert!(text.starts_with(&format!(
        "==[[Page:{SMALL_FILE}/1]]==\nA file with non-ASCII characters,\nlike é or ç\n"
    )));
}

#[sqlx::test(migrations = "../../migrations")]
async fn extract_keeps_another_users_page(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let jobs = wiki.jobs(&pool, &wiki.api, None);
    let target = "User:Extract owner/Text";
    wiki.edit_as("Someone else", target, "notes of someone else");

    let message = permanent(jobs.run(EXTRACT_KIND, SMALL_FILE, "Extract owner").await);

    assert!(message.contains("last edited by Someone else"), "{message}");
    assert_eq!(wiki.text_of(target).await.unwrap(), "notes of someone else");

    wiki.edit_as("Extract owner", target, "my own draft");
    let result = jobs.run(EXTRACT_KIND, SMALL_FILE, "Extract owner").await.unwrap();
    assert_eq!(result["report"]["outcome"], "updated", "{result:#}");
    assert_eq!(result["pages"], 4);
}

#[sqlx::test(migrations = "../../migrations")]
async fn verify_writes_the_diff_talk_page(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let jobs = wiki.jobs(&pool, &wiki.api, None);
    let pages = "Kjv-genesis-numbers-p1-4.pdf";
    wiki.edit_as(
        "Volunteer",
        &format!("Page:{pages}/1"),
        &level_one("Volunteer", "THE HOLY BIBLE\n\nTHE FIRST FOUR BOOKS OF MOSES"),
    );

    let result = jobs
        .run(VERIFY_KIND, &format!("Index:{pages}"), "Volunteer")
        .await
        .unwrap();

    // The end-to-end test may have split page 3 of the same file on this wiki.
    assert!(result["pages_compared"].as_u64().unwrap() >= 1, "{result:#}");
    let report = wiki.text_of(&format!("Index talk:{pages}/Diff")).await.unwrap();
    assert!(report.starts_with(&format!("[[Index:{pages}]]\n\n")), "{report}");
    assert!(report.contains(&format!("* [[Page:{pages}/1]]\n<pre>\n")), "{report}");
}

/// A proxy in front of the test wiki that sends the first `lagged_edits` edits with
/// `maxlag=-2`. The wiki then answers them with its real maxlag error, because a
/// wiki without replicas reports a lag of -1 s.
struct MaxlagProxy {
    url: Url,
    lagged: Arc<std::sync::atomic::AtomicUsize>,
}

async fn start_maxlag_proxy(target: Url, lagged_edits: usize) -> MaxlagProxy {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode};

    let lagged = Arc::new(AtomicUsize::new(0));
    let counter = lagged.clone();
    let client = reqwest::Client::new();
    let forward = move |method: Method, uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
        let (client, mut target, counter) = (client.clone(), target.clone(), counter.clone());
        async move {
            // GET parameters travel in the query string, POST parameters in the body.
            target.set_query(uri.query());
            let mut body = String::from_utf8_lossy(&body).into_owned();
            let is_edit = method == Method::POST && body.split('&').any(|pair| pair == "action=edit");
            if is_edit && counter.load(Ordering::SeqCst) < lagged_edits {
                counter.fetch_add(1, Ordering::SeqCst);
                body = body
                    .split('&')
                    .map(|pair| if pair.starts_with("maxlag=") { "maxlag=-2" } else { pair })
                    .collect::<Vec<_>>()
                    .join("&");
            }
            let mut request = client.request(method, target).body(body);
            for (name, value) in headers.iter() {
                if !matches!(name.as_str(), "host" | "content-length") {
                    request = request.header(name, value);
                }
            }
            let response = request.send().await.unwrap();
            let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
            let mut reply_headers = HeaderMap::new();
            for (name, value) in response.headers() {
                if !matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection") {
                    reply_headers.append(name, value.clone());
                }
            }
            let bytes = response.bytes().await.unwrap();
            (status, reply_headers, bytes)
        }
    };
    let app = axum::Router::new().fallback(forward);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    MaxlagProxy {
        url: Url::parse(&format!("http://{address}/api.php")).unwrap(),
        lagged,
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn maxlag_is_retried_during_a_job(pool: PgPool) {
    let Some(wiki) = test_wiki() else { return };
    let proxy = start_maxlag_proxy(wiki.api.clone(), 1).await;
    let jobs = wiki.jobs(&pool, &proxy.url, None);
    let user = "Maxlag tester";
    wiki.edit_as(user, &format!("User:{user}/Text"), "draft");

    let result = jobs.run(EXTRACT_KIND, SMALL_FILE, user).await.unwrap();

    assert_eq!(proxy.lagged.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(result["report"]["outcome"], "updated", "{result:#}");
    assert!(wiki
        .text_of(&format!("User:{user}/Text"))
        .await
        .unwrap()
        .starts_with("==[[Page:"));
}
