//! Screenshot of `/stats/{wiki}` through the real binary: `phetools serve`
//! on its own database filled with fixed statistics, and Debian's headless
//! Chromium. The test checks the HTML for every chart and table, and that the
//! PNG has the window's size and shows the chart colours, so that the page
//! renders in a real browser without JavaScript.
//!
//! Needs PostgreSQL (`DATABASE_URL`) and `/usr/bin/chromium`, which
//! `ops/test.sh` installs. Without Chromium the test is skipped, except under CI.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const FIXTURE: &str = include_str!("../crates/stats/tests/fixtures/pages/stats-pages.sql");
const CHROMIUM: &str = "/usr/bin/chromium";
const WINDOW_WIDTH: u32 = 1280;
const WINDOW_HEIGHT: u32 = 2600;
const DEADLINE: Duration = Duration::from_secs(60);

/// Kills the child process when the test ends, even by a failed assertion.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromium_present() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing under CI; ops/test.sh installs the Debian package chromium"
    );
    eprintln!("SKIPPED: {CHROMIUM} is missing; install the Debian package chromium or run ops/test.sh");
    false
}

fn free_loopback_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// DATABASE_URL of the test's own database: the configured URL with its database replaced.
fn database_url_for(database: &str) -> String {
    let mut url = url::Url::parse(&std::env::var("DATABASE_URL").expect("DATABASE_URL is set")).unwrap();
    url.set_path(&format!("/{database}"));
    url.to_string()
}

fn start_serve(database: &str) -> (ChildGuard, String) {
    let port = free_loopback_port();
    let child = Command::new(env!("CARGO_BIN_EXE_phetools"))
        .arg("serve")
        .env("DATABASE_URL", database_url_for(database))
        .env("PHETOOLS_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("phetools binary starts");
    (ChildGuard(child), format!("http://127.0.0.1:{port}"))
}

async fn wait_until_healthy(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await {
            if response.status() == 200 {
                return;
            }
        }
        assert!(
            started.elapsed() < DEADLINE,
            "phetools serve not healthy within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs headless Chromium on `url` and returns the PNG bytes of the window.
fn screenshot(url: &str, directory: &Path) -> Vec<u8> {
    let output_path = directory.join("stats-wiki.png");
    let output = Command::new(CHROMIUM)
        .arg("--headless")
        // Tests often run as root in containers, where Chromium's sandbox cannot start.
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--hide-scrollbars")
        .arg("--no-first-run")
        .arg(format!("--user-data-dir={}", directory.join("profile").display()))
        .arg(format!("--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}"))
        .arg(format!("--screenshot={}", output_path.display()))
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("chromium starts");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(&output_path).expect("chromium wrote the screenshot")
}

/// A decoded 8-bit RGB or RGBA PNG.
struct Image {
    width: u32,
    height: u32,
    /// RGB of every pixel, row by row.
    pixels: Vec<[u8; 3]>,
}

/// Decodes the PNGs Chromium writes: 8-bit RGB or RGBA, not interlaced.
fn decode_png(bytes: &[u8]) -> Image {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut offset = 8;
    let (mut width, mut height, mut channels) = (0, 0, 0);
    let mut compressed = Vec::new();
    while offset + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
        let kind = &bytes[offset + 4..offset + 8];
        let data = &bytes[offset + 8..offset + 8 + length];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap());
                height = u32::from_be_bytes(data[4..8].try_into().unwrap());
                assert_eq!(data[8], 8, "bit depth");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other} not handled"),
                };
                assert_eq!(data[12], 0, "interlaced PNG not handled");
            }
            b"IDAT" => compressed.extend_from_slice(data),
            _ => {}
        }
        offset += 12 + length;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_end(&mut raw)
        .expect("IDAT inflates");
    let pixels = unfilter(&raw, width as usize, height as usize, channels);
    Image { width, height, pixels }
}

/// Reverses the PNG scanline filters (None, Sub, Up, Average, Paeth).
fn unfilter(raw: &[u8], width: usize, height: usize, channels: usize) -> Vec<[u8; 3]> {
    let stride = width * channels;
    assert_eq!(raw.len(), height * (stride + 1), "inflated size");
    let mut previous = vec![0u8; stride];
    let mut pixels = Vec::with_capacity(width * height);
    for row in 0..height {
        let filter = raw[row * (stride + 1)];
        let mut line = raw[row * (stride + 1) + 1..(row + 1) * (stride + 1)].to_vec();
        for index in 0..stride {
            let left = if index >= channels { line[index - channels] } else { 0 };
            let up = previous[index];
            let up_left = if index >= channels {
                previous[index - channels]
            } else {
                0
            };
            let predictor = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                other => panic!("unknown PNG filter {other}"),
            };
            line[index] = line[index].wrapping_add(predictor);
        }
        pixels.extend(line.chunks(channels).map(|pixel| [pixel[0], pixel[1], pixel[2]]));
        previous = line;
    }
    pixels
}

fn paeth(left: u8, up: u8, up_left: u8) -> u8 {
    let estimate = i16::from(left) + i16::from(up) - i16::from(up_left);
    let distance = |value: u8| (estimate - i16::from(value)).abs();
    if distance(left) <= distance(up) && distance(left) <= distance(up_left) {
        left
    } else if distance(up) <= distance(up_left) {
        up
    } else {
        up_left
    }
}

fn hex_color(hex: &str) -> [u8; 3] {
    let value = |range: std::ops::Range<usize>| u8::from_str_radix(&hex[range], 16).unwrap();
    [value(1..3), value(3..5), value(5..7)]
}

#[sqlx::test(migrations = false)]
async fn wiki_page_renders_in_chromium(_pool_options: PgPoolOptions, connect_options: PgConnectOptions) {
    if !chromium_present() {
        return;
    }
    let database = connect_options
        .get_database()
        .expect("sqlx::test names the database")
        .to_owned();
    let pool = PgPoolOptions::new().connect_with(connect_options).await.unwrap();
    sqlx::migrate!("./migrations").run(&pool).await.unwrap();
    sqlx::raw_sql(FIXTURE).execute(&pool).await.unwrap();
    pool.close().await;

    let (_server, base) = start_serve(&database);
    let client = reqwest::Client::new();
    wait_until_healthy(&client, &base).await;

    // The HTML has the counts table and the three charts, each with drawn series.
    let url = format!("{base}/stats/frwikisource");
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<table class=\"counts\" id=\"counts\">"), "{html}");
    assert!(html.contains("<td>1,000</td>"), "{html}");
    for id in ["chart-levels", "chart-transitions", "chart-texts"] {
        let start = html
            .find(&format!("<figure id=\"{id}\">"))
            .unwrap_or_else(|| panic!("{id} missing"));
        let figure = &html[start..start + html[start..].find("</figure>").unwrap()];
        assert!(figure.contains("<g class=\"series\""), "{id}");
        assert!(figure.contains("<path d=\"M"), "{id} draws nothing");
        assert!(
            figure.contains("<a href=\"/api/v1/stats/frwikisource/"),
            "{id} has no data links"
        );
    }

    let directory = tempfile::tempdir().unwrap();
    let png = tokio::task::spawn_blocking({
        let directory = directory.path().to_owned();
        move || screenshot(&url, &directory)
    })
    .await
    .unwrap();
    if let Some(keep) = std::env::var_os("PHETOOLS_SCREENSHOT_DIR") {
        std::fs::write(Path::new(&keep).join("stats-wiki.png"), &png).unwrap();
    }

    let image = decode_png(&png);
    assert_eq!(
        (image.width, image.height),
        (WINDOW_WIDTH, WINDOW_HEIGHT),
        "screenshot size"
    );
    let white = image.pixels.iter().filter(|pixel| **pixel == [255, 255, 255]).count();
    assert!(
        white < image.pixels.len() * 98 / 100,
        "the screenshot is almost blank: {white} of {} pixels are white",
        image.pixels.len()
    );
    // Areas of the level chart and of the texts chart, and the table's level columns.
    for (what, hex, minimum) in [
        ("validated area", "#90ff90", 2_000),
        ("proofread area", "#ffe867", 2_000),
        ("texts with scans area", "#c0c0ff", 2_000),
        ("not proofread area", "#ffa0a0", 500),
    ] {
        let color = hex_color(hex);
        let count = image.pixels.iter().filter(|pixel| **pixel == color).count();
        assert!(
            count >= minimum,
            "{what} ({hex}): {count} pixels, expected at least {minimum}"
        );
    }
}
