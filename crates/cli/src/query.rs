//! `borderscope query SQL` and `borderscope summary`.

use borderscope_store::StoreLocation;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use borderscope_engine::{summary, Engine, FunctionContext, Runner};

use crate::output::{self, Format};

#[derive(clap::Args)]
pub struct Args {
    /// One SQL statement over the tables flows, dns, http, tls, alerts, weblog,
    /// quarantine and ingests; functions ip_country, ip_asn, ip_asn_org,
    /// ip_is_reserved are available.
    pub sql: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(clap::Args)]
pub struct SummaryArgs {
    /// Print the SQL behind each section.
    #[arg(long)]
    pub show_sql: bool,
}

pub async fn run(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    args: &Args,
) -> Result<ExitCode> {
    let engine = Engine::open_on(store, functions, runner).await?;
    let batches = engine.sql(&args.sql).await?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    output::write(&batches, args.format, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub async fn summary(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    args: &SummaryArgs,
) -> Result<ExitCode> {
    let engine = Engine::open_on(store, functions, runner).await?;
    print_summary(&engine, args.show_sql).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn print_summary(engine: &Engine, show_sql: bool) -> Result<()> {
    println!("store: {}", engine.store().location());
    let versions: Vec<String> = engine
        .snapshot()
        .versions()
        .into_iter()
        .map(|(t, v)| format!("{t}@{v}"))
        .collect();
    println!("table versions: {}", versions.join(" "));
    let stdout = std::io::stdout();
    for s in summary::summarize(engine).await? {
        let mut out = stdout.lock();
        writeln!(out, "\n{}", s.title)?;
        if show_sql {
            writeln!(out, "{}", s.sql)?;
        }
        output::write(&s.batches, Format::Table, &mut out)?;
    }
    Ok(())
}
