//! Image downloads from the allowed upload origins only.
//!
//! A URL must use an allowed origin (scheme, host and port, such as
//! `https://upload.wikimedia.org`); every redirect is checked the same way. The
//! client's DNS resolver drops private, loopback, link-local, unique-local and
//! other non-public addresses, so an allowed name that resolves to one cannot
//! reach an internal service; a host written as an IP address is checked the
//! same way. The body streams in under a byte limit, and the pixel count is read
//! from the image header as soon as the first bytes arrive, so an oversized image
//! is abandoned without being downloaded or decoded.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;
use url::Url;

use crate::engine::image_dimensions;
use crate::{messages, OcrConfig};

/// Bytes after which the image header is read for the pixel count.
const HEADER_PROBE_BYTES: usize = 64 * 1024;

/// Error of an image download. Every variant but `Network`, `TimedOut` and a 5xx
/// `HttpStatus` is the client's mistake.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    InvalidUrl(String),
    #[error("{0}")]
    DisallowedUrl(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{message}")]
    HttpStatus { status: u16, message: String },
    #[error("{0}")]
    TimedOut(String),
    #[error("{0}")]
    Network(String),
}

impl FetchError {
    /// Returns whether the same download may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::TimedOut(_) | FetchError::Network(_) => true,
            FetchError::HttpStatus { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// Origins images may come from.
#[derive(Debug, Clone)]
struct AllowedOrigins {
    origins: Vec<url::Origin>,
}

impl AllowedOrigins {
    fn parse(entries: &[String]) -> Result<AllowedOrigins, String> {
        let mut origins = Vec::new();
        for entry in entries {
            let url = Url::parse(entry).map_err(|error| messages::invalid_origin_setting(entry, &error.to_string()))?;
            if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
                return Err(messages::invalid_origin_setting(
                    entry,
                    "expected https://host or http://host:port",
                ));
            }
            origins.push(url.origin());
        }
        Ok(AllowedOrigins { origins })
    }

    fn contains(&self, url: &Url) -> bool {
        self.origins.contains(&url.origin())
    }
}

/// Downloads images under the limits of [`OcrConfig`].
#[derive(Clone)]
pub struct ImageFetcher {
    client: reqwest::Client,
    allowed: Arc<AllowedOrigins>,
    allow_loopback: bool,
    max_bytes: u64,
    max_pixels: u64,
    timeout: Duration,
}

impl ImageFetcher {
    pub fn new(config: &OcrConfig, user_agent: &str) -> Result<ImageFetcher, String> {
        let allowed = Arc::new(AllowedOrigins::parse(&config.allowed_origins)?);
        let redirect_allowed = Arc::clone(&allowed);
        let allow_loopback = config.allow_loopback;
        let max_redirects = config.max_redirects;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                let message = messages::too_many_redirects(attempt.url().as_str(), max_redirects);
                return attempt.error(message);
            }
            match check_url(attempt.url(), &redirect_allowed, allow_loopback) {
                Ok(()) => attempt.follow(),
                Err(reason) => {
                    let message = messages::redirect_rejected(attempt.url().as_str(), &reason);
                    attempt.error(message)
                }
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(policy)
            .dns_resolver(PublicAddressResolver { allow_loopback })
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| messages::http_client_failed(&error.to_string()))?;
        Ok(ImageFetcher {
            client,
            allowed,
            allow_loopback,
            max_bytes: config.max_image_bytes,
            max_pixels: config.max_image_pixels,
            timeout: Duration::from_secs(config.fetch_timeout_secs.max(1)),
        })
    }

    /// Checks a URL before anything is fetched: an allowed origin, and for a
    /// host written as an IP address, a public address.
    pub fn check(&self, url: &Url) -> Result<(), FetchError> {
        check_url(url, &self.allowed, self.allow_loopback)
            .map_err(|reason| FetchError::DisallowedUrl(messages::url_rejected(url.as_str(), &reason)))
    }

    /// Downloads the image at `url`.
    pub async fn fetch(&self, url: &Url) -> Result<Bytes, FetchError> {
        self.check(url)?;
        match tokio::time::timeout(self.timeout, self.download(url)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::TimedOut(messages::download_timed_out(
                url.as_str(),
                self.timeout,
            ))),
        }
    }

    async fn download(&self, url: &Url) -> Result<Bytes, FetchError> {
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|error| request_error(url, error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::HttpStatus {
                status: status.as_u16(),
                message: messages::download_http_status(url.as_str(), status.as_u16()),
            });
        }
        if let Some(length) = response.content_length() {
            if length > self.max_bytes {
                return Err(FetchError::TooLarge(messages::image_too_many_bytes(
                    url.as_str(),
                    self.max_bytes,
                )));
            }
        }

        let mut body = BytesMut::new();
        let mut header_checked = false;
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|error| request_error(url, error))?;
            body.extend_from_slice(&chunk);
            if body.len() as u64 > self.max_bytes {
                return Err(FetchError::TooLarge(messages::image_too_many_bytes(
                    url.as_str(),
                    self.max_bytes,
                )));
            }
            if !header_checked && body.len() >= HEADER_PROBE_BYTES {
                self.check_pixels(url, &body)?;
                header_checked = true;
            }
        }
        if !header_checked {
            self.check_pixels(url, &body)?;
        }
        Ok(body.freeze())
    }

    fn check_pixels(&self, url: &Url, header: &[u8]) -> Result<(), FetchError> {
        let (width, height) =
            image_dimensions(header).map_err(|_| FetchError::InvalidUrl(messages::not_an_image(url.as_str())))?;
        if u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(FetchError::TooLarge(messages::image_too_many_pixels(
                width,
                height,
                self.max_pixels,
            )));
        }
        Ok(())
    }
}

fn request_error(url: &Url, error: reqwest::Error) -> FetchError {
    if error.is_redirect() || error.is_builder() {
        // The redirect policy's and the resolver's messages are the innermost sources.
        return FetchError::DisallowedUrl(messages::url_rejected(url.as_str(), &innermost(&error)));
    }
    if error.is_timeout() {
        return FetchError::TimedOut(messages::download_failed(url.as_str(), &innermost(&error)));
    }
    let cause = innermost(&error);
    if cause.contains(messages::NON_PUBLIC_ADDRESS_MARK) {
        return FetchError::DisallowedUrl(messages::url_rejected(url.as_str(), &cause));
    }
    FetchError::Network(messages::download_failed(url.as_str(), &cause))
}

/// Returns the message of the deepest source of an error.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// Returns why `url` may not be fetched, if it may not.
fn check_url(url: &Url, allowed: &AllowedOrigins, allow_loopback: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "https" | "http") {
        return Err(messages::scheme_not_allowed(url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(messages::credentials_in_url());
    }
    if !allowed.contains(url) {
        return Err(messages::origin_not_allowed(&url.origin().ascii_serialization()));
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(address)) => Some(IpAddr::V4(address)),
        Some(url::Host::Ipv6(address)) => Some(IpAddr::V6(address)),
        _ => None,
    };
    if let Some(address) = literal {
        if !is_public(address, allow_loopback) {
            return Err(messages::non_public_address(&address.to_string()));
        }
    }
    Ok(())
}

/// Returns whether `address` is a public unicast address (or loopback, when allowed).
pub fn is_public(address: IpAddr, allow_loopback: bool) -> bool {
    if address.is_loopback() {
        return allow_loopback;
    }
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                // 100.64.0.0/10, carrier-grade NAT
                || (a == 100 && (64..128).contains(&b))
                // 192.0.0.0/24, protocol assignments
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                // 198.18.0.0/15, benchmarking
                || (a == 198 && (b == 18 || b == 19))
                // 240.0.0.0/4, reserved
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(mapped) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(mapped), allow_loopback);
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7, unique local
                || (first & 0xfe00) == 0xfc00
                // fe80::/10, link-local
                || (first & 0xffc0) == 0xfe80
                // 2001:db8::/32, documentation
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                // 64:ff9b::/96 NAT64 may lead to private IPv4 addresses
                || first == 0x0064)
        }
    }
}

/// Resolves names with the system resolver and keeps only public addresses.
struct PublicAddressResolver {
    allow_loopback: bool,
}

impl Resolve for PublicAddressResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|address| is_public(address.ip(), allow_loopback))
                .collect();
            if public.is_empty() {
                let listed: Vec<String> = resolved.iter().map(|address| address.ip().to_string()).collect();
                return Err(messages::host_resolves_to_non_public(&host, &listed).into());
            }
            let addresses: Addrs = Box::new(public.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(address.parse().unwrap(), false), "{address}");
        }
        for address in ["208.80.154.240", "2620:0:861:ed1a::2:b"] {
            assert!(is_public(address.parse().unwrap(), false), "{address}");
        }
        assert!(is_public("127.0.0.1".parse().unwrap(), true));
    }

    #[test]
    fn urls_checked_against_origins() {
        let allowed = AllowedOrigins::parse(&["https://upload.wikimedia.org".to_owned()]).unwrap();
        let ok = Url::parse("https://upload.wikimedia.org/wikipedia/commons/a/ab/A.jpg").unwrap();
        assert_eq!(check_url(&ok, &allowed, false), Ok(()));
        for bad in [
            "http://upload.wikimedia.org/a.jpg",
            "https://upload.wikimedia.org:8443/a.jpg",
            "https://evil.example/a.jpg",
            "file:///etc/passwd",
            "https://user:pw@upload.wikimedia.org/a.jpg",
            "https://127.0.0.1/a.jpg",
        ] {
            let url = Url::parse(bad).unwrap();
            assert!(check_url(&url, &allowed, false).is_err(), "{bad}");
        }
    }
}
