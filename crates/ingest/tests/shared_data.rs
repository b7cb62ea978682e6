//! Every real sample file in ../shared/data of a supported format ingests,
//! with row counts checked against independent counts of the files.

use std::path::{Path, PathBuf};

use borderscope_ingest::{ingest, FileOutcome, Format, IngestOptions};
use borderscope_store::Store;
use borderscope_testdata::require_shared;
use datafusion::arrow::array::Int64Array;
use datafusion::prelude::SessionContext;

/// Whether a JSON-lines file's first record has a time (`ts` or `timestamp`);
/// text formats other than JSON always do.
fn has_timestamps(path: &Path) -> bool {
    let text = std::fs::read(path).unwrap();
    let first = String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    match serde_json::from_str::<serde_json::Value>(&first) {
        Ok(v) => v.get("ts").is_some() || v.get("timestamp").is_some(),
        Err(_) => true,
    }
}

fn all_lines(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    String::from_utf8_lossy(&bytes).lines().count() as u64
}

/// Lines that are neither blank nor `#` comments/headers.
fn data_lines(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count() as u64
}

async fn count(store: &Store, sql: &str) -> i64 {
    let ctx = SessionContext::new();
    store
        .snapshot()
        .await
        .unwrap()
        .register(store, &ctx)
        .await
        .unwrap();
    let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    b[0].column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0)
}

#[tokio::test]
async fn all_zeek_argus_eve_and_weblog_samples_ingest_without_rejections() {
    let zeek = require_shared!("zeek");
    let argus = require_shared!("argus");
    let eve = require_shared!("suricata");
    let web = require_shared!("weblogs");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    let report = ingest(
        &store,
        &[zeek.clone(), argus.clone(), eve.clone(), web.clone()],
        &IngestOptions::default(),
    )
    .await
    .unwrap();
    assert!(!report.failed());

    let mut expected_flows = 0;
    let mut expected_web = 0;
    for f in &report.files {
        let name = f.path.file_name().unwrap().to_string_lossy().to_string();
        let under = |root: &PathBuf| f.path.starts_with(root);
        if name.ends_with(".md") || name.ends_with(".config") {
            // Documentation beside the data is not telemetry.
            assert!(
                matches!(f.outcome, FileOutcome::Unrecognized),
                "{}",
                f.path.display()
            );
            continue;
        }
        if !has_timestamps(&f.path) {
            // e.g. Zeek's loaded_scripts.log: a list of script names, no events.
            assert!(
                matches!(f.outcome, FileOutcome::Unrecognized),
                "{}",
                f.path.display()
            );
            continue;
        }
        if let FileOutcome::DuplicateInRun(first) = &f.outcome {
            // Some captures ship byte-identical files; their rows are stored once.
            assert_eq!(
                std::fs::read(first).unwrap(),
                std::fs::read(&f.path).unwrap()
            );
            continue;
        }
        assert!(
            matches!(f.outcome, FileOutcome::Ingested),
            "{}: {:?}",
            f.path.display(),
            f.outcome
        );
        assert_eq!(f.counts.rejected, 0, "{}: rejected rows", f.path.display());
        // Every line is accounted for: stored, rejected or skipped.
        assert_eq!(
            f.counts.read(),
            all_lines(&f.path),
            "{}: stored+rejected+skipped",
            f.path.display()
        );
        let is_conn = name.starts_with("conn") || name.starts_with("labeled-conn");
        if under(&zeek) {
            assert!(
                matches!(f.format, Some(Format::ZeekTsv) | Some(Format::ZeekJson)),
                "{}",
                f.path.display()
            );
            if is_conn {
                assert_eq!(f.counts.stored, data_lines(&f.path), "{}", f.path.display());
                expected_flows += f.counts.stored;
            }
        } else if under(&argus) {
            assert_eq!(f.format, Some(Format::Argus));
            // The header line, and Argus management (`man`) and non-IP (`llc`,
            // MAC-addressed) records, are skipped: they are not IP flows.
            assert!(
                f.counts.skipped >= 1 && f.counts.skipped <= 3,
                "{}: {:?}",
                f.path.display(),
                f.counts
            );
            expected_flows += f.counts.stored;
        } else if under(&eve) {
            assert_eq!(f.format, Some(Format::SuricataEve));
        } else {
            assert_eq!(f.format, Some(Format::AccessLog), "{}", f.path.display());
            assert_eq!(f.counts.stored, data_lines(&f.path), "{}", f.path.display());
            expected_web += f.counts.stored;
        }
    }
    // EVE flow events: 3,512 in eve-slips-6.json (data set README).
    expected_flows += 3_512;
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM flows").await as u64,
        expected_flows
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM weblog").await as u64,
        expected_web
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM alerts").await, 745);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM flows WHERE label = 'Malicious' AND source_file LIKE '%njrat%labeled-conn.log'").await,
        244
    );
    // The store and the per-file counts agree.
    assert_eq!(
        count(&store, "SELECT SUM(rows_stored) FROM ingests").await as u64,
        report.rows_stored()
    );
}

#[tokio::test]
async fn netflow_pcaps_ingest_in_capture_order_so_templates_precede_data() {
    let netflow = require_shared!("netflow/akvorado-netflow-pcaps");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    let report = ingest(&store, &[netflow], &IngestOptions::default())
        .await
        .unwrap();
    assert!(!report.failed());
    for f in &report.files {
        if f.path.extension().is_some_and(|e| e == "pcap") {
            assert_eq!(f.format, Some(Format::NetflowPcap), "{}", f.path.display());
        }
    }
    let data = |name: &str| {
        report
            .files
            .iter()
            .find(|f| f.path.file_name().unwrap() == name)
            .unwrap()
            .counts
            .clone()
    };
    // Read alone, these data files would be all "no template"; in a folder
    // with their template files they decode.
    assert!(data("samplingrate-data.pcap").stored > 0);
    assert_eq!(data("samplingrate-data.pcap").rejected, 0);
    assert!(data("nfv5.pcap").stored > 0);
    assert!(count(&store, "SELECT COUNT(*) FROM flows WHERE sampling_rate > 1").await > 0);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM flows WHERE sensor IS NULL").await,
        0,
        "every NetFlow row names its exporter"
    );
}
