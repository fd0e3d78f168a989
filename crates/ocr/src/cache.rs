//! OCR results in PostgreSQL (`ocr_result`, `migrations/0004_ocr.sql`).
//!
//! A result is keyed by what was read and how: the image source (the file, page
//! and width of a page thumbnail, or the URL of any other image), the tesseract
//! models, the page segmentation mode, the crop and the tesseract version. An
//! empty page is stored as `''`, a valid result. When a new version of a file
//! reaches `wiki_file`, a trigger deletes the results of the old version.

use sqlx::PgPool;

/// Key of a cached result: the image source and the recognition options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrKey {
    /// `page:<repository>/<file dbkey>/<page>/<width>px` or `url:<image URL>`.
    pub source: String,
    pub languages: String,
    pub psm: u8,
    /// `x,y,width,height`, or `''` for the whole image.
    pub crop: String,
    /// tesseract version.
    pub engine: String,
}

impl OcrKey {
    /// Returns the dedupe key of the job that computes this result.
    pub fn dedupe_key(&self) -> String {
        format!(
            "ocr:{}|{}|{}|{}|{}",
            self.source, self.languages, self.psm, self.crop, self.engine
        )
    }
}

/// Reads and writes cached OCR results.
#[derive(Debug, Clone)]
pub struct OcrCache {
    pool: PgPool,
}

impl OcrCache {
    pub fn new(pool: PgPool) -> Self {
        OcrCache { pool }
    }

    /// Returns the cached text for `key`, if any.
    pub async fn get(&self, key: &OcrKey) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT text FROM ocr_result
             WHERE source = $1 AND languages = $2 AND psm = $3 AND crop = $4 AND engine = $5",
        )
        .bind(&key.source)
        .bind(&key.languages)
        .bind(i16::from(key.psm))
        .bind(&key.crop)
        .bind(&key.engine)
        .fetch_optional(&self.pool)
        .await
    }

    /// Stores `text` for `key`. `file_dbkey` names the file of a page thumbnail,
    /// whose current SHA-1 (when `wiki_file` has it) is stored with the result.
    pub async fn put(&self, key: &OcrKey, file_dbkey: Option<&str>, text: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO ocr_result (source, languages, psm, crop, engine, file_dbkey, file_sha1, text)
             VALUES ($1, $2, $3, $4, $5, $6,
                     (SELECT sha1 FROM wiki_file WHERE file_dbkey = $6 ORDER BY updated_at DESC LIMIT 1), $7)
             ON CONFLICT (source, languages, psm, crop, engine)
             DO UPDATE SET text = EXCLUDED.text, file_sha1 = EXCLUDED.file_sha1, created_at = now()",
        )
        .bind(&key.source)
        .bind(&key.languages)
        .bind(i16::from(key.psm))
        .bind(&key.crop)
        .bind(&key.engine)
        .bind(file_dbkey)
        .bind(text)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
