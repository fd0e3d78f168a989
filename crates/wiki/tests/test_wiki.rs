//! File lookups and downloads against the MediaWiki that
//! `ops/mediawiki-test-wiki.sh` runs on loopback. Each test reads the API URL
//! from PHETOOLS_TEST_WIKI_API and is skipped, with a message, when it is unset.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use phetools_wiki::{DownloadConfig, DownloadError, Downloader, Repository, WikiClient, WikiConfig, WikiError};
use sha1::{Digest, Sha1};
use url::Url;

/// The wiki shows every file to every domain: the API URL has no `{domain}`.
const DOMAIN: &str = "en.wikisource.org";

struct TestWiki {
    api: Url,
    /// Scheme, host and port of the wiki, which also serves the uploads.
    origin: String,
}

fn test_wiki() -> Option<TestWiki> {
    let api = common::test_wiki_api()?;
    let api = Url::parse(&api).expect("PHETOOLS_TEST_WIKI_API is a URL");
    let origin = api.origin().ascii_serialization();
    Some(TestWiki { api, origin })
}

impl TestWiki {
    fn client(&self) -> WikiClient {
        self.client_with(WikiConfig::default())
    }

    fn client_with(&self, config: WikiConfig) -> WikiClient {
        WikiClient::new(WikiConfig {
            api_url_pattern: self.api.to_string(),
            ..config
        })
        .unwrap()
    }

    fn downloader(&self) -> Downloader {
        self.downloader_with(DownloadConfig::default())
    }

    fn downloader_with(&self, config: DownloadConfig) -> Downloader {
        Downloader::new(
            DownloadConfig {
                allowed_origins: vec![self.origin.clone()],
                ..config
            },
            "phetools-test",
        )
        .unwrap()
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("{}{path}", self.origin)).unwrap()
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/textlayer")
        .join(name)
}

fn sha1_of(path: &PathBuf) -> String {
    hex::encode(Sha1::digest(std::fs::read(path).unwrap()))
}

#[tokio::test]
async fn imageinfo_of_djvu() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "File:Test.djvu").await.unwrap();

    assert_eq!(info.domain, DOMAIN);
    assert_eq!(info.dbkey, "Test.djvu");
    assert_eq!(info.sha1, sha1_of(&fixture("pywikibot-myfile-4pages-with-text.djvu")));
    assert_eq!(info.mime, "image/vnd.djvu");
    assert_eq!(info.size_bytes, 3130);
    assert_eq!(info.page_count, Some(4));
    assert_eq!(info.repository, Repository::Local);
    assert_eq!(info.url.origin().ascii_serialization(), wiki.origin);
}

#[tokio::test]
async fn imageinfo_of_pdf() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.pdf").await.unwrap();

    assert_eq!(info.sha1, sha1_of(&fixture("synthetic-2pages.pdf")));
    assert_eq!(info.mime, "application/pdf");
    assert_eq!(info.page_count, Some(2));
}

#[tokio::test]
async fn imageinfo_normalises_name() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki
        .client()
        .imageinfo(DOMAIN, "file:kjv-genesis-numbers.djvu")
        .await
        .unwrap();

    assert_eq!(info.dbkey, "Kjv-genesis-numbers.djvu");
    assert_eq!(info.page_count, Some(325));
}

#[tokio::test]
async fn imageinfo_of_missing_file() {
    let Some(wiki) = test_wiki() else { return };
    let err = wiki.client().imageinfo(DOMAIN, "No such file.djvu").await.unwrap_err();

    match &err {
        WikiError::NotFound { domain, file } => {
            assert_eq!(domain, DOMAIN);
            assert_eq!(file, "No_such_file.djvu");
        }
        other => panic!("expected NotFound, got {other}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(err.to_string(), "File:No_such_file.djvu not found on en.wikisource.org: the wiki has no such file, locally or on a shared repository");
}

#[tokio::test]
async fn imageinfo_rejects_unknown_domain() {
    let Some(wiki) = test_wiki() else { return };
    let err = wiki
        .client()
        .imageinfo("evil.example.org", "Test.djvu")
        .await
        .unwrap_err();

    assert!(matches!(err, WikiError::InvalidDomain { .. }), "{err}");
}

#[tokio::test]
async fn maxlag_longer_than_max_wait_stops_retries() {
    let Some(wiki) = test_wiki() else { return };
    // A wiki without replicas reports a lag of -1 s, so only maxlag=-2 trips
    // it. MediaWiki then sends Retry-After: 5.
    let client = wiki.client_with(WikiConfig {
        maxlag_secs: -2,
        max_retries: 3,
        max_retry_wait_secs: 1,
        ..WikiConfig::default()
    });
    let started = Instant::now();
    let err = client.imageinfo(DOMAIN, "Test.djvu").await.unwrap_err();

    assert!(
        matches!(
            err,
            WikiError::Lagged {
                retry_after_secs: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(
        started.elapsed().as_secs() < 5,
        "no retry should wait for Retry-After: 5"
    );
}

#[tokio::test]
async fn maxlag_is_retried_after_retry_after() {
    let Some(wiki) = test_wiki() else { return };
    let client = wiki.client_with(WikiConfig {
        maxlag_secs: -2,
        max_retries: 1,
        max_retry_wait_secs: 10,
        ..WikiConfig::default()
    });
    let started = Instant::now();
    let err = client.imageinfo(DOMAIN, "Test.djvu").await.unwrap_err();

    assert!(matches!(err, WikiError::Lagged { .. }), "{err}");
    assert!(
        started.elapsed().as_secs() >= 5,
        "the one retry waits for Retry-After: 5"
    );
}

#[tokio::test]
async fn download_checks_sha1() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.djvu").await.unwrap();
    let file = wiki.downloader().download(&info.url, &info.sha1).await.unwrap();

    assert_eq!(file.sha1, info.sha1);
    assert_eq!(file.size_bytes, 3130);
    let expected = std::fs::read(fixture("pywikibot-myfile-4pages-with-text.djvu")).unwrap();
    assert_eq!(std::fs::read(&file.path).unwrap(), expected);
}

#[tokio::test]
async fn download_deletes_file_on_drop() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.pdf").await.unwrap();
    let file = wiki.downloader().download(&info.url, &info.sha1).await.unwrap();
    let path = file.path.to_path_buf();
    assert!(path.exists());

    drop(file);
    assert!(!path.exists());
}

#[tokio::test]
async fn download_reports_sha1_mismatch() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.djvu").await.unwrap();
    let wrong = "0123456789abcdef0123456789abcdef01234567";
    let err = wiki.downloader().download(&info.url, wrong).await.unwrap_err();

    match &err {
        DownloadError::Sha1Mismatch {
            expected,
            actual,
            size_bytes,
            ..
        } => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, &info.sha1);
            assert_eq!(*size_bytes, 3130);
        }
        other => panic!("expected Sha1Mismatch, got {other}"),
    }
    assert!(err.is_retryable());
    assert!(err.to_string().contains(wrong), "{err}");
    assert!(err.to_string().contains(&info.sha1), "{err}");
}

#[tokio::test]
async fn download_rejects_other_host() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.djvu").await.unwrap();
    let mut url = info.url.clone();
    url.set_host(Some("localhost")).unwrap();
    let err = wiki.downloader().download(&url, &info.sha1).await.unwrap_err();

    assert!(matches!(err, DownloadError::DisallowedUrl { .. }), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn download_rejects_redirect_to_other_host() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.djvu").await.unwrap();
    // 127.0.0.2 is loopback too, but not an allowed origin, so no request goes there.
    let mut target = info.url.clone();
    target.set_host(Some("127.0.0.2")).unwrap();
    let mut redirect = wiki.url("/test-redirect");
    redirect.query_pairs_mut().append_pair("to", target.as_str());
    let err = wiki.downloader().download(&redirect, &info.sha1).await.unwrap_err();

    match &err {
        DownloadError::DisallowedRedirect { from, to } => {
            assert_eq!(from, redirect.as_str());
            assert_eq!(to, target.as_str());
        }
        other => panic!("expected DisallowedRedirect, got {other}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn download_follows_redirect_within_allowed_origins() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.djvu").await.unwrap();
    let mut redirect = wiki.url("/test-redirect");
    redirect.query_pairs_mut().append_pair("to", info.url.as_str());
    let file = wiki.downloader().download(&redirect, &info.sha1).await.unwrap();

    assert_eq!(file.sha1, info.sha1);
}

#[tokio::test]
async fn download_rejects_declared_size_over_limit() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.djvu").await.unwrap();
    let downloader = wiki.downloader_with(DownloadConfig {
        max_file_bytes: 1000,
        ..DownloadConfig::default()
    });
    let err = downloader.download(&info.url, &info.sha1).await.unwrap_err();

    assert!(
        matches!(
            err,
            DownloadError::DeclaredTooLarge {
                size_bytes: 3130,
                max_bytes: 1000,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn download_stops_streamed_body_over_limit() {
    let Some(wiki) = test_wiki() else { return };
    let info = wiki.client().imageinfo(DOMAIN, "Test.djvu").await.unwrap();
    let mut url = info.url.clone();
    url.set_query(Some("no-content-length"));
    let downloader = wiki.downloader_with(DownloadConfig {
        max_file_bytes: 1000,
        ..DownloadConfig::default()
    });
    let err = downloader.download(&url, &info.sha1).await.unwrap_err();

    assert!(matches!(err, DownloadError::TooLarge { max_bytes: 1000, .. }), "{err}");
}

#[tokio::test]
async fn download_reports_missing_upload() {
    let Some(wiki) = test_wiki() else { return };
    let url = wiki.url("/images/0/00/No_such_file.djvu");
    let err = wiki
        .downloader()
        .download(&url, "0123456789abcdef0123456789abcdef01234567")
        .await
        .unwrap_err();

    assert!(matches!(err, DownloadError::HttpStatus { status: 404, .. }), "{err}");
    assert!(!err.is_retryable());
}
