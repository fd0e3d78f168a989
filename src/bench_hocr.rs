//! The hOCR part of `phetools bench`: pages per second built from a DjVu text
//! layer beside the raw `djvused -e print-txt` extraction, and the latency of
//! `/hocr_cgi.py` cache hits under paced load from `wrk` beside `/healthz`
//! (one database round trip) under the same load.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};
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
    /// Requests per second that wrk aims at, paced by a Lua delay per connection.
    #[arg(long, default_value_t = 500)]
    pub hocr_rate: u32,
    /// Connections wrk keeps open.
    #[arg(long, default_value_t = 10)]
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

    let delay_ms = (1000 * args.hocr_connections / args.hocr_rate.max(1)).max(1);
    println!(
        "\n/hocr_cgi.py cache hits under load: wrk, {} connections, each pausing {delay_ms} ms between requests \
         (aim: {} requests/s), {} s per run (target: p99 at most 5 ms at 500 requests/s)",
        args.hocr_connections, args.hocr_rate, args.hocr_seconds
    );
    println!("| route | requests/s achieved | p50 | p90 | p99 | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    let base = format!("http://{address}");
    let healthz = wrk(&base, "/healthz", None, delay_ms, args)?;
    println!("| /healthz (baseline: one SELECT 1) | {healthz} |");
    let hocr = wrk(&base, "/hocr_cgi.py", Some(page_count), delay_ms, args)?;
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

async fn wait_for_server(address: std::net::SocketAddr) -> anyhow::Result<()> {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("the benchmark web server did not start on {address}")
}

/// Runs wrk against `path` and returns the table cells: achieved rate, p50,
/// p90, p99 and errors. With `pages`, the requests ask for pages 1 to `pages`
/// of the benchmark book in turn.
fn wrk(base: &str, path: &str, pages: Option<u32>, delay_ms: u32, args: &HocrBenchArgs) -> anyhow::Result<String> {
    let request = match pages {
        Some(pages) => format!(
            "local page = 0\nrequest = function()\n  page = page % {pages} + 1\n  \
             return wrk.format(\"GET\", \"{path}?cmd=hocr&lang=en&book={BENCH_FILE}/\" .. page)\nend\n"
        ),
        None => String::new(),
    };
    let script = format!("{request}function delay()\n  return {delay_ms}\nend\n");
    let directory = tempfile::tempdir()?;
    let script_path = directory.path().join("pace.lua");
    std::fs::write(&script_path, script)?;
    let output = Command::new("wrk")
        .args(["-t", "2", "-c", &args.hocr_connections.to_string()])
        .args(["-d", &format!("{}s", args.hocr_seconds), "--latency", "-s"])
        .arg(&script_path)
        .arg(format!("{base}{path}"))
        .output()
        .context("cannot run wrk; install it (Debian package wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("wrk failed: {text} {}", String::from_utf8_lossy(&output.stderr));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(|rest| rest.split_whitespace().next().unwrap_or("?").to_owned())
            .unwrap_or_else(|| "?".to_owned())
    };
    let errors = text
        .lines()
        .find(|line| line.contains("Non-2xx") || line.contains("Socket errors"))
        .map_or("0".to_owned(), |line| line.trim().to_owned());
    Ok(format!(
        "{} | {} | {} | {} | {errors}",
        field("Requests/sec:"),
        field("50%"),
        field("90%"),
        field("99%")
    ))
}
