//! Scanning files with the compiled rules, each bounded in size and time.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::content::{self, path_text};
use crate::rules::RuleSet;
use crate::walk::{self, Entry};

/// Bounds on the work one file or one tree may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes read from one file; a larger file has its first bytes scanned
    /// and is reported as truncated (its hash, which would need every byte, is
    /// left empty).
    pub max_file_bytes: u64,
    /// Scan time per file (yara-x checks it about once a second).
    pub timeout: Duration,
    /// Folder nesting below the root that is entered.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Webshells are small; the largest packed ones are a few MB.
            max_file_bytes: 16 * 1024 * 1024,
            timeout: Duration::from_secs(10),
            max_depth: 64,
        }
    }
}

/// How the scan of one path ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Read whole and scanned.
    Scanned,
    /// Larger than the size limit: the first bytes were scanned.
    Truncated,
    /// The scan ran out of time; no matches are known.
    TimedOut,
    /// Could not be opened or read.
    Unreadable,
    /// Not read on purpose (symlink leaving the root, loop, too deep, FIFO).
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Scanned => "scanned",
            Outcome::Truncated => "truncated",
            Outcome::TimedOut => "timeout",
            Outcome::Unreadable => "unreadable",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One path under a web root and what the scan found.
#[derive(Debug, Clone)]
pub struct WebFile {
    /// Relative to the root; bytes that are not UTF-8 written `\xNN`.
    pub path: String,
    pub size: Option<u64>,
    /// SHA-256 of the whole file, when it was read whole.
    pub sha256: Option<String>,
    /// Matching rules as `namespace:rule`.
    pub rules: Vec<String>,
    /// Lower-case extension (the script type the server would run it as).
    pub extension: Option<String>,
    /// Magic type of the content (`UNKNOWN` for text), when it was read.
    pub magic: Option<&'static str>,
    pub binary: bool,
    pub outcome: Outcome,
    /// Why it is reported, in words.
    pub note: Option<String>,
}

impl WebFile {
    fn problem(rel: &Path, outcome: Outcome, note: String) -> WebFile {
        WebFile {
            path: path_text(rel),
            size: None,
            sha256: None,
            rules: Vec::new(),
            extension: content::extension(rel),
            magic: None,
            binary: false,
            outcome,
            note: Some(note),
        }
    }

    /// Whether this path needs a human's attention beyond its matches: not
    /// scanned whole, an archive whose members went unseen, or binary
    /// content under a script name.
    pub fn is_reported(&self) -> bool {
        self.outcome != Outcome::Scanned || self.note.is_some()
    }
}

/// A whole tree's scan.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub files: Vec<WebFile>,
    pub bytes_read: u64,
    pub elapsed: Duration,
}

impl ScanReport {
    pub fn matched(&self) -> impl Iterator<Item = &WebFile> {
        self.files.iter().filter(|f| !f.rules.is_empty())
    }

    pub fn reported(&self) -> impl Iterator<Item = &WebFile> {
        self.files.iter().filter(|f| f.is_reported())
    }
}

/// A scanner over a compiled rule set; reuse it for many files.
pub struct Scanner<'r> {
    inner: yara_x::Scanner<'r>,
    limits: Limits,
}

impl<'r> Scanner<'r> {
    pub fn new(rules: &'r RuleSet, limits: Limits) -> Scanner<'r> {
        let mut inner = yara_x::Scanner::new(&rules.rules);
        inner.set_timeout(limits.timeout);
        Scanner { inner, limits }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Scans every file under `root` (a folder, or one file).
    pub fn scan_tree(&mut self, root: &Path) -> Result<ScanReport> {
        let start = Instant::now();
        let mut report = ScanReport::default();
        let max_depth = self.limits.max_depth;
        let mut entries = Vec::new();
        walk::walk(root, max_depth, &mut |e| entries.push(e))?;
        for entry in entries {
            let file = match entry {
                Entry::Problem { rel, reason } => {
                    let outcome = if reason.starts_with("unreadable") {
                        Outcome::Unreadable
                    } else {
                        Outcome::Skipped
                    };
                    WebFile::problem(&rel, outcome, reason)
                }
                Entry::File { path, rel, size } => {
                    let f = self.scan_file(&path, &rel);
                    report.bytes_read += f.size.unwrap_or(size).min(self.limits.max_file_bytes);
                    f
                }
            };
            report.files.push(file);
        }
        report.elapsed = start.elapsed();
        Ok(report)
    }

    /// Reads and scans one file; `rel` is the name it is reported under.
    pub fn scan_file(&mut self, path: &Path, rel: &Path) -> WebFile {
        let (data, size, truncated) = match read_bounded(path, self.limits.max_file_bytes) {
            Ok(r) => r,
            Err(e) => {
                return WebFile::problem(rel, Outcome::Unreadable, format!("unreadable: {e:#}"))
            }
        };
        let magic = content::magic_type(&data);
        let binary = content::is_binary(&data);
        let extension = content::extension(rel);
        let mut notes = Vec::new();
        if content::is_archive(magic) {
            notes.push(format!(
                "archive ({magic}): members not unpacked or scanned"
            ));
        } else if binary && content::is_web_script(extension.as_deref()) {
            notes.push(format!("binary content ({magic}) under a script name"));
        }
        if truncated {
            notes.push(format!(
                "larger than {} bytes: only the first {} bytes scanned",
                self.limits.max_file_bytes, self.limits.max_file_bytes
            ));
        }
        let sha256 = (!truncated).then(|| hex::encode(Sha256::digest(&data)));
        let mut outcome = if truncated {
            Outcome::Truncated
        } else {
            Outcome::Scanned
        };
        let rules = match self.match_rules(path, &data, extension.as_deref(), magic) {
            Ok(r) => r,
            Err(e) => {
                outcome = if matches!(e, ScanFailure::Timeout) {
                    Outcome::TimedOut
                } else {
                    Outcome::Unreadable
                };
                notes.push(e.to_string());
                Vec::new()
            }
        };
        WebFile {
            path: path_text(rel),
            size: Some(size),
            sha256,
            rules,
            extension,
            magic: Some(magic),
            binary,
            outcome,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }

    fn match_rules(
        &mut self,
        path: &Path,
        data: &[u8],
        extension: Option<&str>,
        magic: &str,
    ) -> std::result::Result<Vec<String>, ScanFailure> {
        let name = path
            .file_name()
            .map(|n| path_text(Path::new(n)))
            .unwrap_or_default();
        let ext = extension.map(|e| format!(".{e}")).unwrap_or_default();
        let externals = [
            ("filename", name),
            ("filepath", path_text(path)),
            ("extension", ext),
            ("filetype", magic.to_string()),
        ];
        for (k, v) in externals {
            self.inner
                .set_global(k, v)
                .map_err(|e| ScanFailure::Other(format!("cannot set `{k}`: {e}")))?;
        }
        let results = self.inner.scan(data).map_err(|e| match e {
            yara_x::ScanError::Timeout => ScanFailure::Timeout,
            other => ScanFailure::Other(other.to_string()),
        })?;
        Ok(results
            .matching_rules()
            .map(|r| format!("{}:{}", r.namespace(), r.identifier()))
            .collect())
    }
}

#[derive(Debug)]
enum ScanFailure {
    Timeout,
    Other(String),
}

impl std::fmt::Display for ScanFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanFailure::Timeout => write!(f, "scan timed out: no matches known"),
            ScanFailure::Other(m) => write!(f, "scan failed: {m}"),
        }
    }
}

/// The first `max` bytes of the file, its size, and whether it was longer.
fn read_bounded(path: &Path, max: u64) -> Result<(Vec<u8>, u64, bool)> {
    let file = std::fs::File::open(path).context("cannot open")?;
    let size = file.metadata().context("cannot stat")?.len();
    let mut data = Vec::with_capacity(size.min(max) as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut data)
        .context("read failed")?;
    let truncated = data.len() as u64 > max;
    data.truncate(max as usize);
    let size = size.max(data.len() as u64);
    Ok((data, size, truncated))
}

/// Files to scan under `root`, as a flat list (for callers that schedule
/// their own reading, such as the evaluation's throughput comparison).
pub fn list_files(root: &Path, max_depth: usize) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    walk::walk(root, max_depth, &mut |e| {
        if let Entry::File { path, .. } = e {
            files.push(path)
        }
    })?;
    Ok(files)
}
