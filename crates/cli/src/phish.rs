//! `borderscope score url` and `borderscope eval phishing`: the phishing
//! scorer as a command, and its accuracy on a labelled dump.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use borderscope_phish::eval::{Evaluation, Figures, ScorerReport};
use borderscope_phish::{feeds, Registry, Scorer};

#[derive(clap::Subcommand)]
pub enum ScoreCommand {
    /// Score URLs or bare domains (one a line, from files or stdin) for
    /// impersonation of a protected brand; one JSON object a line:
    /// {"input","phishing","score","brand","country","reasons"}.
    Url(ScoreUrlArgs),
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum ScoreFormat {
    Json,
    Table,
}

#[derive(clap::Args)]
pub struct ScoreUrlArgs {
    /// Files of URLs or domains, one a line (plain or compressed); stdin
    /// when none or `-`.
    pub files: Vec<PathBuf>,
    /// Brand registry (TOML) extending the built-in one.
    #[arg(long)]
    pub brands: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ScoreFormat::Json)]
    pub format: ScoreFormat,
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// PhishTank dump (CSV or JSON, plain or compressed).
    #[arg(long)]
    pub phish: PathBuf,
    /// Popular (benign) domains, one a row (`rank,domain` accepted).
    #[arg(long)]
    pub benign: PathBuf,
    /// Brand registry (TOML) extending the built-in one.
    #[arg(long)]
    pub brands: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ScoreFormat::Table)]
    pub format: ScoreFormat,
    /// Also print the N brands with the most rows (table format).
    #[arg(long, default_value_t = 15)]
    pub top_brands: usize,
    /// Print up to N of borderscope's errors (visible rows missed, benign
    /// domains called phishing) to stderr.
    #[arg(long, default_value_t = 0)]
    pub show_errors: usize,
    /// Evaluate on one part of a deterministic split by registrable domain
    /// (dump rows and benign domains alike): `dev` (two domains in three)
    /// or `test` (the third held apart), for tuning on one and reporting
    /// on the other.
    #[arg(long, value_enum, default_value_t = Part::All)]
    pub part: Part,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum Part {
    All,
    Dev,
    Test,
}

impl Part {
    fn keeps(self, input: &str) -> bool {
        match self {
            Part::All => true,
            Part::Dev => !borderscope_phish::eval::held_apart(input),
            Part::Test => borderscope_phish::eval::held_apart(input),
        }
    }
}

pub fn score(cmd: &ScoreCommand) -> Result<ExitCode> {
    let ScoreCommand::Url(args) = cmd;
    let scorer = Scorer::new(Registry::builtin_with(args.brands.as_deref())?);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let inputs: Vec<Option<&Path>> = if args.files.is_empty() {
        vec![None]
    } else {
        args.files
            .iter()
            .map(|p| (p != Path::new("-")).then_some(p.as_path()))
            .collect()
    };
    for input in inputs {
        let reader: Box<dyn BufRead> = match input {
            Some(path) => {
                borderscope_ingest::input::open(path)
                    .with_context(|| format!("opening {}", path.display()))?
                    .0
            }
            None => Box::new(std::io::stdin().lock()),
        };
        let name = input.map_or("stdin".to_string(), |p| p.display().to_string());
        score_lines(&scorer, reader, &name, args.format, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn score_lines(
    scorer: &Scorer,
    reader: Box<dyn BufRead + '_>,
    name: &str,
    format: ScoreFormat,
    out: &mut dyn Write,
) -> Result<()> {
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.with_context(|| format!("reading {name} at line {}", i + 1))?;
        // Invalid UTF-8 is replaced, not fatal: the row is scored (and its
        // host most likely fails to parse, which the reasons say).
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let v = scorer.score(text);
        match format {
            ScoreFormat::Json => writeln!(out, "{}", serde_json::to_string(&v)?)?,
            ScoreFormat::Table => writeln!(
                out,
                "{:<5} {:.2} {:<20} {:<2} {}  ({})",
                if v.phishing { "PHISH" } else { "-" },
                v.score,
                v.brand.as_deref().unwrap_or("-"),
                v.country.as_deref().unwrap_or("-"),
                v.input,
                v.reasons.join("; ")
            )?,
        }
    }
    Ok(())
}

pub fn eval(args: &EvalArgs) -> Result<ExitCode> {
    let registry = Registry::builtin_with(args.brands.as_deref())?;
    let mut dump = feeds::read_phishtank(&args.phish)
        .with_context(|| format!("reading {}", args.phish.display()))?;
    let mut benign = feeds::read_domain_list(&args.benign)
        .with_context(|| format!("reading {}", args.benign.display()))?;
    dump.rows.retain(|r| args.part.keeps(&r.url));
    benign.rows.retain(|d| args.part.keeps(d));
    report_bad_rows(&args.phish, &dump.bad);
    report_bad_rows(&args.benign, &benign.bad);
    let e = borderscope_phish::eval::evaluate(&registry, &dump.rows, &benign.rows);
    for (url, target, why) in e.missed_visible.iter().take(args.show_errors) {
        eprintln!("missed\t{target}\t{url}\t{why}");
    }
    for (domain, why) in e.false_positives.iter().take(args.show_errors) {
        eprintln!("false positive\t{domain}\t{why}");
    }
    match args.format {
        ScoreFormat::Json => println!("{}", serde_json::to_string(&e)?),
        ScoreFormat::Table => print_evaluation(&e, &dump.format, args.top_brands),
    }
    Ok(ExitCode::SUCCESS)
}

fn report_bad_rows(path: &Path, bad: &[feeds::BadRow]) {
    for b in bad.iter().take(20) {
        eprintln!("{}:{}: skipped: {}", path.display(), b.position, b.reason);
    }
    if bad.len() > 20 {
        eprintln!("{}: {} more rows skipped", path.display(), bad.len() - 20);
    }
}

fn print_evaluation(e: &Evaluation, format: &str, top: usize) {
    println!(
        "dump: {} rows ({format}): {} branded ({} with the brand visible in the URL), {} other; \
         benign: {} domains ({} owned by registry brands)",
        e.rows,
        e.branded_rows,
        e.visible_rows,
        e.other_rows,
        e.benign_domains,
        e.benign_owned_by_brands
    );
    println!();
    println!(
        "{:<34} {:>7} {:>6} {:>6} {:>5} {:>9} {:>7} {:>6}",
        "set / scorer", "rows", "tp", "wrong", "fp", "precision", "recall", "f1"
    );
    type Pick = fn(&ScorerReport) -> &Figures;
    let sets: [(&str, Pick); 3] = [
        ("branded", |r| &r.branded),
        ("branded, brand visible in URL", |r| &r.visible),
        ("other (no registry brand)", |r| &r.other),
    ];
    for (name, pick) in sets {
        for (scorer, r) in [("borderscope", &e.borderscope), ("baseline", &e.baseline)] {
            print_row(&format!("{name}: {scorer}"), pick(r));
        }
    }
    println!();
    println!("per brand (borderscope | baseline), the {top} brands with most rows:");
    let mut brands: Vec<_> = e.borderscope.per_brand.iter().collect();
    brands.sort_by(|a, b| b.1.positives.cmp(&a.1.positives).then(a.0.cmp(b.0)));
    for (name, f) in brands.into_iter().take(top) {
        let base = e.baseline.per_brand.get(name).copied().unwrap_or_default();
        println!(
            "  {:<32} rows {:>5}  recall {:.3} fp {:>3} | recall {:.3} fp {:>3}",
            name, f.positives, f.recall, f.fp, base.recall, base.fp
        );
    }
}

fn print_row(name: &str, f: &Figures) {
    println!(
        "{:<34} {:>7} {:>6} {:>6} {:>5} {:>9.3} {:>7.3} {:>6.3}",
        name, f.positives, f.tp, f.wrong_brand, f.fp, f.precision, f.recall, f.f1
    );
}

#[derive(clap::Args)]
pub struct PagesArgs {
    /// Folder with `index.csv` (file,label,brand,domain) and the pages.
    pub dir: PathBuf,
    /// Brand registry (TOML) extending the built-in one; its `page`
    /// entries give the saved real pages for similarity.
    #[arg(long)]
    pub brands: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ScoreFormat::Table)]
    pub format: ScoreFormat,
}

pub fn eval_pages(args: &PagesArgs) -> Result<ExitCode> {
    let registry = Registry::builtin_with(args.brands.as_deref())?;
    let scorer = borderscope_phish::page::PageScorer::new(Scorer::new(registry))?;
    let (pages, bad) = borderscope_phish::eval::read_page_index(&args.dir)?;
    report_bad_rows(&args.dir.join("index.csv"), &bad);
    let e = borderscope_phish::eval::evaluate_pages(&scorer, &pages);
    for u in &e.unreadable {
        eprintln!("unreadable: {u}");
    }
    if args.format == ScoreFormat::Json {
        println!("{}", serde_json::to_string(&e)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<18} {:>6} {:>7} {:>4} {:>4} {:>9} {:>7} {:>6} {:>14}",
        "mode", "phish", "benign", "tp", "fp", "precision", "recall", "f1", "right brand"
    );
    for (name, f) in [
        ("URL only", &e.url_only),
        ("content only", &e.content_only),
        ("URL and content", &e.url_and_content),
    ] {
        println!(
            "{:<18} {:>6} {:>7} {:>4} {:>4} {:>9.3} {:>7.3} {:>6.3} {:>8} of {:>3}",
            name,
            f.phish,
            f.benign,
            f.tp,
            f.fp,
            f.precision,
            f.recall,
            f.f1,
            f.right_brand,
            f.phish_with_registry_brand
        );
    }
    Ok(ExitCode::SUCCESS)
}
