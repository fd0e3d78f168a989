//! Image fetch rejections against a loopback server: hosts that resolve to
//! non-public addresses, plain HTTP to the upload host, and oversized bodies.

use phetools_ocr::{FetchError, ImageFetcher, OcrConfig};
use url::Url;

/// Serves `body` on 127.0.0.1 for every path and returns the port.
async fn serve(body: Vec<u8>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    port
}

fn fetcher(origin: &str, allow_loopback: bool) -> ImageFetcher {
    let config = OcrConfig {
        allowed_origins: vec![origin.to_owned()],
        allow_loopback,
        max_image_bytes: 1024 * 1024,
        ..OcrConfig::default()
    };
    ImageFetcher::new(&config, "phetools-test").unwrap()
}

#[tokio::test]
async fn host_resolving_to_loopback_rejected() {
    let port =
        serve(std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/en_phototest.tif")).unwrap()).await;
    let origin = format!("http://localhost:{port}");
    let url = Url::parse(&format!("{origin}/a.tif")).unwrap();

    let error = fetcher(&origin, false).fetch(&url).await.unwrap_err();
    assert!(matches!(error, FetchError::DisallowedUrl(_)), "{error:?}");
    assert!(error.to_string().contains("non-public"), "{error}");

    // The same host is fetched when loopback is allowed, as in tests.
    let image = fetcher(&origin, true).fetch(&url).await.unwrap();
    assert!(image.len() > 1000);
}

#[tokio::test]
async fn plain_http_to_upload_host_rejected() {
    let fetcher = fetcher("https://upload.wikimedia.org", false);
    let url = Url::parse("http://upload.wikimedia.org/wikipedia/commons/a/ab/A.jpg").unwrap();
    let error = fetcher.fetch(&url).await.unwrap_err();
    assert!(error.to_string().contains("not an allowed image origin"), "{error}");
}

#[tokio::test]
async fn oversized_body_rejected() {
    let port = serve(vec![0xFF; 2 * 1024 * 1024]).await;
    let origin = format!("http://127.0.0.1:{port}");
    let url = Url::parse(&format!("{origin}/big.jpg")).unwrap();
    let error = fetcher(&origin, true).fetch(&url).await.unwrap_err();
    assert!(matches!(error, FetchError::TooLarge(_)), "{error:?}");
    assert!(error.to_string().contains("1048576 bytes"), "{error}");
}
