//! Logging setup: `tracing` to stderr, text for people or JSON for log collectors.

use std::io::IsTerminal;

use tracing_subscriber::{fmt, EnvFilter};

/// Output format of the log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Log filter of the services: `info` for phetools, `warn` for libraries.
pub const SERVICE_FILTER: &str =
    "warn,phetools=info,phetools_queue=info,phetools_stream=info,phetools_wiki=info,phetools_textlayer=info,phetools_web=info";

/// Log filter of `phetools bench`, whose jobs would otherwise log a line each.
pub const BENCH_FILTER: &str = "warn";

/// Installs the global subscriber. The filter comes from `RUST_LOG`, else `default_filter`.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // Colour codes only help a terminal; in files and log collectors they are noise.
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).init(),
    }
}
