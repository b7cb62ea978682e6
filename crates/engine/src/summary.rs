//! What is in the store, at a glance: the main job's output until reports
//! exist. Each section is a SQL query, shown with its result so an analyst can
//! rerun or adapt it with `borderscope query`.

use anyhow::Result;
use borderscope_schema::EventTable;
use datafusion::arrow::record_batch::RecordBatch;

use crate::Engine;

pub struct Section {
    pub title: String,
    pub sql: String,
    pub batches: Vec<RecordBatch>,
}

/// The summary's queries, in the order they are shown.
pub fn queries() -> Vec<(String, String)> {
    let per_table = EventTable::ALL
        .iter()
        .filter(|t| **t != EventTable::Quarantine)
        .map(|t| {
            format!(
                "SELECT '{0}' AS \"table\", COUNT(*) AS rows, MIN(ts) AS first_seen, MAX(ts) AS last_seen FROM {0}",
                t.name()
            )
        })
        .collect::<Vec<_>>()
        .join("\nUNION ALL ");
    vec![
        (
            "Rows per table and time span".into(),
            format!("SELECT * FROM ({per_table}\nUNION ALL SELECT 'quarantine', COUNT(*), MIN(ingested_at), MAX(ingested_at) FROM quarantine) ORDER BY \"table\""),
        ),
        (
            "Files ingested".into(),
            "SELECT format, COUNT(*) AS files, SUM(rows_stored) AS rows_stored, SUM(rows_rejected) AS rows_rejected, SUM(rows_skipped) AS rows_skipped \
             FROM ingests WHERE content_sha256 <> '' GROUP BY format ORDER BY files DESC, format".into(),
        ),
        (
            "Top talkers (flows by source, bytes both ways)".into(),
            "SELECT src_ip, COUNT(*) AS flows, COUNT(DISTINCT dst_ip) AS peers, \
             SUM(COALESCE(src_bytes, 0) + COALESCE(dst_bytes, 0)) AS bytes, ip_country(src_ip) AS country \
             FROM flows GROUP BY src_ip ORDER BY bytes DESC, flows DESC, src_ip LIMIT 10".into(),
        ),
        (
            "Countries of flow endpoints (private and reserved ranges excluded)".into(),
            "SELECT country, COUNT(DISTINCT ip) AS addresses, COUNT(*) AS flow_ends FROM ( \
               SELECT src_ip AS ip, ip_country(src_ip) AS country FROM flows \
               UNION ALL SELECT dst_ip, ip_country(dst_ip) FROM flows) \
             WHERE country IS NOT NULL GROUP BY country ORDER BY flow_ends DESC, country LIMIT 15".into(),
        ),
        (
            "Quarantined rows by reason".into(),
            "SELECT format, split_part(reason, ':', 1) AS reason, COUNT(*) AS rows FROM quarantine \
             GROUP BY 1, 2 ORDER BY rows DESC, reason LIMIT 10".into(),
        ),
    ]
}

pub async fn summarize(engine: &Engine) -> Result<Vec<Section>> {
    let mut out = Vec::new();
    for (title, sql) in queries() {
        let batches = engine.sql(&sql).await?;
        out.push(Section {
            title,
            sql,
            batches,
        });
    }
    Ok(out)
}
