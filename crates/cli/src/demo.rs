//! `borderscope demo`: the main job on built-in defaults. Writes the project's
//! own small synthetic sample (samples/telemetry, made by
//! samples/make-samples.py), ingests it into a fresh store and prints the
//! ingest report and the store summary.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use borderscope_engine::{Engine, FunctionContext};
use borderscope_store::Store;

use crate::ingest;

/// The sample, built into the binary so the demo runs from any folder.
const SAMPLE: &[(&str, &str)] = &[
    (
        "conn.log",
        include_str!("../../../samples/telemetry/conn.log"),
    ),
    (
        "dns.log",
        include_str!("../../../samples/telemetry/dns.log"),
    ),
    (
        "eve.json",
        include_str!("../../../samples/telemetry/eve.json"),
    ),
    (
        "access.log",
        include_str!("../../../samples/telemetry/access.log"),
    ),
];

#[derive(clap::Args)]
pub struct Args {
    /// Folder for the demo's sample files and its store (replaced on each run).
    #[arg(long, default_value = "borderscope-demo")]
    pub dir: PathBuf,
}

pub async fn run(functions: FunctionContext, args: &Args) -> Result<ExitCode> {
    let telemetry = args.dir.join("telemetry");
    let store_dir = args.dir.join("store");
    if store_dir.exists() {
        std::fs::remove_dir_all(&store_dir)
            .with_context(|| format!("cannot clear the demo store {}", store_dir.display()))?;
    }
    std::fs::create_dir_all(&telemetry)
        .with_context(|| format!("cannot create {}", telemetry.display()))?;
    for (name, text) in SAMPLE {
        let p = telemetry.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    println!("sample telemetry written to {}", telemetry.display());
    let store = Store::create_or_open(&store_dir).await?;
    let report = ingest::ingest_into(
        &store,
        &ingest::Args {
            paths: vec![telemetry],
            sensor: Some("demo".into()),
            max_errors: None,
            max_line: borderscope_ingest::lines::DEFAULT_MAX_LINE,
            quiet: false,
        },
    )
    .await?;
    ingest::print_report(&report);
    let engine = Engine::over(store, functions).await?;
    println!();
    crate::query::print_summary(&engine, false).await?;
    println!(
        "\nAsk your own questions: borderscope --store {} query \"SELECT ...\"",
        store_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
