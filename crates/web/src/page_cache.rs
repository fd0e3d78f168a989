//! Rendered statistics pages and graphs, kept for a short time. Drawing
//! `/stats` or a graph that compares wikis reads every daily row of the
//! history, which takes a few hundred milliseconds. The counts change by a
//! few pages a minute, so a page up to [`PAGE_CACHE_TTL`] old is as useful.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a rendered page is served again.
pub const PAGE_CACHE_TTL: Duration = Duration::from_secs(60);

/// Maximum number of pages kept; beyond it, expired pages go first, then all.
/// A page or graph drawn from the whole history is about 200 KB, so the cache
/// stays under about 30 MB.
const MAX_ENTRIES: usize = 128;

/// Pages by cache key, with the time each was stored.
type Entries = HashMap<String, (Instant, Arc<String>)>;

/// A cache shared by the clones of the application state.
#[derive(Clone)]
pub struct PageCache {
    entries: Arc<Mutex<Entries>>,
    ttl: Duration,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::new(PAGE_CACHE_TTL)
    }
}

impl PageCache {
    /// Creates a cache whose pages expire after `ttl`; a zero `ttl` keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        PageCache {
            entries: Arc::default(),
            ttl,
        }
    }

    /// Returns the page stored under `key` if it is younger than the TTL,
    /// otherwise renders it with `render` and stores it. Errors are not stored.
    /// Two requests that miss at the same time both render.
    pub async fn get_or_render<E, F>(&self, key: &str, render: F) -> Result<Arc<String>, E>
    where
        F: Future<Output = Result<String, E>>,
    {
        if let Some(page) = self.fresh(key) {
            return Ok(page);
        }
        let page = Arc::new(render.await?);
        if !self.ttl.is_zero() {
            self.store(key, page.clone());
        }
        Ok(page)
    }

    fn fresh(&self, key: &str) -> Option<Arc<String>> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(key)
            .filter(|(stored, _)| stored.elapsed() < self.ttl)
            .map(|(_, page)| page.clone())
    }

    fn store(&self, key: &str, page: Arc<String>) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (stored, _)| stored.elapsed() < self.ttl);
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.to_owned(), (Instant::now(), page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cache_serves_until_expiry() {
        let cache = PageCache::new(Duration::from_millis(200));
        let first = cache
            .get_or_render::<(), _>("/stats", async { Ok("one".to_owned()) })
            .await;
        assert_eq!(first.unwrap().as_str(), "one");
        let second = cache
            .get_or_render::<(), _>("/stats", async { Ok("two".to_owned()) })
            .await;
        assert_eq!(second.unwrap().as_str(), "one", "served from the cache");

        tokio::time::sleep(Duration::from_millis(250)).await;
        let third = cache
            .get_or_render::<(), _>("/stats", async { Ok("three".to_owned()) })
            .await;
        assert_eq!(third.unwrap().as_str(), "three", "rendered again after the TTL");
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let cache = PageCache::default();
        let failed = cache
            .get_or_render("/stats", async { Err::<String, _>("database down") })
            .await;
        assert_eq!(failed.unwrap_err(), "database down");
        let next = cache
            .get_or_render::<&str, _>("/stats", async { Ok("page".to_owned()) })
            .await;
        assert_eq!(next.unwrap().as_str(), "page");
    }

    #[tokio::test]
    async fn zero_ttl_keeps_nothing() {
        let cache = PageCache::new(Duration::ZERO);
        let _ = cache
            .get_or_render::<(), _>("/stats", async { Ok("one".to_owned()) })
            .await;
        let second = cache
            .get_or_render::<(), _>("/stats", async { Ok("two".to_owned()) })
            .await;
        assert_eq!(second.unwrap().as_str(), "two");
    }
}
