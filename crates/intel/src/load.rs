//! Loading feeds into the store as one atomic batch, the way `ingest` loads
//! telemetry: files already loaded (same SHA-256) are skipped, reading runs on
//! a blocking thread while the writer streams record batches to Delta, and one
//! commit at the end makes everything visible at once.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use borderscope_ingest::batch_sink::BATCH_ROWS;
use borderscope_ingest::input::Compression;
use borderscope_schema::{EventTable, FileContext, Micros, QuarantineBatch, Rejection};
use borderscope_store::{BatchWriter, CommitReport, IngestRecord, PriorIngest, Store};
use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::feeds::{Counts, FeedFormat, FeedSink};
use crate::indicator::{schema, Indicator, IndicatorBatch, INTEL_TABLE};
use crate::read::{open_stream, LoadOptions, ReadError};

/// What happened to one input file.
#[derive(Debug, Clone)]
pub enum FileOutcome {
    Loaded,
    /// The same bytes were loaded (or ingested) before; nothing was added.
    AlreadyLoaded(PriorIngest),
    /// The same bytes appear earlier in this load under another name.
    DuplicateInRun(PathBuf),
    Empty,
    /// Not a feed this crate reads; nothing is recorded, so the file can
    /// still be given to `borderscope ingest` (or a later version of this).
    Unrecognized(String),
    /// The file could not be opened or read at all.
    Unreadable(String),
}

#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: Option<FeedFormat>,
    pub compression: Option<Compression>,
    pub counts: Counts,
    pub notes: Vec<String>,
    pub outcome: FileOutcome,
}

impl FileReport {
    fn new(path: &Path, outcome: FileOutcome) -> Self {
        FileReport {
            path: path.to_path_buf(),
            format: None,
            compression: None,
            counts: Counts::default(),
            notes: Vec::new(),
            outcome,
        }
    }
}

#[derive(Debug)]
pub struct LoadReport {
    pub files: Vec<FileReport>,
    /// Unfinished earlier batches rolled back before this one.
    pub recovered: Vec<String>,
    /// `None` when there was nothing new to write.
    pub commit: Option<CommitReport>,
}

impl LoadReport {
    pub fn indicators(&self) -> u64 {
        self.files.iter().map(|f| f.counts.indicators).sum()
    }

    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.counts.rejected).sum()
    }
}

/// Loads the feeds at `paths` (files, or folders read recursively) into the
/// store's `intel` table, rejected entries into `quarantine`, as one batch.
pub async fn load(store: &Store, paths: &[PathBuf], opts: &LoadOptions) -> Result<LoadReport> {
    let files = borderscope_ingest::run::list_files(paths)?;
    let lock = store.lock_writer().await?;
    // Created under the lock, so two loads starting together cannot both try.
    store.ensure_table(INTEL_TABLE, &schema(), None).await?;
    let recovered = store.recover(&lock).await?;
    let priors = loaded_before(store).await?;

    let (tx, mut rx) = mpsc::channel::<(&'static str, RecordBatch)>(4);
    let read_opts = opts.clone();
    let reader = tokio::task::spawn_blocking(move || read_all(files, priors, &read_opts, tx));

    let mut writer = BatchWriter::new(store, &lock);
    let mut write_error = None;
    while let Some((table, batch)) = rx.recv().await {
        if write_error.is_none() {
            if let Err(e) = writer.write(table, batch).await {
                // Keep receiving so the reader is not blocked, then report.
                write_error = Some(e);
            }
        }
    }
    let (files, records) = reader.await.context("the feed reader thread failed")??;
    if let Some(e) = write_error {
        return Err(e);
    }
    let commit = writer.commit(&records).await?;
    Ok(LoadReport {
        files,
        recovered,
        commit,
    })
}

/// Content hashes already in the store. A file that its loader did not
/// recognise (`ingests.format` NULL, e.g. a feed given to `borderscope
/// ingest`) was recorded but not read, so it does not count as loaded.
async fn loaded_before(store: &Store) -> Result<HashMap<String, PriorIngest>> {
    let mut priors = store.prior_ingests().await?;
    let ctx = SessionContext::new();
    store.snapshot().await?.register(store, &ctx).await?;
    let batches = ctx
        .sql("SELECT DISTINCT content_sha256 FROM ingests WHERE format IS NOT NULL")
        .await?
        .collect()
        .await?;
    let mut read: HashSet<String> = HashSet::new();
    for b in &batches {
        let col = cast(b.column(0), &DataType::Utf8)?;
        let col = col
            .as_any()
            .downcast_ref::<StringArray>()
            .context("ingests.content_sha256 is not text")?;
        read.extend(
            (0..col.len())
                .filter(|&i| col.is_valid(i))
                .map(|i| col.value(i).to_string()),
        );
    }
    priors.retain(|sha, _| read.contains(sha));
    Ok(priors)
}

type ReadResult = Result<(Vec<FileReport>, Vec<IngestRecord>)>;

/// Runs on a blocking thread: hashing, recognising and reading every file.
fn read_all(
    files: Vec<PathBuf>,
    priors: HashMap<String, PriorIngest>,
    opts: &LoadOptions,
    tx: mpsc::Sender<(&'static str, RecordBatch)>,
) -> ReadResult {
    let mut sink = StoreSink::new(tx, chrono::Utc::now().timestamp_micros());
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut reports = Vec::new();
    let mut records = Vec::new();
    for path in files {
        let report = match hash_file(&path) {
            Err(e) => FileReport::new(&path, FileOutcome::Unreadable(e.to_string())),
            Ok((_, 0)) => FileReport::new(&path, FileOutcome::Empty),
            Ok((sha, _)) if priors.contains_key(&sha) => {
                with_format(&path, FileOutcome::AlreadyLoaded(priors[&sha].clone()))
            }
            Ok((sha, _)) if seen.contains_key(&sha) => {
                with_format(&path, FileOutcome::DuplicateInRun(seen[&sha].clone()))
            }
            Ok((sha, size)) => {
                seen.insert(sha.clone(), path.clone());
                let (report, record) = read_one(&path, sha, size, opts, &mut sink);
                records.extend(record);
                report
            }
        };
        tracing::debug!(file = %path.display(), outcome = ?report.outcome, "intel file");
        reports.push(report);
        sink.check()
            .with_context(|| format!("while loading {}", path.display()))?;
    }
    sink.flush().context("while writing the last batches")?;
    Ok((reports, records))
}

fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let size = io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// A report of a file not read, with its format when it can be recognised.
fn with_format(path: &Path, outcome: FileOutcome) -> FileReport {
    let mut r = FileReport::new(path, outcome);
    if let Ok(opened) = File::open(path)
        .map_err(ReadError::from)
        .and_then(|f| open_stream(Box::new(f)))
    {
        r.format = Some(opened.format);
        r.compression = Some(opened.compression);
    }
    r
}

fn read_one(
    path: &Path,
    sha: String,
    size: u64,
    opts: &LoadOptions,
    sink: &mut StoreSink,
) -> (FileReport, Option<IngestRecord>) {
    let opened = match File::open(path)
        .map_err(ReadError::from)
        .and_then(|f| open_stream(Box::new(f)))
    {
        Ok(o) => o,
        Err(ReadError::Empty) => return (FileReport::new(path, FileOutcome::Empty), None),
        Err(ReadError::Unrecognized(why)) => {
            return (FileReport::new(path, FileOutcome::Unrecognized(why)), None)
        }
        Err(ReadError::Io(e)) => {
            return (
                FileReport::new(path, FileOutcome::Unreadable(e.to_string())),
                None,
            )
        }
    };
    let (format, compression) = (opened.format, opened.compression);
    sink.ctx = FileContext {
        source_file: path.display().to_string(),
        sensor: None,
        format: format.name().to_string(),
    };
    let (counts, notes) = opened.read(opts, sink);
    let record = IngestRecord {
        source_file: path.display().to_string(),
        content_sha256: sha,
        size_bytes: size,
        format: Some(format.name().to_string()),
        compression: Some(compression.name().to_string()),
        // Records (lines or JSON objects) read; one may give two indicators
        // (a URLhaus URL and its host), so stored is not read - rejected - skipped.
        rows_read: counts.records,
        rows_stored: counts.indicators,
        rows_rejected: counts.rejected,
        rows_skipped: counts.skipped,
        notes: notes.clone(),
    };
    let report = FileReport {
        path: path.to_path_buf(),
        format: Some(format),
        compression: Some(compression),
        counts,
        notes,
        outcome: FileOutcome::Loaded,
    };
    (report, Some(record))
}

/// Builds `intel` and `quarantine` batches and hands full ones to the writer.
struct StoreSink {
    ctx: FileContext,
    loaded_at: Micros,
    intel: IndicatorBatch,
    quarantine: QuarantineBatch,
    tx: mpsc::Sender<(&'static str, RecordBatch)>,
    /// First failure to build or send a batch; the load stops on it.
    failure: Option<anyhow::Error>,
}

impl StoreSink {
    fn new(tx: mpsc::Sender<(&'static str, RecordBatch)>, loaded_at: Micros) -> Self {
        StoreSink {
            ctx: FileContext {
                source_file: String::new(),
                sensor: None,
                format: "unknown".into(),
            },
            loaded_at,
            intel: IndicatorBatch::default(),
            quarantine: QuarantineBatch::default(),
            tx,
            failure: None,
        }
    }

    fn send(&mut self, table: &'static str, batch: Result<RecordBatch, ArrowError>) {
        if self.failure.is_some() {
            return;
        }
        let sent = batch.map_err(anyhow::Error::from).and_then(|b| {
            self.tx
                .blocking_send((table, b))
                .map_err(|_| anyhow!("the store writer stopped"))
        });
        if let Err(e) = sent {
            self.failure =
                Some(e.context(format!("cannot hand a batch of `{table}` to the writer")));
        }
    }

    fn check(&mut self) -> Result<()> {
        self.failure.take().map_or(Ok(()), Err)
    }

    fn flush(&mut self) -> Result<()> {
        if !self.intel.is_empty() {
            let b = self.intel.finish();
            self.send(INTEL_TABLE, b);
        }
        if !self.quarantine.is_empty() {
            let b = self.quarantine.finish();
            self.send(EventTable::Quarantine.name(), b);
        }
        self.check()
    }
}

impl FeedSink for StoreSink {
    fn indicator(&mut self, indicator: Indicator) {
        self.intel
            .append(&self.ctx.source_file, self.loaded_at, &indicator);
        if self.intel.len() >= BATCH_ROWS {
            let b = self.intel.finish();
            self.send(INTEL_TABLE, b);
        }
    }

    fn reject(&mut self, rejection: Rejection) {
        self.quarantine
            .append(&self.ctx, &rejection, self.loaded_at);
        if self.quarantine.len() >= BATCH_ROWS {
            let b = self.quarantine.finish();
            self.send(EventTable::Quarantine.name(), b);
        }
    }
}
