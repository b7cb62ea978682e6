//! `borderscope`: the command line over the pipeline's crates.

mod demo;
mod geo;
mod ingest;
mod output;
mod progress;
mod query;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "borderscope",
    version,
    about = "Cross-border botnet, phishing and backdoor figures from security telemetry, with the evidence behind every count"
)]
struct Cli {
    /// Store folder (Delta Lake tables).
    #[arg(
        long,
        global = true,
        env = "BORDERSCOPE_STORE",
        default_value = "borderscope-store"
    )]
    store: PathBuf,

    /// MaxMind-format geolocation databases (.mmdb: GeoLite2/GeoIP2 Country,
    /// City or ASN, DB-IP, IPinfo), tried before the built-in registry data.
    /// Repeat for several; separate with ':' in the environment variable.
    #[arg(
        long = "mmdb",
        global = true,
        env = "BORDERSCOPE_MMDB",
        value_delimiter = ':'
    )]
    mmdb: Vec<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest the built-in sample telemetry into a fresh store and summarise it.
    Demo(demo::Args),
    /// Ingest log files or folders into the store.
    Ingest(ingest::Args),
    /// Summarise what is in the store: rows, time span, top talkers, countries.
    Summary(query::SummaryArgs),
    /// Run SQL over the store's tables, with borderscope's functions.
    Query(query::Args),
    /// Geolocation look-ups.
    Geo {
        #[command(subcommand)]
        command: geo::Command,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BORDERSCOPE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => demo::run(&cli.store, &cli.mmdb, a).await,
        Command::Ingest(a) => ingest::run(&cli.store, a).await,
        Command::Summary(a) => query::summary(&cli.store, &cli.mmdb, a).await,
        Command::Query(a) => query::run(&cli.store, &cli.mmdb, a).await,
        Command::Geo { command } => geo::run(&cli.mmdb, command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
