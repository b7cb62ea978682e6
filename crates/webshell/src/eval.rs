//! Accuracy of the file scan on labelled folders: every file under `bad` is a
//! webshell, every file under `good` benign application code. A file counts
//! as flagged when any rule matches it. `overall` covers the web script types
//! ([`crate::content::WEB_SCRIPT_TYPES`]); `per_type` has every extension
//! seen. Throughput is measured on the same run, and beside it the `yara`
//! command-line tool (libyara) scanning the same folders with the same rules,
//! when it is installed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::content::{self, is_web_script};
use crate::rules::{RuleSet, BUILTIN_NAMESPACE, BUILTIN_RULES, EXTERNALS};
use crate::scan::{Limits, Outcome, ScanReport, Scanner};

/// Confusion counts of one file type (or of all web script types).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub tp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub fp: u64,
    pub tn: u64,
}

impl Counts {
    fn add(&mut self, bad: bool, flagged: bool) {
        match (bad, flagged) {
            (true, true) => self.tp += 1,
            (true, false) => self.fn_ += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
        }
    }

    /// tp / (tp + fn); none without webshells.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// fp / (fp + tn); none without benign files.
    pub fn false_positive_rate(&self) -> Option<f64> {
        ratio(self.fp, self.fp + self.tn)
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Files and bytes scanned per second.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub files: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub files_per_s: f64,
    pub mb_per_s: f64,
}

impl Throughput {
    fn new(files: u64, bytes: u64, seconds: f64) -> Throughput {
        let s = seconds.max(1e-9);
        Throughput {
            files,
            bytes,
            seconds,
            files_per_s: files as f64 / s,
            mb_per_s: bytes as f64 / 1e6 / s,
        }
    }
}

/// The `yara` CLI on the same folders and rules.
#[derive(Debug, Clone, Serialize)]
pub struct YaraCli {
    pub version: String,
    pub throughput: Throughput,
    /// Web-script confusion counts from its output, to check both engines
    /// agree on the rules.
    pub overall: Counts,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThroughputReport {
    /// borderscope (yara-x), one thread, reading and hashing included.
    pub borderscope: Throughput,
    /// `yara -r -p 1` with the rules precompiled by `yarac`.
    pub yara_cli: Option<YaraCli>,
    /// Why the yara comparison is missing or how it differs, in words.
    pub yara_note: Option<String>,
}

/// The evaluation's result.
#[derive(Debug, Clone)]
pub struct WebshellEval {
    pub overall: Counts,
    pub per_type: BTreeMap<String, Counts>,
    pub throughput: ThroughputReport,
    /// Webshells no rule matched (paths under `bad`).
    pub missed: Vec<String>,
    /// Benign files some rule matched, with the rules.
    pub false_positives: Vec<(String, Vec<String>)>,
    /// Files not scanned whole (truncated, timed out, unreadable, skipped).
    pub not_scanned_whole: Vec<(String, String)>,
}

impl WebshellEval {
    /// The JSON object the issue specifies: `overall`, `per_type`, `throughput`.
    pub fn to_json(&self) -> serde_json::Value {
        let counts = |c: &Counts| {
            serde_json::json!({
                "recall": c.recall(),
                "false_positive_rate": c.false_positive_rate(),
                "tp": c.tp, "fn": c.fn_, "fp": c.fp, "tn": c.tn,
            })
        };
        let per_type: serde_json::Map<String, serde_json::Value> = self
            .per_type
            .iter()
            .map(|(k, c)| (k.clone(), counts(c)))
            .collect();
        serde_json::json!({
            "overall": counts(&self.overall),
            "per_type": per_type,
            "throughput": self.throughput,
        })
    }
}

/// Type key of a path: its lower-case extension, or `(none)`.
fn type_key(path: &str) -> String {
    content::extension(Path::new(path)).unwrap_or_else(|| "(none)".into())
}

/// Scans both folders and scores the result.
pub fn evaluate(
    bad: &Path,
    good: &Path,
    rules: &RuleSet,
    builtin: bool,
    user_rules: &[PathBuf],
    limits: Limits,
) -> Result<WebshellEval> {
    let mut scanner = Scanner::new(rules, limits.clone());
    let start = Instant::now();
    let bad_scan = scanner
        .scan_tree(bad)
        .with_context(|| format!("cannot scan {}", bad.display()))?;
    let good_scan = scanner
        .scan_tree(good)
        .with_context(|| format!("cannot scan {}", good.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    let mut result = WebshellEval {
        overall: Counts::default(),
        per_type: BTreeMap::new(),
        throughput: ThroughputReport {
            borderscope: Throughput::new(
                count_read(&bad_scan) + count_read(&good_scan),
                bad_scan.bytes_read + good_scan.bytes_read,
                seconds,
            ),
            yara_cli: None,
            yara_note: None,
        },
        missed: Vec::new(),
        false_positives: Vec::new(),
        not_scanned_whole: Vec::new(),
    };
    for (scan, is_bad) in [(&bad_scan, true), (&good_scan, false)] {
        score(&mut result, scan, is_bad);
    }
    match yara_cli(bad, good, builtin, user_rules, &limits) {
        Ok(y) => result.throughput.yara_cli = Some(y),
        Err(e) => result.throughput.yara_note = Some(format!("{e:#}")),
    }
    Ok(result)
}

fn count_read(scan: &ScanReport) -> u64 {
    scan.files.iter().filter(|f| f.size.is_some()).count() as u64
}

fn score(result: &mut WebshellEval, scan: &ScanReport, is_bad: bool) {
    for f in &scan.files {
        let flagged = !f.rules.is_empty();
        let key = type_key(&f.path);
        if is_web_script(Some(&key)) {
            result.overall.add(is_bad, flagged);
        }
        result.per_type.entry(key).or_default().add(is_bad, flagged);
        if is_bad && !flagged {
            result.missed.push(f.path.clone());
        }
        if !is_bad && flagged {
            result
                .false_positives
                .push((f.path.clone(), f.rules.clone()));
        }
        if f.outcome != Outcome::Scanned {
            let why = f.note.clone().unwrap_or_else(|| f.outcome.as_str().into());
            result.not_scanned_whole.push((f.path.clone(), why));
        }
    }
}

/// Runs `yara` (precompiled rules, one thread) over both folders.
fn yara_cli(
    bad: &Path,
    good: &Path,
    builtin: bool,
    user_rules: &[PathBuf],
    limits: &Limits,
) -> Result<YaraCli> {
    let version = match Command::new("yara").arg("--version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => bail!("the `yara` command-line tool is not installed (Debian: apt-get install yara); comparison skipped"),
    };
    let dir = tempfile::tempdir().context("cannot make a temporary folder")?;
    let mut sources: Vec<String> = Vec::new();
    if builtin {
        for (name, text) in BUILTIN_RULES {
            let p = dir.path().join(name);
            std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
            sources.push(format!("{BUILTIN_NAMESPACE}:{}", p.display()));
        }
    }
    for p in user_rule_files(user_rules) {
        sources.push(p.display().to_string());
    }
    let compiled = dir.path().join("rules.yarc");
    let mut yarac = Command::new("yarac");
    yarac.arg("-w");
    for e in EXTERNALS {
        yarac.arg(format!("--define={e}="));
    }
    let out = yarac
        .args(&sources)
        .arg(&compiled)
        .output()
        .context("cannot run yarac")?;
    if !out.status.success() {
        bail!(
            "yarac could not compile the same rules, comparison skipped: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or_default()
        );
    }
    let mut files = 0;
    let mut bytes = 0;
    let mut seconds = 0.0;
    let mut overall = Counts::default();
    for (root, is_bad) in [(bad, true), (good, false)] {
        // yara prints paths as it joined them; a canonical root makes them
        // comparable with ours.
        let root = &root
            .canonicalize()
            .with_context(|| format!("cannot open {}", root.display()))?;
        let listed = crate::scan::list_files(root, limits.max_depth)?;
        // yara skips files over the limit entirely (we scan their start):
        // count only what it reads.
        let sizes: Vec<u64> = listed
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .filter(|&n| n <= limits.max_file_bytes)
            .collect();
        files += sizes.len() as u64;
        bytes += sizes.iter().sum::<u64>();
        let start = Instant::now();
        let out = Command::new("yara")
            .args(["-C", "-r", "-w", "-p", "1"])
            .arg(format!("--timeout={}", limits.timeout.as_secs().max(1)))
            .arg(format!("--skip-larger={}", limits.max_file_bytes))
            .arg(&compiled)
            .arg(root)
            .output()
            .context("cannot run yara")?;
        seconds += start.elapsed().as_secs_f64();
        let flagged: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' ').map(|(_, p)| p.to_string()))
            .collect();
        for p in &listed {
            let key = content::extension(p);
            if is_web_script(key.as_deref()) {
                overall.add(is_bad, flagged.contains(&p.display().to_string()));
            }
        }
    }
    Ok(YaraCli {
        version,
        throughput: Throughput::new(files, bytes, seconds),
        overall,
    })
}

fn user_rule_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .max_depth(16)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| {
                    e.file_type().is_file()
                        && matches!(
                            content::extension(e.path()).as_deref(),
                            Some("yar" | "yara")
                        )
                })
                .map(|e| e.into_path())
                .collect();
            found.sort();
            out.extend(found);
        }
    }
    out
}
