//! `phish load`, `detect phishing` and `explain phishing` end to end, over a
//! store built from Zeek dns, http and ssl logs written here, a PhishTank
//! dump, an OpenPhish-style list and a CT stream.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{bin, run};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn csv(store: &Path, sql: &str) -> Vec<String> {
    let o = run(store, &["query", "--format", "csv", sql]);
    stdout(&o).lines().skip(1).map(str::to_string).collect()
}

const T0: u64 = 1_700_000_000;

fn zeek(path: &str, fields: &str, types: &str, rows: &[String]) -> String {
    let mut s = format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n#open\t2023-11-14-22-13-20\n#fields\t{fields}\n#types\t{types}\n"
    );
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.push_str("#close\t2023-11-14-23-00-00\n");
    s
}

/// A DNS look-up `dt` seconds after T0; `answers` comma-separated or `-`.
fn dns(dt: u64, client: &str, query: &str, qtype: &str, rcode: &str, answers: &str) -> String {
    let ttls = if answers == "-" { "-" } else { "300.000000" };
    format!(
        "{}.000000\tCd{dt}\t{client}\t53000\t10.0.0.1\t53\tudp\t{dt}\t0.010000\t{query}\t1\tC_INTERNET\t1\t{qtype}\t0\t{rcode}\tF\tF\tT\tT\t0\t{answers}\t{ttls}\tF",
        T0 + dt
    )
}

fn http(dt: u64, client: &str, server: &str, host: &str, uri: &str) -> String {
    format!(
        "{}.000000\tCh{dt}\t{client}\t50000\t{server}\t80\t1\tGET\t{host}\t{uri}\t-\t1.1\tMozilla/5.0\t0\t1200\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\tF{dt}\t-\ttext/html",
        T0 + dt
    )
}

fn ssl(dt: u64, client: &str, server: &str, sni: &str) -> String {
    format!(
        "{}.000000\tCs{dt}\t{client}\t50100\t{server}\t443\tTLSv13\tTLS_AES_128_GCM_SHA256\tx25519\t{sni}\tF\t-\th2\tT\t-\t-\t-\t-\t-\t-\t-",
        T0 + dt
    )
}

const DNS_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected";
const DNS_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool";
const HTTP_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types";
const HTTP_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]";
const SSL_FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tcert_chain_fuids\tclient_cert_chain_fuids\tsubject\tissuer\tclient_subject\tclient_issuer\tvalidation_status";
const SSL_TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tbool\tvector[string]\tvector[string]\tstring\tstring\tstring\tstring\tstring";

const KIT_URL: &str = "http://bakery-example.net/wp-content/plugins/x/login.php";
const SQUAT_URL: &str = "http://paypal-account-verify.com/signin/index.php";
const IP_URL: &str = "http://45.33.30.9/paypal.com/webscr.php?cmd=login";
const SHOP_URL: &str = "http://shop-example.org/account/verify.php";

/// The world of the tests: a typosquat visited over DNS, HTTP and TLS; a
/// kit on an innocent-looking site that a feed names; a kit on an IP
/// address; a homoglyph name nobody could resolve; CT and list-only names;
/// the brand's own site visited and (wrongly) listed; an ordinary page that
/// only its content gives away.
fn world(dir: &Path) -> Vec<PathBuf> {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let dns_rows = [
        dns(
            10,
            "10.0.0.5",
            "paypal-account-verify.com",
            "A",
            "NOERROR",
            "45.33.20.7",
        ),
        dns(
            20,
            "10.0.0.7",
            "www.paypal.com",
            "A",
            "NOERROR",
            "www.paypal.com.akadns.net,64.4.250.36",
        ),
        dns(
            30,
            "10.0.0.8",
            "bakery-example.net",
            "A",
            "NOERROR",
            "93.184.216.34",
        ),
        dns(40, "10.0.0.9", "xn--pypal-4ve.com", "A", "NXDOMAIN", "-"),
        dns(
            50,
            "10.0.0.5",
            "paypal-account-verify.com",
            "MX",
            "NOERROR",
            "mx.paypal-account-verify.com",
        ),
        dns(
            60,
            "10.0.0.5",
            "7.20.33.45.in-addr.arpa",
            "PTR",
            "NOERROR",
            "paypal-account-verify.com",
        ),
        dns(
            90,
            "10.0.0.13",
            "bakerybank-secure-login.com",
            "A",
            "NOERROR",
            "45.33.40.1",
        ),
    ];
    let http_rows = [
        http(
            11,
            "10.0.0.5",
            "45.33.20.7",
            "paypal-account-verify.com",
            "/signin/index.php",
        ),
        http(
            12,
            "10.0.0.5",
            "45.33.20.7",
            "paypal-account-verify.com",
            "/favicon.ico",
        ),
        http(
            31,
            "10.0.0.8",
            "93.184.216.34",
            "bakery-example.net",
            "/wp-content/plugins/x/login.php",
        ),
        http(
            32,
            "10.0.0.8",
            "93.184.216.34",
            "bakery-example.net",
            "/index.html",
        ),
        http(
            70,
            "10.0.0.11",
            "45.33.30.9",
            "45.33.30.9",
            "/paypal.com/webscr.php?cmd=login",
        ),
        http(
            80,
            "10.0.0.12",
            "93.184.216.40",
            "shop-example.org",
            "/account/verify.php",
        ),
    ];
    let ssl_rows = [
        ssl(13, "10.0.0.6", "45.33.20.7", "paypal-account-verify.com"),
        ssl(21, "10.0.0.7", "64.4.250.36", "www.paypal.com"),
    ];
    std::fs::write(
        logs.join("dns.log"),
        zeek("dns", DNS_FIELDS, DNS_TYPES, &dns_rows),
    )
    .unwrap();
    std::fs::write(
        logs.join("http.log"),
        zeek("http", HTTP_FIELDS, HTTP_TYPES, &http_rows),
    )
    .unwrap();
    std::fs::write(
        logs.join("ssl.log"),
        zeek("ssl", SSL_FIELDS, SSL_TYPES, &ssl_rows),
    )
    .unwrap();

    let phishtank = dir.join("verified_online.csv");
    std::fs::write(
        &phishtank,
        format!(
            "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target\n\
             1,{KIT_URL},http://www.phishtank.com/phish_detail.php?phish_id=1,2023-11-14T20:00:00+00:00,yes,2023-11-14T20:10:00+00:00,yes,PayPal\n\
             2,https://www.paypal.com/signin,http://www.phishtank.com/phish_detail.php?phish_id=2,2023-11-14T20:00:00+00:00,yes,2023-11-14T20:10:00+00:00,yes,PayPal\n\
             3,http://exa mple.com/x,http://www.phishtank.com/phish_detail.php?phish_id=3,2023-11-14T20:00:00+00:00,yes,2023-11-14T20:10:00+00:00,yes,Other\n\
             4,http://c.example/,http://www.phishtank.com/phish_detail.php?phish_id=4,someday,yes,2023-11-14T20:10:00+00:00,yes,Other\n"
        ),
    )
    .unwrap();
    let openphish = dir.join("feed.txt");
    std::fs::write(
        &openphish,
        "https://login-microsoftonline-secure.com/owa/\nhttps://www.microsoft.com/\n",
    )
    .unwrap();
    let ct = dir.join("certstream.jsonl");
    std::fs::write(
        &ct,
        format!(
            "{{\"message_type\":\"heartbeat\",\"timestamp\":{T0}}}\n\
             {{\"message_type\":\"certificate_update\",\"data\":{{\"leaf_cert\":{{\"all_domains\":[\"secure-appleid-login.com\",\"*.secure-appleid-login.com\"]}},\"seen\":{T0}.5}}}}\n\
             {{\"domain\":\"www.google.com\",\"ts\":{T0}}}\n\
             {{\"domain\":\"bad name!.example\",\"ts\":{T0}}}\n"
        ),
    )
    .unwrap();
    vec![logs, phishtank, openphish, ct]
}

fn build_store(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let inputs = world(dir);
    run(&store, &["ingest", "-q", inputs[0].to_str().unwrap()]);
    let feeds: Vec<&str> = inputs[1..].iter().map(|p| p.to_str().unwrap()).collect();
    let o = run(&store, &[&["phish", "load"], &feeds[..]].concat());
    assert!(
        stdout(&o).contains("6 candidates loaded, 3 rejected"),
        "{}",
        stdout(&o)
    );
    store
}

#[test]
fn feeds_load_with_provenance_and_bad_rows_quarantined_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = build_store(dir.path());
    assert_eq!(
        csv(
            &store,
            "SELECT source, kind, host, CAST(phishing AS VARCHAR), COALESCE(target, '-'), source_line \
             FROM phish_feed ORDER BY source, host"
        ),
        vec![
            "ct,domain,secure-appleid-login.com,false,-,2",
            "ct,domain,www.google.com,false,-,3",
            "openphish,url,login-microsoftonline-secure.com,true,-,1",
            "openphish,url,www.microsoft.com,true,-,2",
            "phishtank,url,bakery-example.net,true,PayPal,2",
            "phishtank,url,www.paypal.com,true,PayPal,3",
        ]
    );
    let bad = csv(
        &store,
        "SELECT format, position, reason FROM quarantine WHERE format IN ('phishtank-csv', 'ct-jsonl') ORDER BY format, position",
    );
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(
        bad[0].starts_with("ct-jsonl,4,") && bad[0].contains("bad name!.example"),
        "{bad:?}"
    );
    assert!(bad[1].starts_with("phishtank-csv,4,url: "), "{bad:?}");
    assert!(
        bad[2].starts_with("phishtank-csv,5,submission_time"),
        "{bad:?}"
    );
    let again = run(
        &store,
        &[
            "phish",
            "load",
            dir.path().join("verified_online.csv").to_str().unwrap(),
        ],
    );
    assert!(
        stdout(&again).contains("already loaded"),
        "{}",
        stdout(&again)
    );
    assert_eq!(csv(&store, "SELECT COUNT(*) FROM phish_feed"), vec!["6"]);
}

#[test]
fn detect_finds_pages_hosts_and_visits_and_never_the_brands_own_sites() {
    let dir = tempfile::tempdir().unwrap();
    let store = build_store(dir.path());
    let o = run(&store, &["detect", "phishing"]);
    assert!(stdout(&o).contains("stored as batch"), "{}", stdout(&o));
    assert_eq!(
        csv(
            &store,
            "SELECT url, COALESCE(hosting_ip, '-'), brand, brand_country, array_to_string(sources, ';') \
             FROM phish_pages ORDER BY url, hosting_ip"
        ),
        vec![
            format!("{IP_URL},45.33.30.9,PayPal,US,http"),
            format!("{KIT_URL},93.184.216.34,PayPal,US,http;phishtank"),
            format!("{SQUAT_URL},45.33.20.7,PayPal,US,dns;http;tls"),
            "https://login-microsoftonline-secure.com/owa/,-,Microsoft,US,openphish".to_string(),
            "secure-appleid-login.com,-,Apple,US,ct".to_string(),
            "xn--pypal-4ve.com,-,PayPal,US,dns".to_string(),
        ]
    );
    // Whatever feeds say, a brand's own hosts never become pages.
    assert_eq!(
        csv(
            &store,
            "SELECT COUNT(*) FROM phish_pages WHERE domain IN ('www.paypal.com', 'www.microsoft.com', 'www.google.com')"
        ),
        vec!["0"]
    );
    assert_eq!(
        csv(
            &store,
            "SELECT kind, client_ip, domain, COALESCE(url, '-'), COALESCE(hosting_ip, '-'), brand, source_line \
             FROM phish_ops ORDER BY ts"
        ),
        vec![
            "dns,10.0.0.5,paypal-account-verify.com,-,45.33.20.7,PayPal,9".to_string(),
            format!("http,10.0.0.5,paypal-account-verify.com,{SQUAT_URL},45.33.20.7,PayPal,9"),
            "http,10.0.0.5,paypal-account-verify.com,http://paypal-account-verify.com/favicon.ico,45.33.20.7,PayPal,10".to_string(),
            "tls,10.0.0.6,paypal-account-verify.com,-,45.33.20.7,PayPal,9".to_string(),
            format!("http,10.0.0.8,bakery-example.net,{KIT_URL},93.184.216.34,PayPal,11"),
            "dns,10.0.0.9,xn--pypal-4ve.com,-,-,PayPal,12".to_string(),
            format!("http,10.0.0.11,45.33.30.9,{IP_URL},45.33.30.9,PayPal,13"),
        ]
    );

    let o = run(&store, &["explain", "phishing", KIT_URL]);
    let text = stdout(&o);
    for want in [
        "listed as phishing by phishtank (target `PayPal`)",
        "93.184.216.34",
        "Visits to the page's domain",
        "10.0.0.8",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let miss = bin()
        .arg("--store")
        .arg(&store)
        .args(["explain", "phishing", "https://www.paypal.com/signin"])
        .output()
        .unwrap();
    assert!(!miss.status.success());
}

#[test]
fn page_content_finds_phishing_where_the_url_shows_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = build_store(dir.path());
    let pages = dir.path().join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    std::fs::write(
        pages.join("verify.html"),
        format!(
            "<!-- saved from url=(0042){SHOP_URL} -->\n<html><head><title>PayPal: Log in to your account</title>\
             <link rel=icon href='https://www.paypalobjects.com/favicon.ico'></head><body>\
             <form method=post action='https://collect.example.net/p.php'><input name=login_email>\
             <input type=password name=login_password></form></body></html>"
        ),
    )
    .unwrap();
    run(&store, &["detect", "phishing"]);
    assert!(csv(
        &store,
        &format!("SELECT url FROM phish_pages WHERE url = '{SHOP_URL}'")
    )
    .is_empty());
    let o = run(
        &store,
        &["detect", "phishing", "--pages", pages.to_str().unwrap()],
    );
    assert!(
        stdout(&o).contains("content evidence for 1 URLs"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        csv(
            &store,
            &format!("SELECT hosting_ip, brand, array_to_string(sources, ';') FROM phish_pages WHERE url = '{SHOP_URL}'")
        ),
        vec!["93.184.216.40,PayPal,http;page"]
    );
    assert_eq!(
        csv(
            &store,
            &format!("SELECT client_ip FROM phish_ops WHERE url = '{SHOP_URL}'")
        ),
        vec!["10.0.0.12"]
    );
    let reasons = csv(
        &store,
        &format!(
            "SELECT array_to_string(reasons, ' | ') FROM phish_pages WHERE url = '{SHOP_URL}'"
        ),
    );
    assert!(
        reasons[0].contains("page: asks for credentials"),
        "{reasons:?}"
    );
}

#[test]
fn a_period_keeps_only_its_events_and_brands_files_extend_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let store = build_store(dir.path());
    // Only the first 25 seconds: the typosquat's visits and the CT name
    // seen then, not the kit's or the homoglyph's visits nor the feeds'
    // earlier submissions.
    let from = "2023-11-14T22:13:20Z";
    let to = "2023-11-14T22:13:45Z";
    run(&store, &["detect", "phishing", "--from", from, "--to", to]);
    assert_eq!(
        csv(&store, "SELECT DISTINCT url FROM phish_pages ORDER BY url"),
        vec![SQUAT_URL, "secure-appleid-login.com"]
    );
    assert_eq!(csv(&store, "SELECT COUNT(*) FROM phish_ops"), vec!["4"]);
    let brands = dir.path().join("brands.toml");
    std::fs::write(
        &brands,
        "[[brand]]\nname = \"Bakery Bank\"\ncountry = \"CN\"\ndomains = [\"bakerybank.cn\"]\nkeywords = [\"bakerybank\"]\n",
    )
    .unwrap();
    let lookalike = "SELECT url, COALESCE(hosting_ip, '-'), brand, brand_country FROM phish_pages \
                     WHERE domain = 'bakerybank-secure-login.com'";
    run(&store, &["detect", "phishing"]);
    assert!(
        csv(&store, lookalike).is_empty(),
        "not a brand the built-in registry knows"
    );
    run(
        &store,
        &["detect", "phishing", "--brands", brands.to_str().unwrap()],
    );
    assert_eq!(
        csv(&store, lookalike),
        vec!["bakerybank-secure-login.com,45.33.40.1,Bakery Bank,CN"]
    );
    assert_eq!(
        csv(
            &store,
            "SELECT client_ip FROM phish_ops WHERE domain = 'bakerybank-secure-login.com'"
        ),
        vec!["10.0.0.13"]
    );
}
