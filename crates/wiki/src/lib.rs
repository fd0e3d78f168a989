//! MediaWiki access: wiki identities, ProofreadPage namespaces, file lookups
//! and downloads from the allowed upload hosts.
//!
//! * [`WikiClient`] sends Action API requests to the wikis in
//!   [`WikiConfig::allowed_domains`], with `maxlag` and bounded retries, and
//!   looks up files ([`WikiClient::imageinfo`]).
//! * [`Downloader`] fetches an original file from an allowed upload origin into
//!   a temporary file and checks its size and SHA-1.
//! * [`WikiBots`] gives the [`Bot`] of a wiki: login with a bot password or
//!   an OAuth 2 token ([`Credentials`]), page reads with revision, author and
//!   quality level, edits that detect conflicts ([`Bot::save_page`]), and site
//!   data with the title codec ([`Bot::site`]).
//! * [`file_dbkey`] normalises a file name to the form MediaWiki stores.

mod api;
mod bot;
mod client;
mod config;
mod credentials;
mod download;
mod edit;
mod imageinfo;
mod messages;
mod nobots;
mod pages;
mod retry;
mod secret;
mod session;
mod sha1_base36;
mod site;
pub mod sites;
mod title;

#[cfg(test)]
mod test_fixtures;

pub use bot::{Bot, WikiBots};
pub use client::{WikiClient, WikiError};
pub use config::{DownloadConfig, WikiConfig};
pub use credentials::{Credentials, CredentialsError};
pub use download::{DownloadError, DownloadedFile, Downloader};
pub use edit::{EditBase, EditError, EditOutcome};
pub use imageinfo::{FileInfo, Repository};
pub use mwtitle::Title;
pub use nobots::bots_allowed;
pub use pages::{PageRevision, QualityLevel, Revision};
pub use secret::{read_secret_file, Secret, SecretFileError};
pub use session::{AssertMode, Identity};
pub use sha1_base36::sha1_hex_from_base36;
pub use site::{ProofreadSource, SiteData};
pub use title::{file_dbkey, InvalidFileName, NS_FILE};

/// Domain of Wikimedia Commons, the shared file repository of every Wikisource.
pub const COMMONS_DOMAIN: &str = "commons.wikimedia.org";
