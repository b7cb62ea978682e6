//! `borderscope simulate`: the telemetry of a made-up but realistic world,
//! with the exact figures a cross-border report must produce from it.
//!
//! A defended country's machines (addresses from its real registry
//! delegations, changing with DHCP) browse, poll and resolve as machines
//! do; botnets of several families check in with control servers in many
//! countries; phishing campaigns imitate the country's brands from abroad;
//! webshells are planted in its websites. Decoys sit among them: benign
//! pollers as regular as implants, a controller inside the country, phishing
//! of foreign brands, webshells planted from inside, scanners' 404s.
//!
//! The world is written as the sensors would write it (Zeek TSV logs,
//! Suricata EVE JSON, IIS W3C logs, sampled IPFIX and NetFlow v9 in pcap
//! files) plus the feeds defenders read (Feodo Tracker CSV, a C2 domain
//! list, PhishTank CSV), `truth.json` with the figures, and `planted/`
//! listing every planted entity. The same seed gives the same bytes.
//!
//! Memory is bounded by one day of rows: days are generated on one thread
//! and written on another, in order.

pub mod addr;
pub mod config;
mod day;
pub mod rng;
pub mod rows;
pub mod truth;
pub mod world;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;

pub use config::{Config, Plan, Scale};
pub use truth::Figures;

use crate::world::World;

/// What a run wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub out: PathBuf,
    pub days: u32,
    /// Rows (records for NetFlow) per kind of file.
    pub rows: BTreeMap<&'static str, u64>,
    pub files: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub figures: Figures,
}

/// The contents of `truth.json`.
#[derive(Debug, Serialize)]
struct TruthFile<'a> {
    from: String,
    to: String,
    target: String,
    figures: &'a Figures,
    by_source: BTreeMap<String, Figures>,
    seed: u64,
    scale: String,
    notes: Vec<String>,
}

/// Where each kind of output goes, relative to the output folder.
pub const TELEMETRY: &str = "telemetry";
pub const FEEDS: &str = "feeds";
pub const PLANTED: &str = "planted";

/// Builds the world of `config` and writes it to `out`, which must be
/// missing or empty (`force` empties it first).
pub fn simulate(config: &Config, out: &Path, force: bool, progress: bool) -> Result<Summary> {
    let started = Instant::now();
    prepare(out, force)?;
    let plan = Plan::new(config)?;
    let world = World::build(plan).context("building the world")?;
    let mut truth = truth::Truth::new(&world);
    let mut summary = Summary {
        out: out.to_path_buf(),
        days: world.plan.days,
        ..Summary::default()
    };
    let bar = bar(progress, world.plan.days);
    write_days(&world, out, &mut truth, &mut summary, &bar)?;
    bar.finish_and_clear();
    write_feeds(&world, out, &mut truth, &mut summary)?;
    write::feeds::planted(&out.join(PLANTED), &world, &truth).context("writing planted/")?;
    let (figures, by_source) = truth.figures();
    write_truth(&world, out, &figures, &by_source)?;
    summary.figures = figures;
    summary.bytes = folder_bytes(out)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn prepare(out: &Path, force: bool) -> Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out)
            .with_context(|| format!("{} is not a readable folder", out.display()))?;
        if entries.next().is_some() {
            if !force {
                bail!(
                    "{} is not empty; give an empty or new folder (or --force to replace its contents)",
                    out.display()
                );
            }
            std::fs::remove_dir_all(out).with_context(|| format!("emptying {}", out.display()))?;
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))
}

fn bar(progress: bool, days: u32) -> indicatif::ProgressBar {
    if !progress {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(u64::from(days)),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "simulating {bar:30} day {pos}/{len} {msg} [{elapsed_precise}, eta {eta}]",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Generates the days on a second thread, two days ahead at most, and
/// writes them here in order.
fn write_days(
    world: &World,
    out: &Path,
    truth: &mut truth::Truth,
    summary: &mut Summary,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    let telemetry = out.join(TELEMETRY);
    let boot_ms = world.start_us / 1000 - 30 * 86_400_000;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::sync_channel(2);
        scope.spawn(move || {
            for d in 0..world.plan.days {
                if tx.send((d, day::generate(world, d))).is_err() {
                    return;
                }
            }
        });
        let mut rows = 0u64;
        for (d, rows_of_day) in rx {
            truth.observe(&rows_of_day);
            rows += rows_of_day.rows() as u64;
            write_day(world, &telemetry, d, &rows_of_day, boot_ms, summary)
                .with_context(|| format!("writing day {}", d + 1))?;
            bar.set_message(format!("{rows} rows"));
            bar.inc(1);
        }
        Ok(())
    })
}

fn write_day(
    world: &World,
    dir: &Path,
    d: u32,
    day: &rows::Day,
    boot_ms: i64,
    summary: &mut Summary,
) -> Result<()> {
    use write::text;
    let date = world.plan.start + chrono::Days::new(u64::from(d));
    let ymd = date.format("%Y-%m-%d").to_string();
    let zeek = dir.join("zeek").join(&ymd);
    // Zeek's Site::local_nets: the watched networks.
    let local = |ip: std::net::Ipv4Addr| world.monitored.contains(u32::from(ip));
    let mut files = 0;
    let mut count = |kind: &'static str, n: usize| {
        *summary.rows.entry(kind).or_default() += n as u64;
    };
    if !day.conn.is_empty() {
        text::zeek(
            &zeek.join("conn.log"),
            "conn",
            date,
            text::CONN_FIELDS,
            text::CONN_TYPES,
            &day.conn,
            |w, r| text::conn_row(w, r, local),
        )?;
        files += 1;
    }
    if !day.dns.is_empty() {
        text::zeek(
            &zeek.join("dns.log"),
            "dns",
            date,
            text::DNS_FIELDS,
            text::DNS_TYPES,
            &day.dns,
            text::dns_row,
        )?;
        files += 1;
    }
    if !day.http.is_empty() {
        text::zeek(
            &zeek.join("http.log"),
            "http",
            date,
            text::HTTP_FIELDS,
            text::HTTP_TYPES,
            &day.http,
            text::http_row,
        )?;
        files += 1;
    }
    if !day.ssl.is_empty() {
        text::zeek(
            &zeek.join("ssl.log"),
            "ssl",
            date,
            text::SSL_FIELDS,
            text::SSL_TYPES,
            &day.ssl,
            text::ssl_row,
        )?;
        files += 1;
    }
    if !day.alerts.is_empty() {
        text::eve(
            &dir.join("suricata").join(&ymd).join("eve.json"),
            &day.alerts,
        )?;
        files += 1;
    }
    if !day.web.is_empty() {
        let name = format!("u_ex{}.log", date.format("%y%m%d"));
        text::w3c(&dir.join("iis").join(name), date, &day.web)?;
        files += 1;
    }
    if !day.records.is_empty() {
        let path = dir.join("netflow").join(format!("{ymd}.pcap"));
        let day_ms = world.start_us / 1000 + i64::from(d) * 86_400_000;
        let mut capture =
            write::netflow::Capture::create(&path, world.plan.sampling, boot_ms, day_ms)?;
        for r in &day.records {
            capture.push(r)?;
        }
        capture.finish()?;
        files += 1;
    }
    count("zeek conn", day.conn.len());
    count("zeek dns", day.dns.len());
    count("zeek http", day.http.len());
    count("zeek ssl", day.ssl.len());
    count("suricata alerts", day.alerts.len());
    count("iis requests", day.web.len());
    count("netflow records", day.records.len());
    summary.files += files;
    Ok(())
}

fn write_feeds(
    world: &World,
    out: &Path,
    truth: &mut truth::Truth,
    summary: &mut Summary,
) -> Result<()> {
    let dir = out.join(FEEDS);
    let n = write::feeds::feodo(&dir.join("feodo.csv"), world).context("writing feodo.csv")?;
    summary.rows.insert("feodo entries", n as u64);
    let n = write::feeds::domain_list(&dir.join("c2-domains.txt"), world)
        .context("writing c2-domains.txt")?;
    summary.rows.insert("c2 domain list", n as u64);
    let n = write::feeds::phishtank(&dir.join("phishtank.csv"), world, truth)
        .context("writing phishtank.csv")?;
    summary.rows.insert("phishtank entries", n as u64);
    summary.files += 3;
    Ok(())
}

fn write_truth(
    world: &World,
    out: &Path,
    figures: &Figures,
    by_source: &BTreeMap<borderscope_geo::CountryCode, Figures>,
) -> Result<()> {
    let plan = &world.plan;
    let mut notes = vec![
        "Counts are what the written telemetry shows: a host whose every flow was sampled away, a page no log or feed names, a webshell no request reached, is not counted.".to_string(),
        "Distinct by IP address: a machine that changed address (DHCP) counts once per address.".to_string(),
        "A control relation is a flow record (Zeek conn or NetFlow/IPFIX) or a Suricata alert between a target host and a planted control server outside the target; fast-flux proxies the hosts connected to count as servers.".to_string(),
        "Phishing operations are DNS look-ups, HTTP requests and TLS sessions by target clients naming the domain of a counted page, attributed to the country of the address they resolved or reached.".to_string(),
        "Backdoor attacks are requests with a status below 400 to a webshell in a website hosted in the target from an address outside the target, whoever planted it, attributed to that address's country.".to_string(),
    ];
    if let Some(n) = &world.phishing.note {
        notes.push(n.clone());
    }
    let file = TruthFile {
        from: plan.start.format("%Y-%m-%d").to_string(),
        to: plan.end().format("%Y-%m-%d").to_string(),
        target: plan.target.to_string(),
        figures,
        by_source: by_source
            .iter()
            .map(|(cc, f)| (cc.to_string(), f.clone()))
            .collect(),
        seed: plan.seed,
        scale: plan.scale.to_string(),
        notes,
    };
    let path = out.join("truth.json");
    let mut text = serde_json::to_string_pretty(&file)?;
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

fn folder_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            folder_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
