//! `borderscope detect c2` and `borderscope explain c2`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use borderscope_detect::c2::{self, C2Config};
use borderscope_engine::{Engine, FunctionContext, Runner};
use borderscope_store::{Store, StoreLocation};

use crate::output::{self, Format};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Find botnet control servers and the hosts they control; replaces the
    /// c2_evidence, c2_control and c2_servers tables.
    C2(C2Args),
    /// Find backdoored websites (webshells), the attacks through them and
    /// who planted them, from web logs and web_files scans; replaces
    /// backdoor_evidence, backdoors, backdoor_attacks and backdoor_implanters.
    Backdoor(crate::backdoor::DetectArgs),
    /// Find phishing pages impersonating protected brands (from feeds, CT
    /// names, DNS, HTTP and TLS, with saved pages' content), the addresses
    /// hosting them and every visit to them; replaces phish_pages and phish_ops.
    Phishing(crate::phishing::DetectArgs),
}

#[derive(clap::Args)]
pub struct C2Args {
    /// Only events from this date or time on (YYYY-MM-DD or RFC 3339, UTC).
    #[arg(long, value_parser = parse_time)]
    pub from: Option<i64>,
    /// Only events before this date or time.
    #[arg(long, value_parser = parse_time)]
    pub to: Option<i64>,
    /// Combined score a host-server pair needs to be reported as control.
    #[arg(long, default_value_t = C2Config::default().control_threshold)]
    pub threshold: f64,
    /// Allow-list files of known-good services (lines `domain NAME`,
    /// `network CIDR`, `asn NUMBER`), added to the built-in list.
    #[arg(long = "allowlist")]
    pub allowlists: Vec<std::path::PathBuf>,
    /// Do not use the built-in allow-list of platform, PKI and anti-virus
    /// update services.
    #[arg(long)]
    pub no_builtin_allowlist: bool,
    /// Let a beacon alone, with no second kind of evidence, make a control
    /// pair (as RITA reports beacons). Expect benign pollers among them.
    #[arg(long)]
    pub beacon_alone: bool,
}

impl C2Args {
    pub fn config(&self) -> Result<C2Config> {
        let mut allow = if self.no_builtin_allowlist {
            c2::AllowList::default()
        } else {
            c2::AllowList::builtin()
        };
        for p in &self.allowlists {
            allow.extend(c2::AllowList::from_file(p)?);
        }
        Ok(C2Config {
            from: self.from,
            to: self.to,
            control_threshold: self.threshold,
            beacon_alone: self.beacon_alone,
            allow,
            ..C2Config::default()
        })
    }
}

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time to microseconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).ok_or("bad date")?;
        return Ok(t.and_utc().timestamp_micros());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_micros())
        .map_err(|_| format!("{s:?} is neither YYYY-MM-DD nor an RFC 3339 time"))
}

/// Opens the store for detection: the tables detectors read and write exist.
pub async fn engine_for_detection(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
) -> Result<Engine> {
    let store = Store::open(store).await?;
    store
        .ensure_table(
            borderscope_intel::INTEL_TABLE,
            &borderscope_intel::schema(),
            None,
        )
        .await?;
    c2::findings::ensure_tables(&store).await?;
    Engine::over_on(store, functions, runner).await
}

pub async fn run(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    cmd: &Command,
) -> Result<ExitCode> {
    let args = match cmd {
        Command::C2(args) => args,
        Command::Backdoor(a) => return crate::backdoor::detect(store, functions, runner, a).await,
        Command::Phishing(a) => return crate::phishing::detect(store, functions, runner, a).await,
    };
    let engine = engine_for_detection(store, functions, runner).await?;
    let findings = c2::detect(engine.ctx(), &args.config()?).await?;
    let report = c2::findings::store_findings(engine.store(), &findings, "detect c2").await?;
    let rows =
        |b: &[datafusion::arrow::array::RecordBatch]| b.iter().map(|x| x.num_rows()).sum::<usize>();
    println!(
        "{} control servers, {} host-server control pairs, from {} evidence rows",
        rows(&findings.servers),
        rows(&findings.control),
        rows(&findings.evidence)
    );
    if let Some(r) = report {
        println!("stored as batch {}", r.batch_id);
    }
    let kept_out = rows(&findings.allowed);
    if kept_out > 0 {
        println!("allow-list applied: {kept_out} pairs kept out of the findings");
        let mut out = std::io::stdout().lock();
        output::write(&findings.allowed, Format::Table, &mut out)?;
    } else {
        println!("allow-list applied: no pair kept out");
    }
    // A new snapshot, so the table shows the findings just committed.
    let engine = engine.reopen().await?;
    let top = engine
        .sql("SELECT ip, hosts, flows, round(score, 3) AS score, evidence, family, ports, ip_country(ip) AS country \
              FROM c2_servers ORDER BY hosts DESC, score DESC, ip LIMIT 20")
        .await?;
    let mut out = std::io::stdout().lock();
    output::write(&top, Format::Table, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Subcommand)]
pub enum ExplainCommand {
    /// Why a server (and optionally one host) was called a control server:
    /// the evidence, its score parts, and the flows behind it.
    C2 {
        server: String,
        host: Option<String>,
        /// Flows to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Why a site's path was called a backdoor: its evidence, implanter,
    /// scanned file and the requests through it.
    Backdoor {
        site: String,
        path: String,
        /// Requests to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Why a URL (or host name) was called a phishing page: its rows, its
    /// score with every reason, its hosting addresses with country and AS,
    /// and the visits behind it.
    Phishing {
        url: String,
        /// Brand registry (TOML) extending the built-in one, for scoring
        /// the URL again.
        #[arg(long)]
        brands: Option<std::path::PathBuf>,
        /// Visits to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub async fn explain(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    cmd: &ExplainCommand,
) -> Result<ExitCode> {
    let (server, host, limit) = match cmd {
        ExplainCommand::C2 {
            server,
            host,
            limit,
        } => (server, host, limit),
        ExplainCommand::Backdoor { site, path, limit } => {
            return crate::backdoor::explain(store, functions, runner, site, path, *limit).await
        }
        ExplainCommand::Phishing { url, brands, limit } => {
            return crate::phishing::explain(
                store,
                functions,
                runner,
                url,
                brands.as_deref(),
                *limit,
            )
            .await
        }
    };
    let engine = engine_for_detection(store, functions, runner).await?;
    let server_ip: std::net::IpAddr = server
        .parse()
        .with_context(|| format!("{server:?} is not an IP address"))?;
    let s = quote(&server_ip.to_string());
    let host_filter = match host {
        Some(h) => {
            let ip: std::net::IpAddr = h
                .parse()
                .with_context(|| format!("{h:?} is not an IP address"))?;
            format!(" AND host = {}", quote(&ip.to_string()))
        }
        None => String::new(),
    };
    let sections = [
        ("Server", format!("SELECT *, ip_country(ip) AS country, ip_asn(ip) AS asn FROM c2_servers WHERE ip = {s}")),
        ("Controlled hosts", format!("SELECT host, port, first_seen, last_seen, flows, round(score, 3) AS score, evidence FROM c2_control WHERE server = {s}{host_filter} ORDER BY score DESC, host")),
        ("Evidence (score parts in detail)", format!("SELECT host, kind, round(score, 3) AS score, flows, first_seen, last_seen, detail FROM c2_evidence WHERE server = {s}{host_filter} ORDER BY host, kind")),
        ("Flows behind it", format!(
            "SELECT ts, src_ip, src_port, dst_ip, dst_port, transport, duration, src_bytes, dst_bytes, state, source_file, source_line \
             FROM flows WHERE dst_ip = {s}{} ORDER BY ts LIMIT {limit}",
            host_filter.replace("host =", "src_ip =")
        )),
    ];
    let mut out = std::io::stdout().lock();
    let mut found = false;
    for (title, sql) in sections {
        let batches = engine.sql(&sql).await?;
        let n: usize = batches.iter().map(|b| b.num_rows()).sum();
        found |= n > 0 && title == "Server";
        use std::io::Write;
        writeln!(out, "\n{title}\n{sql}")?;
        output::write(&batches, Format::Table, &mut out)?;
    }
    if !found {
        eprintln!("{server} is not among the control servers found by the last `detect c2`");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
