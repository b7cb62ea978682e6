//! `borderscope phish load`, `borderscope detect phishing` and
//! `borderscope explain phishing URL`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use borderscope_engine::{Engine, FunctionContext, Runner};
use borderscope_phish::candidates::ReadOptions;
use borderscope_phish::load::FileOutcome;
use borderscope_phish::page::PageScorer;
use borderscope_phish::{findings, pages, PhishConfig, Registry};
use borderscope_store::{Store, StoreLocation};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use crate::detect::parse_time;
use crate::output::{self, Format};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Load phishing feeds and Certificate Transparency streams into the
    /// phish_feed table: PhishTank CSV/JSON, URL lists (OpenPhish), URLhaus
    /// CSV, CT names as JSON lines (certstream messages or
    /// {"domain","ts"}). Plain or compressed; recognised from content.
    Load {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Source name of URL-list entries.
        #[arg(long, default_value = "openphish")]
        list_source: String,
    },
}

pub async fn run(store: &StoreLocation, cmd: &Command) -> Result<ExitCode> {
    let Command::Load { paths, list_source } = cmd;
    let store = Store::create_or_open(store).await?;
    let opts = ReadOptions {
        list_source: list_source.clone(),
        ..ReadOptions::default()
    };
    let report = borderscope_phish::load::load(&store, paths, &opts).await?;
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "file",
        "format",
        "records",
        "candidates",
        "rejected",
        "outcome",
    ]);
    for f in &report.files {
        let outcome = match &f.outcome {
            FileOutcome::Loaded => "loaded".to_string(),
            FileOutcome::AlreadyLoaded(p) => format!("already loaded (as {})", p.source_file),
            FileOutcome::DuplicateInRun(p) => format!("same content as {}", p.display()),
            FileOutcome::Empty => "empty file".into(),
            FileOutcome::Unrecognized => "not a phishing feed or CT stream".into(),
            FileOutcome::Unreadable(e) => format!("unreadable: {e}"),
        };
        t.add_row([
            f.path.display().to_string(),
            f.format.map_or("-", |x| x.name()).to_string(),
            f.counts.records.to_string(),
            f.counts.rows.to_string(),
            (f.counts.rejected + f.counts.rejected_names).to_string(),
            outcome,
        ]);
    }
    println!("{t}");
    for f in &report.files {
        for n in &f.notes {
            println!("note: {}: {n}", f.path.display());
        }
    }
    for r in &report.recovered {
        println!("recovered: {r}");
    }
    println!(
        "{} candidates loaded, {} rejected to the quarantine table",
        report.rows(),
        report.rejected()
    );
    let nothing = report.rows() == 0
        && report.files.iter().any(|f| {
            matches!(
                f.outcome,
                FileOutcome::Loaded | FileOutcome::Unrecognized | FileOutcome::Unreadable(_)
            )
        });
    Ok(if nothing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(clap::Args)]
pub struct DetectArgs {
    /// Only events (and feed sightings) from this date or time on
    /// (YYYY-MM-DD or RFC 3339, UTC).
    #[arg(long, value_parser = parse_time)]
    pub from: Option<i64>,
    /// Only events before this date or time.
    #[arg(long, value_parser = parse_time)]
    pub to: Option<i64>,
    /// Brand registry (TOML) extending the built-in one.
    #[arg(long)]
    pub brands: Option<PathBuf>,
    /// Saved pages (HTML files with an index.csv or a `saved from url=`
    /// line, WARC archives) whose content is evidence for their URLs.
    #[arg(long)]
    pub pages: Option<PathBuf>,
    /// Combined score a candidate with a brand needs to be a phishing page.
    #[arg(long, default_value_t = PhishConfig::default().threshold)]
    pub threshold: f64,
}

/// The functions with the registry of `--brands`, when given.
fn with_brands(functions: FunctionContext, brands: Option<&Path>) -> Result<FunctionContext> {
    Ok(match brands {
        Some(p) => functions.with_brands(Registry::builtin_with(Some(p))?),
        None => functions,
    })
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
    let functions = with_brands(functions, a.brands.as_deref())?;
    let evidence = match &a.pages {
        Some(dir) => {
            let scorer = PageScorer::new((*functions.phish).clone())?;
            let read = pages::read_pages(dir, &scorer)?;
            for p in &read.problems {
                eprintln!("pages: {p}");
            }
            println!(
                "pages: {} files, content evidence for {} URLs",
                read.files,
                read.pages.len()
            );
            read.pages
        }
        None => Vec::new(),
    };
    let engine = engine(store, functions, runner).await?;
    let config = PhishConfig {
        from: a.from,
        to: a.to,
        threshold: a.threshold,
        ..PhishConfig::default()
    };
    let found = borderscope_phish::detect(engine.ctx(), &config, &evidence).await?;
    let report = findings::store_findings(engine.store(), &found, "detect phishing").await?;
    if let Some(r) = report {
        println!("stored as batch {}", r.batch_id);
    }
    // A new snapshot, so the tables show the findings just committed.
    let engine = engine.reopen().await?;
    let totals = engine
        .sql(
            "SELECT (SELECT COUNT(DISTINCT url) FROM phish_pages) AS pages, \
                    (SELECT COUNT(DISTINCT hosting_ip) FROM phish_pages) AS hosting_ips, \
                    (SELECT COUNT(*) FROM phish_ops) AS operations, \
                    (SELECT COUNT(*) FROM phish_ops WHERE kind = 'dns') AS dns, \
                    (SELECT COUNT(*) FROM phish_ops WHERE kind = 'http') AS http, \
                    (SELECT COUNT(*) FROM phish_ops WHERE kind = 'tls') AS tls",
        )
        .await?;
    let mut out = std::io::stdout().lock();
    output::write(&totals, Format::Table, &mut out)?;
    let top = engine
        .sql(
            "SELECT p.url, p.brand, p.brand_country, round(MAX(p.score), 2) AS score, \
                    COUNT(p.hosting_ip) AS hosting_ips, \
                    (SELECT COUNT(*) FROM phish_ops o WHERE o.domain = p.domain) AS domain_visits \
             FROM phish_pages p GROUP BY p.url, p.domain, p.brand, p.brand_country \
             ORDER BY domain_visits DESC, score DESC, p.url LIMIT 20",
        )
        .await?;
    output::write(&top, Format::Table, &mut out)?;
    if rows(&found.pages) == 0 {
        writeln!(out, "no phishing page found")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub async fn explain(
    store: &StoreLocation,
    functions: FunctionContext,
    runner: &Runner,
    url: &str,
    brands: Option<&Path>,
    limit: usize,
) -> Result<ExitCode> {
    let functions = with_brands(functions, brands)?;
    let engine = engine(store, functions, runner).await?;
    let u = quote(url.trim());
    // A bare host name is also the key of its pages, whatever their URLs.
    let d = quote(&url.trim().trim_end_matches('.').to_lowercase());
    let key = format!("(url = {u} OR domain = {d})");
    let ops_key = format!("domain IN (SELECT domain FROM phish_pages WHERE {key})");
    let sections = [
        ("Page", format!(
            "SELECT url, domain, registered_domain, brand, brand_country, round(MAX(score), 2) AS score, \
                    MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, first_value(sources) AS sources \
             FROM phish_pages WHERE {key} GROUP BY url, domain, registered_domain, brand, brand_country ORDER BY url")),
        ("Score and every reason", format!(
            "SELECT url, score, unnest(reasons) AS reason FROM ( \
               SELECT url, round(MAX(score), 2) AS score, first_value(reasons) AS reasons \
               FROM phish_pages WHERE {key} GROUP BY url) t ORDER BY url")),
        ("The URL alone, scored now (phish_score)", format!(
            "SELECT round(v['score'], 2) AS score, v['phishing'] AS phishing, v['brand'] AS brand, \
                    v['country'] AS country, unnest(v['reasons']) AS reason \
             FROM (SELECT phish_score({u}) AS v) t")),
        ("Hosting addresses", format!(
            "SELECT url, hosting_ip, ip_country(hosting_ip) AS country, ip_asn(hosting_ip) AS asn, \
                    ip_asn_org(hosting_ip) AS asn_org, first_seen, last_seen \
             FROM phish_pages WHERE {key} AND hosting_ip IS NOT NULL ORDER BY url, first_seen, hosting_ip")),
        ("Visits to the page's domain, by kind", format!(
            "SELECT domain, kind, COUNT(*) AS visits, COUNT(DISTINCT client_ip) AS clients, \
                    MIN(ts) AS first, MAX(ts) AS last \
             FROM phish_ops WHERE {ops_key} GROUP BY domain, kind ORDER BY domain, kind")),
        ("First visits", format!(
            "SELECT ts, client_ip, ip_country(client_ip) AS client_country, kind, url, domain, hosting_ip, \
                    source_file, source_line \
             FROM phish_ops WHERE {ops_key} ORDER BY ts, client_ip LIMIT {limit}")),
    ];
    let mut out = std::io::stdout().lock();
    let mut found = false;
    for (title, sql) in sections {
        let batches = engine.sql(&sql).await?;
        found |= title == "Page" && rows(&batches) > 0;
        writeln!(out, "\n{title}\n{sql}")?;
        output::write(&batches, Format::Table, &mut out)?;
    }
    if !found {
        eprintln!("{url} is not among the phishing pages found by the last `detect phishing`");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
