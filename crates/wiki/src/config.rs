//! Settings of the Action API client and of the file downloader.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Settings of [`WikiClient`](crate::WikiClient).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WikiConfig {
    /// Action API URL of a wiki, with `{domain}` standing for the wiki's domain.
    /// Tests point it at a local wiki, e.g. `http://127.0.0.1:18080/api.php`.
    pub api_url_pattern: String,
    /// Domains the client accepts. `*.wikisource.org` matches every subdomain
    /// of `wikisource.org` but not `wikisource.org` itself.
    pub allowed_domains: Vec<String>,
    /// `User-Agent` of every request, API calls and downloads alike. Wikimedia's
    /// User-Agent policy requires a tool name and a contact.
    pub user_agent: String,
    /// `maxlag` parameter of every API request, in seconds. The API rejects a
    /// request while its replicas lag more, and the client then waits and retries.
    pub maxlag_secs: i32,
    /// Retries of a request rejected for maxlag, read-only mode or HTTP 429.
    pub max_retries: u32,
    /// Longest `Retry-After` the client waits for, in seconds. A longer one ends
    /// the retries at once, and the error goes back to the caller.
    pub max_retry_wait_secs: u64,
    /// Maximum sum of the waits between the retries of one request, in seconds.
    pub max_retry_total_secs: u64,
    /// Limit for one API request, from connecting to the end of the body, in seconds.
    pub request_timeout_secs: u64,
    /// Edits per minute of the bot on one wiki, evenly spaced.
    pub edits_per_minute: u32,
    /// Age after which the site data of a wiki (namespaces, ProofreadPage
    /// namespaces) is fetched again, in seconds.
    pub site_refresh_secs: u64,
}

impl Default for WikiConfig {
    fn default() -> Self {
        WikiConfig {
            api_url_pattern: "https://{domain}/w/api.php".to_owned(),
            allowed_domains: vec![
                "wikisource.org".to_owned(),
                "*.wikisource.org".to_owned(),
                "commons.wikimedia.org".to_owned(),
            ],
            user_agent: concat!(
                "phetools/",
                env!("CARGO_PKG_VERSION"),
                " (https://phetools.toolforge.org/)"
            )
            .to_owned(),
            maxlag_secs: 5,
            max_retries: 3,
            max_retry_wait_secs: 60,
            max_retry_total_secs: 300,
            request_timeout_secs: 30,
            // One edit every 5 s per wiki, so a Match & Split of a 300-page book
            // takes 25 minutes. The bot then stays far below the rates at which
            // bot edits crowd recent changes or the job queue, and maxlag slows
            // it further when the replicas lag.
            edits_per_minute: 12,
            site_refresh_secs: 24 * 3600,
        }
    }
}

/// Settings of [`Downloader`](crate::Downloader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DownloadConfig {
    /// Origins (scheme, host and port) that files may be downloaded from, such
    /// as `https://upload.wikimedia.org` or `http://127.0.0.1:18080`. Redirects
    /// are followed only to these origins.
    pub allowed_origins: Vec<String>,
    /// Largest file accepted, in bytes. It is checked against `Content-Length`
    /// before the body is read and again while the body streams in.
    pub max_file_bytes: u64,
    /// Limit for a whole download, from connecting to the last byte, in seconds.
    pub total_timeout_secs: u64,
    /// Limit for opening the connection, in seconds.
    pub connect_timeout_secs: u64,
    /// Redirects followed before the download fails.
    pub max_redirects: usize,
    /// Directory of the temporary files; `None` means the system's temporary directory.
    pub temp_dir: Option<PathBuf>,
}

impl Default for DownloadConfig {
    fn default() -> Self {
        DownloadConfig {
            allowed_origins: vec!["https://upload.wikimedia.org".to_owned()],
            // NOTE: chosen, not measured: Commons accepts uploads of up to 5 GiB, and
            // the DjVu and PDF scans of Wikisource books are usually far below 1 GiB.
            max_file_bytes: 1 << 30,
            total_timeout_secs: 900,
            connect_timeout_secs: 10,
            max_redirects: 5,
            temp_dir: None,
        }
    }
}
