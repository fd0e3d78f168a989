//! Logins, reads and edits against the MediaWiki that
//! `ops/mediawiki-test-wiki.sh` runs on loopback. Each test reads the API URL
//! and the bot password from PHETOOLS_TEST_WIKI_* (the output of the script's
//! `env` command) and is skipped, with a message, when they are unset.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use phetools_wiki::{AssertMode, Credentials, EditError, EditOutcome, Secret, WikiBots, WikiConfig};

/// The test wiki serves every domain: the API URL has no `{domain}`.
const DOMAIN: &str = "en.wikisource.org";

struct TestWiki {
    api: String,
    bot: Credentials,
    other: Credentials,
}

fn test_wiki() -> Option<TestWiki> {
    let api = common::test_wiki_api()?;
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let login = |user: &str, password: &str| Credentials::BotPassword {
        user: var(user)
            .unwrap_or_else(|| panic!("{user} is unset; export the output of ops/mediawiki-test-wiki.sh env")),
        password: Secret::new(var(password).unwrap_or_else(|| panic!("{password} is unset"))),
    };
    Some(TestWiki {
        api,
        bot: login("PHETOOLS_TEST_WIKI_BOT_USER", "PHETOOLS_TEST_WIKI_BOT_PASSWORD"),
        other: login("PHETOOLS_TEST_WIKI_OTHER_USER", "PHETOOLS_TEST_WIKI_OTHER_PASSWORD"),
    })
}

impl TestWiki {
    fn config(&self) -> WikiConfig {
        WikiConfig {
            api_url_pattern: self.api.clone(),
            // Tests edit in quick succession; the pacer test sets its own rate.
            edits_per_minute: 6000,
            ..WikiConfig::default()
        }
    }

    fn bots(&self) -> WikiBots {
        WikiBots::new(self.config(), Some(self.bot.clone())).unwrap()
    }

    fn other_bots(&self) -> WikiBots {
        WikiBots::new(self.config(), Some(self.other.clone())).unwrap()
    }
}

/// A title no other test run uses, since the wiki outlives test runs.
fn unique_title(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix} {nanos}")
}

#[tokio::test]
async fn login_edit_and_read_back() {
    let Some(wiki) = test_wiki() else { return };
    let bots = wiki.bots();
    let bot = bots.bot(DOMAIN).unwrap();

    let identity = bot.identity().await.unwrap();
    assert_eq!(identity.user, "PheBot");
    assert_eq!(identity.assert, AssertMode::Bot);

    let title = bot.parse_title(&unique_title("Page:Bot test.djvu/1")).await.unwrap();
    assert_eq!(title.namespace(), 104);
    let before = bot.read_page(&title).await.unwrap();
    assert!(!before.exists());

    let text = "<noinclude><pagequality level=\"1\" user=\"PheBot\" /></noinclude>first<noinclude></noinclude>";
    let created = bot
        .save_page(&title, text, "phetools test: create", &before.edit_base())
        .await
        .unwrap();
    let EditOutcome::Saved {
        new_revid, old_revid, ..
    } = created
    else {
        panic!("expected a new revision, got {created:?}");
    };
    assert_eq!(old_revid, None);

    let after = bot.read_page(&title).await.unwrap();
    let revision = after.revision.as_ref().expect("the page exists after the edit");
    assert_eq!(revision.revid, new_revid);
    assert_eq!(revision.text, text);
    assert_eq!(revision.user, "PheBot");
    assert!(after.last_edited_by("PheBot"));
    assert!(!after.last_edited_by("OtherUser"));
    let quality = after.quality.expect("a Page: page has a quality level");
    assert_eq!(quality.level, 1);
    assert!(!quality.from_api, "the test wiki has no ProofreadPage API");

    let again = bot
        .save_page(&title, text, "phetools test: same text", &after.edit_base())
        .await
        .unwrap();
    assert!(matches!(again, EditOutcome::NoChange { .. }), "{again:?}");
}

#[tokio::test]
async fn edit_conflict_keeps_other_text() {
    let Some(wiki) = test_wiki() else { return };
    let bots = wiki.bots();
    let bot = bots.bot(DOMAIN).unwrap();
    let other_bots = wiki.other_bots();
    let other = other_bots.bot(DOMAIN).unwrap();

    let title = bot.parse_title(&unique_title("Conflict test")).await.unwrap();
    bot.create_page(&title, "line one", "phetools test: create")
        .await
        .unwrap();

    let read = bot.read_page(&title).await.unwrap();
    let other_read = other.read_page(&title).await.unwrap();
    other
        .save_page(
            &title,
            "line one, changed by OtherUser",
            "other user edit",
            &other_read.edit_base(),
        )
        .await
        .unwrap();

    let error = bot
        .save_page(
            &title,
            "line one, changed by the bot",
            "phetools test: stale",
            &read.edit_base(),
        )
        .await
        .unwrap_err();
    let EditError::Conflict { base_revid, .. } = &error else {
        panic!("expected a conflict, got {error:?}");
    };
    assert_eq!(*base_revid, read.revision.as_ref().map(|revision| revision.revid));

    let current = bot.read_page(&title).await.unwrap();
    let revision = current.revision.unwrap();
    assert_eq!(revision.text, "line one, changed by OtherUser");
    assert_eq!(revision.user, "OtherUser");
}

#[tokio::test]
async fn create_page_rejects_existing_page() {
    let Some(wiki) = test_wiki() else { return };
    let bots = wiki.bots();
    let bot = bots.bot(DOMAIN).unwrap();
    let title = bot.parse_title(&unique_title("Create twice")).await.unwrap();
    bot.create_page(&title, "first", "phetools test").await.unwrap();

    let error = bot.create_page(&title, "second", "phetools test").await.unwrap_err();
    assert!(matches!(error, EditError::PageExists { .. }), "{error:?}");
    let current = bot.read_page(&title).await.unwrap();
    assert_eq!(current.revision.unwrap().text, "first");
}

#[tokio::test]
async fn nobots_page_refused() {
    let Some(wiki) = test_wiki() else { return };
    let bots = wiki.bots();
    let bot = bots.bot(DOMAIN).unwrap();
    let other_bots = wiki.other_bots();
    let other = other_bots.bot(DOMAIN).unwrap();

    for exclusion in ["{{nobots}}", "{{bots|deny=PheBot}}", "{{bots|allow=SomeOtherBot}}"] {
        let title = other.parse_title(&unique_title("Nobots test")).await.unwrap();
        let text = format!("{exclusion}\nkept");
        other.create_page(&title, &text, "exclusion").await.unwrap();

        let read = bot.read_page(&title).await.unwrap();
        let error = bot
            .save_page(&title, "overwritten", "phetools test", &read.edit_base())
            .await
            .unwrap_err();
        assert!(
            matches!(error, EditError::BotsExcluded { .. }),
            "{exclusion}: {error:?}"
        );
        assert_eq!(bot.read_page(&title).await.unwrap().revision.unwrap().text, text);
    }
}

#[tokio::test]
async fn badtoken_recovered_with_one_refresh() {
    let Some(wiki) = test_wiki() else { return };
    let bots = wiki.bots();
    let bot = bots.bot(DOMAIN).unwrap();
    let title = bot.parse_title(&unique_title("Badtoken test")).await.unwrap();
    bot.set_csrf_token_for_test("0123456789abcdef0123456789abcdef01234567+\\")
        .await
        .unwrap();

    let outcome = bot
        .create_page(&title, "saved after a token refresh", "phetools test")
        .await
        .unwrap();
    assert!(matches!(outcome, EditOutcome::Saved { .. }), "{outcome:?}");
    let current = bot.read_page(&title).await.unwrap();
    assert_eq!(current.revision.unwrap().text, "saved after a token refresh");
}

#[tokio::test]
async fn pacer_spaces_edits() {
    let Some(wiki) = test_wiki() else { return };
    let config = WikiConfig {
        edits_per_minute: 60,
        ..wiki.config()
    };
    let bots = WikiBots::new(config, Some(wiki.bot.clone())).unwrap();
    let bot = bots.bot(DOMAIN).unwrap();
    let title = bot.parse_title(&unique_title("Pacer test")).await.unwrap();
    bot.identity().await.unwrap();

    let started = Instant::now();
    let mut stamps = Vec::new();
    for text in ["one", "two", "three"] {
        let read = bot.read_page(&title).await.unwrap();
        bot.save_page(&title, text, "phetools test: pacer", &read.edit_base())
            .await
            .unwrap();
        stamps.push(started.elapsed());
    }
    // 60 edits per minute: the second and third edit wait one second each.
    assert!(
        stamps[2] >= Duration::from_millis(1900),
        "three edits took {:?}; expected at least 2 s",
        stamps[2]
    );
}

#[tokio::test]
async fn site_data_of_test_wiki() {
    let Some(wiki) = test_wiki() else { return };
    let bots = WikiBots::new(wiki.config(), None).unwrap();
    let bot = bots.bot(DOMAIN).unwrap();
    let site = bot.site().await.unwrap();
    assert_eq!(site.proofread.page, 104);
    assert_eq!(site.proofread.index, 106);
    assert_eq!(site.proofread_source, phetools_wiki::ProofreadSource::ShippedTable);

    let namespaces = site.codec.namespace_map();
    assert_eq!(namespaces.get_name(104), Some("Page"));
    assert_eq!(namespaces.get_name(106), Some("Index"));
    let title = site.parse_title(DOMAIN, "index:test.djvu").unwrap();
    assert_eq!(title.namespace(), 106);
    assert_eq!(site.title_text(&title), "Index:Test.djvu");
}

#[tokio::test]
async fn transclusions_and_prefix_listing() {
    let Some(wiki) = test_wiki() else { return };
    let bots = wiki.bots();
    let bot = bots.bot(DOMAIN).unwrap();
    let book = unique_title("Listing").replace(' ', "_");
    let page_one = bot.parse_title(&format!("Page:{book}.djvu/1")).await.unwrap();
    let page_two = bot.parse_title(&format!("Page:{book}.djvu/2")).await.unwrap();
    let chapter = bot.parse_title(&format!("{book} chapter")).await.unwrap();
    bot.create_page(&page_one, "one", "phetools test").await.unwrap();
    bot.create_page(&page_two, "two", "phetools test").await.unwrap();
    bot.create_page(&chapter, &format!("{{{{Page:{book}.djvu/1}}}}"), "phetools test")
        .await
        .unwrap();

    let site = bot.site().await.unwrap();
    let transcluded_in: Vec<String> = bot
        .transcluded_in(&page_one)
        .await
        .unwrap()
        .iter()
        .map(|title| site.title_text(title))
        .collect();
    assert_eq!(transcluded_in, vec![site.title_text(&chapter)]);
    assert!(bot.transcluded_in(&page_two).await.unwrap().is_empty());

    let pages = bot.pages_with_prefix(104, &format!("{book}.djvu/")).await.unwrap();
    assert_eq!(pages, vec![page_one, page_two]);
}

#[tokio::test]
async fn edit_without_credentials_fails_clearly() {
    let Some(wiki) = test_wiki() else { return };
    let bots = WikiBots::new(wiki.config(), None).unwrap();
    let bot = bots.bot(DOMAIN).unwrap();
    let title = bot.parse_title("Anonymous edit test").await.unwrap();
    let error = bot.create_page(&title, "text", "phetools test").await.unwrap_err();
    assert!(error.to_string().contains("PHETOOLS_BOT_USER"), "{error}");
}

#[tokio::test]
async fn wrong_bot_password_fails_clearly() {
    let Some(wiki) = test_wiki() else { return };
    let credentials = Credentials::BotPassword {
        user: "PheBot@phebot".to_owned(),
        password: Secret::new("wrongwrongwrongwrongwrongwrong00"),
    };
    let bots = WikiBots::new(wiki.config(), Some(credentials)).unwrap();
    let error = bots.bot(DOMAIN).unwrap().identity().await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("wrongpassword"), "{message}");
    assert!(!message.contains("wrongwrongwrong"), "{message}");
}

/// A `tracing` writer that keeps everything written to it.
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn password_never_logged() {
    let Some(wiki) = test_wiki() else { return };
    let Credentials::BotPassword { password, .. } = &wiki.bot else {
        panic!("the test wiki logs in with a bot password");
    };
    let password = password.expose().to_owned();
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let bots = wiki.bots();
    let bot = bots.bot(DOMAIN).unwrap();
    let title = bot.parse_title(&unique_title("Log test")).await.unwrap();
    bot.create_page(&title, "logged edit", "phetools test").await.unwrap();
    let bad = WikiBots::new(
        wiki.config(),
        Some(Credentials::BotPassword {
            user: "PheBot@phebot".to_owned(),
            password: Secret::new("wrongwrongwrongwrongwrongwrong00"),
        }),
    )
    .unwrap();
    bad.bot(DOMAIN).unwrap().identity().await.unwrap_err();
    tracing::error!(credentials = ?wiki.bot, "credentials in a log line");

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("logged in"), "the capture missed the login: {log}");
    assert!(log.contains("API request"), "the capture missed the requests: {log}");
    assert!(!log.contains(&password), "the bot password reached the log");
    assert!(!log.contains("wrongwrongwrong"), "a wrong bot password reached the log");
}
