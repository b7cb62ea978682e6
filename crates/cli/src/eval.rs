//! `borderscope eval c2 LABELLED_LOG...`: detection accuracy against the
//! ground-truth labels of Stratosphere/CTU captures.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use borderscope_detect::c2;
use borderscope_engine::{Engine, FunctionContext};
use borderscope_eval::{ctu13, Ctu13Metrics, SetMetrics};
use borderscope_ingest::IngestOptions;
use borderscope_store::Store;
use datafusion::arrow::array::{Array, BooleanArray, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use serde::Serialize;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Run `detect c2` on each labelled capture (a file or a folder) in a
    /// scratch store and compare with its labels: Malicious counts as botnet,
    /// Benign as normal, Background is ignored.
    C2 {
        #[arg(required = true)]
        captures: Vec<PathBuf>,
        /// Threat-intelligence feeds to load before detecting.
        #[arg(long)]
        intel: Vec<PathBuf>,
        /// One JSON object per capture instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Scan a folder of webshells and a folder of benign web application
    /// code with the YARA rules: recall, false positives and their rate,
    /// overall (web script types) and per file type, and throughput beside
    /// the `yara` command-line tool.
    Webshell(crate::webshell::EvalArgs),
    /// Precision, recall and F1 of the phishing scorer and of a
    /// phishing_catcher-style baseline on a PhishTank dump against a list of
    /// popular (benign) domains.
    Phishing(crate::phish::EvalArgs),
    /// Precision and recall of page scoring on a folder of saved pages
    /// labelled by an `index.csv` (file,label,brand,domain): by URL alone,
    /// by content alone, and both.
    PhishingPages(crate::phish::PagesArgs),
}

/// Accuracy on one capture.
#[derive(Serialize)]
pub struct CaptureAccuracy {
    pub capture: String,
    /// Time-window metrics for infected hosts (CTU-13 paper, 300 s, alpha 0.01).
    pub hosts_windowed: Ctu13Metrics,
    /// Plain precision and recall of the infected host addresses.
    pub hosts: SetMetrics,
    /// Plain precision and recall of the C2 server addresses.
    pub servers: SetMetrics,
}

/// Flows of the constituency's hosts with their truth and whether detection
/// had flagged the pair by then.
const LABELLED: &str = "SELECT f.ts, f.src_ip AS ip, f.label, \
     COALESCE(c.host IS NOT NULL AND f.ts >= c.detected_at, FALSE) AS flagged \
     FROM flows f LEFT JOIN c2_control c ON c.host = f.src_ip AND c.server = f.dst_ip \
     WHERE ip_is_internal(f.src_ip)";

const TRUE_SERVERS: &str = "SELECT DISTINCT dst_ip FROM flows WHERE label = 'Malicious' \
     AND (label_detail LIKE '%CC%' OR label_detail LIKE '%C&C%') AND NOT ip_is_internal(dst_ip)";
const TRUE_HOSTS: &str =
    "SELECT DISTINCT src_ip FROM flows WHERE label = 'Malicious' AND ip_is_internal(src_ip)";

pub async fn run(functions: FunctionContext, cmd: &Command) -> Result<ExitCode> {
    let (captures, intel, json) = match cmd {
        Command::C2 {
            captures,
            intel,
            json,
        } => (captures, intel, json),
        Command::Webshell(a) => return crate::webshell::eval(a),
        Command::Phishing(args) => return crate::phish::eval(args),
        Command::PhishingPages(args) => return crate::phish::eval_pages(args),
    };
    let mut results = Vec::new();
    for capture in captures {
        results.push(
            evaluate(capture, intel, functions.clone())
                .await
                .with_context(|| format!("evaluating {}", capture.display()))?,
        );
    }
    for r in &results {
        if *json {
            println!("{}", serde_json::to_string(r)?);
        } else {
            print_table(r);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn evaluate(
    capture: &PathBuf,
    intel: &[PathBuf],
    functions: FunctionContext,
) -> Result<CaptureAccuracy> {
    let scratch = tempfile::tempdir()?;
    let store = Store::create_or_open(scratch.path()).await?;
    borderscope_ingest::ingest(
        &store,
        std::slice::from_ref(capture),
        &IngestOptions::default(),
    )
    .await?;
    if !intel.is_empty() {
        borderscope_intel::load(&store, intel, &Default::default()).await?;
    }
    let engine = crate::detect::engine_for_detection(
        &scratch.path().into(),
        functions.clone(),
        &borderscope_engine::Runner::Embedded,
    )
    .await?;
    let findings = c2::detect(engine.ctx(), &c2::C2Config::default()).await?; // built-in allow-list
    c2::findings::store_findings(&store, &findings, "eval c2").await?;
    let engine = Engine::over(store, functions).await?;

    let rows = engine
        .sql(&ctu13::window_rows_sql(&format!("({LABELLED})")))
        .await?;
    let mut window_rows = Vec::new();
    for b in &rows {
        let w = b
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .context("window")?;
        let truth = text(b.column(2))?;
        let pred = b
            .column(3)
            .as_any()
            .downcast_ref::<BooleanArray>()
            .context("predicted")?;
        for i in 0..b.num_rows() {
            window_rows.push((w.value(i), truth.value(i).to_string(), pred.value(i)));
        }
    }
    let windows = ctu13::count_windows(window_rows);
    Ok(CaptureAccuracy {
        capture: capture.display().to_string(),
        hosts_windowed: ctu13::metrics(&windows, ctu13::ALPHA),
        hosts: SetMetrics::compare(
            &ip_set(&engine, "SELECT DISTINCT host FROM c2_control").await?,
            &ip_set(&engine, TRUE_HOSTS).await?,
        ),
        servers: SetMetrics::compare(
            &ip_set(&engine, "SELECT DISTINCT ip FROM c2_servers").await?,
            &ip_set(&engine, TRUE_SERVERS).await?,
        ),
    })
}

fn text(a: &dyn Array) -> Result<StringArray> {
    let t = cast(a, &DataType::Utf8)?;
    Ok(t.as_any()
        .downcast_ref::<StringArray>()
        .context("text column")?
        .clone())
}

async fn ip_set(engine: &Engine, sql: &str) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for b in engine.sql(sql).await? {
        let col = text(b.column(0))?;
        out.extend(
            (0..col.len())
                .filter(|i| !col.is_null(*i))
                .map(|i| col.value(i).to_string()),
        );
    }
    Ok(out)
}

fn fmt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "n/a".into())
}

fn print_table(r: &CaptureAccuracy) {
    let w = &r.hosts_windowed;
    println!("capture: {}", r.capture);
    println!(
        "  infected hosts, 300 s windows (CTU-13 metric): precision {} TPR {} FPR {} F1 {} over {} windows",
        fmt(w.precision),
        fmt(w.tpr),
        fmt(w.fpr),
        fmt(w.f1),
        w.windows
    );
    for (what, m) in [("infected hosts", &r.hosts), ("C2 servers", &r.servers)] {
        println!(
            "  {what}: precision {} recall {} (TP {}, FP {}, FN {})",
            fmt(m.precision),
            fmt(m.recall),
            m.true_positives,
            m.false_positives,
            m.false_negatives
        );
        if !m.false_positive_items.is_empty() {
            println!("    false positives: {}", m.false_positive_items.join(", "));
        }
        if !m.missed_items.is_empty() {
            println!("    missed: {}", m.missed_items.join(", "));
        }
    }
}
