//! `simulate` end to end: the small world through `ingest`, `intel load`,
//! `detect c2` and `detect backdoor`, compared with what was planted and
//! what truth.json counts. Every gap is printed (run with `--nocapture`);
//! the assertions are the evidence the detectors are documented to act on.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::run;

/// `borderscope query --format csv`, without the header.
fn csv(store: &Path, sql: &str) -> Vec<Vec<String>> {
    let o = run(store, &["--country", "CN", "query", "--format", "csv", sql]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// A planted list as rows of named fields.
fn planted(world: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(world.join("planted").join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn figure(truth: &serde_json::Value, k: &str) -> u64 {
    truth["figures"][k].as_u64().unwrap()
}

#[test]
fn the_small_world_through_ingest_and_the_detectors() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    let store = dir.path().join("store");
    let w = world.to_str().unwrap();
    run(
        &store,
        &["simulate", "--out", w, "--scale", "small", "--quiet"],
    );
    let o = run(&store, &["ingest", "--quiet", &format!("{w}/telemetry")]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(" 0 rejected"), "{text}");
    run(
        &store,
        &[
            "intel",
            "load",
            &format!("{w}/feeds/feodo.csv"),
            &format!("{w}/feeds/c2-domains.txt"),
        ],
    );
    run(&store, &["--country", "CN", "detect", "c2"]);
    run(&store, &["detect", "backdoor"]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(world.join("truth.json")).unwrap()).unwrap();
    control_servers(&store, &world, &truth);
    backdoors(&store, &world, &truth);
}

fn control_servers(store: &Path, world: &Path, truth: &serde_json::Value) {
    let servers = planted(world, "c2_servers.csv");
    let counted: BTreeMap<&str, &BTreeMap<String, String>> = servers
        .iter()
        .filter(|s| s["counted"] == "true")
        .map(|s| (s["ip"].as_str(), s))
        .collect();
    assert_eq!(counted.len() as u64, figure(truth, "c2_servers"));
    let found: BTreeMap<String, String> = csv(
        store,
        "SELECT ip, array_to_string(evidence, ';') FROM c2_servers WHERE ip_country(ip) <> 'CN' ORDER BY ip",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone()))
    .collect();
    let hosts = csv(
        store,
        "SELECT COUNT(DISTINCT host) FROM c2_control WHERE ip_country(server) <> 'CN' AND ip_country(host) = 'CN'",
    );
    println!(
        "control servers: truth {}, found {}; controlled hosts: truth {}, found {}",
        counted.len(),
        found.len(),
        figure(truth, "c2_hosts"),
        hosts[0][0]
    );
    let mut missed_by_family: BTreeMap<&str, usize> = BTreeMap::new();
    for (ip, s) in &counted {
        match found.get(*ip) {
            Some(evidence) => println!("  found  {ip} {} ({evidence})", s["family"]),
            None => {
                println!("  MISSED {ip} {} listed={}", s["family"], s["listed"]);
                *missed_by_family.entry(s["family"].as_str()).or_default() += 1;
            }
        }
    }
    let planted_ips: BTreeSet<&str> = servers.iter().map(|s| s["ip"].as_str()).collect();
    let false_positives: Vec<(&String, &String)> = found
        .iter()
        .filter(|(ip, _)| !planted_ips.contains(ip.as_str()))
        .collect();
    for (ip, evidence) in &false_positives {
        println!("  FALSE POSITIVE {ip} ({evidence})");
    }
    println!("  missed by family: {missed_by_family:?}");
    // Intel is enough alone: every counted server the Feodo feed lists
    // is found, and every server found with intel evidence is planted.
    for (ip, s) in &counted {
        if s["listed"] == "true" {
            assert!(
                found.contains_key(*ip),
                "listed server {ip} ({}) not found",
                s["family"]
            );
        }
    }
    for (ip, evidence) in &found {
        if evidence.contains("intel") {
            assert!(
                planted_ips.contains(ip.as_str()),
                "intel finding {ip} is not a planted server"
            );
        }
    }
    // The controller inside the target is never a cross-border finding.
    for s in servers.iter().filter(|s| s["cross_border"] == "false") {
        assert!(
            !found.contains_key(&s["ip"]),
            "domestic controller {} found",
            s["ip"]
        );
    }
}

fn backdoors(store: &Path, world: &Path, truth: &serde_json::Value) {
    let shells = planted(world, "backdoors.csv");
    let found: BTreeMap<(String, String), String> = csv(
        store,
        "SELECT b.site, b.path, array_to_string(b.evidence, ';') FROM backdoors b ORDER BY 1, 2",
    )
    .into_iter()
    .map(|r| ((r[0].clone(), r[1].clone()), r[2].clone()))
    .collect();
    let implanters: BTreeMap<(String, String), String> = csv(
        store,
        "SELECT site, path, COALESCE(ip, '-') FROM backdoor_implanters ORDER BY 1, 2",
    )
    .into_iter()
    .map(|r| ((r[0].clone(), r[1].clone()), r[2].clone()))
    .collect();
    let counted: Vec<&BTreeMap<String, String>> =
        shells.iter().filter(|s| s["counted"] == "true").collect();
    let attacks = csv(
        store,
        "SELECT COUNT(*) FROM backdoor_attacks a WHERE ip_country(a.attacker_ip) <> 'CN'",
    );
    println!(
        "webshells: planted {}, counted {}, found {}; backdoor attacks from abroad: truth {}, found {}",
        shells.len(),
        counted.len(),
        found.len(),
        figure(truth, "backdoor_attacks"),
        attacks[0][0]
    );
    let mut hit = 0;
    for s in &shells {
        let key = (s["site"].clone(), s["path"].clone());
        let status = match found.get(&key) {
            Some(evidence) => {
                hit += usize::from(s["counted"] == "true");
                format!(
                    "found ({evidence}), implanter {}",
                    implanters.get(&key).map_or("-", |s| s)
                )
            }
            None => "MISSED".to_string(),
        };
        println!(
            "  {status:<60} {}{} {:?} by {} uploaded={} scanned_first={} counted={}",
            s["site"],
            s["path"],
            s["style"],
            s["implanter"],
            s["uploaded"],
            s["scanned_first"],
            s["counted"]
        );
        // Whoever the detector names as implanter is the planted one.
        if let Some(ip) = implanters.get(&key) {
            if s["counted"] == "true" && ip != "-" {
                assert_eq!(
                    ip, &s["implanter"],
                    "implanter of {}{}",
                    s["site"], s["path"]
                );
            }
        }
        // Commands in the query from a client that is not scanning the
        // site are evidence enough alone.
        if s["style"] == "Command" && s["scanned_first"] == "false" {
            assert!(
                found.contains_key(&key),
                "command webshell {}{} not found",
                s["site"],
                s["path"]
            );
        }
    }
    let planted_keys: BTreeSet<(String, String)> = shells
        .iter()
        .map(|s| (s["site"].clone(), s["path"].clone()))
        .collect();
    for key in found.keys().filter(|k| !planted_keys.contains(*k)) {
        println!("  FALSE POSITIVE {}{}", key.0, key.1);
    }
    println!("  counted webshells found: {hit} of {}", counted.len());
}
