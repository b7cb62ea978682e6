//! `borderscope report` end to end: a small world with control servers in
//! two countries, a backdoored website, and (in most tests) a phishing
//! domain imitating a Chinese brand, hosted in the US and looked up from
//! China.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{bin, run};
use serde_json::Value;

const HEADER: &str = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_ip_bytes\n";

// Addresses whose registry countries the test checks before relying on them.
const US_SERVER: &str = "23.1.2.3";
const DE_SERVER: &str = "5.1.130.5";
const UNLISTED: &str = "23.1.2.99";
const CN_HOSTS: [&str; 4] = ["1.0.8.10", "1.0.8.11", "1.0.8.12", "1.0.8.13"];
/// A host the sensor sees behind NAT: the target's own by default.
const PRIVATE_HOST: &str = "10.9.0.5";
const RU_ATTACKER: &str = "5.2.33.7";
/// Hosts an imitation of a Chinese brand (Alipay) and one of a US brand.
const US_PHISHING_HOST: &str = "23.1.2.60";
const ALIPAY_LOOKALIKE: &str = "alipay-account-verify.com";
const PAYPAL_LOOKALIKE: &str = "paypal-account-verify.com";
/// 2023-11-14T22:13:20Z.
const T0: u64 = 1_700_000_000;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn conn_rows(host: &str, server: &str, out: &mut String) {
    for (i, t) in [0u64, 7, 95, 1300, 1310, 4000].iter().enumerate() {
        out.push_str(&format!(
            "{}.0\t{host}\t{}\t{server}\t443\ttcp\t{}\n",
            T0 + t,
            50000 + i,
            300 + i * 97
        ));
    }
}

/// A Zeek dns.log of A look-ups `(seconds after T0, client, name)`, each
/// answered with `US_PHISHING_HOST`.
fn dns_log(lookups: &[(u64, &str, &str)]) -> String {
    let mut log = "#separator \\x09\n#set_separator\t,\n#path\tdns\n\
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\n\
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tstring\tvector[string]\n"
        .to_string();
    for (dt, client, name) in lookups {
        log.push_str(&format!(
            "{}.0\tD{dt}\t{client}\t53000\t8.8.8.8\t53\tudp\t{name}\tA\tNOERROR\t{US_PHISHING_HOST}\n",
            T0 + dt
        ));
    }
    log
}

struct World {
    _dir: tempfile::TempDir,
    store: PathBuf,
    constituency: PathBuf,
}

impl World {
    fn report(&self, args: &[&str]) -> Output {
        let mut all = vec![
            "--constituency",
            self.constituency.to_str().unwrap(),
            "report",
        ];
        all.extend_from_slice(args);
        run(&self.store, &all)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_slice(&self.report(&all).stdout).unwrap()
    }
}

fn build_world(phishing: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let constituency = dir.path().join("constituency.toml");
    std::fs::write(
        &constituency,
        "country = \"CN\"\ndomains = [\"example.cn\"]\n",
    )
    .unwrap();
    let c = ["--constituency", constituency.to_str().unwrap()];

    let mut conn = HEADER.to_string();
    conn_rows(CN_HOSTS[0], US_SERVER, &mut conn);
    conn_rows(CN_HOSTS[1], US_SERVER, &mut conn);
    conn_rows(PRIVATE_HOST, US_SERVER, &mut conn);
    conn_rows(CN_HOSTS[2], DE_SERVER, &mut conn);
    conn_rows(CN_HOSTS[3], UNLISTED, &mut conn);
    let conn_path = dir.path().join("conn.log");
    std::fs::write(&conn_path, conn).unwrap();
    let feed = dir.path().join("c2.txt");
    std::fs::write(
        &feed,
        format!("# Test campaign\n{US_SERVER}\n{DE_SERVER}\n"),
    )
    .unwrap();

    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("uploads")).unwrap();
    std::fs::write(www.join("uploads/img.php"), "<?php @eval($_POST['z']); ?>").unwrap();
    let log = dir.path().join("access.log");
    let mut lines = String::new();
    for minute in [30, 35, 40] {
        lines.push_str(&format!(
            "shop.example.cn {RU_ATTACKER} - - [14/Nov/2023:22:{minute}:00 +0000] \"POST /uploads/img.php HTTP/1.1\" 200 120 \"-\" \"-\"\n"
        ));
    }
    std::fs::write(&log, lines).unwrap();

    // Three look-ups of the Alipay imitation from China, one from behind
    // NAT (the target's own), and one of a PayPal imitation, which targets
    // a US brand and so is no Chinese figure.
    let dns_path = dir.path().join("dns.log");
    std::fs::write(
        &dns_path,
        dns_log(&[
            (100, CN_HOSTS[0], ALIPAY_LOOKALIKE),
            (160, CN_HOSTS[0], ALIPAY_LOOKALIKE),
            (200, CN_HOSTS[1], ALIPAY_LOOKALIKE),
            (300, PRIVATE_HOST, ALIPAY_LOOKALIKE),
            (400, CN_HOSTS[2], PAYPAL_LOOKALIKE),
        ]),
    )
    .unwrap();

    let ingest = [&c[..], &["ingest", "-q"]].concat();
    let mut inputs = vec![conn_path.to_str().unwrap(), log.to_str().unwrap()];
    if phishing {
        inputs.push(dns_path.to_str().unwrap());
    }
    run(&store, &[&ingest[..], &inputs[..]].concat());
    run(&store, &["intel", "load", feed.to_str().unwrap()]);
    run(&store, &[&c[..], &["detect", "c2"]].concat());
    run(
        &store,
        &[
            "scan-web",
            www.to_str().unwrap(),
            "--site",
            "shop.example.cn",
        ],
    );
    run(&store, &[&c[..], &["detect", "backdoor"]].concat());
    if phishing {
        run(&store, &[&c[..], &["detect", "phishing"]].concat());
    }
    World {
        _dir: dir,
        store,
        constituency,
    }
}

fn assert_countries(store: &Path) {
    let sql = format!(
        "SELECT ip_country('{US_SERVER}'), ip_country('{DE_SERVER}'), ip_country('{}'), ip_country('{RU_ATTACKER}'), ip_country('{US_PHISHING_HOST}')",
        CN_HOSTS[0]
    );
    let o = run(store, &["query", "--format", "csv", &sql]);
    let row = stdout(&o).lines().nth(1).unwrap_or_default().to_string();
    assert_eq!(
        row, "US,DE,CN,RU,US",
        "the registry data moved these test addresses"
    );
}

fn figure(report: &Value, key: &str) -> Value {
    report["figures"][key].clone()
}

#[test]
fn report_counts_servers_hosts_and_backdoors_by_source_country() {
    let w = build_world(true);
    assert_countries(&w.store);
    let r = w.json(&["--from", "2023-11-01", "--to", "2023-11-30"]);
    assert_eq!(figure(&r, "c2_servers"), 2, "{:#}", r["figures"]);
    assert_eq!(figure(&r, "c2_hosts"), 4);
    assert_eq!(figure(&r, "backdoor_ips"), 1);
    assert_eq!(figure(&r, "backdoor_websites"), 1);
    assert_eq!(figure(&r, "backdoor_attacks"), 3);
    // One US address carried one page (the Alipay imitation, a bare name
    // seen in DNS) that four look-ups from the target's side reached; the
    // PayPal imitation on the same address targets a US brand.
    assert_eq!(figure(&r, "phishing_hosts"), 1, "{:#}", r["figures"]);
    assert_eq!(figure(&r, "phishing_pages"), 1);
    assert_eq!(figure(&r, "phishing_operations"), 4);

    let sources: Vec<(String, Value)> = r["by_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["country"]["code"].as_str().unwrap().to_string(),
                s["figures"].clone(),
            )
        })
        .collect();
    let codes: Vec<&str> = sources.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(codes, ["US", "DE", "RU"], "ranked by controlled hosts");
    assert_eq!(sources[0].1["c2_hosts"], 3);
    assert_eq!(sources[0].1["phishing_operations"], 4);
    assert_eq!(sources[1].1["phishing_operations"], 0);
    assert_eq!(sources[2].1["backdoor_attacks"], 3);

    let statements = r["statements"].to_string();
    assert!(
        statements.contains(
            "2 trojan or botnet control servers outside China directly controlled 4 hosts in China"
        ),
        "{statements}"
    );
    // Every figure's SQL reproduces it through `borderscope query`.
    let details = r["details"].as_array().unwrap();
    let c2 = details.iter().find(|d| d["key"] == "c2_servers").unwrap();
    let o = run(
        &w.store,
        &["query", "--format", "csv", c2["sql"].as_str().unwrap()],
    );
    assert_eq!(stdout(&o).lines().nth(1), Some("2,4"));
    let phishing = details
        .iter()
        .find(|d| d["key"] == "phishing_pages")
        .unwrap();
    let o = run(
        &w.store,
        &[
            "query",
            "--format",
            "csv",
            phishing["sql"].as_str().unwrap(),
        ],
    );
    assert_eq!(stdout(&o).lines().nth(1), Some("1,1,4"));
}

/// A detector that never ran is "not measured", never zero, and the report
/// names the command that would measure it.
#[test]
fn a_detector_that_never_ran_is_not_measured() {
    let w = build_world(false);
    let r = w.json(&["--from", "2023-11-01", "--to", "2023-11-30"]);
    assert_eq!(figure(&r, "c2_hosts"), 4);
    for key in ["phishing_hosts", "phishing_pages", "phishing_operations"] {
        assert_eq!(figure(&r, key), Value::Null, "{key}");
    }
    let notes = r["notes"].to_string();
    assert!(notes.contains("borderscope detect phishing"), "{notes}");
}

#[test]
fn one_source_country_and_the_same_bytes_twice() {
    let w = build_world(false);
    let args = [
        "--from",
        "2023-11-01",
        "--to",
        "2023-11-30",
        "--source",
        "DE",
    ];
    let r = w.json(&args);
    assert_eq!(figure(&r, "c2_servers"), 1);
    assert_eq!(figure(&r, "c2_hosts"), 1);
    assert_eq!(figure(&r, "backdoor_ips"), 0);
    assert!(r["matrix"].as_array().unwrap().is_empty());
    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    assert_eq!(w.report(&json).stdout, w.report(&json).stdout);
    let mut stix = args.to_vec();
    stix.extend(["--format", "stix"]);
    assert_eq!(w.report(&stix).stdout, w.report(&stix).stdout);
}

#[test]
fn every_format_renders_and_empty_periods_give_zeros() {
    let w = build_world(false);
    let period = ["--from", "2023-11-01", "--to", "2023-11-30"];
    let text = stdout(&w.report(&period));
    assert!(
        text.contains("directly controlled 4 hosts in China"),
        "{text}"
    );
    let csv = stdout(&w.report(&[&period[..], &["--format", "csv"]].concat()));
    assert!(csv.lines().any(|l| l.contains(",*,c2_hosts,4,")), "{csv}");
    assert!(csv.lines().any(|l| l.contains(",US,c2_hosts,3,")), "{csv}");
    let html = stdout(&w.report(&[&period[..], &["--format", "html"]].concat()));
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg"),
        "{html}"
    );
    // Self-contained: nothing fetched from the network, nothing scripted.
    for fetch in ["<script", "src=\"http", "href=\"http", "@import"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
    let stix: Value = serde_json::from_slice(
        &w.report(&[&period[..], &["--format", "stix"]].concat())
            .stdout,
    )
    .unwrap();
    let objects = stix["objects"].as_array().unwrap();
    let patterns: Vec<&str> = objects
        .iter()
        .filter_map(|o| o["pattern"].as_str())
        .collect();
    assert!(
        patterns.contains(&"[ipv4-addr:value = '23.1.2.3']"),
        "{patterns:?}"
    );
    assert!(
        patterns.contains(&"[ipv4-addr:value = '5.2.33.7']"),
        "{patterns:?}"
    );

    let empty = w.json(&["--from", "2025-01-01", "--to", "2025-01-31"]);
    assert_eq!(figure(&empty, "c2_servers"), 0);
    assert_eq!(figure(&empty, "backdoor_attacks"), 0);
}

#[test]
fn bad_requests_are_clear_errors() {
    let w = build_world(false);
    // `report --from FROM --to TO EXTRA...` on `store`, which must fail.
    let fail = |store: &Path, from: &str, to: &str, extra: &[&str]| {
        let o = bin()
            .arg("--store")
            .arg(store)
            .args(["report", "--from", from, "--to", to])
            .args(extra)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{from} {to} {extra:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = fail(&w.store, "2023-11-01", "2023-11-30", &["--target", "QQ"]);
    assert!(e.contains("not an ISO 3166-1 country code"), "{e}");
    let e = fail(&w.store, "2023-11-30", "2023-11-01", &["--target", "CN"]);
    assert!(e.contains("before it starts"), "{e}");
    let e = fail(&w.store, "2023-11-01", "2023-11-30", &[]);
    assert!(e.contains("no target country"), "{e}");
    let missing = w.store.with_file_name("no-store-here");
    let e = fail(&missing, "2023-11-01", "2023-11-30", &["--target", "CN"]);
    assert!(e.contains("no borderscope store"), "{e}");
}

#[test]
fn stix_bundle_passes_the_oasis_validator() {
    let Some(validator) = borderscope_testdata::external_tool("stix2_validator") else {
        return;
    };
    let w = build_world(true);
    let bundle = w.store.with_file_name("report.stix.json");
    w.report(&[
        "--from",
        "2023-11-01",
        "--to",
        "2023-11-30",
        "--format",
        "stix",
        "-o",
        bundle.to_str().unwrap(),
    ]);
    let o = std::process::Command::new(validator)
        .arg("--strict")
        .arg(&bundle)
        .output()
        .unwrap();
    let said = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{said}");
    assert!(!said.contains("[X]"), "{said}");
}

#[test]
fn html_report_renders_in_headless_chromium_without_console_errors() {
    let Some(chromium) = borderscope_testdata::external_tool("chromium") else {
        return;
    };
    let w = build_world(true);
    let page = w.store.with_file_name("report.html");
    let shot = w.store.with_file_name("report.png");
    w.report(&[
        "--from",
        "2023-11-01",
        "--to",
        "2023-11-30",
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    let url = format!("file://{}", page.display());
    let headless = |extra: &[&str]| {
        std::process::Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
            ])
            .args([
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1200,2400",
            ])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let dom = headless(&["--dump-dom"]);
    let rendered = stdout(&dom);
    assert!(
        rendered.contains("<svg") && rendered.contains("Cross-border report"),
        "{rendered}"
    );
    let log = String::from_utf8_lossy(&dom.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let o = headless(&[&format!("--screenshot={}", shot.display())]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // A page of charts compresses far worse than a blank one (a few KB).
    assert!(png.len() > 20_000, "screenshot is {} bytes", png.len());
}

/// A website's country is where it is hosted, or the country a user gives
/// its domain in the protected-site registry (`--brands`): a backdoored
/// site under a Chinese brand's domain, seen on no server address, counts
/// for China only with the registry that says so.
#[test]
fn backdoored_site_counts_for_the_country_its_registry_brand_belongs_to() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let constituency = dir.path().join("constituency.toml");
    std::fs::write(
        &constituency,
        "country = \"CN\"\ndomains = [\"example.cn\"]\n",
    )
    .unwrap();
    let c = ["--constituency", constituency.to_str().unwrap()];
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("uploads")).unwrap();
    std::fs::write(www.join("uploads/img.php"), "<?php @eval($_POST['z']); ?>").unwrap();
    let log = dir.path().join("access.log");
    let mut lines = String::new();
    for minute in [30, 35] {
        lines.push_str(&format!(
            "www.lotusbank-test.com {RU_ATTACKER} - - [14/Nov/2023:22:{minute}:00 +0000] \"POST /uploads/img.php HTTP/1.1\" 200 120 \"-\" \"-\"\n"
        ));
    }
    std::fs::write(&log, lines).unwrap();
    run(
        &store,
        &[&c[..], &["ingest", "-q", log.to_str().unwrap()]].concat(),
    );
    run(
        &store,
        &[
            "scan-web",
            www.to_str().unwrap(),
            "--site",
            "www.lotusbank-test.com",
        ],
    );
    run(&store, &[&c[..], &["detect", "backdoor"]].concat());
    let brands = dir.path().join("brands.toml");
    std::fs::write(
        &brands,
        "[[brand]]\nname = \"Lotus Test Bank\"\ncountry = \"CN\"\ndomains = [\"lotusbank-test.com\"]\nkeywords = [\"lotusbank\"]\n",
    )
    .unwrap();
    let report = |extra: &[&str]| -> Value {
        let mut args = vec![
            "--constituency",
            constituency.to_str().unwrap(),
            "report",
            "--from",
            "2023-11-01",
            "--to",
            "2023-11-30",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        serde_json::from_slice(&run(&store, &args).stdout).unwrap()
    };
    let without = report(&[]);
    assert_eq!(
        figure(&without, "backdoor_websites"),
        0,
        "{:#}",
        without["figures"]
    );
    assert_eq!(figure(&without, "backdoor_attacks"), 0);
    let with = report(&["--brands", brands.to_str().unwrap()]);
    assert_eq!(
        figure(&with, "backdoor_websites"),
        1,
        "{:#}",
        with["figures"]
    );
    assert_eq!(figure(&with, "backdoor_ips"), 1);
    assert_eq!(figure(&with, "backdoor_attacks"), 2);
    // The same registry with the brand given to another country: not China's.
    std::fs::write(
        &brands,
        "[[brand]]\nname = \"Lotus Test Bank\"\ncountry = \"DE\"\ndomains = [\"lotusbank-test.com\"]\nkeywords = [\"lotusbank\"]\n",
    )
    .unwrap();
    let other = report(&["--brands", brands.to_str().unwrap()]);
    assert_eq!(figure(&other, "backdoor_websites"), 0);
}
