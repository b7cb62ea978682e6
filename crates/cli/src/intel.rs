//! `borderscope intel load FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use borderscope_intel::{FileOutcome, LoadOptions};
use borderscope_store::{Store, StoreLocation};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Load threat-intelligence feeds (abuse.ch Feodo Tracker, ThreatFox,
    /// URLhaus; plain IP/domain/URL lists with `#` comments) into the intel table.
    Load {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Threat of plain-list entries (default botnet_cc).
        #[arg(long)]
        threat: Option<String>,
    },
}

pub async fn run(store: &StoreLocation, cmd: &Command) -> Result<ExitCode> {
    let Command::Load { paths, threat } = cmd;
    let store = Store::create_or_open(store).await?;
    let opts = LoadOptions {
        threat: threat.clone(),
        ..LoadOptions::default()
    };
    let report = borderscope_intel::load(&store, paths, &opts).await?;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(["file", "format", "indicators", "rejected", "outcome"]);
    for f in &report.files {
        let outcome = match &f.outcome {
            FileOutcome::Loaded => "loaded".to_string(),
            FileOutcome::AlreadyLoaded(p) => format!("already loaded (as {})", p.source_file),
            FileOutcome::DuplicateInRun(p) => format!("same content as {}", p.display()),
            FileOutcome::Empty => "empty file".into(),
            FileOutcome::Unrecognized(why) => format!("not a feed: {why}"),
            FileOutcome::Unreadable(e) => format!("unreadable: {e}"),
        };
        t.add_row([
            f.path.display().to_string(),
            f.format
                .map(|x| x.name().to_string())
                .unwrap_or_else(|| "-".into()),
            f.counts.indicators.to_string(),
            f.counts.rejected.to_string(),
            outcome,
        ]);
    }
    println!("{t}");
    for f in &report.files {
        for n in &f.notes {
            println!("note: {}: {n}", f.path.display());
        }
    }
    println!(
        "{} indicators loaded, {} rejected to the quarantine table",
        report.indicators(),
        report.rejected()
    );
    let nothing = report.indicators() == 0
        && report.files.iter().any(|f| {
            matches!(
                f.outcome,
                FileOutcome::Loaded | FileOutcome::Unrecognized(_)
            )
        });
    Ok(if nothing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
