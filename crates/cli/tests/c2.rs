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

const FULL_HEADER: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\tconn_state\thistory\torig_ip_bytes\tresp_ip_bytes\n";

/// `n` connections from `host` to `server:port`, one every `period` seconds
/// with a little jitter, each with the given Zeek service, duration, state
/// and history.
#[allow(clippy::too_many_arguments)]
fn series(
    host: &str,
    server: &str,
    port: u16,
    n: u64,
    period: u64,
    service: &str,
    duration: f64,
    state: &str,
    history: &str,
) -> String {
    (0..n)
        .map(|i| {
            let jitter = (i * 7919 % 5) as f64 * 0.3;
            format!(
                "{:.1}\t{host}\t{}\t{server}\t{port}\ttcp\t{service}\t{duration}\t{state}\t{history}\t{}\t{}\n",
                1_700_000_000.0 + (i * period) as f64 + jitter,
                40000 + i,
                320 + i % 3,
                if state == "S0" { 0 } else { 900 },
            )
        })
        .collect()
}

#[test]
fn a_beacon_alone_is_evidence_and_needs_a_second_kind_to_be_control() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("conn.log");
    let text = [
        FULL_HEADER.to_string(),
        // A polite poller: answered TLS every five minutes.
        series(
            "10.1.0.5",
            "45.33.10.7",
            443,
            30,
            300,
            "ssl",
            0.4,
            "SF",
            "ShADadFf",
        ),
        // An implant retrying an unanswering controller on an odd port.
        series("10.1.0.6", "45.33.20.8", 4444, 30, 60, "-", 3.0, "S0", "S"),
        // Keep-alives inside one long connection: not separate connections.
        series("10.1.0.7", "45.33.30.9", 443, 30, 60, "-", 0.0, "OTH", "A"),
        // A long-poll: each session held until the next one starts.
        series(
            "10.1.0.8",
            "45.33.40.10",
            443,
            30,
            300,
            "ssl",
            295.0,
            "SF",
            "ShADadFf",
        ),
    ]
    .concat();
    std::fs::write(&log, text).unwrap();
    run(&store, &["ingest", "-q", log.to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(&store, "SELECT server, host FROM c2_control"),
        vec!["45.33.20.8,10.1.0.6"]
    );
    assert_eq!(
        csv(
            &store,
            "SELECT server, kind FROM c2_evidence ORDER BY server, kind"
        ),
        vec![
            "45.33.10.7,beacon",
            "45.33.20.8,beacon",
            "45.33.20.8,opaque",
            "45.33.20.8,retries"
        ]
    );
    run(&store, &["detect", "c2", "--beacon-alone"]);
    assert_eq!(
        csv(&store, "SELECT server FROM c2_control ORDER BY server"),
        vec!["45.33.10.7", "45.33.20.8"]
    );
}
