//! The phishing findings tables as stored (documented in docs/schema.md),
//! replaced together in one batch like the other detectors'.

use std::sync::Arc;

use anyhow::Result;
use borderscope_schema::{column as f, list_of, utc_micros as ts};
use borderscope_store::staging::conform_all;
use borderscope_store::{BatchWriter, CommitReport, Store};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};

use crate::detector::{PhishFindings, OPS_TABLE, PAGES_TABLE};

/// One row per (page URL, hosting address).
pub fn pages_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("url", DataType::Utf8),
        f("domain", DataType::Utf8),
        f("registered_domain", DataType::Utf8),
        f("hosting_ip", DataType::Utf8),
        f("brand", DataType::Utf8),
        f("brand_country", DataType::Utf8),
        f("first_seen", ts()),
        f("last_seen", ts()),
        f("score", DataType::Float64),
        f("reasons", list_of(DataType::Utf8)),
        f("sources", list_of(DataType::Utf8)),
    ]))
}

/// One row per visit (DNS look-up, HTTP request, TLS session) to a
/// phishing page or its domain.
pub fn ops_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("ts", ts()),
        f("client_ip", DataType::Utf8),
        f("kind", DataType::Utf8),
        f("url", DataType::Utf8),
        f("domain", DataType::Utf8),
        f("hosting_ip", DataType::Utf8),
        f("brand", DataType::Utf8),
        f("brand_country", DataType::Utf8),
        f("source_file", DataType::Utf8),
        f("source_line", DataType::Int64),
    ]))
}

fn tables() -> [(&'static str, SchemaRef); 2] {
    [(PAGES_TABLE, pages_schema()), (OPS_TABLE, ops_schema())]
}

/// Creates the findings tables, and `phish_feed`, which the detector reads.
pub async fn ensure_tables(store: &Store) -> Result<()> {
    crate::load::ensure_table(store).await?;
    for (name, schema) in tables() {
        store.ensure_table(name, &schema, None).await?;
    }
    Ok(())
}

/// Replaces both tables with this run's findings, in one batch.
pub async fn store_findings(
    store: &Store,
    findings: &PhishFindings,
    label: &str,
) -> Result<Option<CommitReport>> {
    ensure_tables(store).await?;
    let lock = store.lock_writer().await?;
    store.recover(&lock).await?;
    let mut w = BatchWriter::new(store, &lock).with_label(label);
    for ((name, schema), batches) in tables().into_iter().zip([&findings.pages, &findings.ops]) {
        w.replace(name, conform_all(batches, &schema)?).await?;
    }
    w.commit(&[]).await
}
