//! `scan-web`, `detect backdoor`, `explain backdoor` and `eval webshell` end to end.

mod common;

use std::path::Path;
use std::process::Output;

use common::{bin, run};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn scan_detect_and_explain_a_planted_shell() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("uploads")).unwrap();
    std::fs::write(www.join("uploads/img.php"), "<?php @eval($_POST['z']); ?>").unwrap();
    std::fs::write(www.join("index.php"), "<?php echo 'shop';").unwrap();
    std::os::unix::fs::symlink("..", www.join("uploads/loop")).unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(
        &log,
        "shop.example 198.51.100.7 - - [01/Jan/2024:10:00:00 +0000] \"POST /uploads/img.php HTTP/1.1\" 200 120 \"-\" \"-\"\n",
    )
    .unwrap();
    run(&store, &["ingest", log.to_str().unwrap()]);
    let scan = run(
        &store,
        &["scan-web", www.to_str().unwrap(), "--site", "shop.example"],
    );
    assert!(
        stdout(&scan).contains("MATCH uploads/img.php"),
        "{}",
        stdout(&scan)
    );
    assert!(String::from_utf8_lossy(&scan.stderr).contains("uploads/loop: symlink loop"));
    let detect = run(&store, &["detect", "backdoor"]);
    assert!(
        stdout(&detect).starts_with("1 backdoors, 1 backdoor attacks"),
        "{}",
        stdout(&detect)
    );
    let explain = run(
        &store,
        &["explain", "backdoor", "shop.example", "/uploads/img.php"],
    );
    assert!(stdout(&explain).contains("198.51.100.7"));
    let miss = bin()
        .arg("--store")
        .arg(&store)
        .args(["explain", "backdoor", "shop.example", "/index.php"])
        .output()
        .unwrap();
    assert!(!miss.status.success());
}

#[test]
fn eval_webshell_prints_the_specified_json() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../webshell/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &dir.path().join("unused-store"),
        &[
            "eval",
            "webshell",
            "--bad",
            fixtures.join("bad").to_str().unwrap(),
            "--good",
            fixtures.join("good").to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let overall = &v["overall"];
    for k in ["recall", "false_positive_rate", "tp", "fn", "fp", "tn"] {
        assert!(overall.get(k).is_some(), "overall lacks {k}: {v}");
    }
    assert!(v["per_type"]["php"]["tp"].as_u64().unwrap() > 0);
    assert!(v["throughput"]["borderscope"]["files"].as_u64().unwrap() > 0);
}

/// An IDS alert naming a webshell, on requests that reached a quiet script,
/// joins the log evidence, and `explain backdoor` shows the signature.
#[test]
fn ids_alert_evidence_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("access.log");
    let mut lines = String::new();
    for minute in [0, 3, 7] {
        lines.push_str(&format!(
            "shop.example 198.51.100.7 - - [01/Jan/2024:10:{minute:02}:00 +0000] \"POST /images/thumb.php HTTP/1.1\" 200 64 \"-\" \"-\"\n"
        ));
    }
    std::fs::write(&log, lines).unwrap();
    let eve = dir.path().join("eve.json");
    std::fs::write(
        &eve,
        "{\"timestamp\":\"2024-01-01T10:03:02.000000+0000\",\"flow_id\":7,\"event_type\":\"alert\",\"src_ip\":\"198.51.100.7\",\"src_port\":50123,\"dest_ip\":\"203.0.113.5\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":1,\"rev\":1,\"signature\":\"ET WEB_SERVER Generic Webshell Command Request\",\"category\":\"Web Application Attack\",\"severity\":1}}\n",
    )
    .unwrap();
    run(
        &store,
        &["ingest", log.to_str().unwrap(), eve.to_str().unwrap()],
    );
    let detect = run(&store, &["detect", "backdoor"]);
    assert!(
        stdout(&detect).starts_with("1 backdoors, 3 backdoor attacks"),
        "{}",
        stdout(&detect)
    );
    let explain = run(
        &store,
        &["explain", "backdoor", "shop.example", "/images/thumb.php"],
    );
    let text = stdout(&explain);
    assert!(text.contains("ids"), "{text}");
    assert!(text.contains("Generic Webshell Command Request"), "{text}");
}
