//! Paced load from `wrk` for the cache-hit latency benchmarks.
//!
//! Debian's wrk 4.1 has no rate option, so each connection pauses between its
//! requests (a Lua `delay()`). A closed-loop connection sends one request per
//! pause plus round trip, and wrk's timers add to the pause, so the pause aims
//! at 5 % above the rate. The achieved rate is printed with every row, so a run
//! below the aim shows.

use std::process::Command;

use anyhow::{bail, Context};

/// The load of one wrk run.
#[derive(Debug, Clone, Copy)]
pub struct PacedLoad {
    /// Requests per second aimed at, over all connections.
    pub rate: u32,
    pub connections: u32,
    pub seconds: u32,
}

impl PacedLoad {
    /// Returns each connection's pause between requests, in milliseconds.
    pub fn delay_ms(&self) -> u32 {
        let aim = u64::from(self.rate.max(1)) * 21 / 20;
        (1000 * u64::from(self.connections) / aim).max(1) as u32
    }

    /// Describes the load for the benchmark's output.
    pub fn describe(&self) -> String {
        format!(
            "wrk, {} connections, each pausing {} ms between requests (aim: at least {} requests/s), {} s per run",
            self.connections,
            self.delay_ms(),
            self.rate,
            self.seconds
        )
    }

    /// Prints the heading of a cache-hit table for `route` and its first row:
    /// `/healthz` (one `SELECT 1`) under the same load, the baseline.
    pub fn print_baseline(&self, route: &str, base: &str) -> anyhow::Result<()> {
        println!(
            "\n{route} cache hits under load: {} (target: p99 at most 5 ms at 500 requests/s)",
            self.describe()
        );
        println!("| route | requests/s achieved | p50 | p90 | p99 | errors |");
        println!("|---|---:|---:|---:|---:|---:|");
        let healthz = self.run(base, "/healthz", None)?;
        println!("| /healthz (baseline: one SELECT 1) | {healthz} |");
        Ok(())
    }

    /// Runs wrk against `base` + `path` and returns the table cells: achieved
    /// rate, p50, p90, p99 and errors. `request` is an optional Lua `request()`
    /// function that varies the request path.
    pub fn run(&self, base: &str, path: &str, request: Option<&str>) -> anyhow::Result<String> {
        let script = format!(
            "{}\nfunction delay()\n  return {}\nend\n",
            request.unwrap_or(""),
            self.delay_ms()
        );
        let directory = tempfile::tempdir()?;
        let script_path = directory.path().join("pace.lua");
        std::fs::write(&script_path, script)?;
        let output = Command::new("wrk")
            .args(["-t", "2", "-c", &self.connections.to_string()])
            .args(["-d", &format!("{}s", self.seconds), "--latency", "-s"])
            .arg(&script_path)
            .arg(format!("{base}{path}"))
            .output()
            .context("cannot run wrk; install it (Debian package wrk)")?;
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!("wrk failed: {text} {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(table_cells(&text))
    }
}

/// Extracts the achieved rate, the latency percentiles and the errors from wrk's report.
fn table_cells(report: &str) -> String {
    let field = |prefix: &str| {
        report
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(|rest| rest.split_whitespace().next().unwrap_or("?").to_owned())
            .unwrap_or_else(|| "?".to_owned())
    };
    let errors = report
        .lines()
        .find(|line| line.contains("Non-2xx") || line.contains("Socket errors"))
        .map_or("0".to_owned(), |line| line.trim().to_owned());
    format!(
        "{} | {} | {} | {} | {errors}",
        field("Requests/sec:"),
        field("50%"),
        field("90%"),
        field("99%")
    )
}

/// Waits until something accepts connections on `address`.
pub async fn wait_for_server(address: std::net::SocketAddr) -> anyhow::Result<()> {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("the benchmark web server did not start on {address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_aims_at_or_above_rate() {
        let load = PacedLoad {
            rate: 500,
            connections: 12,
            seconds: 1,
        };
        assert_eq!(load.delay_ms(), 22);
        let fast = PacedLoad {
            rate: 5000,
            connections: 2,
            seconds: 1,
        };
        assert_eq!(fast.delay_ms(), 1);
    }

    #[test]
    fn table_cells_from_report() {
        let report = "  Latency Distribution\n     50%  512.00us\n     75%  600.00us\n     90%  700.00us\n     99%    1.20ms\n  5000 requests in 10.00s\nRequests/sec:    500.10\n";
        assert_eq!(table_cells(report), "500.10 | 512.00us | 700.00us | 1.20ms | 0");
    }
}
