//! `intel load`, `detect c2`, `explain c2` and `eval c2` end to end.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_borderscope"));
    c.env_remove("BORDERSCOPE_STORE")
        .env_remove("BORDERSCOPE_MMDB")
        .env_remove("BORDERSCOPE_INTERNAL");
    c
}

fn run(store: &Path, args: &[&str]) -> Output {
    let o = bin().arg("--store").arg(store).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn csv(store: &Path, sql: &str) -> Vec<String> {
    let o = run(store, &["query", "--format", "csv", sql]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

const HEADER: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_ip_bytes\n";

/// A few irregular connections from one host to one public server.
fn sparse_conn(host: &str, server: &str) -> String {
    let mut s = HEADER.to_string();
    for (i, t) in [0u64, 7, 95, 1300, 1310, 4000].iter().enumerate() {
        s.push_str(&format!(
            "{}.0\t{host}\t{}\t{server}\t443\ttcp\t{}\n",
            1_700_000_000 + t,
            50000 + i,
            300 + i * 97
        ));
    }
    s
}

#[test]
fn an_intel_listed_server_and_its_host_become_a_control_finding() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, sparse_conn("10.9.0.5", "185.199.110.42")).unwrap();
    let feed = dir.path().join("c2.txt");
    std::fs::write(&feed, "# Test campaign\n185.199.110.42\nbad.example\n").unwrap();
    run(&store, &["ingest", "-q", conn.to_str().unwrap()]);
    let o = run(&store, &["intel", "load", feed.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 indicators loaded"));
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(
            &store,
            "SELECT server, host, array_to_string(evidence, ';') FROM c2_control"
        ),
        vec!["185.199.110.42,10.9.0.5,intel"]
    );
    let o = run(&store, &["explain", "c2", "185.199.110.42"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Test campaign"), "{text}");
    assert!(text.contains("Flows behind it"), "{text}");
}

#[test]
fn ids_command_and_control_alerts_are_evidence_and_other_alerts_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let eve = dir.path().join("eve.json");
    let alert = |src: &str, dst: &str, sig: &str, cat: &str| {
        format!(
            "{{\"timestamp\":\"2025-01-01T00:00:00.000000+0000\",\"event_type\":\"alert\",\"src_ip\":\"{src}\",\"src_port\":50000,\"dest_ip\":\"{dst}\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{{\"signature_id\":1,\"signature\":\"{sig}\",\"category\":\"{cat}\",\"severity\":1}}}}\n"
        )
    };
    let text = [
        alert(
            "10.9.0.6",
            "185.199.110.43",
            "ET MALWARE Win32/Example CnC Checkin",
            "A Network Trojan was detected",
        ),
        alert(
            "185.199.110.44",
            "10.9.0.7",
            "ET SCAN Nmap probe",
            "Attempted Information Leak",
        ),
    ]
    .concat();
    std::fs::write(&eve, text).unwrap();
    run(&store, &["ingest", "-q", eve.to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(&store, "SELECT server, host FROM c2_control"),
        vec!["185.199.110.43,10.9.0.6"]
    );
}

#[test]
fn njrat_controller_and_infected_host_are_found_with_no_false_positive() {
    let Some(capture) =
        borderscope_testdata::shared_data("zeek/njrat-ctu-malware-230-1/labeled-conn.log")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &dir.path().join("unused"),
        &["eval", "c2", "--json", capture.to_str().unwrap()],
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Regression thresholds for docs/accuracy.md's figures.
    assert_eq!(r["hosts"]["precision"], 1.0, "{r}");
    assert_eq!(r["hosts"]["recall"], 1.0, "{r}");
    assert_eq!(r["hosts_windowed"]["f1"], 1.0, "{r}");
    assert_eq!(r["servers"]["precision"], 1.0, "{r}");
    assert_eq!(r["servers"]["false_positives"], 0, "{r}");
    // The labels also mark four TLS sessions to large web services as CC.
    assert!(r["servers"]["true_positives"].as_u64().unwrap() >= 1, "{r}");
}

#[test]
fn allow_listed_services_are_kept_out_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let eve = dir.path().join("eve.json");
    let alert = "{\"timestamp\":\"2025-01-01T00:00:00.000000+0000\",\"event_type\":\"alert\",\"src_ip\":\"10.9.0.6\",\"src_port\":50000,\"dest_ip\":\"185.199.110.43\",\"dest_port\":443,\"proto\":\"TCP\",\"alert\":{\"signature_id\":1,\"signature\":\"ET MALWARE Example CnC Checkin\",\"category\":\"A Network Trojan was detected\",\"severity\":1}}\n";
    let tls = "{\"timestamp\":\"2025-01-01T00:00:00.000000+0000\",\"event_type\":\"tls\",\"src_ip\":\"10.9.0.6\",\"src_port\":50001,\"dest_ip\":\"185.199.110.43\",\"dest_port\":443,\"proto\":\"TCP\",\"tls\":{\"sni\":\"updates.corp-vendor.example\"}}\n";
    std::fs::write(&eve, [alert, tls].concat()).unwrap();
    let allow = dir.path().join("allow.txt");
    std::fs::write(&allow, "domain corp-vendor.example  # our vendor\n").unwrap();
    run(&store, &["ingest", "-q", eve.to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(&store, "SELECT server FROM c2_control"),
        vec!["185.199.110.43"]
    );
    let o = run(
        &store,
        &["detect", "c2", "--allowlist", allow.to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("1 pairs kept out"), "{text}");
    assert!(text.contains("domain corp-vendor.example"), "{text}");
    assert!(csv(&store, "SELECT server FROM c2_control").is_empty());
}
