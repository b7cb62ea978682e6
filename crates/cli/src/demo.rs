//! `borderscope demo`: the main job end to end on a made-up world. It
//! simulates the small world (crates/sim) into a folder, ingests its
//! telemetry, loads its feeds, runs every detector, prints the
//! cross-border report for the simulated period and target, writes the
//! report as HTML and JSON beside it, and sets the report's figures
//! against the simulator's `truth.json`, saying why each one differs.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_engine::{Engine, FunctionContext};
use borderscope_geo::{CountryCode, GeoDb};
use borderscope_report::render::{self, Format};
use borderscope_report::{Period, Request};
use borderscope_sim::{Config, Scale};
use borderscope_store::Store;
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    /// Folder for the simulated world, the store and the reports (missing
    /// or empty). By default a new folder under the system's temporary
    /// folder, kept so the HTML report can be opened afterwards.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of the simulated world: the same seed gives the same world and
    /// the same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Replace what is in --out.
    #[arg(long)]
    pub force: bool,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The figures in the order the report states them.
const FIGURES: [&str; 8] = [
    "c2_servers",
    "c2_hosts",
    "phishing_hosts",
    "phishing_pages",
    "phishing_operations",
    "backdoor_ips",
    "backdoor_websites",
    "backdoor_attacks",
];

/// The demo's target when `--country` does not name one: the country of
/// the published statement the simulator's article scale reproduces.
const DEFAULT_TARGET: &str = "CN";

pub async fn run(functions: FunctionContext, args: &Args) -> Result<ExitCode> {
    let target = match functions.constituency.country {
        Some(c) => c,
        None => CountryCode::parse(DEFAULT_TARGET).context("the default target")?,
    };
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => tempfile::Builder::new()
            .prefix("borderscope-demo-")
            .tempdir()
            .context("cannot create a folder for the demo under the temporary folder")?
            .keep(),
    };
    let world = out.join("world");
    let store_dir = out.join("store");
    prepare(&out, args.force)?;

    step(1, "simulating the small world");
    let config = Config {
        seed: args.seed,
        target,
        scale: Scale::Small,
        ..Config::default()
    };
    let sim = borderscope_sim::simulate(&config, &world, false, !args.quiet)
        .context("simulating the demo's world")?;
    println!(
        "      {} days, {} files, {:.1} MB of telemetry and feeds in {}",
        sim.days,
        sim.files,
        sim.bytes as f64 / 1e6,
        world.display()
    );
    let truth = Truth::read(&world.join("truth.json"))?;

    // The simulator draws addresses from the built-in registry data and
    // counts its truth with it; other geolocation data would move some
    // addresses to other countries and the comparison would mean nothing.
    // The defended country's addresses are the constituency's.
    let constituency = (*functions.constituency).clone().with_country(Some(target));
    let mut functions = functions;
    functions.geo = Arc::new(GeoDb::builtin());
    functions.constituency = Arc::new(constituency);

    step(2, "ingesting its telemetry");
    let store = Store::create_or_open(&store_dir).await?;
    let location = store.location().clone();
    let ingested = crate::ingest::ingest_into(
        &store,
        &crate::ingest::Args {
            paths: vec![world.join(borderscope_sim::TELEMETRY)],
            sensor: None,
            max_errors: None,
            max_line: borderscope_ingest::lines::DEFAULT_MAX_LINE,
            quiet: args.quiet,
        },
    )
    .await
    .context("ingesting the simulated telemetry")?;
    println!(
        "      {} files, {} rows stored, {} quarantined",
        ingested.files.len(),
        ingested.rows_stored(),
        ingested.rows_rejected()
    );

    // Steps 3 to 5 are the commands a user would type, with their own
    // output, so the demo shows the real thing.
    step(3, "loading its feeds (intel load, phish load)");
    let feeds = world.join(borderscope_sim::FEEDS);
    crate::intel::run(
        &location,
        &crate::intel::Command::Load {
            paths: vec![feeds.join("feodo.csv"), feeds.join("c2-domains.txt")],
            threat: None,
        },
    )
    .await
    .context("loading the simulated intel feeds")?;
    crate::phishing::run(
        &location,
        &crate::phishing::Command::Load {
            paths: vec![feeds.join("phishtank.csv")],
            list_source: "openphish".into(),
        },
    )
    .await
    .context("loading the simulated phishing feed")?;

    step(4, "detecting control servers (detect c2)");
    let c2 = crate::detect::C2Args {
        from: None,
        to: None,
        threshold: borderscope_detect::c2::C2Config::default().control_threshold,
        allowlists: Vec::new(),
        no_builtin_allowlist: false,
        beacon_alone: false,
    };
    crate::detect::run(
        &location,
        functions.clone(),
        &borderscope_engine::Runner::Embedded,
        &crate::detect::Command::C2(c2),
    )
    .await
    .context("detect c2")?;

    step(
        5,
        "detecting phishing and backdoors (detect phishing, detect backdoor)",
    );
    let phishing = crate::phishing::DetectArgs {
        from: None,
        to: None,
        brands: None,
        pages: None,
        threshold: borderscope_phish::PhishConfig::default().threshold,
    };
    crate::detect::run(
        &location,
        functions.clone(),
        &borderscope_engine::Runner::Embedded,
        &crate::detect::Command::Phishing(phishing),
    )
    .await
    .context("detect phishing")?;
    let backdoor = crate::backdoor::DetectArgs {
        threshold: borderscope_webshell::backdoor::BackdoorConfig::default().threshold,
    };
    crate::detect::run(
        &location,
        functions.clone(),
        &borderscope_engine::Runner::Embedded,
        &crate::detect::Command::Backdoor(backdoor),
    )
    .await
    .context("detect backdoor")?;

    step(6, "reporting");
    let request = Request {
        period: Period::parse(&truth.from, &truth.to)?,
        target,
        source: None,
        constituency: (*functions.constituency).clone(),
        brands: None,
    };
    let engine = Engine::open(&store_dir, functions).await?;
    let report = borderscope_report::build(&engine, &request).await?;
    let files = [
        (out.join("report.txt"), Format::Text),
        (out.join("report.json"), Format::Json),
        (out.join("report.html"), Format::Html),
    ];
    for (path, format) in &files {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        );
        render::write(&report, *format, &mut file)?;
        file.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!();
    {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        render::write(&report, Format::Text, &mut lock)?;
        lock.flush()?;
    }

    let comparison = compare(&truth, &report.figures);
    let text = comparison_text(&comparison);
    println!("\n{text}");
    std::fs::write(out.join("against-truth.txt"), &text)
        .with_context(|| format!("writing {}", out.join("against-truth.txt").display()))?;

    println!(
        "\nThe report as a web page: {}\nThe same as JSON: {}\nThe world: {} (truth.json, planted/)\nAsk your own questions: borderscope --store {} --country {target} query \"SELECT ...\"",
        out.join("report.html").display(),
        out.join("report.json").display(),
        world.display(),
        store_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn step(n: u32, what: &str) {
    println!("[{n}/6] {what}");
}

/// `out` must be missing or empty; `force` empties it.
fn prepare(out: &Path, force: bool) -> Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out)
            .with_context(|| format!("{} is not a readable folder", out.display()))?;
        if entries.next().is_some() {
            if !force {
                anyhow::bail!(
                    "{} is not empty; give a new or empty folder with --out, or --force to replace its contents",
                    out.display()
                );
            }
            std::fs::remove_dir_all(out).with_context(|| format!("emptying {}", out.display()))?;
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))
}

/// The parts of `truth.json` the demo compares with.
#[derive(serde::Deserialize)]
struct Truth {
    from: String,
    to: String,
    figures: BTreeMap<String, u64>,
}

impl Truth {
    fn read(path: &Path) -> Result<Truth> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a truth file", path.display()))
    }
}

/// One figure of the report set against the truth.
#[derive(Debug, Serialize)]
pub struct Row {
    pub figure: &'static str,
    pub truth: u64,
    /// `None`: the detector behind it did not run.
    pub report: Option<u64>,
    pub why: &'static str,
}

fn compare(truth: &Truth, report: &BTreeMap<&'static str, Option<u64>>) -> Vec<Row> {
    FIGURES
        .iter()
        .map(|&figure| {
            let t = truth.figures.get(figure).copied().unwrap_or(0);
            let r = report.get(figure).copied().flatten();
            Row {
                figure,
                truth: t,
                report: r,
                why: why(figure, t, r),
            }
        })
        .collect()
}

/// Why a figure of the report differs from the truth: what was measured
/// on the small world (docs/demo.md has the numbers). The truth counts
/// every relation the telemetry shows; the detectors need evidence, and
/// some evidence only a full sensor (Zeek, Suricata) gives, never sampled
/// NetFlow.
fn why(figure: &str, truth: u64, report: Option<u64>) -> &'static str {
    let Some(report) = report else {
        return "not measured: the detector that writes this figure's findings did not run";
    };
    if report == truth {
        return "equal";
    }
    if report > truth {
        return "more than the truth: a finding the simulator did not plant (see planted/ and explain)";
    }
    match figure {
        "c2_servers" => "servers with beacons alone (TLS to a name no feed lists, nothing else): a beacon alone is not control unless --beacon-alone",
        "c2_hosts" => "hosts seen only in sampled NetFlow: IDS alerts, DNS, DGA and fast-flux evidence need the full sensor, so only hosts of feed-listed servers are found there; hosts of beacon-only servers",
        "phishing_hosts" | "phishing_pages" | "phishing_operations" => "pages the detector scored below its threshold, or whose hosting address no row showed",
        "backdoor_attacks" => "the requests through webshells the detector missed",
        "backdoor_ips" | "backdoor_websites" => "a webshell driven by POST bodies (no command in the URL) with no logged upload, no scan before and an unremarkable name leaves too little in an access log",
        _ => "fewer than the truth",
    }
}

fn comparison_text(rows: &[Row]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(["figure", "truth.json", "report", "why they differ"]);
    for r in rows {
        t.add_row([
            r.figure.to_string(),
            r.truth.to_string(),
            r.report
                .map_or_else(|| "not measured".to_string(), |n| n.to_string()),
            r.why.to_string(),
        ]);
    }
    format!("The report against the simulator's truth (truth.json counts what the telemetry shows)\n{t}")
}
