//! `borderscope ingest PATH...`

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use borderscope_ingest::{FileOutcome, IngestOptions, IngestReport};
use borderscope_store::{Store, StoreLocation};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use crate::progress::Bar;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders (read recursively) of telemetry; formats are recognised
    /// from content, plain or gzip/bzip2/zstd compressed.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Sensor name stored with the rows (NetFlow rows name their exporter).
    #[arg(long)]
    pub sensor: Option<String>,
    /// Stop, committing nothing, once more rows than this are rejected.
    #[arg(long)]
    pub max_errors: Option<u64>,
    /// Longest line kept, in bytes; longer lines are quarantined.
    #[arg(long, default_value_t = borderscope_ingest::lines::DEFAULT_MAX_LINE)]
    pub max_line: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub async fn run(store_path: &StoreLocation, args: &Args) -> Result<ExitCode> {
    let store = Store::create_or_open(store_path).await?;
    let report = ingest_into(&store, args).await?;
    print_report(&report);
    Ok(if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn ingest_into(store: &Store, args: &Args) -> Result<IngestReport> {
    let opts = IngestOptions {
        sensor: args.sensor.clone(),
        max_errors: args.max_errors,
        max_line: args.max_line,
        progress: Arc::new(Bar::new(args.quiet)),
    };
    borderscope_ingest::ingest(store, &args.paths, &opts).await
}

fn outcome_text(o: &FileOutcome) -> String {
    match o {
        FileOutcome::Ingested => "stored".into(),
        FileOutcome::AlreadyIngested(p) => format!("already ingested (as {})", p.source_file),
        FileOutcome::DuplicateInRun(p) => format!("same content as {}", p.display()),
        FileOutcome::Empty => "empty file".into(),
        FileOutcome::Unrecognized => "unrecognised format (quarantined)".into(),
        FileOutcome::Unreadable(e) => format!("unreadable: {e}"),
    }
}

pub fn print_report(report: &IngestReport) {
    for r in &report.recovered {
        eprintln!("recovered: {r}");
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "file", "format", "read", "stored", "rejected", "skipped", "outcome",
    ]);
    for f in &report.files {
        let format = match (f.format, f.compression) {
            (Some(fmt), Some(c)) if c.name() != "none" => format!("{} ({})", fmt.name(), c.name()),
            (Some(fmt), _) => fmt.name().to_string(),
            _ => "-".into(),
        };
        t.add_row([
            f.path.display().to_string(),
            format,
            f.counts.read().to_string(),
            f.counts.stored.to_string(),
            f.counts.rejected.to_string(),
            f.counts.skipped.to_string(),
            outcome_text(&f.outcome),
        ]);
    }
    println!("{t}");
    for f in &report.files {
        for n in &f.notes {
            println!("note: {}: {n}", f.path.display());
        }
    }
    let new_files = report
        .files
        .iter()
        .filter(|f| matches!(f.outcome, FileOutcome::Ingested | FileOutcome::Unrecognized))
        .count();
    match (&report.aborted, &report.commit) {
        (Some(why), _) => println!("ingest stopped: {why}"),
        (None, Some(c)) => println!(
            "committed batch {}: {} rows stored, {} rejected to the quarantine table, from {new_files} new files",
            c.batch_id,
            report.rows_stored(),
            report.rows_rejected()
        ),
        (None, None) => println!("nothing new to ingest: every file was already in the store, empty or unreadable"),
    }
}
