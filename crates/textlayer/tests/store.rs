//! TextLayerStore on a real PostgreSQL: each test gets its own database with
//! the project's migrations (DATABASE_URL names the server).

use phetools_textlayer::{bench_store, FileKind, StoreError, TextLayer, TextLayerStore};
use phetools_wiki::{FileInfo, Repository, COMMONS_DOMAIN};
use sqlx::PgPool;

const EN: &str = "en.wikisource.org";
const SHA1_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SHA1_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn info(wiki: &str, dbkey: &str, sha1: &str) -> FileInfo {
    FileInfo {
        domain: wiki.to_owned(),
        dbkey: dbkey.to_owned(),
        url: format!("https://upload.wikimedia.org/wikipedia/commons/0/00/{dbkey}")
            .parse()
            .unwrap(),
        sha1: sha1.to_owned(),
        mime: "image/vnd.djvu".to_owned(),
        size_bytes: 1234,
        page_count: None,
        repository: if wiki == COMMONS_DOMAIN {
            Repository::Local
        } else {
            Repository::Shared
        },
    }
}

fn layer(pages: &[&str]) -> TextLayer {
    TextLayer {
        kind: FileKind::Djvu,
        pages: pages.iter().map(|page| (*page).to_owned()).collect(),
    }
}

async fn text_layer_files(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT sha1::text FROM text_layer_file ORDER BY sha1")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn save_then_read_pages(pool: PgPool) {
    let store = TextLayerStore::new(pool);
    store
        .save(
            &info(EN, "Test_book.djvu", SHA1_A),
            &layer(&["one", "", "three\n\nfour"]),
        )
        .await
        .unwrap();

    let page = store.page_text(EN, "File:Test book.djvu", 3).await.unwrap();
    assert_eq!(page.text, "three\n\nfour");
    assert_eq!(page.page_count, 3);
    assert_eq!(page.sha1, SHA1_A);
    assert_eq!(page.source_wiki, EN);
    assert_eq!(page.file_dbkey, "Test_book.djvu");
    assert_eq!(store.page_text(EN, "test_book.djvu", 2).await.unwrap().text, "");

    let file = store.file_text(EN, "Test_book.djvu").await.unwrap();
    assert_eq!(file.pages, vec!["one", "", "three\n\nfour"]);

    let summary = store.summary(SHA1_A).await.unwrap().unwrap();
    assert_eq!(summary.page_count, 3);
    assert_eq!(summary.pages_with_text, 2);
    assert_eq!(summary.byte_size, 1234);
    assert_eq!(summary.mime, "image/vnd.djvu");
}

#[sqlx::test(migrations = "../../migrations")]
async fn read_distinguishes_unknown_file_and_page_out_of_range(pool: PgPool) {
    let store = TextLayerStore::new(pool);
    store
        .save(&info(EN, "Test_book.djvu", SHA1_A), &layer(&["one", "two"]))
        .await
        .unwrap();

    let err = store.page_text(EN, "Other.djvu", 1).await.unwrap_err();
    match &err {
        StoreError::FileUnknown { wiki, file } => {
            assert_eq!(wiki, EN);
            assert_eq!(file, "Other.djvu");
        }
        other => panic!("expected FileUnknown, got {other}"),
    }

    for page in [0, 3] {
        let err = store.page_text(EN, "Test_book.djvu", page).await.unwrap_err();
        assert!(
            matches!(err, StoreError::PageOutOfRange { page_count: 2, .. }),
            "page {page}: {err}"
        );
    }
    let err = store.page_text(EN, "Test_book.djvu", 3).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "page 3 is out of range for File:Test_book.djvu: its text layer has 2 pages, numbered from 1"
    );

    let err = store.page_text(EN, "A|B.djvu", 1).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidFileName(_)), "{err}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn read_falls_back_to_commons(pool: PgPool) {
    let store = TextLayerStore::new(pool);
    store
        .save(&info(COMMONS_DOMAIN, "Shared.djvu", SHA1_A), &layer(&["commons text"]))
        .await
        .unwrap();

    let page = store.page_text(EN, "Shared.djvu", 1).await.unwrap();
    assert_eq!(page.source_wiki, COMMONS_DOMAIN);
    assert_eq!(page.text, "commons text");

    // Once the Wikisource has its own row, that row wins.
    store
        .save(&info(EN, "Shared.djvu", SHA1_B), &layer(&["local text"]))
        .await
        .unwrap();
    let page = store.page_text(EN, "Shared.djvu", 1).await.unwrap();
    assert_eq!(page.source_wiki, EN);
    assert_eq!(page.text, "local text");

    let err = store
        .page_text("fr.wikisource.org", "Missing.djvu", 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::FileUnknown { .. }), "{err}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn reupload_replaces_text_and_deletes_old_version(pool: PgPool) {
    let store = TextLayerStore::new(pool.clone());
    store
        .save(&info(EN, "Book.djvu", SHA1_A), &layer(&["old 1", "old 2"]))
        .await
        .unwrap();
    store
        .save(&info(EN, "Book.djvu", SHA1_B), &layer(&["new 1"]))
        .await
        .unwrap();

    let page = store.page_text(EN, "Book.djvu", 1).await.unwrap();
    assert_eq!(page.text, "new 1");
    assert_eq!(page.sha1, SHA1_B);
    assert_eq!(store.summary(SHA1_A).await.unwrap(), None);
    assert_eq!(text_layer_files(&pool).await, vec![SHA1_B]);
    let old_pages: i64 = sqlx::query_scalar("SELECT count(*) FROM text_layer_page WHERE sha1 = $1")
        .bind(SHA1_A)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(old_pages, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn reupload_keeps_version_another_wiki_shows(pool: PgPool) {
    let store = TextLayerStore::new(pool.clone());
    store
        .save(&info(COMMONS_DOMAIN, "Book.djvu", SHA1_A), &layer(&["old"]))
        .await
        .unwrap();
    store.link(&info(EN, "Book.djvu", SHA1_A)).await.unwrap();
    store
        .save(&info(EN, "Book.djvu", SHA1_B), &layer(&["new"]))
        .await
        .unwrap();

    assert_eq!(text_layer_files(&pool).await, vec![SHA1_A, SHA1_B]);
    assert_eq!(
        store.page_text(COMMONS_DOMAIN, "Book.djvu", 1).await.unwrap().text,
        "old"
    );
    assert_eq!(store.page_text(EN, "Book.djvu", 1).await.unwrap().text, "new");
}

#[sqlx::test(migrations = "../../migrations")]
async fn save_again_replaces_pages_of_same_version(pool: PgPool) {
    let store = TextLayerStore::new(pool);
    store
        .save(&info(EN, "Book.djvu", SHA1_A), &layer(&["a", "b", "c"]))
        .await
        .unwrap();
    store
        .save(&info(EN, "Book.djvu", SHA1_A), &layer(&["x", "y"]))
        .await
        .unwrap();

    assert_eq!(store.file_text(EN, "Book.djvu").await.unwrap().pages, vec!["x", "y"]);
    assert_eq!(store.summary(SHA1_A).await.unwrap().unwrap().page_count, 2);
}

#[sqlx::test(migrations = "../../migrations")]
async fn link_needs_stored_text_layer(pool: PgPool) {
    let store = TextLayerStore::new(pool);
    let err = store.link(&info(EN, "Book.djvu", SHA1_A)).await.unwrap_err();

    assert!(matches!(err, StoreError::NoTextLayer { .. }), "{err}");
}

#[sqlx::test(migrations = "../../migrations")]
async fn unlink_deletes_unused_text_layer(pool: PgPool) {
    let store = TextLayerStore::new(pool.clone());
    store
        .save(&info(EN, "Book.djvu", SHA1_A), &layer(&["text"]))
        .await
        .unwrap();
    store.link(&info(COMMONS_DOMAIN, "Book.djvu", SHA1_A)).await.unwrap();

    assert!(store.unlink(EN, "Book.djvu").await.unwrap());
    assert_eq!(text_layer_files(&pool).await, vec![SHA1_A], "Commons still shows it");
    assert!(store.unlink(COMMONS_DOMAIN, "Book.djvu").await.unwrap());
    assert!(text_layer_files(&pool).await.is_empty());
    assert!(!store.unlink(EN, "Book.djvu").await.unwrap());
}

#[sqlx::test(migrations = "../../migrations")]
async fn save_large_layer(pool: PgPool) {
    let store = TextLayerStore::new(pool);
    let pages: Vec<String> = (1..=1000)
        .map(|page| format!("page {page}\n\n{}", "word ".repeat(400).trim_end()))
        .collect();
    let layer = TextLayer {
        kind: FileKind::Pdf,
        pages,
    };
    store.save(&info(EN, "Large.pdf", SHA1_A), &layer).await.unwrap();

    let page = store.page_text(EN, "Large.pdf", 1000).await.unwrap();
    assert!(page.text.starts_with("page 1000\n\nword word"));
    assert_eq!(store.summary(SHA1_A).await.unwrap().unwrap().pages_with_text, 1000);
}

#[sqlx::test(migrations = "../../migrations")]
async fn bench_store_leaves_no_rows(pool: PgPool) {
    let store = TextLayerStore::new(pool.clone());
    bench_store(&store, &layer(&["one", "two"])).await.unwrap();

    assert!(text_layer_files(&pool).await.is_empty());
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM wiki_file")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrations = "../../migrations")]
async fn missing_page_row_is_reported(pool: PgPool) {
    let store = TextLayerStore::new(pool.clone());
    store
        .save(&info(EN, "Book.djvu", SHA1_A), &layer(&["one", "two", "three"]))
        .await
        .unwrap();
    sqlx::query("DELETE FROM text_layer_page WHERE page = 2")
        .execute(&pool)
        .await
        .unwrap();

    let err = store.file_text(EN, "Book.djvu").await.unwrap_err();
    assert!(matches!(err, StoreError::MissingPage { page: 2, .. }), "{err}");
    let err = store.page_text(EN, "Book.djvu", 2).await.unwrap_err();
    assert!(matches!(err, StoreError::MissingPage { page: 2, .. }), "{err}");
}
