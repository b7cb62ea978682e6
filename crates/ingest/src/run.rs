//! One ingest run: find the files, skip contents already stored, recognise each
//! format, parse on a blocking thread while the store writer streams batches to
//! Delta, and commit everything at once at the end.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_schema::{EventTable, FileContext, Micros, Rejection};
use borderscope_store::{BatchWriter, CommitReport, IngestRecord, PriorIngest, Store};
use datafusion::arrow::record_batch::RecordBatch;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::batch_sink::{BatchSink, FileCounts};
use crate::formats::{self, netflow, Format, ReadOptions, ReaderState, SNIFF_BYTES};
use crate::input::{self, Compression};
use crate::sink::Sink;

/// Progress of a run, shown by the command line as a bar.
pub trait Progress: Send + Sync {
    /// Total input bytes, known once the files are listed.
    fn start(&self, total_bytes: u64);
    /// Input bytes consumed (on disk, before decompression).
    fn bytes(&self, n: u64);
    /// Rows handed to the store.
    fn rows(&self, n: u64);
    fn finish(&self);
}

/// Progress that shows nothing (pipes, tests).
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn bytes(&self, _: u64) {}
    fn rows(&self, _: u64) {}
    fn finish(&self) {}
}

#[derive(Clone)]
pub struct IngestOptions {
    /// Sensor name stored with rows whose format does not name one.
    pub sensor: Option<String>,
    /// Stop (and commit nothing) once more rows than this were rejected.
    pub max_errors: Option<u64>,
    pub max_line: usize,
    pub progress: Arc<dyn Progress>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            sensor: None,
            max_errors: None,
            max_line: crate::lines::DEFAULT_MAX_LINE,
            progress: Arc::new(NoProgress),
        }
    }
}

/// What happened to one input file.
#[derive(Debug, Clone)]
pub enum FileOutcome {
    Ingested,
    /// The same bytes were ingested before; nothing was added.
    AlreadyIngested(PriorIngest),
    /// The same bytes appear earlier in this run under another name.
    DuplicateInRun(PathBuf),
    Empty,
    /// No reader recognised the content; a quarantine row records it.
    Unrecognized,
    /// The file could not be opened or read at all.
    Unreadable(String),
}

#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub compression: Option<Compression>,
    pub counts: FileCounts,
    pub notes: Vec<String>,
    pub outcome: FileOutcome,
}

#[derive(Debug)]
pub struct IngestReport {
    pub files: Vec<FileReport>,
    /// Unfinished earlier ingests rolled back before this one.
    pub recovered: Vec<String>,
    pub commit: Option<CommitReport>,
    /// Set when the run stopped early (too many errors); nothing was committed.
    pub aborted: Option<String>,
}

impl IngestReport {
    pub fn rows_stored(&self) -> u64 {
        self.files.iter().map(|f| f.counts.stored).sum()
    }

    pub fn rows_rejected(&self) -> u64 {
        self.files.iter().map(|f| f.counts.rejected).sum()
    }

    /// A run fails when it was aborted, or when there was something new to read
    /// and none of it could be read.
    pub fn failed(&self) -> bool {
        if self.aborted.is_some() {
            return true;
        }
        let attempted = self.files.iter().filter(|f| {
            !matches!(
                f.outcome,
                FileOutcome::AlreadyIngested(_)
                    | FileOutcome::DuplicateInRun(_)
                    | FileOutcome::Empty
            )
        });
        let mut any = false;
        for f in attempted {
            any = true;
            if f.counts.stored > 0 {
                return false;
            }
        }
        any
    }
}

/// Lists the files under `paths` (folders recursively, in name order; hidden
/// entries skipped; symbolic-link loops cut).
pub fn list_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut seen_dirs = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut seen_dirs, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>) -> Result<()> {
    let canonical = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    if !seen.insert(canonical) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for e in entries {
        match std::fs::metadata(&e) {
            Ok(m) if m.is_dir() => walk(&e, seen, out)?,
            Ok(m) if m.is_file() => out.push(e),
            // Broken links, sockets, devices: nothing to read.
            _ => {}
        }
    }
    Ok(())
}

/// Ingests `paths` into `store` as one batch.
pub async fn ingest(
    store: &Store,
    paths: &[PathBuf],
    opts: &IngestOptions,
) -> Result<IngestReport> {
    let files = list_files(paths)?;
    let lock = store.lock_writer().await?;
    let recovered = store.recover(&lock).await?;
    let priors = store.prior_ingests().await?;
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    opts.progress.start(total);

    let (tx, mut rx) = mpsc::channel::<(EventTable, RecordBatch)>(4);
    let parse_opts = opts.clone();
    let parser = tokio::task::spawn_blocking(move || parse_all(files, priors, &parse_opts, tx));

    let mut writer = BatchWriter::new(store, &lock);
    let mut write_error = None;
    while let Some((table, batch)) = rx.recv().await {
        opts.progress.rows(batch.num_rows() as u64);
        if write_error.is_none() {
            if let Err(e) = writer.write(table.name(), batch).await {
                // Keep draining so the parser is not blocked, then report.
                write_error = Some(e);
            }
        }
    }
    let (reports, records, aborted) = parser.await.context("the parser thread failed")??;
    opts.progress.finish();
    if let Some(e) = write_error {
        return Err(e);
    }
    let commit = match aborted {
        Some(_) => None,
        None => writer.commit(&records).await?,
    };
    Ok(IngestReport {
        files: reports,
        recovered,
        commit,
        aborted,
    })
}

type ParseResult = Result<(Vec<FileReport>, Vec<IngestRecord>, Option<String>)>;

/// Runs on a blocking thread: hashing, sniffing and parsing every file.
fn parse_all(
    files: Vec<PathBuf>,
    priors: HashMap<String, PriorIngest>,
    opts: &IngestOptions,
    tx: mpsc::Sender<(EventTable, RecordBatch)>,
) -> ParseResult {
    let now = chrono::Utc::now().timestamp_micros();
    let mut reports = Vec::new();
    let mut records = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut todo = Vec::new();
    for path in files {
        match examine(&path) {
            Err(e) => reports.push(report(
                &path,
                None,
                None,
                FileOutcome::Unreadable(e.to_string()),
            )),
            Ok(x) if x.size == 0 => reports.push(report(&path, None, None, FileOutcome::Empty)),
            Ok(x) => {
                if let Some(p) = priors.get(&x.sha256) {
                    reports.push(report(
                        &path,
                        x.format,
                        Some(x.compression),
                        FileOutcome::AlreadyIngested(p.clone()),
                    ));
                } else if let Some(first) = seen.get(&x.sha256) {
                    reports.push(report(
                        &path,
                        x.format,
                        Some(x.compression),
                        FileOutcome::DuplicateInRun(first.clone()),
                    ));
                } else {
                    seen.insert(x.sha256.clone(), path.clone());
                    todo.push((path, x));
                }
            }
        }
    }
    // A collector receives NetFlow templates before the data that needs them;
    // reading capture files in capture order reproduces that.
    todo.sort_by_key(|(_, x)| {
        (
            x.format == Some(Format::NetflowPcap),
            x.first_packet.unwrap_or(i64::MIN),
        )
    });

    let ctx = |path: &Path, format: Option<Format>| FileContext {
        source_file: path.display().to_string(),
        sensor: opts.sensor.clone(),
        format: format.map(|f| f.name()).unwrap_or("unknown").to_string(),
    };
    let mut sink = BatchSink::new(ctx(Path::new(""), None), now, tx);
    let mut state = ReaderState::default();
    let mut rejected_total = 0u64;
    let mut aborted = None;
    for (path, x) in todo {
        sink.next_file(ctx(&path, x.format));
        let outcome = match x.format {
            None => {
                sink.reject(Rejection::at_offset(
                    0,
                    "not a recognised telemetry format (Zeek, Argus, Suricata EVE, NetFlow/IPFIX pcap, access log)",
                    &x.head[..x.head.len().min(4096)],
                ));
                FileOutcome::Unrecognized
            }
            Some(format) => {
                read_one(&path, format, opts, &mut state, &mut sink);
                FileOutcome::Ingested
            }
        };
        if let Some(e) = sink.take_failure() {
            return Err(
                anyhow::Error::new(e).context(format!("while ingesting {}", path.display()))
            );
        }
        rejected_total += sink.counts.rejected;
        records.push(IngestRecord {
            source_file: path.display().to_string(),
            content_sha256: x.sha256.clone(),
            size_bytes: x.size,
            format: x.format.map(|f| f.name().to_string()),
            compression: Some(x.compression.name().to_string()),
            rows_read: sink.counts.read(),
            rows_stored: sink.counts.stored,
            rows_rejected: sink.counts.rejected,
            rows_skipped: sink.counts.skipped,
            notes: sink.notes.clone(),
        });
        let mut r = report(&path, x.format, Some(x.compression), outcome);
        r.counts = sink.counts.clone();
        r.notes = sink.notes.clone();
        reports.push(r);
        if let Some(max) = opts.max_errors {
            if rejected_total > max {
                aborted = Some(format!(
                    "{rejected_total} rows rejected, more than --max-errors {max}; nothing was committed"
                ));
                break;
            }
        }
    }
    sink.flush();
    if let Some(e) = sink.take_failure() {
        return Err(anyhow::Error::new(e).context("while flushing the last batches"));
    }
    Ok((reports, records, aborted))
}

fn report(
    path: &Path,
    format: Option<Format>,
    compression: Option<Compression>,
    outcome: FileOutcome,
) -> FileReport {
    FileReport {
        path: path.to_path_buf(),
        format,
        compression,
        counts: FileCounts::default(),
        notes: Vec::new(),
        outcome,
    }
}

/// What is learned about a file before reading it.
struct Examined {
    size: u64,
    sha256: String,
    compression: Compression,
    format: Option<Format>,
    /// First bytes of the decompressed content.
    head: Vec<u8>,
    first_packet: Option<Micros>,
}

fn examine(path: &Path) -> io::Result<Examined> {
    let size = std::fs::metadata(path)?.len();
    let mut hasher = Sha256::new();
    let mut file = File::open(path)?;
    io::copy(&mut file, &mut hasher)?;
    let sha256 = hex::encode(hasher.finalize());
    let (reader, compression) = input::open(path)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    // A truncated compressed file may fail even within its first bytes;
    // whatever was decoded is still enough to recognise it.
    let _ = reader.take(SNIFF_BYTES as u64).read_to_end(&mut head);
    let format = formats::sniff(&head);
    let first_packet = match format {
        Some(Format::NetflowPcap) => netflow::Collector::first_packet_time(&head),
        _ => None,
    };
    Ok(Examined {
        size,
        sha256,
        compression,
        format,
        head,
        first_packet,
    })
}

/// Counts bytes read from disk, for the progress bar and to say where in the
/// file a read failed.
struct Counting<R> {
    inner: R,
    progress: Arc<dyn Progress>,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        self.progress.bytes(n as u64);
        Ok(n)
    }
}

fn read_one(
    path: &Path,
    format: Format,
    opts: &IngestOptions,
    state: &mut ReaderState,
    sink: &mut BatchSink,
) {
    let read_opts = ReadOptions {
        max_line: opts.max_line,
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let consumed = Arc::new(AtomicU64::new(0));
    let counted = |f: File| Counting {
        inner: f,
        progress: opts.progress.clone(),
        consumed: consumed.clone(),
    };
    let result = File::open(path)
        .map(counted)
        .and_then(|c| input::wrap(Box::new(c)))
        .and_then(|(mut reader, _)| {
            formats::read(
                format,
                &mut reader as &mut dyn BufRead,
                &read_opts,
                state,
                sink,
            )
        });
    if let Err(e) = result {
        // Rows read before the failure are kept; the rest of the file is
        // recorded as unreadable rather than silently missing.
        let at = consumed.load(Ordering::Relaxed);
        sink.reject(Rejection::at_offset(
            at,
            format!("input ended early: the file could not be read past byte {at}: {e}"),
            b"",
        ));
    }
}
