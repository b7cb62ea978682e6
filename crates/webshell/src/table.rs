//! The `web_files` table: one row per path of a scanned web root (documented
//! in docs/schema.md). Each `scan-web` run appends its rows as one batch;
//! readers take a site's latest scan (`scan_id` of the greatest `scanned_at`).

use std::sync::Arc;

use anyhow::{Context, Result};
use borderscope_store::{CommitReport, IngestRecord, Store};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use sha2::{Digest, Sha256};

use crate::scan::ScanReport;

pub const WEB_FILES_TABLE: &str = "web_files";

pub fn web_files_schema() -> SchemaRef {
    let ts = borderscope_schema::utc_micros();
    let list = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    Arc::new(Schema::new(vec![
        Field::new("site", DataType::Utf8, false),
        Field::new("path", DataType::Utf8, false),
        Field::new("size", DataType::Int64, true),
        Field::new("sha256", DataType::Utf8, true),
        Field::new("rules", list, true),
        Field::new("extension", DataType::Utf8, true),
        Field::new("content_type", DataType::Utf8, true),
        Field::new("binary", DataType::Boolean, true),
        Field::new("outcome", DataType::Utf8, false),
        Field::new("note", DataType::Utf8, true),
        Field::new("scan_root", DataType::Utf8, false),
        Field::new("scan_id", DataType::Utf8, false),
        Field::new("scanned_at", ts, false),
    ]))
}

/// One scan's rows.
pub fn scan_batch(
    site: &str,
    root: &str,
    scan_id: &str,
    scanned_at: i64,
    report: &ScanReport,
) -> Result<RecordBatch> {
    let files = &report.files;
    let n = files.len();
    let mut rules = ListBuilder::new(StringBuilder::new());
    for f in files {
        for r in &f.rules {
            rules.values().append_value(r);
        }
        rules.append(true);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![site; n])),
        Arc::new(StringArray::from_iter_values(
            files.iter().map(|f| f.path.as_str()),
        )),
        Arc::new(Int64Array::from_iter(
            files
                .iter()
                .map(|f| f.size.and_then(|s| i64::try_from(s).ok())),
        )),
        Arc::new(StringArray::from_iter(
            files.iter().map(|f| f.sha256.as_deref()),
        )),
        Arc::new(rules.finish()),
        Arc::new(StringArray::from_iter(
            files.iter().map(|f| f.extension.as_deref()),
        )),
        Arc::new(StringArray::from_iter(files.iter().map(|f| f.magic))),
        Arc::new(BooleanArray::from_iter(
            files.iter().map(|f| f.magic.map(|_| f.binary)),
        )),
        Arc::new(StringArray::from_iter_values(
            files.iter().map(|f| f.outcome.as_str()),
        )),
        Arc::new(StringArray::from_iter(
            files.iter().map(|f| f.note.as_deref()),
        )),
        Arc::new(StringArray::from(vec![root; n])),
        Arc::new(StringArray::from(vec![scan_id; n])),
        Arc::new(TimestampMicrosecondArray::from(vec![scanned_at; n]).with_timezone("UTC")),
    ];
    RecordBatch::try_new(web_files_schema(), cols).context("cannot build web_files rows")
}

/// A digest of the scanned tree (each path with its hash), recorded in
/// `ingests` as the scan's content hash: two scans of an unchanged root
/// record the same value.
fn tree_digest(report: &ScanReport) -> String {
    let mut h = Sha256::new();
    for f in &report.files {
        h.update(f.path.as_bytes());
        h.update([0]);
        h.update(f.sha256.as_deref().unwrap_or("-").as_bytes());
        h.update([b'\n']);
    }
    hex::encode(h.finalize())
}

/// Appends one scan of `site` to `web_files`, atomically with its `ingests`
/// row (the root as source file, files as rows read/stored, reported paths
/// as notes).
pub async fn store_scan(
    store: &Store,
    site: &str,
    root: &str,
    report: &ScanReport,
) -> Result<Option<CommitReport>> {
    store
        .ensure_table(WEB_FILES_TABLE, &web_files_schema(), None)
        .await?;
    let lock = store.lock_writer().await?;
    store.recover(&lock).await?;
    let mut w = borderscope_store::BatchWriter::new(store, &lock).with_label("scan-web");
    let scanned_at = now_micros();
    let batch = scan_batch(site, root, w.batch_id(), scanned_at, report)?;
    w.write(WEB_FILES_TABLE, batch).await?;
    let reported: Vec<String> = report
        .reported()
        .map(|f| {
            format!(
                "{}: {}",
                f.path,
                f.note.as_deref().unwrap_or(f.outcome.as_str())
            )
        })
        .collect();
    let n = report.files.len() as u64;
    let record = IngestRecord {
        source_file: root.to_string(),
        content_sha256: tree_digest(report),
        size_bytes: report.bytes_read,
        format: Some("web-root".into()),
        compression: None,
        rows_read: n,
        rows_stored: n,
        rows_rejected: 0,
        rows_skipped: 0,
        notes: reported,
    };
    w.commit(&[record]).await
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
