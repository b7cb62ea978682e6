//! `borderscope phish load`: phishing feeds and CT streams into the store's
//! `phish_feed` table, bad rows into `quarantine`, as one atomic batch like
//! an ingest. A file whose content (SHA-256) was loaded as candidates before
//! is not read again; the same file loaded with `intel load` does not count,
//! since that wrote other tables.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use borderscope_ingest::batch_sink::BATCH_ROWS;
use borderscope_schema::{
    column as f, utc_micros, EventTable, FileContext, Micros, QuarantineBatch, Rejection,
};
use borderscope_store::{BatchWriter, CommitReport, IngestRecord, PriorIngest, Store};
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Int64Builder, StringArray, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::candidates::{self, CandidateFormat, CandidateSink, Counts, FeedRow, ReadOptions};

/// The table of candidates from feeds and CT streams.
pub const FEED_TABLE: &str = "phish_feed";

pub fn feed_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("url", DataType::Utf8),
        f("host", DataType::Utf8),
        f("kind", DataType::Utf8),
        f("source", DataType::Utf8),
        f("phishing", DataType::Boolean),
        f("target", DataType::Utf8),
        f("first_seen", utc_micros()),
        f("source_file", DataType::Utf8),
        f("source_line", DataType::Int64),
        f("loaded_at", utc_micros()),
    ]))
}

/// Builds `phish_feed` batches.
struct FeedBatch {
    url: StringBuilder,
    host: StringBuilder,
    kind: StringBuilder,
    source: StringBuilder,
    phishing: BooleanBuilder,
    target: StringBuilder,
    first_seen: TimestampMicrosecondBuilder,
    source_file: StringBuilder,
    source_line: Int64Builder,
    loaded_at: TimestampMicrosecondBuilder,
    len: usize,
}

impl Default for FeedBatch {
    fn default() -> Self {
        let ts = || TimestampMicrosecondBuilder::new().with_timezone("UTC");
        FeedBatch {
            url: StringBuilder::new(),
            host: StringBuilder::new(),
            kind: StringBuilder::new(),
            source: StringBuilder::new(),
            phishing: BooleanBuilder::new(),
            target: StringBuilder::new(),
            first_seen: ts(),
            source_file: StringBuilder::new(),
            source_line: Int64Builder::new(),
            loaded_at: ts(),
            len: 0,
        }
    }
}

impl FeedBatch {
    fn append(&mut self, file: &str, loaded_at: Micros, r: &FeedRow) {
        self.url.append_value(&r.url);
        self.host.append_value(&r.host);
        self.kind.append_value(r.kind);
        self.source.append_value(&r.source);
        self.phishing.append_value(r.phishing);
        self.target.append_option(r.target.as_deref());
        self.first_seen.append_option(r.first_seen);
        self.source_file.append_value(file);
        self.source_line.append_value(r.line as i64);
        self.loaded_at.append_value(loaded_at);
        self.len += 1;
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.url.finish()),
            Arc::new(self.host.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.phishing.finish()),
            Arc::new(self.target.finish()),
            Arc::new(self.first_seen.finish()),
            Arc::new(self.source_file.finish()),
            Arc::new(self.source_line.finish()),
            Arc::new(self.loaded_at.finish()),
        ];
        self.len = 0;
        RecordBatch::try_new(feed_schema(), cols)
    }
}

/// What happened to one input file.
#[derive(Debug, Clone)]
pub enum FileOutcome {
    Loaded,
    /// The same bytes were loaded as candidates before; nothing was added.
    AlreadyLoaded(PriorIngest),
    /// The same bytes appear earlier in this load under another name.
    DuplicateInRun(PathBuf),
    Empty,
    /// Not a candidate feed; nothing is recorded.
    Unrecognized,
    Unreadable(String),
}

#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: Option<CandidateFormat>,
    pub counts: Counts,
    pub notes: Vec<String>,
    pub outcome: FileOutcome,
}

impl FileReport {
    fn new(path: &Path, outcome: FileOutcome) -> Self {
        FileReport {
            path: path.to_path_buf(),
            format: None,
            counts: Counts::default(),
            notes: Vec::new(),
            outcome,
        }
    }
}

#[derive(Debug)]
pub struct LoadReport {
    pub files: Vec<FileReport>,
    /// Unfinished earlier batches rolled back first.
    pub recovered: Vec<String>,
    /// `None` when there was nothing new to write.
    pub commit: Option<CommitReport>,
}

impl LoadReport {
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.counts.rows).sum()
    }

    pub fn rejected(&self) -> u64 {
        self.files
            .iter()
            .map(|f| f.counts.rejected + f.counts.rejected_names)
            .sum()
    }
}

/// Creates `phish_feed` if needed.
pub async fn ensure_table(store: &Store) -> Result<()> {
    store.ensure_table(FEED_TABLE, &feed_schema(), None).await
}

/// Loads the candidate feeds at `paths` (files, or folders read
/// recursively) into `phish_feed`, rejected rows into `quarantine`, as one batch.
pub async fn load(store: &Store, paths: &[PathBuf], opts: &ReadOptions) -> Result<LoadReport> {
    let files = borderscope_ingest::run::list_files(paths)?;
    let lock = store.lock_writer().await?;
    ensure_table(store).await?;
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

/// Content hashes already loaded as candidates (by format name).
async fn loaded_before(store: &Store) -> Result<HashMap<String, PriorIngest>> {
    let mut priors = store.prior_ingests().await?;
    let ctx = SessionContext::new();
    store.snapshot().await?.register(store, &ctx).await?;
    let names: Vec<String> = CandidateFormat::ALL
        .iter()
        .map(|f| format!("'{}'", f.name()))
        .collect();
    let sql = format!(
        "SELECT DISTINCT content_sha256 FROM ingests WHERE format IN ({})",
        names.join(", ")
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut loaded: HashSet<String> = HashSet::new();
    for b in &batches {
        let col = cast(b.column(0), &DataType::Utf8)?;
        let col = col
            .as_any()
            .downcast_ref::<StringArray>()
            .context("ingests.content_sha256 is not text")?;
        loaded.extend(
            (0..col.len())
                .filter(|&i| col.is_valid(i))
                .map(|i| col.value(i).to_string()),
        );
    }
    priors.retain(|sha, _| loaded.contains(sha));
    Ok(priors)
}

type ReadResult = Result<(Vec<FileReport>, Vec<IngestRecord>)>;

/// Runs on a blocking thread: hashing, recognising and reading every file.
fn read_all(
    files: Vec<PathBuf>,
    priors: HashMap<String, PriorIngest>,
    opts: &ReadOptions,
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
                FileReport::new(&path, FileOutcome::AlreadyLoaded(priors[&sha].clone()))
            }
            Ok((sha, _)) if seen.contains_key(&sha) => {
                FileReport::new(&path, FileOutcome::DuplicateInRun(seen[&sha].clone()))
            }
            Ok((sha, size)) => {
                seen.insert(sha.clone(), path.clone());
                let (report, record) = read_one(&path, sha, size, opts, &mut sink);
                records.extend(record);
                report
            }
        };
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

fn read_one(
    path: &Path,
    sha: String,
    size: u64,
    opts: &ReadOptions,
    sink: &mut StoreSink,
) -> (FileReport, Option<IngestRecord>) {
    let opened = borderscope_ingest::input::open(path)
        .and_then(|(r, compression)| Ok((candidates::with_head(r)?, compression)));
    let ((head, mut input), compression) = match opened {
        Ok(x) => x,
        Err(e) => {
            return (
                FileReport::new(path, FileOutcome::Unreadable(e.to_string())),
                None,
            )
        }
    };
    let Some(format) = candidates::sniff(&head) else {
        return (FileReport::new(path, FileOutcome::Unrecognized), None);
    };
    sink.file = FileContext {
        source_file: path.display().to_string(),
        sensor: None,
        format: format.name().to_string(),
    };
    let (counts, notes) = candidates::read(format, &mut input, opts, sink);
    let record = IngestRecord {
        source_file: path.display().to_string(),
        content_sha256: sha,
        size_bytes: size,
        format: Some(format.name().to_string()),
        compression: Some(compression.name().to_string()),
        rows_read: counts.records,
        rows_stored: counts.rows,
        rows_rejected: counts.rejected + counts.rejected_names,
        rows_skipped: counts.skipped,
        notes: notes.clone(),
    };
    let report = FileReport {
        path: path.to_path_buf(),
        format: Some(format),
        counts,
        notes,
        outcome: FileOutcome::Loaded,
    };
    (report, Some(record))
}

/// Builds `phish_feed` and `quarantine` batches and hands full ones to the writer.
struct StoreSink {
    file: FileContext,
    loaded_at: Micros,
    feed: FeedBatch,
    quarantine: QuarantineBatch,
    tx: mpsc::Sender<(&'static str, RecordBatch)>,
    failure: Option<anyhow::Error>,
}

impl StoreSink {
    fn new(tx: mpsc::Sender<(&'static str, RecordBatch)>, loaded_at: Micros) -> Self {
        StoreSink {
            file: FileContext {
                source_file: String::new(),
                sensor: None,
                format: "unknown".into(),
            },
            loaded_at,
            feed: FeedBatch::default(),
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
        if self.feed.len > 0 {
            let b = self.feed.finish();
            self.send(FEED_TABLE, b);
        }
        if !self.quarantine.is_empty() {
            let b = self.quarantine.finish();
            self.send(EventTable::Quarantine.name(), b);
        }
        self.check()
    }
}

impl CandidateSink for StoreSink {
    fn row(&mut self, row: FeedRow) {
        self.feed
            .append(&self.file.source_file, self.loaded_at, &row);
        if self.feed.len >= BATCH_ROWS {
            let b = self.feed.finish();
            self.send(FEED_TABLE, b);
        }
    }

    fn reject(&mut self, rejection: Rejection) {
        self.quarantine
            .append(&self.file, &rejection, self.loaded_at);
        if self.quarantine.len() >= BATCH_ROWS {
            let b = self.quarantine.finish();
            self.send(EventTable::Quarantine.name(), b);
        }
    }
}
