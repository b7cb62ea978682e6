//! The C2 findings tables as stored: fixed schemas (documented in
//! docs/schema.md), and storing one run's findings atomically.

use std::sync::Arc;

use anyhow::Result;
use borderscope_schema::{column as f, list_of as list, utc_micros as ts};
use borderscope_store::staging::conform_all;
use borderscope_store::{BatchWriter, CommitReport, Store};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};

use super::detector::{C2Findings, ALLOWED_TABLE, CONTROL_TABLE, EVIDENCE_TABLE, SERVERS_TABLE};

pub fn evidence_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("host", DataType::Utf8),
        f("server", DataType::Utf8),
        f("port", DataType::Int32),
        f("kind", DataType::Utf8),
        f("score", DataType::Float64),
        f("first_seen", ts()),
        f("last_seen", ts()),
        f("detected_at", ts()),
        f("flows", DataType::Int64),
        f("family", DataType::Utf8),
        f("detail", DataType::Utf8),
    ]))
}

pub fn control_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("server", DataType::Utf8),
        f("host", DataType::Utf8),
        f("port", DataType::Int32),
        f("first_seen", ts()),
        f("last_seen", ts()),
        f("detected_at", ts()),
        f("flows", DataType::Int64),
        f("score", DataType::Float64),
        f("evidence", list(DataType::Utf8)),
        f("family", DataType::Utf8),
    ]))
}

pub fn servers_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("ip", DataType::Utf8),
        f("hosts", DataType::Int64),
        f("first_seen", ts()),
        f("last_seen", ts()),
        f("score", DataType::Float64),
        f("flows", DataType::Int64),
        f("family", DataType::Utf8),
        f("evidence", list(DataType::Utf8)),
        f("ports", list(DataType::Int32)),
        f("domains", list(DataType::Utf8)),
    ]))
}

/// Pairs that reached control but whose server an allow-list entry covers:
/// stored, so what the allow-list removed stays auditable after the run.
pub fn allowed_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("server", DataType::Utf8),
        f("host", DataType::Utf8),
        f("score", DataType::Float64),
        f("evidence", DataType::Utf8),
        f("allowed_by", DataType::Utf8),
    ]))
}

/// Creates the findings tables if needed.
pub async fn ensure_tables(store: &Store) -> Result<()> {
    store
        .ensure_table(EVIDENCE_TABLE, &evidence_schema(), None)
        .await?;
    store
        .ensure_table(CONTROL_TABLE, &control_schema(), None)
        .await?;
    store
        .ensure_table(SERVERS_TABLE, &servers_schema(), None)
        .await?;
    store
        .ensure_table(ALLOWED_TABLE, &allowed_schema(), None)
        .await
}

/// Replaces the C2 findings (and the allow-listed pairs) with this run's,
/// in one batch.
pub async fn store_findings(
    store: &Store,
    findings: &C2Findings,
    label: &str,
) -> Result<Option<CommitReport>> {
    ensure_tables(store).await?;
    let lock = store.lock_writer().await?;
    store.recover(&lock).await?;
    let mut w = BatchWriter::new(store, &lock).with_label(label);
    w.replace(
        EVIDENCE_TABLE,
        conform_all(&findings.evidence, &evidence_schema())?,
    )
    .await?;
    w.replace(
        CONTROL_TABLE,
        conform_all(&findings.control, &control_schema())?,
    )
    .await?;
    w.replace(
        SERVERS_TABLE,
        conform_all(&findings.servers, &servers_schema())?,
    )
    .await?;
    w.replace(
        ALLOWED_TABLE,
        conform_all(&findings.allowed, &allowed_schema())?,
    )
    .await?;
    w.commit(&[]).await
}
