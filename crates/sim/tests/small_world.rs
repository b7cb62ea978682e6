//! The small world end to end, short of the detectors: the same seed gives
//! the same bytes; every file reads back through the project's readers
//! with nothing quarantined; and the truth's figures equal a recount, in
//! SQL over the ingested store, from the planted lists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use borderscope_engine::{Engine, FunctionContext};
use borderscope_geo::GeoDb;
use borderscope_ingest::{FileOutcome, IngestOptions};
use borderscope_sim::{simulate, Config, Scale};
use borderscope_store::Store;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::CsvReadOptions;
use serde_json::Value;

fn small(out: &Path, seed: u64) -> borderscope_sim::Summary {
    let config = Config {
        seed,
        scale: Scale::Small,
        ..Config::default()
    };
    simulate(&config, out, false, false).expect("the small world is written")
}

/// Every file under `dir`, relative, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    small(&a, 7);
    small(&b, 7);
    small(&c, 8);
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    assert!(fa.len() > 10, "{} files", fa.len());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(
            bytes == &fb[path],
            "{} differs between two runs",
            path.display()
        );
    }
    let same = fa.iter().filter(|(p, b)| fc.get(*p) == Some(b)).count();
    assert!(
        same < fa.len() / 2,
        "{same} of {} files equal for another seed",
        fa.len()
    );
}

#[test]
fn writing_into_a_folder_with_files_needs_force() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let err = simulate(&Config::default(), tmp.path(), false, false).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert!(tmp.path().join("keep.txt").exists());
}

fn truth(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

const FIGURES: [&str; 8] = [
    "c2_servers",
    "c2_hosts",
    "phishing_hosts",
    "phishing_pages",
    "phishing_operations",
    "backdoor_ips",
    "backdoor_websites",
    "backdoor_attacks",
];

#[test]
fn truth_has_exactly_the_report_keys_and_every_kind_of_entity() {
    let tmp = tempfile::tempdir().unwrap();
    small(tmp.path(), 1);
    let t = truth(tmp.path());
    let keys: Vec<&str> = t["figures"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut want = FIGURES.to_vec();
    want.sort();
    let mut have = keys.clone();
    have.sort();
    assert_eq!(have, want);
    for k in FIGURES {
        assert!(t["figures"][k].as_u64().unwrap() > 0, "{k} is 0");
    }
    assert_eq!(t["target"], "CN");
    assert_eq!(t["from"], "2025-03-19");
    assert_eq!(t["to"], "2025-03-21");
    let sources = t["by_source"].as_object().unwrap();
    assert!(sources.len() >= 6, "{sources:?}");
    assert!(!sources.contains_key("CN"), "the target is never a source");
    for k in ["c2_servers", "phishing_pages", "backdoor_attacks"] {
        let sum: u64 = sources.values().map(|f| f[k].as_u64().unwrap()).sum();
        assert_eq!(sum, t["figures"][k].as_u64().unwrap(), "{k} adds up");
    }
}

async fn ingest_world(dir: &Path, store_dir: &Path) -> Store {
    let store = Store::create_or_open(store_dir).await.unwrap();
    let report =
        borderscope_ingest::ingest(&store, &[dir.join("telemetry")], &IngestOptions::default())
            .await
            .unwrap();
    for f in &report.files {
        assert!(
            matches!(f.outcome, FileOutcome::Ingested),
            "{}: {:?}",
            f.path.display(),
            f.outcome
        );
        assert_eq!(
            f.counts.rejected,
            0,
            "{} has rejected rows",
            f.path.display()
        );
    }
    assert_eq!(report.rows_rejected(), 0);
    store
}

fn count(batches: &[datafusion::arrow::array::RecordBatch]) -> i64 {
    batches
        .first()
        .map(|b| b.column(0).as_primitive::<Int64Type>().value(0))
        .unwrap_or(0)
}

/// Rows of a two-column (country, count) result.
fn by_country(batches: &[datafusion::arrow::array::RecordBatch]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for b in batches {
        let cc = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let cc = cc.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            if !cc.is_null(i) {
                out.insert(cc.value(i).to_string(), n.value(i) as u64);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_reads_back_and_the_truth_equals_a_recount_in_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let world = tmp.path().join("world");
    let summary = small(&world, 1);
    let store = ingest_world(&world, &tmp.path().join("store")).await;

    // Feeds read back whole.
    let intel = borderscope_intel::load(
        &store,
        &[
            world.join("feeds/feodo.csv"),
            world.join("feeds/c2-domains.txt"),
        ],
        &borderscope_intel::LoadOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(intel.rejected(), 0);
    assert_eq!(
        intel.indicators(),
        summary.rows["feodo entries"] + summary.rows["c2 domain list"]
    );
    let phishtank =
        borderscope_phish::feeds::read_phishtank(&world.join("feeds/phishtank.csv")).unwrap();
    assert!(phishtank.bad.is_empty(), "{:?}", phishtank.bad);
    assert_eq!(
        phishtank.rows.len() as u64,
        summary.rows["phishtank entries"]
    );

    let engine = Engine::over(store, FunctionContext::new(Arc::new(GeoDb::builtin())))
        .await
        .unwrap();
    // Stored rows equal written rows, kind by kind.
    for (table, kinds) in [
        ("flows", &["zeek conn", "netflow records"][..]),
        ("dns", &["zeek dns"]),
        ("http", &["zeek http"]),
        ("tls", &["zeek ssl"]),
        ("alerts", &["suricata alerts"]),
        ("weblog", &["iis requests"]),
    ] {
        let n = count(
            &engine
                .sql(&format!("SELECT COUNT(*) FROM {table}"))
                .await
                .unwrap(),
        );
        let written: u64 = kinds.iter().map(|k| summary.rows[*k]).sum();
        assert_eq!(n as u64, written, "{table}");
    }
    let q = count(&engine.sql("SELECT COUNT(*) FROM quarantine").await.unwrap());
    assert_eq!(q, 0);
    // NetFlow rows carry their exporters' sampling rates.
    let rates = engine
        .sql("SELECT DISTINCT sampling_rate FROM flows WHERE sensor IS NOT NULL ORDER BY 1")
        .await
        .unwrap();
    let rates: Vec<i64> = rates
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    assert_eq!(rates, vec![256, 512]);

    recount(&engine, &world).await;
}

/// The figures again, from the stored rows and the planted lists only.
async fn recount(engine: &Engine, world: &Path) {
    let ctx = engine.ctx();
    for (name, file) in [
        ("planted_servers", "planted/c2_servers.csv"),
        ("planted_pages", "planted/phishing_pages.csv"),
        ("planted_backdoors", "planted/backdoors.csv"),
        ("phishtank", "feeds/phishtank.csv"),
    ] {
        ctx.register_csv(
            name,
            world.join(file).to_str().unwrap(),
            CsvReadOptions::new(),
        )
        .await
        .unwrap();
    }
    let t = truth(world);
    let target = t["target"].as_str().unwrap().to_string();
    let day = |k: &str| {
        chrono::NaiveDate::parse_from_str(t[k].as_str().unwrap(), "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    let window = format!(
        "ts >= to_timestamp_micros({}) AND ts < to_timestamp_micros({})",
        day("from"),
        day("to") + 86_400_000_000
    );
    let sqls = figure_sql(&target, &window);
    let mut total = BTreeMap::new();
    let mut by: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (figure, total_sql, by_sql) in &sqls {
        let n = count(
            &engine
                .sql(total_sql)
                .await
                .unwrap_or_else(|e| panic!("{figure}: {e:#}")),
        );
        total.insert(figure.to_string(), n as u64);
        for (cc, n) in by_country(
            &engine
                .sql(by_sql)
                .await
                .unwrap_or_else(|e| panic!("{figure}: {e:#}")),
        ) {
            by.entry(cc).or_default().insert(figure.to_string(), n);
        }
    }
    for (figure, n) in &total {
        assert_eq!(
            t["figures"][figure].as_u64(),
            Some(*n),
            "{figure}: truth.json says {}, the recount {n}",
            t["figures"][figure]
        );
    }
    let sources = t["by_source"].as_object().unwrap();
    let mut have: Vec<&String> = sources.keys().collect();
    have.sort();
    let want: Vec<&String> = by.keys().collect();
    assert_eq!(have, want, "source countries");
    for (cc, figures) in &by {
        for k in FIGURES {
            let recounted = figures.get(k).copied().unwrap_or(0);
            assert_eq!(
                sources[cc][k].as_u64(),
                Some(recounted),
                "{cc} {k}: truth.json {} vs recount {recounted}",
                sources[cc][k]
            );
        }
    }
}

/// (figure, total SQL, per-source SQL) for every figure.
fn figure_sql(target: &str, window: &str) -> Vec<(&'static str, String, String)> {
    let t = format!("'{target}'");
    let links = format!(
        "links AS ( \
           SELECT src_ip AS a, dst_ip AS b FROM flows WHERE {window} \
           UNION ALL SELECT dst_ip, src_ip FROM flows WHERE {window} \
           UNION ALL SELECT src_ip, dst_ip FROM alerts WHERE {window} \
           UNION ALL SELECT dst_ip, src_ip FROM alerts WHERE {window}), \
         control AS ( \
           SELECT DISTINCT l.b AS server, l.a AS host, ip_country(l.b) AS cc \
           FROM links l JOIN planted_servers s ON s.ip = l.b \
           WHERE ip_country(l.b) <> {t} AND ip_country(l.a) = {t})"
    );
    let phishing = format!(
        "rows AS ( \
           SELECT client_ip AS client, lower(query) AS name, answer AS host FROM \
             (SELECT client_ip, query, unnest(answers) AS answer FROM dns WHERE {window}) \
           UNION ALL SELECT client_ip, lower(host), server_ip FROM http WHERE {window} \
           UNION ALL SELECT client_ip, lower(sni), server_ip FROM tls WHERE {window} AND sni IS NOT NULL), \
         shown AS ( \
           SELECT concat('http://', host, uri) AS url FROM http WHERE {window} \
           UNION SELECT url FROM phishtank), \
         pages AS ( \
           SELECT DISTINCT p.url, p.domain FROM planted_pages p JOIN shown s ON s.url = p.url \
           WHERE p.brand_country = {t}), \
         hosted AS ( \
           SELECT DISTINCT r.name, r.host, ip_country(r.host) AS cc FROM rows r \
           WHERE r.name IN (SELECT domain FROM pages) AND ip_country(r.host) <> {t}), \
         ops AS ( \
           SELECT ip_country(r.host) AS cc FROM rows r \
           WHERE r.name IN (SELECT name FROM hosted) AND ip_country(r.client) = {t} \
             AND ip_country(r.host) <> {t}), \
         page_cc AS (SELECT DISTINCT h.cc, p.url FROM hosted h JOIN pages p ON p.domain = h.name)"
    );
    let backdoors = format!(
        "reach AS ( \
           SELECT w.ts, w.client_ip, w.site, w.path, w.server_ip FROM weblog w \
           JOIN planted_backdoors b ON b.site = w.site AND b.path = w.path \
           WHERE w.status < 400 AND {window}), \
         firsts AS ( \
           SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY site, path ORDER BY ts) AS k FROM reach) \
           WHERE k = 1), \
         implanted AS ( \
           SELECT site, client_ip AS ip, ip_country(client_ip) AS cc FROM firsts \
           WHERE ip_country(client_ip) <> {t} AND ip_country(server_ip) = {t}), \
         attacks AS ( \
           SELECT ip_country(client_ip) AS cc FROM reach \
           WHERE ip_country(server_ip) = {t} AND ip_country(client_ip) <> {t})"
    );
    vec![
        (
            "c2_servers",
            format!("WITH {links} SELECT COUNT(DISTINCT server) FROM control"),
            format!("WITH {links} SELECT cc, COUNT(DISTINCT server) FROM control GROUP BY cc"),
        ),
        (
            "c2_hosts",
            format!("WITH {links} SELECT COUNT(DISTINCT host) FROM control"),
            format!("WITH {links} SELECT cc, COUNT(DISTINCT host) FROM control GROUP BY cc"),
        ),
        (
            "phishing_hosts",
            format!("WITH {phishing} SELECT COUNT(DISTINCT host) FROM hosted"),
            format!("WITH {phishing} SELECT cc, COUNT(DISTINCT host) FROM hosted GROUP BY cc"),
        ),
        (
            "phishing_pages",
            format!("WITH {phishing} SELECT COUNT(DISTINCT url) FROM page_cc"),
            format!("WITH {phishing} SELECT cc, COUNT(DISTINCT url) FROM page_cc GROUP BY cc"),
        ),
        (
            "phishing_operations",
            format!("WITH {phishing} SELECT COUNT(*) FROM ops"),
            format!("WITH {phishing} SELECT cc, COUNT(*) FROM ops GROUP BY cc"),
        ),
        (
            "backdoor_ips",
            format!("WITH {backdoors} SELECT COUNT(DISTINCT ip) FROM implanted"),
            format!("WITH {backdoors} SELECT cc, COUNT(DISTINCT ip) FROM implanted GROUP BY cc"),
        ),
        (
            "backdoor_websites",
            format!("WITH {backdoors} SELECT COUNT(DISTINCT site) FROM implanted"),
            format!("WITH {backdoors} SELECT cc, COUNT(DISTINCT site) FROM implanted GROUP BY cc"),
        ),
        (
            "backdoor_attacks",
            format!("WITH {backdoors} SELECT COUNT(*) FROM attacks"),
            format!("WITH {backdoors} SELECT cc, COUNT(*) FROM attacks GROUP BY cc"),
        ),
    ]
}
