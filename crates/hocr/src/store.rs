//! hOCR in PostgreSQL: `hocr_file` and `hocr_page` per (file SHA-1, language),
//! found through the `wiki_file` row of the text-layer store, and
//! `hocr_build_failure`.

use std::time::Duration;

use phetools_wiki::COMMONS_DOMAIN;
use sqlx::{PgPool, Row};

use crate::build::{BuiltPage, PageSource};
use crate::compress::{compress, decompress};

/// Error of an hOCR read or write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("hOCR storage failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the stored hOCR of page {page} (sha1 {sha1}, language {lang}) cannot be decompressed: {source}")]
    Corrupt {
        sha1: String,
        lang: String,
        page: u32,
        source: std::io::Error,
    },
    #[error("the hOCR of page {page} (sha1 {sha1}, language {lang}) read back differs from the one written")]
    ReadBackDiffers { sha1: String, lang: String, page: u32 },
    #[error("the hOCR of sha1 {sha1}, language {lang}: {found} pages read back, {expected} written")]
    ReadBackCount {
        sha1: String,
        lang: String,
        expected: usize,
        found: usize,
    },
}

/// The stored build of a file version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HocrSummary {
    pub page_count: u32,
    pub pages_text_layer: u32,
    pub pages_ocr: u32,
    pub pages_empty: u32,
}

/// What the store knows about one page of a file as a wiki shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageLookup {
    /// No version of the file is known for the wiki or Commons.
    UnknownFile,
    /// The current version is known, but its hOCR for the language is not
    /// stored (never built, or built for an older version).
    NotBuilt { sha1: String, page_count: u32 },
    /// The page number is past the end of the current version.
    PageOutOfRange { page_count: u32 },
    /// The hOCR document of the page.
    Found { sha1: String, hocr: String },
}

/// A recent permanent failure of a build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildFailure {
    pub reason: String,
    /// Seconds until a new build may be queued.
    pub retry_in_secs: u64,
}

/// Reads and writes hOCR on a PostgreSQL pool.
#[derive(Debug, Clone)]
pub struct HocrStore {
    pool: PgPool,
}

impl HocrStore {
    pub fn new(pool: PgPool) -> Self {
        HocrStore { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Returns the stored build of `sha1` for `lang`, if any.
    pub async fn summary(&self, sha1: &str, lang: &str) -> Result<Option<HocrSummary>, StoreError> {
        let row = sqlx::query(
            "SELECT page_count, pages_text_layer, pages_ocr, pages_empty FROM hocr_file WHERE sha1 = $1 AND lang = $2",
        )
        .bind(sha1)
        .bind(lang)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| HocrSummary {
            page_count: row.get::<i32, _>("page_count") as u32,
            pages_text_layer: row.get::<i32, _>("pages_text_layer") as u32,
            pages_ocr: row.get::<i32, _>("pages_ocr") as u32,
            pages_empty: row.get::<i32, _>("pages_empty") as u32,
        }))
    }

    /// Stores the pages of `sha1` for `lang` in one transaction, replacing an
    /// earlier build. The text layer of `sha1` must be stored.
    pub async fn save(&self, sha1: &str, lang: &str, pages: &[BuiltPage]) -> Result<HocrSummary, StoreError> {
        let count = |source| pages.iter().filter(|page| page.source == source).count() as i32;
        let summary = HocrSummary {
            page_count: pages.len() as u32,
            pages_text_layer: count(PageSource::TextLayer) as u32,
            pages_ocr: count(PageSource::Ocr) as u32,
            pages_empty: count(PageSource::Empty) as u32,
        };
        let numbers: Vec<i32> = (1..=pages.len() as i32).collect();
        let sources: Vec<&str> = pages.iter().map(|page| page.source.as_str()).collect();
        let documents: Vec<Vec<u8>> = pages.iter().map(|page| compress(&page.hocr)).collect();

        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO hocr_file (sha1, lang, page_count, pages_text_layer, pages_ocr, pages_empty)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (sha1, lang) DO UPDATE
             SET page_count = EXCLUDED.page_count, pages_text_layer = EXCLUDED.pages_text_layer,
                 pages_ocr = EXCLUDED.pages_ocr, pages_empty = EXCLUDED.pages_empty, built_at = now()",
        )
        .bind(sha1)
        .bind(lang)
        .bind(summary.page_count as i32)
        .bind(summary.pages_text_layer as i32)
        .bind(summary.pages_ocr as i32)
        .bind(summary.pages_empty as i32)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM hocr_page WHERE sha1 = $1 AND lang = $2")
            .bind(sha1)
            .bind(lang)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO hocr_page (sha1, lang, page, source, hocr_gzip)
             SELECT $1, $2, page, source, hocr_gzip
             FROM UNNEST($3::integer[], $4::text[], $5::bytea[]) AS pages (page, source, hocr_gzip)",
        )
        .bind(sha1)
        .bind(lang)
        .bind(&numbers)
        .bind(&sources)
        .bind(&documents)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Reads every stored page of `sha1` for `lang` back, decompresses it and
    /// compares it with `pages`.
    pub async fn verify(&self, sha1: &str, lang: &str, pages: &[BuiltPage]) -> Result<(), StoreError> {
        let rows: Vec<(i32, Vec<u8>)> =
            sqlx::query_as("SELECT page, hocr_gzip FROM hocr_page WHERE sha1 = $1 AND lang = $2 ORDER BY page")
                .bind(sha1)
                .bind(lang)
                .fetch_all(&self.pool)
                .await?;
        if rows.len() != pages.len() {
            return Err(StoreError::ReadBackCount {
                sha1: sha1.to_owned(),
                lang: lang.to_owned(),
                expected: pages.len(),
                found: rows.len(),
            });
        }
        for ((page, packed), written) in rows.iter().zip(pages) {
            let page = *page as u32;
            let text = decompress(packed).map_err(|source| StoreError::Corrupt {
                sha1: sha1.to_owned(),
                lang: lang.to_owned(),
                page,
                source,
            })?;
            if text != written.hocr {
                return Err(StoreError::ReadBackDiffers {
                    sha1: sha1.to_owned(),
                    lang: lang.to_owned(),
                    page,
                });
            }
        }
        Ok(())
    }

    /// Looks up page `page` of `dbkey` as `wiki` shows it (else as Commons
    /// shows it), in one query: the file's current version comes from the
    /// `wiki_file` row, so hOCR of an older version is never returned.
    pub async fn lookup(&self, wiki: &str, dbkey: &str, lang: &str, page: u32) -> Result<PageLookup, StoreError> {
        let row = sqlx::query(
            "SELECT w.sha1::text AS sha1, f.page_count, p.hocr_gzip
             FROM wiki_file w
             JOIN text_layer_file f ON f.sha1 = w.sha1
             LEFT JOIN hocr_page p ON p.sha1 = w.sha1 AND p.lang = $3 AND p.page = $4
             WHERE w.file_dbkey = $2 AND w.wiki IN ($1, $5)
             ORDER BY w.wiki = $1 DESC
             LIMIT 1",
        )
        .bind(wiki)
        .bind(dbkey)
        .bind(lang)
        .bind(page as i32)
        .bind(COMMONS_DOMAIN)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(PageLookup::UnknownFile);
        };
        let sha1: String = row.get("sha1");
        let page_count = row.get::<i32, _>("page_count") as u32;
        if page == 0 || page > page_count {
            return Ok(PageLookup::PageOutOfRange { page_count });
        }
        match row.get::<Option<Vec<u8>>, _>("hocr_gzip") {
            Some(packed) => {
                let hocr = decompress(&packed).map_err(|source| StoreError::Corrupt {
                    sha1: sha1.clone(),
                    lang: lang.to_owned(),
                    page,
                    source,
                })?;
                Ok(PageLookup::Found { sha1, hocr })
            }
            None => Ok(PageLookup::NotBuilt { sha1, page_count }),
        }
    }

    /// Returns whether the hOCR of the version of `dbkey` that `wiki` (else
    /// Commons) shows is stored for `lang`.
    pub async fn is_current(&self, wiki: &str, dbkey: &str, lang: &str) -> Result<bool, StoreError> {
        let current: Option<bool> = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM hocr_file h WHERE h.sha1 = w.sha1 AND h.lang = $3)
             FROM wiki_file w
             WHERE w.file_dbkey = $2 AND w.wiki IN ($1, $4)
             ORDER BY w.wiki = $1 DESC
             LIMIT 1",
        )
        .bind(wiki)
        .bind(dbkey)
        .bind(lang)
        .bind(COMMONS_DOMAIN)
        .fetch_optional(&self.pool)
        .await?;
        Ok(current.unwrap_or(false))
    }

    /// Records that the build of (`wiki`, `dbkey`, `lang`) failed for good.
    pub async fn record_failure(&self, wiki: &str, dbkey: &str, lang: &str, reason: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO hocr_build_failure (wiki, file_dbkey, lang, reason) VALUES ($1, $2, $3, $4)
             ON CONFLICT (wiki, file_dbkey, lang) DO UPDATE SET reason = EXCLUDED.reason, failed_at = now()",
        )
        .bind(wiki)
        .bind(dbkey)
        .bind(lang)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn clear_failure(&self, wiki: &str, dbkey: &str, lang: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM hocr_build_failure WHERE wiki = $1 AND file_dbkey = $2 AND lang = $3")
            .bind(wiki)
            .bind(dbkey)
            .bind(lang)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Returns the failure of the last build when it is younger than `window`.
    pub async fn recent_failure(
        &self,
        wiki: &str,
        dbkey: &str,
        lang: &str,
        window: Duration,
    ) -> Result<Option<BuildFailure>, StoreError> {
        let row: Option<(String, f64)> = sqlx::query_as(
            "SELECT reason, extract(epoch FROM now() - failed_at)::float8
             FROM hocr_build_failure WHERE wiki = $1 AND file_dbkey = $2 AND lang = $3",
        )
        .bind(wiki)
        .bind(dbkey)
        .bind(lang)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(reason, age_secs)| {
            let window_secs = window.as_secs_f64();
            (age_secs < window_secs).then(|| BuildFailure {
                reason,
                retry_in_secs: (window_secs - age_secs.max(0.0)).ceil() as u64,
            })
        }))
    }
}
