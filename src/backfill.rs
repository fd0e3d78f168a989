//! `phetools backfill`: queue hOCR builds for a list of Index pages, at a
//! limited rate. Running it again queues nothing for a book whose build is
//! queued or running (the job's dedupe key) or whose hOCR is current.

use std::io::{BufRead, BufReader};
use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::{bail, Context};
use governor::{Quota, RateLimiter};
use phetools_hocr::{language_for_wiki, HocrPayload, HocrStore};
use phetools_queue::{EnqueueOutcome, Queue};

use crate::config::Config;

/// Arguments of `phetools backfill`.
#[derive(Debug, clap::Args)]
pub struct BackfillArgs {
    /// Domain of the Wikisource, such as en.wikisource.org.
    #[arg(long)]
    pub wiki: String,
    /// Language of the builds (the OCR language); the wiki's language when omitted.
    #[arg(long)]
    pub lang: Option<String>,
    /// File with one Index page title per line (`Index:Book.djvu`, or any
    /// localised prefix), or `-` for standard input. Blank lines and lines
    /// starting with `#` are skipped.
    pub titles: PathBuf,
}

/// Counts printed at the end.
#[derive(Debug, Default)]
struct Tally {
    queued: usize,
    in_flight: usize,
    current: usize,
    skipped: usize,
}

pub async fn run(config: &Config, args: BackfillArgs) -> anyhow::Result<()> {
    let lang = match &args.lang {
        Some(lang) => lang.clone(),
        None => language_for_wiki(&args.wiki).with_context(|| {
            format!(
                "{} is not a Wikisource domain; give the language with --lang",
                args.wiki
            )
        })?,
    };
    let rate = NonZeroU32::new(config.hocr.backfill_per_second)
        .context("invalid [hocr] backfill_per_second 0: expected at least 1 job per second")?;
    let titles = read_titles(&args.titles)?;
    let pool = crate::app::connect(config).await?;
    crate::app::apply_migrations(&pool).await?;
    let queue = Queue::new(pool.clone());
    let store = HocrStore::new(pool.clone());
    let limiter = RateLimiter::direct(Quota::per_second(rate));

    let mut tally = Tally::default();
    for title in &titles {
        let Some(file) = file_of_index(title) else {
            eprintln!("skipped {title:?}: not the Index page of a .djvu or .pdf file");
            tally.skipped += 1;
            continue;
        };
        let payload = HocrPayload {
            wiki: args.wiki.clone(),
            file: file.to_owned(),
            lang: Some(lang.clone()),
            reason: Some("backfill".to_owned()),
            event_id: None,
        };
        let (job, dbkey) = match payload.new_job().and_then(|job| Ok((job, payload.dbkey()?))) {
            Ok(pair) => pair,
            Err(error) => {
                eprintln!("skipped {title:?}: {error}");
                tally.skipped += 1;
                continue;
            }
        };
        if store.is_current(&args.wiki, &dbkey, &lang).await? {
            tally.current += 1;
            continue;
        }
        limiter.until_ready().await;
        match queue.enqueue(&job).await? {
            EnqueueOutcome::Inserted(_) => tally.queued += 1,
            EnqueueOutcome::Existing(_) => tally.in_flight += 1,
        }
    }
    pool.close().await;
    println!(
        "{} titles: {} builds queued, {} already queued or running, {} already current, {} skipped",
        titles.len(),
        tally.queued,
        tally.in_flight,
        tally.current,
        tally.skipped
    );
    Ok(())
}

fn read_titles(path: &PathBuf) -> anyhow::Result<Vec<String>> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        Box::new(BufReader::new(file))
    };
    let mut titles = Vec::new();
    for line in reader.lines() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        let line = line.trim();
        if !line.is_empty() && !line.starts_with('#') {
            titles.push(line.to_owned());
        }
    }
    if titles.is_empty() {
        bail!("{} lists no Index page title", path.display());
    }
    Ok(titles)
}

/// The file an Index page names: the title after its namespace prefix. File
/// names cannot contain a colon, so the prefix is everything up to the first
/// one, whatever the wiki calls its Index namespace.
fn file_of_index(title: &str) -> Option<&str> {
    let file = title.split_once(':').map_or(title, |(_, file)| file).trim();
    let lower = file.to_lowercase();
    (lower.ends_with(".djvu") || lower.ends_with(".pdf")).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_titles_name_their_file() {
        assert_eq!(file_of_index("Index:Works 6.pdf"), Some("Works 6.pdf"));
        assert_eq!(file_of_index("Livre:Tribulat.djvu"), Some("Tribulat.djvu"));
        assert_eq!(file_of_index("Book.DJVU"), Some("Book.DJVU"));
        assert_eq!(file_of_index("Index:Photo.jpg"), None);
    }
}
