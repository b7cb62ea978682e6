//! `borderscope`: the command line over the pipeline's crates.

mod backdoor;
mod cluster;
mod demo;
mod detect;
mod eval;
mod geo;
mod ingest;
mod intel;
mod output;
mod phish;
mod phishing;
mod progress;
mod query;
mod report;
mod simulate;
mod webshell;

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
    /// The store (Delta Lake tables): a folder, or s3://BUCKET/PREFIX on an
    /// S3-compatible object store, reached with the AWS_* environment
    /// variables (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...).
    #[arg(
        long,
        global = true,
        env = "BORDERSCOPE_STORE",
        default_value = "borderscope-store"
    )]
    store: borderscope_store::StoreLocation,

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

    /// Networks of the defended constituency besides private and reserved
    /// ranges (CIDR; repeat, or separate with ',' in the environment variable).
    #[arg(
        long = "internal",
        global = true,
        env = "BORDERSCOPE_INTERNAL",
        value_delimiter = ','
    )]
    internal: Vec<ipnet::IpNet>,

    /// The defended country: its addresses are internal (hosts that can be
    /// controlled, websites that can be backdoored), and it is the report's
    /// default target.
    #[arg(long, global = true, env = "BORDERSCOPE_COUNTRY")]
    country: Option<borderscope_geo::CountryCode>,

    /// Constituency file (TOML: country, networks, domains, reserved); see
    /// docs/methodology.md.
    #[arg(long, global = true, env = "BORDERSCOPE_CONSTITUENCY")]
    constituency: Option<PathBuf>,

    /// Run the plans of query, summary, detect, explain and report on the
    /// Apache DataFusion Ballista cluster whose scheduler is here
    /// (df://HOST:PORT; see `borderscope cluster`). The store must be on
    /// S3 or on a file system every cluster process sees at the same path.
    #[arg(long, global = true, env = "BORDERSCOPE_CLUSTER")]
    cluster: Option<borderscope_engine::ClusterUrl>,

    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// Where plans run: embedded, or on the cluster given by `--cluster`.
    fn runner(&self) -> borderscope_engine::Runner {
        match &self.cluster {
            Some(url) => borderscope_engine::Runner::Cluster(url.clone()),
            None => borderscope_engine::Runner::Embedded,
        }
    }

    /// Geolocation, constituency and the built-in brand registry for the
    /// SQL functions (`detect phishing --brands` replaces the registry).
    fn functions(&self) -> anyhow::Result<borderscope_engine::FunctionContext> {
        let geo = geo::load(&self.mmdb)?;
        let file = match &self.constituency {
            Some(path) => borderscope_geo::Constituency::load(path)?,
            None => borderscope_geo::Constituency::default(),
        };
        let country = self.country.or(file.country);
        let constituency = file
            .with_networks(self.internal.clone())
            .with_country(country);
        Ok(borderscope_engine::FunctionContext {
            constituency: std::sync::Arc::new(constituency),
            ..borderscope_engine::FunctionContext::new(geo)
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a small world, ingest it, run every detector and print the
    /// cross-border report beside the simulator's truth (HTML and JSON too).
    Demo(demo::Args),
    /// Ingest log files or folders into the store.
    Ingest(ingest::Args),
    /// Summarise what is in the store: rows, time span, top talkers, countries.
    Summary(query::SummaryArgs),
    /// Run SQL over the store's tables, with borderscope's functions.
    Query(query::Args),
    /// Load threat-intelligence feeds.
    Intel {
        #[command(subcommand)]
        command: intel::Command,
    },
    /// Run detectors over the store and write their findings tables.
    Detect {
        #[command(subcommand)]
        command: detect::Command,
    },
    /// Explain a finding: its evidence, score parts and the events behind it.
    Explain {
        #[command(subcommand)]
        command: detect::ExplainCommand,
    },
    /// Measure detection accuracy on labelled data.
    Eval {
        #[command(subcommand)]
        command: eval::Command,
    },
    /// Scan a web root with YARA rules (built-in webshell rules plus
    /// --rules) into the web_files table.
    ScanWeb(webshell::ScanArgs),
    /// Phishing candidates: load phishing feeds and CT streams.
    Phish {
        #[command(subcommand)]
        command: phishing::Command,
    },
    /// Score URLs or domains for brand impersonation (phishing).
    Score {
        #[command(subcommand)]
        command: phish::ScoreCommand,
    },
    /// The cross-border report: control servers and controlled hosts,
    /// phishing hosts, pages and operations, backdoor implanters, websites
    /// and attacks, for a period and a target country.
    Report(report::Args),
    /// Write a made-up world's telemetry (Zeek, Suricata, IIS, sampled
    /// NetFlow/IPFIX, feeds) with its ground truth (truth.json).
    Simulate(simulate::Args),
    /// Geolocation look-ups.
    Geo {
        #[command(subcommand)]
        command: geo::Command,
    },
    /// Run a Ballista scheduler or executor with borderscope's SQL functions,
    /// for `--cluster`.
    Cluster {
        #[command(subcommand)]
        command: cluster::Command,
    },
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runner = cli.runner();
    let on_cluster = matches!(
        cli.command,
        Command::Summary(_)
            | Command::Query(_)
            | Command::Detect { .. }
            | Command::Explain { .. }
            | Command::Report(_)
            | Command::Cluster { .. }
    );
    if let (Some(url), false) = (&cli.cluster, on_cluster) {
        eprintln!("note: --cluster {url} is not used by this command; it runs in this process");
    }
    let result = match cli.command {
        Command::Demo(ref a) => demo::run(cli.functions()?, a).await,
        Command::Ingest(ref a) => ingest::run(&cli.store, a).await,
        Command::Summary(ref a) => query::summary(&cli.store, cli.functions()?, &runner, a).await,
        Command::Query(ref a) => query::run(&cli.store, cli.functions()?, &runner, a).await,
        Command::Intel { ref command } => intel::run(&cli.store, command).await,
        Command::Detect { ref command } => {
            detect::run(&cli.store, cli.functions()?, &runner, command).await
        }
        Command::Explain { ref command } => {
            detect::explain(&cli.store, cli.functions()?, &runner, command).await
        }
        Command::Eval { ref command } => eval::run(cli.functions()?, command).await,
        Command::ScanWeb(ref a) => webshell::scan_web(&cli.store, a).await,
        Command::Phish { ref command } => phishing::run(&cli.store, command).await,
        Command::Score { ref command } => phish::score(command),
        Command::Report(ref a) => report::run(&cli.store, cli.functions()?, &runner, a).await,
        Command::Simulate(ref a) => simulate::run(a),
        Command::Geo { ref command } => geo::run(&cli.mmdb, command),
        Command::Cluster { ref command } => cluster::run(cli.functions()?, command).await,
    };
    if cli.cluster.is_some() && on_cluster && !matches!(cli.command, Command::Cluster { .. }) {
        remove_staged(&cli.store).await;
    }
    result
}

/// A command run on a cluster stages its intermediate results as files
/// under the store; they go when it ends, whether it succeeded or not.
async fn remove_staged(store: &borderscope_store::StoreLocation) {
    // No store, no staged files: the command has said why already.
    let Ok(store) = borderscope_store::Store::open(store.clone()).await else {
        return;
    };
    if let Err(e) = store.remove_staged().await {
        eprintln!("warning: staged results were left under the store: {e:#}");
    }
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
    let result = run(cli).await;
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
