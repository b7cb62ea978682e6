//! Writing one ingest batch: data tables first, the `ingests` rows last.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use borderscope_schema::EventTable;
use datafusion::arrow::record_batch::RecordBatch;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use deltalake::DeltaTable;

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
    open: BTreeMap<EventTable, OpenTable>,
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
        }
    }

    pub fn batch_id(&self) -> &str {
        &self.batch_id
    }

    pub async fn write(&mut self, table: EventTable, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if !self.open.contains_key(&table) {
            let t = self.store.load_latest(table.name()).await?;
            let writer = RecordBatchWriter::for_table(&t)?
                .with_target_file_size(TARGET_FILE_BYTES)
                .with_commit_properties(CommitProperties::default().with_metadata([(
                    "borderscope.batch".to_string(),
                    serde_json::Value::String(self.batch_id.clone()),
                )]));
            self.open.insert(
                table,
                OpenTable {
                    table: t,
                    writer,
                    rows: 0,
                },
            );
        }
        let open = self.open.get_mut(&table).expect("inserted above");
        open.rows += batch.num_rows() as u64;
        open.writer
            .write(batch)
            .await
            .with_context(|| format!("cannot write to table `{}`", table.name()))
    }

    /// Commits every written table, then the manifest rows for `files`, which
    /// makes the batch visible. With no files and no rows it does nothing.
    pub async fn commit(mut self, files: &[IngestRecord]) -> Result<Option<CommitReport>> {
        if files.is_empty() && self.open.is_empty() {
            return Ok(None);
        }
        let mut versions = BTreeMap::new();
        let mut rows = BTreeMap::new();
        for (table, open) in self.open.iter_mut() {
            let v = open
                .writer
                .flush_and_commit(&mut open.table)
                .await
                .with_context(|| format!("cannot commit table `{}`", table.name()))?;
            versions.insert(table.name().to_string(), v);
            rows.insert(table.name().to_string(), open.rows);
        }
        let now = chrono::Utc::now().timestamp_micros();
        let manifest_rows = manifest::batch_rows(&self.batch_id, files, &versions, now)?;
        manifest::append(self.store, manifest_rows, &self.batch_id).await?;
        Ok(Some(CommitReport {
            batch_id: std::mem::take(&mut self.batch_id),
            rows,
            versions,
        }))
    }
}
