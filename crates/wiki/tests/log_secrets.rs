//! Bot passwords never reach the log. This test has its own binary because
//! it installs a `tracing` subscriber, and the callsite cache of `tracing`
//! misses events when other tests in the same process run without one.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use phetools_wiki::{Credentials, Secret, WikiBots, WikiConfig};

const DOMAIN: &str = "en.wikisource.org";

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
    let Some(api) = common::test_wiki_api() else { return };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is unset"));
    let password = var("PHETOOLS_TEST_WIKI_BOT_PASSWORD");
    let credentials = Credentials::BotPassword {
        user: var("PHETOOLS_TEST_WIKI_BOT_USER"),
        password: Secret::new(password.clone()),
    };
    let config = WikiConfig {
        api_url_pattern: api,
        ..WikiConfig::default()
    };
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let bots = WikiBots::new(config.clone(), Some(credentials.clone())).unwrap();
    let bot = bots.bot(DOMAIN).unwrap();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let title = bot.parse_title(&format!("Log test {nanos}")).await.unwrap();
    bot.create_page(&title, "logged edit", "phetools test").await.unwrap();
    let bad = WikiBots::new(
        config,
        Some(Credentials::BotPassword {
            user: "PheBot@phebot".to_owned(),
            password: Secret::new("wrongwrongwrongwrongwrongwrong00"),
        }),
    )
    .unwrap();
    bad.bot(DOMAIN).unwrap().identity().await.unwrap_err();
    tracing::error!(?credentials, "credentials in a log line");

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("logged in"), "the capture missed the login: {log}");
    assert!(log.contains("API request"), "the capture missed the requests: {log}");
    assert!(!log.contains(&password), "the bot password reached the log");
    assert!(!log.contains("wrongwrongwrong"), "a wrong bot password reached the log");
}
