//! The `borderscope` binary end to end, as an analyst runs it.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_borderscope"));
    c.env_remove("BORDERSCOPE_STORE")
        .env_remove("BORDERSCOPE_MMDB");
    c
}

fn run(args: &[&str], store: &Path) -> Output {
    bin().arg("--store").arg(store).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn conn_log(rows: usize) -> String {
    let mut s = String::from(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
         #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_ip_bytes\tresp_ip_bytes\n",
    );
    for i in 0..rows {
        s.push_str(&format!(
            "{}.25\tC{i}\t10.1.{}.{}\t{}\t8.8.{}.8\t53\tudp\t{}\t{}\n",
            1_700_000_000 + i / 10,
            i / 250 % 250,
            i % 250,
            1024 + i % 60000,
            i % 4,
            60 + i % 7,
            120 + i % 11
        ));
    }
    s
}

fn count_flows(store: &Path) -> i64 {
    let o = run(
        &[
            "query",
            "--format",
            "csv",
            "SELECT COUNT(*) AS n FROM flows",
        ],
        store,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    stdout(&o).lines().nth(1).unwrap().trim().parse().unwrap()
}

#[test]
fn the_sample_ingests_with_its_broken_rows_quarantined_and_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/telemetry");
    let o = run(&["ingest", "--quiet", sample], &store);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["summary"], &store);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    for want in [
        "Rows per table",
        "Top talkers",
        "Countries of flow endpoints",
        "Quarantined rows",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // The sample has two broken conn rows and a cut-off EVE line.
    let q = run(
        &[
            "query",
            "--format",
            "csv",
            "SELECT COUNT(*) FROM quarantine",
        ],
        &store,
    );
    assert_eq!(stdout(&q).lines().nth(1), Some("3"), "{}", stdout(&q));
    // Countries come from the built-in registry data: the sample talks to US servers.
    assert!(out.contains("US"), "{out}");
}

#[test]
fn ingest_prints_a_per_file_summary_and_reingest_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("conn.log");
    std::fs::write(&log, conn_log(1000)).unwrap();
    let o = run(&["ingest", log.to_str().unwrap()], &store);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("1000 rows stored"), "{out}");
    // stderr is a pipe here: no progress bar is drawn into it.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("rows/s") && !err.contains('\r'), "{err}");
    let o = run(&["ingest", log.to_str().unwrap()], &store);
    assert!(o.status.success());
    assert!(stdout(&o).contains("already ingested"), "{}", stdout(&o));
    assert_eq!(count_flows(&store), 1000);
}

#[test]
fn query_writes_csv_and_json_and_reports_bad_sql_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let log = dir.path().join("conn.log");
    std::fs::write(&log, conn_log(20)).unwrap();
    assert!(run(&["ingest", "-q", log.to_str().unwrap()], &store)
        .status
        .success());
    let sql = "SELECT dst_ip, ip_country(dst_ip) AS cc, COUNT(*) AS n FROM flows GROUP BY 1, 2 ORDER BY 1";
    let json = stdout(&run(&["query", "--format", "json", sql], &store));
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["dst_ip"], "8.8.0.8");
    assert_eq!(first["cc"], "US");
    assert_eq!(first["n"], 5);
    let csv = stdout(&run(&["query", "--format", "csv", sql], &store));
    assert_eq!(csv.lines().next(), Some("dst_ip,cc,n"));
    let bad = run(&["query", "SELECT nope FROM flows"], &store);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nope"));
}

#[test]
fn querying_a_missing_store_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["query", "SELECT 1"], &dir.path().join("absent"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no borderscope store"));
}

#[test]
fn geo_lookup_answers_public_addresses_and_none_for_private_ones() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "geo",
            "lookup",
            "--json",
            "8.8.8.8",
            "10.1.2.3",
            "2001:db8::1",
        ],
        &dir.path().join("s"),
    );
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["country"], "US");
    assert_eq!(rows[1]["country"], serde_json::Value::Null);
    assert_eq!(rows[1]["reserved"], true);
    assert_eq!(rows[2]["country"], serde_json::Value::Null);
    let bad = run(&["geo", "lookup", "not-an-ip"], &dir.path().join("s"));
    assert!(!bad.status.success());
}

#[test]
fn geo_lookup_uses_mmdb_files_given_on_the_command_line() {
    let Some(mmdb) = borderscope_testdata::shared_data("geo/maxmind-test/GeoLite2-ASN-Test.mmdb")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // 1.128.0.0/11 is AS1221 Telstra in MaxMind's ASN test data.
    let o = bin()
        .args([
            "--store",
            dir.path().to_str().unwrap(),
            "--mmdb",
            mmdb.to_str().unwrap(),
        ])
        .args(["geo", "lookup", "--json", "1.128.0.1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let row: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(row["asn"], 1221);
}

/// Kills an ingest at several moments with SIGKILL: each time the store must
/// hold either nothing or everything of the batch, and a final ingest must
/// complete with exact counts.
#[test]
fn killing_an_ingest_at_any_moment_leaves_the_store_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let rows = 150_000;
    std::fs::write(data.join("a-conn.log"), conn_log(rows)).unwrap();
    std::fs::write(data.join("b-dns.log"), "{\"ts\":1.0,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"10.0.0.2\",\"query\":\"x.example\",\"qtype_name\":\"A\"}\n").unwrap();
    // Create the store first so every kill lands inside the ingest proper.
    assert!(run(
        &["ingest", "-q", dir.path().join("nothing").to_str().unwrap()],
        &store
    )
    .status
    .code()
    .is_some());
    let mut outcomes = Vec::new();
    for delay_ms in [150u64, 400, 800, 1300, 2000, 3000, 4500] {
        let mut child = bin()
            .args([
                "--store",
                store.to_str().unwrap(),
                "ingest",
                "-q",
                data.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        let n = count_flows(&store);
        assert!(
            n == 0 || n == rows as i64,
            "after a kill at {delay_ms} ms the store holds {n} flows"
        );
        outcomes.push((delay_ms, finished, n));
        if n == rows as i64 {
            break;
        }
    }
    eprintln!("kills (delay ms, finished before the kill, flows seen): {outcomes:?}");
    // Whatever the kills left, one more ingest completes the store exactly.
    let o = run(&["ingest", "-q", data.to_str().unwrap()], &store);
    assert!(
        o.status.success(),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(count_flows(&store), rows as i64, "{outcomes:?}");
    let q = run(
        &["query", "--format", "csv", "SELECT COUNT(*) FROM dns"],
        &store,
    );
    assert_eq!(stdout(&q).lines().nth(1), Some("1"));
}

/// On a terminal the ingest shows its progress with a rows/s rate. `script`
/// (util-linux) gives the command a pseudo-terminal, as an analyst's shell would.
#[test]
fn ingest_shows_rows_per_second_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("conn.log");
    std::fs::write(&log, conn_log(300_000)).unwrap();
    let cmd = format!(
        "{} --store {} ingest {}",
        env!("CARGO_BIN_EXE_borderscope"),
        dir.path().join("store").display(),
        log.display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("`script` from util-linux (bsdutils) is needed; .ci/run installs it");
    let all = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{all}");
    assert!(
        all.contains("rows/s"),
        "no progress line on a terminal:\n{all}"
    );
}
