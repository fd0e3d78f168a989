//! Downloads of original files from the allowed upload origins, into a
//! temporary file, with size, time and SHA-1 checks.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::redirect;
use sha1::{Digest, Sha1};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;
use tracing::debug;
use url::Url;

use crate::config::DownloadConfig;

/// Error of a download.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("invalid allowed_origins entry {entry:?}: {reason}")]
    InvalidConfig { entry: String, reason: String },
    #[error("download of {url} rejected: {reason}")]
    DisallowedUrl { url: String, reason: String },
    #[error("download of {from} rejected: it redirects to {to}, which is not an allowed origin")]
    DisallowedRedirect { from: String, to: String },
    #[error("download of {url} failed: more than {max_redirects} redirects")]
    TooManyRedirects { url: String, max_redirects: usize },
    #[error("download of {url} rejected: the file has {size_bytes} bytes (Content-Length), over the limit of {max_bytes} bytes")]
    DeclaredTooLarge {
        url: String,
        size_bytes: u64,
        max_bytes: u64,
    },
    #[error("download of {url} stopped: more than the limit of {max_bytes} bytes received")]
    TooLarge { url: String, max_bytes: u64 },
    #[error("download of {url} failed: HTTP {status}")]
    HttpStatus { url: String, status: u16 },
    #[error("download of {url} timed out after {secs} s")]
    TimedOut { url: String, secs: u64 },
    #[error("download of {url} failed: {message}")]
    Network { url: String, message: String },
    #[error("download of {url} failed: {action} {path}: {source}")]
    Io {
        url: String,
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("download of {url}: SHA-1 mismatch, expected {expected} but received {actual} ({size_bytes} bytes); the file may have been re-uploaded meanwhile")]
    Sha1Mismatch {
        url: String,
        expected: String,
        actual: String,
        size_bytes: u64,
    },
}

impl DownloadError {
    /// Returns `true` when the same download may succeed later: after a
    /// timeout, a network or server error, a local I/O error, or a SHA-1
    /// mismatch (a re-upload during the download).
    pub fn is_retryable(&self) -> bool {
        match self {
            DownloadError::TimedOut { .. }
            | DownloadError::Network { .. }
            | DownloadError::Io { .. }
            | DownloadError::Sha1Mismatch { .. } => true,
            DownloadError::HttpStatus { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            DownloadError::InvalidConfig { .. }
            | DownloadError::DisallowedUrl { .. }
            | DownloadError::DisallowedRedirect { .. }
            | DownloadError::TooManyRedirects { .. }
            | DownloadError::DeclaredTooLarge { .. }
            | DownloadError::TooLarge { .. } => false,
        }
    }
}

/// A downloaded file whose SHA-1 matched. The file is deleted when this value is dropped.
#[derive(Debug)]
pub struct DownloadedFile {
    pub path: TempPath,
    /// 40 lower-case hex digits.
    pub sha1: String,
    pub size_bytes: u64,
}

/// Scheme, host and port that a URL must match exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn of(url: &Url) -> Option<Origin> {
        Some(Origin {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default(),
        })
    }

    fn parse(entry: &str) -> Result<Origin, DownloadError> {
        let invalid = |reason: &str| DownloadError::InvalidConfig {
            entry: entry.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(entry).map_err(|err| invalid(&format!("not a URL: {err}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(invalid("the scheme must be https, or http for a local test server"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(invalid(
                "expected only scheme, host and port, such as https://upload.wikimedia.org",
            ));
        }
        Origin::of(&url).ok_or_else(|| invalid("no host"))
    }
}

fn is_allowed(origins: &[Origin], url: &Url) -> bool {
    Origin::of(url).is_some_and(|origin| origins.contains(&origin))
}

/// Downloads files from the allowed upload origins only.
#[derive(Debug, Clone)]
pub struct Downloader {
    config: DownloadConfig,
    origins: Vec<Origin>,
    http: reqwest::Client,
}

impl Downloader {
    /// Checks the allowed origins and builds the HTTP client; no request is made.
    pub fn new(config: DownloadConfig, user_agent: &str) -> Result<Self, DownloadError> {
        let origins = config
            .allowed_origins
            .iter()
            .map(|entry| Origin::parse(entry))
            .collect::<Result<Vec<_>, _>>()?;
        let redirect_origins = origins.clone();
        let max_redirects = config.max_redirects;
        // A redirect to another origin stops with the 3xx response, which
        // `fetch` turns into DisallowedRedirect naming the target.
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                attempt.error(format!("more than {max_redirects} redirects"))
            } else if is_allowed(&redirect_origins, attempt.url()) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(policy)
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            // Byte counts and the SHA-1 are about the file itself, never a
            // compressed transfer of it.
            .no_gzip()
            .build()
            .map_err(|err| DownloadError::InvalidConfig {
                entry: "(HTTP client)".to_owned(),
                reason: err.to_string(),
            })?;
        Ok(Downloader { config, origins, http })
    }

    pub fn config(&self) -> &DownloadConfig {
        &self.config
    }

    /// Returns `true` when `url` is on an allowed origin.
    pub fn is_allowed(&self, url: &Url) -> bool {
        is_allowed(&self.origins, url)
    }

    /// Downloads `url` into a temporary file and checks that its SHA-1 is
    /// `expected_sha1` (40 hex digits, as `prop=imageinfo` gives it).
    pub async fn download(&self, url: &Url, expected_sha1: &str) -> Result<DownloadedFile, DownloadError> {
        if !self.is_allowed(url) {
            return Err(DownloadError::DisallowedUrl {
                url: url.to_string(),
                reason: format!("its origin is not in allowed_origins {:?}", self.config.allowed_origins),
            });
        }
        let secs = self.config.total_timeout_secs;
        match tokio::time::timeout(Duration::from_secs(secs), self.fetch(url, expected_sha1)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(DownloadError::TimedOut {
                url: url.to_string(),
                secs,
            }),
        }
    }

    async fn fetch(&self, url: &Url, expected_sha1: &str) -> Result<DownloadedFile, DownloadError> {
        let max_bytes = self.config.max_file_bytes;
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|err| self.request_error(url, err))?;
        let status = response.status();
        if status.is_redirection() {
            let to = response.headers().get(reqwest::header::LOCATION).map_or_else(
                || "(no Location header)".to_owned(),
                |value| String::from_utf8_lossy(value.as_bytes()).into_owned(),
            );
            return Err(DownloadError::DisallowedRedirect {
                from: response.url().to_string(),
                to,
            });
        }
        if !status.is_success() {
            return Err(DownloadError::HttpStatus {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        if let Some(size_bytes) = response.content_length().filter(|size| *size > max_bytes) {
            return Err(DownloadError::DeclaredTooLarge {
                url: url.to_string(),
                size_bytes,
                max_bytes,
            });
        }

        let (mut file, path) = self.create_temp_file(url)?;
        let io_error = |action, source| DownloadError::Io {
            url: url.to_string(),
            action,
            path: path.to_path_buf(),
            source,
        };
        let mut hasher = Sha1::new();
        let mut size_bytes: u64 = 0;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|err| self.request_error(url, err))?;
            size_bytes += chunk.len() as u64;
            if size_bytes > max_bytes {
                return Err(DownloadError::TooLarge {
                    url: url.to_string(),
                    max_bytes,
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(|err| io_error("write", err))?;
        }
        file.flush().await.map_err(|err| io_error("flush", err))?;

        let sha1 = hex::encode(hasher.finalize());
        if !sha1.eq_ignore_ascii_case(expected_sha1) {
            return Err(DownloadError::Sha1Mismatch {
                url: url.to_string(),
                expected: expected_sha1.to_owned(),
                actual: sha1,
                size_bytes,
            });
        }
        debug!(%url, size_bytes, sha1, "downloaded");
        Ok(DownloadedFile { path, sha1, size_bytes })
    }

    fn create_temp_file(&self, url: &Url) -> Result<(tokio::fs::File, TempPath), DownloadError> {
        let dir = self.config.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let temp = tempfile::Builder::new()
            .prefix("phetools-download-")
            .tempfile_in(&dir)
            .map_err(|source| DownloadError::Io {
                url: url.to_string(),
                action: "create a temporary file in",
                path: dir.clone(),
                source,
            })?;
        let (file, path) = temp.into_parts();
        Ok((tokio::fs::File::from_std(file), path))
    }

    fn request_error(&self, url: &Url, err: reqwest::Error) -> DownloadError {
        if err.is_redirect() {
            DownloadError::TooManyRedirects {
                url: url.to_string(),
                max_redirects: self.config.max_redirects,
            }
        } else if err.is_timeout() {
            DownloadError::TimedOut {
                url: url.to_string(),
                secs: self.config.total_timeout_secs,
            }
        } else {
            DownloadError::Network {
                url: url.to_string(),
                message: crate::client::error_chain(&err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn downloader(origins: &[&str]) -> Downloader {
        let config = DownloadConfig {
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..DownloadConfig::default()
        };
        Downloader::new(config, "phetools-test").unwrap()
    }

    #[test]
    fn origin_check_matches_scheme_host_and_port() {
        let downloader = downloader(&["https://upload.wikimedia.org", "http://127.0.0.1:18080"]);
        for (url, allowed) in [
            ("https://upload.wikimedia.org/wikipedia/commons/a/ac/X.djvu", true),
            ("https://upload.wikimedia.org:443/x.pdf", true),
            ("https://UPLOAD.wikimedia.org/x.pdf", true),
            ("http://upload.wikimedia.org/x.pdf", false),
            ("https://upload.wikimedia.org:8443/x.pdf", false),
            ("https://upload.wikimedia.org.evil.org/x.pdf", false),
            ("https://evil.org/upload.wikimedia.org/x.pdf", false),
            ("http://127.0.0.1:18080/images/3/38/Test.djvu", true),
            ("http://127.0.0.1:18081/images/3/38/Test.djvu", false),
            ("http://localhost:18080/images/3/38/Test.djvu", false),
            ("file:///etc/passwd", false),
            ("ftp://upload.wikimedia.org/x.pdf", false),
        ] {
            assert_eq!(downloader.is_allowed(&Url::parse(url).unwrap()), allowed, "{url}");
        }
    }

    #[test]
    fn origin_entries_are_checked() {
        for entry in [
            "upload.wikimedia.org",
            "ftp://upload.wikimedia.org",
            "https://upload.wikimedia.org/wikipedia/",
            "https://user@upload.wikimedia.org",
        ] {
            let config = DownloadConfig {
                allowed_origins: vec![entry.to_owned()],
                ..DownloadConfig::default()
            };
            let err = Downloader::new(config, "phetools-test").expect_err(entry);
            assert!(matches!(err, DownloadError::InvalidConfig { .. }), "{entry}: {err}");
        }
    }

    /// Starts a loopback listener that accepts connections and never responds.
    async fn silent_server() -> (tokio::net::TcpListener, Url) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/x.djvu", listener.local_addr().unwrap())).unwrap();
        (listener, url)
    }

    #[tokio::test]
    async fn download_times_out() {
        let (listener, url) = silent_server().await;
        let accept = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let config = DownloadConfig {
            allowed_origins: vec![url.origin().ascii_serialization()],
            total_timeout_secs: 1,
            ..DownloadConfig::default()
        };
        let downloader = Downloader::new(config, "phetools-test").unwrap();
        let err = downloader
            .download(&url, "0000000000000000000000000000000000000000")
            .await
            .unwrap_err();

        assert!(matches!(err, DownloadError::TimedOut { secs: 1, .. }), "{err}");
        assert!(err.is_retryable());
        accept.abort();
    }

    #[tokio::test]
    async fn download_reports_refused_connection() {
        let (listener, url) = silent_server().await;
        drop(listener);
        let downloader = downloader(&[&url.origin().ascii_serialization()]);
        let err = downloader
            .download(&url, "0000000000000000000000000000000000000000")
            .await
            .unwrap_err();

        assert!(matches!(err, DownloadError::Network { .. }), "{err}");
        assert!(err.is_retryable());
    }

    #[tokio::test]
    async fn download_rejects_disallowed_url_before_any_request() {
        let downloader = downloader(&["https://upload.wikimedia.org"]);
        // Port 9 (discard) on loopback: a request would fail with a network
        // error, so DisallowedUrl shows that none was sent.
        let url = Url::parse("http://127.0.0.1:9/images/x.djvu").unwrap();
        let err = downloader
            .download(&url, "0000000000000000000000000000000000000000")
            .await
            .unwrap_err();
        assert!(matches!(err, DownloadError::DisallowedUrl { .. }), "{err}");
        assert!(!err.is_retryable());
    }
}
