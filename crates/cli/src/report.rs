//! `borderscope report`: the three cross-border statements for a period.

use borderscope_store::StoreLocation;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use borderscope_engine::{Engine, FunctionContext, Runner};
use borderscope_geo::CountryCode;
use borderscope_report::render::{self, Format};
use borderscope_report::{Period, Request};

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
    Csv,
    Html,
    Stix,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Format {
        match f {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Csv => Format::Csv,
            ReportFormat::Html => Format::Html,
            ReportFormat::Stix => Format::Stix,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// First day of the period (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub from: String,
    /// Last day of the period, included (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub to: String,
    /// The defended country (ISO 3166-1 alpha-2); defaults to the
    /// constituency file's country.
    #[arg(long)]
    pub target: Option<String>,
    /// Only this source country; without it every other country, ranked,
    /// with the country-pair matrix.
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Brand registry (TOML) extending the built-in one: its brands'
    /// domains are websites of their countries.
    #[arg(long)]
    pub brands: Option<PathBuf>,
}

pub async fn run(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    args: &Args,
) -> Result<ExitCode> {
    let request = request(&functions, args)?;
    let engine = Engine::open_on(store, functions, runner).await?;
    let report = borderscope_report::build(&engine, &request).await?;
    match &args.output {
        Some(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?,
            );
            render::write(&report, args.format.into(), &mut file)?;
            file.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            render::write(&report, args.format.into(), &mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn request(functions: &FunctionContext, args: &Args) -> Result<Request> {
    let country = |flag: &str, code: &str| {
        CountryCode::parse(code.trim()).with_context(|| {
            format!("{flag} {code:?}: expected a two-letter country code such as CN")
        })
    };
    let target = match (&args.target, functions.constituency.country) {
        (Some(t), _) => country("--target", t)?,
        (None, Some(c)) => c,
        (None, None) => anyhow::bail!(
            "no target country: give --target CC (or a constituency file with `country`)"
        ),
    };
    let source = args
        .source
        .as_deref()
        .map(|s| country("--source", s))
        .transpose()?;
    Ok(Request {
        period: Period::parse(&args.from, &args.to)?,
        target,
        source,
        constituency: (*functions.constituency).clone(),
        brands: args.brands.clone(),
    })
}
