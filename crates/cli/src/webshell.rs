//! `borderscope scan-web ROOT --site NAME` and `borderscope eval webshell`:
//! YARA scans of web roots into `web_files`, and their accuracy on labelled
//! folders.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use borderscope_store::{Store, StoreLocation};
use borderscope_webshell::eval::{evaluate, Counts, WebshellEval};
use borderscope_webshell::{store_scan, Limits, RuleSet, Scanner};

/// Rule and limit options shared by scanning and evaluation.
#[derive(clap::Args, Debug)]
pub struct RuleArgs {
    /// YARA rule files or folders (searched for .yar/.yara) added to the
    /// built-in rules, e.g. a public webshell rule set. Repeat for several.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Use only the --rules given, not borderscope's built-in rules.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Bytes read from one file; larger files have this much scanned and are
    /// reported as truncated.
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Seconds one file's scan may take before it is abandoned and reported.
    #[arg(long, default_value_t = Limits::default().timeout.as_secs())]
    pub timeout: u64,
    /// Folder nesting entered below the root; deeper folders are reported.
    #[arg(long, default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,
}

impl RuleArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_file_bytes: self.max_file_bytes,
            timeout: Duration::from_secs(self.timeout.max(1)),
            max_depth: self.max_depth,
        }
    }

    fn compile(&self) -> Result<RuleSet> {
        let set = RuleSet::compile(!self.no_builtin_rules, &self.rules)?;
        for p in &set.problems {
            eprintln!("rule file {}: {}", p.file, p.message);
        }
        eprintln!(
            "{} rules from {} rule files ({} with problems)",
            set.len(),
            set.sources.len(),
            set.problems.len()
        );
        Ok(set)
    }
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Web root (or a copy of it, or one file) to scan.
    pub root: PathBuf,
    /// The website this root serves: its host name, or its IP address where
    /// it has none.
    #[arg(long)]
    pub site: String,
    #[command(flatten)]
    pub rules: RuleArgs,
}

pub async fn scan_web(store: &StoreLocation, a: &ScanArgs) -> Result<ExitCode> {
    let set = a.rules.compile()?;
    let mut scanner = Scanner::new(&set, a.rules.limits());
    let report = scanner
        .scan_tree(&a.root)
        .with_context(|| format!("cannot scan {}", a.root.display()))?;
    for f in report.matched() {
        println!("MATCH {} [{}]", f.path, f.rules.join(", "));
    }
    for f in report.reported() {
        eprintln!(
            "reported: {}: {} ({})",
            f.path,
            f.note.as_deref().unwrap_or_default(),
            f.outcome.as_str()
        );
    }
    let store = Store::create_or_open(store).await?;
    let root = borderscope_webshell::content::path_text(&a.root);
    let commit = store_scan(&store, &a.site, &root, &report).await?;
    let secs = report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "site {}: {} paths, {} matched, {} reported; {:.1} MB in {:.2} s ({:.0} files/s); batch {}",
        a.site,
        report.files.len(),
        report.matched().count(),
        report.reported().count(),
        report.bytes_read as f64 / 1e6,
        secs,
        report.files.len() as f64 / secs,
        commit.map(|c| c.batch_id).unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Folder of webshells (every file counts as malicious).
    #[arg(long)]
    pub bad: PathBuf,
    /// Folder of benign web application code (every file counts as benign).
    #[arg(long)]
    pub good: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// `json`: one object with overall, per_type and throughput.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum EvalFormat {
    Text,
    Json,
}

pub fn eval(a: &EvalArgs) -> Result<ExitCode> {
    let set = a.rules.compile()?;
    let r = evaluate(
        &a.bad,
        &a.good,
        &set,
        !a.rules.no_builtin_rules,
        &a.rules.rules,
        a.rules.limits(),
    )?;
    match a.format {
        EvalFormat::Json => println!("{}", serde_json::to_string_pretty(&r.to_json())?),
        EvalFormat::Text => print_text(&r),
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.2}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn row(table: &mut comfy_table::Table, name: &str, c: &Counts) {
    table.add_row(vec![
        name.to_string(),
        pct(c.recall()),
        pct(c.false_positive_rate()),
        c.tp.to_string(),
        c.fn_.to_string(),
        c.fp.to_string(),
        c.tn.to_string(),
    ]);
}

fn print_text(r: &WebshellEval) {
    let mut t = comfy_table::Table::new();
    t.set_header(vec!["type", "recall", "FP rate", "tp", "fn", "fp", "tn"]);
    row(&mut t, "overall (web scripts)", &r.overall);
    for (k, c) in &r.per_type {
        row(&mut t, k, c);
    }
    println!("{t}");
    let b = &r.throughput.borderscope;
    println!(
        "borderscope (yara-x, 1 thread): {} files, {:.2} MB in {:.3} s: {:.0} files/s, {:.2} MB/s",
        b.files,
        b.bytes as f64 / 1e6,
        b.seconds,
        b.files_per_s,
        b.mb_per_s
    );
    match &r.throughput.yara_cli {
        Some(y) => println!(
            "{} CLI (yara -C -r -p 1): {} files in {:.3} s: {:.0} files/s, {:.2} MB/s; its web-script counts tp={} fn={} fp={} tn={}",
            y.version, y.throughput.files, y.throughput.seconds, y.throughput.files_per_s,
            y.throughput.mb_per_s, y.overall.tp, y.overall.fn_, y.overall.fp, y.overall.tn
        ),
        None => println!(
            "yara CLI: {}",
            r.throughput.yara_note.as_deref().unwrap_or("not run")
        ),
    }
    for m in &r.missed {
        println!("missed: {m}");
    }
    for (p, rules) in &r.false_positives {
        println!("false positive: {p} [{}]", rules.join(", "));
    }
    for (p, why) in &r.not_scanned_whole {
        println!("not scanned whole: {p}: {why}");
    }
}
