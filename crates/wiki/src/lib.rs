//! MediaWiki access: wiki identities, ProofreadPage namespaces, file lookups
//! and downloads from the allowed upload hosts.
//!
//! * [`WikiClient`] sends Action API requests to the wikis in
//!   [`WikiConfig::allowed_domains`], with `maxlag` and bounded retries, and
//!   looks up files ([`WikiClient::imageinfo`]).
//! * [`Downloader`] fetches an original file from an allowed upload origin into
//!   a temporary file and checks its size and SHA-1.
//! * [`file_dbkey`] normalises a file name to the form MediaWiki stores.

mod client;
mod config;
mod download;
mod imageinfo;
mod sha1_base36;
pub mod sites;
mod title;

pub use client::{WikiClient, WikiError};
pub use config::{DownloadConfig, WikiConfig};
pub use download::{DownloadError, DownloadedFile, Downloader};
pub use imageinfo::{FileInfo, Repository};
pub use sha1_base36::sha1_hex_from_base36;
pub use title::{file_dbkey, InvalidFileName, NS_FILE};

/// Domain of Wikimedia Commons, the shared file repository of every Wikisource.
pub const COMMONS_DOMAIN: &str = "commons.wikimedia.org";
