//! `phetools stats`: statistics maintenance commands.

use std::path::PathBuf;

use anyhow::Context;
use phetools_stats::history::{import_history, read_history, PHETOOLS_SOURCE};

use crate::app;
use crate::config::Config;

/// Arguments of `phetools stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    #[command(subcommand)]
    pub command: StatsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum StatsCommand {
    /// Import the old tool's statistics history (new_stats.py, plain or .gz).
    /// Importing the same file again changes nothing.
    ImportHistory {
        /// The history file: one Python 2 literal per line.
        file: PathBuf,
        /// Name stored with the rows, telling which tool wrote the file.
        #[arg(long, default_value = PHETOOLS_SOURCE)]
        source: String,
    },
    /// Queue the refresh of every wiki's statistics configuration now instead
    /// of at the next daily refresh. Daily statistics jobs and recounts start
    /// for a wiki once it has a configuration row, so a new installation runs
    /// this once.
    RefreshConfig,
}

pub async fn run(config: &Config, args: StatsArgs) -> anyhow::Result<()> {
    match args.command {
        StatsCommand::RefreshConfig => {
            let pool = app::connect(config).await?;
            app::apply_migrations(&pool).await?;
            let mut connection = pool.acquire().await.context("cannot connect to the database")?;
            let outcome = phetools_queue::enqueue(&mut connection, &phetools_stats::wiki_config::config_job())
                .await
                .context("cannot queue the statistics configuration refresh")?;
            println!("statistics configuration refresh queued as job {}", outcome.job_id());
            drop(connection);
            pool.close().await;
            Ok(())
        }
        StatsCommand::ImportHistory { file, source } => {
            let history = tokio::task::spawn_blocking(move || read_history(&file))
                .await
                .context("the history parser stopped")??;
            let summary = history.summary();
            println!(
                "parsed {} lines: {} wiki rows ({} with 7 fields, {} with 8), {} distinct UTC days, \
                 {} int values, {} None, {} [], {} rows in bad-data ranges",
                summary.lines,
                summary.rows,
                summary.seven_field_rows,
                summary.eight_field_rows,
                summary.distinct_days,
                summary.values.ints,
                summary.values.nones,
                summary.values.empty_lists,
                summary.bad_data_rows
            );
            let pool = app::connect(config).await?;
            app::apply_migrations(&pool).await?;
            let report = import_history(&pool, &source, &history).await?;
            println!(
                "imported as source {source:?}: {} rows inserted, {} already present",
                report.inserted, report.already_present
            );
            pool.close().await;
            Ok(())
        }
    }
}
