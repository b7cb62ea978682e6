//! Writing one ingest batch: data tables first, the `ingests` rows last.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use datafusion::arrow::record_batch::RecordBatch;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::protocol::SaveMode;
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use deltalake::DeltaTable;

use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;

use crate::manifest::{self, IngestRecord};
use crate::{Store, WriterLock};

/// Parquet files are cut at about this size; larger files scan faster, smaller
/// ones bound the writer's memory per open partition.
const TARGET_FILE_BYTES: u64 = 128 * 1024 * 1024;

struct OpenTable {
    table: DeltaTable,
    writer: RecordBatchWriter,
    rows: u64,
}

/// Streams record batches into the store's tables; nothing is visible to
/// readers until [`BatchWriter::commit`] returns.
pub struct BatchWriter<'s> {
    store: &'s Store,
    _lock: &'s WriterLock,
    batch_id: String,
    open: BTreeMap<String, OpenTable>,
    /// Names the batch in `ingests` when it has no input files (e.g. `detect c2`).
    label: String,
    /// Tables whose whole content this batch replaced: name → (version, rows).
    replaced: BTreeMap<String, (u64, u64)>,
}

/// What a committed batch produced.
#[derive(Debug, Clone)]
pub struct CommitReport {
    pub batch_id: String,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    /// New version of each table written.
    pub versions: BTreeMap<String, u64>,
}

impl<'s> BatchWriter<'s> {
    /// Starts a batch. The caller holds the writer lock and has run recovery.
    pub fn new(store: &'s Store, lock: &'s WriterLock) -> Self {
        BatchWriter {
            store,
            _lock: lock,
            batch_id: uuid::Uuid::new_v4().to_string(),
            open: BTreeMap::new(),
            label: "ingest".into(),
            replaced: BTreeMap::new(),
        }
    }

    /// Names a batch that writes tables without reading input files.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn batch_id(&self) -> &str {
        &self.batch_id
    }

    /// Streams `batch` into the named table, which must exist
    /// ([`Store::ensure_table`]).
    pub async fn write(&mut self, table: &str, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if !self.open.contains_key(table) {
            let t = self.store.load_latest(table).await?;
            let writer = RecordBatchWriter::for_table(&t)?
                .with_writer_properties(parquet_properties())
                .with_target_file_size(TARGET_FILE_BYTES)
                .with_commit_properties(self.commit_properties());
            self.open.insert(
                table.to_string(),
                OpenTable {
                    table: t,
                    writer,
                    rows: 0,
                },
            );
        }
        let open = self.open.get_mut(table).expect("inserted above");
        open.rows += batch.num_rows() as u64;
        open.writer
            .write(batch)
            .await
            .with_context(|| format!("cannot write to table `{table}`"))
    }

    /// Replaces the whole content of `table` with `batches` (findings tables
    /// are recomputed, not appended to). The new version stays invisible to
    /// readers until [`BatchWriter::commit`], like appended data.
    pub async fn replace(&mut self, table: &str, batches: Vec<RecordBatch>) -> Result<()> {
        if self.open.contains_key(table) {
            anyhow::bail!("table `{table}` is both appended to and replaced in one batch");
        }
        let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
        let current = self.store.load_latest(table).await?;
        let written = current
            .write(batches)
            .with_save_mode(SaveMode::Overwrite)
            .with_commit_properties(self.commit_properties())
            .await
            .with_context(|| format!("cannot replace the content of table `{table}`"))?;
        let version = written.version().unwrap_or(0);
        self.replaced.insert(table.to_string(), (version, rows));
        Ok(())
    }

    fn commit_properties(&self) -> CommitProperties {
        CommitProperties::default().with_metadata([(
            "borderscope.batch".to_string(),
            serde_json::Value::String(self.batch_id.clone()),
        )])
    }

    /// Commits every written table, then the manifest rows for `files`, which
    /// makes the batch visible. With no files and no rows it does nothing.
    pub async fn commit(mut self, files: &[IngestRecord]) -> Result<Option<CommitReport>> {
        if files.is_empty() && self.open.is_empty() && self.replaced.is_empty() {
            return Ok(None);
        }
        let mut versions = BTreeMap::new();
        let mut rows = BTreeMap::new();
        for (table, open) in self.open.iter_mut() {
            let v = open
                .writer
                .flush_and_commit(&mut open.table)
                .await
                .with_context(|| format!("cannot commit table `{table}`"))?;
            versions.insert(table.clone(), v);
            rows.insert(table.clone(), open.rows);
        }
        for (table, (v, n)) in &self.replaced {
            versions.insert(table.clone(), *v);
            rows.insert(table.clone(), *n);
        }
        let now = chrono::Utc::now().timestamp_micros();
        // The manifest row is the commit point, so a batch without input
        // files still gets one, named by its label.
        let unnamed = [IngestRecord {
            source_file: format!("({})", self.label),
            ..IngestRecord::default()
        }];
        let files = if files.is_empty() {
            &unnamed[..]
        } else {
            files
        };
        let manifest_rows = manifest::batch_rows(&self.batch_id, files, &versions, now)?;
        manifest::append(self.store, manifest_rows, &self.batch_id).await?;
        Ok(Some(CommitReport {
            batch_id: std::mem::take(&mut self.batch_id),
            rows,
            versions,
        }))
    }
}

/// Columns whose values hardly ever repeat within a file (connection ids,
/// timestamps, durations, line numbers). Dictionary-encoding them is work
/// thrown away: the dictionary overflows and the writer falls back to plain
/// encoding anyway. This was a tenth of ingest's CPU time.
const UNIQUE_COLUMNS: &[&str] = &[
    "uid",
    "ts",
    "duration",
    "source_line",
    "first_seen",
    "last_seen",
];

/// Parquet settings for appended event data: Snappy, as delta-rs uses by
/// default, and dictionaries only where values repeat.
fn parquet_properties() -> WriterProperties {
    UNIQUE_COLUMNS
        .iter()
        .fold(
            WriterProperties::builder()
                .set_created_by(format!("borderscope {}", env!("CARGO_PKG_VERSION")))
                .set_compression(Compression::SNAPPY),
            |b, c| b.set_column_dictionary_enabled(ColumnPath::from(*c), false),
        )
        .build()
}
