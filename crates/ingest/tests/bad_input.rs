//! Bad input is normal input: every case here must keep the good rows, put
//! the bad ones in quarantine with a reason, and never stop the ingest.

use std::io::Write;
use std::path::{Path, PathBuf};

use borderscope_ingest::{ingest, FileOutcome, IngestOptions, IngestReport};
use borderscope_store::Store;
use datafusion::arrow::array::{Array, Int64Array, StringArray};
use datafusion::prelude::SessionContext;

const ZEEK_HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n";

fn conn_line(i: usize) -> String {
    format!(
        "{}.5\tC{i}\t10.0.0.{}\t{}\t192.0.2.7\t443\ttcp\n",
        1_700_000_000 + i,
        i % 250,
        1024 + i
    )
}

fn zeek_log(rows: usize) -> String {
    let mut s = ZEEK_HEADER.to_string();
    for i in 0..rows {
        s.push_str(&conn_line(i));
    }
    s
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn run(store: &Store, paths: &[PathBuf]) -> IngestReport {
    ingest(store, paths, &IngestOptions::default())
        .await
        .unwrap()
}

async fn query(store: &Store, sql: &str) -> Vec<datafusion::arrow::record_batch::RecordBatch> {
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
        .unwrap()
        .value(0)
}

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(&dir.path().join("store"))
        .await
        .unwrap();
    (dir, store)
}

#[tokio::test]
async fn binary_garbage_is_one_quarantined_file_not_a_failure() {
    let (dir, store) = fresh().await;
    let garbage: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let bad = write(dir.path(), "garbage.bin", &garbage);
    let good = write(dir.path(), "conn.log", zeek_log(20).as_bytes());
    let report = run(&store, &[bad.clone(), good]).await;
    assert!(!report.failed());
    let bad_report = report.files.iter().find(|f| f.path == bad).unwrap();
    assert!(matches!(bad_report.outcome, FileOutcome::Unrecognized));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM flows").await, 20);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM quarantine WHERE source_file LIKE '%garbage.bin' AND reason LIKE 'not a recognised%'").await,
        1
    );
}

#[tokio::test]
async fn garbage_lines_inside_a_log_are_quarantined_with_line_numbers() {
    let (dir, store) = fresh().await;
    let mut text = zeek_log(10).into_bytes();
    text.extend_from_slice(b"\x00\x01\x02\xff\xfe binary junk\tin\ta\tzeek\tlog\n");
    text.extend_from_slice(conn_line(99).as_bytes());
    let p = write(dir.path(), "conn.log", &text);
    let report = run(&store, &[p]).await;
    let f = &report.files[0];
    assert_eq!((f.counts.stored, f.counts.rejected), (11, 1));
    let b = query(
        &store,
        "SELECT position, position_unit, reason FROM quarantine",
    )
    .await;
    let pos = b[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(pos.value(0), 18, "7 header lines, 10 rows, then the junk");
}

#[tokio::test]
async fn a_truncated_gzip_keeps_the_rows_before_the_cut() {
    let (dir, store) = fresh().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(zeek_log(50_000).as_bytes()).unwrap();
    let mut bytes = gz.finish().unwrap();
    bytes.truncate(bytes.len() * 2 / 3);
    let p = write(dir.path(), "conn.log.gz", &bytes);
    let report = run(&store, &[p]).await;
    let f = &report.files[0];
    assert!(
        f.counts.stored > 10_000 && f.counts.stored < 50_000,
        "{:?}",
        f.counts
    );
    // The cut-off last line may be partial (rejected) as well as the I/O error.
    assert!(
        f.counts.rejected >= 1 && f.counts.rejected <= 2,
        "{:?}",
        f.counts
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM quarantine WHERE reason LIKE 'input ended early%'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM flows").await as u64,
        f.counts.stored
    );
}

#[tokio::test]
async fn a_100_mb_line_is_quarantined_cut_and_its_neighbours_kept() {
    let (dir, store) = fresh().await;
    let p = dir.path().join("conn.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        f.write_all(zeek_log(3).as_bytes()).unwrap();
        let chunk = vec![b'A'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\n").unwrap();
        f.write_all(conn_line(7).as_bytes()).unwrap();
    }
    let report = run(&store, &[p]).await;
    let f = &report.files[0];
    assert_eq!((f.counts.stored, f.counts.rejected), (4, 1));
    let b = query(
        &store,
        "SELECT raw_len, CAST(length(raw) AS BIGINT) AS kept, reason FROM quarantine",
    )
    .await;
    let raw_len = b[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(raw_len, 100 << 20);
    let kept = b[0]
        .column(1)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0);
    assert!(kept <= 64 * 1024);
    let reason = datafusion::arrow::compute::cast(
        b[0].column(2),
        &datafusion::arrow::datatypes::DataType::Utf8,
    )
    .unwrap();
    let reason = reason
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap()
        .value(0);
    assert!(reason.contains("104857600"), "{reason}");
}

#[tokio::test]
async fn wrong_format_and_empty_files_are_reported_and_the_rest_ingested() {
    let (dir, store) = fresh().await;
    let png = write(
        dir.path(),
        "picture.log",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    );
    let csv = write(dir.path(), "people.csv", b"name,age\nalice,30\nbob,40\n");
    let empty = write(dir.path(), "empty.log", b"");
    let good = write(dir.path(), "conn.log", zeek_log(5).as_bytes());
    let report = run(&store, &[dir.path().to_path_buf()]).await;
    assert!(!report.failed());
    let outcome = |p: &PathBuf| &report.files.iter().find(|f| &f.path == p).unwrap().outcome;
    assert!(matches!(outcome(&png), FileOutcome::Unrecognized));
    assert!(matches!(outcome(&csv), FileOutcome::Unrecognized));
    assert!(matches!(outcome(&empty), FileOutcome::Empty));
    assert!(matches!(outcome(&good), FileOutcome::Ingested));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM flows").await, 5);
}

#[tokio::test]
async fn a_run_that_reads_nothing_fails_and_one_with_only_known_files_does_not() {
    let (dir, store) = fresh().await;
    let csv = write(dir.path(), "people.csv", b"name,age\nalice,30\n");
    assert!(run(&store, &[csv]).await.failed(), "nothing readable");
    let good = write(dir.path(), "conn.log", zeek_log(5).as_bytes());
    assert!(!run(&store, std::slice::from_ref(&good)).await.failed());
    let again = run(&store, &[good]).await;
    assert!(!again.failed(), "already ingested is not a failure");
    assert!(matches!(
        again.files[0].outcome,
        FileOutcome::AlreadyIngested(_)
    ));
    assert!(again.commit.is_none());
    assert_eq!(count(&store, "SELECT COUNT(*) FROM flows").await, 5);
}

#[tokio::test]
async fn the_same_content_under_two_names_is_read_once() {
    let (dir, store) = fresh().await;
    let a = write(dir.path(), "a.log", zeek_log(5).as_bytes());
    let b = write(dir.path(), "b.log", zeek_log(5).as_bytes());
    let report = run(&store, &[a, b.clone()]).await;
    let second = report.files.iter().find(|f| f.path == b).unwrap();
    assert!(matches!(second.outcome, FileOutcome::DuplicateInRun(_)));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM flows").await, 5);
}

#[tokio::test]
async fn exceeding_max_errors_commits_nothing() {
    let (dir, store) = fresh().await;
    let mut text = zeek_log(5);
    for _ in 0..10 {
        text.push_str("not\ta\trow\n");
    }
    let p = write(dir.path(), "conn.log", text.as_bytes());
    let opts = IngestOptions {
        max_errors: Some(3),
        ..IngestOptions::default()
    };
    let report = ingest(&store, std::slice::from_ref(&p), &opts)
        .await
        .unwrap();
    assert!(report.failed());
    assert!(report.aborted.is_some());
    assert_eq!(count(&store, "SELECT COUNT(*) FROM flows").await, 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM quarantine").await, 0);
    // Not recorded as ingested: a later run with a higher limit reads it.
    let report = ingest(&store, &[p], &IngestOptions::default())
        .await
        .unwrap();
    assert_eq!(report.rows_stored(), 5);
    assert_eq!(report.rows_rejected(), 10);
}
