//! `intel load`, `detect c2`, `explain c2` and `eval c2` end to end.

mod common;

use std::path::Path;

use common::run;

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

/// Sampled NetFlow often keeps only the server's side of a session: a
/// one-way record from the listed server's port to the host's ephemeral one
/// is the host contacting it. A listed address opening connections into the
/// constituency (a bare SYN, or towards a service port) is not.
#[test]
fn a_one_way_reply_from_a_listed_server_is_its_host_but_its_scan_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let conn = dir.path().join("conn.log");
    let mut text = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\thistory\torig_ip_bytes\n".to_string();
    for (server, port, host, host_port, history) in [
        ("185.199.110.50", 443, "10.9.0.8", 51000, "AD"),
        ("185.199.110.51", 51000, "10.9.0.9", 22, "S"),
        ("185.199.110.51", 443, "10.9.0.10", 51001, "S"),
    ] {
        text.push_str(&format!(
            "1700000000.0\t{server}\t{port}\t{host}\t{host_port}\ttcp\t{history}\t1500\n"
        ));
    }
    std::fs::write(&conn, text).unwrap();
    let feed = dir.path().join("c2.txt");
    std::fs::write(&feed, "185.199.110.50\n185.199.110.51\n").unwrap();
    run(&store, &["ingest", "-q", conn.to_str().unwrap()]);
    run(&store, &["intel", "load", feed.to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(&store, "SELECT server, host, port FROM c2_control"),
        vec!["185.199.110.50,10.9.0.8,443"]
    );
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
    assert_eq!(
        csv(&store, "SELECT server, host, allowed_by FROM c2_allowed"),
        vec!["185.199.110.43,10.9.0.6,domain corp-vendor.example"]
    );
}

const FULL_HEADER: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\tconn_state\thistory\torig_ip_bytes\tresp_ip_bytes\n";

/// One answered connection at second `t`, in the `FULL_HEADER` layout.
fn answered(t: u64, host: &str, server: &str, port: u16, service: &str) -> String {
    format!("{t}.0\t{host}\t40000\t{server}\t{port}\ttcp\t{service}\t0.5\tSF\tShADadFf\t400\t900\n")
}

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

/// A label of `len` letters from a simple generator, different for each `i`.
fn generated_label(i: u64, len: usize) -> String {
    let mut x = i
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            char::from(b'a' + (x >> 33) as u8 % 26)
        })
        .collect()
}

const DNS_HEADER: &str = "#separator \\x09\n#set_separator\t,\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\trcode_name\tanswers\n";

fn lookup(t: u64, host: &str, name: &str, rcode: &str, answer: &str) -> String {
    format!("{t}.0\tD{t}\t{host}\t5353\t10.0.0.53\t53\tudp\t{name}\t{rcode}\t{answer}\n")
}

#[test]
fn a_domain_generation_family_resolved_and_contacted_is_control() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let t0 = 1_700_000_000u64;
    let mut dns = DNS_HEADER.to_string();
    for i in 0..12 {
        let name = format!("{}.net", generated_label(i, 9));
        dns.push_str(&lookup(t0 + i, "10.2.0.5", &name, "NXDOMAIN", "-"));
        // A browser's probes under its search domain: one registered label.
        let probe = format!("{}.corp.example.com", generated_label(100 + i, 9));
        dns.push_str(&lookup(t0 + i, "10.2.0.6", &probe, "NXDOMAIN", "-"));
    }
    let found = format!("{}.net", generated_label(99, 9));
    dns.push_str(&lookup(
        t0 + 20,
        "10.2.0.5",
        &found,
        "NOERROR",
        "45.33.50.11",
    ));
    dns.push_str(&lookup(
        t0 + 21,
        "10.2.0.5",
        "news-site.net",
        "NOERROR",
        "45.33.60.12",
    ));
    dns.push_str(&lookup(
        t0 + 22,
        "10.2.0.6",
        "intranet.example.com",
        "NOERROR",
        "45.33.60.13",
    ));
    let mut conn = FULL_HEADER.to_string();
    for (t, host, server) in [
        (t0 + 25, "10.2.0.5", "45.33.50.11"),
        (t0 + 26, "10.2.0.5", "45.33.60.12"),
        (t0 + 27, "10.2.0.6", "45.33.60.13"),
    ] {
        conn.push_str(&answered(t, host, server, 80, "http"));
    }
    std::fs::write(dir.path().join("dns.log"), dns).unwrap();
    std::fs::write(dir.path().join("conn.log"), conn).unwrap();
    run(&store, &["ingest", "-q", dir.path().to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(
            &store,
            "SELECT server, host, array_to_string(evidence, ',') FROM c2_control"
        ),
        vec!["45.33.50.11,10.2.0.5,dga"]
    );
}

#[test]
fn a_fleet_beaconing_to_a_server_few_others_reach_is_fan_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut text = FULL_HEADER.to_string();
    for h in 1..=3 {
        let host = format!("10.3.0.{h}");
        text.push_str(&series(
            &host,
            "45.33.70.13",
            443,
            30,
            120,
            "ssl",
            0.3,
            "SF",
            "ShADadFf",
        ));
        // The same fleet polls a popular service too, as does everyone.
        text.push_str(&series(
            &host,
            "45.33.80.14",
            443,
            30,
            120,
            "ssl",
            0.3,
            "SF",
            "ShADadFf",
        ));
    }
    for h in 10..20 {
        let host = format!("10.3.0.{h}");
        text.push_str(
            &sparse_conn(&host, "45.33.80.14")
                .lines()
                .skip(3)
                .map(|l| {
                    // sparse_conn has fewer columns; widen each line to this header.
                    let f: Vec<&str> = l.split('\t').collect();
                    format!(
                        "{}\t{}\t{}\t{}\t{}\ttcp\tssl\t0.3\tSF\tShADadFf\t{}\t900\n",
                        f[0], f[1], f[2], f[3], f[4], f[6]
                    )
                })
                .collect::<String>(),
        );
    }
    std::fs::write(dir.path().join("conn.log"), text).unwrap();
    run(
        &store,
        &[
            "ingest",
            "-q",
            dir.path().join("conn.log").to_str().unwrap(),
        ],
    );
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(
            &store,
            "SELECT DISTINCT server FROM c2_evidence WHERE kind = 'fan_in'"
        ),
        vec!["45.33.70.13"]
    );
    assert_eq!(
        csv(
            &store,
            "SELECT host FROM c2_control WHERE server = '45.33.70.13' ORDER BY host"
        ),
        vec!["10.3.0.1", "10.3.0.2", "10.3.0.3"]
    );
    assert!(csv(
        &store,
        "SELECT host FROM c2_control WHERE server = '45.33.80.14'"
    )
    .is_empty());
}

#[test]
fn a_fast_flux_name_is_evidence_but_not_control_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let t0 = 1_700_000_000u64;
    let mut dns = DNS_HEADER.to_string();
    // One name answering with addresses in six countries over the period...
    let flux = "5.9.0.1,81.2.69.1,45.33.10.1,202.12.27.33,195.22.4.21,1.1.1.1";
    for (i, answer) in flux.split(',').enumerate() {
        dns.push_str(&lookup(
            t0 + 60 * i as u64,
            "10.4.0.5",
            "cdn-img.example.org",
            "NOERROR",
            answer,
        ));
    }
    // ...and one answering from one country only, like a content network.
    for i in 1..=6 {
        let answer = format!("45.33.10.{i}");
        dns.push_str(&lookup(
            t0 + 60 * i,
            "10.4.0.6",
            "static.example.net",
            "NOERROR",
            &answer,
        ));
    }
    let mut conn = FULL_HEADER.to_string();
    for (t, host, server) in [
        (t0 + 70, "10.4.0.5", "81.2.69.1"),
        (t0 + 130, "10.4.0.6", "45.33.10.2"),
    ] {
        conn.push_str(&answered(t, host, server, 443, "ssl"));
    }
    std::fs::write(dir.path().join("dns.log"), dns).unwrap();
    std::fs::write(dir.path().join("conn.log"), conn).unwrap();
    run(&store, &["ingest", "-q", dir.path().to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(&store, "SELECT host, server, kind FROM c2_evidence"),
        vec!["10.4.0.5,81.2.69.1,fast_flux"]
    );
    assert!(csv(&store, "SELECT server FROM c2_control").is_empty());
}

#[test]
fn ctu50_normal_hosts_are_not_called_infected_and_attackers_not_controllers() {
    for n in ["008", "010", "011"] {
        let Some(capture) =
            borderscope_testdata::shared_data(&format!("zeek/ctu50-normal-attacked-{n}/data"))
        else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let o = run(
            &dir.path().join("unused"),
            &[
                "--internal",
                "147.32.0.0/16",
                "eval",
                "c2",
                "--json",
                capture.to_str().unwrap(),
            ],
        );
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // Regression thresholds for docs/accuracy.md's figures.
        assert_eq!(r["hosts"]["false_positives"], 0, "{n}: {r}");
        assert_eq!(r["servers"]["false_positives"], 0, "{n}: {r}");
        assert_eq!(r["hosts_windowed"]["fpr"], 0.0, "{n}: {r}");
    }
}

#[test]
fn flows_into_a_listed_network_match_its_indicator() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let conn = dir.path().join("conn.log");
    let text = [
        sparse_conn("10.9.1.5", "185.199.111.77"),
        sparse_conn("10.9.1.6", "185.199.112.77")
            .lines()
            .skip(3)
            .map(|l| format!("{l}\n"))
            .collect(),
    ]
    .concat();
    std::fs::write(&conn, text).unwrap();
    let feed = dir.path().join("c2-nets.txt");
    std::fs::write(&feed, "# A bulletproof host\n185.199.111.0/24\n").unwrap();
    run(&store, &["ingest", "-q", conn.to_str().unwrap()]);
    run(&store, &["intel", "load", feed.to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    assert_eq!(
        csv(&store, "SELECT server, host FROM c2_control"),
        vec!["185.199.111.77,10.9.1.5"]
    );
    assert_eq!(
        csv(
            &store,
            "SELECT ip_in_network('185.199.111.9', '185.199.111.0/24'), \
                    ip_in_network('185.199.112.9', '185.199.111.0/24'), \
                    ip_in_network('not an address', '185.199.111.0/24') IS NULL"
        ),
        vec!["true,false,true"]
    );
}

#[test]
fn a_handful_of_unanswered_attempts_is_not_retries_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("conn.log");
    let text = [
        FULL_HEADER.to_string(),
        series("10.1.0.9", "45.33.50.20", 4445, 6, 60, "-", 3.0, "S0", "S"),
    ]
    .concat();
    std::fs::write(&log, text).unwrap();
    run(&store, &["ingest", "-q", log.to_str().unwrap()]);
    run(&store, &["detect", "c2"]);
    // Regular enough to be a beacon, too short for its failures to mean more
    // than a dead peer or a blocked port.
    assert_eq!(csv(&store, "SELECT kind FROM c2_evidence"), vec!["beacon"]);
    assert!(csv(&store, "SELECT server FROM c2_control").is_empty());
}
