//! Loading feeds into a store and reading them back with SQL.

mod samples;

use std::io::Write;
use std::path::Path;

use borderscope_intel::{load, FeedFormat, FileOutcome, LoadOptions, LoadReport};
use borderscope_store::Store;
use datafusion::arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use samples::*;

async fn query(store: &Store, sql: &str) -> Vec<RecordBatch> {
    let ctx = SessionContext::new();
    store
        .snapshot()
        .await
        .unwrap()
        .register(store, &ctx)
        .await
        .unwrap();
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

async fn count(store: &Store, sql: &str) -> i64 {
    let b = query(store, sql).await;
    b[0].column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("a COUNT")
        .value(0)
}

/// The rows of a result as text, columns joined by `|`.
async fn rows(store: &Store, sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in query(store, sql).await {
        let cols: Vec<StringArray> = b
            .columns()
            .iter()
            .map(|c| {
                let t = cast(c, &DataType::Utf8).unwrap();
                t.as_any().downcast_ref::<StringArray>().unwrap().clone()
            })
            .collect();
        for i in 0..b.num_rows() {
            let cells: Vec<&str> = cols
                .iter()
                .map(|c| if c.is_null(i) { "NULL" } else { c.value(i) })
                .collect();
            out.push(cells.join("|"));
        }
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn write_feeds(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files: [(&str, Vec<u8>); 7] = [
        ("a-feodo.csv", FEODO_CSV.into()),
        ("b-threatfox.json", THREATFOX_JSON.into()),
        ("c-urlhaus.csv.gz", gzip(URLHAUS_CSV.as_bytes())),
        ("d-c2-list.txt", PLAIN_LIST.into()),
        ("e-feodo-bad.csv", FEODO_CSV_BAD.into()),
        ("f-conn.log", ZEEK_TSV.into()),
        ("g-empty.txt", Vec::new()),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

fn outcome_of<'a>(report: &'a LoadReport, name: &str) -> &'a FileOutcome {
    &report
        .files
        .iter()
        .find(|f| f.path.ends_with(name))
        .unwrap_or_else(|| panic!("no report for {name}"))
        .outcome
}

#[tokio::test]
async fn feeds_load_into_the_intel_table_once() {
    let tmp = tempfile::tempdir().unwrap();
    let feeds = tmp.path().join("feeds");
    write_feeds(&feeds);
    let store = Store::create_or_open(&tmp.path().join("store"))
        .await
        .unwrap();

    let report = load(
        &store,
        std::slice::from_ref(&feeds),
        &LoadOptions::default(),
    )
    .await
    .unwrap();
    assert!(report.commit.is_some());
    // 4 Feodo + 3 ThreatFox + 2×2 URLhaus + 10 list + 2 good rows of the bad file.
    assert_eq!(report.indicators(), 23);
    assert_eq!(report.rejected(), 1 + 5);
    for name in [
        "a-feodo.csv",
        "b-threatfox.json",
        "c-urlhaus.csv.gz",
        "d-c2-list.txt",
    ] {
        assert!(
            matches!(outcome_of(&report, name), FileOutcome::Loaded),
            "{name}"
        );
    }
    assert!(matches!(
        outcome_of(&report, "f-conn.log"),
        FileOutcome::Unrecognized(_)
    ));
    assert!(matches!(
        outcome_of(&report, "g-empty.txt"),
        FileOutcome::Empty
    ));
    let gz = report
        .files
        .iter()
        .find(|f| f.path.ends_with("c-urlhaus.csv.gz"))
        .unwrap();
    assert_eq!(gz.format, Some(FeedFormat::UrlhausCsv));
    assert_eq!(gz.compression.map(|c| c.name()), Some("gzip"));

    assert_eq!(count(&store, "SELECT COUNT(*) FROM intel").await, 23);
    assert_eq!(
        rows(
            &store,
            "SELECT feed, COUNT(*) FROM intel GROUP BY feed ORDER BY feed"
        )
        .await,
        ["feodo|6", "list|10", "threatfox|3", "urlhaus|4"]
    );
    assert_eq!(
        rows(
            &store,
            "SELECT kind, port, threat, family, confidence, first_seen, tags[2], reference, source_line \
             FROM intel WHERE value = '192.0.2.77'"
        )
        .await,
        ["ip|4444|botnet_cc|Cobalt Strike|100|2025-11-28T12:00:05Z|CobaltStrike|https://example.org/report/cs-beacons|3"]
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM intel WHERE array_has(tags, 'host-of-url')"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM intel WHERE campaign = 'Operation Example Storm'"
        )
        .await,
        6
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM intel WHERE source_file LIKE '%d-c2-list.txt'"
        )
        .await,
        10
    );
    assert_eq!(
        rows(
            &store,
            "SELECT format, position, reason FROM quarantine WHERE format = 'urlhaus-csv'"
        )
        .await,
        ["urlhaus-csv|12|`not a url` is not a URL"]
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM quarantine WHERE format = 'feodo-csv'"
        )
        .await,
        5
    );
    assert_eq!(
        rows(
            &store,
            "SELECT format, compression, rows_read, rows_stored, rows_rejected, rows_skipped \
             FROM ingests WHERE source_file LIKE '%c-urlhaus.csv.gz'"
        )
        .await,
        ["urlhaus-csv|gzip|12|4|1|9"]
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM ingests").await,
        5,
        "one row per file read; unrecognised and empty files are not recorded"
    );

    let again = load(&store, &[feeds], &LoadOptions::default())
        .await
        .unwrap();
    assert!(again.commit.is_none(), "nothing new to commit");
    assert_eq!(again.indicators(), 0);
    for name in [
        "a-feodo.csv",
        "b-threatfox.json",
        "c-urlhaus.csv.gz",
        "d-c2-list.txt",
        "e-feodo-bad.csv",
    ] {
        assert!(
            matches!(outcome_of(&again, name), FileOutcome::AlreadyLoaded(_)),
            "{name}"
        );
    }
    let feodo = again
        .files
        .iter()
        .find(|f| f.path.ends_with("a-feodo.csv"))
        .unwrap();
    assert_eq!(
        feodo.format,
        Some(FeedFormat::FeodoCsv),
        "skipped files still say what they are"
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM intel").await, 23);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM quarantine").await, 6);
}

#[tokio::test]
async fn the_same_content_twice_in_one_load_is_read_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.txt"), tmp.path().join("b.txt"));
    std::fs::write(&a, PLAIN_LIST).unwrap();
    std::fs::write(&b, PLAIN_LIST).unwrap();
    let store = Store::create_or_open(&tmp.path().join("store"))
        .await
        .unwrap();
    let report = load(&store, &[a, b], &LoadOptions::default())
        .await
        .unwrap();
    assert!(matches!(
        report.files[1].outcome,
        FileOutcome::DuplicateInRun(_)
    ));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM intel").await, 10);
}

#[tokio::test]
async fn a_feed_ingest_did_not_recognise_is_still_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("ipblocklist.csv");
    std::fs::write(&feed, FEODO_CSV).unwrap();
    let store = Store::create_or_open(&tmp.path().join("store"))
        .await
        .unwrap();
    let paths = [feed];
    let ingested = borderscope_ingest::ingest(&store, &paths, &Default::default())
        .await
        .unwrap();
    assert!(
        matches!(
            ingested.files[0].outcome,
            borderscope_ingest::FileOutcome::Unrecognized
        ),
        "premise: telemetry ingest does not read feeds, but records their hash"
    );
    let report = load(&store, &paths, &LoadOptions::default()).await.unwrap();
    assert!(matches!(report.files[0].outcome, FileOutcome::Loaded));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM intel").await, 4);
}
