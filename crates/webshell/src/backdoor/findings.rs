//! The backdoor findings tables as stored (documented in docs/schema.md),
//! replaced together in one batch.

use std::sync::Arc;

use anyhow::Result;
use borderscope_schema::{column as f, list_of, utc_micros as ts};
use borderscope_store::staging::conform_all;
use borderscope_store::{BatchWriter, CommitReport, Store};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};

use super::detector::{BackdoorFindings, ATTACKS_TABLE, BACKDOORS_TABLE, IMPLANTERS_TABLE};

pub const EVIDENCE_TABLE: &str = "backdoor_evidence";

pub fn evidence_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("site", DataType::Utf8),
        f("path", DataType::Utf8),
        f("kind", DataType::Utf8),
        f("score", DataType::Float64),
        f("first_seen", ts()),
        f("requests", DataType::Int64),
        f("clients", DataType::Int64),
        f("detail", DataType::Utf8),
    ]))
}

pub fn backdoors_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("site", DataType::Utf8),
        f("path", DataType::Utf8),
        f("first_seen", ts()),
        f("score", DataType::Float64),
        f("evidence", list_of(DataType::Utf8)),
        f("detail", DataType::Utf8),
    ]))
}

pub fn attacks_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("ts", ts()),
        f("attacker_ip", DataType::Utf8),
        f("site", DataType::Utf8),
        f("path", DataType::Utf8),
        f("method", DataType::Utf8),
        f("status", DataType::Int32),
        f("query", DataType::Utf8),
        f("source_file", DataType::Utf8),
        f("source_line", DataType::Int64),
    ]))
}

pub fn implanters_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("site", DataType::Utf8),
        f("path", DataType::Utf8),
        f("ip", DataType::Utf8),
        f("how", DataType::Utf8),
        f("ts", ts()),
    ]))
}

fn tables() -> [(&'static str, SchemaRef); 4] {
    [
        (EVIDENCE_TABLE, evidence_schema()),
        (BACKDOORS_TABLE, backdoors_schema()),
        (ATTACKS_TABLE, attacks_schema()),
        (IMPLANTERS_TABLE, implanters_schema()),
    ]
}

/// Creates the findings tables (and `web_files`, which the detector reads) if needed.
pub async fn ensure_tables(store: &Store) -> Result<()> {
    store
        .ensure_table(crate::WEB_FILES_TABLE, &crate::web_files_schema(), None)
        .await?;
    for (name, schema) in tables() {
        store.ensure_table(name, &schema, None).await?;
    }
    Ok(())
}

/// Replaces the four backdoor tables with this run's findings, in one batch.
pub async fn store_findings(
    store: &Store,
    findings: &BackdoorFindings,
    label: &str,
) -> Result<Option<CommitReport>> {
    ensure_tables(store).await?;
    let lock = store.lock_writer().await?;
    store.recover(&lock).await?;
    let mut w = BatchWriter::new(store, &lock).with_label(label);
    let parts = [
        &findings.evidence,
        &findings.backdoors,
        &findings.attacks,
        &findings.implanters,
    ];
    for ((name, schema), batches) in tables().into_iter().zip(parts) {
        w.replace(name, conform_all(batches, &schema)?).await?;
    }
    w.commit(&[]).await
}
