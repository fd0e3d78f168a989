//! The hOCR part of `phetools bench`: pages per second built from a DjVu text
//! layer beside the raw `djvused -e print-txt` extraction, and the latency of
//! `/hocr_cgi.py` cache hits under paced load from `wrk` beside `/healthz`
//! (one database round trip) under the same load.

use std::path::PathBuf;

use crate::bench_wrk::{wait_for_server, PacedLoad};
use anyhow::Context;
use phetools_hocr::{build_book, HocrConfig, HocrStore};
use phetools_textlayer::{FileKind, TextLayer, TextLayerStore};
use phetools_wiki::{FileInfo, Repository};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Wiki and file under which the benchmark stores its book, never real names.
const BENCH_WIKI: &str = "en.wikisource.org";
const BENCH_FILE: &str = "Phetools-bench-book.djvu";

/// Arguments of the hOCR measurements.
#[derive(Debug, clap::Args)]
pub struct HocrBenchArgs {
    /// DjVu book with a word-level text layer.
    #[arg(long, default_value = "tests/fixtures/textlayer/kjv-genesis-numbers.djvu")]
    pub hocr_book: PathBuf,
    /// Rounds of the build measurement; the best is kept.
    #[arg(long, default_value_t = 3)]
    pub hocr_rounds: u32,
    /// Requests per second that wrk aims at, at least. Each connection is paced by a Lua delay.
    #[arg(long, default_value_t = 500)]
    pub hocr_rate: u32,
    /// Connections wrk keeps open.
    #[arg(long, default_value_t = 12)]
    pub hocr_connections: u32,
    /// Duration of each wrk run, in seconds.
    #[arg(long, default_value_t = 20)]
    pub hocr_seconds: u32,
}

pub async fn run(pool: &PgPool, args: &HocrBenchArgs) -> anyhow::Result<()> {
    let config = HocrConfig::default();
    let timing = phetools_hocr::bench_build(&args.hocr_book, FileKind::Djvu, &config, args.hocr_rounds)
        .await
        .context("hOCR build benchmark failed")?;
    println!(
        "\nhOCR: pages built per second from a DjVu text layer (target: at least 200), best of {} rounds",
        args.hocr_rounds
    );
    println!("| book | pages | pages with words | hOCR bytes | gzip bytes | djvused -e print-txt alone (baseline) | full build: djvused, parse, XHTML, gzip |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!("{timing}");

    let page_count = seed(pool, args).await?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free loopback port")?;
    let address = listener.local_addr()?;
    drop(listener);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(phetools_web::serve(
        address,
        phetools_web::AppState::new(pool.clone()),
        shutdown.clone(),
    ));
    wait_for_server(address).await?;

    let load = PacedLoad {
        rate: args.hocr_rate,
        connections: args.hocr_connections,
        seconds: args.hocr_seconds,
    };
    let base = format!("http://{address}");
    load.print_baseline("/hocr_cgi.py", &base)?;
    let request = format!(
        "local page = 0\nrequest = function()\n  page = page % {page_count} + 1\n  \
         return wrk.format(\"GET\", \"/hocr_cgi.py?cmd=hocr&lang=en&book={BENCH_FILE}/\" .. page)\nend\n"
    );
    let hocr = load.run(&base, "/hocr_cgi.py", Some(&request))?;
    println!("| /hocr_cgi.py?cmd=hocr, pages 1 to {page_count} in turn | {hocr} |");

    shutdown.cancel();
    server.await.context("the web server task panicked")??;
    Ok(())
}

/// Stores the text layer and hOCR of the book under a bench name and returns
/// its page count.
async fn seed(pool: &PgPool, args: &HocrBenchArgs) -> anyhow::Result<u32> {
    let book = &args.hocr_book;
    let pages = build_book(
        book,
        FileKind::Djvu,
        BENCH_FILE,
        "en",
        &HocrConfig::default(),
        None,
        &CancellationToken::new(),
    )
    .await
    .context("building the hOCR of the benchmark book failed")?;
    let bytes = std::fs::read(book).with_context(|| format!("cannot read {}", book.display()))?;
    let info = FileInfo {
        domain: BENCH_WIKI.to_owned(),
        dbkey: BENCH_FILE.to_owned(),
        url: url::Url::parse("https://upload.invalid/bench.djvu")?,
        sha1: sha1_hex(&bytes),
        mime: "image/vnd.djvu".to_owned(),
        size_bytes: bytes.len() as u64,
        page_count: Some(pages.len() as u32),
        repository: Repository::Local,
    };
    let layer = TextLayer {
        kind: FileKind::Djvu,
        pages: vec![String::new(); pages.len()],
    };
    TextLayerStore::new(pool.clone()).save(&info, &layer).await?;
    HocrStore::new(pool.clone()).save(&info.sha1, "en", &pages).await?;
    Ok(pages.len() as u32)
}

fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(bytes))
}
