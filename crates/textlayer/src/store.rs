//! Text layers in PostgreSQL: pages per file SHA-1 (`text_layer_file`,
//! `text_layer_page`) and the version each wiki shows (`wiki_file`).

use chrono::{DateTime, Utc};
use phetools_wiki::{file_dbkey, FileInfo, InvalidFileName, COMMONS_DOMAIN};
use serde::Serialize;
use sqlx::{PgConnection, PgPool, Row};

use crate::extract::TextLayer;

/// Error of a text-layer read or write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    InvalidFileName(#[from] InvalidFileName),
    #[error("{}", file_unknown_message(wiki, file))]
    FileUnknown { wiki: String, file: String },
    #[error("page {page} is out of range for File:{file}: its text layer has {page_count} pages, numbered from 1")]
    PageOutOfRange { file: String, page: u32, page_count: u32 },
    #[error("the text layer of sha1 {sha1} has no row for page {page}; it is extracted again when the file is next uploaded")]
    MissingPage { sha1: String, page: u32 },
    #[error("no text layer is stored for sha1 {sha1}, so File:{file} on {wiki} cannot point to it")]
    NoTextLayer { wiki: String, file: String, sha1: String },
    #[error("text layer storage failed: {0}")]
    Database(#[from] sqlx::Error),
}

fn file_unknown_message(wiki: &str, file: &str) -> String {
    let place = if wiki == COMMONS_DOMAIN {
        wiki.to_owned()
    } else {
        format!("{wiki} or on {COMMONS_DOMAIN}")
    };
    format!(
        "no text layer is stored for File:{file} on {place}; text layers are extracted when a DjVu or PDF file \
         is uploaded or its Index page is created, so check the file name or try again after the next upload"
    )
}

/// A stored text layer, without its pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextLayerSummary {
    pub sha1: String,
    pub mime: String,
    pub byte_size: i64,
    pub page_count: u32,
    pub pages_with_text: u32,
    pub extracted_at: DateTime<Utc>,
}

/// The text of one page, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageText {
    /// Wiki whose `wiki_file` row was used: the one asked, or Commons.
    pub source_wiki: String,
    pub file_dbkey: String,
    pub sha1: String,
    pub page: u32,
    pub page_count: u32,
    pub text: String,
}

/// The text of every page of a file; `pages[0]` is page 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileText {
    pub source_wiki: String,
    pub file_dbkey: String,
    pub sha1: String,
    pub pages: Vec<String>,
}

/// Reads and writes text layers on a PostgreSQL pool.
#[derive(Debug, Clone)]
pub struct TextLayerStore {
    pool: PgPool,
}

impl TextLayerStore {
    pub fn new(pool: PgPool) -> Self {
        TextLayerStore { pool }
    }

    /// Returns the stored text layer of a file version, if any.
    pub async fn summary(&self, sha1: &str) -> Result<Option<TextLayerSummary>, StoreError> {
        let row = sqlx::query(
            "SELECT f.sha1, f.mime, f.byte_size, f.page_count, f.extracted_at,
                    (SELECT count(*) FROM text_layer_page p WHERE p.sha1 = f.sha1 AND p.text <> '') AS pages_with_text
             FROM text_layer_file f WHERE f.sha1 = $1",
        )
        .bind(sha1)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TextLayerSummary {
            sha1: row.get::<String, _>("sha1"),
            mime: row.get("mime"),
            byte_size: row.get("byte_size"),
            page_count: row.get::<i32, _>("page_count") as u32,
            pages_with_text: row.get::<i64, _>("pages_with_text") as u32,
            extracted_at: row.get("extracted_at"),
        }))
    }

    /// Stores the pages of `info.sha1` and points `(info.domain, info.dbkey)`
    /// at them, in one transaction. Pages stored earlier for the same sha1 are
    /// replaced. The text layer of the version the wiki showed before is
    /// deleted when no wiki shows it any more.
    pub async fn save(&self, info: &FileInfo, layer: &TextLayer) -> Result<(), StoreError> {
        let page_numbers: Vec<i32> = (1..=layer.pages.len() as i32).collect();
        let mut tx = self.pool.begin().await?;

        // The upsert locks the file row, so concurrent saves of the same
        // sha1 run one after the other.
        sqlx::query(
            "INSERT INTO text_layer_file (sha1, mime, byte_size, page_count) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha1) DO UPDATE
             SET mime = EXCLUDED.mime, byte_size = EXCLUDED.byte_size,
                 page_count = EXCLUDED.page_count, extracted_at = now()",
        )
        .bind(&info.sha1)
        .bind(&info.mime)
        .bind(info.size_bytes as i64)
        .bind(layer.pages.len() as i32)
        .execute(&mut *tx)
        .await?;

        sqlx::query("DELETE FROM text_layer_page WHERE sha1 = $1")
            .bind(&info.sha1)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO text_layer_page (sha1, page, text)
             SELECT $1, page, text FROM UNNEST($2::integer[], $3::text[]) AS pages (page, text)",
        )
        .bind(&info.sha1)
        .bind(&page_numbers)
        .bind(&layer.pages)
        .execute(&mut *tx)
        .await?;

        link_file(&mut tx, info).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Points `(info.domain, info.dbkey)` at the text layer already stored for
    /// `info.sha1`, e.g. when a second wiki shows the same file.
    pub async fn link(&self, info: &FileInfo) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        link_file(&mut tx, info).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the file `file` of `wiki` (after a deletion), and its text layer
    /// when no other wiki shows it. Returns whether a row was removed.
    pub async fn unlink(&self, wiki: &str, file: &str) -> Result<bool, StoreError> {
        let dbkey = file_dbkey(file)?;
        let mut tx = self.pool.begin().await?;
        let previous: Option<String> =
            sqlx::query_scalar("DELETE FROM wiki_file WHERE wiki = $1 AND file_dbkey = $2 RETURNING sha1::text")
                .bind(wiki)
                .bind(&dbkey)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(sha1) = &previous {
            delete_if_unused(&mut tx, sha1).await?;
        }
        tx.commit().await?;
        Ok(previous.is_some())
    }

    /// Reads the text of page `page` (from 1) of `file` as `wiki` shows it. When
    /// `wiki` has no row for the file, the Commons row of the same name is
    /// used, since every Wikisource shows Commons files.
    pub async fn page_text(&self, wiki: &str, file: &str, page: u32) -> Result<PageText, StoreError> {
        let dbkey = file_dbkey(file)?;
        let (source_wiki, sha1, page_count) = self.resolve(wiki, &dbkey).await?;
        if page == 0 || page > page_count {
            return Err(StoreError::PageOutOfRange {
                file: dbkey,
                page,
                page_count,
            });
        }
        let text: Option<String> = sqlx::query_scalar("SELECT text FROM text_layer_page WHERE sha1 = $1 AND page = $2")
            .bind(&sha1)
            .bind(page as i32)
            .fetch_optional(&self.pool)
            .await?;
        let text = text.ok_or_else(|| StoreError::MissingPage {
            sha1: sha1.clone(),
            page,
        })?;
        Ok(PageText {
            source_wiki,
            file_dbkey: dbkey,
            sha1,
            page,
            page_count,
            text,
        })
    }

    /// Reads the text of every page of `file` as `wiki` shows it, with the same
    /// Commons fallback as [`page_text`](Self::page_text).
    pub async fn file_text(&self, wiki: &str, file: &str) -> Result<FileText, StoreError> {
        let dbkey = file_dbkey(file)?;
        let (source_wiki, sha1, page_count) = self.resolve(wiki, &dbkey).await?;
        let rows: Vec<(i32, String)> =
            sqlx::query_as("SELECT page, text FROM text_layer_page WHERE sha1 = $1 ORDER BY page")
                .bind(&sha1)
                .fetch_all(&self.pool)
                .await?;
        let mut pages = Vec::with_capacity(rows.len());
        for (expected, (page, text)) in (1..=page_count).zip(rows) {
            if page as u32 != expected {
                return Err(StoreError::MissingPage { sha1, page: expected });
            }
            pages.push(text);
        }
        if pages.len() != page_count as usize {
            return Err(StoreError::MissingPage {
                sha1,
                page: pages.len() as u32 + 1,
            });
        }
        Ok(FileText {
            source_wiki,
            file_dbkey: dbkey,
            sha1,
            pages,
        })
    }

    /// Finds the row of `dbkey` on `wiki`, else on Commons, and returns (wiki
    /// of that row, sha1, page count).
    async fn resolve(&self, wiki: &str, dbkey: &str) -> Result<(String, String, u32), StoreError> {
        let row = sqlx::query(
            "SELECT w.wiki, f.sha1, f.page_count
             FROM wiki_file w JOIN text_layer_file f ON f.sha1 = w.sha1
             WHERE w.file_dbkey = $2 AND w.wiki IN ($1, $3)
             ORDER BY w.wiki = $1 DESC
             LIMIT 1",
        )
        .bind(wiki)
        .bind(dbkey)
        .bind(COMMONS_DOMAIN)
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or_else(|| StoreError::FileUnknown {
            wiki: wiki.to_owned(),
            file: dbkey.to_owned(),
        })?;
        Ok((
            row.get("wiki"),
            row.get::<String, _>("sha1"),
            row.get::<i32, _>("page_count") as u32,
        ))
    }
}

/// Upserts the `wiki_file` row of `info`, then deletes the text layer of the
/// sha1 it pointed to before if no row points to it any more.
async fn link_file(conn: &mut PgConnection, info: &FileInfo) -> Result<(), StoreError> {
    let previous: Option<String> =
        sqlx::query_scalar("SELECT sha1::text FROM wiki_file WHERE wiki = $1 AND file_dbkey = $2 FOR UPDATE")
            .bind(&info.domain)
            .bind(&info.dbkey)
            .fetch_optional(&mut *conn)
            .await?;

    let upsert = sqlx::query(
        "INSERT INTO wiki_file (wiki, file_dbkey, sha1, url, repository) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (wiki, file_dbkey) DO UPDATE
         SET sha1 = EXCLUDED.sha1, url = EXCLUDED.url, repository = EXCLUDED.repository, updated_at = now()",
    )
    .bind(&info.domain)
    .bind(&info.dbkey)
    .bind(&info.sha1)
    .bind(info.url.as_str())
    .bind(info.repository.as_str())
    .execute(&mut *conn)
    .await;
    match upsert {
        Ok(_) => {}
        Err(sqlx::Error::Database(err)) if err.is_foreign_key_violation() => {
            return Err(StoreError::NoTextLayer {
                wiki: info.domain.clone(),
                file: info.dbkey.clone(),
                sha1: info.sha1.clone(),
            });
        }
        Err(err) => return Err(err.into()),
    }

    // The old version's text goes when no wiki shows it any more.
    if let Some(old) = previous.filter(|old| *old != info.sha1) {
        delete_if_unused(conn, &old).await?;
    }
    Ok(())
}

/// Deletes the text layer of `sha1` (pages cascade) when no `wiki_file` row uses it.
async fn delete_if_unused(conn: &mut PgConnection, sha1: &str) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM text_layer_file f WHERE f.sha1 = $1
         AND NOT EXISTS (SELECT 1 FROM wiki_file w WHERE w.sha1 = f.sha1)",
    )
    .bind(sha1)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
