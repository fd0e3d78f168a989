//! The OCR cache on a real PostgreSQL: empty pages and invalidation by re-upload.

use phetools_ocr::{OcrCache, OcrKey};
use sqlx::PgPool;

fn key(source: &str) -> OcrKey {
    OcrKey {
        source: source.to_owned(),
        languages: "fra".to_owned(),
        psm: 3,
        crop: String::new(),
        engine: "5.3.0".to_owned(),
    }
}

const OLD_SHA1: &str = "1111111111111111111111111111111111111111";
const NEW_SHA1: &str = "2222222222222222222222222222222222222222";

async fn record_file_version(pool: &PgPool, sha1: &str) {
    sqlx::query("INSERT INTO text_layer_file (sha1, mime, byte_size, page_count) VALUES ($1, 'image/vnd.djvu', 10, 1) ON CONFLICT DO NOTHING")
        .bind(sha1)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO wiki_file (wiki, file_dbkey, sha1, url, repository) VALUES ('commons.wikimedia.org', 'Book.djvu', $1, 'https://upload.wikimedia.org/x/Book.djvu', 'local')
         ON CONFLICT (wiki, file_dbkey) DO UPDATE SET sha1 = EXCLUDED.sha1",
    )
    .bind(sha1)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn empty_page_is_cached(pool: PgPool) {
    let cache = OcrCache::new(pool);
    let page = key("page:wikipedia/commons/Blank.djvu/2/1024px");
    cache.put(&page, Some("Blank.djvu"), "").await.unwrap();
    assert_eq!(cache.get(&page).await.unwrap(), Some(String::new()));
}

#[sqlx::test(migrations = "../../migrations")]
async fn reupload_invalidates_pages(pool: PgPool) {
    record_file_version(&pool, OLD_SHA1).await;
    let cache = OcrCache::new(pool.clone());
    let page = key("page:wikipedia/commons/Book.djvu/3/1024px");
    cache.put(&page, Some("Book.djvu"), "old text").await.unwrap();
    assert_eq!(cache.get(&page).await.unwrap().as_deref(), Some("old text"));

    // The same version seen again keeps the result.
    record_file_version(&pool, OLD_SHA1).await;
    assert_eq!(cache.get(&page).await.unwrap().as_deref(), Some("old text"));

    // A new version removes it.
    record_file_version(&pool, NEW_SHA1).await;
    assert_eq!(cache.get(&page).await.unwrap(), None);
}
