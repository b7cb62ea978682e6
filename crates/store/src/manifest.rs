//! The `ingests` table: one row per ingested input file, written last in each
//! ingest batch. It is the store's commit point (see the crate docs) and the
//! record of which file contents are already in the store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::array::{
    Array, ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::prelude::SessionContext;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::writer::{DeltaWriter, RecordBatchWriter};

use crate::Store;

pub const INGESTS_TABLE: &str = "ingests";

/// What the store records about one ingested file.
#[derive(Debug, Clone, Default)]
pub struct IngestRecord {
    pub source_file: String,
    /// SHA-256 of the file's bytes as stored on disk (compressed or not).
    pub content_sha256: String,
    pub size_bytes: u64,
    pub format: Option<String>,
    pub compression: Option<String>,
    pub rows_read: u64,
    pub rows_stored: u64,
    pub rows_rejected: u64,
    pub rows_skipped: u64,
    /// Notes about the file (skipped log types, unsupported content).
    pub notes: Vec<String>,
}

/// An earlier ingest of the same content.
#[derive(Debug, Clone)]
pub struct PriorIngest {
    pub batch_id: String,
    pub source_file: String,
    pub committed_at: i64,
}

pub fn schema() -> Schema {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Schema::new(vec![
        Field::new("batch_id", DataType::Utf8, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("content_sha256", DataType::Utf8, false),
        Field::new("size_bytes", DataType::Int64, false),
        Field::new("format", DataType::Utf8, true),
        Field::new("compression", DataType::Utf8, true),
        Field::new("rows_read", DataType::Int64, false),
        Field::new("rows_stored", DataType::Int64, false),
        Field::new("rows_rejected", DataType::Int64, false),
        Field::new("rows_skipped", DataType::Int64, false),
        Field::new("notes", DataType::Utf8, true),
        Field::new("table_versions", DataType::Utf8, false),
        Field::new("committed_at", ts, false),
    ])
}

fn i64s(v: impl Iterator<Item = u64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(v.map(|x| x as i64)))
}

fn strs<'a>(v: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(v))
}

fn opt_strs<'a>(v: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(v))
}

/// Builds the manifest rows of one batch.
pub(crate) fn batch_rows(
    batch_id: &str,
    files: &[IngestRecord],
    versions: &BTreeMap<String, u64>,
    now: i64,
) -> Result<RecordBatch> {
    let versions = serde_json::to_string(versions)?;
    let notes: Vec<Option<String>> = files
        .iter()
        .map(|f| (!f.notes.is_empty()).then(|| f.notes.join("\n")))
        .collect();
    let n = files.len();
    let cols: Vec<ArrayRef> = vec![
        strs(std::iter::repeat_n(batch_id, n)),
        strs(files.iter().map(|f| f.source_file.as_str())),
        strs(files.iter().map(|f| f.content_sha256.as_str())),
        i64s(files.iter().map(|f| f.size_bytes)),
        opt_strs(files.iter().map(|f| f.format.as_deref())),
        opt_strs(files.iter().map(|f| f.compression.as_deref())),
        i64s(files.iter().map(|f| f.rows_read)),
        i64s(files.iter().map(|f| f.rows_stored)),
        i64s(files.iter().map(|f| f.rows_rejected)),
        i64s(files.iter().map(|f| f.rows_skipped)),
        opt_strs(notes.iter().map(|n| n.as_deref())),
        strs(std::iter::repeat_n(versions.as_str(), n)),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(std::iter::repeat_n(now, n))
                .with_timezone("UTC"),
        ),
    ];
    Ok(RecordBatch::try_new(Arc::new(schema()), cols)?)
}

/// Appends manifest rows in one Delta commit: the commit point of a batch.
pub(crate) async fn append(store: &Store, rows: RecordBatch, batch_id: &str) -> Result<u64> {
    let mut table = store.load_latest(INGESTS_TABLE).await?;
    let mut writer = RecordBatchWriter::for_table(&table)?.with_commit_properties(
        CommitProperties::default().with_metadata([(
            "borderscope.batch".to_string(),
            serde_json::Value::String(batch_id.to_string()),
        )]),
    );
    writer.write(rows).await?;
    let v = writer
        .flush_and_commit(&mut table)
        .await
        .context("cannot commit the ingests manifest")?;
    Ok(v)
}

/// Records a rollback done by recovery so the snapshot pins the restored versions.
pub(crate) async fn record_rollback(store: &Store, versions: &BTreeMap<String, u64>) -> Result<()> {
    let id = format!("rollback-{}", uuid::Uuid::new_v4());
    let rec = IngestRecord {
        source_file: "(rollback of an unfinished ingest)".into(),
        notes: vec!["tables restored to their last committed versions".into()],
        ..IngestRecord::default()
    };
    let rows = batch_rows(&id, &[rec], versions, chrono::Utc::now().timestamp_micros())?;
    append(store, rows, &id).await?;
    Ok(())
}

/// Reads the whole manifest at its latest version.
pub(crate) async fn read_all(store: &Store) -> Result<Vec<RecordBatch>> {
    let table = store.load_latest(INGESTS_TABLE).await?;
    let ctx = SessionContext::new();
    table.update_datafusion_session(&ctx.state())?;
    let provider = table.table_provider().await?;
    ctx.register_table(INGESTS_TABLE, provider)?;
    let df = ctx
        .sql("SELECT batch_id, source_file, content_sha256, table_versions, committed_at FROM ingests")
        .await?;
    Ok(df.collect().await?)
}

/// A text column as `StringArray`, whichever string encoding the scan chose
/// (DataFusion may read Parquet strings as views).
fn text_col(b: &RecordBatch, i: usize) -> Result<StringArray> {
    let text = cast(b.column(i), &DataType::Utf8)?;
    Ok(text
        .as_any()
        .downcast_ref::<StringArray>()
        .context("ingests table has an unexpected column type")?
        .clone())
}

fn time_col(b: &RecordBatch, i: usize) -> Result<TimestampMicrosecondArray> {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let t = cast(b.column(i), &ts)?;
    Ok(t.as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .context("ingests table has an unexpected column type")?
        .clone())
}

/// Highest version of each table that a committed batch produced.
pub(crate) fn pinned_versions(batches: &[RecordBatch]) -> Result<BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for b in batches {
        let versions = text_col(b, 3)?;
        for i in 0..b.num_rows() {
            let map: BTreeMap<String, u64> = serde_json::from_str(versions.value(i))
                .context("ingests.table_versions is not a JSON object of versions")?;
            for (t, v) in map {
                let e = out.entry(t).or_default();
                *e = (*e).max(v);
            }
        }
    }
    Ok(out)
}

/// Content hashes already in the store, with where they came from.
pub(crate) fn prior_ingests(batches: &[RecordBatch]) -> Result<HashMap<String, PriorIngest>> {
    let mut out = HashMap::new();
    for b in batches {
        let batch = text_col(b, 0)?;
        let file = text_col(b, 1)?;
        let hash = text_col(b, 2)?;
        let at = time_col(b, 4)?;
        for i in 0..b.num_rows() {
            if hash.is_null(i) || hash.value(i).is_empty() {
                continue;
            }
            out.entry(hash.value(i).to_string())
                .or_insert_with(|| PriorIngest {
                    batch_id: batch.value(i).to_string(),
                    source_file: file.value(i).to_string(),
                    committed_at: at.value(i),
                });
        }
    }
    Ok(out)
}
