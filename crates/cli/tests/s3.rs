//! A store on an S3-compatible object store: the same answers as a local
//! store, embedded and on a Ballista cluster, and clear errors when the
//! bucket, the credentials or the writer lock stand in the way.
//!
//! The object store is moto's S3 server (`moto_server`, from PyPI's
//! `moto[server]`, which `.ci/run` installs), started by each test on a
//! free port of 127.0.0.1. Without it the tests are skipped with a printed
//! reason, except under `CI=true`, where they fail.

// `common::run` takes no environment; this file has its own.
#[path = "common/cluster.rs"]
mod cluster_support;
#[allow(dead_code)]
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use cluster_support::{free_port, Cluster};
use common::bin;

/// 2023-11-14T22:13:20Z.
const T0: u64 = 1_700_000_000;
const HEADER: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_ip_bytes\n";

/// A moto S3 server of this test, stopped when the test ends.
struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Moto {
    /// Starts `moto_server` with `env` on a free port, or `None` (skip)
    /// when it is not installed outside CI.
    fn start(dir: &Path, env: &[(&str, &str)]) -> Option<Moto> {
        let exe = borderscope_testdata::external_tool("moto_server")?;
        let port = free_port();
        let log = dir.join(format!("moto-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        let mut moto = Moto { child, port, log };
        // Until it listens or exits: a loaded machine can take minutes to
        // start Python, and a server that cannot start says why in its log.
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(moto);
            }
            if let Some(status) = moto.child.try_wait().unwrap() {
                panic!("moto_server exited ({status}):\n{}", moto.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An unsigned HTTP request to the server (moto takes unsigned PUTs
    /// unless it checks credentials); returns the status code.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> u16 {
        let answer = self.exchange(method, path, body);
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
    }

    /// The keys under `prefix` in `bucket` (an unsigned ListObjectsV2).
    fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let answer = self.exchange(
            "GET",
            &format!("/{bucket}?list-type=2&prefix={prefix}"),
            b"",
        );
        assert!(answer.contains("ListBucketResult"), "{answer}");
        answer
            .split("<Key>")
            .skip(1)
            .filter_map(|k| k.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    /// The server's whole answer to one request.
    fn exchange(&self, method: &str, path: &str, body: &[u8]) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    }

    fn create_bucket(&self, bucket: &str) {
        let status = self.request("PUT", &format!("/{bucket}"), b"");
        assert_eq!(status, 200, "creating bucket {bucket}:\n{}", self.logs());
    }

    /// The AWS settings every borderscope process of a test gets.
    fn env(&self, key: &str) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), key.into()),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                "borderscope-test-secret".into(),
            ),
            ("AWS_REGION".into(), "us-east-1".into()),
            (
                "AWS_ENDPOINT_URL".into(),
                format!("http://127.0.0.1:{}", self.port),
            ),
            ("AWS_ALLOW_HTTP".into(), "true".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `borderscope --store STORE ARGS` with `env`, whatever its outcome.
fn output(env: &[(String, String)], store: &str, args: &[&str]) -> Output {
    bin()
        .envs(pairs(env))
        .args(["--store", store])
        .args(args)
        .output()
        .unwrap()
}

/// [`output`] of a command that must succeed; its stdout.
fn run(env: &[(String, String)], store: &str, args: &[&str]) -> String {
    let o = output(env, store, args);
    assert!(
        o.status.success(),
        "{store} {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// [`output`] of a command that must fail cleanly; its stderr.
fn fails(env: &[(String, String)], store: &str, args: &[&str]) -> String {
    let o = output(env, store, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        !o.status.success(),
        "{store} {args:?} succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        err.starts_with("error:") && !err.contains("panicked"),
        "{err}"
    );
    err
}

/// A detector's stdout without its batch id, which is random by design.
fn without_batch_id(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("stored as batch "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_store_on_s3_reports_as_a_local_one_embedded_and_on_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let Some(moto) = Moto::start(dir.path(), &[]) else {
        return;
    };
    moto.create_bucket("borderscope");
    let env = moto.env("borderscope-test");
    let local = dir.path().join("local");
    let local = local.to_str().unwrap();
    // Two stores on S3, for detection embedded and on the cluster: the
    // report names the store's table versions, which a second detection
    // in the same store would advance.
    let s3 = "s3://borderscope/stores/embedded";
    let s3_cluster = "s3://borderscope/stores/clustered";
    let world = dir.path().join("world");
    let w = world.to_str().unwrap();
    let global = ["--country", "CN"];

    run(
        &env,
        local,
        &["simulate", "--out", w, "--scale", "small", "--quiet"],
    );
    let loads: [&[&str]; 3] = [
        &["ingest", "--quiet", &format!("{w}/telemetry")],
        &[
            "intel",
            "load",
            &format!("{w}/feeds/feodo.csv"),
            &format!("{w}/feeds/c2-domains.txt"),
        ],
        &["phish", "load", &format!("{w}/feeds/phishtank.csv")],
    ];
    for store in [local, s3, s3_cluster] {
        for args in loads {
            run(&env, store, args);
        }
    }
    // Idempotent on S3 too, and the writer lock of the runs above is gone.
    let again = run(&env, s3, &["ingest", &format!("{w}/telemetry")]);
    assert!(again.contains("nothing new to ingest"), "{again}");

    let report = [
        "report",
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
        "--format",
        "json",
    ];
    let on = |store: &str, cluster: Option<&str>, args: &[&str]| {
        let mut all: Vec<&str> = Vec::new();
        if let Some(url) = cluster {
            all.extend(["--cluster", url]);
        }
        all.extend(global);
        all.extend(args);
        run(&env, store, &all)
    };
    let detectors = ["c2", "backdoor", "phishing"];
    let expected: Vec<String> = detectors
        .iter()
        .map(|d| without_batch_id(&on(local, None, &["detect", d])))
        .collect();
    let expected_report = on(local, None, &report);
    let r: serde_json::Value = serde_json::from_str(&expected_report).unwrap();
    for figure in ["c2_servers", "phishing_pages", "backdoor_websites"] {
        assert!(
            r["figures"][figure].as_u64().unwrap_or(0) > 0,
            "the simulated world should give {figure}: {}",
            r["figures"]
        );
    }
    let count = "SELECT COUNT(*) AS n, COUNT(DISTINCT src_ip) AS hosts FROM flows";
    let expected_count = on(local, None, &["query", "--format", "csv", count]);

    // Embedded, on S3.
    for (d, want) in detectors.iter().zip(&expected) {
        let got = without_batch_id(&on(s3, None, &["detect", d]));
        assert_eq!(want, &got, "detect {d} on S3 differs from the local store");
    }
    assert_eq!(
        expected_report,
        on(s3, None, &report),
        "report on S3 differs from the local store"
    );

    // On a cluster whose processes reach S3 with the same settings.
    let cluster = Cluster::start_in_env(dir.path(), &pairs(&env), &global, 2, &[], &[]);
    let url = Some(cluster.url.as_str());
    for (d, want) in detectors.iter().zip(&expected) {
        let got = without_batch_id(&on(s3_cluster, url, &["detect", d]));
        assert_eq!(
            want,
            &got,
            "detect {d} on S3 and the cluster differs from the local store\n{}",
            cluster.processes.logs()
        );
    }
    assert_eq!(
        expected_count,
        on(s3_cluster, url, &["query", "--format", "csv", count]),
        "query on S3 and the cluster"
    );
    assert_eq!(
        expected_report,
        on(s3_cluster, url, &report),
        "report on S3 and the cluster differs from the local store\n{}",
        cluster.processes.logs()
    );
    // The detections staged results as objects beside the tables, and
    // deleted them when they ended.
    assert!(!moto
        .keys("borderscope", "stores/clustered/tables/")
        .is_empty());
    let left = moto.keys("borderscope", "stores/clustered/staging/");
    assert!(left.is_empty(), "staged objects were left: {left:?}");
}

#[test]
fn a_missing_bucket_a_missing_store_and_a_held_lock_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let Some(moto) = Moto::start(dir.path(), &[]) else {
        return;
    };
    moto.create_bucket("borderscope");
    let env = moto.env("borderscope-test");
    let conn = dir.path().join("conn.log");
    std::fs::write(
        &conn,
        format!("{HEADER}{T0}.0\t10.0.0.1\t5000\t23.1.2.3\t443\ttcp\t100\n"),
    )
    .unwrap();
    let conn = conn.to_str().unwrap();

    let err = fails(&env, "s3://no-such-bucket/store", &["ingest", conn]);
    assert!(
        err.contains("s3://no-such-bucket/store/") && err.contains("bucket `no-such-bucket`"),
        "{err}"
    );
    let err = fails(&env, "s3://no-such-bucket/store", &["summary"]);
    assert!(err.contains("bucket `no-such-bucket`"), "{err}");
    let err = fails(&env, "s3://borderscope/absent", &["summary"]);
    assert!(
        err.contains("no borderscope store at s3://borderscope/absent/"),
        "{err}"
    );
    let err = fails(&env, "gs://borderscope/store", &["summary"]);
    assert!(
        err.contains("gs:// object stores are not supported"),
        "{err}"
    );

    // A writer that died holding the lock: the next one is refused with
    // who holds it and how to clear it. (moto refuses unsigned deletes, so
    // the test cannot clear it the way an operator would.)
    let store = "s3://borderscope/locked";
    run(&env, store, &["ingest", conn]);
    let holder = br#"{"host":"sensor-7","pid":4242,"since":"2026-01-01T00:00:00+00:00"}"#;
    assert_eq!(
        moto.request("PUT", "/borderscope/locked/.writer.lock", holder),
        200
    );
    let other = dir.path().join("other.log");
    std::fs::write(
        &other,
        format!("{HEADER}{T0}.0\t10.0.0.2\t5000\t23.1.2.3\t443\ttcp\t100\n"),
    )
    .unwrap();
    let other = other.to_str().unwrap();
    let err = fails(&env, store, &["ingest", other]);
    assert!(
        err.contains("process 4242 on sensor-7")
            && err.contains("delete s3://borderscope/locked/.writer.lock"),
        "{err}"
    );
    // Nothing of the refused ingest reached the store.
    let n = run(
        &env,
        store,
        &[
            "query",
            "--format",
            "csv",
            "SELECT COUNT(*) AS n FROM flows",
        ],
    );
    assert_eq!(n.trim(), "n\n1", "{n}");
}

#[test]
fn wrong_credentials_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // moto checks credentials after this many requests: the bucket's
    // creation goes through, every request of borderscope is checked.
    let Some(moto) = Moto::start(dir.path(), &[("INITIAL_NO_AUTH_ACTION_COUNT", "1")]) else {
        return;
    };
    moto.create_bucket("borderscope");
    let env = moto.env("AKIA-NOT-A-KEY");
    let err = fails(&env, "s3://borderscope/store", &["summary"]);
    assert!(
        err.contains("access to bucket `borderscope` was refused")
            && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
}
