//! The store's commit protocol: what readers see, and what survives a crash.

use std::sync::Arc;

use borderscope_schema::{EventTable, FileContext, Flow, FlowBatch, Label};

// Keeps the table list in the test in step with the schema crate.
const FLOWS: EventTable = EventTable::Flows;
use borderscope_store::{BatchWriter, IngestRecord, Store};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use deltalake::kernel::transaction::CommitProperties;
use deltalake::writer::{DeltaWriter, RecordBatchWriter};

fn flows(n: usize, day: i64) -> RecordBatch {
    let ctx = FileContext {
        source_file: "test.log".into(),
        sensor: None,
        format: "zeek-tsv".into(),
    };
    let mut b = FlowBatch::default();
    for i in 0..n {
        b.append(
            &ctx,
            &Flow {
                line: i as u64 + 1,
                ts: day * 86_400_000_000 + i as i64 * 1_000_000,
                duration: Some(1.0),
                src_ip: "10.0.0.1".parse().unwrap(),
                src_port: Some(1000),
                dst_ip: "192.0.2.1".parse().unwrap(),
                dst_port: Some(80),
                transport: "tcp".into(),
                service: None,
                src_bytes: Some(10),
                dst_bytes: Some(20),
                src_pkts: None,
                dst_pkts: None,
                state: None,
                history: None,
                uid: None,
                sampling_rate: 1,
                sensor: None,
                label: Label::default(),
            },
        );
    }
    b.finish().unwrap()
}

fn record(name: &str, hash: &str) -> IngestRecord {
    IngestRecord {
        source_file: name.into(),
        content_sha256: hash.into(),
        ..IngestRecord::default()
    }
}

async fn count_flows(store: &Store) -> i64 {
    let ctx = SessionContext::new();
    store
        .snapshot()
        .await
        .unwrap()
        .register(store, &ctx)
        .await
        .unwrap();
    let batches = ctx
        .sql("SELECT COUNT(*) FROM flows")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::Int64Array>()
        .unwrap()
        .value(0)
}

#[tokio::test]
async fn a_committed_batch_is_visible_and_its_hashes_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    assert_eq!(count_flows(&store).await, 0);
    let lock = store.lock_writer().await.unwrap();
    let mut w = BatchWriter::new(&store, &lock);
    w.write("flows", flows(10, 0)).await.unwrap();
    w.write("flows", flows(5, 3)).await.unwrap();
    let report = w.commit(&[record("a.log", "abc")]).await.unwrap().unwrap();
    assert_eq!(report.rows["flows"], 15);
    assert_eq!(count_flows(&store).await, 15);
    let priors = store.prior_ingests().await.unwrap();
    assert_eq!(priors["abc"].source_file, "a.log");
    // Partitioned by event date: one folder per day written.
    let parts: Vec<_> = std::fs::read_dir(store.local_root().unwrap().join("tables/flows"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("event_date="))
        .collect();
    assert_eq!(parts.len(), 2, "{parts:?}");
}

#[tokio::test]
async fn data_committed_without_its_manifest_row_is_invisible_then_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    {
        let lock = store.lock_writer().await.unwrap();
        let mut w = BatchWriter::new(&store, &lock);
        w.write("flows", flows(7, 0)).await.unwrap();
        w.commit(&[record("a.log", "aaa")]).await.unwrap();
    }
    // A process that died between its data commit and its manifest commit
    // leaves exactly this behind: a flows commit no `ingests` row accounts for.
    let mut table = store.load_latest("flows").await.unwrap();
    let mut orphan = RecordBatchWriter::for_table(&table)
        .unwrap()
        .with_commit_properties(CommitProperties::default());
    orphan.write(flows(100, 1)).await.unwrap();
    orphan.flush_and_commit(&mut table).await.unwrap();

    assert_eq!(
        count_flows(&store).await,
        7,
        "readers see the last committed batch only"
    );
    let lock = store.lock_writer().await.unwrap();
    let recovered = store.recover(&lock).await.unwrap();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert!(recovered[0].contains("flows"));
    assert_eq!(
        store.recover(&lock).await.unwrap(),
        Vec::<String>::new(),
        "recovery is done once"
    );
    // The next batch builds on the rolled-back table, not on the orphan.
    let mut w = BatchWriter::new(&store, &lock);
    w.write("flows", flows(3, 2)).await.unwrap();
    w.commit(&[record("b.log", "bbb")]).await.unwrap();
    assert_eq!(count_flows(&store).await, 10);
    let latest = store.load_latest("flows").await.unwrap();
    let ctx = SessionContext::new();
    latest.update_datafusion_session(&ctx.state()).unwrap();
    ctx.register_table("latest", latest.table_provider().await.unwrap())
        .unwrap();
    let n = ctx
        .sql("SELECT COUNT(*) FROM latest")
        .await
        .unwrap()
        .count()
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn an_empty_batch_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    let before = store.snapshot().await.unwrap();
    let lock = store.lock_writer().await.unwrap();
    let w = BatchWriter::new(&store, &lock);
    assert!(w.commit(&[]).await.unwrap().is_none());
    assert_eq!(store.snapshot().await.unwrap(), before);
}

#[tokio::test]
async fn a_missing_store_or_another_layout_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(&dir.path().join("nope")).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("no borderscope store"),
        "{err:#}"
    );
    let store_dir = dir.path().join("old");
    Store::create_or_open(&store_dir).await.unwrap();
    std::fs::write(
        store_dir.join("borderscope-store.json"),
        r#"{"format": 0, "created_by": "borderscope 0.0.1"}"#,
    )
    .unwrap();
    let err = Store::open(&store_dir).await.unwrap_err();
    assert!(format!("{err:#}").contains("layout version 0"), "{err:#}");
}

#[tokio::test]
async fn reopening_an_existing_store_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::create_or_open(dir.path()).await.unwrap();
        let lock = store.lock_writer().await.unwrap();
        let mut w = BatchWriter::new(&store, &lock);
        w.write("flows", flows(4, 0)).await.unwrap();
        w.commit(&[record("a.log", "aaa")]).await.unwrap();
    }
    let store = Arc::new(Store::create_or_open(dir.path()).await.unwrap());
    assert_eq!(count_flows(&store).await, 4);
}

#[tokio::test]
async fn tables_beyond_the_event_tables_join_the_snapshot_and_labelled_batches_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    let schema = FLOWS.schema();
    store
        .ensure_table("derived", &schema, Some("event_date"))
        .await
        .unwrap();
    assert_eq!(store.snapshot().await.unwrap().version("derived"), 0);
    let lock = store.lock_writer().await.unwrap();
    let mut w = BatchWriter::new(&store, &lock).with_label("detect test");
    w.write("derived", flows(3, 0)).await.unwrap();
    let report = w.commit(&[]).await.unwrap().unwrap();
    let snap = store.snapshot().await.unwrap();
    assert_eq!(snap.version("derived"), report.versions["derived"]);
    assert!(snap.versions().contains_key("derived"));
    let ctx = SessionContext::new();
    snap.register(&store, &ctx).await.unwrap();
    let n = ctx
        .sql("SELECT * FROM derived")
        .await
        .unwrap()
        .count()
        .await
        .unwrap();
    assert_eq!(n, 3);
    let m = ctx
        .sql("SELECT * FROM ingests WHERE source_file = '(detect test)'")
        .await
        .unwrap()
        .count()
        .await
        .unwrap();
    assert_eq!(m, 1);
}

#[tokio::test]
async fn a_replaced_table_shows_only_the_new_content_once_committed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    store
        .ensure_table("findings", &FLOWS.schema(), None)
        .await
        .unwrap();
    let count = |store: Store| async move {
        let ctx = SessionContext::new();
        store
            .snapshot()
            .await
            .unwrap()
            .register(&store, &ctx)
            .await
            .unwrap();
        ctx.sql("SELECT * FROM findings")
            .await
            .unwrap()
            .count()
            .await
            .unwrap()
    };
    let lock = store.lock_writer().await.unwrap();
    let mut w = BatchWriter::new(&store, &lock).with_label("run 1");
    w.replace("findings", vec![flows(5, 0)]).await.unwrap();
    w.commit(&[]).await.unwrap();
    assert_eq!(count(store.clone()).await, 5);
    let mut w = BatchWriter::new(&store, &lock).with_label("run 2");
    w.replace("findings", vec![flows(2, 0), flows(1, 1)])
        .await
        .unwrap();
    assert_eq!(
        count(store.clone()).await,
        5,
        "not visible before the commit point"
    );
    w.commit(&[]).await.unwrap();
    assert_eq!(count(store.clone()).await, 3);
}

#[tokio::test]
async fn a_session_with_a_staging_area_stages_to_files_it_then_removes() {
    use borderscope_store::staging::{collect, keep, stage};
    use datafusion::datasource::listing::ListingTable;
    use datafusion::prelude::SessionConfig;

    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    let config = SessionConfig::new().with_extension(Arc::new(store.staging_area().unwrap()));
    let ctx = SessionContext::new_with_config(config);
    let sql = "SELECT * FROM (VALUES ('10.0.0.1', 3), ('10.0.0.2', NULL)) AS t(ip, n)";
    let staged = stage(&ctx, "pairs", "pairs", sql).await.unwrap();
    assert_eq!(staged.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    let table = ctx.table_provider("pairs").await.unwrap();
    assert!(
        table.downcast_ref::<ListingTable>().is_some(),
        "a staging area gives a file table, not an in-memory one"
    );
    let staging = dir.path().join("staging");
    let files = || -> usize {
        std::fs::read_dir(&staging)
            .map(|runs| {
                runs.flatten()
                    .map(|run| std::fs::read_dir(run.path()).unwrap().count())
                    .sum()
            })
            .unwrap_or(0)
    };
    assert_eq!(files(), 1);
    // Staging the same name again writes a new file; both read back.
    stage(
        &ctx,
        "pairs",
        "pairs again",
        "SELECT ip, n + 1 AS n FROM pairs",
    )
    .await
    .unwrap();
    assert_eq!(files(), 2);
    let back = collect(&ctx, "read", "SELECT ip, n FROM pairs ORDER BY ip")
        .await
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&back)
        .unwrap()
        .to_string();
    assert!(
        text.contains("10.0.0.1 | 4") && text.contains("10.0.0.2 |"),
        "{text}"
    );
    // An empty result stages too, with its columns.
    stage(&ctx, "none", "none", "SELECT ip FROM pairs WHERE n > 100")
        .await
        .unwrap();
    let none = collect(&ctx, "read none", "SELECT COUNT(ip) FROM none")
        .await
        .unwrap();
    assert_eq!(none[0].num_rows(), 1);
    // A result only later stages read is written by the plan itself, as
    // a folder of files.
    let kept = keep(&ctx, "kept", "kept", "SELECT ip, n * 10 AS n FROM pairs")
        .await
        .unwrap();
    assert_eq!(kept, 2);
    let back = collect(&ctx, "read kept", "SELECT SUM(n) AS total FROM kept")
        .await
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&back)
        .unwrap()
        .to_string();
    assert!(text.contains("| 40 "), "{text}");
    let empty = keep(
        &ctx,
        "kept_none",
        "kept none",
        "SELECT ip FROM pairs WHERE n > 100",
    )
    .await
    .unwrap();
    assert_eq!(empty, 0);
    let none = collect(&ctx, "read none", "SELECT COUNT(*) AS n FROM kept_none")
        .await
        .unwrap();
    assert_eq!(none[0].num_rows(), 1);
    store.remove_staged().await.unwrap();
    assert_eq!(files(), 0, "the run's staged files are gone");
    // Removing twice, or with nothing staged, is not an error.
    store.remove_staged().await.unwrap();
}
