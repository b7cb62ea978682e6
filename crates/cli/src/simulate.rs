//! `borderscope simulate --out DIR`: a made-up world's telemetry and its
//! ground truth (crates/sim).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use borderscope_geo::CountryCode;
use borderscope_sim::{Config, Scale};
use chrono::NaiveDate;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to write the world to (missing or empty).
    #[arg(long)]
    pub out: PathBuf,
    /// small (the demo, three days), article (the published statement's
    /// magnitudes over 61 days, sampled NetFlow) or a multiplier of small.
    #[arg(long, default_value = "small")]
    pub scale: Scale,
    /// Same seed, same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day (UTC, inclusive); the preset's by default.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day (UTC, inclusive).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// The defended country (ISO 3166-1 alpha-2).
    #[arg(long, default_value = "CN")]
    pub target: String,
    /// Replace what is in --out.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let target = CountryCode::parse(&args.target).with_context(|| {
        format!(
            "--target {:?} is not a two-letter country code",
            args.target
        )
    })?;
    let config = Config {
        seed: args.seed,
        target,
        from: args.from,
        to: args.to,
        scale: args.scale,
    };
    let s = borderscope_sim::simulate(&config, &args.out, args.force, !args.quiet)?;
    println!(
        "wrote {} days to {}: {} files, {:.1} MB in {:.1} s",
        s.days,
        s.out.display(),
        s.files,
        s.bytes as f64 / 1e6,
        s.seconds
    );
    for (kind, n) in &s.rows {
        println!("  {kind:<18} {n:>12}");
    }
    let f = &s.figures;
    println!(
        "truth ({}/truth.json): {} control servers, {} controlled hosts; {} phishing hosts, {} pages, {} operations; {} backdoor IPs, {} websites, {} attacks",
        s.out.display(),
        f.c2_servers,
        f.c2_hosts,
        f.phishing_hosts,
        f.phishing_pages,
        f.phishing_operations,
        f.backdoor_ips,
        f.backdoor_websites,
        f.backdoor_attacks
    );
    println!(
        "next: borderscope --store STORE ingest {0}/telemetry && borderscope --store STORE intel load {0}/feeds/feodo.csv {0}/feeds/c2-domains.txt",
        s.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
