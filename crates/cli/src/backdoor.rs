//! `borderscope detect backdoor` and `borderscope explain backdoor SITE PATH`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use borderscope_engine::{Engine, FunctionContext, Runner};
use borderscope_store::{Store, StoreLocation};
use borderscope_webshell::backdoor::{self, findings, BackdoorConfig};

use crate::output::{self, Format};

#[derive(clap::Args)]
pub struct DetectArgs {
    /// Combined score a (site, path) needs to be reported as a backdoor.
    #[arg(long, default_value_t = BackdoorConfig::default().threshold)]
    pub threshold: f64,
}

async fn engine(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
) -> Result<Engine> {
    let store = Store::open(store).await?;
    findings::ensure_tables(&store).await?;
    Engine::over_on(store, functions, runner).await
}

fn rows(b: &[datafusion::arrow::array::RecordBatch]) -> usize {
    b.iter().map(|x| x.num_rows()).sum()
}

pub async fn detect(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    a: &DetectArgs,
) -> Result<ExitCode> {
    let engine = engine(store, functions, runner).await?;
    let config = BackdoorConfig {
        threshold: a.threshold,
        ..BackdoorConfig::default()
    };
    let found = backdoor::detect(engine.ctx(), &config).await?;
    let report = findings::store_findings(engine.store(), &found, "detect backdoor").await?;
    println!(
        "{} backdoors, {} backdoor attacks, {} implanters, from {} evidence rows",
        rows(&found.backdoors),
        rows(&found.attacks),
        rows(&found.implanters),
        rows(&found.evidence)
    );
    if let Some(r) = report {
        println!("stored as batch {}", r.batch_id);
    }
    let engine = engine.reopen().await?;
    let top = engine
        .sql(
            "SELECT b.site, b.path, b.first_seen, round(b.score, 3) AS score, b.evidence, \
                    i.ip AS implanter, i.how, ip_country(i.ip) AS implanter_country, \
                    (SELECT COUNT(*) FROM backdoor_attacks a WHERE a.site = b.site AND a.path = b.path) AS attacks \
             FROM backdoors b LEFT JOIN backdoor_implanters i ON i.site = b.site AND i.path = b.path \
             ORDER BY score DESC, site, path LIMIT 20",
        )
        .await?;
    output::write(&top, Format::Table, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub async fn explain(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    site: &str,
    path: &str,
    limit: usize,
) -> Result<ExitCode> {
    let engine = engine(store, functions, runner).await?;
    let s = quote(&site.to_ascii_lowercase());
    let p = quote(&format!("/{}", path.trim_start_matches('/')));
    let key = format!("site = {s} AND path = {p}");
    let sections = [
        ("Backdoor", format!("SELECT site, path, first_seen, round(score, 3) AS score, evidence FROM backdoors WHERE {key}")),
        ("Evidence (each score part and what it rests on)", format!("SELECT kind, round(score, 3) AS score, first_seen, requests, clients, detail FROM backdoor_evidence WHERE {key} ORDER BY kind")),
        ("Implanter", format!("SELECT ip, how, ts, ip_country(ip) AS country FROM backdoor_implanters WHERE {key}")),
        ("Files (latest scan)", format!("SELECT path, size, sha256, rules, outcome, scanned_at FROM web_files WHERE site = {s} AND concat('/', ltrim(path, '/')) = {p} ORDER BY scanned_at DESC LIMIT 1")),
        ("Attacks through it", format!("SELECT ts, attacker_ip, ip_country(attacker_ip) AS country, method, status, query, source_file, source_line FROM backdoor_attacks WHERE {key} ORDER BY ts LIMIT {limit}")),
    ];
    let mut out = std::io::stdout().lock();
    let mut found = false;
    for (title, sql) in sections {
        let batches = engine.sql(&sql).await?;
        found |= title == "Backdoor" && rows(&batches) > 0;
        writeln!(out, "\n{title}\n{sql}")?;
        output::write(&batches, Format::Table, &mut out)?;
    }
    if !found {
        eprintln!("{site} {path} is not among the backdoors found by the last `detect backdoor`");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
