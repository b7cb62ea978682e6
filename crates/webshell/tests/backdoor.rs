//! The backdoor detector end to end: ingest web logs, (optionally) scan a web
//! root, detect, and compare with the truth.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use borderscope_engine::{Engine, FunctionContext};
use borderscope_geo::GeoDb;
use borderscope_ingest::{ingest, IngestOptions};
use borderscope_store::Store;
use borderscope_webshell::backdoor::{detect, findings, BackdoorConfig, BackdoorFindings};
use borderscope_webshell::simlog::{generate, SimConfig};
use borderscope_webshell::{store_scan, Limits, RuleSet, Scanner};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};

async fn store_with(dir: &Path, logs: &[PathBuf]) -> Store {
    let store = Store::create_or_open(&dir.join("store")).await.unwrap();
    let report = ingest(&store, logs, &IngestOptions::default())
        .await
        .unwrap();
    assert!(report.rows_stored() > 0);
    store
}

async fn run(store: Store) -> BackdoorFindings {
    findings::ensure_tables(&store).await.unwrap();
    let engine = Engine::over(store, FunctionContext::new(Arc::new(GeoDb::builtin())))
        .await
        .unwrap();
    let found = detect(engine.ctx(), &BackdoorConfig::default())
        .await
        .unwrap();
    findings::store_findings(engine.store(), &found, "test")
        .await
        .unwrap();
    found
}

fn strings(batches: &[RecordBatch], col: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let a = cast(b.column_by_name(col).unwrap(), &DataType::Utf8).unwrap();
        let a = a.as_string::<i32>();
        out.extend((0..a.len()).map(|i| {
            if a.is_null(i) {
                String::new()
            } else {
                a.value(i).to_string()
            }
        }));
    }
    out
}

fn longs(batches: &[RecordBatch], col: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for b in batches {
        let a = cast(b.column_by_name(col).unwrap(), &DataType::Int64).unwrap();
        out.extend(a.as_primitive::<Int64Type>().iter().flatten());
    }
    out
}

fn rows(b: &[RecordBatch]) -> usize {
    b.iter().map(|x| x.num_rows()).sum()
}

#[tokio::test]
async fn real_scanner_noise_makes_no_backdoor_attack() {
    let dir = borderscope_testdata::require_shared!("weblogs");
    let tmp = tempfile::tempdir().unwrap();
    let logs: Vec<PathBuf> = ["acunetix.txt", "netsparker.txt", "w3af.txt"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    let found = run(store_with(tmp.path(), &logs).await).await;
    let evidence: Vec<String> = strings(&found.evidence, "kind")
        .into_iter()
        .zip(strings(&found.evidence, "path"))
        .map(|(k, p)| format!("{k} {p}"))
        .collect();
    eprintln!("scanner logs: evidence rows {evidence:?}");
    assert_eq!(
        rows(&found.backdoors),
        0,
        "backdoors from scanner noise: {:?}",
        strings(&found.backdoors, "path")
    );
    assert_eq!(rows(&found.attacks), 0);
}

#[tokio::test]
async fn simulated_sessions_are_found_and_look_alikes_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = generate(&SimConfig::default());
    let log = tmp.path().join("access.log");
    std::fs::write(&log, &sim.text).unwrap();
    let found = run(store_with(tmp.path(), &[log]).await).await;

    for ((k, p), d) in strings(&found.evidence, "kind")
        .into_iter()
        .zip(strings(&found.evidence, "path"))
        .zip(strings(&found.evidence, "detail"))
    {
        eprintln!("evidence {k} {p}: {d}");
    }
    let sites = strings(&found.backdoors, "site");
    let paths = strings(&found.backdoors, "path");
    let got: BTreeSet<(String, String)> = sites.into_iter().zip(paths).collect();
    let tp = got.intersection(&sim.backdoors).count();
    eprintln!(
        "backdoors: {} found, {tp} true of {} planted; false: {:?}",
        got.len(),
        sim.backdoors.len(),
        got.difference(&sim.backdoors).collect::<Vec<_>>()
    );
    let lines: BTreeSet<u64> = longs(&found.attacks, "source_line")
        .into_iter()
        .map(|l| l as u64)
        .collect();
    let attack_tp = lines.intersection(&sim.attack_lines).count();
    eprintln!(
        "attacks: {} reported, {attack_tp} true of {} labelled",
        lines.len(),
        sim.attack_lines.len()
    );
    let imp_sites = strings(&found.implanters, "site");
    let imp_paths = strings(&found.implanters, "path");
    let imp_ips = strings(&found.implanters, "ip");
    let mut implanters_right = 0;
    for ((s, p), ip) in imp_sites.into_iter().zip(imp_paths).zip(imp_ips) {
        if sim.implanters.get(&(s, p)) == Some(&ip) {
            implanters_right += 1;
        }
    }
    eprintln!("implanters right: {implanters_right} of {tp}");
    // No benign look-alike (monitor, app API, scanners' payloads) is a backdoor.
    assert_eq!(got.len(), tp, "false backdoors");
    assert!(tp * 4 >= sim.backdoors.len() * 3, "recall below 75%");
    // Every reported attack is a labelled one, and a found backdoor's
    // attacks are all reported.
    assert_eq!(attack_tp, lines.len());
    assert_eq!(implanters_right, tp);
}

#[tokio::test]
async fn file_evidence_makes_a_backdoor_of_a_quiet_script() {
    let tmp = tempfile::tempdir().unwrap();
    // One POST to a planted script: too little for the log evidence alone.
    let log = tmp.path().join("access.log");
    std::fs::write(
        &log,
        "shop.example 198.51.100.7 - - [01/Jan/2024:10:00:00 +0000] \"POST /uploads/img.php HTTP/1.1\" 200 120 \"-\" \"-\"\n\
         shop.example 198.51.100.8 - - [01/Jan/2024:10:05:00 +0000] \"GET /index.php HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"\n",
    )
    .unwrap();
    let store = store_with(tmp.path(), &[log]).await;
    let root = tmp.path().join("www");
    std::fs::create_dir_all(root.join("uploads")).unwrap();
    std::fs::write(root.join("uploads/img.php"), "<?php @eval($_POST['z']); ?>").unwrap();
    std::fs::write(root.join("index.php"), "<?php echo 'shop';").unwrap();
    let rules = RuleSet::compile(true, &[]).unwrap();
    let report = Scanner::new(&rules, Limits::default())
        .scan_tree(&root)
        .unwrap();
    store_scan(&store, "shop.example", "www", &report)
        .await
        .unwrap();
    let found = run(store).await;
    assert_eq!(strings(&found.backdoors, "path"), ["/uploads/img.php"]);
    assert_eq!(strings(&found.attacks, "attacker_ip"), ["198.51.100.7"]);
    assert_eq!(strings(&found.implanters, "ip"), ["198.51.100.7"]);
    assert_eq!(strings(&found.implanters, "how"), ["first_used"]);
}

/// Three quiet POSTs without referrer to one script: `rare_post` alone
/// (0.5) stays below the threshold.
fn quiet_posts(dir: &Path) -> PathBuf {
    let log = dir.join("access.log");
    let mut lines = String::new();
    for minute in [0, 3, 7] {
        lines.push_str(&format!(
            "shop.example 198.51.100.7 - - [01/Jan/2024:10:{minute:02}:00 +0000] \"POST /images/thumb.php HTTP/1.1\" 200 64 \"-\" \"-\"\n"
        ));
    }
    lines.push_str("shop.example 198.51.100.8 - - [01/Jan/2024:10:05:00 +0000] \"GET /index.php HTTP/1.1\" 200 5120 \"https://shop.example/\" \"Mozilla/5.0\"\n");
    std::fs::write(&log, lines).unwrap();
    log
}

fn eve_alert(ts: &str, src: &str, signature: &str, category: &str) -> String {
    format!(
        "{{\"timestamp\":\"{ts}\",\"flow_id\":1,\"event_type\":\"alert\",\"src_ip\":\"{src}\",\"src_port\":50123,\
         \"dest_ip\":\"203.0.113.5\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{{\"action\":\"allowed\",\"gid\":1,\
         \"signature_id\":1,\"rev\":1,\"signature\":\"{signature}\",\"category\":\"{category}\",\"severity\":1}}}}\n"
    )
}

#[tokio::test]
async fn ids_alerts_naming_a_webshell_raise_the_evidence_of_the_requested_script() {
    // Without alerts the quiet script is not a backdoor.
    let tmp = tempfile::tempdir().unwrap();
    let log = quiet_posts(tmp.path());
    let found = run(store_with(tmp.path(), &[log]).await).await;
    assert_eq!(rows(&found.backdoors), 0);
    assert_eq!(strings(&found.evidence, "kind"), ["rare_post"]);

    // Alerts that do not name a webshell change nothing: a trojan's
    // "backdoor" outside web traffic, a web alert of another kind, and a
    // webshell alert from a client that never reached the script.
    let tmp = tempfile::tempdir().unwrap();
    let log = quiet_posts(tmp.path());
    let eve = tmp.path().join("eve.json");
    std::fs::write(
        &eve,
        [
            eve_alert(
                "2024-01-01T10:03:00.000000+0000",
                "198.51.100.7",
                "ET TROJAN Win32/Backdoor.Agent CnC Beacon",
                "A Network Trojan was detected",
            ),
            eve_alert(
                "2024-01-01T10:03:00.000000+0000",
                "198.51.100.7",
                "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT",
                "Web Application Attack",
            ),
            eve_alert(
                "2024-01-01T10:03:00.000000+0000",
                "198.51.100.99",
                "ET WEB_SERVER Generic PHP WebShell Access",
                "Web Application Attack",
            ),
        ]
        .concat(),
    )
    .unwrap();
    let found = run(store_with(tmp.path(), &[log, eve]).await).await;
    assert_eq!(rows(&found.backdoors), 0);
    assert!(!strings(&found.evidence, "kind").contains(&"ids".to_string()));

    // An alert naming a webshell on a request of that client, within the
    // window: `ids` joins `rare_post` and the script is a backdoor.
    let tmp = tempfile::tempdir().unwrap();
    let log = quiet_posts(tmp.path());
    let eve = tmp.path().join("eve.json");
    std::fs::write(
        &eve,
        [
            eve_alert(
                "2024-01-01T10:03:01.000000+0000",
                "198.51.100.7",
                "ET WEB_SERVER China Chopper Webshell POST Request",
                "Web Application Attack",
            ),
            eve_alert(
                "2024-01-01T10:07:00.500000+0000",
                "198.51.100.7",
                "GPL WEB_SERVER web backdoor access",
                "access to a potentially vulnerable web application",
            ),
        ]
        .concat(),
    )
    .unwrap();
    let found = run(store_with(tmp.path(), &[log, eve]).await).await;
    assert_eq!(strings(&found.backdoors, "path"), ["/images/thumb.php"]);
    let kinds = strings(&found.evidence, "kind");
    assert!(kinds.contains(&"ids".to_string()), "{kinds:?}");
    let detail = strings(&found.evidence, "detail").join(" | ");
    assert!(
        detail.contains("China Chopper") && detail.contains("web backdoor"),
        "{detail}"
    );
    assert_eq!(strings(&found.attacks, "attacker_ip").len(), 3);
}
